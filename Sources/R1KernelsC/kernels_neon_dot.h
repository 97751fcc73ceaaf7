// One weight row · one activation row for Q8_0, Q4_0 (· Q8_0) and Q4_K, Q6_K (· Q8_K) on AArch64. Included twice by
// kernels_neon.c, once per level: R1N_ATTR is the level's target attribute, R1N_DOT(acc, a, b) adds the 4-byte dot
// products of 16 int8 pairs into 4 int32 lanes (smull + sadalp on plain NEON, sdot with dotprod) and R1N(name) is the
// level's function name. Every integer sum is exact; the float steps are the plain reference's (QuantReference.vecDot:
// d_w d_x per block times the block's integer sum), in 4 float lanes for the 32-element types.

/// Q8_0 {d: f16, qs: (32) int8} · Q8_0.
R1N_ATTR static float R1N(dot_q8_0)(const uint8_t *w, const uint8_t *x, int nb) {
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = acc0;
    const int32x4_t z = vdupq_n_s32(0);
    int i = 0;
    for (; i + 2 <= nb; i += 2, w += 68, x += 68) {
        const int32x4_t s0 = R1N_DOT(R1N_DOT(z, vld1q_s8((const int8_t *)w + 2), vld1q_s8((const int8_t *)x + 2)),
                                     vld1q_s8((const int8_t *)w + 18), vld1q_s8((const int8_t *)x + 18));
        const int32x4_t s1 = R1N_DOT(R1N_DOT(z, vld1q_s8((const int8_t *)w + 36), vld1q_s8((const int8_t *)x + 36)),
                                     vld1q_s8((const int8_t *)w + 52), vld1q_s8((const int8_t *)x + 52));
        acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(s0), r1n_f16(w) * r1n_f16(x));
        acc1 = vfmaq_n_f32(acc1, vcvtq_f32_s32(s1), r1n_f16(w + 34) * r1n_f16(x + 34));
    }
    for (; i < nb; i++, w += 34, x += 34) {
        const int32x4_t s0 = R1N_DOT(R1N_DOT(z, vld1q_s8((const int8_t *)w + 2), vld1q_s8((const int8_t *)x + 2)),
                                     vld1q_s8((const int8_t *)w + 18), vld1q_s8((const int8_t *)x + 18));
        acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(s0), r1n_f16(w) * r1n_f16(x));
    }
    return vaddvq_f32(vaddq_f32(acc0, acc1));
}

/// Q4_0 {d: f16, qs: (16) nibbles: elements 0..<16 low, 16..<32 high} · Q8_0; the nibbles minus 8 as signed bytes.
R1N_ATTR static float R1N(dot_q4_0)(const uint8_t *w, const uint8_t *x, int nb) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    const int8x16_t eight = vdupq_n_s8(8);
    const int32x4_t z = vdupq_n_s32(0);
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = acc0;
    int i = 0;
    for (; i + 2 <= nb; i += 2, w += 36, x += 68) {
        const uint8x16_t b0 = vld1q_u8(w + 2), b1 = vld1q_u8(w + 20);
        const int8x16_t l0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b0, m4)), eight);
        const int8x16_t h0 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(b0, 4)), eight);
        const int8x16_t l1 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b1, m4)), eight);
        const int8x16_t h1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(b1, 4)), eight);
        const int32x4_t s0 = R1N_DOT(R1N_DOT(z, l0, vld1q_s8((const int8_t *)x + 2)), h0, vld1q_s8((const int8_t *)x + 18));
        const int32x4_t s1 = R1N_DOT(R1N_DOT(z, l1, vld1q_s8((const int8_t *)x + 36)), h1, vld1q_s8((const int8_t *)x + 52));
        acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(s0), r1n_f16(w) * r1n_f16(x));
        acc1 = vfmaq_n_f32(acc1, vcvtq_f32_s32(s1), r1n_f16(w + 18) * r1n_f16(x + 34));
    }
    for (; i < nb; i++, w += 18, x += 34) {
        const uint8x16_t b0 = vld1q_u8(w + 2);
        const int8x16_t l0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b0, m4)), eight);
        const int8x16_t h0 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(b0, 4)), eight);
        const int32x4_t s0 = R1N_DOT(R1N_DOT(z, l0, vld1q_s8((const int8_t *)x + 2)), h0, vld1q_s8((const int8_t *)x + 18));
        acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(s0), r1n_f16(w) * r1n_f16(x));
    }
    return vaddvq_f32(vaddq_f32(acc0, acc1));
}

