// AVX2 block dot products after ggml-cpu's ggml_vec_dot_{q8_0,q4_0}_q8_0 and ggml_vec_dot_{q4_K,q6_K}_q8_K.
// Each function carries its own target attribute, so the package builds for any x86-64 (and anything else) and
// picks these at run time; Quant.vecDot's Swift kernels are the tested reference.
#include "R1KernelsC.h"
#include "internal.h"
#include "neon.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define R1_AVX2 __attribute__((target("avx2,fma,f16c")))

int r1c_has_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return cached;
}

R1_AVX2 static inline float f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

R1_AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Σ x·y over 32 signed bytes as 8 float lanes (|x·y| pair sums fit int16 since no operand is -128 with -128).
R1_AVX2 static inline __m256 dot_i8(__m256i x, __m256i y) {
    const __m256i ax = _mm256_sign_epi8(x, x);
    const __m256i sy = _mm256_sign_epi8(y, x);
    const __m256i p = _mm256_maddubs_epi16(ax, sy);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_set1_epi16(1), p));
}

/// The 32 nibbles of 16 bytes in element order: low nibbles, then high nibbles.
R1_AVX2 static inline __m256i nibbles(const uint8_t *p) {
    const __m128i t = _mm_loadu_si128((const __m128i *)p);
    const __m256i b = _mm256_insertf128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
    return _mm256_and_si256(b, _mm256_set1_epi8(0x0F));
}

// MARK: - Q8_0 {d: f16, qs: (32) int8} and Q4_0 {d: f16, qs: (16)} · Q8_0

R1_AVX2 static float dot_q8_0(const uint8_t *w, const uint8_t *x, int nb) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 2 <= nb; i += 2, w += 68, x += 68) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + 2)), x0 = _mm256_loadu_si256((const __m256i *)(x + 2));
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + 36)), x1 = _mm256_loadu_si256((const __m256i *)(x + 36));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w) * f16(x)), dot_i8(w0, x0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w + 34) * f16(x + 34)), dot_i8(w1, x1), acc1);
    }
    for (; i < nb; i++, w += 34, x += 34) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + 2)), x0 = _mm256_loadu_si256((const __m256i *)(x + 2));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w) * f16(x)), dot_i8(w0, x0), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1));
}

R1_AVX2 static float dot_q4_0(const uint8_t *w, const uint8_t *x, int nb) {
    const __m256i eight = _mm256_set1_epi8(8);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 2 <= nb; i += 2, w += 36, x += 68) {
        const __m256i w0 = _mm256_sub_epi8(nibbles(w + 2), eight), x0 = _mm256_loadu_si256((const __m256i *)(x + 2));
        const __m256i w1 = _mm256_sub_epi8(nibbles(w + 20), eight), x1 = _mm256_loadu_si256((const __m256i *)(x + 36));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w) * f16(x)), dot_i8(w0, x0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w + 18) * f16(x + 34)), dot_i8(w1, x1), acc1);
    }
    for (; i < nb; i++, w += 18, x += 34) {
        const __m256i w0 = _mm256_sub_epi8(nibbles(w + 2), eight), x0 = _mm256_loadu_si256((const __m256i *)(x + 2));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w) * f16(x)), dot_i8(w0, x0), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1));
}

// MARK: - Row sweeps with the activation's block scales hoisted: Q4_0 as unsigned nibbles (no sign tricks), the
// "- 8" folded into 8 d_x Σq_x per block, computed once for all rows.

/// d_x (as float) and 8 d_x Σ q_x of every Q8_0 activation block.
R1_AVX2 static void q8_0_scales(const uint8_t *x, int nb, float *xd, float *xc) {
    for (int i = 0; i < nb; i++, x += 34) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(x + 2));
        const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);  // pairs: 1·q, q signed
        const __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        xd[i] = f16(x);
        xc[i] = 8 * xd[i] * (float)_mm_cvtsi128_si32(s);
    }
}

