// R1KernelsC's AArch64 kernels (NEON, dotprod, i8mm) against plain C references, run under qemu-aarch64 by
// scripts/tests/neon_qemu.sh: every public entry point (r1c_dot_rows, r1c_dot_tile for Q8_0, Q4_0, Q4_K, Q6_K;
// r1c_f16_dot, _axpy, _rows, _tile; r1c_sgemm) at every level this CPU runs, on random inputs; exit status 1 on any
// mismatch. Usage: neon_kernels EXPECTED_LEVEL [all]: EXPECTED_LEVEL is the level r1c_cpu_isa() must report for the
// emulated CPU (1 NEON, 2 + dotprod, 3 + i8mm); the kernels of that level are tested, or of every level up to it with
// `all`.
//
// The references are the plain loops of QuantReference.swift / kernels_f16.c / sgemm.c, summed in double, so they are
// exact to about 2^-45 relative. Tolerances, u = 2^-24 (float's unit roundoff):
// - quantized dots: every integer sum in the kernels is exact; what rounds is the float work per block (d_w d_x, the
//   int32 -> float conversion, one FMA or add into an accumulator) and the final sum over lanes. Each block's term
//   passes at most nb + 6 roundings, so |y - exact| <= (nb + 6) u Σ_terms |term| (Higham's γ bound), with Σ|term|
//   bounded by S = Σ_i |scale-weighted w_i| |x_i| (K-quants: d|sc q| + dmin m, the two parts that may cancel).
// - exact mode: all scales 1, magnitudes kept under 2^24, so every float step is exact and the kernels must equal the
//   integer reference bit for bit (this is what catches a wrong nibble, scale or bsum that a tolerance could hide).
// - F16 dot / rows / tile: halves convert exactly; chains of n / 4 + 8 FMAs or adds: (n / 4 + 8) u Σ|w x|.
// - axpy: one FMA (or a product and a sum in the tail) per element: 2 u (|y| + |a v|).
// - sgemm: a chain of k FMAs per element plus the K-block adds and beta: (k + k / 256 + 3) u (Σ|a b| + |beta c|).
#include "R1KernelsC.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0, checks = 0;
static const double U = 1.0 / 16777216.0;

// MARK: - Random numbers, halves

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int rand_int(int lo, int hi) { return lo + (int)(next_u64() % (uint64_t)(hi - lo + 1)); }
static double rand_unit(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }
static float rand_normal(void) {
    const double a = rand_unit() + 1e-12, b = rand_unit();
    return (float)(sqrt(-2 * log(a)) * cos(6.283185307179586 * b));
}

/// Half bits -> float, exact (subnormals by scaling, inf/NaN kept).
static float half_to_float(uint16_t h) {
    const int e = (h >> 10) & 31, m = h & 1023;
    const float s = (h & 0x8000) ? -1.0f : 1.0f;
    if (e == 0) return s * ldexpf((float)m, -24);
    if (e == 31) return m ? NAN : s * INFINITY;
    return s * ldexpf((float)(1024 + m), e - 25);
}
/// float -> half bits, round to nearest even, for normal results (all the test uses).
static uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000;
    const int e = (int)((x >> 23) & 255) - 127 + 15;
    uint32_t m = x & 0x7fffff;
    if (e <= 0) return (uint16_t)sign;  // flush (never asked for)
    uint32_t h = ((uint32_t)e << 10) | (m >> 13);
    const uint32_t rest = m & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}
static float ld_f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return half_to_float(h);
}
static void st_f16(uint8_t *p, float f) {
    const uint16_t h = float_to_half(f);
    memcpy(p, &h, 2);
}
static float ld_f32(const uint8_t *p) {
    float f;
    memcpy(&f, p, 4);
    return f;
}

// MARK: - Blocks: sizes, random contents (exact mode: scales 1 and small magnitudes)

static const char *type_name[] = {"q8_0", "q4_0", "q4_K", "q6_K"};
static const int wbytes[] = {34, 18, 144, 210};   // weight block bytes
static const int xbytes[] = {34, 34, 292, 292};   // activation block bytes (Q8_0, Q8_0, Q8_K, Q8_K)

static float rand_scale(int exact) { return exact ? 1.0f : (float)(0.002 + 0.05 * rand_unit()); }

