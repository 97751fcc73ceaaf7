// AVX2 prefill tiles with rows in lanes, for CPUs without AVX-512 (see internal.h for the contract): per call, each
// group of 8 weight rows is re-laid so one ymm holds 4 consecutive elements of each of the 8 rows (a 4-byte lane per
// row), then every activation token's 4 bytes are broadcast and one vpmaddubsw multiplies them into all 8 rows at
// once. The rows' sums stay in their lanes to the end: no horizontal sums, and the per-row scales (sub-block scales as
// int16 pairs, d and dmin as floats) apply to 8 rows in one vpmaddwd or FMA. In the spirit of ggml-cpu's repacked
// 8-row interleaved blocks (arch/x86/repack.cpp), with our own layout: no second activation format, Q8_0 / Q8_K as
// MatMul makes them. Tested against QuantReference.vecDot (CKernelTests) like the AVX2 tiles in kernels.c, which
// remain the AVX-512 path's fallback; scripts/bench/tiles/tile_bench_lanes.c checks and times them against those.
//
// Exactness of the int16 sums (vpmaddubsw saturates): unsigned weights u against signed activations x, |x| <= 128:
// - Q4_K / Q4_0 nibbles (u <= 15): 8 vpmaddubsw of one 32-element (sub-)block summed in int16: 16 products per lane,
//   <= 16·15·128 = 30720. Offsets (Q4_K's dmin·min, Q4_0's -8) come back through the activations' block sums.
// - Q6_K (u <= 63 without its -32): 2 vpmaddubsw per int16 sum (4 products, <= 32256), then the sub-block scale by
//   vpmaddwd; the -32 through Q8_K's bsums.
// - Q8_0 (signed weights): |w| against sign(x, w) (ggml's trick), one vpmaddubsw per vpmaddwd (2 products <= 32512).
#include "R1KernelsC.h"
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define R1_AVX2L __attribute__((target("avx2,fma,f16c")))
#define R1_INLINE static inline __attribute__((always_inline))

// MARK: - Scratch and shared helpers

/// Per-thread scratch for the re-laid rows and per-token terms, grown on demand and freed when the thread exits.
typedef struct {
    void *p;
    size_t cap;
} lanes_scratch;
static _Thread_local lanes_scratch lanes_w, lanes_t;
static pthread_key_t lanes_key;
static pthread_once_t lanes_once = PTHREAD_ONCE_INIT;
static void lanes_free(void *unused) {
    (void)unused;
    free(lanes_w.p);
    free(lanes_t.p);
    lanes_w = (lanes_scratch){0, 0};
    lanes_t = (lanes_scratch){0, 0};
}
static void lanes_key_make(void) { pthread_key_create(&lanes_key, lanes_free); }

static void *lanes_get(lanes_scratch *s, size_t n) {
    n = (n + 63) & ~(size_t)63;
    if (s->cap < n) {
        pthread_once(&lanes_once, lanes_key_make);
        pthread_setspecific(lanes_key, &lanes_w);  // any non-null value: the destructor frees both buffers
        free(s->p);
        s->p = aligned_alloc(64, n);
        s->cap = s->p ? n : 0;
    }
    return s->p;
}

R1_AVX2L R1_INLINE float lanes_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

