// F16 · f32 without Swift's F16C: attention over an F16 KV cache (r1c_f16_dot, r1c_f16_axpy) and F16 weight matrices
// (decode rows, prefill tiles: the AVX2 ones here, the 512-bit ones in kernels_avx512_q.c / _rows.c when isa >= 2).
// AArch64 runs the NEON twins in kernels_neon_f16.c at every level. Each AVX2 function has its own target attribute;
// callers pass their KernelPolicy's ISA. Plain references: the
// portable loops below and Swift's Quant.dotF16F32 / f16Tile (Tests/R1KernelsTests/F16KernelTests.swift).
#include "R1KernelsC.h"
#include "internal.h"
#include "neon.h"
#include <stdint.h>
#include <string.h>

static inline uint16_t ld_half(const uint8_t *p, int i) {
    uint16_t h;
    memcpy(&h, p + 2 * i, 2);
    return h;
}

static float dot_plain(const uint8_t *w, const float *x, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += r1c_half_to_float(ld_half(w, i)) * x[i];
    return s;
}

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define R1_AVX2 __attribute__((target("avx2,fma,f16c")))

R1_AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

R1_AVX2 static inline __m256 ld8(const uint8_t *p, int i) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i)));
}

/// Σ w·x: four FMA accumulators, as Quant.dotF16F32. `pf` > 0 (decode rows, per the caller's policy): each 64 bytes
/// of weights also prefetch the line `pf` bytes ahead; 0 (attention's KV rows, and CPUs where it lost) does not.
R1_AVX2 static inline __attribute__((always_inline)) float dot_avx2_pf(const uint8_t *w, const float *x, int n,
                                                                          int pf) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        if (pf) r1c_prefetch(w + 2 * i + pf, 64);
        a0 = _mm256_fmadd_ps(ld8(w, i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(ld8(w, i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(ld8(w, i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(ld8(w, i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(ld8(w, i), _mm256_loadu_ps(x + i), a0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) s += _cvtsh_ss(ld_half(w, i)) * x[i];
    return s;
}
R1_AVX2 static float dot_avx2(const uint8_t *w, const float *x, int n) { return dot_avx2_pf(w, x, n, 0); }

/// Decode rows, one at a time; `pf` as dot_avx2_pf's.
R1_AVX2 static void rows_avx2(const uint8_t *w, size_t rb, int rows, const float *x, int n, float *y, int pf) {
    if (pf > 0)
        for (int r = 0; r < rows; r++) y[r] = dot_avx2_pf(w + r * rb, x, n, pf);
    else
        for (int r = 0; r < rows; r++) y[r] = dot_avx2_pf(w + r * rb, x, n, 0);
}

R1_AVX2 static void axpy_avx2(float a, const uint8_t *v, float *y, int n) {
    const __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, ld8(v, i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * _cvtsh_ss(ld_half(v, i));
}

/// A prompt's tile, R rows × C tokens of accumulators (3 × 4: 12 FMAs per 3 conversions and 4 loads; 4 × 2 measured
/// 1.4x slower on Zen 3) over columns [k0, k1), written to y (or added, for the second column chunk on).
R1_AVX2 static inline __attribute__((always_inline)) void tile_kernel(const int R, const int C, const uint8_t *w,
                                                                      size_t rb, const float *x, int cols, int k0,
                                                                      int k1, int add, float *y, size_t ys) {
    __m256 acc[3][4];
    for (int a = 0; a < R; a++)
        for (int c = 0; c < C; c++) acc[a][c] = _mm256_setzero_ps();
    for (int j = k0; j < k1; j += 8) {
        __m256 wv[3];
        for (int a = 0; a < R; a++) wv[a] = ld8(w + a * rb, j);
        for (int c = 0; c < C; c++) {
            const __m256 xv = _mm256_loadu_ps(x + (size_t)c * cols + j);
            for (int a = 0; a < R; a++) acc[a][c] = _mm256_fmadd_ps(wv[a], xv, acc[a][c]);
        }
    }
    for (int a = 0; a < R; a++)
        for (int c = 0; c < C; c++) {
            const float s = hsum(acc[a][c]);
            y[(size_t)c * ys + a] = add ? y[(size_t)c * ys + a] + s : s;
        }
}

#define R1_F16K(R, C)                                                                                                  \
    R1_AVX2 static void tile_##R##_##C(const uint8_t *w, size_t rb, const float *x, int cols, int k0, int k1, int add, \
                                       float *y, size_t ys) {                                                          \
        tile_kernel(R, C, w, rb, x, cols, k0, k1, add, y, ys);                                                         \
    }
R1_F16K(3, 1) R1_F16K(3, 2) R1_F16K(3, 3) R1_F16K(3, 4) R1_F16K(1, 1) R1_F16K(1, 2) R1_F16K(1, 3) R1_F16K(1, 4)
#undef R1_F16K

typedef void (*tile_fn)(const uint8_t *, size_t, const float *, int, int, int, int, float *, size_t);

/// Rows in blocks of 48 (48 · 2048 columns of f16, 192 KiB, stay in L2 while every token passes), columns in
/// r1c_f16_column_chunk's chunks (4 tokens' chunk of up to 2048, 32 KiB, in L1), then the 3 × 4 kernel; 1-2 rows and
/// 1-3 tokens left over take the smaller ones. cols % 8 == 0.
R1_AVX2 static void tile_avx2(const uint8_t *w, size_t rb, int rows, const float *x, int tokens, int k, float *y,
                              size_t ys) {
    static const tile_fn f3[5] = {0, tile_3_1, tile_3_2, tile_3_3, tile_3_4};
    static const tile_fn f1[5] = {0, tile_1_1, tile_1_2, tile_1_3, tile_1_4};
    enum { ROWS = 48 };
    const int KC = r1c_f16_column_chunk(k);
    for (int b = 0; b < rows; b += ROWS) {
        const int e = rows - b < ROWS ? rows : b + ROWS;
        for (int k0 = 0; k0 < k; k0 += KC) {
            const int k1 = k - k0 < KC ? k : k0 + KC;
            for (int t = 0; t < tokens; t += 4) {
                const int c = tokens - t < 4 ? tokens - t : 4;
                const float *xt = x + (size_t)t * k;
                float *yt = y + (size_t)t * ys;
                int r = b;
                for (; r + 3 <= e; r += 3) f3[c](w + r * rb, rb, xt, k, k0, k1, k0 > 0, yt + r, ys);
                for (; r < e; r++) f1[c](w + r * rb, rb, xt, k, k0, k1, k0 > 0, yt + r, ys);
            }
        }
    }
}
#endif

float r1c_f16_dot(int isa, const void *w, const float *x, int n) {
#if defined(__x86_64__) || defined(_M_X64)
    if (isa >= 1) return dot_avx2((const uint8_t *)w, x, n);
#elif defined(__aarch64__)
    if (isa >= 1) return r1c_neon_f16_dot((const uint8_t *)w, x, n);
#endif
    (void)isa;
    return dot_plain((const uint8_t *)w, x, n);
}

void r1c_f16_axpy(int isa, float a, const void *v, float *y, int n) {
#if defined(__x86_64__) || defined(_M_X64)
    if (isa >= 1) {
        axpy_avx2(a, (const uint8_t *)v, y, n);
        return;
    }
#elif defined(__aarch64__)
    if (isa >= 1) {
        r1c_neon_f16_axpy(a, (const uint8_t *)v, y, n);
        return;
    }
#endif
    (void)isa;
    for (int i = 0; i < n; i++) y[i] += a * r1c_half_to_float(ld_half((const uint8_t *)v, i));
}

int r1c_f16_rows(int isa, int prefetch, const void *w, size_t row_bytes, int rows, const float *x, int cols, float *y) {
#if defined(__x86_64__) || defined(_M_X64)
    const uint8_t *wp = (const uint8_t *)w;
    if (isa >= 2 && cols % 16 == 0) return r1c512_f16_rows(wp, row_bytes, rows, x, cols, y);
    if (isa >= 1) {
        rows_avx2(wp, row_bytes, rows, x, cols, y, prefetch);
        return 1;
    }
#elif defined(__aarch64__)
    if (isa >= 1) {
        r1c_neon_f16_rows((const uint8_t *)w, row_bytes, rows, x, cols, y);
        return 1;
    }
#endif
    (void)isa; (void)prefetch; (void)w; (void)row_bytes; (void)rows; (void)x; (void)cols; (void)y;
    return 0;
}

int r1c_f16_tile(int isa, const void *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                 size_t y_stride) {
#if defined(__x86_64__) || defined(_M_X64)
    const uint8_t *wp = (const uint8_t *)w;
    if (isa >= 2 && cols % 16 == 0) return r1c512_f16_tile(wp, row_bytes, rows, x, tokens, cols, y, y_stride);
    if (isa >= 1 && cols % 8 == 0) {
        tile_avx2(wp, row_bytes, rows, x, tokens, cols, y, y_stride);
        return 1;
    }
#elif defined(__aarch64__)
    if (isa >= 1) {
        r1c_neon_f16_tile((const uint8_t *)w, row_bytes, rows, x, tokens, cols, y, y_stride);
        return 1;
    }
#endif
    (void)isa; (void)w; (void)row_bytes; (void)rows; (void)x; (void)tokens; (void)cols; (void)y; (void)y_stride;
    return 0;
}