static void fill_weights(int type, uint8_t *w, int nb, int exact) {
    for (int b = 0; b < nb; b++, w += wbytes[type]) {
        for (int i = 0; i < wbytes[type]; i++) w[i] = (uint8_t)rand_int(0, 255);
        switch (type) {
        case R1C_Q8_0:
        case R1C_Q4_0: st_f16(w, rand_scale(exact)); break;
        case R1C_Q4_K:
            st_f16(w, rand_scale(exact));
            st_f16(w + 2, rand_scale(exact));
            // exact mode: bits 5 and 7 of packed bytes 0..<8 off, so every 6-bit scale and min is below 32 and
            // |Σ sc q q_x| < 8·31·32·15·127 < 2^24
            if (exact)
                for (int i = 4; i < 12; i++) w[i] &= 0x5F;
            break;
        default:
            st_f16(w + 208, rand_scale(exact));
            if (exact)
                for (int i = 192; i < 208; i++) w[i] = (uint8_t)(int8_t)rand_int(-7, 7);
        }
    }
}

static void fill_activations(int type, uint8_t *x, int nb, int exact) {
    for (int b = 0; b < nb; b++, x += xbytes[type]) {
        if (type == R1C_Q8_0 || type == R1C_Q4_0) {
            st_f16(x, rand_scale(exact));
            for (int i = 0; i < 32; i++) x[2 + i] = (uint8_t)(int8_t)rand_int(-127, 127);
        } else {
            const float d = exact ? 1.0f : (float)(0.001 + 0.02 * rand_unit());
            memcpy(x, &d, 4);
            for (int g = 0; g < 16; g++) {
                int16_t s = 0;
                for (int i = 0; i < 16; i++) {
                    const int8_t q = (int8_t)rand_int(-127, 127);
                    x[4 + 16 * g + i] = (uint8_t)q;
                    s = (int16_t)(s + q);
                }
                memcpy(x + 260 + 2 * g, &s, 2);
            }
        }
    }
}

// MARK: - Plain references (QuantReference.vecDot's loops), in double