R1_AVX2 static float dot_q4_0_pre(const uint8_t *w, const uint8_t *x, const float *xd, const float *xc, int nb) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float c0 = 0, c1 = 0;
    int i = 0;
    for (; i + 2 <= nb; i += 2, w += 36, x += 68) {
        const __m256i p0 = _mm256_madd_epi16(ones, _mm256_maddubs_epi16(nibbles(w + 2), _mm256_loadu_si256((const __m256i *)(x + 2))));
        const __m256i p1 = _mm256_madd_epi16(ones, _mm256_maddubs_epi16(nibbles(w + 20), _mm256_loadu_si256((const __m256i *)(x + 36))));
        const float d0 = f16(w), d1 = f16(w + 18);
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d0 * xd[i]), _mm256_cvtepi32_ps(p0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d1 * xd[i + 1]), _mm256_cvtepi32_ps(p1), acc1);
        c0 += d0 * xc[i];
        c1 += d1 * xc[i + 1];
    }
    for (; i < nb; i++, w += 18, x += 34) {
        const __m256i p0 = _mm256_madd_epi16(ones, _mm256_maddubs_epi16(nibbles(w + 2), _mm256_loadu_si256((const __m256i *)(x + 2))));
        const float d0 = f16(w);
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d0 * xd[i]), _mm256_cvtepi32_ps(p0), acc0);
        c0 += d0 * xc[i];
    }
    return hsum8(_mm256_add_ps(acc0, acc1)) - (c0 + c1);
}

R1_AVX2 static float dot_q8_0_pre(const uint8_t *w, const uint8_t *x, const float *xd, int nb) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 2 <= nb; i += 2, w += 68, x += 68) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + 2)), x0 = _mm256_loadu_si256((const __m256i *)(x + 2));
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + 36)), x1 = _mm256_loadu_si256((const __m256i *)(x + 36));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w) * xd[i]), dot_i8(w0, x0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w + 34) * xd[i + 1]), dot_i8(w1, x1), acc1);
    }
    for (; i < nb; i++, w += 34, x += 34) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + 2)), x0 = _mm256_loadu_si256((const __m256i *)(x + 2));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w) * xd[i]), dot_i8(w0, x0), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1));
}

// MARK: - Q4_K {d, dmin: f16, scales: (12), qs: (128)} · Q8_K {d: f32, qs: (256), bsums: (16) int16}

/// One Q4_K super-block against one Q8_K block: returns acc + d_x d_w Σ sc q q_x, adds d_x dmin m·bsum to *mins.
R1_AVX2 static inline __m256 q4k_block(const uint8_t *w, const uint8_t *x, const uint32_t u[4], __m256 acc, __m128 *mins) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    float dx;
    memcpy(&dx, x, 4);
    const __m256i sm = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)u));  // 8 scales, 8 mins as int16
    const __m256i bs = _mm256_loadu_si256((const __m256i *)(x + 260));
    const __m128i bs8 = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
    const __m128i mp = _mm_madd_epi16(_mm256_extracti128_si256(sm, 1), bs8);
    *mins = _mm_fmadd_ps(_mm_set1_ps(dx * f16(w + 2)), _mm_cvtepi32_ps(mp), *mins);
    const uint8_t *q4 = w + 16, *q8 = x + 4;
    const __m256i s8 = _mm256_permute2x128_si256(sm, sm, 0x00);  // the 8 scales as int16 in both lanes
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 4; j++, q4 += 32, q8 += 64) {
        const __m256i bits = _mm256_loadu_si256((const __m256i *)q4);
        const __m256i lo = _mm256_and_si256(bits, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
        const __m256i pl = _mm256_madd_epi16(_mm256_shuffle_epi8(s8, _mm256_set1_epi16((short)(0x0100 + 0x0404 * j))),
                                             _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)q8)));
        const __m256i ph = _mm256_madd_epi16(_mm256_shuffle_epi8(s8, _mm256_set1_epi16((short)(0x0302 + 0x0404 * j))),
                                             _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 32))));
        sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
    }
    return _mm256_fmadd_ps(_mm256_set1_ps(dx * f16(w)), _mm256_cvtepi32_ps(sumi), acc);
}