R1_AVX2L R1_INLINE __m256i lanes_bcast4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/// out[k] lane r = dword k of in[r]: the 8 × 8 dword transpose.
R1_AVX2L R1_INLINE void lanes_transpose8(const __m256i in[8], __m256i out[8]) {
    __m256i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(in[i], in[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(in[i], in[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        out[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
        out[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
    }
}

/// Stores 8 rows' results of one token (lanes past `n` rows dropped).
R1_AVX2L R1_INLINE void lanes_store(float *y, __m256 v, int n) {
    if (n >= 8) {
        _mm256_storeu_ps(y, v);
    } else {
        float tmp[8];
        _mm256_storeu_ps(tmp, v);
        for (int i = 0; i < n; i++) y[i] = tmp[i];
    }
}

enum { MAX_NT = 2, MAX_G = 2 };  // tokens per pass, 8-row groups per pass (16 rows: MatMul's grain)

// MARK: - Q4_K {d, dmin: f16, scales: (12), qs: (128)} · Q8_K {d: f32, qs: (256), bsums: (16) int16}

/// Re-laid super-block of 8 rows: 32 ymm of nibbles (ymm 8c + m, lane r = bytes 32c + 4m.. of row r's qs: low nibbles
/// elements 64c + 4m.., high nibbles 64c + 32 + 4m..), 8 ymm of sub-block scales (lane = the scale twice, int16),
/// 4 ymm of min pairs (lane = m_2i, m_2i+1 as int16), 8 floats d, 8 floats dmin.
enum { Q4K_QS = 0, Q4K_SC = 1024, Q4K_MN = 1280, Q4K_D = 1408, Q4K_DM = 1440, Q4K_BYTES = 1472 };

R1_AVX2L static void q4k_relay(const uint8_t *w, size_t row_bytes, int n, int nb, uint8_t *out) {
    for (int b = 0; b < nb; b++) {
        uint8_t *o = out + Q4K_BYTES * (size_t)b;
        const uint8_t *wb = w + 144 * (size_t)b;
        for (int c = 0; c < 4; c++) {
            __m256i in[8], t[8];
            for (int r = 0; r < 8; r++)
                in[r] = r < n ? _mm256_loadu_si256((const __m256i *)(wb + r * row_bytes + 16 + 32 * c)) : _mm256_setzero_si256();
            lanes_transpose8(in, t);
            for (int m = 0; m < 8; m++) _mm256_store_si256((__m256i *)(o + Q4K_QS + 32 * (8 * c + m)), t[m]);
        }
        uint32_t sc[8][8], mn[4][8];
        float d[8], dm[8];
        for (int r = 0; r < 8; r++) {
            uint32_t u[4] = {0, 0, 0, 0};
            d[r] = dm[r] = 0;
            if (r < n) {
                r1c_q4k_scales(wb + r * row_bytes + 4, u);
                d[r] = lanes_half(wb + r * row_bytes);
                dm[r] = lanes_half(wb + r * row_bytes + 2);
            }
            const uint8_t *s = (const uint8_t *)u;
            for (int j = 0; j < 8; j++) sc[j][r] = s[j] * 0x10001u;
            for (int i = 0; i < 4; i++) mn[i][r] = s[8 + 2 * i] | (uint32_t)s[9 + 2 * i] << 16;
        }
        memcpy(o + Q4K_SC, sc, sizeof sc);
        memcpy(o + Q4K_MN, mn, sizeof mn);
        memcpy(o + Q4K_D, d, sizeof d);
        memcpy(o + Q4K_DM, dm, sizeof dm);
    }
}

/// G groups of 8 rows (re-laid at wq, `gstride` bytes apart) × NT tokens (compile-time after inlining).
R1_AVX2L R1_INLINE void q4k_kernel(const int G, const int NT, const uint8_t *wq, size_t gstride, const uint8_t *x,
                                   size_t xs, int nb, float *y, size_t ys, int rows) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[MAX_G][MAX_NT];
    for (int g = 0; g < G; g++)
        for (int t = 0; t < NT; t++) acc[g][t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *ob = wq + Q4K_BYTES * (size_t)b;
        __m256i s32[MAX_G][MAX_NT];
        for (int g = 0; g < G; g++)
            for (int t = 0; t < NT; t++) s32[g][t] = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++)
            for (int h = 0; h < 2; h++) {  // low nibbles: sub-block 2c, high: 2c + 1
                __m256i s16[MAX_G][MAX_NT];
                for (int g = 0; g < G; g++)
                    for (int t = 0; t < NT; t++) s16[g][t] = _mm256_setzero_si256();
                for (int m = 0; m < 8; m++) {
                    __m256i q[MAX_G];
                    for (int g = 0; g < G; g++) {
                        const __m256i v = _mm256_load_si256((const __m256i *)(ob + gstride * g + Q4K_QS + 32 * (8 * c + m)));
                        q[g] = _mm256_and_si256(h ? _mm256_srli_epi16(v, 4) : v, m4);
                    }
                    for (int t = 0; t < NT; t++) {
                        const __m256i xb = lanes_bcast4(x + t * xs + 292 * (size_t)b + 4 + 64 * c + 32 * h + 4 * m);
                        for (int g = 0; g < G; g++) s16[g][t] = _mm256_add_epi16(s16[g][t], _mm256_maddubs_epi16(q[g], xb));
                    }
                }
                for (int g = 0; g < G; g++) {
                    const __m256i sc = _mm256_load_si256((const __m256i *)(ob + gstride * g + Q4K_SC + 32 * (2 * c + h)));
                    for (int t = 0; t < NT; t++) s32[g][t] = _mm256_add_epi32(s32[g][t], _mm256_madd_epi16(s16[g][t], sc));
                }
            }
        for (int t = 0; t < NT; t++) {
            const uint8_t *xb = x + t * xs + 292 * (size_t)b;
            float dxf;
            memcpy(&dxf, xb, 4);
            const __m256 dx = _mm256_set1_ps(dxf);
            // sums of 32 activations (pairs of Q8_K's 16-element bsums) as 4 dwords of int16 pairs, one per min pair
            const __m256i bs = _mm256_loadu_si256((const __m256i *)(xb + 260));
            const __m128i b8 = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
            const __m256i b0 = _mm256_broadcastd_epi32(b8), b1 = _mm256_broadcastd_epi32(_mm_shuffle_epi32(b8, 0x55));
            const __m256i b2 = _mm256_broadcastd_epi32(_mm_shuffle_epi32(b8, 0xAA)), b3 = _mm256_broadcastd_epi32(_mm_shuffle_epi32(b8, 0xFF));
            for (int g = 0; g < G; g++) {
                const uint8_t *og = ob + gstride * g;
                const __m256i *mn = (const __m256i *)(og + Q4K_MN);
                __m256i mi = _mm256_add_epi32(_mm256_madd_epi16(_mm256_load_si256(mn), b0), _mm256_madd_epi16(_mm256_load_si256(mn + 1), b1));
                mi = _mm256_add_epi32(mi, _mm256_add_epi32(_mm256_madd_epi16(_mm256_load_si256(mn + 2), b2),
                                                           _mm256_madd_epi16(_mm256_load_si256(mn + 3), b3)));
                const __m256 d = _mm256_mul_ps(_mm256_load_ps((const float *)(og + Q4K_D)), dx);
                const __m256 dm = _mm256_mul_ps(_mm256_load_ps((const float *)(og + Q4K_DM)), dx);
                acc[g][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s32[g][t]), d, acc[g][t]);
                acc[g][t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mi), dm, acc[g][t]);
            }
        }
    }
    for (int g = 0; g < G; g++)
        for (int t = 0; t < NT; t++) lanes_store(y + t * ys + 8 * g, acc[g][t], rows - 8 * g);
}

#define R1_Q4K(G, NT)                                                                                                  \
    R1_AVX2L static void q4k_##G##_##NT(const uint8_t *wq, size_t gs, const uint8_t *x, size_t xs, int nb, float *y,   \
                                        size_t ys, int rows) {                                                         \
        q4k_kernel(G, NT, wq, gs, x, xs, nb, y, ys, rows);                                                             \
    }
