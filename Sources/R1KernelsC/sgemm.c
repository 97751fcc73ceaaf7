// fp32 GEMM for the training engine: C = op(A)·op(B) + beta·C, row-major, op = identity or transpose.
// Goto/BLIS blocking: B packed into KC×16 column panels, A into 6×KC row panels, a 6×16 FMA micro-kernel (12 ymm
// accumulators) or 6×32 on AVX-512F; K is never split, so each element's sum runs in one fixed order (bit-exact runs).
// Full micro-tiles are added into C by the micro-kernel itself (vector loads and stores); only the ragged edge goes
// through a scratch tile. Packing loops are specialised per transpose and branch-free in their inner loops.
// r1c_sgemm_ref is the plain loop the kernel is tested against (Tests/R1TrainTests/GemmTests.swift); callers split C
// into tiles across threads (R1Train/Gemm.swift).
#include "R1KernelsC.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

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
    if (ta) {  // A stored (k, m): row p of the store holds every panel's MR values at p; read it once, in order
        const int full = mc - mc % MR;
        for (int p = 0; p < kc; p++) {
            const float *restrict src = a + (size_t)(p0 + p) * lda + i0;
            for (int ir = 0; ir < full; ir += MR) {
                float *restrict dst = ap + (size_t)ir * kc + (size_t)p * MR;
                for (int r = 0; r < MR; r++) dst[r] = src[ir + r];
            }
            if (full < mc) {
                float *restrict dst = ap + (size_t)full * kc + (size_t)p * MR;
                for (int r = 0; r < MR; r++) dst[r] = full + r < mc ? src[full + r] : 0.0f;
            }
        }
        return;
    }
    for (int ir = 0; ir < mc; ir += MR, ap += (size_t)MR * kc) {
        const int mr = mc - ir < MR ? mc - ir : MR;
        if (mr == MR) {  // A stored (m, k), a full panel: four columns of the six rows at a time
            const float *src = a + (size_t)(i0 + ir) * lda + p0;
            int p = 0;
#if defined(__x86_64__) || defined(_M_X64)
            for (; p + 4 <= kc; p += 4) {
                __m128 r0 = _mm_loadu_ps(src + p), r1 = _mm_loadu_ps(src + lda + p);
                __m128 r2 = _mm_loadu_ps(src + 2 * (size_t)lda + p), r3 = _mm_loadu_ps(src + 3 * (size_t)lda + p);
                const __m128 r4 = _mm_loadu_ps(src + 4 * (size_t)lda + p), r5 = _mm_loadu_ps(src + 5 * (size_t)lda + p);
                _MM_TRANSPOSE4_PS(r0, r1, r2, r3);  // r_j = rows 0-3 at column p + j
                const __m128 lo = _mm_unpacklo_ps(r4, r5), hi = _mm_unpackhi_ps(r4, r5);  // rows 4-5 at p, p+1 | p+2, p+3
                float *dst = ap + (size_t)p * MR;
                _mm_storeu_ps(dst, r0); _mm_storel_pi((__m64 *)(dst + 4), lo);
                _mm_storeu_ps(dst + 6, r1); _mm_storeh_pi((__m64 *)(dst + 10), lo);
                _mm_storeu_ps(dst + 12, r2); _mm_storel_pi((__m64 *)(dst + 16), hi);
                _mm_storeu_ps(dst + 18, r3); _mm_storeh_pi((__m64 *)(dst + 22), hi);
            }
#endif
            for (; p < kc; p++)
                for (int r = 0; r < MR; r++) ap[p * MR + r] = src[(size_t)r * lda + p];
        } else {  // A stored (m, k), the ragged edge: one row at a time, read contiguously
            for (int r = 0; r < mr; r++) {
                const float *src = a + (size_t)(i0 + ir + r) * lda + p0;
                for (int p = 0; p < kc; p++) ap[p * MR + r] = src[p];
            }
            for (int r = mr; r < MR; r++)
                for (int p = 0; p < kc; p++) ap[p * MR + r] = 0.0f;
        }
    }
}

