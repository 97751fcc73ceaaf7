// f16 <-> f32 without F16C (QuantBlocks' halfToFloat / floatToHalf) against Float16's own conversions, and
// kernels_f16.c (attention dot / axpy over an f16 row, F16 weight rows and tiles) against plain double loops, on every
// level the CPU runs (AVX2 skipped, shown as skipped, where the CPU lacks it).
import Foundation
import Testing
import R1KernelsC
@testable import R1Kernels

@Suite struct F16KernelTests {
    @Test func halfToFloatIsExactOnEveryHalf() {
        for bits in 0...UInt16.max {
            let want = Float(Float16(bitPattern: bits)), got = halfToFloat(bits)
            if want.isNaN { #expect(got.isNaN, "\(bits)"); continue }
            #expect(got.bitPattern == want.bitPattern, "half \(bits): \(got) vs \(want)")
        }
        var lanes = SIMD8<UInt16>()
        for base in stride(from: 0, to: 65536, by: 8) {
            for l in 0..<8 { lanes[l] = UInt16(base + l) }
            let v = halfToFloat(lanes)
            for l in 0..<8 where !v[l].isNaN { #expect(v[l].bitPattern == halfToFloat(lanes[l]).bitPattern) }
        }
    }

    @Test func floatToHalfRoundsAsFloat16() {
        var inputs: [Float] = [0, -0, .infinity, -.infinity, .nan, 65504, 65519.99, 65520, 1e-8, -1e-8, 5.96e-8, 2.98e-8,
                               6.1e-5, 6.09e-5, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        for bits in 0..<UInt16(0x7c00) {  // every finite half, and the midpoint to the next (the ties)
            let a = Float(Float16(bitPattern: bits)), b = Float(Float16(bitPattern: bits + 1))
            inputs += [a, -a, (a + b) / 2, -(a + b) / 2, a.nextUp, b.nextDown]
        }
        var rng = SeededRNG(seed: 4242)
        for _ in 0..<200_000 { inputs.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))) }
        for x in inputs {
            let want = Float16(x).bitPattern, got = floatToHalf(x)
            if x.isNaN { #expect(got & 0x7c00 == 0x7c00 && got & 0x3ff != 0, "\(x)"); continue }
            #expect(got == want, "\(x) (\(x.bitPattern)): \(got) vs \(want)")
        }
        for i in stride(from: 0, to: inputs.count - 8, by: 8) {
            let v = floatToHalf(SIMD8<Float>(inputs[i..<(i + 8)]))
            for l in 0..<8 where !inputs[i + l].isNaN { #expect(v[l] == floatToHalf(inputs[i + l]), "\(inputs[i + l])") }
        }
    }

    /// r1c_f16_dot / r1c_f16_axpy (isa 0: the portable loop, 1: AVX2) and the Swift kernels attention uses, against a
    /// double loop; n covers the 32-wide body, the 8-wide steps and the scalar tail.
    @Test(arguments: KernelPolicy.available)
    func attentionDotAndAxpy(kernels: KernelPolicy) {
        var rng = SeededRNG(seed: 31)
        for n in [16, 64, 128, 40, 13, 1] {
            let row = QuantTestData.weights(.f16, count: n, rng: &rng)
            let q = QuantTestData.activations(count: n, rng: &rng)
            let rf = QuantTestData.dequantize(row, .f16, count: n)
            var s = 0.0, a = 0.0
            for i in 0..<n { let p = Double(rf[i]) * Double(q[i]); s += p; a += abs(p) }
            let got = row.withUnsafeBytes { AttentionKernels.dot(q, $0.baseAddress!, n, type: .f16, kernels: kernels) }
            #expect(abs(Double(got) - s) <= 1e-6 * a + 1e-30, "\(kernels) n=\(n): \(got) vs \(s)")
            #expect(abs(Double(r1c_f16_dot(0, row, q, Int32(n))) - s) <= 1e-6 * a + 1e-30, "portable n=\(n)")
            var out = q, plain = q
            row.withUnsafeBytes { AttentionKernels.axpy(0.75, $0.baseAddress!, &out, n, type: .f16, kernels: kernels) }
            r1c_f16_axpy(0, 0.75, row, &plain, Int32(n))
            for i in 0..<n {
                let want = Double(q[i]) + 0.75 * Double(rf[i])
                #expect(abs(Double(out[i]) - want) <= 1e-6 * (abs(want) + 1), "\(kernels) n=\(n) [\(i)]")
                #expect(abs(Double(plain[i]) - want) <= 1e-6 * (abs(want) + 1), "portable n=\(n) [\(i)]")
            }
        }
    }

    /// The AVX2 F16 decode rows and prefill tile (kernels_f16.c) against a double loop: 50 rows (a 48-row block of
    /// 3-row kernels, then 2 single rows), 1...9 tokens (every remainder of the 4-token kernel), K of 8 (one step), 1536,
    /// 1544 (not a multiple of 16) and 8960 (several 1024-column chunks).
    @Test(.enabled(if: KernelPolicy.best.isa.family == .x86 && KernelPolicy.best.runsC, "needs AVX2, FMA and F16C"),
          arguments: [8, 1536, 1544, 8960])
    func avx2RowsAndTile(k: Int) {
        var rng = SeededRNG(seed: 1700 + UInt64(k))
        let rows = 50, maxTokens = 9
        let w = QuantTestData.weights(.f16, count: k * rows, rng: &rng)
        let x = QuantTestData.activations(count: k * maxTokens, rng: &rng)
        let wf = QuantTestData.dequantize(w, .f16, count: k * rows)
        func check(_ y: [Float], tokens: Int, _ what: String) {
            for t in 0..<tokens {
                for r in 0..<rows {
                    var s = 0.0, a = 0.0
                    for j in 0..<k { let p = Double(wf[r * k + j]) * Double(x[t * k + j]); s += p; a += abs(p) }
                    #expect(abs(Double(y[t * rows + r]) - s) <= 1e-5 * a, "\(what) K=\(k) tokens=\(tokens) [\(r),\(t)]")
                }
            }
        }
        for prefetch: Int32 in [0, 2048] {  // both loops of the AVX2 rows (KernelPolicy.f16RowsPrefetch)
            var y = [Float](repeating: .nan, count: rows)
            #expect(r1c_f16_rows(1, prefetch, w, 2 * k, Int32(rows), x, Int32(k), &y) == 1)
            check(y, tokens: 1, "rows prefetch \(prefetch)")
        }
        for tokens in 1...maxTokens {
            var yt = [Float](repeating: .nan, count: rows * tokens)
            #expect(r1c_f16_tile(1, w, 2 * k, Int32(rows), x, Int32(tokens), Int32(k), &yt, rows) == 1)
            check(yt, tokens: tokens, "tile")
        }
        var declined = [Float](repeating: .nan, count: 1)
        #expect(r1c_f16_tile(1, w, 2 * k, 1, x, 1, Int32(k - 4), &declined, 1) == 0)  // K % 8 != 0: the caller's
        #expect(declined[0].isNaN)
    }
}