R1_Q4K(1, 1) R1_Q4K(1, 2) R1_Q4K(2, 1) R1_Q4K(2, 2)
#undef R1_Q4K

// MARK: - Q6_K {ql: (128), qh: (64), scales: (16) int8, d: f16} · Q8_K

/// Re-laid super-block of 8 rows: 64 ymm of 6-bit values 0..63 (ymm k, lane r = elements 4k.. of row r), 16 ymm of
/// sub-block scales (lane = the scale twice, int16), 8 ymm of scale pairs (lane = sc_2i, sc_2i+1) for the bsums,
/// 8 floats d.
enum { Q6K_QS = 0, Q6K_SC = 2048, Q6K_SP = 2560, Q6K_D = 2816, Q6K_BYTES = 2848 };

R1_AVX2L static void q6k_relay(const uint8_t *w, size_t row_bytes, int n, int nb, uint8_t *out) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
    for (int b = 0; b < nb; b++) {
        uint8_t *o = out + Q6K_BYTES * (size_t)b;
        const uint8_t *wb = w + 210 * (size_t)b;
        for (int h = 0; h < 2; h++) {
            __m256i q[4][8];  // [32-element chunk][row]
            for (int r = 0; r < 8; r++) {
                if (r >= n) {
                    for (int s = 0; s < 4; s++) q[s][r] = _mm256_setzero_si256();
                    continue;
                }
                const uint8_t *wr = wb + r * row_bytes;
                const __m256i b1 = _mm256_loadu_si256((const __m256i *)(wr + 64 * h));
                const __m256i b2 = _mm256_loadu_si256((const __m256i *)(wr + 64 * h + 32));
                const __m256i bh = _mm256_loadu_si256((const __m256i *)(wr + 128 + 32 * h));
                q[0][r] = _mm256_or_si256(_mm256_and_si256(b1, m4), _mm256_slli_epi16(_mm256_and_si256(bh, m2), 4));
                q[1][r] = _mm256_or_si256(_mm256_and_si256(b2, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 2), m2), 4));
                q[2][r] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), m4),
                                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 4), m2), 4));
                q[3][r] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), m4),
                                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 6), m2), 4));
            }
            for (int s = 0; s < 4; s++) {
                __m256i t[8];
                lanes_transpose8(q[s], t);
                for (int m = 0; m < 8; m++) _mm256_store_si256((__m256i *)(o + Q6K_QS + 32 * (8 * (4 * h + s) + m)), t[m]);
            }
        }
        uint32_t sc[16][8], sp[8][8];
        float d[8];
        for (int r = 0; r < 8; r++) {
            const int8_t *s = (const int8_t *)(wb + r * row_bytes + 192);
            d[r] = r < n ? lanes_half(wb + r * row_bytes + 208) : 0;
            for (int j = 0; j < 16; j++) sc[j][r] = r < n ? (uint16_t)s[j] * 0x10001u : 0;
            for (int i = 0; i < 8; i++) sp[i][r] = r < n ? (uint16_t)s[2 * i] | (uint32_t)(uint16_t)s[2 * i + 1] << 16 : 0;
        }
        memcpy(o + Q6K_SC, sc, sizeof sc);
        memcpy(o + Q6K_SP, sp, sizeof sp);
        memcpy(o + Q6K_D, d, sizeof d);
    }
}

