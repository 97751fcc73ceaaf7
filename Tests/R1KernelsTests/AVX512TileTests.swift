// The AVX-512 prefill tiles (kernels_avx512_q.c): Q8_0/Q4_0 · Q8_0 against the AVX2 tile (their tested reference),
// F16 · f32 against a plain double loop; odd row and token counts on purpose. Skipped (shown as skipped) without AVX-512.
import Foundation
import Testing
import R1KernelsC
@testable import R1Kernels

@Suite(.enabled(if: KernelPolicy.best.isa == .avx512, "needs AVX-512 F/BW/VL/DQ/VNNI")) struct AVX512TileTests {
    static let tokenCounts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13]  // tiles of 4 and 6 tokens, their tails, two tiles and one

    @Test(arguments: [GGMLType.q8_0, .q4_0], [1536, 8960])
    func quantTileMatchesAVX2Tile(type: GGMLType, k: Int) throws {
        let code = try #require(MatMul.cKernel(type, try KernelPolicy(.avx512)))
        var rng = SeededRNG(seed: 1300 + UInt64(type.rawValue) * 7 + UInt64(k))
        let maxRows = 16, maxTokens = Self.tokenCounts.max()!, nb = k / 32
        let rowBytes = type.byteCount(elements: k)!, xBytes = GGMLType.q8_0.byteCount(elements: k)!
        let w = QuantTestData.weights(type, count: k * maxRows, rng: &rng)
        var xq: [UInt8] = []
        for _ in 0..<maxTokens { xq += QuantTestData.quantize(QuantTestData.activations(count: k, rng: &rng), .q8_0) }
        // reference: the AVX2 tile over every row and token; tolerance from Σ|w·x|
        var ref = [Float](repeating: 0, count: maxRows * maxTokens)
        r1c_dot_tile(1, code, w, rowBytes, Int32(maxRows), xq, xBytes, Int32(maxTokens), Int32(nb), &ref, maxRows)
        let wf = QuantTestData.dequantize(w, type, count: k * maxRows), xf = QuantTestData.dequantize(xq, .q8_0, count: k * maxTokens)
        var scale = [Double](repeating: 0, count: maxRows * maxTokens)
        for r in 0..<maxRows {
            for t in 0..<maxTokens {
                var s = 0.0
                for j in 0..<k { s += abs(Double(wf[r * k + j]) * Double(xf[t * k + j])) }
                scale[t * maxRows + r] = s
            }
        }
        for rows in [16, 5] {
            for tokens in Self.tokenCounts {
                var y = [Float](repeating: .nan, count: rows * tokens)
                r1c_dot_tile(2, code, w, rowBytes, Int32(rows), xq, xBytes, Int32(tokens), Int32(nb), &y, rows)
                for t in 0..<tokens {
                    for r in 0..<rows {
                        let i = t * maxRows + r
                        #expect(abs(Double(y[t * rows + r]) - Double(ref[i])) <= 2 * dotFastVsReferenceTolerance * scale[i],
                                "\(type) K=\(k) rows=\(rows) tokens=\(tokens) [\(r),\(t)]: \(y[t * rows + r]) vs \(ref[i])")
                    }
                }
            }
        }
    }

    @Test(arguments: [1536, 8960])
    func f16TileMatchesPlainLoop(k: Int) {
        var rng = SeededRNG(seed: 1400 + UInt64(k))
        let rows = 21, maxTokens = Self.tokenCounts.max()!  // a 16-row block, then 4 rows and 1
        let w = QuantTestData.weights(.f16, count: k * rows, rng: &rng)
        let x = QuantTestData.activations(count: k * maxTokens, rng: &rng)
        let wf = QuantTestData.dequantize(w, .f16, count: k * rows)
        for tokens in Self.tokenCounts {
            var y = [Float](repeating: .nan, count: rows * tokens)
            let done = r1c_f16_tile(2, w, 2 * k, Int32(rows), x, Int32(tokens), Int32(k), &y, rows)
            #expect(done == 1)
            for t in 0..<tokens {
                for r in 0..<rows {
                    var s = 0.0, a = 0.0
                    for j in 0..<k {
                        let p = Double(wf[r * k + j]) * Double(x[t * k + j])
                        s += p; a += abs(p)
                    }
                    #expect(abs(Double(y[t * rows + r]) - s) <= 1e-5 * a, "F16 K=\(k) tokens=\(tokens) [\(r),\(t)]")
                }
            }
        }
    }
}
