// AArch64 prefill tiles with the int8 matrix-multiply extension (i8mm, level 3): two weight rows × two activation rows
// at once, smmla adding the 2×2 matrix of 8-byte dot products into 4 int32 lanes {r0·t0, r0·t1, r1·t0, r1·t1}, as
// ggml-cpu's arch/arm/quants.c does for nrc == 2. Integer sums exact, float steps the single-row kernels' (per block
// d_w d_x times the integer sum, K-quants in the reference's order); tested against plain C references under
// qemu-aarch64 -cpu max (scripts/tests/neon_qemu.sh).
#include "R1KernelsC.h"
#include "neon.h"
#if defined(__aarch64__)

/// acc + the 2×2 products of 16-element rows: weights (w0, w1) against activations (x0, x1).
R1_I8MM static inline int32x4_t mm16(int32x4_t acc, int8x16_t w0, int8x16_t w1, int8x16_t x0, int8x16_t x1) {
    const int64x2_t a0 = vreinterpretq_s64_s8(w0), a1 = vreinterpretq_s64_s8(w1);
    const int64x2_t b0 = vreinterpretq_s64_s8(x0), b1 = vreinterpretq_s64_s8(x1);
    acc = vmmlaq_s32(acc, vreinterpretq_s8_s64(vzip1q_s64(a0, a1)), vreinterpretq_s8_s64(vzip1q_s64(b0, b1)));
    return vmmlaq_s32(acc, vreinterpretq_s8_s64(vzip2q_s64(a0, a1)), vreinterpretq_s8_s64(vzip2q_s64(b0, b1)));
}

/// {a·c, a·d, b·c, b·d}
R1_I8MM static inline float32x4_t outer(float a, float b, float c, float d) {
    const float v[4] = {a * c, a * d, b * c, b * d};
    return vld1q_f32(v);
}

static inline const int8_t *s8(const uint8_t *p) { return (const int8_t *)p; }

// MARK: - Q8_0 and Q4_0 · Q8_0

/// The 32 quants of a Q8_0 block (q4 == 0) or a Q4_0 block minus 8 (q4 == 1) as two 16-byte halves.
R1_I8MM static inline void quants32(int q4, const uint8_t *w, int8x16_t *lo, int8x16_t *hi) {
    if (!q4) {
        *lo = vld1q_s8(s8(w + 2));
        *hi = vld1q_s8(s8(w + 18));
        return;
    }
    const uint8x16_t b = vld1q_u8(w + 2);
    const int8x16_t eight = vdupq_n_s8(8);
    *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b, vdupq_n_u8(0x0F))), eight);
    *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(b, 4)), eight);
}

R1_I8MM static void q32_2x2(int q4, const uint8_t *w0, const uint8_t *w1, const uint8_t *x0, const uint8_t *x1, int nb,
                            float y[4]) {
    const size_t wbs = q4 ? 18 : 34;
    const int32x4_t z = vdupq_n_s32(0);
    float32x4_t acc = vdupq_n_f32(0);
    for (int i = 0; i < nb; i++, w0 += wbs, w1 += wbs, x0 += 34, x1 += 34) {
        int8x16_t a0, a1, b0, b1;
        quants32(q4, w0, &a0, &a1);
        quants32(q4, w1, &b0, &b1);
        const int32x4_t s = mm16(mm16(z, a0, b0, vld1q_s8(s8(x0 + 2)), vld1q_s8(s8(x1 + 2))), a1, b1,
                                 vld1q_s8(s8(x0 + 18)), vld1q_s8(s8(x1 + 18)));
        acc = vfmaq_f32(acc, vcvtq_f32_s32(s), outer(r1n_f16(w0), r1n_f16(w1), r1n_f16(x0), r1n_f16(x1)));
    }
    vst1q_f32(y, acc);
}

// MARK: - Q4_K and Q6_K · Q8_K

/// Σ_s m_s (bsum_2s + bsum_2s+1): a Q4_K block's mins (`sc` + 8) against a Q8_K block's bsums.
static inline int32_t q4k_mins(const uint8_t *sc, const uint8_t *x) {
    const int16x8_t bs = vpaddq_s16(vld1q_s16((const int16_t *)(x + 260)), vld1q_s16((const int16_t *)(x + 276)));
    const int16x8_t mn = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(sc + 8)));
    return vaddvq_s32(vmlal_s16(vmull_s16(vget_low_s16(bs), vget_low_s16(mn)), vget_high_s16(bs), vget_high_s16(mn)));
}

static inline int32x4_t pair_s32(int32_t a, int32_t b) { return vcombine_s32(vdup_n_s32(a), vdup_n_s32(b)); }