R1_AVX2L R1_INLINE void q6k_kernel(const int G, const int NT, const uint8_t *wq, size_t gstride, const uint8_t *x,
                                   size_t xs, int nb, float *y, size_t ys, int rows) {
    __m256 acc[MAX_G][MAX_NT];
    for (int g = 0; g < G; g++)
        for (int t = 0; t < NT; t++) acc[g][t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *ob = wq + Q6K_BYTES * (size_t)b;
        __m256i s32[MAX_G][MAX_NT];
        for (int g = 0; g < G; g++)
            for (int t = 0; t < NT; t++) s32[g][t] = _mm256_setzero_si256();
        for (int j = 0; j < 16; j++)      // sub-blocks of 16 elements
            for (int p = 0; p < 2; p++) {  // two vpmaddubsw per int16 sum
                __m256i s16[MAX_G][MAX_NT];
                const int k = 4 * j + 2 * p;
                for (int i = 0; i < 2; i++) {
                    __m256i q[MAX_G];
                    for (int g = 0; g < G; g++) q[g] = _mm256_load_si256((const __m256i *)(ob + gstride * g + Q6K_QS + 32 * (k + i)));
                    for (int t = 0; t < NT; t++) {
                        const __m256i xb = lanes_bcast4(x + t * xs + 292 * (size_t)b + 4 + 4 * (k + i));
                        for (int g = 0; g < G; g++) {
                            const __m256i pr = _mm256_maddubs_epi16(q[g], xb);
                            s16[g][t] = i ? _mm256_add_epi16(s16[g][t], pr) : pr;
                        }
                    }
                }
                for (int g = 0; g < G; g++) {
                    const __m256i sc = _mm256_load_si256((const __m256i *)(ob + gstride * g + Q6K_SC + 32 * j));
                    for (int t = 0; t < NT; t++) s32[g][t] = _mm256_add_epi32(s32[g][t], _mm256_madd_epi16(s16[g][t], sc));
                }
            }
        for (int t = 0; t < NT; t++) {
            const uint8_t *xb = x + t * xs + 292 * (size_t)b;
            float dxf;
            memcpy(&dxf, xb, 4);
            const __m256 dx = _mm256_set1_ps(dxf);
            for (int g = 0; g < G; g++) {
                const uint8_t *og = ob + gstride * g;
                // Σ_j sc_j bsum_j: the -32 of every value
                __m256i mi = _mm256_setzero_si256();
                for (int i = 0; i < 8; i++)
                    mi = _mm256_add_epi32(mi, _mm256_madd_epi16(_mm256_load_si256((const __m256i *)(og + Q6K_SP + 32 * i)),
                                                                lanes_bcast4(xb + 260 + 4 * i)));
                const __m256i s = _mm256_sub_epi32(s32[g][t], _mm256_slli_epi32(mi, 5));
                acc[g][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_load_ps((const float *)(og + Q6K_D)), dx),
                                            acc[g][t]);
            }
        }
    }
    for (int g = 0; g < G; g++)
        for (int t = 0; t < NT; t++) lanes_store(y + t * ys + 8 * g, acc[g][t], rows - 8 * g);
}

