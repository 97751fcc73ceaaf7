// Flash attention over a KV cache (F32, F16 or Q8_0 rows): the query rows of one KV head scored against a contiguous
// range of positions, online softmax (running max m, Σ l, unnormalized Σ e^(s-m)·v per row), so a long history can
// be split into ranges run on different threads and merged by log-sum-exp (flash-decoding's split-K), and a cache
// kept in blocks can be walked block by block. The vector bodies are attention_body.h for AVX2 and AVX-512; the plain
// loops below run for isa 0 and for head dims the vector bodies do not take. Tested against R1Kernels'
// AttentionKernels.reference (scores, softmax, weighted sum of V) in AttentionKernelTests.
#include "R1KernelsC.h"
#include "internal.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

/// Positions per chunk: the chunk's scores for 8 rows, and its K and V rows, stay in L1.
#define ATT_CH 32

static inline float att_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return r1c_half_to_float(h);
}

/// Element i of a K/V row of `type`.
static inline float att_elem(int type, const uint8_t *p, int i) {
    if (type == R1C_F16) return att_half(p + 2 * i);
    if (type == R1C_F32) { float f; memcpy(&f, p + 4 * i, 4); return f; }
    const uint8_t *b = p + 34 * (i / 32);
    return att_half(b) * (float)(int8_t)b[2 + i % 32];
}

static void update_plain(int type, int rows, int hd, float scale, const float *q, size_t qs, const uint8_t *k,
                         size_t ks, const uint8_t *v, size_t vs, int n, float *m, float *l, float *acc) {
    for (int r = 0; r < rows; r++) {
        const float *qr = q + (size_t)r * qs;
        float *ar = acc + (size_t)r * hd;
        for (int j = 0; j < n; j++) {
            const uint8_t *kj = k + (size_t)j * ks, *vj = v + (size_t)j * vs;
            float s = 0;
            for (int d = 0; d < hd; d++) s += qr[d] * att_elem(type, kj, d);
            s *= scale;
            if (s > m[r]) {
                const float alpha = m[r] == -INFINITY ? 0.0f : expf(m[r] - s);
                l[r] *= alpha;
                for (int d = 0; d < hd; d++) ar[d] *= alpha;
                m[r] = s;
            }
            const float p = expf(s - m[r]);
            l[r] += p;
            for (int d = 0; d < hd; d++) ar[d] += p * att_elem(type, vj, d);
        }
    }
}

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

// MARK: - AVX2 (VW 8)

#define ATT_TARGET __attribute__((target("avx2,fma,f16c")))
#define VF __m256
#define VW 8
#define ATT(name) name##_avx2
#define vzero() _mm256_setzero_ps()
#define vset1(f) _mm256_set1_ps(f)
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, x) _mm256_storeu_ps(p, x)
#define vadd(a, b) _mm256_add_ps(a, b)
#define vsub(a, b) _mm256_sub_ps(a, b)
#define vmul(a, b) _mm256_mul_ps(a, b)
#define vmax(a, b) _mm256_max_ps(a, b)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vhsum(x) att_hsum_avx2(x)
#define vhsum4(a, b, c, d, out) att_hsum4_avx2(a, b, c, d, out)
#define vhmax(x) att_hmax_avx2(x)
#define vld_f16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define vld_i8(p) _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p))))
#define vexp_fast(x) att_exp_avx2(x)

ATT_TARGET static inline float att_hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The sums of 4 vectors in one pass of horizontal adds.
ATT_TARGET static inline void att_hsum4_avx2(__m256 a, __m256 b, __m256 c, __m256 d, float *out) {
    const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
}

ATT_TARGET static inline float att_hmax_avx2(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// e^x for x <= 0 (Vec.exp's Cephes polynomial: x = n ln2 + r, degree 5, 2^n from the exponent bits); 0 below -87.3.
ATT_TARGET static inline __m256 att_exp_avx2(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.33654f);
    const __m256 xc = _mm256_max_ps(x, lo);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.442695041f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    const __m256 e = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    const __m256 out = _mm256_mul_ps(e, _mm256_castsi256_ps(bits));
    return _mm256_and_ps(out, _mm256_cmp_ps(x, lo, _CMP_GE_OQ));
}

#include "attention_body.h"

