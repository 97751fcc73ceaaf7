// CPU detection (once, with cpuid: r1c_cpu_isa) and the AVX-512 entry points that pick a 512-bit tile when one exists
// for the type; the caller's KernelPolicy says whether they may run (isa >= 2). The tiles themselves live in
// kernels_avx512_k.c and kernels_avx512_q.c, the decode row kernels in kernels_avx512_rows.c.
#include "R1KernelsC.h"
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

#if defined(__x86_64__) || defined(_M_X64)

static int avx512_cpu(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = r1c_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("avx512vnni");
    }
    return cached;
}

int r1c_cpu_isa(void) {
    static int cached = -1;
    if (cached < 0) cached = avx512_cpu() ? 2 : r1c_has_avx2() ? 1 : 0;
    return cached;
}

int r1c_cpu_vendor(void) {
    static int cached = -1;
    if (cached < 0) {
        unsigned a, b, c, d;
        cached = 0;
        if (__get_cpuid(0, &a, &b, &c, &d)) {
            char v[12];
            memcpy(v, &b, 4);
            memcpy(v + 4, &d, 4);
            memcpy(v + 8, &c, 4);
            cached = !memcmp(v, "GenuineIntel", 12) ? 1 : !memcmp(v, "AuthenticAMD", 12) ? 2 : 0;
        }
    }
    return cached;
}

/// Called by r1c_dot_tile first: 1 when a 512-bit tile did the work.
int r1c_tile_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                    int nb, float *y, size_t ys) {
    switch (type) {
    case R1C_Q4_K: return r1c512_tile_q4_K(w, row_bytes, rows, x, xs, tokens, nb, y, ys);
    case R1C_Q6_K: return r1c512_tile_q6_K(w, row_bytes, rows, x, xs, tokens, nb, y, ys);
    case R1C_Q8_0: return r1c512_tile_q8_0(w, row_bytes, rows, x, xs, tokens, nb, y, ys);
    case R1C_Q4_0: return r1c512_tile_q4_0(w, row_bytes, rows, x, xs, tokens, nb, y, ys);
    default: return 0;
    }
}

/// Called by r1c_dot_rows first: 1 when a 512-bit row kernel (kernels_avx512_rows.c) did the work.
int r1c_rows_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y) {
    switch (type) {
    case R1C_Q4_0: return r1c512_rows_q4_0(w, row_bytes, rows, x, nb, y);
    case R1C_Q8_0: return r1c512_rows_q8_0(w, row_bytes, rows, x, nb, y);
    default: return 0;
    }
}

#else

#if !defined(__aarch64__)  // AArch64's is kernels_neon.c's
int r1c_cpu_isa(void) { return 0; }
#endif
int r1c_cpu_vendor(void) { return 0; }
int r1c_tile_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                    int nb, float *y, size_t ys) {
    (void)type; (void)w; (void)row_bytes; (void)rows; (void)x; (void)xs; (void)tokens; (void)nb; (void)y; (void)ys;
    return 0;
}
int r1c_rows_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y) {
    (void)type; (void)w; (void)row_bytes; (void)rows; (void)x; (void)nb; (void)y;
    return 0;
}
#endif