#define R1_Q6K(G, NT)                                                                                                  \
    R1_AVX2L static void q6k_##G##_##NT(const uint8_t *wq, size_t gs, const uint8_t *x, size_t xs, int nb, float *y,   \
                                        size_t ys, int rows) {                                                         \
        q6k_kernel(G, NT, wq, gs, x, xs, nb, y, ys, rows);                                                             \
    }
R1_Q6K(1, 1) R1_Q6K(1, 2) R1_Q6K(2, 1) R1_Q6K(2, 2)
#undef R1_Q6K

// MARK: - Q4_0 {d: f16, qs: (16)} and Q8_0 {d: f16, qs: (32) int8} · Q8_0

/// Re-laid block of 8 rows. Q4_0: 4 ymm of nibbles (ymm m, lane r = bytes 4m.. of row r's qs: low nibbles elements
/// 4m.., high 16 + 4m..), then 8 floats d. Q8_0: 8 ymm of the signed bytes (ymm m, lane r = elements 4m..), 8 floats d.
enum { Q40_D = 128, Q40_BYTES = 160, Q80_D = 256, Q80_BYTES = 288 };

R1_AVX2L static void q32_relay(int q4, const uint8_t *w, size_t row_bytes, int n, int nb, uint8_t *out) {
    const size_t wbs = q4 ? 18 : 34, obs = q4 ? Q40_BYTES : Q80_BYTES;
    for (int b = 0; b < nb; b++) {
        uint8_t *o = out + obs * (size_t)b;
        const uint8_t *wb = w + wbs * (size_t)b;
        __m256i in[8], t[8];
        float d[8];
        if (q4) {
            // two rows' 16 bytes per ymm, then the 4 × 8 dword transpose of each half
            for (int r = 0; r < 8; r++)
                in[r] = r < n ? _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(wb + r * row_bytes + 2))) : _mm256_setzero_si256();
            lanes_transpose8(in, t);  // t[m] for m < 4 hold dword m of every row
            for (int m = 0; m < 4; m++) _mm256_store_si256((__m256i *)(o + 32 * m), t[m]);
        } else {
            for (int r = 0; r < 8; r++)
                in[r] = r < n ? _mm256_loadu_si256((const __m256i *)(wb + r * row_bytes + 2)) : _mm256_setzero_si256();
            lanes_transpose8(in, t);
            for (int m = 0; m < 8; m++) _mm256_store_si256((__m256i *)(o + 32 * m), t[m]);
        }
        for (int r = 0; r < 8; r++) d[r] = r < n ? lanes_half(wb + r * row_bytes) : 0;
        memcpy(o + (q4 ? Q40_D : Q80_D), d, sizeof d);
    }
}