/// Q4_K's scale and min of sub-block j (get_scale_min_k4).
static void scale_min_k4(int j, const uint8_t *q, int *sc, int *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/// The exact dot of one row with one activation row, and S (see the header) in *mag.
static double ref_dot(int type, const uint8_t *w, const uint8_t *x, int nb, double *mag) {
    double sum = 0, s = 0;
    for (int b = 0; b < nb; b++, w += wbytes[type], x += xbytes[type]) {
        if (type == R1C_Q8_0 || type == R1C_Q4_0) {
            int q[32];
            for (int j = 0; j < 16 && type == R1C_Q4_0; j++) q[j] = (w[2 + j] & 0xF) - 8, q[j + 16] = (w[2 + j] >> 4) - 8;
            for (int j = 0; j < 32 && type == R1C_Q8_0; j++) q[j] = (int8_t)w[2 + j];
            int64_t sumi = 0, abs_sum = 0;
            for (int j = 0; j < 32; j++) {
                const int xv = (int8_t)x[2 + j];
                sumi += q[j] * xv;
                abs_sum += llabs((long long)q[j] * xv);
            }
            const double d = (double)ld_f16(w) * ld_f16(x);
            sum += d * (double)sumi;
            s += fabs(d) * (double)abs_sum;
        } else if (type == R1C_Q4_K) {
            const double dx = ld_f32(x), d = ld_f16(w), dmin = ld_f16(w + 2);
            int64_t sumi = 0, summ = 0;
            double mag_b = 0;
            for (int sb = 0; sb < 8; sb++) {
                int sc, m;
                scale_min_k4(sb, w + 4, &sc, &m);
                int64_t dot = 0, xs = 0, dabs = 0, xabs = 0;
                for (int l = 0; l < 32; l++) {
                    const uint8_t byte = w[16 + 32 * (sb / 2) + l];
                    const int q = sb % 2 == 0 ? byte & 0xF : byte >> 4, xv = (int8_t)x[4 + 32 * sb + l];
                    dot += q * xv;
                    xs += xv;
                    dabs += llabs((long long)q * xv);
                    xabs += abs(xv);
                }
                sumi += sc * dot;
                summ += m * xs;
                mag_b += fabs(d) * sc * (double)dabs + fabs(dmin) * m * (double)xabs;
            }
            sum += dx * d * (double)sumi - dx * dmin * (double)summ;
            s += fabs(dx) * mag_b;
        } else {
            const double dx = ld_f32(x), d = ld_f16(w + 208);
            int64_t sumi = 0, sabs = 0;
            for (int sb = 0; sb < 16; sb++) {
                int64_t dot = 0, dabs = 0;
                for (int l = 0; l < 16; l++) {
                    const int e = 16 * sb + l, h = e / 128, k = (e / 32) % 4, ll = e % 32;
                    const uint8_t ql = w[64 * h + 32 * (k % 2) + ll], qh = w[128 + 32 * h + ll];
                    const int q = ((k < 2 ? ql & 0xF : ql >> 4) | (((qh >> (2 * k)) & 3) << 4)) - 32;
                    const int xv = (int8_t)x[4 + e];
                    dot += q * xv;
                    dabs += llabs((long long)q * xv);
                }
                const int sc = (int8_t)w[192 + sb];
                sumi += sc * dot;
                sabs += llabs((long long)sc) * dabs;
            }
            sum += dx * d * (double)sumi;
            s += fabs(dx * d) * (double)sabs;
        }
    }
    *mag = s;
    return sum;
}

/// One check: |got - want| <= tol, the message (printf arguments) formatted only on a mismatch.
#define EXPECT_CLOSE(got, want, tol, ...)                                                                              \
    do {                                                                                                               \
        const double g_ = (got), w_ = (want), t_ = (tol);                                                              \
        checks++;                                                                                                      \
        if (!(fabs(g_ - w_) <= t_)) {                                                                                  \
            if (failures < 30) {                                                                                       \
                fprintf(stderr, "MISMATCH ");                                                                          \
                fprintf(stderr, __VA_ARGS__);                                                                          \
                fprintf(stderr, ": got %.9g want %.9g (diff %.3g, tolerance %.3g)\n", g_, w_, fabs(g_ - w_), t_);     \
            }                                                                                                          \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

// MARK: - Quantized rows and tiles

static void test_quant(int level, int type, int nb, int exact) {
    enum { ROWS = 17, TOKENS = 9 };
    const size_t rb = (size_t)nb * wbytes[type], xs = (size_t)nb * xbytes[type];
    uint8_t *w = malloc(rb * ROWS), *x = malloc(xs * TOKENS);
    fill_weights(type, w, nb * ROWS, exact);
    fill_activations(type, x, nb * TOKENS, exact);
    double ref[TOKENS][ROWS], mag[TOKENS][ROWS];
    for (int t = 0; t < TOKENS; t++)
        for (int r = 0; r < ROWS; r++) ref[t][r] = ref_dot(type, w + r * rb, x + t * xs, nb, &mag[t][r]);
    const double k = nb + 6;
    // decode rows: every row count up to 17 starts at row 0
    float y[ROWS * TOKENS];
    for (int rows = 1; rows <= ROWS; rows += rows < 3 ? 1 : 2) {
        r1c_dot_rows(level, type, w, rb, rows, x, nb, y);
        for (int r = 0; r < rows; r++) {
            EXPECT_CLOSE(y[r], ref[0][r], exact ? 0 : k * U * mag[0][r], "level %d %s rows nb=%d%s: %d of %d", level,
                         type_name[type], nb, exact ? " exact" : "", r, rows);
        }
    }
    // prefill tiles: 1-9 tokens, odd and even row counts, y with a row stride wider than the tile
    const int row_counts[] = {1, 2, 3, 5, 16, 17};
    for (int ri = 0; ri < 6; ri++) {
        const int rows = row_counts[ri];
        for (int tokens = 1; tokens <= TOKENS; tokens++) {
            const size_t ys = ROWS;
            for (int i = 0; i < ROWS * TOKENS; i++) y[i] = NAN;
            r1c_dot_tile(level, type, w, rb, rows, x, xs, tokens, nb, y, ys);
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < rows; r++) {
                    EXPECT_CLOSE(y[t * ys + r], ref[t][r], exact ? 0 : k * U * mag[t][r],
                                 "level %d %s tile %dx%d nb=%d%s: row %d token %d", level, type_name[type], rows,
                                 tokens, nb, exact ? " exact" : "", r, t);
                }
        }
    }
    free(w);
    free(x);
}

// MARK: - F16

static void test_f16(int level) {
    const int ns[] = {0, 1, 3, 4, 5, 15, 16, 17, 33, 64, 1536, 1544, 4099};
    for (int ni = 0; ni < 13; ni++) {
        const int n = ns[ni];
        uint8_t *w = malloc(2 * (size_t)n + 2);
        float *x = malloc(4 * (size_t)n + 4), *y = malloc(4 * (size_t)n + 4), *y0 = malloc(4 * (size_t)n + 4);
        for (int i = 0; i < n; i++) st_f16(w + 2 * i, rand_normal()), x[i] = rand_normal(), y0[i] = y[i] = rand_normal();
        double want = 0, mag = 0;
        for (int i = 0; i < n; i++) want += (double)ld_f16(w + 2 * i) * x[i], mag += fabs((double)ld_f16(w + 2 * i) * x[i]);
        EXPECT_CLOSE(r1c_f16_dot(level, w, x, n), want, (n / 4.0 + 8) * U * mag, "level %d f16 dot n=%d", level, n);
        const float a = rand_normal();
        r1c_f16_axpy(level, a, w, y, n);
        for (int i = 0; i < n; i++) {
            const double av = (double)a * ld_f16(w + 2 * i);
            EXPECT_CLOSE(y[i], y0[i] + av, 2 * U * (fabs(y0[i]) + fabs(av)), "level %d f16 axpy n=%d at %d", level, n, i);
        }
        free(w); free(x); free(y); free(y0);
    }
    // rows and tiles: 1-9 tokens, 1-17 rows (row stride wider than the row), widths with and without a remainder of 4
    enum { ROWS = 17, TOKENS = 9 };
    const int cols_list[] = {4, 12, 13, 256, 1536, 1538};
    for (int ci = 0; ci < 6; ci++) {
        const int k = cols_list[ci];
        const size_t rb = 2 * (size_t)k + 6;
        uint8_t *w = malloc(rb * ROWS);
        float *x = malloc(sizeof(float) * k * TOKENS), y[ROWS * TOKENS];
        for (int r = 0; r < ROWS; r++)
            for (int j = 0; j < k; j++) st_f16(w + r * rb + 2 * j, rand_normal());
        for (int i = 0; i < k * TOKENS; i++) x[i] = rand_normal();
        double ref[TOKENS][ROWS], mag[TOKENS][ROWS];
        for (int t = 0; t < TOKENS; t++)
            for (int r = 0; r < ROWS; r++) {
                ref[t][r] = mag[t][r] = 0;
                for (int j = 0; j < k; j++) {
                    const double p = (double)ld_f16(w + r * rb + 2 * j) * x[t * k + j];
                    ref[t][r] += p;
                    mag[t][r] += fabs(p);
                }
            }
        const double tol = (k / 4.0 + 8) * U;
        for (int rows = 1; rows <= ROWS; rows += 4) {
            checks++;
            if (!r1c_f16_rows(level, 0, w, rb, rows, x, k, y)) { fprintf(stderr, "f16 rows: no kernel at level %d\n", level); failures++; }
            for (int r = 0; r < rows; r++) {
                EXPECT_CLOSE(y[r], ref[0][r], tol * mag[0][r], "level %d f16 rows k=%d: %d of %d", level, k, r, rows);
            }
            for (int tokens = 1; tokens <= TOKENS; tokens++) {
                for (int i = 0; i < ROWS * TOKENS; i++) y[i] = NAN;
                checks++;
                if (!r1c_f16_tile(level, w, rb, rows, x, tokens, k, y, ROWS)) {
                    fprintf(stderr, "f16 tile: no kernel at level %d\n", level);
                    failures++;
                }
                for (int t = 0; t < tokens; t++)
                    for (int r = 0; r < rows; r++) {
                        EXPECT_CLOSE(y[t * ROWS + r], ref[t][r], tol * mag[t][r], "level %d f16 tile %dx%d k=%d: row %d token %d",
                                     level, rows, tokens, k, r, t);
                    }
            }
        }
        free(w);
        free(x);
    }
}

// MARK: - sgemm

/// op(A) (m×k) and op(B) (k×n) stored as r1c_sgemm reads them for each transpose, the exact product (and Σ|a b|)
/// computed once per shape.
typedef struct {
    int m, n, k;
    float *a, *at, *b, *bt, *c0;
    double *ref, *mag;
} gemm_case;

static gemm_case gemm_cases[6];

static void make_gemm_cases(void) {
    const int dims[][3] = {{1, 1, 1}, {7, 17, 5}, {13, 40, 300}, {96, 512, 256}, {100, 530, 513}, {6, 16, 1}};
    for (int di = 0; di < 6; di++) {
        gemm_case *g = &gemm_cases[di];
        const int m = g->m = dims[di][0], n = g->n = dims[di][1], k = g->k = dims[di][2];
        g->a = malloc(sizeof(float) * m * k); g->at = malloc(sizeof(float) * m * k);
        g->b = malloc(sizeof(float) * k * n); g->bt = malloc(sizeof(float) * k * n);
        g->c0 = malloc(sizeof(float) * m * n);
        g->ref = malloc(sizeof(double) * m * n); g->mag = malloc(sizeof(double) * m * n);
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) g->a[i * k + p] = g->at[p * m + i] = rand_normal();
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++) g->b[p * n + j] = g->bt[j * k + p] = rand_normal();
        for (int i = 0; i < m * n; i++) g->c0[i] = rand_normal();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    const double v = (double)g->a[i * k + p] * g->b[p * n + j];
                    s += v;
                    mag += fabs(v);
                }
                g->ref[i * n + j] = s;
                g->mag[i * n + j] = mag;
            }
    }
}

