// `r1 eval run DATASET [--model MODEL | --endpoint URL]` (neither: the model `default`): sample every problem K times
// on the local engine (batched) or an OpenAI-compatible endpoint, check each answer, and report pass@1, pass@k and
// cons@k (R1Eval).
import ArgumentParser
import Foundation
import R1DefaultModel
import R1Eval
import R1Formats
import R1Models
import R1Runtime

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Measure a model on reasoning benchmarks with rule-checked answers.",
        subcommands: [EvalRunCommand.self, EvalVerifyCommand.self, EvalCodeCheckCommand.self, EvalCompareCommand.self])
}

/// The answer checker of `r1 eval`: math-verify's rules for math, exact evaluation for countdown.
let evalAnswerChecker: any AnswerChecking = RuleChecker()

struct EvalRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Sample, check and score a dataset.")

    @Argument(help: "A JSONL file (GSM8K, MATH, AIME or HumanEval layout, or any with --question/--answer).")
    var dataset: String
    @Option(help: "A local model, as MODEL arguments are given (default: `default`, the built-in model).")
    var model: String?
    @Option(help: "An OpenAI-compatible server (http://host:port, its /v1, or the /v1/chat/completions URL).")
    var endpoint: String?
    @Option(name: .customLong("api-key"), help: "Bearer token for the endpoint (default: $OPENAI_API_KEY).")
    var apiKey: String?
    @Option(name: .customLong("model-name"), help: "Model name sent to the endpoint (default: the first of its /v1/models).")
    var modelName: String?
    @Option(help: "Samples per problem (K).")
    var samples = 1
    @Option(parsing: .unconditional, help: "Sampling temperature (R1: 0.6).")
    var temperature: Float = 0.6
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold (R1: 0.95).")
    var topP: Float = 0.95
    @Option(name: .customLong("max-tokens"), help: "Most tokens per sample, reasoning included (cut to the context).")
    var maxTokens = 32768
    @Option(help: "Seed of sample 0; sample j uses seed + j.")
    var seed: UInt64 = 0
    @Option(help: "Difficulty of a builtin: set, 1...10 (digits and operations; countdown numbers).")
    var difficulty = 3
    @Option(help: "Problems generated for a builtin: set.")
    var count = 100
    @Option(help: "Samples generated at once (batched on the local engine, parallel requests to an endpoint).")
    var concurrency = 8
    @Option(help: "Only the first N problems.")
    var limit: Int?
    @Option(help: "Append per-problem results here (JSONL); rerunning with the same file resumes.")
    var out: String?
    @Option(help: "Write the Markdown report here.")
    var report: String?
    @Flag(help: "Print the summary as one JSON object.")
    var json = false
    @Option(help: "Question field, for a file in no known layout.")
    var question: String?
    @Option(help: "Answer field, for a file in no known layout.")
    var answer: String?
    @Option(help: "Seconds an endpoint request may take before it is retried.")
    var timeout: Double = 600
    @Option(help: "Context length of the local model (default: the model's).")
    var context: Int?
    @Option(help: "Threads of the local model (default: all cores).")
    var threads: Int?
    @OptionGroup var kernelOptions: KernelOptions
    @Option(help: "Python for code problems (default: /usr/bin/python3).")
    var python: String?
    @Option(name: .customLong("code-timeout"), help: "Wall-clock seconds one code check may run.")
    var codeTimeout: Double = 10

    func validate() throws {
        if model != nil && endpoint != nil { throw ValidationError("give one of --model and --endpoint, not both") }
        if endpoint == nil, apiKey != nil || modelName != nil { throw ValidationError("--api-key and --model-name go with --endpoint") }
        if samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples)") }
        if !(temperature >= 0) { throw ValidationError("--temperature must be >= 0, got \(temperature)") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be positive, got \(maxTokens)") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1, got \(concurrency)") }
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1, got \(l)") }
        if (question == nil) != (answer == nil) { throw ValidationError("give both --question and --answer, or neither") }
        if !(timeout > 0) { throw ValidationError("--timeout must be positive, got \(timeout)") }
        if !(codeTimeout > 0) { throw ValidationError("--code-timeout must be positive, got \(codeTimeout)") }
        if let c = context, c <= 0 { throw ValidationError("--context must be positive, got \(c)") }
        if let t = threads, t <= 0 { throw ValidationError("--threads must be positive, got \(t)") }
    }

    func run() async throws {
        var data: EvalDataset
        if dataset.hasPrefix("builtin:") {
            let problems = try BuiltinTasks.problems(named: dataset, seed: seed, difficulty: difficulty, count: count)
            data = EvalDataset(path: dataset, layout: .builtin, problems: problems)
        } else {
            data = try EvalDataset.load(path: dataset, fields: question.map { EvalDataset.Fields(question: $0, answer: answer!) })
        }
        if let l = limit { data.problems = Array(data.problems.prefix(l)) }
        let hasCode = data.problems.contains { if case .code = $0.check { true } else { false } }
        let sandbox = hasCode ? try PythonSandbox(python: python, limits: SandboxLimits(wallSeconds: codeTimeout)) : nil
        let checker: any AnswerChecking = sandbox.map { CodeChecker(sandbox: $0, answers: evalAnswerChecker) } ?? evalAnswerChecker

        let source: any SampleSource
        var weights = ""
        if endpoint == nil {
            let path = model ?? DefaultModel.name
            let resolved = try resolveModelPath(path)
            weights = Self.fingerprint(resolved)
            let loaded = try ModelLoader.load(path: resolved, contextLength: context)
            let engine = try Engine(model: loaded, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                    kernels: try kernelOptions.policy())
            source = try LocalSource(engine: engine, label: "local \(path)", concurrency: concurrency)
        } else {
            source = try await EndpointSource.connect(base: endpoint!, modelName: modelName,
                                                      apiKey: apiKey ?? ProcessInfo.processInfo.environment["OPENAI_API_KEY"],
                                                      timeout: .milliseconds(Int(timeout * 1000)))
        }
        // What makes two runs the same run: a rerun with the same file resumes it; another run is refused. (A new K
        // is the same run: the runner samples its problems again.)
        let sampling = EvalSampling(temperature: temperature, topP: topP, maxTokens: maxTokens)
        let run = JSONOut.object([
            ("dataset", .string(dataset)), ("model", .string(source.label)), ("weights", .string(weights)),
        ] + sampling.identityFields(seed: seed))
        let results = try out.map { try ResultsFile(path: $0, run: run) }
        let configuration = EvalRunConfiguration(samples: samples, sampling: sampling, seed: seed, concurrency: concurrency)
        let bar = ProgressLine(terminal: isatty(STDERR_FILENO) != 0)
        let summary: EvalRunSummary
        do {
            summary = try await EvalRunner(source: source, checker: checker, configuration: configuration)
                .run(data.problems, results: results) { bar.update($0) }
        } catch {
            bar.finish()
            await source.shutdown()
            throw error
        }
        bar.finish()
        await source.shutdown()
        let r = EvalReport(dataset: dataset, layout: data.layout.rawValue, source: source.label,
                           configuration: configuration, summary: summary, sandbox: sandbox?.summary)
        if let path = report {
            do { try r.markdown.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw CLIError("\(path): cannot write the report: \(error)")
            }
        }
        Output.line(json ? r.json.text : r.markdown)
    }
}

