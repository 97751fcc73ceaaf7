// AVX-512 prefill tiles for Q4_K and Q6_K weights · Q8_K activations (see internal.h for the contract): each weight
// super-block is unpacked once into 512-bit registers (64 elements each) and dotted with 8 (Q4_K) or 4 (Q6_K) tokens,
// remainders with 1-3. Tested references: the AVX2 tiles tile_q4_K / tile_q6_K in kernels.c and the Swift
// QuantReference.vecDot (CKernelTests; scripts/bench/tiles/tile_bench_k.c checks and times against the AVX2 tiles).
//
// Tricks used by both tiles:
// - u8 weights (Q4_K nibbles 0..15, Q6_K values 0..63 without their -32) go unsigned into vpdpbusd (VNNI) against the
//   signed Q8_K bytes: 4-element sums, |·| <= 4·63·128 < 32768, so vpackssdw packs two such vectors into int16
//   exactly, and one vpmaddwd / vpdpwssd applies the int16 sub-block scales to both (fewer multiplies than
//   vpmaddubsw + vpmaddwd per 64 elements).
// - Offsets come back through Q8_K's bsums (sums of 16 activations): Q4_K's dmin·min term and Q6_K's -32.
// - Horizontal sums happen once per row and 4 tokens, as a transposing tree.
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <string.h>

#define R1_INLINE static inline __attribute__((always_inline))

R1_AVX512 R1_INLINE float f16s(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

R1_INLINE float f32s(const uint8_t *p) {
    float f;
    memcpy(&f, p, 4);
    return f;
}

/// y[k·ys] = Σ lanes of acc[k] for nt (constant) tokens; 4 at once as a transposing tree (one shuffle + add per
/// level instead of four separate reductions).
R1_AVX512 R1_INLINE void store_sums4(const __m512 *acc, float *y, size_t ys) {
    const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(acc[0], acc[1], 0x44), _mm512_shuffle_f32x4(acc[0], acc[1], 0xEE));
    const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(acc[2], acc[3], 0x44), _mm512_shuffle_f32x4(acc[2], acc[3], 0xEE));
    // 128-bit lanes: a, b, c, d (4 partial sums each)
    __m512 v = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
    v = _mm512_add_ps(v, _mm512_permute_ps(v, 0x4E));
    v = _mm512_add_ps(v, _mm512_permute_ps(v, 0xB1));
    const __m128 s = _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 8, 4, 0), v));
    y[0] = _mm_cvtss_f32(s);
    y[ys] = _mm_cvtss_f32(_mm_movehdup_ps(s));
    y[2 * ys] = _mm_cvtss_f32(_mm_movehl_ps(s, s));
    y[3 * ys] = _mm_cvtss_f32(_mm_shuffle_ps(s, s, 3));
}

R1_AVX512 R1_INLINE void store_sums(const __m512 *acc, int nt, float *y, size_t ys) {
    int k = 0;
    for (; k + 4 <= nt; k += 4) store_sums4(acc + k, y + k * ys, ys);
    for (; k < nt; k++) y[k * ys] = _mm512_reduce_add_ps(acc[k]);
}

// vpermw indices of the int16 scales. Q4_K: vpackssdw interleaves the vpdpbusd sums of two zmm j = (0, 1) or (2, 3)
// per 128-bit lane L as [j_a lanes 4L..4L+3, j_b lanes 4L..4L+3]; lanes 0..7 of zmm j are sub-block 2j (its low
// nibbles), 8..15 sub-block 2j+1. Index of the scale for each int16 of the packed vector:
static const uint16_t q4k_idx[2][32] = {
    {0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3},
    {4, 4, 4, 4, 6, 6, 6, 6, 4, 4, 4, 4, 6, 6, 6, 6, 5, 5, 5, 5, 7, 7, 7, 7, 5, 5, 5, 5, 7, 7, 7, 7},
};
// Q6_K the same way: 128-bit lane L of zmm i is sub-block 4i + L.
static const uint16_t q6k_idx[2][32] = {
    {0, 0, 0, 0, 4, 4, 4, 4, 1, 1, 1, 1, 5, 5, 5, 5, 2, 2, 2, 2, 6, 6, 6, 6, 3, 3, 3, 3, 7, 7, 7, 7},
    {8, 8, 8, 8, 12, 12, 12, 12, 9, 9, 9, 9, 13, 13, 13, 13, 10, 10, 10, 10, 14, 14, 14, 14, 11, 11, 11, 11, 15, 15, 15, 15},
};

