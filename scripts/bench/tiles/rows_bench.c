// Usage: clang -O2 -I Sources/R1KernelsC/include -I Sources/R1KernelsC scripts/bench/tiles/rows_bench.c Sources/R1KernelsC/kernels*.c -o /tmp/rb && /tmp/rb
// Checks the AVX-512 decode rows (kernels_avx512_rows.c) against the AVX2 rows (Q4_0) / a plain double loop (F16),
// then times one thread streaming a ~64 MB 1536 × 8960-like weight matrix (bigger than L3): GB/s of weights read.
#include "R1KernelsC.h"
// the KernelPolicy level passed to the entry points: 1 AVX2, 2 AVX-512 (the f16 ones always get 2)
static int isa = 1;
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)rng; }
static float frand(void) { return (rnd() >> 8) / 16777216.0f * 2 - 1; }
__attribute__((target("f16c"))) static void put_half(uint8_t *p, float f) { uint16_t h = _cvtss_sh(f, 0); memcpy(p, &h, 2); }
__attribute__((target("f16c"))) static float get_half(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return _cvtsh_ss(h); }
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }

static void fill_q(uint8_t *p, size_t blocks, int bs) {  // Q8_0 (bs 34) or Q4_0 (bs 18) blocks
    for (size_t i = 0; i < blocks; i++, p += bs) {
        put_half(p, 0.01f * (0.5f + (rnd() % 1000) / 1000.0f));
        for (int j = 2; j < bs; j++) p[j] = bs == 34 ? (uint8_t)(int8_t)((int)(rnd() % 255) - 127) : (uint8_t)rnd();
    }
}

static int check_q(int type, int rows, int nb) {
    const int bs = type == R1C_Q8_0 ? 34 : 18;
    uint8_t *w = malloc((size_t)rows * nb * bs), *x = malloc((size_t)nb * 34);
    float *y0 = calloc(rows, 4), *y1 = calloc(rows, 4);
    fill_q(w, (size_t)rows * nb, bs); fill_q(x, nb, 34);
    isa = 1 + (0); r1c_dot_rows(isa, type, w, nb * bs, rows, x, nb, y0);
    isa = 1 + (1); r1c_dot_rows(isa, type, w, nb * bs, rows, x, nb, y1);
    double e = 0, m = 0;
    for (int i = 0; i < rows; i++) { e = fmax(e, fabs(y0[i] - y1[i])); m = fmax(m, fabs(y0[i])); }
    int ok = e <= 1e-4 * (m + 1e-3) + 1e-6;
    if (!ok) printf("MISMATCH type %d rows %d nb %d: max err %g (max %g)\n", type, rows, nb, e, m);
    free(w); free(x); free(y0); free(y1);
    return ok;
}

static int check_f16(int rows, int cols) {
    uint8_t *w = malloc((size_t)rows * cols * 2);
    float *x = malloc((size_t)cols * 4), *y = calloc(rows, 4);
    for (int i = 0; i < rows * cols; i++) put_half(w + 2 * i, frand());
    for (int i = 0; i < cols; i++) x[i] = frand();
    if (!r1c_f16_rows(2, 0, w, cols * 2, rows, x, cols, y)) { printf("f16 rows declined\n"); return 0; }
    int ok = 1;
    for (int r = 0; r < rows; r++) {
        double s = 0, a = 0;
        for (int k = 0; k < cols; k++) { double p = get_half(w + 2 * ((size_t)r * cols + k)) * x[k]; s += p; a += fabs(p); }
        if (fabs(s - y[r]) > 1e-5 * a + 1e-6) { ok = 0; printf("F16 MISMATCH r %d cols %d: %g vs %g\n", r, cols, y[r], s); break; }
    }
    free(w); free(x); free(y);
    return ok;
}