/// op(B)[p0.., j0..] as NR-column panels: bp[panel][p][col], zero-padded past `nc` columns.
#define PACK_B(NR)                                                                                                      \
    static void pack_b##NR(int tb, const float *b, int ldb, int p0, int kc, int j0, int nc, float *bp) {               \
        const int full = nc - nc % NR; /* columns in whole panels */                                                  \
        if (tb) { /* B stored (n, k): one column of op(B) at a time, read contiguously */                              \
            for (int jr = 0; jr < nc; jr += NR) {                                                                       \
                const int w = nc - jr < NR ? nc - jr : NR;                                                              \
                float *restrict panel = bp + (size_t)jr * kc;                                                           \
                for (int col = 0; col < w; col++) {                                                                     \
                    const float *restrict src = b + (size_t)(j0 + jr + col) * ldb + p0;                                 \
                    for (int p = 0; p < kc; p++) panel[p * NR + col] = src[p];                                          \
                }                                                                                                       \
                for (int col = w; col < NR; col++)                                                                      \
                    for (int p = 0; p < kc; p++) panel[p * NR + col] = 0.0f;                                            \
            }                                                                                                           \
            return;                                                                                                     \
        }                                                                                                               \
        /* B stored (k, n): row p holds every panel's NR values at p; read it once, in order */                        \
        for (int p = 0; p < kc; p++) {                                                                                  \
            const float *restrict src = b + (size_t)(p0 + p) * ldb + j0;                                                \
            for (int jr = 0; jr < full; jr += NR) {                                                                     \
                float *restrict dst = bp + (size_t)jr * kc + (size_t)p * NR;                                            \
                for (int col = 0; col < NR; col++) dst[col] = src[jr + col];                                            \
            }                                                                                                           \
            if (full < nc) {                                                                                            \
                float *restrict dst = bp + (size_t)full * kc + (size_t)p * NR;                                          \
                for (int col = 0; col < NR; col++) dst[col] = full + col < nc ? src[full + col] : 0.0f;                 \
            }                                                                                                           \
        }                                                                                                               \
    }
PACK_B(16)
PACK_B(32)

/// c[r][col] = beta·c + tile for the valid mr×nr corner of an MR×nrMax tile (the ragged edge).
static void store_tile(const float *tile, int nrMax, int mr, int nr, float beta, float *c, int ldc) {
    for (int r = 0; r < mr; r++) {
        for (int col = 0; col < nr; col++) {
            float *out = c + (size_t)r * ldc + col;
            *out = beta == 0 ? tile[r * nrMax + col] : beta * *out + tile[r * nrMax + col];
        }
    }
}

/// A micro-kernel: the MR×NR product of one A panel and one B panel, written as beta·C + product into C (row stride
/// ldc); called with a scratch tile, ldc NR and beta 0 for the ragged edge.
typedef void (*micro_fn)(int kc, const float *ap, const float *bp, float *c, int ldc, float beta);

/// The portable micro-kernel (any CPU): MR×16.
static void micro_plain(int kc, const float *ap, const float *bp, float *c, int ldc, float beta) {
    float acc[MR * 16] = {0};
    for (int p = 0; p < kc; p++) {
        for (int r = 0; r < MR; r++) {
            const float x = ap[p * MR + r];
            for (int col = 0; col < 16; col++) acc[r * 16 + col] += x * bp[p * 16 + col];
        }
    }
    store_tile(acc, 16, MR, 16, beta, c, ldc);
}

#if defined(__x86_64__) || defined(_M_X64)
#define R1_FMA __attribute__((target("avx2,fma")))
#define R1_512 __attribute__((target("avx512f,avx2,fma")))

/// beta·out + acc as the scalar path computes it (a product, then a sum: never fused).
R1_FMA static inline void out8(float *out, __m256 acc, float beta) {
    if (beta == 0) _mm256_storeu_ps(out, acc);
    else if (beta == 1) _mm256_storeu_ps(out, _mm256_add_ps(_mm256_loadu_ps(out), acc));
    else _mm256_storeu_ps(out, _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(out)), acc));
}