// MARK: - Q4_K {d, dmin: f16, scales: (12), qs: (128)}

/// The 8 scales and 8 mins of a Q4_K block as 16 int16 (kernels.c's q4k_scales in one xmm, 32-bit lanes a0..a2 =
/// the 12 scale bytes): u0 = a0 & m6, u1 = (a2 & m4) | ((a0 >> 2) & 0x30..), u2 = a1 & m6, u3 = ((a2 >> 4) & m4) |
/// ((a1 >> 2) & 0x30..). Reads 4 bytes past the scales (the block's qs).
R1_AVX512 R1_INLINE __m256i q4k_scales16(const uint8_t *p) {
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    const __m128i a = _mm_srlv_epi32(_mm_shuffle_epi32(v, 0x98), _mm_set_epi32(4, 0, 0, 0));  // a0, a2, a1, a2 >> 4
    const __m128i b = _mm_srli_epi32(_mm_shuffle_epi32(v, 0x50), 2);                           // a0, a0, a1, a1 >> 2
    const __m128i lo = _mm_and_si128(a, _mm_set_epi32(0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f));
    const __m128i hi = _mm_and_si128(b, _mm_set_epi32(0x30303030, 0, 0x30303030, 0));
    return _mm256_cvtepu8_epi16(_mm_or_si128(lo, hi));
}

/// Per block and token (layout [b][k], k < tt = 4 or 8, zeros past nt): d_x · (pair sums of the 16 bsums) as 8 floats
/// in `mt`, and d_x in `dx`; shared by all rows. Two tokens' min terms then fill one zmm: one FMA per two tokens and
/// block for the dmin·min term.
R1_AVX512 R1_INLINE void q4k_token_terms(const uint8_t *x, size_t xs, int nt, int tt, int nb, float *mt, float *dx) {
    for (int b = 0; b < nb; b++)
        for (int k = 0; k < tt; k++) {
            const uint8_t *xb = x + (k < nt ? k : 0) * xs + 292 * (size_t)b;
            const __m256i p = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(xb + 260)), _mm256_set1_epi16(1));
            const float d = k < nt ? f32s(xb) : 0.0f;  // missing tokens: zeros
            _mm256_storeu_ps(mt + 8 * (tt * (size_t)b + k), _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(p)));
            dx[tt * b + k] = d;
        }
}

/// acc + the scaled dot of one Q8_K block's 256 activations (at xb + 4) with four zmm of unsigned weights: four
/// vpdpbusd (4-element sums), packed in pairs to int16 (exact: every sum < 32768), scaled by vpdpwssd with s01 / s23.
R1_AVX512 R1_INLINE __m512i q8k_dot(const __m512i q[4], const uint8_t *xb, __m512i s01, __m512i s23, __m512i acc) {
    const __m512i z = _mm512_setzero_si512();
    const __m512i p0 = _mm512_dpbusd_epi32(z, q[0], _mm512_loadu_si512(xb + 4));
    const __m512i p1 = _mm512_dpbusd_epi32(z, q[1], _mm512_loadu_si512(xb + 68));
    const __m512i p2 = _mm512_dpbusd_epi32(z, q[2], _mm512_loadu_si512(xb + 132));
    const __m512i p3 = _mm512_dpbusd_epi32(z, q[3], _mm512_loadu_si512(xb + 196));
    acc = _mm512_dpwssd_epi32(acc, _mm512_packs_epi32(p0, p1), s01);
    return _mm512_dpwssd_epi32(acc, _mm512_packs_epi32(p2, p3), s23);
}

