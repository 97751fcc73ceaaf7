// AVX-512 (VNNI) prefill tiles for Q8_0 and Q4_0 weights · Q8_0 activations and F16 weights · f32 activations (see
// internal.h for the contract). Their tested references are the AVX2 tiles in kernels.c (tile_q32 / tile_q8_0) and
// the Swift MatMul.f16Tile / MatMul.reference (Tests/R1KernelsTests/AVX512TileTests.swift).
//
// Q8_0 / Q4_0 scheme. vpdpbusd multiplies unsigned by signed bytes, 64 products into 16 int32 lanes. Per call the
// (≤ 16) weight rows are repacked once into signed bytes (Q4_0: nibble - 8), and per group of 4 tokens the
// activations into unsigned bytes x + 128 (x XOR 0x80), so Σ (x + 128) w = Σ x w + 128 Σ w: the 128 Σ w term is
// taken back at the end as Σ_b (128 d_w Σ w)_b · d_x,b, a float dot over blocks (wc · dx below).
// Both sides interleave a block pair (A, B) by 4-byte groups (A0..3 B0..3 A4..7 B4..7 ...), so lane i of a dpbusd
// belongs to block i % 2 and the pair's scales are one 64-bit broadcast (d_A, d_B, d_A, d_B, ...).
// Per 64 products and row·token: vpdpbusd, vcvtdq2ps, vmulps (d_w · d_x), vfmadd; 4 rows × 4 tokens in registers.
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define R1_INLINE static inline __attribute__((always_inline))

/// Per-thread scratch, grown on demand and kept (the tiles run on the matmul pool's threads).
typedef struct {
    void *p;
    size_t cap;
} scratch;
static _Thread_local scratch scratch_w, scratch_x;

static void *scratch_get(scratch *s, size_t n) {
    n = (n + 63) & ~(size_t)63;
    if (s->cap < n) {
        free(s->p);
        s->p = aligned_alloc(64, n);
        s->cap = s->p ? n : 0;
    }
    return s->p;
}

R1_AVX512 R1_INLINE float half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// Dword indices that interleave two 32-byte blocks held in the low halves of a and b (vpermt2d).
R1_AVX512 R1_INLINE __m512i pair_index(void) {
    return _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
}

R1_AVX512 R1_INLINE __m512i pair(__m256i a, __m256i b) {
    return _mm512_permutex2var_epi32(_mm512_castsi256_si512(a), pair_index(), _mm512_castsi256_si512(b));
}

/// The 32 signed weights of one block: Q8_0 as stored, Q4_0 nibbles (low 16, then high 16) minus 8.
R1_AVX512 R1_INLINE __m256i block_w(int q4, const uint8_t *b) {
    if (!q4) return _mm256_loadu_si256((const __m256i *)(b + 2));
    const __m128i t = _mm_loadu_si128((const __m128i *)(b + 2));
    const __m256i n = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1),
                                       _mm256_set1_epi8(0x0F));
    return _mm256_sub_epi8(n, _mm256_set1_epi8(8));
}

/// Repacked rows: for each row, np pairs of 64 interleaved bytes, then nq floats d_w and nq floats 128 d_w Σw
/// (zero past nb; nq = nb rounded up to 16).
R1_AVX512 static void repack_w(int q4, const uint8_t *w, size_t row_bytes, int rows, int nb, uint8_t *out,
                               size_t stride, int nq) {
    const size_t wbs = q4 ? 18 : 34;
    const int np = (nb + 1) / 2;
    const __m512i ones = _mm512_set1_epi8(1);
    for (int r = 0; r < rows; r++) {
        const uint8_t *wr = w + r * row_bytes;
        uint8_t *o = out + r * stride;
        float *dw = (float *)(o + 64 * (size_t)np), *wc = dw + nq;
        for (int p = 0; p < np; p++) {
            const int b = 2 * p;
            const __m256i a = block_w(q4, wr + b * wbs);
            const __m256i c = b + 1 < nb ? block_w(q4, wr + (b + 1) * wbs) : _mm256_setzero_si256();
            const __m512i v = pair(a, c);
            _mm512_store_si512((__m512i *)(o + 64 * (size_t)p), v);
            // Σw per block: dpbusd with ones gives 4-byte sums, even lanes block A, odd lanes block B
            const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, v);
            dw[b] = half(wr + b * wbs);
            wc[b] = 128.0f * dw[b] * (float)_mm512_mask_reduce_add_epi32(0x5555, s);
            if (b + 1 < nb) {
                dw[b + 1] = half(wr + (b + 1) * wbs);
                wc[b + 1] = 128.0f * dw[b + 1] * (float)_mm512_mask_reduce_add_epi32(0xAAAA, s);
            }
        }
        for (int b = nb; b < nq; b++) dw[b] = wc[b] = 0;
    }
}

