// R1KernelsC's dot products (rows for decode, tiles for prefill; AVX2 / AVX-512 on x86-64, NEON / dotprod / i8mm on
// arm64) against QuantReference.vecDot, and MatMul's fused multi-matrix path against MatMul.reference under every
// kernel policy the CPU runs. Skipped (shown as skipped) where the CPU runs no C kernels.
import Foundation
import Testing
import R1KernelsC
@testable import R1Kernels

@Suite struct CKernelTests {
    static let types: [GGMLType] = [.q8_0, .q4_0, .q4_K, .q6_K]

    /// Rows (decode) and tiles (prefill, batched decode) at every C level the CPU runs (AVX2, AVX-512; NEON, dotprod,
    /// i8mm): 16, 13 and 5 rows, 1...9 tokens (every remainder of the 4-token and 2-token tiles), K of 1, 6 and 35
    /// super-blocks.
    @Test(.enabled(if: KernelPolicy.best.runsC, "needs AVX2, FMA and F16C or an arm64 CPU"), arguments: types)
    func rowsAndTilesMatchReference(type: GGMLType) throws {
        let code = try #require(MatMul.cKernel(type, .best))
        let levels = KernelPolicy.available.filter(\.runsC)
        var rng = SeededRNG(seed: 700 + UInt64(type.rawValue))
        let maxRows = 16, maxTokens = 9
        let xType = Quant.vecDotType(type)
        // 32-element blocks also get K of 3 and 13 blocks (AVX2's Q4_0 / Q8_0 rows take four blocks a step)
        for n in type.blockSize == 32 ? [96, 256, 416, 1536, 8960] : [256, 1536, 8960] {
            let rowBytes = type.byteCount(elements: n)!, xBytes = xType.byteCount(elements: n)!
            let nb = Int32(n / type.blockSize)
            var w: [UInt8] = []
            for _ in 0..<maxRows { w += QuantTestData.weights(type, count: n, rng: &rng) }
            var xq: [UInt8] = []
            for _ in 0..<maxTokens { xq += QuantTestData.quantize(QuantTestData.activations(count: n, rng: &rng), xType) }
            let wRows = (0..<maxRows).map { Array(w[($0 * rowBytes)..<(($0 + 1) * rowBytes)]) }
            let xToks = (0..<maxTokens).map { Array(xq[($0 * xBytes)..<(($0 + 1) * xBytes)]) }
            let wf = wRows.map { QuantTestData.dequantize($0, type, count: n) }
            let xf = xToks.map { QuantTestData.dequantize($0, xType, count: n) }
            // ref[t][r] and the tolerance's scale Σ|w·x|
            let ref = xToks.map { xt in wRows.map { Double(QuantReference.vecDot($0, xt, count: n, type: type)) } }
            let scale = xf.map { x in wf.map { w in zip(w, x).reduce(0) { $0 + abs(Double($1.0) * Double($1.1)) } } }
            for kernels in levels {
                var yRows = [Float](repeating: 0, count: maxRows)
                r1c_dot_rows(kernels.c, code, w, rowBytes, Int32(maxRows), xToks[0], nb, &yRows)
                for r in 0..<maxRows {
                    #expect(abs(Double(yRows[r]) - ref[0][r]) <= dotFastVsReferenceTolerance * scale[0][r],
                            "\(type) K=\(n) row \(r) \(kernels)")
                }
            }
            // every tile the CPU runs (AVX2 then AVX-512; NEON, dotprod, i8mm)
            for isa in levels.map(\.isa) {
                for rows in [16, 13, 5] {  // two 8-row groups, a partial second group, one partial group
                    for tokens in [1, 2, 3, 4, 5, 8, 9] {
                        var yTile = [Float](repeating: .nan, count: rows * tokens)
                        r1c_dot_tile(Int32(isa.level), code, w, rowBytes, Int32(rows), xq, xBytes, Int32(tokens), nb, &yTile, rows)
                        for r in 0..<rows {
                            for t in 0..<tokens {
                                let y = Double(yTile[t * rows + r])
                                #expect(abs(y - ref[t][r]) <= dotFastVsReferenceTolerance * scale[t][r],
                                        "\(type) K=\(n) tile \(rows)x\(tokens) at \(r),\(t) \(isa.name)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Q, K, V-like outputs of mixed types (as Q4_K_M mixes q4_K and q6_K) in one fused call, with biases; at every
    /// level and with each per-CPU choice of the best level flipped (Q6_K's tile, the F16 rows' prefetch).
    @Test(arguments: [1, 5, 8, 33], KernelPolicy.availableWithChoices)
    func fusedMatMulMatchesReference(tokens t: Int, kernels: KernelPolicy) {
        var rng = SeededRNG(seed: 900 + UInt64(t))
        let k = 512
        let specs: [(GGMLType, Int)] = [(.q4_K, 48), (.q6_K, 16), (.q8_0, 20), (.f16, 23), (.q5_0, 21)]
        let blobs = specs.map { QuantTestData.weights($0.0, count: k * $0.1, rng: &rng) }
        let x = QuantTestData.activations(count: t * k, rng: &rng)
        let biases = specs.map { s in (0..<s.1).map { _ in rng.normal() } }
        let ys = specs.map { UnsafeMutablePointer<Float>.allocate(capacity: t * $0.1) }
        let bs = biases.map { b in let p = UnsafeMutablePointer<Float>.allocate(capacity: b.count); p.initialize(from: b, count: b.count); return p }
        defer { ys.forEach { $0.deallocate() }; bs.forEach { $0.deallocate() } }
        let pool = ThreadPool(threads: 2, kernels: kernels), scratch = MatMulScratch()
        blobs[0].withUnsafeBytes { b0 in blobs[1].withUnsafeBytes { b1 in blobs[2].withUnsafeBytes { b2 in blobs[3].withUnsafeBytes { b3 in
          blobs[4].withUnsafeBytes { b4 in
            let bases = [b0.baseAddress!, b1.baseAddress!, b2.baseAddress!, b3.baseAddress!, b4.baseAddress!]
            let ws = (0..<5).map { WeightMatrix(type: specs[$0].0, rows: specs[$0].1, cols: k, data: bases[$0]) }
            for group in [[0, 1, 2, 4], [3]] {  // at most two activation types per fused call (Q5_0 runs as Q8_0 rows)
                let outs = group.map { m in
                    MatMul.Output(weight: ws[m], y: ys[m], bias: UnsafePointer(bs[m]))
                }
                outs.withUnsafeBufferPointer { MatMul.run($0, x, tokens: t, pool: pool, scratch: scratch) }
            }
            for m in 0..<5 {
                let xr = (0..<t).flatMap { i in
                    QuantTestData.dequantize(QuantTestData.quantize(Array(x[(i * k)..<((i + 1) * k)]), Quant.activationType(specs[m].0)),
                                             Quant.activationType(specs[m].0), count: k)
                }
                let ref = MatMul.reference(ws[m], xr, tokens: t, bias: biases[m])
                for i in 0..<ref.count {
                    #expect(abs(ys[m][i] - ref[i]) <= 1e-3 * (1 + abs(ref[i])), "\(kernels) \(specs[m].0) output \(i): \(ys[m][i]) vs \(ref[i])")
                }
            }
        } } } } }
    }
}

/// Q5_0 rows converted to Q8_0 (how MatMul runs Q5_0 weights on the Q8_0 kernels) dequantize to the same values.
@Test func q5_0RowsAreQ8_0RowsExactly() {
    var rng = SeededRNG(seed: 55)
    let k = 32 * 37
    let blob = QuantTestData.weights(.q5_0, count: k, rng: &rng)
    var q8 = [UInt8](repeating: 0, count: 34 * (k / 32))
    blob.withUnsafeBytes { src in q8.withUnsafeMutableBytes { Quant.q5_0ToQ8_0(src.baseAddress!, $0.baseAddress!, blocks: k / 32) } }
    #expect(QuantTestData.dequantize(blob, .q5_0, count: k) == QuantTestData.dequantize(q8, .q8_0, count: k))
}

/// MatMul.runGroups (MLA's per-head k_b / v_b): group g of the weights times slice g of the input, for every type the
/// absorbed path meets, equal to MatMul.run of each group's rows on its own slice (the same kernels, whose arithmetic
/// the tests above hold to the reference); group sizes that the 16-row grain cuts.
@Test(arguments: [1, 3, 9], KernelPolicy.available)
func groupedMatMulEqualsOneMatMulPerGroup(tokens t: Int, kernels: KernelPolicy) {
    var rng = SeededRNG(seed: 950 + UInt64(t))
    let g = 5, per = 12, pool = ThreadPool(threads: 2, kernels: kernels), scratch = MatMulScratch()
    for (type, k) in [(GGMLType.q8_0, 64), (.q4_0, 96), (.q5_0, 128), (.q4_K, 256), (.q6_K, 256), (.f16, 128), (.f32, 40)] {
        let blob = QuantTestData.weights(type, count: g * per * k, rng: &rng)
        let x = QuantTestData.activations(count: t * g * k, rng: &rng)   // (t, G·K)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: t * g * per), yg = UnsafeMutablePointer<Float>.allocate(capacity: t * per)
        defer { y.deallocate(); yg.deallocate() }
        blob.withUnsafeBytes { b in
            let w = WeightMatrix(type: type, rows: g * per, cols: k, data: b.baseAddress!)
            MatMul.runGroups(w, groups: g, x, y, tokens: t, pool: pool, scratch: scratch)
            for gi in 0..<g {
                let wg = WeightMatrix(type: type, rows: per, cols: k, data: w.row(gi * per))
                var xg: [Float] = []
                for i in 0..<t {
                    let start: Int = i * g * k + gi * k
                    xg += x[start..<(start + k)]
                }
                MatMul.run(wg, xg, yg, tokens: t, pool: pool, scratch: scratch)
                for i in 0..<t {
                    for r in 0..<per {
                        let got: Float = y[i * g * per + gi * per + r], want: Float = yg[i * per + r]
                        #expect(got == want, "\(kernels) \(type) group \(gi) token \(i) row \(r)")
                    }
                }
            }
        }
    }
}

/// Vec.exp against expf over the range silu and softmax use, and its limits.
@Test func vectorExpMatchesExpf() {
    var worst: Float = 0
    var x: Float = -87
    while x < 88.5 {
        let v = Vec.exp(SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 }))
        for l in 0..<8 {
            let ref = expf(x + Float(l) * 0.0137)
            worst = max(worst, abs(v[l] - ref) / ref)
        }
        x += 0.1
    }
    #expect(worst <= 4 * Float.ulpOfOne, "Vec.exp relative error \(worst)")
    let edge = Vec.exp(SIMD8<Float>(-200, -88, 0, 1, 89, 200, -0.5, .nan))
    #expect(edge[0] == 0 && edge[2] == 1 && edge[5] == .infinity && edge[7].isNaN)
    #expect(abs(edge[3] - expf(1)) <= 2 * expf(1) * Float.ulpOfOne)
}

/// F16 weights whose width is not a multiple of 8 (the prefill tiles' step) take the row path, for a prompt as for
/// one token: no trap, the reference's result.
@Test(arguments: [1, 3], KernelPolicy.available)
func f16WidthNotAMultipleOf8(tokens t: Int, kernels: KernelPolicy) {
    var rng = SeededRNG(seed: 77)
    let k = 12, n = 5
    let blob = QuantTestData.weights(.f16, count: k * n, rng: &rng)
    let x = QuantTestData.activations(count: t * k, rng: &rng)
    let y = UnsafeMutablePointer<Float>.allocate(capacity: t * n)
    defer { y.deallocate() }
    blob.withUnsafeBytes { b in
        let w = WeightMatrix(type: .f16, rows: n, cols: k, data: b.baseAddress!)
        MatMul.run(w, x, y, tokens: t, pool: ThreadPool(threads: 2, kernels: kernels), scratch: MatMulScratch())
        let ref = MatMul.reference(w, x, tokens: t)
        for i in 0..<ref.count { #expect(abs(y[i] - ref[i]) <= 1e-4 * (1 + abs(ref[i])), "output \(i): \(y[i]) vs \(ref[i])") }
    }
}
