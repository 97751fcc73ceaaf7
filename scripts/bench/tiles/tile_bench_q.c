// Usage: clang -O2 -I Sources/R1KernelsC/include -I Sources/R1KernelsC scripts/bench/tiles/tile_bench_q.c Sources/R1KernelsC/kernels*.c -o /tmp/tb && /tmp/tb [tokens]
// Checks the AVX-512 Q8_0/Q4_0/F16 prefill tiles against the AVX2 tiles / a plain loop and times 16 rows × T tokens
// (thread CPU time, so a shared machine skews it less).
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
static double now(void) { struct timespec ts; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }

static void fill_q(uint8_t *p, int blocks, int bs) {  // Q8_0 (bs 34) or Q4_0 (bs 18) blocks
    for (int i = 0; i < blocks; i++, p += bs) {
        put_half(p, 0.01f * (0.5f + (rnd() % 1000) / 1000.0f));
        for (int j = 2; j < bs; j++) p[j] = bs == 34 ? (uint8_t)(int8_t)((int)(rnd() % 255) - 127) : (uint8_t)rnd();
    }
}

static int check_q(int type, int rows, int tokens, int nb) {
    const int bs = type == R1C_Q8_0 ? 34 : 18;
    uint8_t *w = malloc((size_t)rows * nb * bs), *x = malloc((size_t)tokens * nb * 34 + 64);
    float *y0 = calloc((size_t)tokens * rows, 4), *y1 = calloc((size_t)tokens * rows, 4);
    fill_q(w, rows * nb, bs); fill_q(x, tokens * nb, 34);
    isa = 1 + (0); r1c_dot_tile(isa, type, w, nb * bs, rows, x, nb * 34, tokens, nb, y0, rows);
    isa = 1 + (1); r1c_dot_tile(isa, type, w, nb * bs, rows, x, nb * 34, tokens, nb, y1, rows);
    double e = 0, m = 0;
    for (int i = 0; i < tokens * rows; i++) { e = fmax(e, fabs(y0[i] - y1[i])); m = fmax(m, fabs(y0[i])); }
    int ok = e <= 1e-4 * (m + 1e-3) + 1e-6;
    if (!ok) printf("MISMATCH type %d rows %d tokens %d nb %d: max err %g (max %g)\n", type, rows, tokens, nb, e, m);
    free(w); free(x); free(y0); free(y1);
    return ok;
}

static int check_f16(int rows, int tokens, int cols) {
    uint8_t *w = malloc((size_t)rows * cols * 2);
    float *x = malloc((size_t)tokens * cols * 4), *y = calloc((size_t)tokens * rows, 4);
    for (int i = 0; i < rows * cols; i++) put_half(w + 2 * i, frand());
    for (int i = 0; i < tokens * cols; i++) x[i] = frand();
    if (!r1c_f16_tile(2, w, cols * 2, rows, x, tokens, cols, y, rows)) { printf("f16 tile declined\n"); return 0; }
    int ok = 1;
    for (int t = 0; t < tokens; t++)
        for (int r = 0; r < rows; r++) {
            double s = 0, a = 0;
            for (int k = 0; k < cols; k++) { double p = get_half(w + 2 * ((size_t)r * cols + k)) * x[t * cols + k]; s += p; a += fabs(p); }
            if (fabs(s - y[t * rows + r]) > 1e-5 * a + 1e-6) { ok = 0; printf("F16 MISMATCH r %d t %d: %g vs %g\n", r, t, y[t * rows + r], s); goto done; }
        }
done:
    free(w); free(x); free(y);
    return ok;
}

static void bench_q(int type, int tokens, int nb) {
    const int rows = 16, bs = type == R1C_Q8_0 ? 34 : 18;
    uint8_t *w = malloc((size_t)rows * nb * bs), *x = malloc((size_t)tokens * nb * 34 + 64);
    float *y = calloc((size_t)tokens * rows, 4);
    fill_q(w, rows * nb, bs); fill_q(x, tokens * nb, 34);
    double g[2];
    for (int a = 0; a < 2; a++) {
        isa = 1 + (a);
        int reps = 0; double t0 = now(), t1;
        do { r1c_dot_tile(isa, type, w, nb * bs, rows, x, nb * 34, tokens, nb, y, rows); reps++; } while ((t1 = now()) - t0 < 0.3);
        g[a] = (double)reps * rows * tokens * nb * 32 / (t1 - t0) / 1e9;
    }
    printf("%s K=%5d T=%3d: AVX2 %6.1f  AVX-512 %6.1f GMAC/s (%.2fx)\n", type == R1C_Q8_0 ? "Q8_0" : "Q4_0", nb * 32, tokens, g[0], g[1], g[1] / g[0]);
    free(w); free(x); free(y);
}

static void bench_f16(int rows, int tokens, int cols) {
    uint8_t *w = malloc((size_t)rows * cols * 2);
    float *x = malloc((size_t)tokens * cols * 4), *y = calloc((size_t)tokens * rows, 4);
    for (int i = 0; i < rows * cols; i++) put_half(w + 2 * i, frand());
    for (int i = 0; i < tokens * cols; i++) x[i] = frand();
    int reps = 0; double t0 = now(), t1;
    do { r1c_f16_tile(2, w, cols * 2, rows, x, tokens, cols, y, rows); reps++; } while ((t1 = now()) - t0 < 0.3);
    printf("F16  K=%5d T=%3d rows %d: AVX-512 %6.1f GMAC/s\n", cols, tokens, rows, (double)reps * rows * tokens * cols / (t1 - t0) / 1e9);
    free(w); free(x); free(y);
}

int main(int argc, char **argv) {
    if (!(r1c_cpu_isa() >= 2)) { printf("no AVX-512\n"); return 0; }
    int ok = 1;
    const int toks[] = {1, 2, 3, 4, 5, 8, 9}, nbs[] = {1, 3, 48, 280};
    for (int type = 0; type < 2; type++)
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 4; j++) { ok &= check_q(type, 16, toks[i], nbs[j]); ok &= check_q(type, 5, toks[i], nbs[j]); ok &= check_q(type, 21, toks[i], nbs[j]); }
    for (int i = 0; i < 7; i++) { ok &= check_f16(16, toks[i], 1536); ok &= check_f16(21, toks[i], 8960 + 16); }
    printf("checks %s\n", ok ? "ok" : "FAILED");
    const int T = argc > 1 ? atoi(argv[1]) : 256;
    for (int type = 0; type < 2; type++) { bench_q(type, T, 48); bench_q(type, T, 280); }
    bench_f16(768, T, 1536); bench_f16(128, T, 8960);
    return !ok;
}
