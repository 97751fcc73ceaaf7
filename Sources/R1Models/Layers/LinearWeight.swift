// A linear layer's weight as DeepSeek checkpoints store it: a ggml-typed matrix (GGUF; F32/F16/BF16 safetensors),
// or float8 e4m3 with 2-D block scales, as the real DeepSeek-V3 / R1 release ships its linear layers
// (`weight_scale_inv` per 128 × 128 tile, config.json's quantization_config.weight_block_size). FP8 bytes stay where
// they were mapped, one byte per weight; a product converts one row at a time with its tiles' scales.
import R1Kernels

/// (rows, cols) float8_e4m3fn bytes, row-major, and a float scale per (blockRows × blockCols) tile: weight = value ·
/// scale (DeepSeek-V3 inference/kernel.py weight_dequant).
public struct BlockFP8Matrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let data: UnsafeRawPointer
    /// (ceil(rows / blockRows), ceil(cols / blockCols)), row-major.
    public let scales: [Float]
    public let blockRows: Int
    public let blockCols: Int

    public init(rows: Int, cols: Int, data: UnsafeRawPointer, scales: [Float], blockRows: Int, blockCols: Int) {
        precondition(scales.count == (rows + blockRows - 1) / blockRows * ((cols + blockCols - 1) / blockCols))
        self.rows = rows
        self.cols = cols
        self.data = data
        self.scales = scales
        self.blockRows = blockRows
        self.blockCols = blockCols
    }

    /// e4m3fn: sign, 4 exponent bits (bias 7), 3 mantissa bits; subnormals at exponent 0; no infinities, and
    /// S.1111.111 is NaN.
    public static func decode(_ b: UInt8) -> Float {
        let sign: Float = b & 0x80 != 0 ? -1 : 1
        let e = Int((b >> 3) & 0xF), m = Float(b & 7)
        if e == 15 && b & 7 == 7 { return .nan }
        if e == 0 { return sign * m / 8 * 0x1p-6 }
        return sign * (1 + m / 8) * Float(sign: .plus, exponent: e - 7, significand: 1)
    }

    static let table: [Float] = (0..<256).map { decode(UInt8($0)) }

    /// Row `r` as floats: each value times its tile's scale.
    public func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) {
        let row = data.assumingMemoryBound(to: UInt8.self) + r * cols
        let sc = (cols + blockCols - 1) / blockCols, s0 = r / blockRows * sc
        BlockFP8Matrix.table.withUnsafeBufferPointer { t in
            scales.withUnsafeBufferPointer { s in
                var j = 0, b = 0
                while j < cols {
                    let e = min(cols, j + blockCols), scale = s[s0 + b]
                    for k in j..<e { dst[k] = t[Int(row[k])] * scale }
                    j = e
                    b += 1
                }
            }
        }
    }

    /// y (t, rows) = x (t, cols) · Wᵀ: rows shared out over the pool; each row converted once, then dotted with every
    /// token.
    func run(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, tokens t: Int, pool: ThreadPool) {
        pool.parallelRanges(rows, grain: 16) { range in
            let w = UnsafeMutablePointer<Float>.allocate(capacity: cols)
            defer { w.deallocate() }
            for r in range {
                dequantizeRow(r, into: w)
                for i in 0..<t { y[i * rows + r] = Vec.dot(w, x + i * cols, cols) }
            }
        }
    }
}

/// One linear layer's weight, in whichever form the checkpoint stores it.
public enum LinearWeight: Sendable {
    case matrix(WeightMatrix)
    case fp8(BlockFP8Matrix)

    public var rows: Int {
        switch self {
        case .matrix(let m): return m.rows
        case .fp8(let m): return m.rows
        }
    }

    public var cols: Int {
        switch self {
        case .matrix(let m): return m.cols
        case .fp8(let m): return m.cols
        }
    }

    /// The ggml-typed matrix, when it is one.
    public var matrix: WeightMatrix? {
        if case .matrix(let m) = self { return m }
        return nil
    }

    /// Bytes the weights take where they are stored (FP8: one per weight, plus the scales).
    public var byteCount: Int {
        switch self {
        case .matrix(let m): return m.rows * m.rowBytes
        case .fp8(let m): return m.rows * m.cols + 4 * m.scales.count
        }
    }

    public func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) {
        switch self {
        case .matrix(let m): m.dequantizeRow(r, into: dst)
        case .fp8(let m): m.dequantizeRow(r, into: dst)
        }
    }

    /// y (t, rows) = x (t, cols) · Wᵀ.
    func run(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, tokens t: Int, pool: ThreadPool,
             scratch: MatMulScratch) {
        switch self {
        case .matrix(let m): MatMul.run(m, x, y, tokens: t, pool: pool, scratch: scratch)
        case .fp8(let m): m.run(x, y, tokens: t, pool: pool)
        }
    }

    /// Several weights over the same input (gate and up): one fused MatMul when all are ggml-typed.
    static func run(_ outs: [(weight: LinearWeight, y: UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, tokens t: Int,
                    pool: ThreadPool, scratch: MatMulScratch) {
        let matrices = outs.compactMap { o in o.weight.matrix.map { MatMul.Output(weight: $0, y: o.y) } }
        if matrices.count == outs.count {
            matrices.withUnsafeBufferPointer { MatMul.run($0, x, tokens: t, pool: pool, scratch: scratch) }
        } else {
            for o in outs { o.weight.run(x, o.y, tokens: t, pool: pool, scratch: scratch) }
        }
    }
}