/// Repacked activations of one token: np pairs of 64 interleaved bytes x + 128, then nq floats d_x (zero past nb).
R1_AVX512 static void repack_x(const uint8_t *x, int nb, uint8_t *o, int nq) {
    const int np = (nb + 1) / 2;
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    float *dx = (float *)(o + 64 * (size_t)np);
    for (int p = 0; p < np; p++) {
        const int b = 2 * p;
        const __m256i a = _mm256_loadu_si256((const __m256i *)(x + 34 * b + 2));
        // a missing block B gets x = -128 (0 after the bias), against zero weights and zero scales
        const __m256i c = b + 1 < nb ? _mm256_loadu_si256((const __m256i *)(x + 34 * b + 36)) : _mm256_set1_epi8((char)0x80);
        _mm512_store_si512((__m512i *)(o + 64 * (size_t)p), _mm512_xor_si512(pair(a, c), bias));
    }
    for (int b = 0; b < nb; b++) dx[b] = half(x + 34 * b);
    for (int b = nb; b < nq; b++) dx[b] = 0;
}

/// R rows × C tokens (R, C ≤ 4, compile-time after inlining): y[t·ys + r] = Σ d_w d_x Σ(x+128)w - Σ wc·dx.
R1_AVX512 R1_INLINE void q_kernel(const int R, const int C, const uint8_t *wq, size_t wstride, const uint8_t *xq,
                                  size_t xstride, int np, int nq, float *y, size_t ys) {
    __m512 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < C; t++) acc[r][t] = _mm512_setzero_ps();
    const size_t so = 64 * (size_t)np;  // offset of the scales after the bytes
    for (int p = 0; p < np; p++) {
        __m512i xv[4];
        __m512 xs[4];
        for (int t = 0; t < C; t++) {
            const uint8_t *xt = xq + t * xstride;
            xv[t] = _mm512_load_si512((const __m512i *)(xt + 64 * (size_t)p));
            xs[t] = _mm512_castpd_ps(_mm512_set1_pd(*(const double *)(xt + so + 8 * (size_t)p)));
        }
        for (int r = 0; r < R; r++) {
            const uint8_t *wr = wq + r * wstride;
            const __m512i wv = _mm512_load_si512((const __m512i *)(wr + 64 * (size_t)p));
            const __m512 ws = _mm512_castpd_ps(_mm512_set1_pd(*(const double *)(wr + so + 8 * (size_t)p)));
            for (int t = 0; t < C; t++) {
                const __m512i i = _mm512_dpbusd_epi32(_mm512_setzero_si512(), xv[t], wv);
                acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), _mm512_mul_ps(ws, xs[t]), acc[r][t]);
            }
        }
    }
    // the 128 Σw terms: Σ_b wc_b dx_b, folded in before the one horizontal sum
    for (int r = 0; r < R; r++) {
        const float *wc = (const float *)(wq + r * wstride + so) + nq;
        for (int t = 0; t < C; t++) {
            const float *dx = (const float *)(xq + t * xstride + so);
            __m512 a = acc[r][t];
            for (int b = 0; b < nq; b += 16) a = _mm512_fnmadd_ps(_mm512_load_ps(wc + b), _mm512_load_ps(dx + b), a);
            y[t * ys + r] = _mm512_reduce_add_ps(a);
        }
    }
}

#define R1_QK(R, C)                                                                                                    \
    R1_AVX512 static void q_kernel_##R##_##C(const uint8_t *wq, size_t wstride, const uint8_t *xq, size_t xstride,    \
                                             int np, int nq, float *y, size_t ys) {                                   \
        q_kernel(R, C, wq, wstride, xq, xstride, np, nq, y, ys);                                                       \
    }