/// Per token and block: d_x, and (Q4_0) -8 Σx, the nibbles' offset (8 blocks per horizontal-add tree).
R1_AVX2L static void q32_token_terms(int q4, const uint8_t *x, int nb, float *dx, int32_t *bias) {
    for (int b = 0; b < nb; b++) dx[b] = lanes_half(x + 34 * (size_t)b);
    if (!q4) return;
    const __m256i one8 = _mm256_set1_epi8(1), one16 = _mm256_set1_epi16(1);
    int b = 0;
    for (; b + 8 <= nb; b += 8) {
        __m256i s[8];
        for (int i = 0; i < 8; i++)
            s[i] = _mm256_madd_epi16(_mm256_maddubs_epi16(one8, _mm256_loadu_si256((const __m256i *)(x + 34 * (size_t)(b + i) + 2))), one16);
        const __m256i h0 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
        const __m256i h1 = _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
        const __m256i t = _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20), _mm256_permute2x128_si256(h0, h1, 0x31));
        _mm256_storeu_si256((__m256i *)(bias + b), _mm256_mullo_epi32(t, _mm256_set1_epi32(-8)));
    }
    for (; b < nb; b++) {
        int sum = 0;
        for (int i = 0; i < 32; i++) sum += (int8_t)x[34 * (size_t)b + 2 + i];
        bias[b] = -8 * sum;
    }
}

R1_AVX2L R1_INLINE void q40_kernel(const int G, const int NT, const uint8_t *wq, size_t gstride, const uint8_t *x,
                                   size_t xs, const float *dx, const int32_t *bias, int nb, float *y, size_t ys, int rows) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    __m256 acc[MAX_G][MAX_NT];
    for (int g = 0; g < G; g++)
        for (int t = 0; t < NT; t++) acc[g][t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *ob = wq + Q40_BYTES * (size_t)b;
        __m256i s16[MAX_G][MAX_NT];
        for (int g = 0; g < G; g++)
            for (int t = 0; t < NT; t++) s16[g][t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++)  // low nibbles (elements 4m..), then high (16 + 4m..)
            for (int m = 0; m < 4; m++) {
                __m256i q[MAX_G];
                for (int g = 0; g < G; g++) {
                    const __m256i v = _mm256_load_si256((const __m256i *)(ob + gstride * g + 32 * m));
                    q[g] = _mm256_and_si256(h ? _mm256_srli_epi16(v, 4) : v, m4);
                }
                for (int t = 0; t < NT; t++) {
                    const __m256i xb = lanes_bcast4(x + t * xs + 34 * (size_t)b + 2 + 16 * h + 4 * m);
                    for (int g = 0; g < G; g++) s16[g][t] = _mm256_add_epi16(s16[g][t], _mm256_maddubs_epi16(q[g], xb));
                }
            }
        for (int t = 0; t < NT; t++) {
            const __m256i bi = _mm256_set1_epi32(bias[t * nb + b]);
            const __m256 dxv = _mm256_set1_ps(dx[t * nb + b]);
            for (int g = 0; g < G; g++) {
                const __m256i s = _mm256_add_epi32(_mm256_madd_epi16(s16[g][t], ones), bi);
                acc[g][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s),
                                            _mm256_mul_ps(_mm256_load_ps((const float *)(ob + gstride * g + Q40_D)), dxv), acc[g][t]);
            }
        }
    }
    for (int g = 0; g < G; g++)
        for (int t = 0; t < NT; t++) lanes_store(y + t * ys + 8 * g, acc[g][t], rows - 8 * g);
}