R1_512 static inline void out16(float *out, __m512 acc, float beta) {
    if (beta == 0) _mm512_storeu_ps(out, acc);
    else if (beta == 1) _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), acc));
    else _mm512_storeu_ps(out, _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(out)), acc));
}

/// 6×16: 12 ymm accumulators, two B loads and six broadcasts per k.
R1_FMA static void micro_avx2(int kc, const float *ap, const float *bp, float *c, int ldc, float beta) {
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
    out8(c, c00, beta); out8(c + 8, c01, beta); c += ldc;
    out8(c, c10, beta); out8(c + 8, c11, beta); c += ldc;
    out8(c, c20, beta); out8(c + 8, c21, beta); c += ldc;
    out8(c, c30, beta); out8(c + 8, c31, beta); c += ldc;
    out8(c, c40, beta); out8(c + 8, c41, beta); c += ldc;
    out8(c, c50, beta); out8(c + 8, c51, beta);
}

/// 6×32: 12 zmm accumulators.
R1_512 static void micro_avx512(int kc, const float *ap, const float *bp, float *c, int ldc, float beta) {
    __m512 acc[MR][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        for (int r = 0; r < MR; r++) {
            const __m512 x = _mm512_set1_ps(ap[r]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
        ap += MR;
        bp += 32;
    }
    for (int r = 0; r < MR; r++) {
        out16(c + (size_t)r * ldc, acc[r][0], beta);
        out16(c + (size_t)r * ldc + 16, acc[r][1], beta);
    }
}

/// The FMA peak probe: 12 independent accumulator chains, no memory traffic.
R1_FMA static float probe_avx2(long iterations) {
    __m256 acc[12], x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    __m256 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
    return _mm256_cvtss_f32(s);
}

R1_512 static float probe_avx512(long iterations) {
    __m512 acc[12], x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    __m512 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

#elif defined(__aarch64__)

/// beta·out + acc as the scalar path computes it (a product, then a sum: never fused).
static inline void out4(float *out, float32x4_t acc, float beta) {
    if (beta == 0) vst1q_f32(out, acc);
    else if (beta == 1) vst1q_f32(out, vaddq_f32(vld1q_f32(out), acc));
    else vst1q_f32(out, vaddq_f32(vmulq_n_f32(vld1q_f32(out), beta), acc));
}

/// 6×16 on NEON (any AArch64 CPU): 24 of the 32 q registers accumulate, four B loads and one 4 + 2 A load per k,
/// each A value taken by lane (fmla by element).
static void micro_neon(int kc, const float *ap, const float *bp, float *c, int ldc, float beta) {
    float32x4_t c00 = vdupq_n_f32(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    float32x4_t c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    float32x4_t c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    for (int p = 0; p < kc; p++) {
        const float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4), b2 = vld1q_f32(bp + 8), b3 = vld1q_f32(bp + 12);
        const float32x4_t a = vld1q_f32(ap);
        const float32x2_t a45 = vld1_f32(ap + 4);
#define R1_ROW(R, A, L, LANE) \
        c##R##0 = LANE(c##R##0, b0, A, L); c##R##1 = LANE(c##R##1, b1, A, L); \
        c##R##2 = LANE(c##R##2, b2, A, L); c##R##3 = LANE(c##R##3, b3, A, L);
        R1_ROW(0, a, 0, vfmaq_laneq_f32) R1_ROW(1, a, 1, vfmaq_laneq_f32) R1_ROW(2, a, 2, vfmaq_laneq_f32)
        R1_ROW(3, a, 3, vfmaq_laneq_f32) R1_ROW(4, a45, 0, vfmaq_lane_f32) R1_ROW(5, a45, 1, vfmaq_lane_f32)
#undef R1_ROW
        ap += MR;
        bp += 16;
    }
#define R1_OUT(R) \
    out4(c, c##R##0, beta); out4(c + 4, c##R##1, beta); out4(c + 8, c##R##2, beta); out4(c + 12, c##R##3, beta); c += ldc;
    R1_OUT(0) R1_OUT(1) R1_OUT(2) R1_OUT(3) R1_OUT(4) R1_OUT(5)
#undef R1_OUT
}

/// The FMA peak probe on NEON: 12 independent 4-lane FMA chains, no memory traffic.
static float probe_neon(long iterations) {
    float32x4_t acc[12];
    const float32x4_t x = vdupq_n_f32(0.999999f), y = vdupq_n_f32(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = vdupq_n_f32((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 12; i++) acc[i] = vfmaq_f32(y, acc[i], x);
    float32x4_t s = acc[0];
    for (int i = 1; i < 12; i++) s = vaddq_f32(s, acc[i]);
    return vaddvq_f32(s);
}

#endif

/// Each thread's packing buffers, made on its first call and freed when it exits: a fresh 650 KB allocation per call
/// went to mmap, and the kernel zeroed its pages every time.
typedef struct { float *ap, *bp; } scratch_t;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static void scratch_free(void *p) {
    scratch_t *s = p;
    free(s->ap);
    free(s->bp);
    free(s);
}
static void scratch_key_make(void) { pthread_key_create(&scratch_key, scratch_free); }
static scratch_t *scratch(void) {
    pthread_once(&scratch_once, scratch_key_make);
    scratch_t *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = malloc(sizeof *s);
        s->ap = aligned_alloc(64, sizeof(float) * MC * KC);
        s->bp = aligned_alloc(64, sizeof(float) * (NC + 32) * KC);
        pthread_setspecific(scratch_key, s);
    }
    return s;
}

double r1c_fma_probe(int isa, long iterations, float *sink) {
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == 2) { *sink = probe_avx512(iterations); return 12.0 * 2 * 16 * (double)iterations; }
    if (isa == 1) { *sink = probe_avx2(iterations); return 12.0 * 2 * 8 * (double)iterations; }
#elif defined(__aarch64__)
    if (isa >= 1) { *sink = probe_neon(iterations); return 12.0 * 2 * 4 * (double)iterations; }
#endif
    *sink = 0;
    return 0;
}

void r1c_sgemm(int isa, int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta,
               float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * c[(size_t)i * ldc + j];
        return;
    }
    int nr = 16;
    micro_fn micro = micro_plain;
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == 2) {
        micro = micro_avx512;
        nr = 32;
    } else if (isa == 1) {
        micro = micro_avx2;
    }
#elif defined(__aarch64__)
    if (isa >= 1) micro = micro_neon;  // every NEON level: sgemm has no use for sdot or smmla
#endif
    scratch_t *buffers = scratch();
    float *ap = buffers->ap, *bp = buffers->bp;
    float tile[MR * 32] __attribute__((aligned(64)));
    for (int jc = 0; jc < n; jc += NC) {
        const int nc = n - jc < NC ? n - jc : NC;
        for (int pc = 0; pc < k; pc += KC) {
            const int kc = k - pc < KC ? k - pc : KC;
            const float bt = pc == 0 ? beta : 1.0f;
            if (nr == 32) pack_b32(tb, b, ldb, pc, kc, jc, nc, bp);
            else pack_b16(tb, b, ldb, pc, kc, jc, nc, bp);
            for (int ic = 0; ic < m; ic += MC) {
                const int mc = m - ic < MC ? m - ic : MC;
                pack_a(ta, a, lda, ic, mc, pc, kc, ap);
                for (int jr = 0; jr < nc; jr += nr) {
                    const int w = nc - jr < nr ? nc - jr : nr;
                    for (int ir = 0; ir < mc; ir += MR) {
                        const int h = mc - ir < MR ? mc - ir : MR;
                        float *out = c + (size_t)(ic + ir) * ldc + jc + jr;
                        if (h == MR && w == nr) {
                            micro(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc, out, ldc, bt);
                        } else {
                            micro(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc, tile, nr, 0.0f);
                            store_tile(tile, nr, h, w, bt, out, ldc);
                        }
                    }
                }
            }
        }
    }
}
