// AVX-512 (VNNI) row kernels for single-token decode: y[r] = dot(weight row r, one activation row), a memory-bound
// GEMV, so the aim is few instructions per weight byte (two cores must keep up with DRAM). Q4_0 and Q8_0 weights ·
// Q8_0 activations (r1c512_rows_q4_0 / _q8_0, called by r1c_dot_rows through r1c_rows_avx512) and F16 weights · f32
// activations (r1c512_f16_rows, behind r1c_f16_rows). Their tested references are the AVX2 rows in kernels.c
// (dot_q4_0_pre, dot_q8_0_pre) and the Swift Quant.dotF16F32 / a plain loop (Tests/R1KernelsTests/AVX512RowTests.swift,
// scripts/bench/tiles/rows_bench.c).
//
// Q4_0: 16 blocks (288 bytes) per step. Sub-group m (blocks 4m..4m+3) is one zmm of raw qs, block c's 16 bytes in
// 128-bit chunk c; its low nibbles (elements 0..15) and high nibbles (16..31) meet activations re-laid out once per
// call in the same order, so two vpdpbusd (unsigned nibbles × signed activations) give 4 int32 partial sums per block
// with no shuffles. An unpack/add tree turns the 4 sub-groups' partials into one int32 per block, lane 4c + m holding
// block 4m + c; the activation scales d_x and 8 d_x Σx (the nibbles' -8 folded out) are stored in that lane order, and
// the weights' 16 d (f16) are picked into it with one vpermt2w per 8 blocks. Then y += d_w (d_x S - 8 d_x Σx) is one
// convert, one fmsub and one fmadd for 16 blocks. A last partial step uses masked (fault-free) loads.
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define R1_INLINE static inline __attribute__((always_inline))

/// Per-thread activation scratch, grown on demand, freed at thread exit by a key destructor.
static _Thread_local struct {
    void *p;
    size_t cap;
} rows_scratch;
static pthread_key_t rows_key;
static pthread_once_t rows_once = PTHREAD_ONCE_INIT;
static void rows_scratch_free(void *unused) {
    (void)unused;
    free(rows_scratch.p);
    rows_scratch.p = NULL;
    rows_scratch.cap = 0;
}
static void rows_key_make(void) { pthread_key_create(&rows_key, rows_scratch_free); }

static void *rows_scratch_get(size_t n) {
    n = (n + 63) & ~(size_t)63;
    if (rows_scratch.cap < n) {
        pthread_once(&rows_once, rows_key_make);
        pthread_setspecific(rows_key, &rows_scratch);  // any non-null value: the destructor frees the buffer
        free(rows_scratch.p);
        rows_scratch.p = aligned_alloc(64, n);
        rows_scratch.cap = rows_scratch.p ? n : 0;
    }
    return rows_scratch.p;
}

// MARK: - Q4_0 · Q8_0

enum { Q4G = 16, Q4G_BYTES = 640 };  // blocks per step; activation bytes per step: 8 zmm of int8, d_x[16], c_x[16]
// Software prefetch distance (bytes) along the row: one thread streamed K = 8960 rows at 22 GB/s without it, 34 with
// 2048 (1024: 29; K = 1536 rows ~34 either way), scripts/bench/tiles/rows_bench.c. Longer distances that won on one
// thread (Q8_0 4096, F16 8192) lost end to end with 2 (Q8_0 decode 27.4 -> 26.0 tok/s), so these stay.
#ifndef Q4_PF
#define Q4_PF 2048
#endif
#ifndef Q8_PF
#define Q8_PF 2048
#endif

/// Four 16-byte pieces, `stride` bytes apart from p, in the four 128-bit chunks; pieces at index ≥ n read as zero.
R1_AVX512 R1_INLINE __m512i load4(const uint8_t *p, size_t stride, int n) {
    if (n >= 4) {
        __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)p));
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + stride)), 1);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 2 * stride)), 2);
        return _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 3 * stride)), 3);
    }
    __m512i v = _mm512_setzero_si512();
    if (n > 0) v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)p));
    if (n > 1) v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + stride)), 1);
    if (n > 2) v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 2 * stride)), 2);
    return v;
}

/// One int32 per block from the 4 sub-groups' partials (4 lanes per block): lane 4c + m = Σ of s[m]'s chunk c.
R1_AVX512 R1_INLINE __m512i reduce4(__m512i s0, __m512i s1, __m512i s2, __m512i s3) {
    const __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(s0, s1), _mm512_unpackhi_epi32(s0, s1));
    const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(s2, s3), _mm512_unpackhi_epi32(s2, s3));
    return _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
}