static void test_sgemm(int level) {
    const float betas[] = {0, 1, 0.5f};
    for (int di = 0; di < 6; di++) {
        const gemm_case *g = &gemm_cases[di];
        const int m = g->m, n = g->n, k = g->k;
        float *c = malloc(sizeof(float) * m * n);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int bi = 0; bi < 3; bi++) {
                    const float beta = betas[bi];
                    memcpy(c, g->c0, sizeof(float) * m * n);
                    r1c_sgemm(level, ta, tb, m, n, k, ta ? g->at : g->a, ta ? m : k, tb ? g->bt : g->b, tb ? k : n, beta, c, n);
                    for (int i = 0; i < m * n; i++) {
                        const double bc = beta == 0 ? 0 : (double)beta * g->c0[i];
                        const int before = failures;
                        EXPECT_CLOSE(c[i], bc + g->ref[i], (k + k / 256 + 3) * U * (g->mag[i] + fabs(bc)),
                                     "level %d sgemm %dx%dx%d ta %d tb %d beta %g at %d,%d", level, m, n, k, ta,
                                     tb, beta, i / n, i % n);
                        if (failures > before) break;
                    }
                }
        free(c);
    }
    float sink;
    checks++;
    if (r1c_fma_probe(level, 1000, &sink) != 12.0 * 2 * 4 * 1000) {
        fprintf(stderr, "fma probe at level %d: wrong flop count\n", level);
        failures++;
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "all") != 0)) {
        fprintf(stderr, "usage: %s EXPECTED_LEVEL [all] (1 neon, 2 neon-dotprod, 3 neon-i8mm)\n", argv[0]);
        return 2;
    }
    const int expected = atoi(argv[1]), level = r1c_cpu_isa();
    printf("r1c_cpu_isa() = %d (expected %d)\n", level, expected);
    if (level != expected) {
        fprintf(stderr, "FAIL: the CPU's level is %d, expected %d\n", level, expected);
        return 1;
    }
    const int nbs32[] = {1, 2, 3, 7, 48, 280}, nbsK[] = {1, 2, 3, 6, 35};
    make_gemm_cases();
    for (int lv = argc == 3 ? 1 : level; lv <= level; lv++) {
        const int before = failures, checks_before = checks;
        for (int type = 0; type < 4; type++) {
            const int k_quant = type >= R1C_Q4_K;
            for (int i = 0; i < (k_quant ? 5 : 6); i++) test_quant(lv, type, k_quant ? nbsK[i] : nbs32[i], 0);
            // exact mode: Q8_0 / Q4_0 up to 32 blocks (|Σ| < 2^24), K-quants one super-block
            if (k_quant) test_quant(lv, type, 1, 1);
            else for (int nb = 1; nb <= 32; nb *= 2) test_quant(lv, type, nb, 1);
        }
        test_f16(lv);
        test_sgemm(lv);
        printf("level %d: %d checks, %d mismatches\n", lv, checks - checks_before, failures - before);
    }
    if (failures) {
        fprintf(stderr, "FAIL: %d of %d checks\n", failures, checks);
        return 1;
    }
    printf("OK: %d checks\n", checks);
    return 0;
}