/// `nt` (1...4 or 8, a constant after inlining) tokens × all rows; `mt`, `dxt` from q4k_token_terms (stride tt).
R1_AVX512 R1_INLINE void q4k_tokens(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int nt,
                                    int tt, int nb, const float *mt, const float *dxt, float *y, size_t ys, int pf) {
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i idx0 = _mm512_loadu_si512(q4k_idx[0]), idx1 = _mm512_loadu_si512(q4k_idx[1]);
    // With 8 tokens, long rows go in spans of 12 super-blocks (all rows of a 16-row group, then the next span) so the
    // span's activations (8 · 12 · 292 bytes) stay in L1 while the rows pass; partial sums wait in `part`.
    const int span = tt == 8 ? 12 : nb;
    float part[16][8][16];
    for (int r0 = 0; r0 < rows; r0 += 16)
    for (int b0 = 0; b0 < nb; b0 += span)
    for (int r = r0; r < rows && r < r0 + 16; r++) {
        const int b1 = nb - b0 < span ? nb : b0 + span;
        const uint8_t *wr = w + r * row_bytes;
        __m512 acc[8], accm[4];  // accm[i]: min terms of tokens 2i (low 8 lanes) and 2i + 1
        for (int k = 0; k < nt; k++) acc[k] = b0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(part[r - r0][k]);
        for (int i = 0; i < (nt + 1) / 2; i++) accm[i] = _mm512_setzero_ps();
        for (int b = b0; b < b1; b++) {
            const uint8_t *wb = wr + 144 * (size_t)b;
            // few-token calls (batched decode, pf) stream weights from memory: fetch the next row's block while this
            // one computes (with many tokens the rows are in cache after the first group, and prefetching costs)
            if (pf)
                for (int l = 0; l < 3; l++) _mm_prefetch((const char *)(wb + row_bytes + 64 * l), _MM_HINT_T0);
            const __m256i sm16 = q4k_scales16(wb + 4);
            const __m512i sm = _mm512_castsi256_si512(sm16);
            __m512i q[4];
            for (int j = 0; j < 4; j++) {
                // 32 bytes in both halves, the high half shifted: low nibbles = elements 64j.., high = 64j+32..
                const __m512i bits = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(wb + 16 + 32 * j)));
                q[j] = _mm512_and_si512(_mm512_mask_srli_epi16(bits, 0xFFFF0000u, bits, 4), m4);
            }
            const __m512i s01 = _mm512_permutexvar_epi16(idx0, sm), s23 = _mm512_permutexvar_epi16(idx1, sm);
            int dbits;
            memcpy(&dbits, wb, 4);
            const __m128 dd = _mm_cvtph_ps(_mm_cvtsi32_si128(dbits));  // d, dmin
            const __m256 ddx = _mm256_mul_ps(_mm256_broadcastss_ps(dd), _mm256_loadu_ps(dxt + tt * b));  // d·d_x per token
            // dmin · min, twice: two tokens' min terms per FMA
            const __m512 mn = _mm512_broadcast_f32x8(_mm256_mul_ps(_mm256_broadcastss_ps(_mm_movehdup_ps(dd)),
                                            _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(sm16, 1)))));
            for (int i = 0; i < (nt + 1) / 2; i++)
                accm[i] = _mm512_fmadd_ps(mn, _mm512_loadu_ps(mt + 8 * (tt * (size_t)b + 2 * i)), accm[i]);
            for (int k = 0; k < nt; k++) {
                const uint8_t *xb = x + k * xs + 292 * (size_t)b;
                const __m512i si = q8k_dot(q, xb, s01, s23, _mm512_setzero_si512());
                acc[k] = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_set1_epi32(k), _mm512_castps256_ps512(ddx)),
                                         _mm512_cvtepi32_ps(si), acc[k]);
            }
        }
        for (int k = 0; k < nt; k++)
            acc[k] = _mm512_mask_sub_ps(acc[k], k % 2 ? 0xFF00 : 0x00FF, acc[k], accm[k / 2]);
        if (b1 == nb) store_sums(acc, nt, y + r, ys);
        else for (int k = 0; k < nt; k++) _mm512_storeu_ps(part[r - r0][k], acc[k]);
    }
}