/// Re-lays out one Q8_0 activation row for q4_step / q8_step: per step of 16 blocks, zmm 2m / 2m + 1 hold elements
/// 0..15 / 16..31 of blocks 4m..4m+3 (block 4m + c in chunk c), then d_x and c d_x Σx in lane 4c + m (zero past nb);
/// c is the weights' unsigned offset (Q4_0: 8, Q8_0: 128).
R1_AVX512 static void q32_prepare(const uint8_t *x, int nb, float c, uint8_t *out) {
    const __m512i ones = _mm512_set1_epi8(1);
    for (int g = 0; g * Q4G < nb; g++) {
        const int b0 = g * Q4G, n = nb - b0 < Q4G ? nb - b0 : Q4G;
        uint8_t *o = out + (size_t)g * Q4G_BYTES;
        __m512i s[4];
        for (int m = 0; m < 4; m++) {
            const uint8_t *xb = x + 34 * (size_t)(b0 + 4 * m);
            const int k = n - 4 * m;
            const __m512i lo = load4(xb + 2, 34, k), hi = load4(xb + 18, 34, k);
            _mm512_store_si512((__m512i *)(o + 128 * m), lo);
            _mm512_store_si512((__m512i *)(o + 128 * m + 64), hi);
            s[m] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, lo), ones, hi);
        }
        uint16_t h[16];
        for (int l = 0; l < 16; l++) {
            const int blk = 4 * (l & 3) + (l >> 2);  // lane 4c + m holds block 4m + c
            h[l] = 0;
            if (blk < n) memcpy(&h[l], x + 34 * (size_t)(b0 + blk), 2);
        }
        const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)h));
        const __m512 sx = _mm512_cvtepi32_ps(reduce4(s[0], s[1], s[2], s[3]));
        _mm512_store_ps((float *)(o + 512), dx);
        _mm512_store_ps((float *)(o + 576), _mm512_mul_ps(_mm512_mul_ps(dx, sx), _mm512_set1_ps(c)));
    }
}

/// acc + the 16 blocks (n ≤ 16 of them real) at w against prepared activations xa, lane per block.
R1_AVX512 R1_INLINE __m512 q4_step(const uint8_t *w, const uint8_t *xa, int n, __m512i didx, __m512 acc) {
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    __m512i s[4], L[4];
    for (int m = 0; m < 4; m++) {
        const __m512i q = load4(w + 72 * m + 2, 18, n - 4 * m);
        const __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
        s[m] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_load_si512((const __m512i *)(xa + 128 * m)));
        s[m] = _mm512_dpbusd_epi32(s[m], hi, _mm512_load_si512((const __m512i *)(xa + 128 * m + 64)));
        // 64 bytes from block 4m: the d of blocks 4m..4m+3 at words 0, 9, 18, 27 (masked past the real blocks)
        if (n >= 16) L[m] = _mm512_loadu_si512((const void *)(w + 72 * m));
        else {
            const int bytes = 18 * (n - 4 * m) < 0 ? 0 : 18 * (n - 4 * m) > 64 ? 64 : 18 * (n - 4 * m);
            L[m] = _mm512_maskz_loadu_epi8(bytes >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << bytes) - 1, w + 72 * m);
        }
    }
    // lanes 4c + m with m < 2 from L0/L1, m ≥ 2 from L2/L3 (same index vector: didx)
    const __m512i p01 = _mm512_permutex2var_epi16(L[0], didx, L[1]), p23 = _mm512_permutex2var_epi16(L[2], didx, L[3]);
    const __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_mask_blend_epi16(0xCCCC, p01, p23)));
    const __m512 f = _mm512_cvtepi32_ps(reduce4(s[0], s[1], s[2], s[3]));
    const __m512 dx = _mm512_load_ps((const float *)(xa + 512)), cx = _mm512_load_ps((const float *)(xa + 576));
    return _mm512_fmadd_ps(dw, _mm512_fmsub_ps(f, dx, cx), acc);
}

/// Word index (into L[2k] | L[2k+1]) of the d of the block in each lane 4c + m: block 4 (m & 1) + c of the pair.
R1_AVX512 R1_INLINE __m512i q4_didx(void) {
    int16_t idx[32] = {0};
    for (int l = 0; l < 16; l++) {
        const int m = l & 3, c = l >> 2, k = 4 * (m & 1) + c;
        idx[l] = (int16_t)(k < 4 ? 9 * k : 32 + 9 * (k - 4));
    }
    return _mm512_loadu_si512((const void *)idx);
}

