// The run's summary as Markdown (REPORT.md) and as one JSON object (--json).
import Foundation
import R1Formats

public struct EvalReport: Sendable {
    public var dataset: String
    public var layout: String
    public var source: String
    public var configuration: EvalRunConfiguration
    public var summary: EvalRunSummary
    /// How code ran (sandbox isolation), when the set has code problems.
    public var sandbox: String?

    public init(dataset: String, layout: String, source: String, configuration: EvalRunConfiguration,
                summary: EvalRunSummary, sandbox: String? = nil) {
        self.dataset = dataset
        self.layout = layout
        self.source = source
        self.configuration = configuration
        self.summary = summary
        self.sandbox = sandbox
    }

    static func percent(_ e: Estimate) -> String {
        String(format: "%.1f%% [%.1f, %.1f]", e.value * 100, e.lower * 100, e.upper * 100)
    }

    public var markdown: String {
        let m = summary.metrics, c = configuration
        var rows = [("pass@1", Self.percent(m.pass1))]
        rows += m.passAtK.map { ("pass@\($0.k)", Self.percent($0.estimate)) }
        if let cons = m.consAtK { rows.append(("cons@\(m.samples)", Self.percent(cons))) }
        var out = """
            # Eval: \(dataset)

            - Layout: \(layout); \(m.problems) problems, \(m.samples) samples each (\(summary.resumed) problems resumed from the results file)
            - Model: \(source)
            - Sampling: temperature \(c.sampling.temperature), top-p \(c.sampling.topP), max tokens \(c.sampling.maxTokens), seed \(c.seed) (sample j: seed + j), concurrency \(c.concurrency)

            | metric | value [95% CI] |
            |---|---|

            """
        for (name, value) in rows { out += "| \(name) | \(value) |\n" }
        out += String(format: "\nMean tokens per sample: %.1f reasoning, %.1f answer. This run: %d tokens in %.1f s (%.1f tokens/s).\n",
                      m.meanReasoningTokens, m.meanAnswerTokens, summary.tokens, summary.seconds, summary.tokensPerSecond)
        out += "\nIntervals: normal approximation over problems (mean ± 1.96·s/√N, clipped to [0, 1]); pass@k is the "
            + "unbiased estimator of Chen et al. 2021; cons@k is the majority vote over the extracted answers (ties: the "
            + "answer given first).\n"
        if let s = sandbox { out += "\nCode ran in the sandbox: \(s)\n" }
        let wrong = summary.records.filter { r in !r.samples.contains { $0.outcome.correct } }
        if !wrong.isEmpty {
            out += "\nNo sample right (\(wrong.count)): " + wrong.prefix(50).map { "`\($0.id)`" }.joined(separator: ", ")
                + (wrong.count > 50 ? ", ..." : "") + "\n"
        }
        return out
    }

    public var json: JSONOut {
        let m = summary.metrics
        func est(_ e: Estimate) -> JSONOut { .object([("value", .double(e.value)), ("ci_low", .double(e.lower)), ("ci_high", .double(e.upper))]) }
        var fields: [(String, JSONOut)] = [
            ("dataset", .string(dataset)), ("layout", .string(layout)), ("model", .string(source)),
            ("problems", .int(m.problems)), ("samples", .int(m.samples)), ("resumed", .int(summary.resumed)),
            ("pass@1", est(m.pass1)),
        ]
        fields += m.passAtK.map { ("pass@\($0.k)", est($0.estimate)) }
        fields.append(("cons@\(m.samples)", m.consAtK.map(est) ?? .null))
        fields += [
            ("mean_reasoning_tokens", .double(m.meanReasoningTokens)), ("mean_answer_tokens", .double(m.meanAnswerTokens)),
            ("tokens", .int(summary.tokens)), ("seconds", .double(summary.seconds)),
            ("tokens_per_second", .double(summary.tokensPerSecond)),
            ("ci", .string("normal approximation over problems, 95%")),
        ]
        if let s = sandbox { fields.append(("sandbox", .string(s))) }
        return .object(fields)
    }
}
