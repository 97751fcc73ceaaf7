// Row-major fp32 matrix products for the training step, split into tiles of C across the ThreadPool; each tile runs
// R1KernelsC's packed sgemm. K is never split, so a product is bit-identical whatever the thread count.
import R1Kernels
import R1KernelsC

public typealias FloatPointer = UnsafeMutablePointer<Float>

public struct Gemm: @unchecked Sendable {
    public let pool: ThreadPool

    public init(pool: ThreadPool) { self.pool = pool }

    /// The micro-kernel on this CPU: 2 AVX-512F, 1 AVX2+FMA, 0 portable C.
    public static var kernel: Int { Int(r1c_sgemm_kernel()) }

    /// C(m, n) = op(A)·op(B) + beta·C; op(A) is (m, k) (A stored (k, m) when `ta`), op(B) is (k, n) (B stored (n, k)
    /// when `tb`).
    public func run(ta: Bool, tb: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: FloatPointer, ldc: Int) {
        if m <= 0 || n <= 0 { return }
        // Tiles of up to 512 columns and as many rows as leave every thread two tiles (rows in sixes): each tile packs
        // its own B panel once and reuses it over all its rows (96 at a time), so tall tiles pack B fewest times.
        // Then halved (columns in 32s, rows in sixes) while there are fewer tiles than that.
        let colBlocks = (n + 511) / 512
        var nt = min(n, ((n + colBlocks - 1) / colBlocks + 31) / 32 * 32)
        let want = 2 * pool.threadCount
        let rowTilesWanted = max(1, (want + colBlocks - 1) / colBlocks)
        var mt = min(m, max(6, ((m + rowTilesWanted - 1) / rowTilesWanted + 5) / 6 * 6))
        while ((m + mt - 1) / mt) * ((n + nt - 1) / nt) < want {
            if nt >= 2 * mt && nt > 64 { nt = (nt / 2 + 31) / 32 * 32 }
            else if mt > 12 { mt = (mt / 2 + 5) / 6 * 6 }
            else if nt > 64 { nt = (nt / 2 + 31) / 32 * 32 }
            else { break }
        }
        let rowTiles = (m + mt - 1) / mt, colTiles = (n + nt - 1) / nt
        pool.parallelFor(rowTiles * colTiles) { item in
            let i0 = (item / colTiles) * mt, j0 = (item % colTiles) * nt
            let mm = min(mt, m - i0), nn = min(nt, n - j0)
            let aTile = ta ? a + i0 : a + i0 * lda
            let bTile = tb ? b + j0 * ldb : b + j0
            r1c_sgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(mm), Int32(nn), Int32(k), aTile, Int32(lda), bTile, Int32(ldb), beta,
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