R1_AVX2L R1_INLINE void q80_kernel(const int G, const int NT, const uint8_t *wq, size_t gstride, const uint8_t *x,
                                   size_t xs, const float *dx, const int32_t *bias, int nb, float *y, size_t ys, int rows) {
    (void)bias;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[MAX_G][MAX_NT];
    for (int g = 0; g < G; g++)
        for (int t = 0; t < NT; t++) acc[g][t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *ob = wq + Q80_BYTES * (size_t)b;
        __m256i s32[MAX_G][MAX_NT];
        for (int g = 0; g < G; g++)
            for (int t = 0; t < NT; t++) s32[g][t] = _mm256_setzero_si256();
        for (int m = 0; m < 8; m++) {
            __m256i wv[MAX_G], aw[MAX_G];
            for (int g = 0; g < G; g++) {
                wv[g] = _mm256_load_si256((const __m256i *)(ob + gstride * g + 32 * m));
                aw[g] = _mm256_abs_epi8(wv[g]);  // -128 becomes 128 as an unsigned byte: still exact
            }
            for (int t = 0; t < NT; t++) {
                const __m256i xb = lanes_bcast4(x + t * xs + 34 * (size_t)b + 2 + 4 * m);
                for (int g = 0; g < G; g++)
                    s32[g][t] = _mm256_add_epi32(s32[g][t], _mm256_madd_epi16(ones, _mm256_maddubs_epi16(aw[g], _mm256_sign_epi8(xb, wv[g]))));
            }
        }
        for (int t = 0; t < NT; t++) {
            const __m256 dxv = _mm256_set1_ps(dx[t * nb + b]);
            for (int g = 0; g < G; g++)
                acc[g][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s32[g][t]),
                                            _mm256_mul_ps(_mm256_load_ps((const float *)(ob + gstride * g + Q80_D)), dxv), acc[g][t]);
        }
    }
    for (int g = 0; g < G; g++)
        for (int t = 0; t < NT; t++) lanes_store(y + t * ys + 8 * g, acc[g][t], rows - 8 * g);
}

#define R1_Q32(NAME, G, NT)                                                                                            \
    R1_AVX2L static void NAME##_##G##_##NT(const uint8_t *wq, size_t gs, const uint8_t *x, size_t xs, const float *dx,  \
                                           const int32_t *bias, int nb, float *y, size_t ys, int rows) {              \
        NAME##_kernel(G, NT, wq, gs, x, xs, dx, bias, nb, y, ys, rows);                                                \
    }
R1_Q32(q40, 1, 1) R1_Q32(q40, 1, 2) R1_Q32(q40, 2, 1) R1_Q32(q40, 2, 2)
R1_Q32(q80, 1, 1) R1_Q32(q80, 1, 2) R1_Q32(q80, 2, 1) R1_Q32(q80, 2, 2)
#undef R1_Q32

// MARK: - Entry

