// Row-major fp32 matrix products for the training step, split into tiles of C across the ThreadPool; each tile runs
// R1KernelsC's packed sgemm. K is never split, so a product is bit-identical whatever the thread count.
import Dispatch
import R1Kernels
import R1KernelsC

public typealias FloatPointer = UnsafeMutablePointer<Float>

public struct Gemm: @unchecked Sendable {
    public let pool: ThreadPool

    public init(pool: ThreadPool) { self.pool = pool }

    /// The micro-kernel the pool's KernelPolicy runs (its C level): x86-64 2 AVX-512F, 1 AVX2+FMA; arm64 1-3 NEON
    /// (one micro-kernel for every NEON level); 0 portable C.
    public var kernel: Int { pool.kernels.isa.level }

    /// The FMA peak of the pool's threads in GFLOP/s, measured: every thread runs R1KernelsC's probe (independent FMA
    /// chains on the kernel's vector width, no memory traffic) at once; the best of three rounds. 0 on the portable kernel.
    public func fmaPeakGflops() -> Double {
        let threads = pool.threadCount, iterations = 20_000_000
        let flops = UnsafeMutablePointer<Double>.allocate(capacity: threads)
        defer { flops.deallocate() }
        var best = 0.0
        let isa = pool.kernels.c
        for _ in 0..<3 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            pool.parallelFor(threads) { i in
                var sink: Float = 0
                flops[i] = r1c_fma_probe(isa, iterations, &sink)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            best = max(best, (0..<threads).reduce(0) { $0 + flops[$1] } / seconds / 1e9)
        }
        return best
    }

    /// C(m, n) = op(A)·op(B) + beta·C; op(A) is (m, k) (A stored (k, m) when `ta`), op(B) is (k, n) (B stored (n, k)
    /// when `tb`).
    public func run(ta: Bool, tb: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: FloatPointer, ldc: Int) {
        if m <= 0 || n <= 0 { return }
        // At least two tiles per thread. Every tile packs its own rows of A and columns of B, so a split into r row
        // tiles and c column tiles packs about c·m·k + r·n·k values: take the cheapest split. Columns in 32s (the widest
        // micro-tile), rows in sixes.
        let want = 2 * pool.threadCount
        var best = (cost: Int.max, rows: 1, cols: 1)
        for c in 1...want where c <= (n + 31) / 32 {
            let r = min((want + c - 1) / c, (m + 5) / 6)
            let cost = c * m + r * n
            if cost < best.cost { best = (cost, r, c) }
        }
        let nt = min(n, ((n + best.cols - 1) / best.cols + 31) / 32 * 32)
        let mt = min(m, ((m + best.rows - 1) / best.rows + 5) / 6 * 6)
        let rowTiles = (m + mt - 1) / mt, colTiles = (n + nt - 1) / nt, isa = pool.kernels.c
        pool.parallelFor(rowTiles * colTiles) { item in
            let i0 = (item / colTiles) * mt, j0 = (item % colTiles) * nt
            let mm = min(mt, m - i0), nn = min(nt, n - j0)
            let aTile = ta ? a + i0 : a + i0 * lda
            let bTile = tb ? b + j0 * ldb : b + j0
            r1c_sgemm(isa, ta ? 1 : 0, tb ? 1 : 0, Int32(mm), Int32(nn), Int32(k), aTile, Int32(lda), bTile, Int32(ldb), beta,
                      c + i0 * ldc + j0, Int32(ldc))
        }
    }

    /// y(T, out) = x(T, in) · w(out, in)ᵀ (+ bias(out) on every row): a linear layer's forward.
    public func linear(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ y: FloatPointer,
                       tokens: Int, inFeatures: Int, outFeatures: Int) {
        if let bias {
            for t in 0..<tokens { (y + t * outFeatures).update(from: bias, count: outFeatures) }
        }
        run(ta: false, tb: true, m: tokens, n: outFeatures, k: inFeatures, a: x, lda: inFeatures, b: w, ldb: inFeatures,
            beta: bias == nil ? 0 : 1, c: y, ldc: outFeatures)
    }

    /// A linear layer's backward: dx(T, in) (+)= dy(T, out) · w(out, in); dw(out, in) += dy(T, out)ᵀ · x(T, in);
    /// dbias(out) += Σ_t dy(t).
    public func linearBackward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: FloatPointer?,
                               accumulateDx: Bool, dw: FloatPointer, dbias: FloatPointer?, tokens: Int, inFeatures: Int,
                               outFeatures: Int) {
        if let dx {
            run(ta: false, tb: false, m: tokens, n: inFeatures, k: outFeatures, a: dy, lda: outFeatures, b: w, ldb: inFeatures,
                beta: accumulateDx ? 1 : 0, c: dx, ldc: inFeatures)
        }
        run(ta: true, tb: false, m: outFeatures, n: inFeatures, k: tokens, a: dy, lda: outFeatures, b: x, ldb: inFeatures,
            beta: 1, c: dw, ldc: inFeatures)
        if let dbias {
            pool.parallelRanges(outFeatures, grain: 64) { r in
                for t in 0..<tokens { for j in r { dbias[j] += dy[t * outFeatures + j] } }
            }
        }
    }
}