/// `pf`: the decode rows (r1c_dot_rows) prefetch the weights R1C_ROWS_PF ahead (internal.h); the tiles do not.
R1_AVX2 static inline __attribute__((always_inline)) float dot_q4_K_pf(const uint8_t *w, const uint8_t *x, int nb,
                                                                          int pf) {
    __m256 acc = _mm256_setzero_ps();
    __m128 mins = _mm_setzero_ps();
    for (int i = 0; i < nb; i++, w += 144, x += 292) {
        if (pf) r1c_prefetch(w + R1C_ROWS_PF, 144);
        uint32_t u[4];
        r1c_q4k_scales(w + 4, u);
        acc = q4k_block(w, x, u, acc, &mins);
    }
    mins = _mm_add_ps(mins, _mm_movehl_ps(mins, mins));
    mins = _mm_add_ss(mins, _mm_movehdup_ps(mins));
    return hsum8(acc) - _mm_cvtss_f32(mins);
}
R1_AVX2 static float dot_q4_K(const uint8_t *w, const uint8_t *x, int nb) { return dot_q4_K_pf(w, x, nb, 0); }
R1_AVX2 static float row_q4_K(const uint8_t *w, const uint8_t *x, int nb) { return dot_q4_K_pf(w, x, nb, 1); }

// MARK: - Q6_K {ql: (128), qh: (64), scales: (16) int8, d: f16} · Q8_K

/// Byte masks for _mm256_shuffle_epi8 that spread one int16 scale over each 128-bit half: stream m of a half takes
/// scale 2m in its low 16 bytes and 2m + 1 in its high 16 (the input holds the half's 8 scales in both lanes).
static const uint8_t q6k_scale_shuffle[4][32] = {
    {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3},
    {4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7},
    {8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11},
    {12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15},
};

/// Q6_K {ql: (128), qh: (64), scales: (16) int8, d: f16} · Q8_K: d_x d_w Σ_j s_j Σ_(i in j) (q_i - 32) x_i. The -32
/// comes back once per super-block as -32 Σ_j s_j bsum_j (Q8_K's 16-element sums), and each stream's two scales are
/// one shuffle of the super-block's 16 scales widened once, so a stream of 32 weights costs its unpacking, one
/// maddubs, one shuffle, one madd and an add.
R1_AVX2 static inline __attribute__((always_inline)) float dot_q6_K_pf(const uint8_t *w, const uint8_t *x, int nb,
                                                                          int pf) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
    const __m256i sh0 = _mm256_loadu_si256((const __m256i *)q6k_scale_shuffle[0]);
    const __m256i sh1 = _mm256_loadu_si256((const __m256i *)q6k_scale_shuffle[1]);
    const __m256i sh2 = _mm256_loadu_si256((const __m256i *)q6k_scale_shuffle[2]);
    const __m256i sh3 = _mm256_loadu_si256((const __m256i *)q6k_scale_shuffle[3]);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++, w += 210, x += 292) {
        if (pf) r1c_prefetch(w + R1C_ROWS_PF, 210);
        float dx;
        memcpy(&dx, x, 4);
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 192)));
        const __m256i bs = _mm256_loadu_si256((const __m256i *)(x + 260));
        __m256i sumi = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
        for (int h = 0; h < 2; h++) {
            const __m256i sch = h ? _mm256_permute2x128_si256(sc16, sc16, 0x11)  // this half's 8 scales, both lanes
                                  : _mm256_permute2x128_si256(sc16, sc16, 0x00);
            const __m256i b1 = _mm256_loadu_si256((const __m256i *)(w + 64 * h));
            const __m256i b2 = _mm256_loadu_si256((const __m256i *)(w + 64 * h + 32));
            const __m256i bh = _mm256_loadu_si256((const __m256i *)(w + 128 + 32 * h));
            const __m256i q0 = _mm256_or_si256(_mm256_and_si256(b1, m4), _mm256_slli_epi16(_mm256_and_si256(bh, m2), 4));
            const __m256i q1 = _mm256_or_si256(_mm256_and_si256(b2, m4),
                                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 2), m2), 4));
            const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), m4),
                                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 4), m2), 4));
            const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), m4),
                                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 6), m2), 4));
            const uint8_t *q8 = x + 4 + 128 * h;
            const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(q0, _mm256_loadu_si256((const __m256i *)q8)),
                                                 _mm256_shuffle_epi8(sch, sh0));
            const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(q1, _mm256_loadu_si256((const __m256i *)(q8 + 32))),
                                                 _mm256_shuffle_epi8(sch, sh1));
            const __m256i p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(q2, _mm256_loadu_si256((const __m256i *)(q8 + 64))),
                                                 _mm256_shuffle_epi8(sch, sh2));
            const __m256i p3 = _mm256_madd_epi16(_mm256_maddubs_epi16(q3, _mm256_loadu_si256((const __m256i *)(q8 + 96))),
                                                 _mm256_shuffle_epi8(sch, sh3));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_add_epi32(p0, p1), _mm256_add_epi32(p2, p3)));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(dx * f16(w + 208)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum8(acc);
}
R1_AVX2 static float dot_q6_K(const uint8_t *w, const uint8_t *x, int nb) { return dot_q6_K_pf(w, x, nb, 0); }
R1_AVX2 static float row_q6_K(const uint8_t *w, const uint8_t *x, int nb) { return dot_q6_K_pf(w, x, nb, 1); }

