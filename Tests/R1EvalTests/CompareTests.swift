// `r1 eval compare`: pass@1 per run over shared problems and the paired bootstrap interval of the difference, checked
// against the closed form (a constant difference has a zero-width interval) and a hand-computed mean.
@testable import R1Eval
import Testing

struct CompareTests {
    static func run(_ scores: [String: [Bool]]) -> [String: ProblemRecord] {
        scores.mapValues { _ in ProblemRecord(id: "", samples: []) }.reduce(into: [:]) { out, kv in
            let samples = scores[kv.key]!.enumerated().map { i, ok in
                SampleRecord(index: i, seed: UInt64(i),
                             generated: GeneratedSample(reasoning: "", content: "", reasoningTokens: 1, answerTokens: 1, finishReason: "stop"),
                             outcome: CheckOutcome(correct: ok, key: nil))
            }
            out[kv.key] = ProblemRecord(id: kv.key, samples: samples)
        }
    }

    @Test func pairedDifferenceAndInterval() throws {
        // B is right on one more sample of 4 on every problem: +25 points exactly, no spread.
        var a: [String: [Bool]] = [:], b: [String: [Bool]] = [:]
        for i in 0..<50 {
            let k = i % 3
            a["p\(i)"] = (0..<4).map { $0 < k }
            b["p\(i)"] = (0..<4).map { $0 < k + 1 }
        }
        let c = try EvalCompare.compare(Self.run(a), Self.run(b), resamples: 1000)
        #expect(c.problems == 50 && c.unmatched == 0)
        #expect(abs(c.difference - 0.25) < 1e-12 && abs(c.ciLow - 0.25) < 1e-12 && abs(c.ciHigh - 0.25) < 1e-12)

        // A noisy difference: the interval holds the observed mean and is inside the range of per-problem differences.
        var x: [String: [Bool]] = [:], y: [String: [Bool]] = [:]
        for i in 0..<200 {
            x["p\(i)"] = [i % 2 == 0, i % 5 == 0]
            y["p\(i)"] = [i % 3 != 0, i % 2 == 0]
        }
        x["only-a"] = [true]
        let d = try EvalCompare.compare(Self.run(x), Self.run(y), resamples: 2000, seed: 7)
        #expect(d.problems == 200 && d.unmatched == 1)
        let expected = (0..<200).map { i -> Double in
            let pa = Double([i % 2 == 0, i % 5 == 0].filter { $0 }.count) / 2
            let pb = Double([i % 3 != 0, i % 2 == 0].filter { $0 }.count) / 2
            return pb - pa
        }.reduce(0, +) / 200
        #expect(abs(d.difference - expected) < 1e-12)
        #expect(d.ciLow < d.difference && d.difference < d.ciHigh && d.ciHigh - d.ciLow < 0.3)
        #expect(try EvalCompare.compare(Self.run(x), Self.run(y), resamples: 2000, seed: 7) == d)
    }

    @Test func badInputsNameTheProblem() {
        #expect(throws: EvalError.self) { try EvalCompare.compare(Self.run(["a": [true]]), Self.run(["b": [true]])) }
        #expect(throws: EvalError.self) { try EvalCompare.compare(Self.run(["a": [true]]), Self.run(["a": [true]]), resamples: 5) }
    }
}