#define R1_Q4K_NT(N) \
    R1_AVX512 static void q4k_t##N(const uint8_t *w, size_t rb, int rows, const uint8_t *x, size_t xs, int nb, float *y, \
                                   size_t ys, int pf) { \
        enum { TT = N > 4 ? 8 : 4 }; \
        float mt[TT * 8 * Q4K_MAX_NB], dx[TT * Q4K_MAX_NB + 8]; \
        q4k_token_terms(x, xs, N, TT, nb, mt, dx); \
        q4k_tokens(w, rb, rows, x, xs, N, TT, nb, mt, dx, y, ys, pf); \
    }
#define Q4K_MAX_NB 160  // super-blocks per row the stack tables hold (K = 40960); longer rows take the AVX2 tile
R1_Q4K_NT(8)
R1_Q4K_NT(4)
R1_Q4K_NT(3)
R1_Q4K_NT(2)
R1_Q4K_NT(1)

/// A tile of a fixed token count (1...4 or 8) over all rows.
typedef void (*k_tile)(const uint8_t *w, size_t rb, int rows, const uint8_t *x, size_t xs, int nb, float *y, size_t ys,
                       int pf);

/// Tokens t..<tokens in groups of 4, then the 1-3 left over: fns[k - 1] runs k tokens.
static void k_rest(const k_tile fns[4], const uint8_t *w, size_t rb, int rows, const uint8_t *x, size_t xs, int t,
                   int tokens, int nb, float *y, size_t ys, int pf) {
    for (; t + 4 <= tokens; t += 4) fns[3](w, rb, rows, x + t * xs, xs, nb, y + t * ys, ys, pf);
    if (t < tokens) fns[tokens - t - 1](w, rb, rows, x + t * xs, xs, nb, y + t * ys, ys, pf);
}

int r1c512_tile_q4_K(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    if (nb > Q4K_MAX_NB) return 0;
    int t = 0;
    const int pf = tokens < 32;  // batched decode: weights come from memory once (see q4k_tokens)
    for (; t + 8 <= tokens; t += 8) q4k_t8(w, row_bytes, rows, x + t * xs, xs, nb, y + t * ys, ys, pf);
    static const k_tile fns[4] = {q4k_t1, q4k_t2, q4k_t3, q4k_t4};
    k_rest(fns, w, row_bytes, rows, x, xs, t, tokens, nb, y, ys, pf);
    return 1;
}

// MARK: - Q6_K {ql: (128), qh: (64), scales: (16) int8, d: f16}