// MARK: - Rows and tiles

R1_AVX2 static float dot_one(int type, const uint8_t *w, const uint8_t *x, int nb) {
    switch (type) {
    case R1C_Q8_0: return dot_q8_0(w, x, nb);
    case R1C_Q4_0: return dot_q4_0(w, x, nb);
    case R1C_Q4_K: return dot_q4_K(w, x, nb);
    default: return dot_q6_K(w, x, nb);
    }
}

void r1c_dot_rows(int isa, int type, const void *w, size_t row_bytes, int rows, const void *x, int blocks, float *y) {
    const uint8_t *wp = (const uint8_t *)w;
    if (isa >= 2 && r1c_rows_avx512(type, wp, row_bytes, rows, (const uint8_t *)x, blocks, y)) return;
    if (isa == 1 && r1c2_rows(type, wp, row_bytes, rows, (const uint8_t *)x, blocks, y)) return;  // kernels_avx2_rows.c
    if ((type == R1C_Q8_0 || type == R1C_Q4_0) && blocks <= 4096) {
        float xd[4096], xc[4096];
        q8_0_scales((const uint8_t *)x, blocks, xd, xc);
        if (type == R1C_Q8_0) for (int r = 0; r < rows; r++) y[r] = dot_q8_0_pre(wp + r * row_bytes, x, xd, blocks);
        else for (int r = 0; r < rows; r++) y[r] = dot_q4_0_pre(wp + r * row_bytes, x, xd, xc, blocks);
        return;
    }
    switch (type) {
    case R1C_Q8_0: for (int r = 0; r < rows; r++) y[r] = dot_q8_0(wp + r * row_bytes, x, blocks); break;
    case R1C_Q4_0: for (int r = 0; r < rows; r++) y[r] = dot_q4_0(wp + r * row_bytes, x, blocks); break;
    case R1C_Q4_K: for (int r = 0; r < rows; r++) y[r] = row_q4_K(wp + r * row_bytes, x, blocks); break;
    default: for (int r = 0; r < rows; r++) y[r] = row_q6_K(wp + r * row_bytes, x, blocks); break;
    }
}

/// Tiles run 4 tokens at a time over all `rows` (16 in MatMul): those tokens' activations stay in L1 while the
/// rows' blocks (in L2) pass, instead of every row streaming all T tokens from L3.

/// Q8_0/Q4_0 tile: one weight row's blocks unpacked once, dotted with 4 tokens at a time.
/// Q8_0 (or Q4_0 with very long rows) tile: one row's blocks dotted with 4 tokens, scales converted per block.
R1_AVX2 static void tile_q8_0(int q4, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs,
                              int tokens, int nb, float *y, size_t ys) {
    const __m256i eight = _mm256_set1_epi8(8);
    const size_t wbs = q4 ? 18 : 34;
    int t = 0;
    for (; t + 4 <= tokens; t += 4) {
        const uint8_t *x0 = x + t * xs, *x1 = x0 + xs, *x2 = x1 + xs, *x3 = x2 + xs;
        for (int r = 0; r < rows; r++) {
            const uint8_t *wr = w + r * row_bytes;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < nb; b++) {
                const uint8_t *wb = wr + b * wbs;
                const __m256i q = q4 ? _mm256_sub_epi8(nibbles(wb + 2), eight) : _mm256_loadu_si256((const __m256i *)(wb + 2));
                const float dw = f16(wb);
                const size_t o = 34 * (size_t)b;
                const __m256i aw = _mm256_sign_epi8(q, q);  // sign(w) moved onto x once per token, |w| shared
#define R1_TOK(A, X) A = _mm256_fmadd_ps(_mm256_set1_ps(dw * f16(X + o)), _mm256_cvtepi32_ps(_mm256_madd_epi16( \
                    _mm256_set1_epi16(1), _mm256_maddubs_epi16(aw, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(X + o + 2)), q)))), A)
                R1_TOK(a0, x0); R1_TOK(a1, x1); R1_TOK(a2, x2); R1_TOK(a3, x3);
