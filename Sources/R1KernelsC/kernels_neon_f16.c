// AArch64 F16 · f32 (every level: FCVTL converts halves exactly, FMLA accumulates): attention over an F16 KV cache
// (dot, axpy) and F16 weight matrices (decode rows, prefill tiles of 4 rows × 2 tokens), the NEON twins of
// kernels_f16.c's AVX2 loops. Only the summation order differs from the plain loops there (dot_plain); tested under
// qemu-aarch64 (scripts/tests/neon_qemu.sh).
#include "neon.h"
#if defined(__aarch64__)

/// Halves i ..< i + 4 of p as floats.
static inline float32x4_t ld4(const uint8_t *p, int i) { return vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(p + 2 * i))); }

float r1c_neon_f16_dot(const uint8_t *w, const float *x, int n) {
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = vfmaq_f32(a0, ld4(w, i), vld1q_f32(x + i));
        a1 = vfmaq_f32(a1, ld4(w, i + 4), vld1q_f32(x + i + 4));
        a2 = vfmaq_f32(a2, ld4(w, i + 8), vld1q_f32(x + i + 8));
        a3 = vfmaq_f32(a3, ld4(w, i + 12), vld1q_f32(x + i + 12));
    }
    for (; i + 4 <= n; i += 4) a0 = vfmaq_f32(a0, ld4(w, i), vld1q_f32(x + i));
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; i < n; i++) s += r1n_f16(w + 2 * i) * x[i];
    return s;
}

void r1c_neon_f16_axpy(float a, const uint8_t *v, float *y, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), ld4(v, i), a));
    for (; i < n; i++) y[i] += a * r1n_f16(v + 2 * i);
}

void r1c_neon_f16_rows(const uint8_t *w, size_t row_bytes, int rows, const float *x, int cols, float *y) {
    for (int r = 0; r < rows; r++) y[r] = r1c_neon_f16_dot(w + r * row_bytes, x, cols);
}

/// A prompt's tile: rows in blocks of 16, token pairs outer so their activations stay in L1, then 4 rows × 2 tokens
/// with 8 accumulators fed by 4 conversions and 2 loads per 4 columns (cols % 4 == 0; else row by row).
void r1c_neon_f16_tile(const uint8_t *w, size_t rb, int rows, const float *x, int tokens, int k, float *y, size_t ys) {
    if (k % 4 != 0) {
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++) y[(size_t)t * ys + r] = r1c_neon_f16_dot(w + r * rb, x + (size_t)t * k, k);
        return;
    }
    for (int b = 0; b < rows; b += 16) {
        const int e = b + 16 < rows ? b + 16 : rows, e4 = b + (e - b) / 4 * 4;
        int i = 0;
        for (; i + 2 <= tokens; i += 2) {
            const float *x0 = x + (size_t)i * k, *x1 = x0 + k;
            for (int r = b; r < e4; r += 4) {
                const uint8_t *w0 = w + r * rb, *w1 = w0 + rb, *w2 = w1 + rb, *w3 = w2 + rb;
                float32x4_t a00 = vdupq_n_f32(0), a10 = a00, a20 = a00, a30 = a00;
                float32x4_t a01 = a00, a11 = a00, a21 = a00, a31 = a00;
                for (int j = 0; j < k; j += 4) {
                    const float32x4_t v0 = vld1q_f32(x0 + j), v1 = vld1q_f32(x1 + j);
                    const float32x4_t c0 = ld4(w0, j), c1 = ld4(w1, j), c2 = ld4(w2, j), c3 = ld4(w3, j);
                    a00 = vfmaq_f32(a00, c0, v0); a10 = vfmaq_f32(a10, c1, v0);
                    a20 = vfmaq_f32(a20, c2, v0); a30 = vfmaq_f32(a30, c3, v0);
                    a01 = vfmaq_f32(a01, c0, v1); a11 = vfmaq_f32(a11, c1, v1);
                    a21 = vfmaq_f32(a21, c2, v1); a31 = vfmaq_f32(a31, c3, v1);
                }
                float *y0 = y + (size_t)i * ys + r, *y1 = y0 + ys;
                y0[0] = vaddvq_f32(a00); y0[1] = vaddvq_f32(a10); y0[2] = vaddvq_f32(a20); y0[3] = vaddvq_f32(a30);
                y1[0] = vaddvq_f32(a01); y1[1] = vaddvq_f32(a11); y1[2] = vaddvq_f32(a21); y1[3] = vaddvq_f32(a31);
            }
        }
        // the odd last token, and rows past the last group of 4
        for (int t = 0; t < tokens; t++)
            for (int r = t >= i ? b : e4; r < e; r++)
                y[(size_t)t * ys + r] = r1c_neon_f16_dot(w + r * rb, x + (size_t)t * k, k);
    }
}
#endif
