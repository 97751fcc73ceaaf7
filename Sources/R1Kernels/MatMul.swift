// y = x · Wᵀ for weights in any GGMLType, the ggml way: activations are converted once to the weight type's
// activation type (Quant.activationType), then every output is one dot product per input row.
// Plain reference: `MatMul.reference`. Q8_0, Q4_0, Q4_K, Q6_K and F16 rows go to R1KernelsC's AVX2 / AVX-512 kernels
// when the pool's KernelPolicy says so (tested against the Swift ones in CKernelTests, F16KernelTests).
import Foundation
import R1KernelsC

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

/// Scratch for converted activations, reused across calls so the decode loop does not allocate; and a recycler for a
/// forward pass's large float buffers (`floats` / `recycle`). One caller at a time.
public final class MatMulScratch: @unchecked Sendable {
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// Free large buffers by size class (a power of two of floats), at most `keptPerClass` each.
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private static let smallest = 1 << 14, keptPerClass = 8

    public init() {
        capacity = 1 << 16
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }
    deinit {
        buffer.deallocate()
        for list in free.values { list.forEach { $0.deallocate() } }
    }

    /// `count` zeroed floats; give them back with `recycle(_:count:)`. Buffers of 16 Ki floats and more come from the
    /// ones given back before (a prompt's activations are tens of MB, which malloc would map fresh and the kernel
    /// fault in and clear on every layer); smaller ones are plain allocations.
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = Self.sizeClass(count)
        let p = free[n]?.popLast() ?? .allocate(capacity: n)
        p.initialize(repeating: 0, count: max(count, 1))
        return p
    }

    /// Takes back a buffer `floats(count)` gave out.
    public func recycle(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let n = Self.sizeClass(count)
        if n >= Self.smallest && free[n, default: []].count < Self.keptPerClass { free[n, default: []].append(p) }
        else { p.deallocate() }
    }

    private static func sizeClass(_ count: Int) -> Int {
        let n = max(count, 1)
        return n < smallest ? n : 1 << (Int.bitWidth - (n - 1).leadingZeroBitCount)
    }

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
    /// y (T, N) = x (T, K) · Wᵀ (K, N), optionally + bias (N). Parallel over output rows, with `pool.kernels`.
    public static func run(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, tokens t: Int,
                           bias: UnsafePointer<Float>? = nil, pool: ThreadPool, scratch: MatMulScratch) {
        withUnsafeTemporaryAllocation(of: Output.self, capacity: 1) { outs in
            outs[0] = Output(weight: w, y: y, bias: bias)
            run(UnsafeBufferPointer(outs), x, tokens: t, pool: pool, scratch: scratch)
        }
    }

    /// One product of several matrices with the same input (Q, K, V; gate, up): activations are converted once per
    /// activation type and every row of every matrix is shared out in one parallel call.
    public struct Output {
        public var weight: WeightMatrix
        public var y: UnsafeMutablePointer<Float>       // (T, weight.rows)
        public var bias: UnsafePointer<Float>?          // (weight.rows)
        public init(weight: WeightMatrix, y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>? = nil) {
            self.weight = weight; self.y = y; self.bias = bias
        }
    }

    /// y_m (T, N_m) = x (T, K) · W_mᵀ (+ bias_m) for every output m; all W_m have K columns.
    public static func run(_ outs: UnsafeBufferPointer<Output>, _ x: UnsafePointer<Float>, tokens t: Int,
                           pool: ThreadPool, scratch: MatMulScratch) {
        let k = outs[0].weight.cols
        // Activations in at most two activation types (Q4_K_M mixes q4_K and q6_K, both dotted with q8_K).
        var types: (GGMLType, GGMLType?) = (Quant.activationType(outs[0].weight.type), nil)
        for o in outs {
            precondition(o.weight.cols == k, "MatMul: fused matrices differ in columns")
            let a = Quant.activationType(o.weight.type)
            if a != types.0 {
                precondition(types.1 == nil || types.1 == a, "MatMul: more than two activation types")
                types.1 = a
            }
        }
        let bytes0 = types.0.byteCount(elements: k)!, bytes1 = types.1.map { $0.byteCount(elements: k)! } ?? 0
        // f32 activations (F16, BF16 and F32 weights) are read where they are: their conversion would be a copy (1.5% of
        // an F16 prompt's time)
        let direct = types.0 == .f32 && types.1 == nil
        let buf = scratch.reserve(direct ? 0 : (bytes0 + bytes1) * t)
        let xq0 = direct ? UnsafeMutableRawPointer(mutating: x) : buf, xq1 = direct ? xq0 : buf + bytes0 * t
        @inline(__always) func convert(_ i: Int) {
            Quant.quantizeRow(x + i * k, xq0 + i * bytes0, count: k, type: types.0)
            if let t1 = types.1 { Quant.quantizeRow(x + i * k, xq1 + i * bytes1, count: k, type: t1) }
        }
        if !direct { if t > 1 { pool.parallelFor(t) { convert($0) } } else { convert(0) } }

        var total = 0
        for o in outs { total += o.weight.rows }
        let grain = 16, kernels = pool.kernels
        pool.parallelRanges(total, grain: grain) { range in
            // the global row range, cut at matrix boundaries
            var base = 0
            for o in outs {
                let n = o.weight.rows
                let lo = max(range.lowerBound, base), hi = min(range.upperBound, base + n)
                if lo < hi {
                    let a = Quant.activationType(o.weight.type)
                    let xq = UnsafeRawPointer(a == types.0 ? xq0 : xq1), xBytes = a == types.0 ? bytes0 : bytes1
                    rows(o, from: lo - base, to: hi - base, xq, xRowBytes: xBytes, tokens: t, kernels: kernels)
                }
                base += n
            }
        }
    }

    /// One matrix of G stacked per-head matrices, each applied to its own slice of the input (MLA's kv_b halves):
    /// y (T, G·R) where y[t, g·R + i] = x[t, g·K ..< (g+1)·K] · W[g·R + i], for w (G·R, K) and x (T, G·K). Each group's
    /// activations are gathered and converted once, then all G·R rows are shared out in one parallel call.
    public static func runGroups(_ w: WeightMatrix, groups g: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                 tokens t: Int, pool: ThreadPool, scratch: MatMulScratch) {
        let k = w.cols, per = w.rows / g
        precondition(g > 0 && per * g == w.rows, "MatMul.runGroups: \(w.rows) rows in \(g) groups")
        let a = Quant.activationType(w.type), bytes = a.byteCount(elements: k)!
        let buf = scratch.reserve(bytes * t * g)   // (G, T) converted rows: group g's tokens contiguous
        @inline(__always) func convert(_ item: Int) {
            let gi = item / t, i = item % t
            Quant.quantizeRow(x + i * g * k + gi * k, buf + item * bytes, count: k, type: a)
        }
        if g * t > 1 { pool.parallelFor(g * t) { convert($0) } } else { convert(0) }
        let out = Output(weight: w, y: y), kernels = pool.kernels
        pool.parallelRanges(w.rows, grain: 16) { range in
            var lo = range.lowerBound
            while lo < range.upperBound {  // cut at group boundaries
                let gi = lo / per, hi = min(range.upperBound, (gi + 1) * per)
                rows(out, from: lo, to: hi, UnsafeRawPointer(buf + gi * t * bytes), xRowBytes: bytes, tokens: t, kernels: kernels)
                lo = hi
            }
        }
    }

    /// Rows r0..<r1 of one output for every token; rows in blocks of 16 so a weight block stays in cache while every
    /// token row passes over it.
    @inline(__always)
    static func rows(_ o: Output, from r0: Int, to r1: Int, _ xq: UnsafeRawPointer, xRowBytes: Int, tokens t: Int,
                     kernels: KernelPolicy) {
        let w = o.weight, n = w.rows, k = w.cols, isa = kernels.c
        /// The C paths write the products; the bias goes on after (the Swift path below adds it per row).
        func addBias() {
            guard let bias = o.bias else { return }
            for i in 0..<t { let yi = o.y + i * n; for r in r0..<r1 { yi[r] += bias[r] } }
        }
        if w.type == .q5_0 && t > 1, let code = cKernel(.q8_0, kernels) {
            // Q5_0 (llama-quantize's fallback for rows K-quants cannot hold) for a prompt: 16 rows at a time converted
            // to Q8_0 exactly, then the Q8_0 tiles; one token keeps the Swift dot (a conversion costs what a dot does)
            let nb = k / 32, qBytes = 34 * nb
            withUnsafeTemporaryAllocation(byteCount: 16 * qBytes, alignment: 64) { buf in
                let q = buf.baseAddress!
                var b = r0
                while b < r1 {
                    let e = min(r1, b + 16)
                    for r in b..<e { Quant.q5_0ToQ8_0(w.row(r), q + (r - b) * qBytes, blocks: nb) }
                    r1c_dot_tile(isa, code, q, qBytes, Int32(e - b), xq, xRowBytes, Int32(t), Int32(nb), o.y + b, n)
                    b = e
                }
            }
            addBias()
            return
        }
        if let code = cKernel(w.type, kernels) {
            let nb = k / w.type.blockSize
            if t == 1 {
                r1c_dot_rows(isa, code, w.row(r0), w.rowBytes, Int32(r1 - r0), xq, Int32(nb), o.y + r0)
            } else {
                // AVX2's lane tiles take the whole range (they walk it 16 rows at a time and convert each token's
                // per-block terms once per call); the other tiles get 16 rows a call. Q6_K takes the lane tile at
                // the AVX-512 level too, for 32 tokens and more, where the policy says the 512-bit one is slower
                // there (KernelPolicy.wideQ6KTile; with fewer tokens the lanes tile's per-call re-laying costs more).
                let tileISA = w.type == .q6_K && t >= 32 && kernels.isa == .avx512 && !kernels.wideQ6KTile ? 1 : isa
                let step = kernels.isa == .avx2 || tileISA == 1 ? r1 - r0 : 16
                var b = r0
                while b < r1 {
                    let e = min(r1, b + step)
                    r1c_dot_tile(tileISA, code, w.row(b), w.rowBytes, Int32(e - b), xq, xRowBytes, Int32(t), Int32(nb), o.y + b, n)
                    b = e
                }
            }
            addBias()
            return
        }
        if w.type == .f16 && t == 1
            && r1c_f16_rows(isa, Int32(kernels.f16RowsPrefetch), w.row(r0), w.rowBytes, Int32(r1 - r0), xq.assumingMemoryBound(to: Float.self), Int32(k), o.y + r0) != 0 {
            // decode: AVX2 / AVX-512 C rows; 0 under the Swift policy
            addBias()
            return
        }
        if w.type == .f16 && t > 1 && k % 8 == 0 {  // other widths take the row-by-row path below
            // AVX2 / AVX-512 C tile under those policies (Swift cannot emit them without making them the baseline)
            if r1c_f16_tile(isa, w.row(r0), w.rowBytes, Int32(r1 - r0), xq.assumingMemoryBound(to: Float.self),
                                            Int32(t), Int32(k), o.y + r0, n) == 0 {
                f16Tile(w, from: r0, to: r1, xq, tokens: t, o.y)
            }
            addBias()
            return
        }
        var b = r0
        while b < r1 {
            let e = min(r1, b + 16)
            for i in 0..<t {
                let xi = xq + i * xRowBytes
                let yi = o.y + i * n
                for r in b..<e {
                    yi[r] = Quant.vecDotActivations(w.row(r), xi, count: k, type: w.type) + (o.bias?[r] ?? 0)
                }
            }
            b = e
        }
    }

    /// F16 weights · f32 activations for a prompt under the Swift policy (kernels_f16.c's tile_avx2 does the same with
    /// FMAs in 3 × 4 tiles): tiles of 4 rows × 2 tokens, 8 accumulators fed by 4 f16 conversions and 2 loads per 8 columns (a
    /// row-by-row dot spends one load per product). Shapes: W rows r0..<r1 of (N, K), x (T, K) f32, y (T, N).
    static func f16Tile(_ w: WeightMatrix, from r0: Int, to r1: Int, _ x: UnsafeRawPointer, tokens t: Int,
                        _ y: UnsafeMutablePointer<Float>) {
        let k = w.cols, n = w.rows
        precondition(k % 8 == 0, "f16Tile: columns must be a multiple of 8")
        @inline(__always) func lw(_ p: UnsafeRawPointer, _ o: Int) -> SIMD8<Float> {
            halfToFloat(p.loadUnaligned(fromByteOffset: 2 * o, as: SIMD8<UInt16>.self))
        }
        @inline(__always) func lx(_ p: UnsafeRawPointer, _ o: Int) -> SIMD8<Float> {
            p.loadUnaligned(fromByteOffset: 4 * o, as: SIMD8<Float>.self)
        }
        // rows in blocks of 16 (in L2); within a block, token pairs outer so their activations stay in L1
        var b = r0
        while b < r1 {
            let e = min(r1, b + 16)
            let e4 = b + (e - b) / 4 * 4
            var i = 0
            while i + 2 <= t {
                let x0 = x + i * k * 4, x1 = x0 + k * 4
                var r = b
                while r < e4 {
                    let w0 = w.row(r), w1 = w.row(r + 1), w2 = w.row(r + 2), w3 = w.row(r + 3)
                    var a00 = SIMD8<Float>(), a10 = a00, a20 = a00, a30 = a00, a01 = a00, a11 = a00, a21 = a00, a31 = a00
                    var j = 0
                    while j < k {
                        let v0 = lx(x0, j), v1 = lx(x1, j)
                        let c0 = lw(w0, j), c1 = lw(w1, j), c2 = lw(w2, j), c3 = lw(w3, j)
                        a00 += c0 * v0; a10 += c1 * v0; a20 += c2 * v0; a30 += c3 * v0
                        a01 += c0 * v1; a11 += c1 * v1; a21 += c2 * v1; a31 += c3 * v1
                        j += 8
                    }
                    let y0 = y + i * n + r, y1 = y0 + n
                    y0[0] = a00.sum(); y0[1] = a10.sum(); y0[2] = a20.sum(); y0[3] = a30.sum()
                    y1[0] = a01.sum(); y1[1] = a11.sum(); y1[2] = a21.sum(); y1[3] = a31.sum()
                    r += 4
                }
                i += 2
            }
            // the odd last token, and rows past the last group of 4
            for ii in 0..<t {
                let rowsFrom = ii >= i ? b : e4
                for rr in rowsFrom..<e { y[ii * n + rr] = Quant.dotF16F32(w.row(rr), x + ii * k * 4, count: k) }
            }
            b = e
        }
    }

    /// The C kernel code for weights of `type`, when `kernels` runs the C kernels.
    @inline(__always) static func cKernel(_ type: GGMLType, _ kernels: KernelPolicy) -> Int32? {
        guard kernels.isa >= .avx2 else { return nil }
        switch type {
        case .q8_0: return Int32(R1C_Q8_0)
        case .q4_0: return Int32(R1C_Q4_0)
        case .q4_K: return Int32(R1C_Q4_K)
        case .q6_K: return Int32(R1C_Q6_K)
        default: return nil
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
