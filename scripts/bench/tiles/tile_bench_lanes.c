// Usage: clang -O2 -I Sources/R1KernelsC/include -o /tmp/tbl scripts/bench/tiles/tile_bench_lanes.c -lpthread && /tmp/tbl [tokens [iters]]
// Checks the AVX2 rows-in-lanes tiles (kernels_avx2_lanes.c) against the AVX2 tiles of kernels.c for Q4_K, Q6_K,
// Q4_0 and Q8_0, then times both on a 16-row tile for K = 1536 and 8960 (GMAC/s, one thread).
#include "../../../Sources/R1KernelsC/kernels.c"
#include "../../../Sources/R1KernelsC/kernels_avx2_lanes.c"
#include "../../../Sources/R1KernelsC/kernels_avx2_rows.c"
#include "../../../Sources/R1KernelsC/kernels_avx512.c"
#include "../../../Sources/R1KernelsC/kernels_avx512_k.c"
#include "../../../Sources/R1KernelsC/kernels_avx512_q.c"
#include "../../../Sources/R1KernelsC/kernels_avx512_rows.c"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint32_t rng = 12345;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }
R1_AVX2 static void put_f16(uint8_t *p, float f) { uint16_t h = _cvtss_sh(f, 0); memcpy(p, &h, 2); }
static float scale(void) { return 0.01f * (1 + (rnd() % 100) / 100.0f); }

static const int wblock[] = {34, 18, 144, 210}, welems[] = {32, 32, 256, 256};

static void fill_w(int type, uint8_t *w, int nb) {
    const int bs = wblock[type];
    for (int b = 0; b < nb; b++) {
        uint8_t *p = w + bs * b;
        for (int i = 0; i < bs; i++) p[i] = (uint8_t)rnd();
        if (type == R1C_Q4_K) { put_f16(p, scale()); put_f16(p + 2, scale()); }
        else if (type == R1C_Q6_K) put_f16(p + 208, scale());
        else {
            put_f16(p, scale());
            if (type == R1C_Q8_0) for (int i = 2; i < 34; i++) if (p[i] == 0x80) p[i] = 0x81;
        }
    }
}

static void fill_x(int k_quant, uint8_t *x, int n) {
    if (!k_quant) {
        for (int b = 0; b < n / 32; b++) {
            uint8_t *p = x + 34 * b;
            put_f16(p, scale());
            for (int i = 0; i < 32; i++) p[2 + i] = (uint8_t)(int8_t)((int)(rnd() % 255) - 127);
        }
        return;
    }
    for (int b = 0; b < n / 256; b++) {
        uint8_t *p = x + 292 * b;
        float d = 2 * scale();
        memcpy(p, &d, 4);
        int8_t *q = (int8_t *)(p + 4);
        for (int i = 0; i < 256; i++) q[i] = (int8_t)((int)(rnd() % 255) - 127);
        for (int i = 0; i < 16; i++) {
            int s = 0;
            for (int k = 0; k < 16; k++) s += q[16 * i + k];
            int16_t s16 = (int16_t)s;
            memcpy(p + 260 + 2 * i, &s16, 2);
        }
    }
}

static void old_tile(int type, const uint8_t *w, size_t rb, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    if (type == R1C_Q4_K) tile_q4_K(w, rb, rows, x, xs, tokens, nb, y, ys);
    else if (type == R1C_Q6_K) tile_q6_K(w, rb, rows, x, xs, tokens, nb, y, ys);
    else tile_q32(type == R1C_Q4_0, w, rb, rows, x, xs, tokens, nb, y, ys);
}

static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }

int main(int argc, char **argv) {
    const int T = argc > 1 ? atoi(argv[1]) : 256, iters = argc > 2 ? atoi(argv[2]) : 3;
    static const char *names[] = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"};
    int bad = 0;
    for (int type = 0; type < 4; type++) {
        const int kq = type >= R1C_Q4_K;
        for (int ki = 0; ki < 2; ki++) {
            const int K = ki ? 8960 : 1536;
            const int nb = K / welems[type];
            const size_t rb = (size_t)wblock[type] * nb, xs = kq ? 292 * (size_t)(K / 256) : 34 * (size_t)(K / 32);
            const int R = 16;
            const int TA = T > 9 ? T : 9;  // the checks run up to 9 tokens
            uint8_t *w = malloc(rb * R), *x = malloc(xs * TA);
            float *y0 = malloc(4 * (size_t)R * TA), *y1 = malloc(4 * (size_t)R * TA);
            fill_w(type, w, nb * R);
            fill_x(kq, x, K * TA);
            // correctness on odd shapes
            for (int rows = 1; rows <= 16; rows += 3)
                for (int tk = 1; tk <= 9; tk++) {
                    old_tile(type, w, rb, rows, x, xs, tk, nb, y0, rows);
                    r1c2_tile_lanes(type, w, rb, rows, x, xs, tk, nb, y1, rows);
                    for (int i = 0; i < rows * tk; i++) {
                        const double e = fabs((double)y0[i] - y1[i]);
                        if (e > 1e-4 * (1 + fabs(y0[i]))) {
                            if (bad++ < 10) printf("MISMATCH %s K=%d rows=%d tokens=%d i=%d: %g vs %g\n", names[type], K, rows, tk, i, y0[i], y1[i]);
                        }
                    }
                }
            double best0 = 1e9, best1 = 1e9;
            for (int it = 0; it < iters; it++) {
                double t0 = now();
                old_tile(type, w, rb, R, x, xs, T, nb, y0, R);
                double t1 = now();
                r1c2_tile_lanes(type, w, rb, R, x, xs, T, nb, y1, R);
                double t2 = now();
                if (t1 - t0 < best0) best0 = t1 - t0;
                if (t2 - t1 < best1) best1 = t2 - t1;
            }
            const double macs = (double)R * T * K;
            printf("%s K=%d T=%d: old %.1f GMAC/s, lanes %.1f GMAC/s (%.2fx)\n", names[type], K, T, macs / best0 / 1e9,
                   macs / best1 / 1e9, best0 / best1);
            free(w); free(x); free(y0); free(y1);
        }
    }
    printf(bad ? "FAILED (%d)\n" : "ok\n", bad);
    return bad != 0;
}
