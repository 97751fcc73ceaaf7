// AVX2 int8/int4 block dot products (ggml-cpu's arch/x86/quants.c scheme) with runtime CPU dispatch.
// Swift cannot emit vpmaddubsw/vpmaddwd; these close that gap. The plain Swift kernels in R1Kernels (QuantDot*.swift)
// are the reference they are tested against and the fallback on every other CPU (NEON on Apple Silicon included).
#ifndef R1_KERNELS_C_H
#define R1_KERNELS_C_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the AVX2/FMA/F16C kernels below (checked once with cpuid), else 0: then callers use Swift.
int r1c_has_avx2(void);

/// Block-type codes for r1c_dot_rows.
enum { R1C_Q8_0 = 0, R1C_Q4_0 = 1, R1C_Q4_K = 2, R1C_Q6_K = 3 };

/// y[r] = dot(w + r * row_bytes, x) for r in 0..<rows, each row `blocks` blocks of `type` against Q8_0 (Q8_0, Q4_0)
/// or Q8_K (Q4_K, Q6_K) activations `x`. Only call when r1c_has_avx2().
void r1c_dot_rows(int type, const void *w, size_t row_bytes, int rows, const void *x, int blocks, float *y);

/// y[t * y_stride + r] = dot(row r, token t) for a tile of `rows` rows and `tokens` activation rows (x_stride bytes
/// apart): every weight block is unpacked once for all tokens (prefill). Only call when r1c_has_avx2().
void r1c_dot_tile(int type, const void *w, size_t row_bytes, int rows, const void *x, size_t x_stride, int tokens,
                  int blocks, float *y, size_t y_stride);

/// 1 when this CPU has AVX-512 F/BW/VL/VNNI (checked once with cpuid) and it has not been turned off with
/// R1_NO_AVX512=1 or r1c_set_avx512(0): then r1c_dot_tile and r1c_f16_tile use 512-bit prefill tiles
/// (kernels_avx512_*.c), tested against the AVX2 tiles and the Swift references.
int r1c_has_avx512(void);
/// Turns the AVX-512 tiles off (0) or on (1, only where the CPU has them) for calls made on this thread, or back to the
/// process default (-1); for tests comparing both paths.
void r1c_set_avx512(int enabled);

/// F16 weights · f32 activations for a prompt: y[t * y_stride + r] = Σ_k w[r][k] x[t * cols + k] for a tile of `rows`
/// rows (row_bytes apart) and `tokens` activation rows. Returns 0 (and writes nothing) when it has no kernel for this
/// CPU or shape; the caller then runs its own. cols must be a multiple of 16.
int r1c_f16_tile(const void *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                 size_t y_stride);

/// F16 weights · f32 activations for one token (decode): y[r] = Σ_k w[r][k] x[k] for `rows` rows (row_bytes apart).
/// Returns 0 (and writes nothing) when it has no kernel for this CPU (no AVX-512) or shape (cols % 16 != 0).
int r1c_f16_rows(const void *w, size_t row_bytes, int rows, const float *x, int cols, float *y);

/// fp32 GEMM (sgemm.c): C[m×n] = op(A)·op(B) + beta·C, row-major with leading dimensions; op(A) is m×k (A stored
/// k×m when ta != 0), op(B) is k×n (B stored n×k when tb != 0). beta 0 ignores C's old contents. Single-threaded:
/// callers split C into tiles; K is never split, so results are bit-identical for any tiling.
void r1c_sgemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta,
               float *c, int ldc);
/// The plain triple loop r1c_sgemm is tested against.
void r1c_sgemm_ref(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta,
                   float *c, int ldc);
/// The micro-kernel r1c_sgemm runs on this CPU: 2 AVX-512F (6×32), 1 AVX2+FMA (6×16), 0 portable C.
int r1c_sgemm_kernel(void);
/// The FMA peak probe behind `r1 train bench`'s "share of peak": `iterations` rounds of 12 independent FMA chains on
/// the sgemm kernel's vector width, no memory traffic; returns the flops done (0 on the portable kernel). Time it.
double r1c_fma_probe(long iterations, float *sink);

#ifdef __cplusplus
}
#endif
#endif
