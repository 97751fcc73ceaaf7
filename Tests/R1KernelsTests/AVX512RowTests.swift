// The AVX-512 decode row kernels (kernels_avx512_rows.c): Q4_0 / Q8_0 · Q8_0 rows (r1c_dot_rows) against the AVX2 rows
// (their tested reference) and QuantReference's dequantized dot, F16 · f32 rows (r1c_f16_rows) against a plain double loop.
// Skipped (shown as skipped) without AVX-512.
import Foundation
import Testing
import R1KernelsC
@testable import R1Kernels

@Suite(.enabled(if: KernelPolicy.best.isa == .avx512, "needs AVX-512 F/BW/VL/DQ/VNNI")) struct AVX512RowTests {
    @Test(arguments: [GGMLType.q4_0, .q8_0], [1536, 8960, 1568])  // 8960, 1568: a last step of 8 / 1 of 16 blocks
    func quantRowsMatchAVX2Rows(type: GGMLType, k: Int) throws {
        let code = try #require(MatMul.cKernel(type, try KernelPolicy(.avx512)))
        var rng = SeededRNG(seed: 1500 + UInt64(type.rawValue) * 7 + UInt64(k))
        let maxRows = 16, nb = k / 32, rowBytes = type.byteCount(elements: k)!
        let w = QuantTestData.weights(type, count: k * maxRows, rng: &rng)
        let xq = QuantTestData.quantize(QuantTestData.activations(count: k, rng: &rng), .q8_0)
        var ref = [Float](repeating: 0, count: maxRows)
        r1c_dot_rows(1, code, w, rowBytes, Int32(maxRows), xq, Int32(nb), &ref)
        let wf = QuantTestData.dequantize(w, type, count: k * maxRows), xf = QuantTestData.dequantize(xq, .q8_0, count: k)
        for rows in [16, 5] {
            var y = [Float](repeating: .nan, count: rows)
            r1c_dot_rows(2, code, w, rowBytes, Int32(rows), xq, Int32(nb), &y)
            for r in 0..<rows {
                var s = 0.0, a = 0.0
                for j in 0..<k { let p = Double(wf[r * k + j]) * Double(xf[j]); s += p; a += abs(p) }
                #expect(abs(Double(y[r]) - Double(ref[r])) <= 2 * dotFastVsReferenceTolerance * a,
                        "\(type) K=\(k) rows=\(rows) [\(r)]: \(y[r]) vs AVX2 \(ref[r])")
                #expect(abs(Double(y[r]) - s) <= 2 * dotFastVsReferenceTolerance * a,
                        "\(type) K=\(k) rows=\(rows) [\(r)]: \(y[r]) vs reference \(s)")
            }
        }
    }

    @Test(arguments: [1536, 8960, 1552])  // 1552: 16 columns past the last 32
    func f16RowsMatchPlainLoop(k: Int) {
        var rng = SeededRNG(seed: 1600 + UInt64(k))
        let maxRows = 16
        let w = QuantTestData.weights(.f16, count: k * maxRows, rng: &rng)
        let x = QuantTestData.activations(count: k, rng: &rng)
        let wf = QuantTestData.dequantize(w, .f16, count: k * maxRows)
        for rows in [16, 5] {
            var y = [Float](repeating: .nan, count: rows)
            #expect(r1c_f16_rows(2, 0, w, 2 * k, Int32(rows), x, Int32(k), &y) == 1)
            for r in 0..<rows {
                var s = 0.0, a = 0.0
                for j in 0..<k { let p = Double(wf[r * k + j]) * Double(x[j]); s += p; a += abs(p) }
                #expect(abs(Double(y[r]) - s) <= 1e-5 * a, "F16 K=\(k) rows=\(rows) [\(r)]: \(y[r]) vs \(s)")
            }
        }
        // the Swift policy: declined, nothing written
        var y = [Float](repeating: .nan, count: 1)
        #expect(r1c_f16_rows(0, 0, w, 2 * k, 1, x, Int32(k - 8), &y) == 0)
        #expect(y[0].isNaN)
    }
}
