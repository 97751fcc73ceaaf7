// AVX-512 (VNNI) prefill tiles for Q8_0 and Q4_0 weights · Q8_0 activations and F16 weights · f32 activations (see
// internal.h for the contract). Their tested references are the AVX2 tiles in kernels.c (tile_q32 / tile_q8_0) and
// the Swift MatMul.f16Tile / MatMul.reference (Tests/R1KernelsTests/AVX512TileTests.swift).
//
// Q8_0 / Q4_0: rows in lanes. vpdpbusd multiplies unsigned by signed bytes, 4 products per int32 lane. Per call, the
// 16 weight rows are repacked once (amortized over all tokens): block b becomes 8 zmm, lane j of zmm k holding bytes
// 4k..4k+3 of row j in unsigned form (Q8_0: w + 128, Q4_0: the bare nibbles, w + 8), followed by the 16 rows' d_w.
// Each token's signed activation bytes are broadcast 4 at a time straight from its Q8_0 row (vpdpbusd's m32bcst
// operand), so 8 vpdpbusd give the 16 rows' block dots, and one convert, one d_w · d_x product and one FMA serve all
// 16. The bias comes back through the accumulator's start value: -128 Σx (Q8_0) or -8 Σx (Q4_0) per token block
// (lane_scales). 8 tokens' accumulators stay in registers; 1-7 token remainders use the same kernel.
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define R1_INLINE static inline __attribute__((always_inline))

/// Per-thread scratch, grown on demand and kept while the thread lives (the tiles run on the matmul pool's threads).
typedef struct {
    void *p;
    size_t cap;
} scratch;
static _Thread_local scratch scratch_w, scratch_x;

/// Frees the exiting thread's scratch (a key destructor runs while its thread-locals are still there).
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static void scratch_free(void *unused) {
    (void)unused;
    free(scratch_w.p);
    free(scratch_x.p);
    scratch_w = (scratch){0, 0};
    scratch_x = (scratch){0, 0};
}
static void scratch_key_make(void) { pthread_key_create(&scratch_key, scratch_free); }

static void *scratch_get(scratch *s, size_t n) {
    n = (n + 63) & ~(size_t)63;
    if (s->cap < n) {
        pthread_once(&scratch_once, scratch_key_make);
        pthread_setspecific(scratch_key, &scratch_w);  // any non-null value: the destructor frees both buffers
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

/// The 32 weights of one block in unsigned form: Q8_0 w + 128 (XOR 0x80), Q4_0 its nibbles (low 16, then high 16).
R1_AVX512 R1_INLINE __m256i block_w(int q4, const uint8_t *b) {
    if (!q4) return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b + 2)), _mm256_set1_epi8((char)0x80));
    const __m128i t = _mm_loadu_si128((const __m128i *)(b + 2));
    return _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1),
                            _mm256_set1_epi8(0x0F));
}

// MARK: - Q8_0 / Q4_0 · Q8_0 (scheme in the header comment)

enum { LANE_TOKENS = 8 };