#undef ATT_TARGET
#undef VF
#undef VW
#undef ATT
#undef vzero
#undef vset1
#undef vload
#undef vstore
#undef vadd
#undef vsub
#undef vmul
#undef vmax
#undef vfma
#undef vhsum
#undef vhsum4
#undef vhmax
#undef vld_f16
#undef vld_i8
#undef vexp_fast

// MARK: - AVX-512 (VW 16)

#define ATT_TARGET R1_AVX512
#define VF __m512
#define VW 16
#define ATT(name) name##_avx512
#define vzero() _mm512_setzero_ps()
#define vset1(f) _mm512_set1_ps(f)
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, x) _mm512_storeu_ps(p, x)
#define vadd(a, b) _mm512_add_ps(a, b)
#define vsub(a, b) _mm512_sub_ps(a, b)
#define vmul(a, b) _mm512_mul_ps(a, b)
#define vmax(a, b) _mm512_max_ps(a, b)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vhsum(x) _mm512_reduce_add_ps(x)
#define vhsum4(a, b, c, d, out) att_hsum4_avx512(a, b, c, d, out)
#define vhmax(x) _mm512_reduce_max_ps(x)
#define vld_f16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
#define vld_i8(p) _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p))))
#define vexp_fast(x) att_exp_avx512(x)

/// The sums of 4 vectors: halves added down to 8 lanes each, then AVX2's horizontal adds.
ATT_TARGET static inline void att_hsum4_avx512(__m512 a, __m512 b, __m512 c, __m512 d, float *out) {
#define ATT_HALF(x) _mm256_add_ps(_mm512_castps512_ps256(x), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)))
    const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(ATT_HALF(a), ATT_HALF(b)), _mm256_hadd_ps(ATT_HALF(c), ATT_HALF(d)));
#undef ATT_HALF
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
}

ATT_TARGET static inline __m512 att_exp_avx512(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.33654f);
    const __m512 xc = _mm512_max_ps(x, lo);
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.442695041f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    const __m512 e = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    const __m512 out = _mm512_mul_ps(e, _mm512_castsi512_ps(bits));
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, lo, _CMP_GE_OQ), out);
}

#include "attention_body.h"
#endif

void r1c_attn_init(int rows, int hd, float *state) {
    for (int r = 0; r < rows; r++) {
        state[r] = -INFINITY;
        state[rows + r] = 0;
    }
    memset(state + 2 * rows, 0, sizeof(float) * (size_t)rows * hd);
}

void r1c_attn_update(int isa, int type, int rows, int hd, float scale, const float *q, size_t q_stride, const void *k,
                     size_t k_stride, const void *v, size_t v_stride, int n, float *m, float *l, float *acc) {
    if (n <= 0 || rows <= 0) return;
    const uint8_t *kp = (const uint8_t *)k, *vp = (const uint8_t *)v;
#if defined(__x86_64__) || defined(_M_X64)
    if (isa >= 2 && hd % 16 == 0) {
        update_avx512(type, rows, hd, scale, q, q_stride, kp, k_stride, vp, v_stride, n, m, l, acc);
        return;
    }
    if (isa >= 1 && hd % 8 == 0) {
        update_avx2(type, rows, hd, scale, q, q_stride, kp, k_stride, vp, v_stride, n, m, l, acc);
        return;
    }
#endif
    (void)isa;
    update_plain(type, rows, hd, scale, q, q_stride, kp, k_stride, vp, v_stride, n, m, l, acc);
}

void r1c_attn_finish(int rows, int hd, int parts, const float *states, int heads, float *out, size_t out_token_stride) {
    const size_t ps = (size_t)rows * (hd + 2);
    for (int r = 0; r < rows; r++) {
        float mx = -INFINITY;
        for (int p = 0; p < parts; p++) mx = states[p * ps + r] > mx ? states[p * ps + r] : mx;
        float *o = out + (size_t)(r / heads) * out_token_stride + (size_t)(r % heads) * hd;
        float total = 0;
        for (int d = 0; d < hd; d++) o[d] = 0;
        for (int p = 0; p < parts; p++) {
            const float *st = states + p * ps;
            if (st[r] == -INFINITY) continue;  // a part that saw no positions
            const float w = expf(st[r] - mx);
            total += w * st[rows + r];
            const float *a = st + 2 * rows + (size_t)r * hd;
            for (int d = 0; d < hd; d++) o[d] += w * a[d];
        }
        const float inv = 1 / total;
        for (int d = 0; d < hd; d++) o[d] *= inv;
    }
}
