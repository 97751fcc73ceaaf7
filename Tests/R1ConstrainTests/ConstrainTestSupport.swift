// Fixtures for the constraint tests: the R1-Distill vocabulary as bytes, the schema and grammar files under
// Tests/Fixtures/constrain, and a seeded sampler that picks uniformly among the allowed tokens.
import Foundation
import Synchronization
@testable import R1Constrain
@testable import R1Tokenizer

enum ConstrainFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ path: String) -> URL { root.appendingPathComponent("constrain/" + path) }

    static func files(_ folder: String, ext: String) throws -> [(String, String)] {
        let dir = url(folder)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix("." + ext) }.sorted()
            .map { ($0, try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) }
    }

    private static let cached = Mutex<Vocabulary?>(nil)

    /// The R1-Distill-Qwen vocabulary (151,936 ids with added tokens; added tokens excluded, EOS from the tokenizer).
    static func r1Vocabulary() throws -> Vocabulary {
        if let v = cached.withLock({ $0 }) { return v }
        let tokenizer = try Tokenizer(directory: root.appendingPathComponent("tokenizers/r1-distill-qwen-1.5b"))
        var tokens: [[UInt8]] = []
        for id in 0..<tokenizer.vocabularySize {
            var bytes: [UInt8] = []
            tokenizer.appendBytes(of: id, skipSpecialTokens: false, to: &bytes)
            tokens.append(bytes)
        }
        let v = Vocabulary(tokens: tokens, excluded: Set(tokenizer.addedTokens.map(\.id)), endOfSequence: tokenizer.eosIds)
        cached.withLock { $0 = v }
        return v
    }
}

/// SplitMix64: the test's own seeded generator, the same on every platform.
struct TestRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}

/// Samples from a grammar through the token masks: uniform over allowed tokens; past `softCap` tokens mostly the
/// single-byte token that brings the grammar closest to complete; stops at completion with probability `stop`.
struct MaskSampler {
    let vocabulary: Vocabulary
    let singleByteTokens: [Int]
    var softCap = 24
    var hardCap = 600
    var stop = 0.7

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        singleByteTokens = (0..<vocabulary.size).filter {
            vocabulary.tokens[$0].count == 1 && !vocabulary.excluded.contains($0) && !vocabulary.endOfSequence.contains($0)
        }
    }

    /// The bytes written, whether the grammar completed, and the token count.
    func sample(_ grammar: Grammar, rng: inout TestRNG) throws -> (bytes: [UInt8], complete: Bool, tokens: Int) {
        let matcher = TokenMatcher(grammar: grammar, vocabulary: vocabulary)
        var mask = TokenMask(count: vocabulary.size)
        var bytes: [UInt8] = []
        for step in 0..<hardCap {
            if matcher.isComplete && (matcher.mustEnd || rng.chance(stop)) { return (bytes, true, step) }
            matcher.allowedTokens(into: &mask)
            var token: Int? = nil
            if step >= softCap && rng.chance(0.85) {
                var best = Int.max, ties: [Int] = []
                for t in singleByteTokens where mask.contains(t) {
                    guard let d = matcher.distanceToComplete(after: t) else { continue }
                    if d < best { best = d; ties = [t] } else if d == best { ties.append(t) }
                }
                if !ties.isEmpty { token = ties[rng.below(ties.count)] }
            }
            if token == nil {
                let eos = Set(vocabulary.endOfSequence)
                var choices = mask.allowedCount
                for e in eos where mask.contains(e) { choices -= 1 }
                guard choices > 0 else { return (bytes, matcher.isComplete, step) }
                token = nthAllowed(mask, rng.below(choices), skipping: eos)
            }
            try matcher.accept(token: token!)
            bytes += vocabulary.tokens[token!]
        }
        return (bytes, matcher.isComplete, hardCap)
    }

    private func nthAllowed(_ mask: TokenMask, _ n: Int, skipping: Set<Int>) -> Int {
        var n = n
        for (w, word) in mask.words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                let id = w * 64 + bits.trailingZeroBitCount
                bits &= bits - 1
                if skipping.contains(id) { continue }
                if n == 0 { return id }
                n -= 1
            }
        }
        preconditionFailure("fewer allowed tokens than counted")
    }
}
