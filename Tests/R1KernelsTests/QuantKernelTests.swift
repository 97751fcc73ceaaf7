// Fast Quant kernels against QuantReference on seeded random blocks, dot products against float dots of the
// dequantized operands, and quantize -> dequantize round trips, in the manner of llama.cpp's test-quantize-fns.cpp.
import Testing
@testable import R1Kernels

/// Fast vs reference dot: only float summation order differs (per-lane vs sequential), relative to Σ|w_i x_i|.
let dotFastVsReferenceTolerance = 1e-5
/// Reference dot vs Σ dequant(w) dequant(x) in Double: f32 accumulation of per-block scaled integer sums.
let dotVsDequantTolerance = 1e-4
/// Same for Q4_1/Q5_1, whose Q8_1 `s` = d Σq is stored in f16 (2^-11 relative) and carries the m_w term.
let dotVsDequantToleranceQ8_1 = 2e-3
/// Q8_0 round trip per element: half a step d plus the f16 rounding of d over |q| <= 127 (127 · 2^-11 · d).
let roundTripQ8_0Steps: Float = 0.5 + 127.0 / 2048 + 1e-3
/// Q8_K round trip per element: half a step d (d is f32), plus f32 rounding slack.
let roundTripQ8_KSteps: Float = 0.5 + 1e-3

@Suite struct QuantKernelTests {
    static let rowLengths = [256, 512, 1536]

    @Test(arguments: QuantTestData.weightTypes)
    func fastDequantMatchesReference(type: GGMLType) {
        var rng = SeededRNG(seed: 1 + UInt64(type.rawValue))
        for n in Self.rowLengths {
            let w = QuantTestData.weights(type, count: n, rng: &rng)
            let ref = QuantTestData.dequantize(w, type, count: n), fast = QuantTestData.dequantize(w, type, count: n, fast: true)
            let differing = (0..<n).filter { ref[$0].bitPattern != fast[$0].bitPattern }.count
            #expect(differing == 0, "\(type) n=\(n): \(differing) elements differ")
        }
    }

    @Test(arguments: [GGMLType.f16, .bf16, .q8_0, .q8_1, .q8_K])
    func fastQuantizeMatchesReference(type: GGMLType) {
        var rng = SeededRNG(seed: 100 + UInt64(type.rawValue))
        let x = QuantTestData.activations(count: 1536, rng: &rng)
        var fast = [UInt8](repeating: 0, count: type.byteCount(elements: x.count)!)
        Quant.quantizeRow(x, &fast, count: x.count, type: type, q8Rounding: .reference)
        let differing = zip(fast, QuantTestData.quantize(x, type)).filter { $0 != $1 }.count
        #expect(differing == 0, "\(type): \(differing) bytes differ")
    }

    @Test(arguments: QuantTestData.weightTypes)
    func vecDotFastVsReferenceVsDequantized(type: GGMLType) {
        var rng = SeededRNG(seed: 200 + UInt64(type.rawValue))
        let xType = Quant.vecDotType(type)
        for n in Self.rowLengths {
            let w = QuantTestData.weights(type, count: n, rng: &rng)
            let xq = QuantTestData.quantize(QuantTestData.activations(count: n, rng: &rng), xType)
            let wf = QuantTestData.dequantize(w, type, count: n), xf = QuantTestData.dequantize(xq, xType, count: n)
            var exact = 0.0, scale = 0.0
            for i in 0..<n { exact += Double(wf[i]) * Double(xf[i]); scale += abs(Double(wf[i]) * Double(xf[i])) }
            let ref = Double(QuantReference.vecDot(w, xq, count: n, type: type))
            let fast = Double(Quant.vecDot(w, xq, count: n, type: type))
            #expect(abs(fast - ref) <= dotFastVsReferenceTolerance * scale, "\(type) n=\(n): fast \(fast) ref \(ref)")
            let tol = xType == .q8_1 ? dotVsDequantToleranceQ8_1 : dotVsDequantTolerance
            #expect(abs(ref - exact) <= tol * scale, "\(type) n=\(n): ref \(ref) dequantized \(exact)")
        }
    }

    /// Float rows have no blocks: lengths off the 32-wide unrolled loops exercise the scalar tails.
    @Test(arguments: [GGMLType.f32, .f16, .bf16])
    func floatRowTails(type: GGMLType) {
        var rng = SeededRNG(seed: 400 + UInt64(type.rawValue))
        for n in [1, 7, 37, 1001] {
            let w = QuantTestData.weights(type, count: n, rng: &rng)
            let x = QuantTestData.activations(count: n, rng: &rng)
            var xq = [UInt8](repeating: 0, count: type.byteCount(elements: n)!)
            Quant.quantizeRow(x, &xq, count: n, type: type)
            #expect(xq == QuantTestData.quantize(x, type), "\(type) n=\(n): quantizeRow")
            let ref = QuantTestData.dequantize(w, type, count: n), fast = QuantTestData.dequantize(w, type, count: n, fast: true)
            #expect(ref.map(\.bitPattern) == fast.map(\.bitPattern), "\(type) n=\(n): dequantizeRow")
            let xf = QuantTestData.dequantize(xq, type, count: n)
            let scale = (0..<n).reduce(0.0) { $0 + abs(Double(ref[$1]) * Double(xf[$1])) }
            let d = Double(Quant.vecDot(w, xq, count: n, type: type)) - Double(QuantReference.vecDot(w, xq, count: n, type: type))
            #expect(abs(d) <= dotFastVsReferenceTolerance * scale, "\(type) n=\(n): vecDot")
        }
    }

    @Test(arguments: [(GGMLType.q8_0, roundTripQ8_0Steps), (.q8_K, roundTripQ8_KSteps)])
    func quantizeRoundTrip(type: GGMLType, steps: Float) {
        var rng = SeededRNG(seed: 300 + UInt64(type.rawValue))
        let x = QuantTestData.activations(count: 1024, rng: &rng)
        let back = QuantTestData.dequantize(QuantTestData.quantize(x, type), type, count: x.count, fast: true)
        let bs = type.blockSize
        for b in 0..<x.count / bs {
            let amax = x[b * bs..<(b + 1) * bs].map { abs($0) }.max()!, step = amax / 127
            let worst = (b * bs..<(b + 1) * bs).map { abs(x[$0] - back[$0]) }.max()!
            #expect(worst <= steps * step, "\(type) block \(b): error \(worst) > \(steps) steps of \(step)")
        }
    }
}
