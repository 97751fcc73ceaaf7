// The harness with a scripted source and the exact-match checker (a stand-in for the math-verify checker): seeds,
// concurrency, the results file and resuming; then the local engine through the BatchScheduler on a tiny model.
import Foundation
import R1Formats
import R1Models
import R1Runtime
@testable import R1Eval
import Testing

@Suite struct RunnerTests {
    let problems = (0..<3).map { EvalProblem(id: "p\($0)", question: "What is \($0)+\($0)?", check: .math(gold: "\(2 * $0)")) }

    /// Right on even seeds: pass@1 0.5 with K = 4.
    func source(delay: Duration = .zero) -> ScriptedSource {
        ScriptedSource(delay: delay) { message, seed in
            let n = Int(message.split(separator: " ")[2].split(separator: "+")[0])!
            return seed % 2 == 0 ? "\(2 * n)" : "\(2 * n + 1)"
        }
    }

    @Test func seedsConcurrencyAndMetrics() async throws {
        let s = source(delay: .milliseconds(20))
        let config = EvalRunConfiguration(samples: 4, seed: 100, concurrency: 3)
        let summary = try await EvalRunner(source: s, checker: ExactMatchChecker(), configuration: config).run(problems, results: nil)
        #expect(summary.records.map(\.id) == ["p0", "p1", "p2"])
        #expect(summary.records.allSatisfy { $0.samples.map(\.seed) == [100, 101, 102, 103] })
        #expect(s.calls.withLock { $0.count } == 12)
        #expect(s.maxInFlight.load(ordering: .relaxed) == 3)
        #expect(summary.metrics.pass1.value == 0.5)
        #expect(summary.metrics.passAtK.map(\.k) == [2, 4])
        // c = 2 of n = 4: pass@2 = 1 - C(2,2)/C(4,2) = 5/6, pass@4 = 1
        #expect(abs(summary.metrics.passAtK[0].estimate.value - 5.0 / 6) < 1e-12)
        #expect(summary.metrics.passAtK[1].estimate.value == 1)
        // two answers, two votes each: the first voted (seed 100, right) wins
        #expect(summary.metrics.consAtK?.value == 1)
        #expect(summary.tokens == 12 * 15)
        #expect(s.calls.withLock { $0[0].0 } == "What is 0+0?\nPlease reason step by step, and put your final answer within \\boxed{}.")
    }

