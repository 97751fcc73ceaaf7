// `r1 train distill --teacher MODEL --task arithmetic --difficulty 1,2 --count N --samples K --seed S --out FILE`:
// R1-style distillation data (rejection-sampled teacher traces) as the prompt-completion JSONL `r1 train sft` reads.
import ArgumentParser
import Foundation
import R1Eval
import R1Models
import R1Runtime
import R1Train

struct TrainDistillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Write SFT data from a teacher: K samples per training problem, the correct well-formed ones kept.",
        discussion: """
            Lines are the same as `r1 train data` writes ({id, difficulty, prompt, completion}; the completion is the \
            teacher's text after the generation prompt: reasoning, "\\n</think>\\n\\n", answer). Every sample is \
            recorded in OUT.samples.jsonl; rerunning with the same arguments and OUT resumes an interrupted run (more \
            problems or samples extend it; another teacher, sampling or --keep is refused: give another OUT).
            """)

    @Option(help: "The teacher: a .gguf file, a safetensors folder, ORG/REPO[@REV], [hf.co/]ORG/REPO:QUANT, or an Ollama NAME[:TAG].")
    var teacher: String
    @Option(help: "arithmetic or countdown (builtin: prefix optional).")
    var task: String
    @Option(help: "Comma-separated difficulties (1...10), taken in turn.")
    var difficulty: String
    @Option(help: "Training problems per difficulty.")
    var count: Int
    @Option(help: "Samples per problem (K); sample j is seeded seed + j.")
    var samples = 4
    @Option(parsing: .unconditional, help: "Sampling temperature (R1: 0.6).")
    var temperature: Float = 0.6
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold (R1: 0.95).")
    var topP: Float = 0.95
    @Option(name: .customLong("max-tokens"), help: "Most tokens per sample, reasoning included (cut to the context).")
    var maxTokens = 4096
    @Option(help: "Seed of the training problems and of the sampling (not a held-out seed).")
    var seed: UInt64
    @Option(name: .customLong("held-out-seeds"), help: "Comma-separated seeds whose `r1 eval run` problems are left out.")
    var heldOutSeeds = "0"
    @Option(name: .customLong("held-out-count"), help: "How many problems per held-out seed and difficulty.")
    var heldOutCount = 1000
    @Option(help: "Samples generated at once (batched).")
    var batch = 8
    @Option(help: "Threads of the teacher (default: all cores).")
    var threads: Int?
    @OptionGroup var kernelOptions: KernelOptions
    @Option(help: "Context length of the teacher (default: the model's).")
    var context: Int?
    @Option(help: "Which verified samples of a problem to keep: all-correct, first-correct or shortest-correct.")
    var keep: DistillKeep = .allCorrect
    @Flag(help: "Keep the task's distribution: a question drawn again is sampled again (default: each question once).")
    var repeats = false
    @Option(help: "Output JSONL file (appended as problems finish).")
    var out: String
    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        if samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples)") }
        if !(temperature >= 0) { throw ValidationError("--temperature must be >= 0, got \(temperature)") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be positive, got \(maxTokens)") }
        if heldOutCount < 0 { throw ValidationError("--held-out-count must be >= 0, got \(heldOutCount)") }
        if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let t = threads, t <= 0 { throw ValidationError("--threads must be positive, got \(t)") }
        if let c = context, c <= 0 { throw ValidationError("--context must be positive, got \(c)") }
    }

    func run() async throws {
        let request = DistillRequest(
            task: task, difficulties: try integers(difficulty, flag: "--difficulty"), count: count, samples: samples,
            sampling: EvalSampling(temperature: temperature, topP: topP, maxTokens: maxTokens), seed: seed,
            heldOutSeeds: try integers(heldOutSeeds, flag: "--held-out-seeds"), heldOutCount: heldOutCount,
            concurrency: batch, keep: keep, repeats: repeats)
        _ = try trainErrors { try Distill.problems(request) }  // bad task, difficulty or seed before the teacher loads
        let loaded = try ModelLoader.load(path: try resolveModelPath(teacher), contextLength: context)
        let engine = try Engine(model: loaded, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                kernels: try kernelOptions.policy())
        let source = try LocalSource(engine: engine, label: "local \(teacher)", concurrency: batch)
        let bar = ProgressLine(terminal: isatty(STDERR_FILENO) != 0)
        let summary: DistillSummary
        do {
            summary = try await Distill.run(request, source: source, out: out) { bar.update($0) }
        } catch {
            bar.finish()
            await source.shutdown()
            if let e = error as? TrainError { throw CLIError(e.description) }
            throw error
        }
        bar.finish()
        await source.shutdown()
        Output.line(json ? summary.json(out: out).text : "\(out): " + summary.text)
    }
}

extension DistillKeep: ExpressibleByArgument {}

/// "1, 2,3" as integers, naming the first entry that is not one.
private func integers<T: FixedWidthInteger>(_ text: String, flag: String) throws -> [T] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map {
        let s = $0.trimmingCharacters(in: .whitespaces)
        guard let v = T(s) else { throw CLIError("\(flag): '\(s)' is not \(T.isSigned ? "an" : "a non-negative") integer") }
        return v
    }
}