/// Q4_K {d, dmin: f16, scales: (12), qs: (128)} · Q8_K {d: f32, qs: (256), bsums: (16) int16}: per super-block
/// d_x (d Σ_s sc_s Σ q q_x - dmin Σ_s m_s (bsum_2s + bsum_2s+1)), sub-block s of 32 being nibble s % 2 of
/// qs[32 (s / 2) ..< +32].
R1N_ATTR static float R1N(dot_q4_K)(const uint8_t *w, const uint8_t *x, int nb) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    const int32x4_t z = vdupq_n_s32(0);
    float sumf = 0;
    for (int i = 0; i < nb; i++, w += 144, x += 292) {
        uint32_t u[4];
        r1c_q4k_scales(w + 4, u);
        const uint8_t *sc = (const uint8_t *)u;
        int32x4_t sumv = z;
        for (int j = 0; j < 4; j++) {
            const uint8x16_t b0 = vld1q_u8(w + 16 + 32 * j), b1 = vld1q_u8(w + 32 + 32 * j);
            const int8_t *q8 = (const int8_t *)x + 4 + 64 * j;
            const int32x4_t lo = R1N_DOT(R1N_DOT(z, vreinterpretq_s8_u8(vandq_u8(b0, m4)), vld1q_s8(q8)),
                                         vreinterpretq_s8_u8(vandq_u8(b1, m4)), vld1q_s8(q8 + 16));
            const int32x4_t hi = R1N_DOT(R1N_DOT(z, vreinterpretq_s8_u8(vshrq_n_u8(b0, 4)), vld1q_s8(q8 + 32)),
                                         vreinterpretq_s8_u8(vshrq_n_u8(b1, 4)), vld1q_s8(q8 + 48));
            sumv = vmlaq_n_s32(sumv, lo, sc[2 * j]);
            sumv = vmlaq_n_s32(sumv, hi, sc[2 * j + 1]);
        }
        const int16x8_t bs = vpaddq_s16(vld1q_s16((const int16_t *)(x + 260)), vld1q_s16((const int16_t *)(x + 276)));
        const int16x8_t mn = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(sc + 8)));
        const int32x4_t mp = vmlal_s16(vmull_s16(vget_low_s16(bs), vget_low_s16(mn)), vget_high_s16(bs), vget_high_s16(mn));
        const float dx = r1n_f32(x);
        sumf += dx * r1n_f16(w) * (float)vaddvq_s32(sumv) - dx * r1n_f16(w + 2) * (float)vaddvq_s32(mp);
    }
    return sumf;
}

/// Q6_K {ql: (128), qh: (64), scales: (16) int8, d: f16} · Q8_K: groups of 16 decoded by r1n_q6k_half (values minus
/// 32 as int8), each dotted with its 16 activations and scaled by its int8 scale.
R1N_ATTR static float R1N(dot_q6_K)(const uint8_t *w, const uint8_t *x, int nb) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(3);
    const int8x16_t m32 = vdupq_n_s8(32);
    const int32x4_t z = vdupq_n_s32(0);
    float sumf = 0;
    for (int i = 0; i < nb; i++, w += 210, x += 292) {
        const int8_t *sc = (const int8_t *)w + 192;
        int32x4_t sumv = z;
        for (int h = 0; h < 2; h++) {
            int8x16_t q[8];
            r1n_q6k_half(w, h, m4, m3, m32, q);
            const int8_t *q8 = (const int8_t *)x + 4 + 128 * h;
            for (int g = 0; g < 8; g++) sumv = vmlaq_n_s32(sumv, R1N_DOT(z, q[g], vld1q_s8(q8 + 16 * g)), sc[8 * h + g]);
        }
        sumf += r1n_f32(x) * r1n_f16(w + 208) * (float)vaddvq_s32(sumv);
    }
    return sumf;
}