#undef R1_TOK
            }
            y[t * ys + r] = hsum8(a0);
            y[(t + 1) * ys + r] = hsum8(a1);
            y[(t + 2) * ys + r] = hsum8(a2);
            y[(t + 3) * ys + r] = hsum8(a3);
        }
    }
    for (; t < tokens; t++)
        for (int r = 0; r < rows; r++) {
            const uint8_t *wr = w + r * row_bytes;
            y[t * ys + r] = q4 ? dot_q4_0(wr, x + t * xs, nb) : dot_q8_0(wr, x + t * xs, nb);
        }
}

/// Q4_0 tile with hoisted activation scales (unsigned nibbles, no sign tricks).
R1_AVX2 static void tile_q32(int q4, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs,
                             int tokens, int nb, float *y, size_t ys) {
    const __m256i ones = _mm256_set1_epi16(1);
    const size_t wbs = q4 ? 18 : 34;
    if (!q4 || nb > 1024) {  // Q8_0 (hoisted scales measured slower there), or more blocks than the tables hold
        tile_q8_0(q4, w, row_bytes, rows, x, xs, tokens, nb, y, ys);
        return;
    }
    float xd[4][1024], xc[4][1024];  // per token: d_x and 8 d_x Σq_x of every block, shared by all rows
    int t = 0;
    for (; t + 4 <= tokens; t += 4) {
        const uint8_t *x0 = x + t * xs, *x1 = x0 + xs, *x2 = x1 + xs, *x3 = x2 + xs;
        q8_0_scales(x0, nb, xd[0], xc[0]); q8_0_scales(x1, nb, xd[1], xc[1]);
        q8_0_scales(x2, nb, xd[2], xc[2]); q8_0_scales(x3, nb, xd[3], xc[3]);
        for (int r = 0; r < rows; r++) {
            const uint8_t *wr = w + r * row_bytes;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
            for (int b = 0; b < nb; b++) {
                const uint8_t *wb = wr + b * wbs;
                const float dw = f16(wb);
                const size_t o = 34 * (size_t)b + 2;
                {
                    // unsigned nibbles straight into vpmaddubsw; the -8 comes back as dw · 8 d_x Σq_x
                    const __m256i q = nibbles(wb + 2);
#define R1_TOK(A, X, K) A = _mm256_fmadd_ps(_mm256_set1_ps(dw * xd[K][b]), _mm256_cvtepi32_ps(_mm256_madd_epi16(ones, \
                    _mm256_maddubs_epi16(q, _mm256_loadu_si256((const __m256i *)(X + o))))), A)
                    R1_TOK(a0, x0, 0); R1_TOK(a1, x1, 1); R1_TOK(a2, x2, 2); R1_TOK(a3, x3, 3);
#undef R1_TOK
                    c0 += dw * xc[0][b]; c1 += dw * xc[1][b]; c2 += dw * xc[2][b]; c3 += dw * xc[3][b];
                }
            }
            y[t * ys + r] = hsum8(a0) - c0;
            y[(t + 1) * ys + r] = hsum8(a1) - c1;
            y[(t + 2) * ys + r] = hsum8(a2) - c2;
            y[(t + 3) * ys + r] = hsum8(a3) - c3;
        }
    }
    for (; t < tokens; t++)
        for (int r = 0; r < rows; r++) {
            const uint8_t *wr = w + r * row_bytes;
            y[t * ys + r] = q4 ? dot_q4_0(wr, x + t * xs, nb) : dot_q8_0(wr, x + t * xs, nb);
        }
}

