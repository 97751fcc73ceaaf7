// y = x · Wᵀ for weights in any GGMLType, the ggml way: activations are converted once to the weight type's
// activation type (Quant.activationType), then every output is one dot product per input row.
// Plain reference: `MatMul.reference`.

/// A weight matrix as stored on disk: `rows` output features, each `cols` input elements of `type`, rows contiguous.
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int        // N (out features)
    public let cols: Int        // K (in features)
    public let data: UnsafeRawPointer
    public let rowBytes: Int

    public init(type: GGMLType, rows: Int, cols: Int, data: UnsafeRawPointer) {
        self.type = type
        self.rows = rows
        self.cols = cols
        self.data = data
        self.rowBytes = type.byteCount(elements: cols)!
    }

    @inline(__always) public func row(_ n: Int) -> UnsafeRawPointer { data + n * rowBytes }

    /// Dequantizes row `n` into `dst` (cols floats).
    public func dequantizeRow(_ n: Int, into dst: UnsafeMutablePointer<Float>) {
        Quant.dequantizeRow(row(n), dst, count: cols, type: type)
    }
}

/// Scratch for converted activations, reused across calls so the decode loop does not allocate.
public final class MatMulScratch: @unchecked Sendable {
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int

    public init() {
        capacity = 1 << 16
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }
    deinit { buffer.deallocate() }

    func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity {
            buffer.deallocate()
            capacity = bytes
            buffer = .allocate(byteCount: capacity, alignment: 64)
        }
        return buffer
    }
}

public enum MatMul {
    /// y (T, N) = x (T, K) · Wᵀ (K, N), optionally + bias (N). Parallel over output rows.
    public static func run(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, tokens t: Int,
                           bias: UnsafePointer<Float>? = nil, pool: ThreadPool, scratch: MatMulScratch) {
        let k = w.cols, n = w.rows
        let dotType = Quant.activationType(w.type)
        let xRowBytes = dotType.byteCount(elements: k)!
        let xq = scratch.reserve(xRowBytes * t)
        if t > 1 {
            pool.parallelFor(t) { i in Quant.quantizeRow(x + i * k, xq + i * xRowBytes, count: k, type: dotType) }
        } else {
            Quant.quantizeRow(x, xq, count: k, type: dotType)
        }
        let xqc = UnsafeRawPointer(xq)
        // Rows in blocks of 16 so one weight block stays in cache while every token row passes over it.
        pool.parallelRanges(n, grain: 16) { range in
            var r0 = range.lowerBound
            while r0 < range.upperBound {
                let r1 = min(range.upperBound, r0 + 16)
                for i in 0..<t {
                    let xi = xqc + i * xRowBytes
                    let yi = y + i * n
                    for r in r0..<r1 {
                        yi[r] = Quant.vecDotActivations(w.row(r), xi, count: k, type: w.type) + (bias?[r] ?? 0)
                    }
                }
                r0 = r1
            }
        }
    }

    /// Plain reference: dequantize W and x's vecDotType round trip, then float dot products.
    /// Shapes: x (T, K), W (N, K), y (T, N).
    public static func reference(_ w: WeightMatrix, _ x: [Float], tokens t: Int, bias: [Float]? = nil) -> [Float] {
        let k = w.cols, n = w.rows
        var y = [Float](repeating: 0, count: t * n)
        var wRow = [Float](repeating: 0, count: k)
        for r in 0..<n {
            wRow.withUnsafeMutableBufferPointer { QuantReference.dequantizeRow(w.row(r), $0.baseAddress!, count: k, type: w.type) }
            for i in 0..<t {
                var s: Float = 0
                for j in 0..<k { s += wRow[j] * x[i * k + j] }
                y[i * n + r] = s + (bias?[r] ?? 0)
            }
        }
        return y
    }
}