R1_QK(4, 4) R1_QK(4, 3) R1_QK(4, 2) R1_QK(4, 1) R1_QK(1, 4) R1_QK(1, 3) R1_QK(1, 2) R1_QK(1, 1)
#undef R1_QK

typedef void (*q_kernel_fn)(const uint8_t *, size_t, const uint8_t *, size_t, int, int, float *, size_t);

R1_AVX512 static int tile_q(int q4, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs,
                            int tokens, int nb, float *y, size_t ys) {
    static const q_kernel_fn k4[5] = {0, q_kernel_4_1, q_kernel_4_2, q_kernel_4_3, q_kernel_4_4};
    static const q_kernel_fn k1[5] = {0, q_kernel_1_1, q_kernel_1_2, q_kernel_1_3, q_kernel_1_4};
    if (nb <= 0 || rows <= 0 || tokens <= 0) return nb > 0;
    const int np = (nb + 1) / 2, nq = (nb + 15) / 16 * 16;
    const size_t stride = 64 * (size_t)np + 8 * (size_t)nq;  // bytes of one repacked row or token (64-aligned)
    uint8_t *wq = scratch_get(&scratch_w, stride * rows), *xq = scratch_get(&scratch_x, stride * 4);
    if (!wq || !xq) return 0;
    repack_w(q4, w, row_bytes, rows, nb, wq, stride, nq);
    for (int t = 0; t < tokens; t += 4) {
        const int c = tokens - t < 4 ? tokens - t : 4;
        for (int k = 0; k < c; k++) repack_x(x + (t + k) * xs, nb, xq + k * stride, nq);
        int r = 0;
        for (; r + 4 <= rows; r += 4) k4[c](wq + r * stride, stride, xq, stride, np, nq, y + t * ys + r, ys);
        for (; r < rows; r++) k1[c](wq + r * stride, stride, xq, stride, np, nq, y + t * ys + r, ys);
    }
    return 1;
}

// MARK: - Rows in lanes (prompts): the 16 rows' block b as 8 zmm of unsigned bytes, lane j = 4 bytes of row j, and
// each token's signed activation bytes broadcast 4 at a time straight from the Q8_0 row (vpdpbusd's m32bcst operand):
// 8 vpdpbusd build 16 rows' block dots, then one convert, scale product and FMA serve them all (the pair scheme
// above spends those three per 2 blocks of one row·token). The bias moves to the activations here: Q8_0 weights are
// stored as w + 128 and Q4_0 as bare nibbles (w + 8), so each dot starts from -128 Σx (Q8_0) or -8 Σx (Q4_0).

enum { LANE_TOKENS = 8, LANE_MIN_TOKENS = 8 };

/// Repacked rows: per block, 8 zmm of bytes (lane j = row j, zero past `rows`), then 16 floats d_w.
R1_AVX512 static void repack_lanes(int q4, const uint8_t *w, size_t row_bytes, int rows, int nb, uint8_t *out) {
    const size_t wbs = q4 ? 18 : 34;
    memset(out, 0, 576 * (size_t)nb);
    for (int r = 0; r < rows; r++) {
        const uint8_t *wr = w + r * row_bytes;
        for (int b = 0; b < nb; b++) {
            uint8_t *o = out + 576 * (size_t)b;
            uint32_t q[8];
            const __m256i v = block_w(q4, wr + b * wbs);  // signed; the unsigned form is v + 128 (Q8_0), v + 8 (Q4_0)
            _mm256_storeu_si256((__m256i *)q, _mm256_add_epi8(v, _mm256_set1_epi8(q4 ? 8 : (char)0x80)));
            for (int k = 0; k < 8; k++) memcpy(o + 64 * k + 4 * r, &q[k], 4);
            ((float *)(o + 512))[r] = half(wr + b * wbs);
        }
    }
}