/// Q4_K tile: each super-block's scales and nibbles unpacked once, dotted with 4 tokens.
R1_AVX2 static void tile_q4_K(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                              int nb, float *y, size_t ys) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    int t = 0;
    for (; t + 4 <= tokens; t += 4) {
        for (int r = 0; r < rows; r++) {
            const uint8_t *wr = w + r * row_bytes;
            __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
            __m128 accm[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
            for (int b = 0; b < nb; b++) {
                const uint8_t *wb = wr + 144 * (size_t)b;
                // the next row's block while this one computes, for few-token calls (batched decode: weights stream
                // from memory once); with many tokens the rows are in cache after the first group
                if (tokens < 32)
                    for (int l = 0; l < 3; l++) _mm_prefetch((const char *)(wb + row_bytes + 64 * l), _MM_HINT_T0);
                uint32_t u[4];
                r1c_q4k_scales(wb + 4, u);
                const uint8_t *sc = (const uint8_t *)u;
                const __m128i mn = _mm256_extracti128_si256(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)u)), 1);
                __m256i q[8], s[8];
                for (int j = 0; j < 4; j++) {
                    const __m256i bits = _mm256_loadu_si256((const __m256i *)(wb + 16 + 32 * j));
                    q[2 * j] = _mm256_and_si256(bits, m4);
                    q[2 * j + 1] = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
                    s[2 * j] = _mm256_set1_epi16(sc[2 * j]);
                    s[2 * j + 1] = _mm256_set1_epi16(sc[2 * j + 1]);
                }
                const float d = f16(wb), dmin = f16(wb + 2);
                for (int k = 0; k < 4; k++) {
                    const uint8_t *xb = x + (t + k) * xs + 292 * (size_t)b;
                    float dx;
                    memcpy(&dx, xb, 4);
                    __m256i sumi = _mm256_setzero_si256();
                    for (int j = 0; j < 8; j++)
                        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(s[j], _mm256_maddubs_epi16(q[j],
                                                _mm256_loadu_si256((const __m256i *)(xb + 4 + 32 * j)))));
                    acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dx * d), _mm256_cvtepi32_ps(sumi), acc[k]);
                    const __m256i bs = _mm256_loadu_si256((const __m256i *)(xb + 260));
                    const __m128i mp = _mm_madd_epi16(mn, _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1)));
                    accm[k] = _mm_fmadd_ps(_mm_set1_ps(dx * dmin), _mm_cvtepi32_ps(mp), accm[k]);
                }
            }
            for (int k = 0; k < 4; k++) {
                __m128 m = _mm_add_ps(accm[k], _mm_movehl_ps(accm[k], accm[k]));
                m = _mm_add_ss(m, _mm_movehdup_ps(m));
                y[(t + k) * ys + r] = hsum8(acc[k]) - _mm_cvtss_f32(m);
            }
        }
    }
    for (; t < tokens; t++)
        for (int r = 0; r < rows; r++) y[t * ys + r] = dot_q4_K(w + r * row_bytes, x + t * xs, nb);
}

/// Q6_K tile: each super-block's 6-bit values and scales unpacked once per half, dotted with 4 tokens.
R1_AVX2 static void tile_q6_K(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                              int nb, float *y, size_t ys) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3), m32 = _mm256_set1_epi8(32);
    int t = 0;
    for (; t + 4 <= tokens; t += 4) {
        for (int r = 0; r < rows; r++) {
            const uint8_t *wr = w + r * row_bytes;
            __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
            for (int b = 0; b < nb; b++) {
                const uint8_t *wb = wr + 210 * (size_t)b;
                if (tokens < 32)
                    for (int l = 0; l < 4; l++) _mm_prefetch((const char *)(wb + row_bytes + 64 * l), _MM_HINT_T0);
                const int8_t *sc = (const int8_t *)(wb + 192);
                __m256i sumi[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
                for (int h = 0; h < 2; h++) {
                    const __m256i b1 = _mm256_loadu_si256((const __m256i *)(wb + 64 * h));
                    const __m256i b2 = _mm256_loadu_si256((const __m256i *)(wb + 64 * h + 32));
                    const __m256i bh = _mm256_loadu_si256((const __m256i *)(wb + 128 + 32 * h));
                    __m256i q[4], s[4];
                    q[0] = _mm256_or_si256(_mm256_and_si256(b1, m4), _mm256_slli_epi16(_mm256_and_si256(bh, m2), 4));
                    q[1] = _mm256_or_si256(_mm256_and_si256(b2, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 2), m2), 4));
                    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), m4),
                                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 4), m2), 4));
                    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), m4),
                                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 6), m2), 4));
                    for (int j = 0; j < 4; j++)
                        s[j] = _mm256_set_m128i(_mm_set1_epi16(sc[8 * h + 2 * j + 1]), _mm_set1_epi16(sc[8 * h + 2 * j]));
                    for (int k = 0; k < 4; k++) {
                        const uint8_t *q8 = x + (t + k) * xs + 292 * (size_t)b + 4 + 128 * h;
                        for (int j = 0; j < 4; j++) {
                            const __m256i xv = _mm256_loadu_si256((const __m256i *)(q8 + 32 * j));
                            const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q[j], xv), _mm256_maddubs_epi16(m32, xv));
                            sumi[k] = _mm256_add_epi32(sumi[k], _mm256_madd_epi16(s[j], p));
                        }
                    }
                }
                const float d = f16(wb + 208);
                for (int k = 0; k < 4; k++) {
                    float dx;
                    memcpy(&dx, x + (t + k) * xs + 292 * (size_t)b, 4);
                    acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dx * d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
                }
            }
            for (int k = 0; k < 4; k++) y[(t + k) * ys + r] = hsum8(acc[k]);
        }
    }
    for (; t < tokens; t++)
        for (int r = 0; r < rows; r++) y[t * ys + r] = dot_q6_K(w + r * row_bytes, x + t * xs, nb);
}

