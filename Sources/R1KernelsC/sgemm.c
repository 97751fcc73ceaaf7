// fp32 GEMM for the training engine: C = op(A)·op(B) + beta·C, row-major, op = identity or transpose.
// Goto/BLIS blocking: B packed into KC×16 column panels, A into 6×KC row panels, a 6×16 FMA micro-kernel (12 ymm
// accumulators) or 6×32 on AVX-512F; K is never split, so each element's sum runs in one fixed order (bit-exact runs).
// r1c_sgemm_ref is the plain loop the kernel is tested against (Tests/R1TrainTests/GemmTests.swift); callers split C
// into tiles across threads (R1Train/Gemm.swift).
#include "R1KernelsC.h"
#include <stdlib.h>
#include <string.h>

#define KC 256
#define MC 96
#define NC 512
#define MR 6

void r1c_sgemm_ref(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta,
                   float *c, int ldc) {
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float s = 0;
            for (int p = 0; p < k; p++) {
                const float x = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                const float y = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += x * y;
            }
            float *out = c + (size_t)i * ldc + j;
            *out = beta == 0 ? s : beta * *out + s;
        }
    }
}

/// A[i0.., p0..] as MR-row panels: ap[panel][p][r], zero-padded past `mc` rows.
static void pack_a(int ta, const float *a, int lda, int i0, int mc, int p0, int kc, float *ap) {
    for (int ir = 0; ir < mc; ir += MR) {
        const int mr = mc - ir < MR ? mc - ir : MR;
        for (int p = 0; p < kc; p++) {
            for (int r = 0; r < MR; r++) {
                const int i = i0 + ir + r, q = p0 + p;
                ap[p * MR + r] = r < mr ? (ta ? a[(size_t)q * lda + i] : a[(size_t)i * lda + q]) : 0.0f;
            }
        }
        ap += (size_t)MR * kc;
    }
}

/// op(B)[p0.., j0..] as `nr`-column panels: bp[panel][p][c], zero-padded past `nc` columns.
static void pack_b(int tb, const float *b, int ldb, int p0, int kc, int j0, int nc, int nr, float *bp) {
    for (int jr = 0; jr < nc; jr += nr) {
        const int w = nc - jr < nr ? nc - jr : nr;
        for (int p = 0; p < kc; p++) {
            float *dst = bp + (size_t)p * nr;
            const int q = p0 + p;
            if (!tb && w == nr) {
                memcpy(dst, b + (size_t)q * ldb + j0 + jr, sizeof(float) * nr);
                continue;
            }
            for (int col = 0; col < nr; col++) {
                const int j = j0 + jr + col;
                dst[col] = col < w ? (tb ? b[(size_t)j * ldb + q] : b[(size_t)q * ldb + j]) : 0.0f;
            }
        }
        bp += (size_t)nr * kc;
    }
}

/// c[r][col] = beta·c + tile for the valid mr×nr corner of an MR×nr tile.
static void store_tile(const float *tile, int nrMax, int mr, int nr, float beta, float *c, int ldc) {
    for (int r = 0; r < mr; r++) {
        for (int col = 0; col < nr; col++) {
            float *out = c + (size_t)r * ldc + col;
            *out = beta == 0 ? tile[r * nrMax + col] : beta * *out + tile[r * nrMax + col];
        }
    }
}

/// The portable micro-kernel (any CPU): MR×16.
static void micro_plain(int kc, const float *ap, const float *bp, float *tile) {
    float acc[MR * 16] = {0};
    for (int p = 0; p < kc; p++) {
        for (int r = 0; r < MR; r++) {
            const float x = ap[p * MR + r];
            for (int col = 0; col < 16; col++) acc[r * 16 + col] += x * bp[p * 16 + col];
        }
    }
    memcpy(tile, acc, sizeof acc);
}

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define R1_FMA __attribute__((target("avx2,fma")))
#define R1_512 __attribute__((target("avx512f,avx2,fma")))

