// EvalMetrics against the numpy reference (Tests/Fixtures/eval/metrics.json from
// scripts/fixtures/make_eval_metrics_fixtures.py): the estimator alone, and every metric of each case.
import Foundation
@testable import R1Eval
import Testing

@Suite struct MetricsTests {
    let fixture: [String: Any]

    init() throws {
        let data = try Data(contentsOf: evalFixtures.appendingPathComponent("metrics.json"))
        fixture = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }

    func check(_ e: Estimate, _ want: [String: Any], _ what: String) {
        #expect(close(e.value, want["value"] as! Double), "\(what) value \(e.value) vs \(want["value"]!)")
        #expect(close(e.lower, want["lower"] as! Double), "\(what) lower \(e.lower) vs \(want["lower"]!)")
        #expect(close(e.upper, want["upper"] as! Double), "\(what) upper \(e.upper) vs \(want["upper"]!)")
    }

    @Test func estimatorMatchesHumanEval() {
        let rows = fixture["estimator"] as! [[String: Any]]
        #expect(rows.count >= 10)
        for r in rows {
            let n = r["n"] as! Int, c = r["c"] as! Int, k = r["k"] as! Int
            let got = EvalMetrics.passAtK(n: n, c: c, k: k)
            #expect(close(got, r["value"] as! Double), "pass@\(k) n=\(n) c=\(c): \(got) vs \(r["value"]!)")
            #expect(got.isFinite)
        }
    }

    @Test func casesMatchReference() throws {
        let cases = fixture["cases"] as! [[String: Any]]
        #expect(cases.count == 8)
        for c in cases {
            let name = c["name"] as! String
            let problems = (c["problems"] as! [[[String: Any]]]).map { p in
                p.map { s in
                    ScoredSample(correct: s["correct"] as! Bool, key: s["key"] as? String,
                                 reasoningTokens: s["reasoning_tokens"] as! Int, answerTokens: s["answer_tokens"] as! Int)
                }
            }
            let want = c["expected"] as! [String: Any]
            let m = EvalMetrics(problems)
            #expect(m.samples == want["samples"] as! Int, "\(name)")
            check(m.pass1, want["pass1"] as! [String: Any], "\(name) pass@1")
            let ks = want["pass_at_k"] as! [[String: Any]]
            #expect(m.passAtK.map(\.k) == ks.map { $0["k"] as! Int }, "\(name) ks")
            for (got, w) in zip(m.passAtK, ks) { check(got.estimate, w, "\(name) pass@\(got.k)") }
            if let cons = want["cons"] as? [String: Any] {
                let got = try #require(m.consAtK, "\(name) cons")
                check(got, cons, "\(name) cons")
            } else {
                #expect(m.consAtK == nil, "\(name) cons should be absent")
            }
            #expect(close(m.meanReasoningTokens, want["mean_reasoning_tokens"] as! Double), "\(name)")
            #expect(close(m.meanAnswerTokens, want["mean_answer_tokens"] as! Double), "\(name)")
        }
    }

    @Test func majorityTiesGoToTheFirstVote() {
        let s = [ScoredSample(correct: false, key: "x"), ScoredSample(correct: true, key: "y"),
                 ScoredSample(correct: true, key: "y"), ScoredSample(correct: false, key: "x")]
        #expect(EvalMetrics.majorityCorrect(s) == false)
        #expect(EvalMetrics.majorityCorrect(Array(s.reversed())) == false)
        #expect(EvalMetrics.majorityCorrect(Array(s.dropFirst())) == true)
        #expect(EvalMetrics.majorityCorrect([ScoredSample(correct: true, key: nil)]) == false)
    }
}
