// Internal to R1KernelsC: the AVX-512 prefill tiles, one file per family, each returning 1 when it handled the call
// and 0 when the caller should fall back to the AVX2 tile (a shape it does not take). Only called when
// the caller's isa is 2 (kernels_avx512.c).
#ifndef R1_KERNELS_C_INTERNAL_H
#define R1_KERNELS_C_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// Plain scalar helpers shared by the kernel files (one copy each).

/// IEEE half -> float without F16C, exact: normals and subnormals by one multiply by 2^112, inf/NaN by their bits.
static inline float r1c_half_to_float(uint16_t h) {
    uint32_t em = (uint32_t)(h & 0x7fff) << 13, bits;
    if (em >= 0x0f800000u) {
        bits = em | 0x7f800000u;
    } else {
        float f;
        memcpy(&f, &em, 4);
        f *= 0x1p112f;
        memcpy(&bits, &f, 4);
    }
    bits |= (uint32_t)(h & 0x8000) << 16;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

/// The 8 scales (bytes 0..<8) and 8 mins (bytes 8..<16) of a Q4_K block's 12 packed bytes (ggml's get_scale_min_k4
/// for all j at once).
static inline void r1c_q4k_scales(const uint8_t *q, uint32_t u[4]) {
    uint32_t a[3];
    memcpy(a, q, 12);
    const uint32_t m6 = 0x3f3f3f3f, m4 = 0x0f0f0f0f, m2 = 0x03030303;
    u[0] = a[0] & m6;
    u[1] = (a[2] & m4) | (((a[0] >> 6) & m2) << 4);
    u[2] = a[1] & m6;
    u[3] = ((a[2] >> 4) & m4) | (((a[1] >> 6) & m2) << 4);
}

// kernels.c: 1 when this CPU has AVX2, FMA and F16C (cpuid, once)
int r1c_has_avx2(void);
// kernels_avx512.c: 1 when a 512-bit tile for `type` did the work (r1c_dot_tile calls it first)
int r1c_tile_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                    int nb, float *y, size_t ys);
// kernels_avx512.c: 1 when a 512-bit row kernel for `type` did the decode rows (r1c_dot_rows calls it first)
int r1c_rows_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y);

#if defined(__x86_64__) || defined(_M_X64)
// kernels_avx2_lanes.c: AVX2 prefill tiles with 8 rows in lanes (Q4_K, Q6_K · Q8_K; Q4_0, Q8_0 · Q8_0), re-laying
// the rows per call; 0 for another type (r1c_dot_tile calls it at isa 1)
int r1c2_tile_lanes(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                    int nb, float *y, size_t ys);
// kernels_avx2_rows.c: AVX2 decode rows for Q4_0 / Q8_0 · Q8_0, four blocks' scales per vector operation; 0 for
// another type (r1c_dot_rows calls it at isa 1)
int r1c2_rows(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y);
// Software prefetch distance (bytes) along the weights of the AVX2 decode rows (kernels_avx2_rows.c's Q4_0 / Q8_0,
// kernels.c's Q4_K / Q6_K; not the tiles: with many tokens the rows are in cache after the first group). Decode tg128
// of the 1.5B-shaped Q4_0, alternated r1 bench runs on a 2-vCPU Zen 3: one thread 11.8 -> 13.0 tokens/s with 2048
// (4096: 12.9), two 22.2 -> 23.6 (512: 22.8); Q4_K_M on two 21.7 -> 26.1. The F16 rows lost with it and do not.
#ifndef R1C_ROWS_PF
#define R1C_ROWS_PF 2048
#endif

/// Prefetches (into every cache level) the 64-byte lines of [p, p + bytes): the decode rows call it with
/// p = weights + R1C_ROWS_PF (or their policy's distance) once per block group.
static inline __attribute__((always_inline)) void r1c_prefetch(const void *p, size_t bytes) {
    for (size_t l = 0; l < bytes; l += 64) __builtin_prefetch((const char *)p + l, 0, 3);
}

/// The F16 prefill tiles' column chunk (AVX2 and AVX-512): rows up to 2048 columns whole, longer ones in chunks of
/// 1024, so a tile's tokens' chunk of activations stays in L1 (Zen 3 AVX2, 1536 x 8960: 82 -> 85 GFLOP/s; Intel
/// AVX-512 4 × 6 at K 8960: 48 -> 50 GMAC/s; splitting rows of 1536 lost).
static inline int r1c_f16_column_chunk(int cols) { return cols <= 2048 ? 2048 : 1024; }

#define R1_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,avx2,fma,f16c")))

// kernels_avx512_k.c: Q4_K and Q6_K weights · Q8_K activations
int r1c512_tile_q4_K(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys);
int r1c512_tile_q6_K(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys);

// kernels_avx512_q.c: Q8_0 and Q4_0 weights · Q8_0 activations, F16 weights · f32 activations
int r1c512_tile_q8_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys);
int r1c512_tile_q4_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys);
int r1c512_f16_tile(const uint8_t *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                    size_t ys);

// kernels_avx512_rows.c: decode rows (one activation row): Q4_0 / Q8_0 · Q8_0, F16 · f32 (cols % 16 == 0)
int r1c512_rows_q4_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y);
int r1c512_rows_q8_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y);
int r1c512_f16_rows(const uint8_t *w, size_t row_bytes, int rows, const float *x, int cols, float *y);
#endif
#endif
