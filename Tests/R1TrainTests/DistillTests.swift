// `r1 train distill`: training problems leave out the held-out ones; a sample is kept only when right, closed, answered
// and rebuilt byte for byte from the engine's reasoning/answer split; lines match `r1 train data`'s; runs resume.
import Foundation
import Synchronization
import Testing
import R1Eval
import R1Formats
import R1Models
@testable import R1Runtime
import R1Tokenizer
import R1Train

/// The engine's reasoning/answer split of `raw` (generation starting inside `<think>`), fed a few characters at a time.
func engineSplit(_ raw: String) -> (reasoning: String, content: String) {
    var splitter = ThinkSplitter(parsesTags: true, opensThinking: true)
    var reasoning = "", content = ""
    var pieces: [ThinkSplitter.Piece] = []
    var chars = Substring(raw)
    while !chars.isEmpty {
        pieces += splitter.feed(String(chars.prefix(3)))
        chars = chars.dropFirst(3)
    }
    pieces += splitter.flush()
    for p in pieces {
        switch p {
        case .reasoning(let s): reasoning += s
        case .content(let s): content += s
        }
    }
    return (reasoning, content)
}

/// A sample as LocalSource reports it for generated text `raw`.
func engineSample(_ raw: String, finish: String = "stop", forced: Int = 0, tokens: Bool = true) -> GeneratedSample {
    let (r, c) = engineSplit(raw)
    return GeneratedSample(reasoning: r, content: c, reasoningTokens: raw.count / 2, answerTokens: 3, finishReason: finish,
                           tokens: tokens ? GeneratedTokens(ids: Array(0..<(raw.count / 2 + 3)), text: raw, forced: forced) : nil)
}

/// A teacher made of the recipe's search traces: sample 0 and 1 are the trace drawn with seed 100 (a duplicate),
/// sample 2 is a wrong answer, sample 3 the trace drawn with seed 300.
final class TraceTeacher: SampleSource {
    let label = "traces"
    let problems: [String: EvalProblem]
    let firstSeed: UInt64
    let calls = Atomic<Int>(0)

    init(_ problems: [EvalProblem], firstSeed: UInt64) {
        self.problems = Dictionary(problems.map { (EvalPrompt.userMessage(for: $0), $0) }, uniquingKeysWith: { a, _ in a })
        self.firstSeed = firstSeed
    }

    static func trace(_ p: EvalProblem, j: UInt64) -> String {
        var rng = TrainRandom(seed: j == 3 ? 300 : 100)
        return try! RecipeData.completion(for: p, rng: &rng)!
    }

    func sample(userMessage: String, seed: UInt64, sampling: EvalSampling) async throws -> GeneratedSample {
        calls.wrappingAdd(1, ordering: .relaxed)
        guard let p = problems[userMessage] else { throw TrainError("asked an unknown question: \(userMessage)") }
        let j = seed - firstSeed
        return engineSample(j == 2 ? "I guess.\n</think>\n\n\\boxed{-12345}" : Self.trace(p, j: j))
    }

    func shutdown() async {}
}

/// The description of what `body` throws ("" when it does not).
func errorText(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "" } catch { return "\(error)" }
}

@Suite struct DistillTests {
    static func request(count: Int = 3, keep: DistillKeep = .allCorrect, task: String = "arithmetic") -> DistillRequest {
        DistillRequest(task: task, difficulties: [1, 2], count: count, samples: 4, sampling: EvalSampling(maxTokens: 64),
                       seed: 7, heldOutSeeds: [0], heldOutCount: 1000, concurrency: 3, keep: keep)
    }