R1_AVX512 int r1c512_rows_q4_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y) {
    const int steps = (nb + Q4G - 1) / Q4G, full = nb / Q4G, rem = nb - full * Q4G;
    uint8_t *xa = rows_scratch_get((size_t)steps * Q4G_BYTES);
    if (!xa) return 0;
    q32_prepare(x, nb, 8, xa);
    const __m512i didx = q4_didx();
    for (int r = 0; r < rows; r++) {
        const uint8_t *wr = w + r * row_bytes;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        int g = 0;
        for (; g + 2 <= full; g += 2) {
            for (int l = 0; l < 576; l += 64)
                _mm_prefetch((const char *)(wr + 288 * (size_t)g + Q4_PF + l), _MM_HINT_T0);
            acc0 = q4_step(wr + 288 * (size_t)g, xa + (size_t)g * Q4G_BYTES, Q4G, didx, acc0);
            acc1 = q4_step(wr + 288 * (size_t)(g + 1), xa + (size_t)(g + 1) * Q4G_BYTES, Q4G, didx, acc1);
        }
        if (g < full) acc0 = q4_step(wr + 288 * (size_t)g, xa + (size_t)g * Q4G_BYTES, Q4G, didx, acc0), g++;
        if (rem) acc1 = q4_step(wr + 288 * (size_t)g, xa + (size_t)g * Q4G_BYTES, rem, didx, acc1);
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    }
    return 1;
}

// MARK: - Q8_0 · Q8_0
// The Q4_0 scheme with 34-byte blocks: the weights' two 16-byte halves load straight into the activations' order and
// turn unsigned with XOR 0x80 (w + 128; 128 d_x Σx comes off), the d of 2 blocks per 64-byte load.

/// Masked byte load of the `bytes` (clamped to 0..64) bytes at p.
R1_AVX512 R1_INLINE __m512i load_part(const uint8_t *p, int bytes) {
    if (bytes >= 64) return _mm512_loadu_si512((const void *)p);
    return _mm512_maskz_loadu_epi8(bytes <= 0 ? 0 : ((__mmask64)1 << bytes) - 1, p);
}

R1_AVX512 R1_INLINE __m512 q8_step(const uint8_t *w, const uint8_t *xa, int n, __m512i didx, __m512 acc) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i s[4], P[4];
    for (int m = 0; m < 4; m++) {
        const uint8_t *wm = w + 136 * m;
        const int k = n - 4 * m;
        const __m512i lo = _mm512_xor_si512(load4(wm + 2, 34, k), flip);
        const __m512i hi = _mm512_xor_si512(load4(wm + 18, 34, k), flip);
        s[m] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_load_si512((const __m512i *)(xa + 128 * m)));
        s[m] = _mm512_dpbusd_epi32(s[m], hi, _mm512_load_si512((const __m512i *)(xa + 128 * m + 64)));
        // d of blocks 4m, 4m+1 at words 0, 17 of the 64 bytes at wm; of 4m+2, 4m+3 at words 0, 17 of those at wm + 68
        const __m512i a = n >= 16 ? _mm512_loadu_si512((const void *)wm) : load_part(wm, 34 * k);
        const __m512i b = n >= 16 ? _mm512_loadu_si512((const void *)(wm + 68)) : load_part(wm + 68, 34 * k - 68);
        P[m] = _mm512_permutex2var_epi16(a, didx, b);  // all lanes 4c + m' get sub-group m's block c; keep m' = m
    }
    const __m512i d01 = _mm512_mask_blend_epi16(0x2222, P[0], P[1]);
    const __m512i d = _mm512_mask_blend_epi16(0x8888, _mm512_mask_blend_epi16(0x4444, d01, P[2]), P[3]);
    const __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(d));
    const __m512 f = _mm512_cvtepi32_ps(reduce4(s[0], s[1], s[2], s[3]));
    const __m512 dx = _mm512_load_ps((const float *)(xa + 512)), cx = _mm512_load_ps((const float *)(xa + 576));
    return _mm512_fmadd_ps(dw, _mm512_fmsub_ps(f, dx, cx), acc);
}