/// Per block of one token: d_x and -c Σx (c = 128 for Q8_0, 8 for Q4_0), 8 blocks per horizontal-add tree.
R1_AVX512 static void lane_scales(const uint8_t *x, int nb, int c, float *dx, int32_t *bias) {
    const __m256i ones = _mm256_set1_epi8(1);
    int b = 0;
    for (; b + 8 <= nb; b += 8) {
        __m256i s[8];
        for (int i = 0; i < 8; i++)
            s[i] = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, _mm256_loadu_si256((const __m256i *)(x + 34 * (b + i) + 2)));
        const __m256i h0 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
        const __m256i h1 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
        const __m256i t = _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20), _mm256_permute2x128_si256(h0, h1, 0x31));
        _mm256_storeu_si256((__m256i *)(bias + b), _mm256_mullo_epi32(t, _mm256_set1_epi32(-c)));
    }
    for (; b < nb; b++) {
        int sum = 0;
        for (int i = 0; i < 32; i++) sum += (int8_t)x[34 * b + 2 + i];
        bias[b] = -c * sum;
    }
    for (b = 0; b < nb; b++) dx[b] = half(x + 34 * b);
}

/// C tokens (≤ LANE_TOKENS, compile-time after inlining) × the 16 lanes' rows; y rows masked to `rmask`.
R1_AVX512 R1_INLINE void lane_kernel(const int C, const uint8_t *wq, const uint8_t *x, size_t xs, const float *dx,
                                     const int32_t *bias, int nb, float *y, size_t ys, __mmask16 rmask) {
    __m512 acc[LANE_TOKENS];
    for (int t = 0; t < C; t++) acc[t] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *o = wq + 576 * (size_t)b;
        __m512i wv[8];
        for (int k = 0; k < 8; k++) wv[k] = _mm512_load_si512((const __m512i *)(o + 64 * k));
        const __m512 dw = _mm512_load_ps((const float *)(o + 512));
#pragma clang loop unroll(full)
        for (int t = 0; t < C; t++) {
            const uint8_t *xb = x + t * xs + 34 * (size_t)b + 2;
            // two chains of 4 (shorter latency), joined before the convert
            __m512i i0 = _mm512_set1_epi32(bias[t * nb + b]), i1 = _mm512_setzero_si512();
            for (int k = 0; k < 8; k += 2) {
                int32_t q0, q1;
                memcpy(&q0, xb + 4 * k, 4);
                memcpy(&q1, xb + 4 * k + 4, 4);
                i0 = _mm512_dpbusd_epi32(i0, wv[k], _mm512_set1_epi32(q0));
                i1 = _mm512_dpbusd_epi32(i1, wv[k + 1], _mm512_set1_epi32(q1));
            }
            const __m512 s = _mm512_mul_ps(dw, _mm512_set1_ps(dx[t * nb + b]));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(i0, i1)), s, acc[t]);
        }
    }
    for (int t = 0; t < C; t++) _mm512_mask_storeu_ps(y + t * ys, rmask, acc[t]);
}

#define R1_LK(C)                                                                                                       \
    R1_AVX512 static void lane_kernel_##C(const uint8_t *wq, const uint8_t *x, size_t xs, const float *dx,            \
                                          const int32_t *bias, int nb, float *y, size_t ys, __mmask16 rmask) {         \
        lane_kernel(C, wq, x, xs, dx, bias, nb, y, ys, rmask);                                                         \
    }
R1_LK(1) R1_LK(2) R1_LK(3) R1_LK(4) R1_LK(5) R1_LK(6) R1_LK(7) R1_LK(8)
#undef R1_LK

typedef void (*lane_kernel_fn)(const uint8_t *, const uint8_t *, size_t, const float *, const int32_t *, int, float *,
                               size_t, __mmask16);

R1_AVX512 static int tile_lanes(int q4, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs,
                                int tokens, int nb, float *y, size_t ys) {
    static const lane_kernel_fn kn[LANE_TOKENS + 1] = {0, lane_kernel_1, lane_kernel_2, lane_kernel_3, lane_kernel_4,
                                                       lane_kernel_5, lane_kernel_6, lane_kernel_7, lane_kernel_8};
    uint8_t *wq = scratch_get(&scratch_w, 576 * (size_t)nb);
    uint8_t *sc = scratch_get(&scratch_x, 8 * (size_t)nb * LANE_TOKENS);
    if (!wq || !sc) return 0;
    float *dx = (float *)sc;
    int32_t *bias = (int32_t *)(sc + 4 * (size_t)nb * LANE_TOKENS);
    repack_lanes(q4, w, row_bytes, rows, nb, wq);
    const __mmask16 rmask = (__mmask16)((1u << rows) - 1);
    for (int t = 0; t < tokens; t += LANE_TOKENS) {
        const int c = tokens - t < LANE_TOKENS ? tokens - t : LANE_TOKENS;
        for (int k = 0; k < c; k++) lane_scales(x + (t + k) * xs, nb, q4 ? 8 : 128, dx + k * nb, bias + k * nb);
        kn[c](wq, x + t * xs, xs, dx, bias, nb, y + t * ys, ys, rmask);
    }
    return 1;
}