    @Test func resultsFileResumes() async throws {
        let path = temporaryPath("results.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = EvalRunConfiguration(samples: 2, seed: 0, concurrency: 2)
        let first = source()
        _ = try await EvalRunner(source: first, checker: ExactMatchChecker(), configuration: config)
            .run(Array(problems.prefix(2)), results: try ResultsFile(path: path))
        #expect(first.calls.withLock { $0.count } == 4)

        // a crash mid-write leaves a torn line: it is cut off, the finished problems are kept
        let h = try #require(FileHandle(forWritingAtPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: Data(#"{"id":"p2","n":2,"samp"#.utf8))
        try h.close()

        let second = source()
        let summary = try await EvalRunner(source: second, checker: ExactMatchChecker(), configuration: config)
            .run(problems, results: try ResultsFile(path: path))
        #expect(second.calls.withLock { $0.map(\.0) }.allSatisfy { $0.hasPrefix("What is 2+2?") })
        #expect(second.calls.withLock { $0.count } == 2)
        #expect(summary.resumed == 2)
        #expect(summary.records.map(\.id) == ["p0", "p1", "p2"])
        #expect(summary.metrics.pass1.value == 0.5)

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let last = try JSONValue.parse(Data(lines[2].utf8))
        #expect(last["id"]?.string == "p2")
        #expect(last["correct"]?.int == 1)
        let sample = try #require(last["samples"]?.array?.first)
        #expect(sample["answer"]?.string == "4")
        #expect(sample["correct"]?.bool == true)
        #expect(sample["content"]?.string == "So it is \\boxed{4}.")
        #expect(sample["reasoning"]?.string == "thinking about seed 0")
        #expect(sample["reasoning_tokens"]?.int == 10 && sample["answer_tokens"]?.int == 5)

        // a different K runs the problems again
        let third = source()
        _ = try await EvalRunner(source: third, checker: ExactMatchChecker(),
                                 configuration: EvalRunConfiguration(samples: 3, concurrency: 2))
            .run(problems, results: try ResultsFile(path: path))
        #expect(third.calls.withLock { $0.count } == 9)
    }

    @Test func resultsFileNamesItsRun() async throws {
        let path = temporaryPath("run.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = { (weights: String) in JSONOut.object([("model", .string("local m")), ("weights", .string(weights)), ("temperature", .double(0.6))]) }
        _ = try await EvalRunner(source: source(), checker: ExactMatchChecker(), configuration: EvalRunConfiguration(samples: 2))
            .run(Array(problems.prefix(2)), results: try ResultsFile(path: path, run: run("a")))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("{\"run\":"))
        // the same run resumes; a reader that names no run (r1 eval compare) skips the line
        let same = try ResultsFile(path: path, run: run("a"))
        #expect(same.done.count == 2 && same.run?["weights"]?.string == "a")
        #expect(try ResultsFile(path: path).done.count == 2)
        // other weights at the same path: refused, naming what changed
        do {
            _ = try ResultsFile(path: path, run: run("b"))
            Issue.record("another run's results file was taken")
        } catch let e as EvalError {
            #expect(e.description.contains("weights was a, now b"))
        }
        // a file from before run lines is taken as it is, and gets none
        let old = temporaryPath("old.jsonl")
        defer { try? FileManager.default.removeItem(atPath: old) }
        try (lines[1...].joined(separator: "\n") + "\n").write(toFile: old, atomically: true, encoding: .utf8)
        let taken = try ResultsFile(path: old, run: run("b"))
        #expect(taken.done.count == 2 && taken.run == nil)
    }

    @Test func foreignResultsFileIsRefused() throws {
        let path = temporaryPath("other.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "{\"question\": \"x\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: EvalError.self) { try ResultsFile(path: path) }
    }

    @Test func reportAndJSON() async throws {
        let summary = try await EvalRunner(source: source(), checker: ExactMatchChecker(),
                                           configuration: EvalRunConfiguration(samples: 2)).run(problems, results: nil)
        let r = EvalReport(dataset: "d.jsonl", layout: "math", source: "scripted", configuration: EvalRunConfiguration(samples: 2),
                           summary: summary)
        #expect(r.markdown.contains("| pass@1 | 50.0% [0.0, 100.0] |") || r.markdown.contains("| pass@1 | 50.0%"))
        #expect(r.markdown.contains("| cons@2 |"))
        let j = try JSONValue.parse(Data(r.json.text.utf8))
        #expect(j["pass@1"]?["value"]?.double == 0.5)
        #expect(j["problems"]?.int == 3)
    }
}

@Suite struct LocalSourceTests {
    static let model = testsRoot.appendingPathComponent("Fixtures/models/qwen2-tiny").path

    func run(concurrency: Int) async throws -> [ProblemRecord] {
        let engine = try Engine(model: try ModelLoader.load(path: Self.model), threads: 2, kernels: .test)
        let source = try LocalSource(engine: engine, label: "tiny", concurrency: concurrency)
        let problems = (0..<3).map { EvalProblem(id: "q\($0)", question: "hello \($0)", check: .math(gold: "1")) }
        let config = EvalRunConfiguration(samples: 2, sampling: EvalSampling(temperature: 1, topP: 1, maxTokens: 12),
                                          seed: 7, concurrency: concurrency)
        let summary = try await EvalRunner(source: source, checker: ExactMatchChecker(), configuration: config).run(problems, results: nil)
        await source.shutdown()
        return summary.records
    }

    @Test func seededSamplesRepeat() async throws {
        let a = try await run(concurrency: 3), b = try await run(concurrency: 3)
        #expect(a.count == 3 && a.allSatisfy { $0.samples.count == 2 })
        #expect(a == b)
        let texts = a.flatMap { $0.samples.map { $0.generated.reasoning + $0.generated.content } }
        #expect(Set(texts).count > 1, "different seeds and prompts give different samples")
        #expect(a.allSatisfy { $0.samples.allSatisfy { $0.generated.reasoningTokens + $0.generated.answerTokens > 0 } })
        // one sequence at a time gives the same samples as three batched together
        let c = try await run(concurrency: 1)
        #expect(a == c)
    }
}
