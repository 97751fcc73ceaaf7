// Scalar classes against Oniguruma's, dumped from `tokenizers` for every code point (unicode-classes.json).
import Foundation
import Testing
@testable import R1Tokenizer

@Suite struct TokenizerUnicodeClassTests {
    @Test func classesMatchOniguruma() throws {
        let url = TokenizerFixtures.directory("unicode-classes.json")
        let table = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: [[Int]]]
        let masks: [String: ScalarClass] = ["L": .letter, "N": .number, "M": .mark, "P": .punctuation, "S": .symbol,
                                            "Z": .separator, "Cn": .cn, "s": .whiteSpace]
        // Planes 4-13 hold nothing assigned; planes 15-16 are private use: skip them to keep the test quick.
        let bits = (0..<0xF0000).map { $0 < 0x40000 || $0 >= 0xE0000 ? classBits(UInt32($0)) : 0 }
        for (name, ranges) in table {
            let mismatches = Self.mismatches(ranges: ranges, bits: bits, mask: masks[name]!.rawValue)
            #expect(mismatches.isEmpty, "\(name): \(mismatches.prefix(10).map { String($0, radix: 16) })")
        }
    }

    /// Code points where `classBits` disagrees with the reference ranges (surrogates skipped).
    @_optimize(speed)
    static func mismatches(ranges: [[Int]], bits: [UInt32], mask: UInt32) -> [Int] {
        var out: [Int] = []
        var r = 0
        for v in 0..<bits.count where !(0xD800...0xDFFF).contains(v) && (v < 0x40000 || v >= 0xE0000) {
            while r < ranges.count && ranges[r][1] < v { r += 1 }
            let reference = r < ranges.count && ranges[r][0] <= v
            if reference != (bits[v] & mask != 0) { out.append(v) }
        }
        return out
    }
}
