// Usage: clang -O2 -I Sources/R1KernelsC/include -o /tmp/tbk scripts/bench/tiles/tile_bench_k.c -lm && /tmp/tbk [iters [tokens]]
// Checks the AVX-512 Q4_K/Q6_K tiles (kernels_avx512_k.c) against the AVX2 tiles (kernels.c) through r1c_dot_tile
// (and Q4_K both against an exact double sum), then times both on a 16-row × 256-token tile for K = 1536 and 8960
// (GMAC/s, one thread).
#include "../../../Sources/R1KernelsC/kernels.c"
#include "../../../Sources/R1KernelsC/kernels_avx512.c"
#include "../../../Sources/R1KernelsC/kernels_avx512_k.c"
#include "../../../Sources/R1KernelsC/kernels_avx512_q.c"
#include "../../../Sources/R1KernelsC/kernels_avx512_rows.c"
#include "../../../Sources/R1KernelsC/kernels_f16.c"
#include "../../../Sources/R1KernelsC/kernels_avx2_lanes.c"
#include "../../../Sources/R1KernelsC/kernels_avx2_rows.c"
// the KernelPolicy level passed to the entry points: 1 AVX2, 2 AVX-512
static int isa = 1;
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint32_t rng = 12345;
static uint32_t rnd(void) { rng = rng * 1664525u + 1013904223u; return rng >> 8; }
R1_AVX2 static void put_f16(uint8_t *p, float f) { uint16_t h = _cvtss_sh(f, 0); memcpy(p, &h, 2); }

static void fill_w(int type, uint8_t *w, int nb) {
    for (int b = 0; b < nb; b++) {
        if (type == R1C_Q4_K) {
            uint8_t *p = w + 144 * b;
            for (int i = 0; i < 144; i++) p[i] = (uint8_t)rnd();
            put_f16(p, 0.01f * (1 + (rnd() % 100) / 100.0f));
            put_f16(p + 2, 0.005f * (1 + (rnd() % 100) / 100.0f));
        } else {
            uint8_t *p = w + 210 * b;
            for (int i = 0; i < 210; i++) p[i] = (uint8_t)rnd();
            put_f16(p + 208, 0.01f * (1 + (rnd() % 100) / 100.0f));
        }
    }
}

static void fill_x(uint8_t *x, int nb) {
    for (int b = 0; b < nb; b++) {
        uint8_t *p = x + 292 * b;
        float d = 0.02f * (1 + (rnd() % 100) / 100.0f);
        memcpy(p, &d, 4);
        int8_t *q = (int8_t *)(p + 4);
        for (int i = 0; i < 256; i++) q[i] = (int8_t)(rnd() & 0xFF);  // full range, -128 included
        for (int i = 0; i < 16; i++) {
            int s = 0;
            for (int k = 0; k < 16; k++) s += q[16 * i + k];
            int16_t s16 = (int16_t)s;
            memcpy(p + 260 + 2 * i, &s16, 2);
        }
    }
}

/// Exact (double) Q4_K · Q8_K over nb blocks, from integer sub-block sums, and Σ|w·x| for the error scale.
static double exact_q4_K(const uint8_t *w, const uint8_t *x, int nb, double *mag) {
    double sum = 0, m = 0;
    for (int b = 0; b < nb; b++, w += 144, x += 292) {
        uint32_t u[4];
        r1c_q4k_scales(w + 4, u);
        const uint8_t *sc = (const uint8_t *)u;
        float dxf;
        memcpy(&dxf, x, 4);
        const double d = f16(w), dmin = f16(w + 2), dx = dxf;
        const int8_t *q8 = (const int8_t *)(x + 4);
        for (int e = 0; e < 256; e++) {
            const int j = e / 64, hi = (e % 64) >= 32, l = e % 32;
            const int q = hi ? w[16 + 32 * j + l] >> 4 : w[16 + 32 * j + l] & 15, s = e / 32;
            const double wv = d * sc[s] * q - dmin * sc[8 + s];
            sum += wv * dx * q8[e];
            m += fabs(wv * dx * q8[e]);
        }
    }
    *mag = m;
    return sum;
}

