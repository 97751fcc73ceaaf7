// Quant kernels against gguf-py (gguf 0.19.0 `gguf.quants`) fixtures: dequantization of every weight type and
// activation quantization (F16, BF16, Q8_0, Q8_1, Q8_K), see scripts/fixtures/make_quant_fixtures.py.
import Testing
@testable import R1Kernels

/// Dequantization matches gguf-py bit for bit: both compute d * q - dmin * m in f32 with the same operation order.
let dequantGGUFMaxULP = 0

@Suite struct QuantFixtureTests {
    static let fixtureWeightTypes: [GGMLType] = [.f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

    @Test(arguments: fixtureWeightTypes)
    func referenceDequantMatchesGGUF(type: GGMLType) throws {
        let blocks = try QuantFixtures.bytes("\(type).blocks"), expected = try QuantFixtures.floats("\(type).f32")
        #expect(type.byteCount(elements: expected.count) == blocks.count)
        let got = QuantTestData.dequantize(blocks, type, count: expected.count)
        var worst = 0
        for i in 0..<expected.count {
            let ulps = Int(abs(Int64(got[i].bitPattern) - Int64(expected[i].bitPattern)))
            worst = max(worst, got[i] == expected[i] ? 0 : ulps)
        }
        #expect(worst <= dequantGGUFMaxULP, "\(type): worst \(worst) ulp")
    }

    @Test(arguments: fixtureWeightTypes)
    func fastDequantMatchesReferenceOnFixtures(type: GGMLType) throws {
        let blocks = try QuantFixtures.bytes("\(type).blocks"), n = try QuantFixtures.floats("\(type).f32").count
        let ref = QuantTestData.dequantize(blocks, type, count: n)
        let fast = QuantTestData.dequantize(blocks, type, count: n, fast: true)
        let differing = (0..<n).filter { ref[$0].bitPattern != fast[$0].bitPattern }.count
        #expect(differing == 0, "\(type): \(differing) elements differ")
    }

    /// Quantization is bit-exact with the fixtures: same roundf / nearest_int / RNE f16 conversions as ggml's refs.
    @Test(arguments: [GGMLType.f16, .bf16, .q8_0, .q8_1, .q8_K])
    func activationQuantizationMatchesFixtures(type: GGMLType) throws {
        let x = try QuantFixtures.floats("act.f32"), expected = try QuantFixtures.bytes("act.\(type)")
        var ref = [UInt8](repeating: 0xAA, count: expected.count), fast = ref
        QuantReference.quantizeRow(x, &ref, count: x.count, type: type)
        Quant.quantizeRow(x, &fast, count: x.count, type: type, q8Rounding: .reference)
        let refDiff = zip(ref, expected).filter { $0 != $1 }.count, fastDiff = zip(fast, expected).filter { $0 != $1 }.count
        #expect(ref.count == expected.count && refDiff == 0, "reference \(type): \(refDiff) bytes differ")
        #expect(fast.count == expected.count && fastDiff == 0, "fast \(type): \(fastDiff) bytes differ")
    }
}