/// The progress bar on a terminal (one line redrawn), plain lines every 10 s otherwise; on stderr.
final class ProgressLine: @unchecked Sendable {
    let terminal: Bool
    private let lock = NSLock()
    private var lastPrint = -1e9
    private var drawn = false

    init(terminal: Bool) { self.terminal = terminal }

    func update(_ p: EvalProgress) {
        lock.withLock {
            let final = p.samplesDone == p.samplesTotal
            guard terminal || final || p.seconds - lastPrint >= 10 else { return }
            lastPrint = p.seconds
            let fraction = p.samplesTotal == 0 ? 1 : Double(p.samplesDone) / Double(p.samplesTotal)
            let eta = p.eta.map { Self.duration($0) } ?? "?"
            let rate = p.seconds > 0 ? Double(p.tokens) / p.seconds : 0
            let text = String(format: "%d/%d problems, %d/%d samples, %.1f tok/s, ETA %@", p.problemsDone, p.problemsTotal,
                              p.samplesDone, p.samplesTotal, rate, eta)
            if terminal {
                let width = 24, filled = Int(fraction * Double(width))
                Output.error("\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + text + "\u{1B}[K")
                drawn = true
            } else {
                Output.error(text + "\n")
            }
        }
    }

    func finish() { lock.withLock { if drawn { Output.error("\n"); drawn = false } } }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
    }
}

extension EvalRunCommand {
    /// Name, size and modification time of the model's files (a .gguf and its shards, or a folder's weights and
    /// config): changes when the weights at the same path are replaced, e.g. by retraining.
    static func fingerprint(_ path: String) -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return "" }
        let base = isDir.boolValue ? path : (path as NSString).deletingLastPathComponent
        let names = isDir.boolValue
            ? ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".gguf") || $0 == "config.json" }.sorted()
            : [(path as NSString).lastPathComponent]
        return names.map { name -> String in
            let a = try? fm.attributesOfItem(atPath: (base as NSString).appendingPathComponent(name))
            let size = (a?[.size] as? NSNumber)?.int64Value ?? -1
            let time = (a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(name):\(size):\(Int64(time * 1000))"
        }.joined(separator: ",")
    }
}