/// Repacked rows: per block, 8 zmm of bytes (lane j = row j, zero past `rows`), then 16 floats d_w (zero past rows).
/// The 16 × 8 dword transpose: rows j and j + 8 share a zmm, then the 8 × 8 transpose of each 256-bit half.
R1_AVX512 static void repack_lanes(int q4, const uint8_t *w, size_t row_bytes, int rows, int nb, uint8_t *out) {
    const size_t wbs = q4 ? 18 : 34;
    const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0), hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (int b = 0; b < nb; b++) {
        uint8_t *o = out + 576 * (size_t)b;
        const uint8_t *wb = w + b * wbs;
        __m512 z[8], t[8], u[8];
        for (int j = 0; j < 8; j++) {
            const __m256i a = j < rows ? block_w(q4, wb + j * row_bytes) : _mm256_setzero_si256();
            const __m256i c = j + 8 < rows ? block_w(q4, wb + (j + 8) * row_bytes) : _mm256_setzero_si256();
            z[j] = _mm512_castsi512_ps(_mm512_inserti64x4(_mm512_castsi256_si512(a), c, 1));
        }
        for (int j = 0; j < 8; j += 2) {
            t[j] = _mm512_unpacklo_ps(z[j], z[j + 1]);
            t[j + 1] = _mm512_unpackhi_ps(z[j], z[j + 1]);
        }
        for (int j = 0; j < 8; j += 4) {
            u[j] = _mm512_shuffle_ps(t[j], t[j + 2], 0x44);
            u[j + 1] = _mm512_shuffle_ps(t[j], t[j + 2], 0xEE);
            u[j + 2] = _mm512_shuffle_ps(t[j + 1], t[j + 3], 0x44);
            u[j + 3] = _mm512_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
        }
        for (int k = 0; k < 4; k++) {
            const __m512i a = _mm512_castps_si512(u[k]), c = _mm512_castps_si512(u[k + 4]);
            _mm512_store_si512((__m512i *)(o + 64 * k), _mm512_permutex2var_epi64(a, lo, c));
            _mm512_store_si512((__m512i *)(o + 64 * (k + 4)), _mm512_permutex2var_epi64(a, hi, c));
        }
        float *dw = (float *)(o + 512);
        for (int r = 0; r < 16; r++) dw[r] = r < rows ? half(wb + r * row_bytes) : 0;
    }
}

/// Per block of one token: d_x and -c Σx (c = 128 for Q8_0, 8 for Q4_0), 8 blocks per horizontal-add tree.
R1_AVX512 static void lane_scales(const uint8_t *x, int nb, int c, float *dx, int32_t *bias) {
    const __m256i ones = _mm256_set1_epi8(1);
    int b = 0;
    for (; b + 8 <= nb; b += 8) {
        __m256i s[8];
        for (int i = 0; i < 8; i++)
            s[i] = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones,
                                       _mm256_loadu_si256((const __m256i *)(x + 34 * (b + i) + 2)));
        const __m256i h0 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
        const __m256i h1 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
        const __m256i t =
            _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20), _mm256_permute2x128_si256(h0, h1, 0x31));
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
    if (nb <= 0 || !wq || !sc) return 0;
    float *dx = (float *)sc;
    int32_t *bias = (int32_t *)(sc + 4 * (size_t)nb * LANE_TOKENS);
    for (int r = 0; r < rows; r += 16) {  // MatMul passes 16 rows
        const int n = rows - r < 16 ? rows - r : 16;
        repack_lanes(q4, w + r * row_bytes, row_bytes, n, nb, wq);
        const __mmask16 rmask = (__mmask16)((1u << n) - 1);
        for (int t = 0; t < tokens; t += LANE_TOKENS) {
            const int c = tokens - t < LANE_TOKENS ? tokens - t : LANE_TOKENS;
            for (int k = 0; k < c; k++) lane_scales(x + (t + k) * xs, nb, q4 ? 8 : 128, dx + k * nb, bias + k * nb);
            kn[c](wq, x + t * xs, xs, dx, bias, nb, y + t * ys + r, ys, rmask);
        }
    }
    return 1;
}

int r1c512_tile_q8_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    return tile_lanes(0, w, row_bytes, rows, x, xs, tokens, nb, y, ys);
}

int r1c512_tile_q4_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    return tile_lanes(1, w, row_bytes, rows, x, xs, tokens, nb, y, ys);
}

