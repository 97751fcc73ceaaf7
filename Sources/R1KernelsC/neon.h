// Internal to R1KernelsC on AArch64: the NEON kernels' entry points (called by the public ones in kernels.c,
// kernels_f16.c and sgemm.c) and the small helpers they share. The level an entry point takes is r1c_cpu_isa()'s
// on this CPU or lower: 1 NEON (every AArch64 CPU), 2 NEON + dotprod (sdot), 3 NEON + dotprod + i8mm (smmla).
// Functions above level 1 carry their own target attribute, so nothing here needs a global -march flag.
#ifndef R1_KERNELS_C_NEON_H
#define R1_KERNELS_C_NEON_H
#if defined(__aarch64__)
#include "internal.h"
#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// sdot is an Armv8.2-A extension and smmla needs it too; arm_neon.h declares their intrinsics for armv8.2-a, so the
// functions that call them name that architecture (a subset of the caller's is what GCC's inliner asks for).
#define R1_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#define R1_I8MM __attribute__((target("arch=armv8.2-a+dotprod+i8mm")))

/// IEEE half at p (any alignment) -> float; FCVT is in every AArch64 CPU.
static inline float r1n_f16(const uint8_t *p) {
    __fp16 h;
    memcpy(&h, p, 2);
    return (float)h;
}

static inline float r1n_f32(const uint8_t *p) {
    float f;
    memcpy(&f, p, 4);
    return f;
}

/// Half h (elements 128 h ..< +128) of a Q6_K block as 8 groups of 16 int8 values minus 32. Group g = 2 k + j holds
/// elements 128 h + 32 k + 16 j ..< +16 (k 0..<4, j 0..<2): low 4 bits nibble k / 2 of ql[64 h + 32 (k % 2) + 16 j ..],
/// high 2 bits (qh[32 h + 16 j ..] >> 2 k) & 3 (QuantReference's (h, k, l) walk); its scale is scales[8 h + g].
static inline void r1n_q6k_half(const uint8_t *w, int h, uint8x16_t m4, uint8x16_t m3, int8x16_t m32, int8x16_t q[8]) {
    const uint8_t *ql = w + 64 * h, *qh = w + 128 + 32 * h;
    const uint8x16_t l0 = vld1q_u8(ql), l1 = vld1q_u8(ql + 16), l2 = vld1q_u8(ql + 32), l3 = vld1q_u8(ql + 48);
    const uint8x16_t h0 = vld1q_u8(qh), h1 = vld1q_u8(qh + 16);
    const uint8x16_t u[8] = {
        vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(h0, m3), 4)),
        vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(h1, m3), 4)),
        vorrq_u8(vandq_u8(l2, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h0, 2), m3), 4)),
        vorrq_u8(vandq_u8(l3, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h1, 2), m3), 4)),
        vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h0, 4), m3), 4)),
        vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h1, 4), m3), 4)),
        vorrq_u8(vshrq_n_u8(l2, 4), vshlq_n_u8(vshrq_n_u8(h0, 6), 4)),
        vorrq_u8(vshrq_n_u8(l3, 4), vshlq_n_u8(vshrq_n_u8(h1, 6), 4)),
    };
    for (int g = 0; g < 8; g++) q[g] = vsubq_s8(vreinterpretq_s8_u8(u[g]), m32);
}

// kernels_neon.c: the CPU's level (getauxval on Linux, sysctlbyname on Apple) and the quantized rows and tiles
int r1c_neon_level(void);
/// One weight row · one activation row of `type` (R1C_*) at `level` 1 or 2 (3 runs 2: smmla needs two rows).
float r1c_neon_dot1(int level, int type, const uint8_t *w, const uint8_t *x, int nb);
void r1c_neon_dot_rows(int level, int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb,
                       float *y);
void r1c_neon_dot_tile(int level, int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs,
                       int tokens, int nb, float *y, size_t ys);

// kernels_neon_i8mm.c: two weight rows · two activation rows with smmla; y = {r0·t0, r0·t1, r1·t0, r1·t1}
void r1c_i8mm_2x2(int type, const uint8_t *w0, const uint8_t *w1, const uint8_t *x0, const uint8_t *x1, int nb,
                  float y[4]);

// kernels_neon_f16.c: F16 · f32 (FCVTL + FMLA; the same at every level)
float r1c_neon_f16_dot(const uint8_t *w, const float *x, int n);
void r1c_neon_f16_axpy(float a, const uint8_t *v, float *y, int n);
void r1c_neon_f16_rows(const uint8_t *w, size_t row_bytes, int rows, const float *x, int cols, float *y);
void r1c_neon_f16_tile(const uint8_t *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                       size_t ys);
#endif
#endif
