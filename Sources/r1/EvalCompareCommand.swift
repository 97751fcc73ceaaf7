// `r1 eval compare A.jsonl B.jsonl`: pass@1 of two `r1 eval run --out` files on their shared problems, and the paired
// bootstrap interval of the difference B − A.
import ArgumentParser
import Foundation
import R1Eval

struct EvalCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare two results files (r1 eval run --out): pass@1 difference, paired bootstrap interval.")

    @Argument(help: "Results of the baseline run (A).")
    var a: String
    @Argument(help: "Results of the run compared with it (B).")
    var b: String
    @Option(help: "Bootstrap resamples.")
    var resamples = 10_000
    @Option(help: "Seed of the resampling.")
    var seed: UInt64 = 0
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        for path in [a, b] where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path): no such results file")
        }
        let c = try EvalCompare.compare(try ResultsFile(path: a).done, try ResultsFile(path: b).done, resamples: resamples, seed: seed)
        if json {
            Output.line(String(format: "{\"problems\":%d,\"unmatched\":%d,\"a\":%.6f,\"b\":%.6f,\"difference\":%.6f,\"ci_low\":%.6f,\"ci_high\":%.6f,\"resamples\":%d}",
                               c.problems, c.unmatched, c.a, c.b, c.difference, c.ciLow, c.ciHigh, c.resamples))
        } else {
            Output.line(String(format: "%d shared problems%@: pass@1 A %.1f%%, B %.1f%%, B − A %+.1f points [95%% paired bootstrap %+.1f, %+.1f]",
                               c.problems, c.unmatched > 0 ? " (\(c.unmatched) in one run only, left out)" : "", 100 * c.a,
                               100 * c.b, 100 * c.difference, 100 * c.ciLow, 100 * c.ciHigh))
        }
    }
}