/// GB/s of weights for `rows` rows of `nb` blocks, in calls of `chunk` rows (like MatMul's row ranges).
static void bench_q(int type, int rows, int nb, int chunk) {
    const int bs = type == R1C_Q8_0 ? 34 : 18;
    const size_t rb = (size_t)nb * bs, bytes = rb * rows;
    uint8_t *w = malloc(bytes), *x = malloc((size_t)nb * 34);
    float *y = calloc(rows, 4);
    fill_q(w, (size_t)rows * nb, bs); fill_q(x, nb, 34);
    double g[2];
    for (int a = 0; a < 2; a++) {
        isa = 1 + (a);
        int reps = 0; double t0 = now(), t1;
        do {
            for (int r = 0; r < rows; r += chunk) r1c_dot_rows(isa, type, w + r * rb, rb, rows - r < chunk ? rows - r : chunk, x, nb, y + r);
            reps++;
        } while ((t1 = now()) - t0 < 1.0);
        g[a] = (double)reps * bytes / (t1 - t0) / 1e9;
    }
    printf("%s rows %5d K=%5d (%.0f MB): AVX2 %5.1f  AVX-512 %5.1f GB/s (%.2fx)\n", type == R1C_Q8_0 ? "Q8_0" : "Q4_0",
           rows, nb * 32, bytes / 1e6, g[0], g[1], g[1] / g[0]);
    free(w); free(x); free(y);
}

static void bench_f16(int rows, int cols, int chunk) {
    const size_t bytes = (size_t)rows * cols * 2;
    uint8_t *w = malloc(bytes);
    float *x = malloc((size_t)cols * 4), *y = calloc(rows, 4);
    for (size_t i = 0; i < (size_t)rows * cols; i++) put_half(w + 2 * i, frand());
    for (int i = 0; i < cols; i++) x[i] = frand();
    int reps = 0; double t0 = now(), t1;
    do {
        for (int r = 0; r < rows; r += chunk) r1c_f16_rows(2, 0, w + (size_t)r * cols * 2, cols * 2, rows - r < chunk ? rows - r : chunk, x, cols, y + r);
        reps++;
    } while ((t1 = now()) - t0 < 1.0);
    printf("F16  rows %5d K=%5d (%.0f MB): AVX-512 %5.1f GB/s\n", rows, cols, bytes / 1e6, (double)reps * bytes / (t1 - t0) / 1e9);
    free(w); free(x); free(y);
}

/// Plain streaming read of the same size, for the roofline.
__attribute__((target("avx512f"))) static void bench_read(size_t bytes) {
    uint8_t *w = malloc(bytes);
    memset(w, 1, bytes);
    int reps = 0; double t0 = now(), t1;
    __m512i acc = _mm512_setzero_si512();
    do {
        for (size_t i = 0; i < bytes; i += 256) {
            acc = _mm512_add_epi32(acc, _mm512_loadu_si512(w + i));
            acc = _mm512_add_epi32(acc, _mm512_loadu_si512(w + i + 64));
            acc = _mm512_add_epi32(acc, _mm512_loadu_si512(w + i + 128));
            acc = _mm512_add_epi32(acc, _mm512_loadu_si512(w + i + 192));
        }
        reps++;
    } while ((t1 = now()) - t0 < 1.0);
    printf("read %.0f MB: %5.1f GB/s (%d)\n", bytes / 1e6, (double)reps * bytes / (t1 - t0) / 1e9, _mm512_reduce_add_epi32(acc) & 1);
    free(w);
}

int main(void) {
    if (!(r1c_cpu_isa() >= 2)) { printf("no AVX-512\n"); return 0; }
    int ok = 1;
    const int nbs[] = {1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 48, 280};
    for (int t = 0; t < 2; t++)
        for (int j = 0; j < 12; j++) { ok &= check_q(t, 16, nbs[j]); ok &= check_q(t, 5, nbs[j]); }
    const int cols[] = {16, 32, 48, 1536, 8960, 8976};
    for (int j = 0; j < 6; j++) { ok &= check_f16(16, cols[j]); ok &= check_f16(7, cols[j]); }
    printf("checks %s\n", ok ? "ok" : "FAILED");
    bench_read(64u << 20);
    bench_q(R1C_Q4_0, 8960 * 4, 48, 1120);  // 1536 columns, 62 MB
    bench_q(R1C_Q4_0, 1536 * 8, 280, 192);  // 8960 columns, 62 MB
    bench_q(R1C_Q8_0, 8960 * 2, 48, 1120);  // 1536 columns, 58 MB
    bench_q(R1C_Q8_0, 1536 * 4, 280, 192);  // 8960 columns, 58 MB
    bench_f16(8960 * 2, 1536, 1120);        // 55 MB
    bench_f16(1536 * 2, 8960, 192);         // 55 MB
    return !ok;
}