    @Test func problemsLeaveOutHeldOutOnesAndRepeats() throws {
        var r = Self.request(count: 200)
        r.difficulties = [1, 2]
        let picked = try Distill.problems(r)
        #expect(picked.count == 400)
        #expect(picked.prefix(4).map(\.difficulty) == [1, 2, 1, 2])
        var heldOut: Set<String> = []
        for d in [1, 2] {
            heldOut.formUnion(try BuiltinTasks.problems(named: "builtin:arithmetic", seed: 0, difficulty: d, count: 1000).map(\.question))
        }
        #expect(picked.allSatisfy { !heldOut.contains($0.problem.question) })
        #expect(Set(picked.map(\.problem.question)).count == picked.count)
        #expect(Set(picked.map(\.problem.id)).count == picked.count)

        // Distinct questions thin out the small kinds (difficulty 1 ÷: 810 questions, a third held out); with repeats
        // the problems follow the task's own mix, still without a held-out question.
        func divisions(_ p: [(problem: EvalProblem, difficulty: Int)]) -> Int { p.filter { $0.problem.question.contains("÷") }.count }
        var mix = Self.request(count: 3000)
        mix.difficulties = [1]
        let distinct = try Distill.problems(mix)
        mix.repeats = true
        let repeated = try Distill.problems(mix)
        #expect(repeated.count == 3000)
        #expect(repeated.allSatisfy { !heldOut.contains($0.problem.question) })
        #expect(Set(repeated.map(\.problem.question)).count < 3000)
        #expect(Set(repeated.map(\.problem.id)).count == 3000)
        #expect(divisions(distinct) < 600 && divisions(repeated) > 650, "\(divisions(distinct)) \(divisions(repeated))")

        r.seed = 0
        #expect(errorText { try Distill.problems(r) }.contains("seed 0 is a held-out seed"))
        r.seed = 7
        r.task = "sorting"
        #expect(errorText { try Distill.problems(r) }.contains("'sorting'"))
        r.task = "builtin:countdown"
        r.difficulties = [11]
        #expect(errorText { try Distill.problems(r) }.contains("difficulty 11"))
        r.difficulties = []
        #expect(throws: TrainError.self) { try Distill.problems(r) }
    }

    @Test func keptCompletionsAreTheGeneratedTextByteForByte() {
        let good = "Let me add.\n2 + 2 = 4\n</think>\n\nSo \\boxed{4}."
        #expect(Distill.judge(engineSample(good), correct: true) == .success(good))
        let trailing = good + "\n"  // the answer keeps its trailing whitespace
        #expect(Distill.judge(engineSample(trailing), correct: true) == .success(trailing))
        for raw in ["Let me add.\n</think>\n\\boxed{4}", "\nLet me add.\n</think>\n\n\\boxed{4}",
                    "Let me add.  \n</think>\n\n\\boxed{4}", "Let me add.</think>\n\n\\boxed{4}",
                    "Let me add.\n</think>\n\n\n\\boxed{4}"] {
            #expect(Distill.judge(engineSample(raw), correct: true) == .failure(.inexact), "\(raw.debugDescription)")
        }
        #expect(Distill.judge(engineSample("Let me add. \\boxed{4}"), correct: true) == .failure(.unclosed))
        #expect(Distill.judge(engineSample("a\n</think>\n\nb</think>\\boxed{4}"), correct: true) == .failure(.unclosed))
        #expect(Distill.judge(engineSample("a\n</think>\n\n<think>\\boxed{4}"), correct: true) == .failure(.unclosed))
        #expect(Distill.judge(engineSample("</think>\n\n\\boxed{4}"), correct: true) == .failure(.noReasoning))
        #expect(Distill.judge(engineSample("Let me add.\n</think>\n\n4"), correct: true) == .failure(.noAnswer))
        #expect(Distill.judge(engineSample(good), correct: false) == .failure(.wrong))
        #expect(Distill.judge(engineSample(good, finish: "length"), correct: true) == .failure(.truncated))
        #expect(Distill.judge(engineSample(good, forced: 3), correct: true) == .failure(.forced))
        #expect(Distill.judge(engineSample(good, tokens: false), correct: true) == .failure(.unverifiable))
    }

