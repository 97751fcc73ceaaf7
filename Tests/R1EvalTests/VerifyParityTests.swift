// MathVerify against math-verify 0.9.0 on Tests/Fixtures/verify/pairs.jsonl (scripts/fixtures/make_verify_corpus.py):
// at least 99% agreement, and every disagreement listed in Tests/Fixtures/verify/README.md.
import Foundation
import Testing
@testable import R1Eval

struct VerifyPair: Decodable {
    var gold: String
    var answer: String
    var correct: Bool
    var source: String

    static let all: [VerifyPair] = {
        let url = fixtures.appendingPathComponent("pairs.jsonl")
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").map { try! JSONDecoder().decode(VerifyPair.self, from: Data($0.utf8)) }
    }()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/verify")

    /// Line numbers (1-based) of pairs README.md lists as known disagreements: lines "- line N: reason".
    static let listedDisagreements: Set<Int> = {
        let text = (try? String(contentsOf: fixtures.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
        return Set(text.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("- line ") else { return nil }
            return Int(line.dropFirst(7).prefix { $0.isNumber })
        })
    }()
}

@Suite struct VerifyParityTests {
    @Test func corpusAgreesWithMathVerify() {
        let pairs = VerifyPair.all
        #expect(pairs.count >= 1200)
        var disagreements: [Int] = []
        for (i, p) in pairs.enumerated() {
            let ours = MathVerify.verify(gold: MathVerify.parse(p.gold), answer: MathVerify.parse(p.answer))
            if ours != p.correct { disagreements.append(i + 1) }
        }
        let agreement = Double(pairs.count - disagreements.count) / Double(pairs.count)
        #expect(agreement >= 0.99, "agreement \(agreement) over \(pairs.count) pairs")
        let unlisted = disagreements.filter { !VerifyPair.listedDisagreements.contains($0) }
        for line in unlisted.prefix(40) {
            let p = pairs[line - 1]
            Issue.record("line \(line) (\(p.source)): math-verify says \(p.correct) for gold \(p.gold.debugDescription) answer \(String(p.answer.suffix(160)).debugDescription); gold parsed \(MathVerify.parse(p.gold).display.debugDescription), answer parsed \(MathVerify.parse(p.answer).display.debugDescription)")
        }
        #expect(unlisted.isEmpty, "\(unlisted.count) disagreements not in README.md: \(unlisted)")
    }
}
