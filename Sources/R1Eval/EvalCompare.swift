// Two runs of `r1 eval run` on the same problems, compared: the difference in pass@1 (B − A) with a paired bootstrap
// interval over problems (the problems are resampled, each keeping both runs' scores, so the problem-to-problem
// spread that both runs share cancels). Percentile interval, as in Efron & Tibshirani ch. 13.
import R1Sampling

public struct PairedComparison: Sendable, Equatable {
    public var problems: Int
    /// pass@1 of each run over the shared problems (mean over problems of correct / samples).
    public var a: Double
    public var b: Double
    public var difference: Double { b - a }
    public var ciLow: Double
    public var ciHigh: Double
    public var resamples: Int
    /// Problems in one run only (left out of the comparison).
    public var unmatched: Int
}

public enum EvalCompare {
    /// pass@1 of one problem: the fraction of its samples that are right.
    public static func pass1(_ r: ProblemRecord) -> Double {
        r.samples.isEmpty ? 0 : Double(r.samples.filter(\.outcome.correct).count) / Double(r.samples.count)
    }

    /// Compares runs keyed by problem id; throws when they share no problem or the settings are unusable.
    public static func compare(_ a: [String: ProblemRecord], _ b: [String: ProblemRecord], resamples: Int = 10_000,
                               confidence: Double = 0.95, seed: UInt64 = 0) throws -> PairedComparison {
        guard resamples >= 100 else { throw EvalError("resamples must be at least 100, got \(resamples)") }
        guard confidence > 0, confidence < 1 else { throw EvalError("confidence must be in (0, 1), got \(confidence)") }
        let ids = a.keys.filter { b[$0] != nil }.sorted()
        guard !ids.isEmpty else { throw EvalError("the two runs share no problem id (\(a.count) and \(b.count) problems)") }
        let pa = ids.map { pass1(a[$0]!) }, pb = ids.map { pass1(b[$0]!) }
        let diffs = zip(pa, pb).map { $1 - $0 }
        let n = ids.count
        var rng = SplitMix64(seed: seed)
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var s = 0.0
            for _ in 0..<n { s += diffs[Int(rng.next() % UInt64(n))] }
            means[r] = s / Double(n)
        }
        means.sort()
        let tail = (1 - confidence) / 2
        let lo = means[min(resamples - 1, max(0, Int((tail * Double(resamples)).rounded(.down))))]
        let hi = means[min(resamples - 1, max(0, Int(((1 - tail) * Double(resamples)).rounded(.up)) - 1))]
        return PairedComparison(problems: n, a: pa.reduce(0, +) / Double(n), b: pb.reduce(0, +) / Double(n), ciLow: lo,
                                ciHigh: hi, resamples: resamples, unmatched: a.count + b.count - 2 * n)
    }
}