// MARK: - F16 weights · f32 activations: R rows × C tokens of zmm accumulators, 16 columns a step (vcvtph2ps once
// per row, shared by the C tokens); rows in blocks of 64 (each token chunk then serves 64 rows before it leaves
// L2), columns in chunks so a chunk of the tile's tokens stays in L1 (2048 columns for rows up to 2048, else 1024:
// 6 tokens' chunk is 24-48 KiB). Zen 5: ~110-116 GMAC/s a core at T = 256, ~90% of the FMA peak, with 4 × 4, 8 × 3
// or 4 × 6 the same within noise; converting each block·chunk to f32 once instead measured slower (~87: twice the
// weight bytes per FMA). Intel (Emerald Rapids guest, one core, tile_bench_q.c, upper mode of 6 alternated rounds):
// 4 × 6 runs 55 against 4 × 4's 50 GMAC/s at K 1536 and 50 against 48 at K 8960 (with 1024-column chunks there),
// since vcvtph2ps takes the FMA ports there and 6 tokens share each conversion instead of 4.

#ifndef F16_R  // tile shape (and F16_KC, the column chunk), overridable for scripts/bench/tiles/tile_bench_q.c
#define F16_R 4
#define F16_C 6
#endif
enum { F16_ROWS = 64 };  // 64 rows · 2048 columns of f16 = 256 KiB, in L2; 16 rows measured 10% slower

/// acc (or y, when `add`) for R rows × C tokens over columns [k0, k1).
R1_AVX512 R1_INLINE void f16_kernel(const int R, const int C, const uint8_t *w, size_t row_bytes, const float *x,
                                    int cols, int k0, int k1, int add, float *y, size_t ys) {
    __m512 acc[F16_R][F16_C];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < C; t++) acc[r][t] = _mm512_setzero_ps();
    for (int k = k0; k < k1; k += 16) {
        __m512 xv[F16_C];
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

#define R1_FK(C)                                                                                                       \
    R1_AVX512 static void f16_kernel_r##C(const uint8_t *w, size_t row_bytes, const float *x, int cols, int k0, int k1, \
                                          int add, float *y, size_t ys) {                                             \
        f16_kernel(F16_R, C, w, row_bytes, x, cols, k0, k1, add, y, ys);                                               \
    }                                                                                                                  \
    R1_AVX512 static void f16_kernel_1##C(const uint8_t *w, size_t row_bytes, const float *x, int cols, int k0, int k1, \
                                          int add, float *y, size_t ys) {                                             \
        f16_kernel(1, C, w, row_bytes, x, cols, k0, k1, add, y, ys);                                                   \
    }
R1_FK(1) R1_FK(2) R1_FK(3) R1_FK(4) R1_FK(5) R1_FK(6)
#undef R1_FK

typedef void (*f16_kernel_fn)(const uint8_t *, size_t, const float *, int, int, int, int, float *, size_t);

int r1c512_f16_tile(const uint8_t *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                    size_t ys) {
    static const f16_kernel_fn f4[7] = {0, f16_kernel_r1, f16_kernel_r2, f16_kernel_r3,
                                        f16_kernel_r4, f16_kernel_r5, f16_kernel_r6};
    static const f16_kernel_fn f1[7] = {0, f16_kernel_11, f16_kernel_12, f16_kernel_13,
                                        f16_kernel_14, f16_kernel_15, f16_kernel_16};
    if (cols % 16 != 0) return 0;
#ifdef F16_KC
    const int kc = F16_KC;
#else
    const int kc = r1c_f16_column_chunk(cols);
#endif
    for (int rb = 0; rb < rows; rb += F16_ROWS) {
        const int re = rows - rb < F16_ROWS ? rows : rb + F16_ROWS;
        for (int k0 = 0; k0 < cols; k0 += kc) {
            const int ke = cols - k0 < kc ? cols : k0 + kc;
            for (int t = 0; t < tokens; t += F16_C) {
                const int c = tokens - t < F16_C ? tokens - t : F16_C;
                const float *xt = x + t * (size_t)cols;
                int r = rb;
                for (; r + F16_R <= re; r += F16_R)
                    f4[c](w + r * row_bytes, row_bytes, xt, cols, k0, ke, k0 > 0, y + t * ys + r, ys);
                for (; r < re; r++) f1[c](w + r * row_bytes, row_bytes, xt, cols, k0, ke, k0 > 0, y + t * ys + r, ys);
            }
        }
    }
    return 1;
}
#endif
