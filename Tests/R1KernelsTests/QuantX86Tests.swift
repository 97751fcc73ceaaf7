// Q8_0 / Q8_1 activation quantization as llama.cpp's x86 CPU backend does it (Q8Rounding.x86, the engine default),
// against a numpy port of ggml-cpu/arch/x86/quants.c quantize_row_q8_{0,1}: scripts/fixtures/make_x86_q8_fixtures.py.
import Testing
@testable import R1Kernels

@Suite struct QuantX86Tests {
    static func quantize(_ x: [Float], _ type: GGMLType, _ rounding: Q8Rounding, fast: Bool) -> [UInt8] {
        var out = [UInt8](repeating: 0xAA, count: type.byteCount(elements: x.count)!)
        if fast { Quant.quantizeRow(x, &out, count: x.count, type: type, q8Rounding: rounding) }
        else { QuantReference.quantizeRow(x, &out, count: x.count, type: type, q8Rounding: rounding) }
        return out
    }

    @Test(arguments: [GGMLType.q8_0, .q8_1])
    func x86MatchesNumpyPort(type: GGMLType) throws {
        let x = try QuantFixtures.floats("act-x86.f32"), expected = try QuantFixtures.bytes("act-x86.\(type)")
        let ref = Self.quantize(x, type, .x86, fast: false), fast = Self.quantize(x, type, .x86, fast: true)
        var dflt = [UInt8](repeating: 0xAA, count: expected.count)
        Quant.quantizeRow(x, &dflt, count: x.count, type: type)
        #expect(ref == expected, "reference x86 \(type): \(zip(ref, expected).filter { $0 != $1 }.count) bytes differ")
        #expect(fast == expected, "fast x86 \(type): \(zip(fast, expected).filter { $0 != $1 }.count) bytes differ")
        #expect(dflt == expected, "Quant.quantizeRow's default is the x86 rounding")
        // The fixture's tie blocks tell the two roundings apart; the reference rounding still matches its fast version.
        let ggmlRef = Self.quantize(x, type, .reference, fast: false)
        #expect(ggmlRef != expected)
        #expect(Self.quantize(x, type, .reference, fast: true) == ggmlRef)
    }

    @Test(arguments: [GGMLType.q8_0, .q8_1])
    func fastX86MatchesReferenceX86(type: GGMLType) {
        var rng = SeededRNG(seed: 900 + UInt64(type.rawValue))
        let x = QuantTestData.activations(count: 4096, rng: &rng)
        #expect(Self.quantize(x, type, .x86, fast: true) == Self.quantize(x, type, .x86, fast: false))
    }
}