R1_AVX512 int r1c512_rows_q8_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, int nb, float *y) {
    const int steps = (nb + Q4G - 1) / Q4G, full = nb / Q4G, rem = nb - full * Q4G;
    uint8_t *xa = rows_scratch_get((size_t)steps * Q4G_BYTES);
    if (!xa) return 0;
    q32_prepare(x, nb, 128, xa);
    int16_t idx[32] = {0};
    for (int l = 0; l < 16; l++) idx[l] = (int16_t)((l >> 2) < 2 ? 17 * (l >> 2) : 32 + 17 * ((l >> 2) - 2));
    const __m512i didx = _mm512_loadu_si512((const void *)idx);
    for (int r = 0; r < rows; r++) {
        const uint8_t *wr = w + r * row_bytes;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        int g = 0;
        for (; g + 2 <= full; g += 2) {
            for (int l = 0; l < 1088; l += 64)
                _mm_prefetch((const char *)(wr + 544 * (size_t)g + Q8_PF + l), _MM_HINT_T0);
            acc0 = q8_step(wr + 544 * (size_t)g, xa + (size_t)g * Q4G_BYTES, Q4G, didx, acc0);
            acc1 = q8_step(wr + 544 * (size_t)(g + 1), xa + (size_t)(g + 1) * Q4G_BYTES, Q4G, didx, acc1);
        }
        if (g < full) acc0 = q8_step(wr + 544 * (size_t)g, xa + (size_t)g * Q4G_BYTES, Q4G, didx, acc0), g++;
        if (rem) acc1 = q8_step(wr + 544 * (size_t)g, xa + (size_t)g * Q4G_BYTES, rem, didx, acc1);
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    }
    return 1;
}

// MARK: - F16 · f32
// Each row prefetched F16_PF bytes ahead. One row at a time streams fastest while the activations stay in L1 (K =
// 1536: ~40 GB/s a thread against ~28 for 4 rows); past that (K = 8960, 35 KB of f32) 4 rows share each activation
// load (~30 against ~28). Measured with scripts/bench/tiles/rows_bench.c.
#ifndef F16_PF
#define F16_PF 4096
#endif

/// R rows (≤ 4) × all columns: 2 accumulators a row over 32 columns a step, the activations loaded once for R rows.
R1_AVX512 R1_INLINE void f16_rows_kernel(const int R, const uint8_t *w, size_t row_bytes, const float *x, int cols,
                                         float *y) {
    __m512 a0[4], a1[4];
    for (int r = 0; r < R; r++) a0[r] = a1[r] = _mm512_setzero_ps();
    int k = 0;
    for (; k + 32 <= cols; k += 32) {
        const __m512 x0 = _mm512_loadu_ps(x + k), x1 = _mm512_loadu_ps(x + k + 16);
        for (int r = 0; r < R; r++) {
            const uint8_t *p = w + r * row_bytes + 2 * (size_t)k;
            _mm_prefetch((const char *)(p + F16_PF), _MM_HINT_T0);
            a0[r] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)), x0, a0[r]);
            a1[r] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 32))), x1, a1[r]);
        }
    }
    if (k < cols) {  // cols % 32 == 16
        const __m512 x0 = _mm512_loadu_ps(x + k);
        for (int r = 0; r < R; r++) {
            const __m256i h = _mm256_loadu_si256((const __m256i *)(w + r * row_bytes + 2 * (size_t)k));
            a0[r] = _mm512_fmadd_ps(_mm512_cvtph_ps(h), x0, a0[r]);
        }
    }
    for (int r = 0; r < R; r++) y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0[r], a1[r]));
}

R1_AVX512 static void f16_rows4(const uint8_t *w, size_t rb, const float *x, int cols, float *y) {
    f16_rows_kernel(4, w, rb, x, cols, y);
}
R1_AVX512 static void f16_rows1(const uint8_t *w, size_t rb, const float *x, int cols, float *y) {
    f16_rows_kernel(1, w, rb, x, cols, y);
}

R1_AVX512 int r1c512_f16_rows(const uint8_t *w, size_t row_bytes, int rows, const float *x, int cols, float *y) {
    if (cols % 16 != 0) return 0;
    int r = 0;
    if (cols > 4096)  // activations past 16 KB: share their loads between 4 rows
        for (; r + 4 <= rows; r += 4) f16_rows4(w + r * row_bytes, row_bytes, x, cols, y + r);
    for (; r < rows; r++) f16_rows1(w + r * row_bytes, row_bytes, x, cols, y + r);
    return 1;
}
#endif
