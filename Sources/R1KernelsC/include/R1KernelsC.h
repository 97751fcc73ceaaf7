// int8/int4 block dot products, F16 and fp32 GEMM kernels with runtime CPU dispatch: AVX2 / AVX-512 on x86-64
// (ggml-cpu's arch/x86/quants.c scheme), NEON / dotprod / i8mm on AArch64 (arch/arm/quants.c). Swift cannot emit
// vpmaddubsw/vpmaddwd or sdot/smmla; these close that gap. The plain Swift kernels in R1Kernels (QuantDot*.swift) are
// the reference they are tested against and the fallback on every other CPU.
#ifndef R1_KERNELS_C_H
#define R1_KERNELS_C_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The best kernel level this CPU runs, checked once. x86-64 (cpuid): 2 AVX-512 F/BW/VL/DQ/VNNI (with AVX2/FMA/F16C),
/// 1 AVX2 + FMA + F16C, 0 none (the Swift kernels do the work). AArch64 (getauxval on Linux, sysctlbyname on Apple):
/// 3 NEON + dotprod + i8mm, 2 NEON + dotprod, 1 NEON. Every entry point below takes the caller's `isa` (R1Kernels'
/// KernelPolicy, chosen at the edge): it must not exceed r1c_cpu_isa(); 2 lets the 512-bit kernels run on x86-64,
/// sdot on AArch64, 3 smmla (prefill tiles).
int r1c_cpu_isa(void);

/// The CPU's vendor, for choices within a level (KernelPolicy's prefetch distances): 1 Intel, 2 AMD, 0 anything
/// else (and every AArch64 CPU).
int r1c_cpu_vendor(void);

/// Block-type codes for r1c_dot_rows.
enum { R1C_Q8_0 = 0, R1C_Q4_0 = 1, R1C_Q4_K = 2, R1C_Q6_K = 3, R1C_F16 = 4, R1C_F32 = 5 };

/// y[r] = dot(w + r * row_bytes, x) for r in 0..<rows, each row `blocks` blocks of `type` against Q8_0 (Q8_0, Q4_0)
/// or Q8_K (Q4_K, Q6_K) activations `x`. isa >= 1 only.
void r1c_dot_rows(int isa, int type, const void *w, size_t row_bytes, int rows, const void *x, int blocks, float *y);

/// y[t * y_stride + r] = dot(row r, token t) for a tile of `rows` rows and `tokens` activation rows (x_stride bytes
/// apart): every weight block is unpacked once for all tokens (prefill); 512-bit tiles when isa == 2 (tested against
/// the AVX2 tiles and the Swift references). isa >= 1 only.
void r1c_dot_tile(int isa, int type, const void *w, size_t row_bytes, int rows, const void *x, size_t x_stride,
                  int tokens, int blocks, float *y, size_t y_stride);

/// F16 weights · f32 activations for a prompt: y[t * y_stride + r] = Σ_k w[r][k] x[t * cols + k] for a tile of `rows`
/// rows (row_bytes apart) and `tokens` activation rows. Returns 0 (and writes nothing) when it has no kernel for this
/// isa or shape (isa 0; cols % 8 != 0 on AVX2, 512-bit when isa == 2 and cols % 16 == 0; AArch64 takes any cols); the
/// caller then runs its own.
int r1c_f16_tile(int isa, const void *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                 size_t y_stride);

/// F16 weights · f32 activations for one token (decode): y[r] = Σ_k w[r][k] x[k] for `rows` rows (row_bytes apart).
/// `prefetch`: how many bytes ahead the AVX2 rows prefetch the weights (0: not at all; a per-CPU choice, KernelPolicy's
/// f16RowsPrefetch); the 512-bit and NEON rows ignore it. Returns 0 (and writes nothing) when isa is 0.
int r1c_f16_rows(int isa, int prefetch, const void *w, size_t row_bytes, int rows, const float *x, int cols, float *y);

/// Σ w[i] x[i] over n elements, w f16 (a KV cache row), x f32; a plain loop when isa is 0.
float r1c_f16_dot(int isa, const void *w, const float *x, int n);
/// y[i] += a · v[i] over n elements, v f16; a plain loop when isa is 0.
void r1c_f16_axpy(int isa, float a, const void *v, float *y, int n);

// MARK: - attention over a KV cache (attention.c)
//
// A state for `rows` query rows of head dim `hd` is rows * (hd + 2) floats: m (rows: the running max of the scaled
// scores), l (rows: Σ e^(s - m)), acc (rows × hd: Σ e^(s - m) · v, unnormalized).

/// Sets a state to "no positions seen" (m = -inf, l = 0, acc = 0).
void r1c_attn_init(int rows, int hd, float *state);
/// Adds positions [0, n) of one KV head to `rows` query rows (row r at q + r * q_stride floats, hd elements) whose
/// state is m[r], l[r] and acc + r * hd (a state's parts, or a subset of its rows): s = scale · q·k, online softmax. Key j is at k + j * k_stride bytes, value j at v + j * v_stride, each
/// hd elements of `type` (R1C_F32, R1C_F16 or R1C_Q8_0; Q8_0 needs hd % 32 == 0). All rows see all n positions (the
/// caller splits causal ranges). isa 2: 512-bit body (hd % 16 == 0), 1: AVX2 + FMA + F16C (hd % 8 == 0), else plain.
void r1c_attn_update(int isa, int type, int rows, int hd, float scale, const float *q, size_t q_stride, const void *k,
                     size_t k_stride, const void *v, size_t v_stride, int n, float *m, float *l, float *acc);
/// Merges `parts` states of the same rows (consecutive, rows * (hd + 2) floats each) by log-sum-exp and writes the
/// normalized output: row r to out + (r / heads) * out_token_stride + (r % heads) * hd (rows are token-major, `heads`
/// rows per token).
void r1c_attn_finish(int rows, int hd, int parts, const float *states, int heads, float *out, size_t out_token_stride);

/// fp32 GEMM (sgemm.c): C[m×n] = op(A)·op(B) + beta·C, micro-kernel by isa (2: 6×32 AVX-512F, 1: 6×16 AVX2+FMA;
/// AArch64 1-3: 6×16 NEON; 0: portable C), row-major with leading dimensions; op(A) is m×k (A stored
/// k×m when ta != 0), op(B) is k×n (B stored n×k when tb != 0). beta 0 ignores C's old contents. Single-threaded:
/// callers split C into tiles; K is never split, so results are bit-identical for any tiling.
void r1c_sgemm(int isa, int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta,
               float *c, int ldc);
/// The plain triple loop r1c_sgemm is tested against.
void r1c_sgemm_ref(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta,
                   float *c, int ldc);
/// The FMA peak probe behind `r1 train bench`'s "share of peak": `iterations` rounds of 12 independent FMA chains on
/// the sgemm kernel's vector width, no memory traffic; returns the flops done (0 on the portable kernel). Time it.
double r1c_fma_probe(int isa, long iterations, float *sink);

#ifdef __cplusplus
}
#endif
#endif
