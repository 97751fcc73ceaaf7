// AVX-512 dispatch: CPU detection (once, with cpuid), the R1_NO_AVX512 switch, and the entry points that pick a
// 512-bit tile when one exists for the type. The tiles themselves live in kernels_avx512_k.c and kernels_avx512_q.c,
// the decode row kernels in kernels_avx512_rows.c.
#include "R1KernelsC.h"
#include "internal.h"
#include <stdlib.h>

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

static int avx512_enabled = -1;
/// r1c_set_avx512's choice for the calling thread (-1: none), so tests comparing both paths cannot switch the tiles
/// under other tests running on other threads.
static _Thread_local int avx512_thread = -1;

int r1c_has_avx512(void) {
    if (avx512_thread >= 0) return avx512_thread;
    if (avx512_enabled < 0) avx512_enabled = avx512_cpu() && getenv("R1_NO_AVX512") == NULL;
    return avx512_enabled;
}

void r1c_set_avx512(int enabled) { avx512_thread = enabled < 0 ? -1 : enabled && avx512_cpu(); }

/// Called by r1c_dot_tile first: 1 when a 512-bit tile did the work.
int r1c_tile_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                    int nb, float *y, size_t ys) {
    if (!r1c_has_avx512()) return 0;
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
    if (!r1c_has_avx512()) return 0;
    switch (type) {
    case R1C_Q4_0: return r1c512_rows_q4_0(w, row_bytes, rows, x, nb, y);
    case R1C_Q8_0: return r1c512_rows_q8_0(w, row_bytes, rows, x, nb, y);
    default: return 0;
    }
}

int r1c_f16_rows(const void *w, size_t row_bytes, int rows, const float *x, int cols, float *y) {
    if (!r1c_has_avx512() || cols % 16 != 0) return 0;
    return r1c512_f16_rows((const uint8_t *)w, row_bytes, rows, x, cols, y);
}

int r1c_f16_tile(const void *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                 size_t y_stride) {
    if (!r1c_has_avx512() || cols % 16 != 0) return 0;
    return r1c512_f16_tile((const uint8_t *)w, row_bytes, rows, x, tokens, cols, y, y_stride);
}

#else

int r1c_has_avx512(void) { return 0; }
void r1c_set_avx512(int enabled) { (void)enabled; }
int r1c_tile_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                    int nb, float *y, size_t ys) {
    (void)type; (void)w; (void)row_bytes; (void)rows; (void)x; (void)xs; (void)tokens; (void)nb; (void)y; (void)ys;
    return 0;
}
int r1c_rows_avx512(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y) {
    (void)type; (void)w; (void)row_bytes; (void)rows; (void)x; (void)nb; (void)y;
    return 0;
}
int r1c_f16_rows(const void *w, size_t row_bytes, int rows, const float *x, int cols, float *y) {
    (void)w; (void)row_bytes; (void)rows; (void)x; (void)cols; (void)y;
    return 0;
}
int r1c_f16_tile(const void *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                 size_t y_stride) {
    (void)w; (void)row_bytes; (void)rows; (void)x; (void)tokens; (void)cols; (void)y; (void)y_stride;
    return 0;
}
#endif
