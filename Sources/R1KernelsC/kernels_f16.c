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

/// Σ w·x: four FMA accumulators, as Quant.dotF16F32.
R1_AVX2 static float dot_avx2(const uint8_t *w, const float *x, int n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
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

R1_AVX2 static void axpy_avx2(float a, const uint8_t *v, float *y, int n) {
    const __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, ld8(v, i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * _cvtsh_ss(ld_half(v, i));
}

/// A prompt's tile: rows in blocks of 16 (in L2), token pairs outer so their activations stay in L1, then 4 rows ×
/// 2 tokens with 8 FMA accumulators fed by 4 conversions and 2 loads per 8 columns. cols % 8 == 0.
R1_AVX2 static void tile_avx2(const uint8_t *w, size_t rb, int rows, const float *x, int tokens, int k, float *y,
                              size_t ys) {
    for (int b = 0; b < rows; b += 16) {
        const int e = b + 16 < rows ? b + 16 : rows, e4 = b + (e - b) / 4 * 4;
        int i = 0;
        for (; i + 2 <= tokens; i += 2) {
            const float *x0 = x + (size_t)i * k, *x1 = x0 + k;
            for (int r = b; r < e4; r += 4) {
                const uint8_t *w0 = w + r * rb, *w1 = w0 + rb, *w2 = w1 + rb, *w3 = w2 + rb;
                __m256 a00 = _mm256_setzero_ps(), a10 = a00, a20 = a00, a30 = a00;
                __m256 a01 = a00, a11 = a00, a21 = a00, a31 = a00;
                for (int j = 0; j < k; j += 8) {
                    const __m256 v0 = _mm256_loadu_ps(x0 + j), v1 = _mm256_loadu_ps(x1 + j);
                    const __m256 c0 = ld8(w0, j), c1 = ld8(w1, j), c2 = ld8(w2, j), c3 = ld8(w3, j);
                    a00 = _mm256_fmadd_ps(c0, v0, a00); a10 = _mm256_fmadd_ps(c1, v0, a10);
                    a20 = _mm256_fmadd_ps(c2, v0, a20); a30 = _mm256_fmadd_ps(c3, v0, a30);
                    a01 = _mm256_fmadd_ps(c0, v1, a01); a11 = _mm256_fmadd_ps(c1, v1, a11);
                    a21 = _mm256_fmadd_ps(c2, v1, a21); a31 = _mm256_fmadd_ps(c3, v1, a31);
                }
                float *y0 = y + (size_t)i * ys + r, *y1 = y0 + ys;
                y0[0] = hsum(a00); y0[1] = hsum(a10); y0[2] = hsum(a20); y0[3] = hsum(a30);
                y1[0] = hsum(a01); y1[1] = hsum(a11); y1[2] = hsum(a21); y1[3] = hsum(a31);
            }
        }
        // the odd last token, and rows past the last group of 4
        for (int t = 0; t < tokens; t++)
            for (int r = t >= i ? b : e4; r < e; r++) y[(size_t)t * ys + r] = dot_avx2(w + r * rb, x + (size_t)t * k, k);
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

int r1c_f16_rows(int isa, const void *w, size_t row_bytes, int rows, const float *x, int cols, float *y) {
#if defined(__x86_64__) || defined(_M_X64)
    const uint8_t *wp = (const uint8_t *)w;
    if (isa >= 2 && cols % 16 == 0) return r1c512_f16_rows(wp, row_bytes, rows, x, cols, y);
    if (isa >= 1) {
        for (int r = 0; r < rows; r++) y[r] = dot_avx2(wp + r * row_bytes, x, cols);
        return 1;
    }
#elif defined(__aarch64__)
    if (isa >= 1) {
        r1c_neon_f16_rows((const uint8_t *)w, row_bytes, rows, x, cols, y);
        return 1;
    }
#endif
    (void)isa; (void)w; (void)row_bytes; (void)rows; (void)x; (void)cols; (void)y;
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