int r1c512_tile_q8_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    if (tokens >= LANE_MIN_TOKENS && rows <= 16) return tile_lanes(0, w, row_bytes, rows, x, xs, tokens, nb, y, ys);
    return tile_q(0, w, row_bytes, rows, x, xs, tokens, nb, y, ys);
}

int r1c512_tile_q4_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    if (tokens >= LANE_MIN_TOKENS && rows <= 16) return tile_lanes(1, w, row_bytes, rows, x, xs, tokens, nb, y, ys);
    return tile_q(1, w, row_bytes, rows, x, xs, tokens, nb, y, ys);
}

// MARK: - F16 weights · f32 activations: R rows × C tokens of zmm accumulators, 16 columns a step (vcvtph2ps once
// per row, shared by the C tokens); rows in blocks of 16, columns in chunks so a chunk of 4 tokens stays in L1.

enum { F16_ROWS = 16, F16_KC = 1024 };

/// acc (or y, when `add`) for R rows × C tokens over columns [k0, k1).
R1_AVX512 R1_INLINE void f16_kernel(const int R, const int C, const uint8_t *w, size_t row_bytes, const float *x,
                                    int cols, int k0, int k1, int add, float *y, size_t ys) {
    __m512 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < C; t++) acc[r][t] = _mm512_setzero_ps();
    for (int k = k0; k < k1; k += 16) {
        __m512 xv[4];
        for (int t = 0; t < C; t++) xv[t] = _mm512_loadu_ps(x + t * (size_t)cols + k);
        for (int r = 0; r < R; r++) {
            const __m512 wv = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + r * row_bytes + 2 * (size_t)k)));
            for (int t = 0; t < C; t++) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < C; t++) {
            const float s = _mm512_reduce_add_ps(acc[r][t]);
            y[t * ys + r] = add ? y[t * ys + r] + s : s;
        }
}

#define R1_FK(R, C)                                                                                                    \
    R1_AVX512 static void f16_kernel_##R##_##C(const uint8_t *w, size_t row_bytes, const float *x, int cols, int k0,  \
                                               int k1, int add, float *y, size_t ys) {                                \
        f16_kernel(R, C, w, row_bytes, x, cols, k0, k1, add, y, ys);                                                   \
    }
R1_FK(4, 4) R1_FK(4, 3) R1_FK(4, 2) R1_FK(4, 1) R1_FK(1, 4) R1_FK(1, 3) R1_FK(1, 2) R1_FK(1, 1)
#undef R1_FK

typedef void (*f16_kernel_fn)(const uint8_t *, size_t, const float *, int, int, int, int, float *, size_t);

int r1c512_f16_tile(const uint8_t *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                    size_t ys) {
    static const f16_kernel_fn f4[5] = {0, f16_kernel_4_1, f16_kernel_4_2, f16_kernel_4_3, f16_kernel_4_4};
    static const f16_kernel_fn f1[5] = {0, f16_kernel_1_1, f16_kernel_1_2, f16_kernel_1_3, f16_kernel_1_4};
    if (cols % 16 != 0) return 0;
    for (int rb = 0; rb < rows; rb += F16_ROWS) {
        const int re = rows - rb < F16_ROWS ? rows : rb + F16_ROWS;
        for (int k0 = 0; k0 < cols; k0 += F16_KC) {
            const int ke = cols - k0 < F16_KC ? cols : k0 + F16_KC;
            for (int t = 0; t < tokens; t += 4) {
                const int c = tokens - t < 4 ? tokens - t : 4;
                const float *xt = x + t * (size_t)cols;
                int r = rb;
                for (; r + 4 <= re; r += 4)
                    f4[c](w + r * row_bytes, row_bytes, xt, cols, k0, ke, k0 > 0, y + t * ys + r, ys);
                for (; r < re; r++) f1[c](w + r * row_bytes, row_bytes, xt, cols, k0, ke, k0 > 0, y + t * ys + r, ys);
            }
        }
    }
    return 1;
}
#endif