/// 6×16: 12 ymm accumulators, two B loads and six broadcasts per k.
R1_FMA static void micro_avx2(int kc, const float *ap, const float *bp, float *tile) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
        __m256 x = _mm256_broadcast_ss(ap + 0);
        c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(ap + 1);
        c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(ap + 2);
        c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(ap + 3);
        c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(ap + 4);
        c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(ap + 5);
        c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
        ap += MR;
        bp += 16;
    }
    _mm256_storeu_ps(tile + 0, c00); _mm256_storeu_ps(tile + 8, c01);
    _mm256_storeu_ps(tile + 16, c10); _mm256_storeu_ps(tile + 24, c11);
    _mm256_storeu_ps(tile + 32, c20); _mm256_storeu_ps(tile + 40, c21);
    _mm256_storeu_ps(tile + 48, c30); _mm256_storeu_ps(tile + 56, c31);
    _mm256_storeu_ps(tile + 64, c40); _mm256_storeu_ps(tile + 72, c41);
    _mm256_storeu_ps(tile + 80, c50); _mm256_storeu_ps(tile + 88, c51);
}

/// 6×32: 12 zmm accumulators.
R1_512 static void micro_avx512(int kc, const float *ap, const float *bp, float *tile) {
    __m512 c[MR][2];
    for (int r = 0; r < MR; r++) c[r][0] = c[r][1] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        for (int r = 0; r < MR; r++) {
            const __m512 x = _mm512_set1_ps(ap[r]);
            c[r][0] = _mm512_fmadd_ps(x, b0, c[r][0]);
            c[r][1] = _mm512_fmadd_ps(x, b1, c[r][1]);
        }
        ap += MR;
        bp += 32;
    }
    for (int r = 0; r < MR; r++) {
        _mm512_storeu_ps(tile + r * 32, c[r][0]);
        _mm512_storeu_ps(tile + r * 32 + 16, c[r][1]);
    }
}

static int sgemm_isa(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        const int avx512 = avx2 && __builtin_cpu_supports("avx512f") && getenv("R1_NO_AVX512") == NULL;
        cached = avx512 ? 2 : avx2 ? 1 : 0;
    }
    return cached;
}
#else
static int sgemm_isa(void) { return 0; }
#endif

int r1c_sgemm_kernel(void) { return sgemm_isa(); }

void r1c_sgemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta,
               float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * c[(size_t)i * ldc + j];
        return;
    }
    const int isa = sgemm_isa();
    const int nr = isa == 2 ? 32 : 16;
    void (*micro)(int, const float *, const float *, float *) = micro_plain;
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == 2) micro = micro_avx512;
    else if (isa == 1) micro = micro_avx2;
#endif
    float *ap = aligned_alloc(64, sizeof(float) * MC * KC);
    float *bp = aligned_alloc(64, sizeof(float) * (NC + 32) * KC);
    float tile[MR * 32] __attribute__((aligned(64)));
    for (int jc = 0; jc < n; jc += NC) {
        const int nc = n - jc < NC ? n - jc : NC;
        for (int pc = 0; pc < k; pc += KC) {
            const int kc = k - pc < KC ? k - pc : KC;
            const float bt = pc == 0 ? beta : 1.0f;
            pack_b(tb, b, ldb, pc, kc, jc, nc, nr, bp);
            for (int ic = 0; ic < m; ic += MC) {
                const int mc = m - ic < MC ? m - ic : MC;
                pack_a(ta, a, lda, ic, mc, pc, kc, ap);
                for (int jr = 0; jr < nc; jr += nr) {
                    const int w = nc - jr < nr ? nc - jr : nr;
                    for (int ir = 0; ir < mc; ir += MR) {
                        const int h = mc - ir < MR ? mc - ir : MR;
                        micro(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc, tile);
                        store_tile(tile, nr, h, w, bt, c + (size_t)(ic + ir) * ldc + jc + jr, ldc);
                    }
                }
            }
        }
    }
    free(ap);
    free(bp);
}