void r1c_dot_tile(int isa, int type, const void *w, size_t row_bytes, int rows, const void *x, size_t x_stride,
                  int tokens, int blocks, float *y, size_t y_stride) {
    const uint8_t *wp = (const uint8_t *)w, *xp = (const uint8_t *)x;
    if (isa >= 2 && r1c_tile_avx512(type, wp, row_bytes, rows, xp, x_stride, tokens, blocks, y, y_stride)) return;
    // AVX2 without AVX-512: rows in lanes (kernels_avx2_lanes.c); the tiles below stay the 512-bit path's fallback
    if (isa == 1 && r1c2_tile_lanes(type, wp, row_bytes, rows, xp, x_stride, tokens, blocks, y, y_stride)) return;
    if (type == R1C_Q8_0 || type == R1C_Q4_0) {
        tile_q32(type == R1C_Q4_0, wp, row_bytes, rows, xp, x_stride, tokens, blocks, y, y_stride);
        return;
    }
    if (type == R1C_Q4_K) {
        tile_q4_K(wp, row_bytes, rows, xp, x_stride, tokens, blocks, y, y_stride);
        return;
    }
    if (type == R1C_Q6_K) {
        tile_q6_K(wp, row_bytes, rows, xp, x_stride, tokens, blocks, y, y_stride);
        return;
    }
    for (int r = 0; r < rows; r++)
        for (int t = 0; t < tokens; t++) y[t * y_stride + r] = dot_one(type, wp + r * row_bytes, xp + t * x_stride, blocks);
}

#elif defined(__aarch64__)  // NEON / dotprod / i8mm: kernels_neon.c

int r1c_has_avx2(void) { return 0; }
void r1c_dot_rows(int isa, int type, const void *w, size_t row_bytes, int rows, const void *x, int blocks, float *y) {
    r1c_neon_dot_rows(isa, type, (const uint8_t *)w, row_bytes, rows, (const uint8_t *)x, blocks, y);
}
void r1c_dot_tile(int isa, int type, const void *w, size_t row_bytes, int rows, const void *x, size_t x_stride,
                  int tokens, int blocks, float *y, size_t y_stride) {
    r1c_neon_dot_tile(isa, type, (const uint8_t *)w, row_bytes, rows, (const uint8_t *)x, x_stride, tokens, blocks, y,
                      y_stride);
}

#else  // neither: the Swift kernels do the work

int r1c_has_avx2(void) { return 0; }
void r1c_dot_rows(int isa, int type, const void *w, size_t row_bytes, int rows, const void *x, int blocks, float *y) {
    (void)isa; (void)type; (void)w; (void)row_bytes; (void)rows; (void)x; (void)blocks; (void)y;
}
void r1c_dot_tile(int isa, int type, const void *w, size_t row_bytes, int rows, const void *x, size_t x_stride,
                  int tokens, int blocks, float *y, size_t y_stride) {
    (void)isa; (void)type; (void)w; (void)row_bytes; (void)rows; (void)x; (void)x_stride; (void)tokens; (void)blocks; (void)y;
    (void)y_stride;
}
#endif
