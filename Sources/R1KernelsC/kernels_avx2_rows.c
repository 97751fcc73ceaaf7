// AVX2 decode rows (one activation row) for Q4_0 and Q8_0 weights · Q8_0 activations, for CPUs without AVX-512 (see
// internal.h for the contract): four blocks' integer dots are folded by a horizontal-add tree into one vector, so the
// per-block scales d_w (four f16 converted at once) and d_x (hoisted for all rows) cost one convert and one FMA per
// four blocks instead of a scalar conversion, a broadcast and an FMA per block. Q4_0's nibbles go in unsigned; the -8
// comes back as d_w · 8 d_x Σx per block. Tested against QuantReference.vecDot (CKernelTests, at isa 1) like the
// rows in kernels.c (dot_q4_0_pre / dot_q8_0_pre), which they replace at isa 1; scripts/bench/tiles/tile_bench_lanes.c
// times both.
#include "R1KernelsC.h"
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <string.h>

#define R1_AVX2R __attribute__((target("avx2,fma,f16c")))
#define R1_INLINE static inline __attribute__((always_inline))

enum { ROWS_MAX_NB = 4096 };  // blocks per row the stack tables hold (K = 131072); longer rows: kernels.c's rows

/// d_x and 8 d_x Σx of every Q8_0 activation block (the second for Q4_0 only).
R1_AVX2R static void rows_terms(int q4, const uint8_t *x, int nb, float *xd, float *xc) {
    const __m256i one8 = _mm256_set1_epi8(1), one16 = _mm256_set1_epi16(1);
    for (int b = 0; b < nb; b++) {
        uint16_t h;
        memcpy(&h, x + 34 * (size_t)b, 2);
        xd[b] = _cvtsh_ss(h);
        if (q4) {
            const __m256i s32 = _mm256_madd_epi16(_mm256_maddubs_epi16(one8, _mm256_loadu_si256((const __m256i *)(x + 34 * (size_t)b + 2))), one16);
            __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
            xc[b] = 8 * xd[b] * (float)_mm_cvtsi128_si32(s);
        }
    }
}

R1_AVX2R R1_INLINE __m128 half4(const uint8_t *p, size_t stride) {
    uint16_t h[4];
    for (int i = 0; i < 4; i++) memcpy(h + i, p + i * stride, 2);
    return _mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)h));
}

/// The int32 dot (8 lanes of partial sums) of one block with the activation block at xb: Q4_0 nibbles unsigned
/// (vbroadcasti128 then a 64-bit shift of the high half: low nibbles are elements 0..15, high 16..31), Q8_0 signed.
R1_AVX2R R1_INLINE __m256i block_dot(int q4, const uint8_t *wb, const uint8_t *xb) {
    const __m256i x = _mm256_loadu_si256((const __m256i *)(xb + 2));
    if (q4) {
        const __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(wb + 2)));
        const __m256i q = _mm256_and_si256(_mm256_srlv_epi64(v, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0F));
        return _mm256_madd_epi16(_mm256_maddubs_epi16(q, x), _mm256_set1_epi16(1));
    }
    const __m256i w = _mm256_loadu_si256((const __m256i *)(wb + 2));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(x, w)), _mm256_set1_epi16(1));
}

R1_AVX2R R1_INLINE float row_dot(const int q4, const uint8_t *w, const uint8_t *x, const float *xd, const float *xc,
                                 int nb) {
    const size_t wbs = q4 ? 18 : 34;
    __m256 acc = _mm256_setzero_ps();
    __m128 accc = _mm_setzero_ps();
    int b = 0;
    for (; b + 4 <= nb; b += 4) {
        const uint8_t *wb = w + wbs * (size_t)b, *xb = x + 34 * (size_t)b;
        r1c_prefetch(wb + R1C_ROWS_PF, 4 * wbs);
        const __m256i p0 = block_dot(q4, wb, xb), p1 = block_dot(q4, wb + wbs, xb + 34);
        const __m256i p2 = block_dot(q4, wb + 2 * wbs, xb + 68), p3 = block_dot(q4, wb + 3 * wbs, xb + 102);
        // lanes [b0 b1 b2 b3 | b0 b1 b2 b3], each half a partial sum of its block
        const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
        const __m128 dw = half4(wb, wbs);
        const __m128 s = _mm_mul_ps(dw, _mm_loadu_ps(xd + b));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(h), _mm256_set_m128(s, s), acc);
        if (q4) accc = _mm_fmadd_ps(dw, _mm_loadu_ps(xc + b), accc);
    }
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    r = _mm_sub_ps(r, accc);
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    float sum = _mm_cvtss_f32(r);
    for (; b < nb; b++) {
        const uint8_t *wb = w + wbs * (size_t)b;
        const __m256i p = block_dot(q4, wb, x + 34 * (size_t)b);
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
        uint16_t hb;
        memcpy(&hb, wb, 2);
        const float dw = _cvtsh_ss(hb);
        sum += dw * xd[b] * (float)_mm_cvtsi128_si32(s4) - (q4 ? dw * xc[b] : 0);
    }
    return sum;
}

R1_AVX2R static float row_q4_0(const uint8_t *w, const uint8_t *x, const float *xd, const float *xc, int nb) {
    return row_dot(1, w, x, xd, xc, nb);
}
R1_AVX2R static float row_q8_0(const uint8_t *w, const uint8_t *x, const float *xd, const float *xc, int nb) {
    return row_dot(0, w, x, xd, xc, nb);
}

int r1c2_rows(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y) {
    if ((type != R1C_Q4_0 && type != R1C_Q8_0) || nb > ROWS_MAX_NB) return 0;
    float xd[ROWS_MAX_NB], xc[ROWS_MAX_NB];
    const int q4 = type == R1C_Q4_0;
    rows_terms(q4, x, nb, xd, xc);
    for (int r = 0; r < rows; r++)
        y[r] = q4 ? row_q4_0(w + r * row_bytes, x, xd, xc, nb) : row_q8_0(w + r * row_bytes, x, xd, xc, nb);
    return 1;
}
#endif