/// `nt` (1...8) tokens × all rows (8 only for short rows, see r1c512_tile_q6_K). Σ sc (q - 32) x = Σ sc q x - 32 Σ_sub sc·bsum: the
/// second sum is one more vpmaddwd of the 16 bsums with -32·sc (16 sub-blocks of 16 = Q8_K's 16 bsums).
R1_AVX512 R1_INLINE void q6k_tokens(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int nt,
                                    int nb, float *y, size_t ys, int pf) {
    const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
    const __m512i idx0 = _mm512_loadu_si512(q6k_idx[0]), idx1 = _mm512_loadu_si512(q6k_idx[1]);
    for (int r = 0; r < rows; r++) {
        const uint8_t *wr = w + r * row_bytes;
        __m512 acc[8];
        for (int k = 0; k < nt; k++) acc[k] = _mm512_setzero_ps();
        for (int b = 0; b < nb; b++) {
            const uint8_t *wb = wr + 210 * (size_t)b;
            if (pf)  // as in Q4_K
                for (int l = 0; l < 4; l++) _mm_prefetch((const char *)(wb + row_bytes + 64 * l), _MM_HINT_T0);
            const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wb + 192)));
            const __m512i scz = _mm512_castsi256_si512(sc16);
            const __m512i sc32 = _mm512_zextsi256_si512(_mm256_mullo_epi16(sc16, _mm256_set1_epi16(-32)));
            __m512i q[4];
            for (int h = 0; h < 2; h++) {
                // elements 128h + [0,32,64,96) + l come from ql[64h + l] (low/high nibble), ql[64h + 32 + l] and
                // bit pairs 0,2,4,6 of qh[32h + l]: qz = [qh, qh >> 2] so bits 4..5 of (qz << 4) and of qz are
                // the high bits of the first and second 64 elements.
                const __m512i lo = _mm512_loadu_si512(wb + 64 * h);
                const __m256i hb = _mm256_loadu_si256((const __m256i *)(wb + 128 + 32 * h));
                const __m512i qz = _mm512_inserti64x4(_mm512_castsi256_si512(hb), _mm256_srli_epi16(hb, 2), 1);
                // ternary logic 0xF8 = a | (b & c)
                q[2 * h] = _mm512_ternarylogic_epi32(_mm512_and_si512(lo, m4), _mm512_slli_epi16(qz, 4), m30, 0xF8);
                q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(lo, 4), m4), qz, m30, 0xF8);
            }
            const __m512i s01 = _mm512_permutexvar_epi16(idx0, scz), s23 = _mm512_permutexvar_epi16(idx1, scz);
            const __m512 vd = _mm512_set1_ps(f16s(wb + 208));
            for (int k = 0; k < nt; k++) {
                const uint8_t *xb = x + k * xs + 292 * (size_t)b;
                const __m512i bsum = _mm512_madd_epi16(_mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)(xb + 260))), sc32);
                const __m512i si = q8k_dot(q, xb, s01, s23, bsum);
                acc[k] = _mm512_fmadd_ps(_mm512_mul_ps(vd, _mm512_set1_ps(f32s(xb))), _mm512_cvtepi32_ps(si), acc[k]);
            }
        }
        store_sums(acc, nt, y + r, ys);
    }
}

#define R1_Q6K_NT(N) \
    R1_AVX512 static void q6k_t##N(const uint8_t *w, size_t rb, int rows, const uint8_t *x, size_t xs, int nb, float *y, \
                                   size_t ys, int pf) { \
        q6k_tokens(w, rb, rows, x, xs, N, nb, y, ys, pf); \
    }
R1_Q6K_NT(8)
R1_Q6K_NT(4)
R1_Q6K_NT(3)
R1_Q6K_NT(2)
R1_Q6K_NT(1)

int r1c512_tile_q6_K(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    int t = 0;
    const int pf = tokens < 32;  // batched decode: weights come from memory once (see q4k_tokens)
    // 8 tokens per unpack for batched decode's few tokens (weights streamed from memory, activations in L1: the
    // output head); for prefill's many tokens and for long rows 4 measured faster (137 vs 159 GMAC/s at K = 1536)
    if (nb <= 16 && tokens < 32)
        for (; t + 8 <= tokens; t += 8) q6k_t8(w, row_bytes, rows, x + t * xs, xs, nb, y + t * ys, ys, pf);
    static const k_tile fns[4] = {q6k_t1, q6k_t2, q6k_t3, q6k_t4};
    k_rest(fns, w, row_bytes, rows, x, xs, t, tokens, nb, y, ys, pf);
    return 1;
}
#endif
