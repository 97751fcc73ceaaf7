// AArch64 quantized dot products (ggml-cpu's arch/arm/quants.c scheme): the CPU's level, checked once at run time
// (getauxval(AT_HWCAP / AT_HWCAP2) on Linux, sysctlbyname on Apple), decode rows and prefill tiles for Q8_0, Q4_0,
// Q4_K and Q6_K. Level 1 is plain NEON (smull + sadalp), 2 adds sdot (dotprod), 3 adds smmla (i8mm) for tiles
// (kernels_neon_i8mm.c). Tested against plain C references under qemu-aarch64 (scripts/tests/neon_qemu.sh).
#include "R1KernelsC.h"
#include "neon.h"
#if defined(__aarch64__)
#if defined(__linux__)
#include <sys/auxv.h>
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#endif

// MARK: - The CPU's level

#if defined(__APPLE__)
static int sysctl_flag(const char *name) {
    int v = 0;
    size_t n = sizeof v;
    return sysctlbyname(name, &v, &n, NULL, 0) == 0 && v != 0;
}
#endif

int r1c_neon_level(void) {
    static int cached = -1;
    if (cached < 0) {
        int dotprod = 0, i8mm = 0;
#if defined(__linux__)
        // <asm/hwcap.h>: HWCAP_ASIMDDP is bit 20 of AT_HWCAP, HWCAP2_I8MM bit 13 of AT_HWCAP2
        const unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
        dotprod = (hw >> 20) & 1;
        i8mm = (hw2 >> 13) & 1;
#elif defined(__APPLE__)
        dotprod = sysctl_flag("hw.optional.arm.FEAT_DotProd");
        i8mm = sysctl_flag("hw.optional.arm.FEAT_I8MM");
#endif
        cached = dotprod ? (i8mm ? 3 : 2) : 1;
    }
    return cached;
}

int r1c_cpu_isa(void) { return r1c_neon_level(); }

// MARK: - Rows, one level at a time (kernels_neon_dot.h)

/// Σ of 4-byte dot products of 16 int8 pairs into 4 int32 lanes without sdot: 8 products per half, pairwise added.
static inline int32x4_t dot_mull(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
}

#define R1N_ATTR
#define R1N_DOT dot_mull
#define R1N(name) name##_neon
#include "kernels_neon_dot.h"
#undef R1N_ATTR
#undef R1N_DOT
#undef R1N

#define R1N_ATTR R1_DOTPROD
#define R1N_DOT vdotq_s32
#define R1N(name) name##_sdot
#include "kernels_neon_dot.h"
#undef R1N_ATTR
#undef R1N_DOT
#undef R1N

float r1c_neon_dot1(int level, int type, const uint8_t *w, const uint8_t *x, int nb) {
    if (level >= 2) {
        switch (type) {
        case R1C_Q8_0: return dot_q8_0_sdot(w, x, nb);
        case R1C_Q4_0: return dot_q4_0_sdot(w, x, nb);
        case R1C_Q4_K: return dot_q4_K_sdot(w, x, nb);
        default: return dot_q6_K_sdot(w, x, nb);
        }
    }
    switch (type) {
    case R1C_Q8_0: return dot_q8_0_neon(w, x, nb);
    case R1C_Q4_0: return dot_q4_0_neon(w, x, nb);
    case R1C_Q4_K: return dot_q4_K_neon(w, x, nb);
    default: return dot_q6_K_neon(w, x, nb);
    }
}

void r1c_neon_dot_rows(int level, int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb,
                       float *y) {
    for (int r = 0; r < rows; r++) y[r] = r1c_neon_dot1(level, type, w + r * row_bytes, x, nb);
}

// MARK: - Tiles

/// With i8mm, pairs of rows × pairs of tokens go through smmla (2×2 int32 sums per instruction); the odd row and the
/// odd token, and every pair below level 3, are single dots.
void r1c_neon_dot_tile(int level, int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs,
                       int tokens, int nb, float *y, size_t ys) {
    int t = 0;
    if (level >= 3) {
        for (; t + 2 <= tokens; t += 2) {
            const uint8_t *x0 = x + t * xs, *x1 = x0 + xs;
            float *y0 = y + t * ys, *y1 = y0 + ys;
            int r = 0;
            for (; r + 2 <= rows; r += 2) {
                float o[4];
                r1c_i8mm_2x2(type, w + r * row_bytes, w + (r + 1) * row_bytes, x0, x1, nb, o);
                y0[r] = o[0]; y1[r] = o[1]; y0[r + 1] = o[2]; y1[r + 1] = o[3];
            }
            for (; r < rows; r++) {
                y0[r] = r1c_neon_dot1(2, type, w + r * row_bytes, x0, nb);
                y1[r] = r1c_neon_dot1(2, type, w + r * row_bytes, x1, nb);
            }
        }
    }
    for (; t < tokens; t++)
        for (int r = 0; r < rows; r++) y[t * ys + r] = r1c_neon_dot1(level, type, w + r * row_bytes, x + t * xs, nb);
}
#endif