typedef void (*k_fn)(const uint8_t *, size_t, const uint8_t *, size_t, int, float *, size_t, int);
typedef void (*q32_fn)(const uint8_t *, size_t, const uint8_t *, size_t, const float *, const int32_t *, int, float *,
                       size_t, int);

int r1c2_tile_lanes(int type, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens,
                    int nb, float *y, size_t ys) {
    static const k_fn q4k[MAX_G][MAX_NT] = {{q4k_1_1, q4k_1_2}, {q4k_2_1, q4k_2_2}};
    static const k_fn q6k[MAX_G][MAX_NT] = {{q6k_1_1, q6k_1_2}, {q6k_2_1, q6k_2_2}};
    static const q32_fn q40[MAX_G][MAX_NT] = {{q40_1_1, q40_1_2}, {q40_2_1, q40_2_2}};
    static const q32_fn q80[MAX_G][MAX_NT] = {{q80_1_1, q80_1_2}, {q80_2_1, q80_2_2}};
    size_t gbytes;
    switch (type) {
    case R1C_Q4_K: gbytes = Q4K_BYTES; break;
    case R1C_Q6_K: gbytes = Q6K_BYTES; break;
    case R1C_Q4_0: gbytes = Q40_BYTES; break;
    case R1C_Q8_0: gbytes = Q80_BYTES; break;
    default: return 0;
    }
    if (nb <= 0 || rows <= 0 || tokens <= 0) return 0;
    const size_t gstride = gbytes * (size_t)nb;
    uint8_t *wq = lanes_get(&lanes_w, MAX_G * gstride);
    const int q32 = type == R1C_Q4_0 || type == R1C_Q8_0;
    // Q4_0 / Q8_0: every token's per-block terms once per call, not once per group of rows
    uint8_t *terms = q32 ? lanes_get(&lanes_t, 8 * (size_t)nb * (size_t)tokens) : NULL;
    if (!wq || (q32 && !terms)) return 0;
    float *dx = (float *)terms;
    int32_t *bias = terms ? (int32_t *)(terms + 4 * (size_t)nb * (size_t)tokens) : NULL;
    if (q32)
        for (int k = 0; k < tokens; k++) q32_token_terms(type == R1C_Q4_0, x + (size_t)k * xs, nb, dx + (size_t)k * nb, bias + (size_t)k * nb);
    for (int r0 = 0; r0 < rows; r0 += 8 * MAX_G) {
        const int n = rows - r0 < 8 * MAX_G ? rows - r0 : 8 * MAX_G, G = (n + 7) / 8;
        for (int g = 0; g < G; g++) {
            const uint8_t *wg = w + (size_t)(r0 + 8 * g) * row_bytes;
            const int ng = n - 8 * g < 8 ? n - 8 * g : 8;
            switch (type) {
            case R1C_Q4_K: q4k_relay(wg, row_bytes, ng, nb, wq + g * gstride); break;
            case R1C_Q6_K: q6k_relay(wg, row_bytes, ng, nb, wq + g * gstride); break;
            default: q32_relay(type == R1C_Q4_0, wg, row_bytes, ng, nb, wq + g * gstride); break;
            }
        }
        for (int t = 0; t < tokens; t += MAX_NT) {
            const int nt = tokens - t < MAX_NT ? tokens - t : MAX_NT;
            const uint8_t *xt = x + (size_t)t * xs;
            float *yt = y + (size_t)t * ys + r0;
            switch (type) {
            case R1C_Q4_K: q4k[G - 1][nt - 1](wq, gstride, xt, xs, nb, yt, ys, n); break;
            case R1C_Q6_K: q6k[G - 1][nt - 1](wq, gstride, xt, xs, nb, yt, ys, n); break;
            default:
                (type == R1C_Q4_0 ? q40 : q80)[G - 1][nt - 1](wq, gstride, xt, xs, dx + (size_t)t * nb, bias + (size_t)t * nb, nb,
                                                            yt, ys, n);
                break;
            }
        }
    }
    return 1;
}
#endif