    func sortedLines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init).sorted()
    }

    func readLines(_ path: String) throws -> [JSONObject] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try #require(try JSONValue.parse(Data($0.utf8)).object) }
    }

    @Test(arguments: [DistillKeep.allCorrect, .firstCorrect, .shortestCorrect])
    func aTeacherOfTracesGivesRecipeLines(keep: DistillKeep) async throws {
        let out = tempFolder("distill") + ".jsonl"
        defer { for p in [out, Distill.samplesPath(out: out)] { try? FileManager.default.removeItem(atPath: p) } }
        let request = Self.request(keep: keep)
        let picked = try Distill.problems(request)
        let teacher = TraceTeacher(picked.map(\.problem), firstSeed: request.seed)
        let summary = try await Distill.run(request, source: teacher, out: out)
        #expect(summary.problems == 6 && summary.samples == 24 && summary.resumed == 0)
        #expect(summary.rejected[.wrong] == 6)
        #expect(summary.correct == 18)
        let lines = try readLines(out)
        #expect(lines.count == summary.kept && summary.kept == summary.keptThisRun)
        var expected: [String] = []
        for (p, d) in picked {
            let a = TraceTeacher.trace(p, j: 0), b = TraceTeacher.trace(p, j: 3)
            let chosen: [String]
            switch keep {
            case .allCorrect: chosen = a == b ? [a] : [a, b]
            case .firstCorrect: chosen = [a]
            case .shortestCorrect: chosen = [b.count / 2 + 3 < a.count / 2 + 3 ? b : a]
            }
            expected += chosen.map { RecipeData.line(problem: p, difficulty: d, completion: $0) }
        }
        // the same line format as `r1 train data` (in the order problems finished)
        #expect(try sortedLines(out) == expected.sorted())
        for l in lines { #expect(l.keys.sorted() == ["completion", "difficulty", "id", "prompt"]) }
        let rejected = summary.rejected.values.reduce(0, +)
        #expect(rejected + summary.kept == summary.samples)

        // a rerun finds everything done: no sample is drawn again and the lines stay
        let again = TraceTeacher(picked.map(\.problem), firstSeed: request.seed)
        let resumed = try await Distill.run(request, source: again, out: out)
        #expect(again.calls.load(ordering: .relaxed) == 0)
        #expect(resumed.resumed == 6 && resumed.kept == summary.kept && resumed.keptThisRun == 0)
        #expect(try sortedLines(out) == expected.sorted())
    }

    @Test func aCutOffRunResumesWithoutRepeatsOrLosses() async throws {
        let out = tempFolder("distill-cut") + ".jsonl"
        let sidecar = Distill.samplesPath(out: out)
        defer { for p in [out, sidecar] { try? FileManager.default.removeItem(atPath: p) } }
        let request = Self.request()
        let picked = try Distill.problems(request)
        _ = try await Distill.run(request, source: TraceTeacher(picked.map(\.problem), firstSeed: request.seed), out: out)
        let full = try String(contentsOfFile: out, encoding: .utf8)
        // Cut the samples file after two problems (its first line names the run), and leave a torn line at the end of
        // the output as a crash would.
        let samples = try String(contentsOfFile: sidecar, encoding: .utf8).split(separator: "\n")
        #expect(samples.first?.hasPrefix("{\"run\"") == true)
        try (samples.prefix(3).joined(separator: "\n") + "\n").write(toFile: sidecar, atomically: true, encoding: .utf8)
        try (full + "{\"id\": \"arith").write(toFile: out, atomically: true, encoding: .utf8)
        let teacher = TraceTeacher(picked.map(\.problem), firstSeed: request.seed)
        let summary = try await Distill.run(request, source: teacher, out: out)
        #expect(summary.resumed == 2)
        #expect(teacher.calls.load(ordering: .relaxed) == 4 * 4)
        #expect(try sortedLines(out) == full.split(separator: "\n").map(String.init).sorted())

        // another keep policy (or teacher, or sampling) is another run: refused, not mixed into the kept lines
        var shortest = request
        shortest.keep = .shortestCorrect
        let other = await #expect(throws: TrainError.self) { try await Distill.run(shortest, source: teacher, out: out) }
        #expect(other?.description.contains("keep was all-correct, now shortest-correct") == true, "\(String(describing: other))")
        #expect(try sortedLines(out) == full.split(separator: "\n").map(String.init).sorted())

        // an output without its samples file is not overwritten
        try FileManager.default.removeItem(atPath: sidecar)
        let missing = await #expect(throws: TrainError.self) { try await Distill.run(request, source: teacher, out: out) }
        #expect(missing?.description.contains("missing") == true)
        // nor is a file that is not distillation data
        try "hello\n".write(toFile: out, atomically: true, encoding: .utf8)
        try "".write(toFile: sidecar, atomically: true, encoding: .utf8)
        let foreign = await #expect(throws: TrainError.self) { try await Distill.run(request, source: teacher, out: out) }
        #expect(foreign?.description.contains("line 1") == true)
    }

    // MARK: - the real engine

    static let tiny = modelFixtures.appendingPathComponent("qwen2-tiny").path

    @Test func aTinyTeacherRunsEndToEnd() async throws {
        let out = tempFolder("distill-tiny") + ".jsonl"
        defer { for p in [out, Distill.samplesPath(out: out)] { try? FileManager.default.removeItem(atPath: p) } }
        let engine = try Engine(model: try ModelLoader.load(path: Self.tiny), threads: 2, kernels: .test)
        let source = try LocalSource(engine: engine, label: "tiny", concurrency: 2)
        var request = Self.request(count: 2)
        request.difficulties = [1]
        request.samples = 2
        request.sampling = EvalSampling(temperature: 1, topP: 1, maxTokens: 8)
        let summary = try await Distill.run(request, source: source, out: out)
        await source.shutdown()
        #expect(summary.problems == 2 && summary.samples == 4)
        #expect(summary.tokens > 0 && summary.tokensPerSecond > 0)
        #expect(summary.rejected.values.reduce(0, +) + summary.kept == 4)
        #expect(try readLines(out).count == summary.kept)
        let sidecar = try readLines(Distill.samplesPath(out: out))
        #expect(sidecar.count == 3 && sidecar[0]["run"]?["teacher"]?.string == "tiny" && sidecar[0]["run"]?["keep"]?.string == "all-correct")
        #expect(summary.text.contains("2 problems, 4 samples"))
        // The identity's sampling fields are the ones `r1 eval run` writes, in its order.
        let run = try #require(sidecar[0]["run"]?.object)
        #expect(Array(run.keys) == ["task", "difficulty", "teacher", "temperature", "top_p", "max_tokens", "seed", "keep"])
        // What scripts read (`--json`): the counts add up and every rejection reason is named.
        let json = try JSONValue.parse(Data(summary.json(out: out).text.utf8))
        #expect(json["out"]?.string == out && json["samples"]?.int == 4 && json["kept"]?.int == summary.kept)
        let rejected = try #require(json["rejected"]?.object)
        #expect(rejected.count == DistillRejection.allCases.count)
        #expect(rejected.values.reduce(0) { $0 + ($1.int ?? 0) } + summary.kept == 4)
        #expect(json["seconds"]?.double == summary.seconds)
    }

    /// The SFT line of a teacher's sample trains the ids the teacher generated: the prompt ids are the engine's, and a
    /// completion's ids are its generated ids wherever those are the tokenizer's own encoding of the text.
    @Test func sftIdsAreTheTeachersIds() async throws {
        let engine = try Engine(model: try ModelLoader.load(path: Self.tiny), threads: 2, kernels: .test)
        let formatter = try #require(engine.formatter)
        let tok = formatter.tokenizer
        let eos = try #require(tok.eosIds.first)
        let message = "What is 3 + 4?\n" + EvalPrompt.mathInstruction
        let promptIds = try engine.prepare(.chat(messages: [PromptFormatter.userMessage(message)]),
                                           parameters: GenerationParameters()).ids

        // a completion generated as the tokenizer encodes it comes back id for id
        var rng = TrainRandom(seed: 1)
        let trace = try #require(ArithmeticTrace.completion(question: "What is 3 + 4?", rng: &rng))
        let traceIds = tok.encode(trace, addSpecialTokens: false)
        let seq = try ChatData.renderCompletion(prompt: .string(message), completion: .string(trace), tokenizer: tok,
                                                template: formatter.template)
        #expect(seq.ids == promptIds + traceIds + [eos])
        #expect(seq.lossMask == [Float](repeating: 0, count: promptIds.count) + [Float](repeating: 1, count: traceIds.count + 1))

        // what the tiny teacher samples: the same prompt ids, and its text back whole
        let source = try LocalSource(engine: engine, label: "tiny", concurrency: 1)
        for seed: UInt64 in 0..<4 {
            let s = try await source.sample(userMessage: message, seed: seed,
                                            sampling: EvalSampling(temperature: 1, topP: 1, maxTokens: 10))
            let t = try #require(s.tokens)
            #expect(t.ids.count == s.reasoningTokens + s.answerTokens + t.forced)
            let generated = t.ids.last == eos ? Array(t.ids.dropLast()) : t.ids
            let line = try ChatData.renderCompletion(prompt: .string(message), completion: .string(t.text), tokenizer: tok,
                                                     template: formatter.template)
            #expect(Array(line.ids.prefix(promptIds.count)) == promptIds)
            #expect(tok.decode(Array(line.ids.dropFirst(promptIds.count).dropLast())) == t.text)
            if tok.encode(t.text, addSpecialTokens: false) == generated {
                #expect(line.ids == promptIds + generated + [eos])
            }
        }
        await source.shutdown()
    }
}