static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 3;
    const int types[2] = {R1C_Q4_K, R1C_Q6_K};
    const char *names[2] = {"q4_K", "q6_K"};
    int fails = 0;
    // (a) correctness: rows 16 and 5, tokens 1..9, K = 256, 1536, 8960
    const int Ks[3] = {256, 1536, 8960};
    for (int ti = 0; ti < 2; ti++)
        for (int ki = 0; ki < 3; ki++) {
            int nb = Ks[ki] / 256, rows = 16, maxT = 9;
            size_t rb = (size_t)nb * (ti == 0 ? 144 : 210), xs = (size_t)nb * 292;
            uint8_t *w = malloc(rb * rows), *x = malloc(xs * maxT);
            fill_w(types[ti], w, nb * rows);
            fill_x(x, nb * maxT);
            float y0[16 * 9], y1[16 * 9];
            for (int rr = 0; rr < 2; rr++) {
                int nr = rr ? 5 : 16;
                for (int T = 1; T <= maxT; T++) {
                    isa = 1 + (0);
                    r1c_dot_tile(isa, types[ti], w, rb, nr, x, xs, T, nb, y0, nr);
                    isa = 1 + (1);
                    r1c_dot_tile(isa, types[ti], w, rb, nr, x, xs, T, nb, y1, nr);
                    float mag = 0;  // outputs are sums of large terms that cancel: tolerance relative to the tile's largest
                    for (int i = 0; i < nr * T; i++) mag = fmaxf(mag, fabsf(y0[i]));
                    for (int i = 0; i < nr * T; i++)
                        if (fabsf(y0[i] - y1[i]) > 1e-5f * (1 + mag)) {
                            if (fails++ < 10) printf("MISMATCH %s K=%d rows=%d T=%d i=%d: %g vs %g\n", names[ti], Ks[ki], nr, T, i, y0[i], y1[i]);
                        }
                }
            }
            free(w); free(x);
        }
    printf("correctness: %s (avx512 cpu: %d)\n", fails ? "FAIL" : "ok", (r1c_cpu_isa() >= 2));
    // (a') Q4_K error against the exact sum, relative to Σ|w·x|, for both tiles (16 rows × 9 tokens, K = 1536, 8960)
    for (int ki = 1; ki < 3; ki++) {
        int nb = Ks[ki] / 256, rows = 16, T = 9;
        size_t rb = (size_t)nb * 144, xs = (size_t)nb * 292;
        uint8_t *w = malloc(rb * rows), *x = malloc(xs * T);
        fill_w(R1C_Q4_K, w, nb * rows);
        fill_x(x, nb * T);
        float y[2][16 * 9];
        for (int a = 0; a < 2; a++) {
            isa = 1 + (a);
            r1c_dot_tile(isa, R1C_Q4_K, w, rb, rows, x, xs, T, nb, y[a], rows);
        }
        double worst[2] = {0, 0}, rms[2] = {0, 0};
        for (int t = 0; t < T; t++)
            for (int r = 0; r < rows; r++) {
                double mag, e = exact_q4_K(w + r * rb, x + t * xs, nb, &mag);
                for (int a = 0; a < 2; a++) {
                    double err = fabs(y[a][t * rows + r] - e) / mag;
                    worst[a] = fmax(worst[a], err);
                    rms[a] += err * err / (rows * T);
                }
            }
        printf("q4_K K=%5d error / sum|wx|: avx2 max %.2e rms %.2e, avx512 max %.2e rms %.2e\n", Ks[ki], worst[0],
               sqrt(rms[0]), worst[1], sqrt(rms[1]));
        free(w); free(x);
    }
    // (b) speed: 16 rows × 256 tokens (or argv[2] tokens: batched decode shapes)
    for (int ti = 0; ti < 2; ti++)
        for (int ki = 1; ki < 3; ki++) {
            int nb = Ks[ki] / 256, rows = 16, T = argc > 2 ? atoi(argv[2]) : 256;
            size_t rb = (size_t)nb * (ti == 0 ? 144 : 210), xs = (size_t)nb * 292;
            uint8_t *w = malloc(rb * rows), *x = malloc(xs * T);
            float *y = malloc(sizeof(float) * rows * T);
            fill_w(types[ti], w, nb * rows);
            fill_x(x, nb * T);
            double best[2] = {1e9, 1e9};
            for (int it = 0; it < iters; it++)
                for (int a = 0; a < 2; a++) {
                    isa = 1 + (a);
                    double t0 = now();
                    for (int rep = 0; rep < 4 * (256 / T); rep++) r1c_dot_tile(isa, types[ti], w, rb, rows, x, xs, T, nb, y, rows);
                    double dt = (now() - t0) / (4 * (256 / T));
                    if (dt < best[a]) best[a] = dt;
                }
            double macs = (double)rows * T * Ks[ki];
            printf("%s K=%5d: avx2 %6.1f GMAC/s  avx512 %6.1f GMAC/s  (%.2fx)\n", names[ti], Ks[ki], macs / best[0] * 1e-9,
                   macs / best[1] * 1e-9, best[0] / best[1]);
            free(w); free(x); free(y);
        }
    return fails != 0;
}