R1_I8MM static void q4_K_2x2(const uint8_t *w0, const uint8_t *w1, const uint8_t *x0, const uint8_t *x1, int nb,
                             float y[4]) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    const int32x4_t z = vdupq_n_s32(0);
    float32x4_t acc = vdupq_n_f32(0);
    for (int i = 0; i < nb; i++, w0 += 144, w1 += 144, x0 += 292, x1 += 292) {
        uint32_t u0[4], u1[4];
        r1c_q4k_scales(w0 + 4, u0);
        r1c_q4k_scales(w1 + 4, u1);
        const uint8_t *sc0 = (const uint8_t *)u0, *sc1 = (const uint8_t *)u1;
        int32x4_t sumv = z;
        for (int j = 0; j < 4; j++) {
            const uint8x16_t a0 = vld1q_u8(w0 + 16 + 32 * j), a1 = vld1q_u8(w0 + 32 + 32 * j);
            const uint8x16_t b0 = vld1q_u8(w1 + 16 + 32 * j), b1 = vld1q_u8(w1 + 32 + 32 * j);
            const int8_t *p0 = s8(x0 + 4 + 64 * j), *p1 = s8(x1 + 4 + 64 * j);
#define LO(v) vreinterpretq_s8_u8(vandq_u8(v, m4))
#define HI(v) vreinterpretq_s8_u8(vshrq_n_u8(v, 4))
            const int32x4_t lo = mm16(mm16(z, LO(a0), LO(b0), vld1q_s8(p0), vld1q_s8(p1)), LO(a1), LO(b1),
                                      vld1q_s8(p0 + 16), vld1q_s8(p1 + 16));
            const int32x4_t hi = mm16(mm16(z, HI(a0), HI(b0), vld1q_s8(p0 + 32), vld1q_s8(p1 + 32)), HI(a1), HI(b1),
                                      vld1q_s8(p0 + 48), vld1q_s8(p1 + 48));
#undef LO
#undef HI
            sumv = vmlaq_s32(sumv, lo, pair_s32(sc0[2 * j], sc1[2 * j]));
            sumv = vmlaq_s32(sumv, hi, pair_s32(sc0[2 * j + 1], sc1[2 * j + 1]));
        }
        const int32_t m[4] = {q4k_mins(sc0, x0), q4k_mins(sc0, x1), q4k_mins(sc1, x0), q4k_mins(sc1, x1)};
        const float dx0 = r1n_f32(x0), dx1 = r1n_f32(x1);
        // per lane: dx d sumi - dx dmin summins, the single-row kernel's order
        const float32x4_t dd = outer(r1n_f16(w0), r1n_f16(w1), dx0, dx1);
        const float32x4_t dm = outer(r1n_f16(w0 + 2), r1n_f16(w1 + 2), dx0, dx1);
        acc = vaddq_f32(acc, vsubq_f32(vmulq_f32(dd, vcvtq_f32_s32(sumv)), vmulq_f32(dm, vcvtq_f32_s32(vld1q_s32(m)))));
    }
    vst1q_f32(y, acc);
}

R1_I8MM static void q6_K_2x2(const uint8_t *w0, const uint8_t *w1, const uint8_t *x0, const uint8_t *x1, int nb,
                             float y[4]) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(3);
    const int8x16_t m32 = vdupq_n_s8(32);
    const int32x4_t z = vdupq_n_s32(0);
    float32x4_t acc = vdupq_n_f32(0);
    for (int i = 0; i < nb; i++, w0 += 210, w1 += 210, x0 += 292, x1 += 292) {
        const int8_t *sc0 = s8(w0 + 192), *sc1 = s8(w1 + 192);
        int32x4_t sumv = z;
        for (int h = 0; h < 2; h++) {
            int8x16_t q0[8], q1[8];
            r1n_q6k_half(w0, h, m4, m3, m32, q0);
            r1n_q6k_half(w1, h, m4, m3, m32, q1);
            const int8_t *p0 = s8(x0 + 4 + 128 * h), *p1 = s8(x1 + 4 + 128 * h);
            for (int g = 0; g < 8; g++)
                sumv = vmlaq_s32(sumv, mm16(z, q0[g], q1[g], vld1q_s8(p0 + 16 * g), vld1q_s8(p1 + 16 * g)),
                                 pair_s32(sc0[8 * h + g], sc1[8 * h + g]));
        }
        const float32x4_t dd = outer(r1n_f16(w0 + 208), r1n_f16(w1 + 208), r1n_f32(x0), r1n_f32(x1));
        acc = vaddq_f32(acc, vmulq_f32(dd, vcvtq_f32_s32(sumv)));
    }
    vst1q_f32(y, acc);
}

void r1c_i8mm_2x2(int type, const uint8_t *w0, const uint8_t *w1, const uint8_t *x0, const uint8_t *x1, int nb,
                  float y[4]) {
    switch (type) {
    case R1C_Q8_0: q32_2x2(0, w0, w1, x0, x1, nb, y); break;
    case R1C_Q4_0: q32_2x2(1, w0, w1, x0, x1, nb, y); break;
    case R1C_Q4_K: q4_K_2x2(w0, w1, x0, x1, nb, y); break;
    default: q6_K_2x2(w0, w1, x0, x1, nb, y); break;
    }
}
#endif
