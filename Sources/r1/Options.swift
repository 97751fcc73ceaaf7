// Option groups shared by subcommands, and the one-line error type the CLI prints.
import ArgumentParser
import Foundation
import R1Constrain
import R1DefaultModel
import R1Formats
import R1Hub
import R1Kernels
import R1Models
import R1Runtime
import R1Sampling

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The help of every MODEL argument.
let modelArgumentHelp = ArgumentHelp(
    "`default` (the built-in model), a .gguf file, a safetensors folder, ORG/REPO[@REV], [hf.co/]ORG/REPO:QUANT, or an Ollama NAME[:TAG].")

struct ModelOptions: ParsableArguments {
    @Argument(help: modelArgumentHelp)
    var model: String = DefaultModel.name

    @Option(help: "Context length (default: the model's).")
    var context: Int?

    @Option(help: "Threads for compute (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("cache-type"), help: "KV cache element type: f16 (default, as llama.cpp), f32 (as transformers' f32 run) or q8_0.")
    var cacheType: KVCacheType = .f16

    @OptionGroup var kernelOptions: KernelOptions

    func validate() throws {
        if let c = context, c <= 0 { throw ValidationError("--context must be positive, got \(c)") }
        if let t = threads, t <= 0 { throw ValidationError("--threads must be positive, got \(t)") }
    }

    func load() throws -> Engine { try loadWithParams().engine }

    /// The engine, and for a model from Ollama's store its params layer (the sampling defaults the flags leave open);
    /// the reference is resolved once for both.
    func loadWithParams() throws -> (engine: Engine, ollama: OllamaParams?) {
        let resolved = try resolveModel(model)
        let m = try ModelLoader.load(path: resolved.paths[0], contextLength: context)
        return (try Engine(model: m, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, cacheType: cacheType,
                           kernels: try kernelOptions.policy()),
                resolved.ollamaParams)
    }
}

/// `--kernels`: which kernels run, decided here once and passed down (through the ThreadPool) as a KernelPolicy. The
/// environment's older switches are read here and nowhere else: R1_KERNELS, R1_NO_C_KERNELS=1, R1_NO_AVX512=1, and
/// the per-CPU choices within a level: R1_F16_PREFETCH (bytes the AVX2 F16 decode rows prefetch ahead), R1_WIDE_Q6K
/// (0 or 1: the 512-bit Q6_K prefill tile), each the CPU's default in KernelPolicy otherwise.
struct KernelOptions: ParsableArguments {
    @Option(help: "Kernels: auto (the best this CPU runs), avx512 or avx2 (x86-64), neon-i8mm, neon-dotprod or neon (arm64), or swift (default: $R1_KERNELS, else auto; R1_NO_C_KERNELS=1 means swift, R1_NO_AVX512=1 at most avx2).")
    var kernels: String?

    func policy() throws -> KernelPolicy {
        let env = ProcessInfo.processInfo.environment
        do {
            if let k = kernels { return try KernelPolicy(named: k).applyingChoices(from: env) }
            return try KernelPolicy(environment: env)
        } catch where error.isEnvironmentChoice {
            throw ValidationError(error.description)
        } catch {
            throw ValidationError(kernels == nil ? "R1_KERNELS: \(error)" : "--kernels: \(error)")
        }
    }

    func validate() throws { _ = try policy() }
}

extension KVCacheType: ExpressibleByArgument {}

struct SamplingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Temperature; 0 is greedy (default: the model's generation_config, else 0.6).")
    var temperature: Float?
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold in (0, 1] (default: the model's, else 0.95).")
    var topP: Float?
    @Option(name: .customLong("top-k"), help: "Keep the K most likely tokens; 0 is off.")
    var topK: Int?
    @Option(name: .customLong("min-p"), help: "Drop tokens below this fraction of the best one's probability.")
    var minP: Float?
    @Option(name: .customLong("repeat-penalty"), help: "Repetition penalty; 1 is off.")
    var repeatPenalty: Float?
    @Option(name: .customLong("presence-penalty"), parsing: .unconditional, help: "OpenAI presence penalty.")
    var presencePenalty: Float?
    @Option(name: .customLong("frequency-penalty"), parsing: .unconditional, help: "OpenAI frequency penalty.")
    var frequencyPenalty: Float?
    @Option(help: "Random seed: the same seed and settings give the same tokens.")
    var seed: UInt64?
    @Option(help: "Report the K most likely tokens at each step (natural-log probabilities).")
    var logprobs: Int?

    /// Flags first, then the model's generation_config.json, then R1's recommended 0.6 / 0.95.
    func parameters(for engine: Engine) throws -> SamplingParameters {
        let g = engine.generationConfig
        var p = SamplingParameters()
        p.temperature = temperature ?? g?.temperature.map(Float.init) ?? 0.6
        p.topP = topP ?? g?.topP.map(Float.init) ?? 0.95
        p.topK = topK ?? g?.topK ?? 0
        p.minP = minP ?? g?.minP.map(Float.init) ?? 0
        p.repetitionPenalty = repeatPenalty ?? g?.repetitionPenalty.map(Float.init) ?? 1
        p.presencePenalty = presencePenalty ?? 0
        p.frequencyPenalty = frequencyPenalty ?? 0
        p.seed = seed
        p.logprobs = logprobs ?? 0
        try p.validate()
        return p
    }
}

/// Parses "1,2,3" into ids, naming the first bad entry.
func parseIds(_ text: String, flag: String) throws -> [Int] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
        let s = part.trimmingCharacters(in: .whitespaces)
        guard let v = Int(s) else { throw ValidationError("\(flag): '\(s)' is not a token id") }
        return v
    }
}

/// Unbuffered writes, so streamed tokens appear as they come and never interleave out of order.
enum Output {
    static func write(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
    static func line(_ s: String) { write(s + "\n") }
    static func error(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}

struct ThinkingOptions: ParsableArguments {
    @Option(name: .customLong("think-budget"), help: "Most reasoning tokens before the model is told to answer; 0 skips thinking.")
    var thinkBudget: Int?
    @Flag(name: .customLong("no-loop-guard"), help: "Do not end a chain of thought that repeats itself.")
    var noLoopGuard = false

    func validate() throws {
        if let b = thinkBudget, b < 0 { throw ValidationError("--think-budget must be >= 0, got \(b)") }
    }

    func apply(to p: inout GenerationParameters) {
        p.thinkingBudget = thinkBudget
        if noLoopGuard { p.loopGuard = nil }
    }
}

/// Structured output for `generate` and `chat`: the answer after the reasoning follows a JSON Schema or a GBNF grammar.
struct StructuredOutputOptions: ParsableArguments {
    @Option(name: .customLong("json-schema"), help: ArgumentHelp("Constrain the answer (after the reasoning) to JSON that fits the JSON Schema in FILE.", valueName: "FILE"))
    var jsonSchema: String?
    @Option(help: ArgumentHelp("Constrain the answer (after the reasoning) to the GBNF grammar in FILE (llama.cpp's format, root rule 'root').", valueName: "FILE"))
    var grammar: String?

    func validate() throws {
        if jsonSchema != nil && grammar != nil { throw ValidationError("give at most one of --json-schema and --grammar") }
    }

    /// The compiled grammar, or an error naming the file and what in it is wrong.
    func load() throws -> Grammar? {
        guard let path = jsonSchema ?? grammar else { return nil }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CLIError("\(path): cannot read the \(jsonSchema != nil ? "JSON Schema" : "grammar") file (\(error.localizedDescription))")
        }
        do {
            return jsonSchema != nil ? try Grammar(jsonSchema: text) : try Grammar(gbnf: text)
        } catch {
            throw CLIError("\(path): \(error.message)")
        }
    }
}

/// ANSI styling, only when writing to a terminal.
struct TerminalStyle {
    let enabled: Bool
    var dim: String { enabled ? "\u{1B}[2m" : "" }
    var bold: String { enabled ? "\u{1B}[1m" : "" }
    var reset: String { enabled ? "\u{1B}[0m" : "" }
}

/// Turns reasoning and content pieces into output text: reasoning dimmed, a blank line between it and the answer.
struct ReasoningPrinter {
    let style: TerminalStyle
    private var state = 0  // 0 nothing yet, 1 in reasoning, 2 in content

    init(style: TerminalStyle) { self.style = style }

    mutating func reasoning(_ s: String) -> String {
        defer { state = 1 }
        return (state == 0 ? style.dim : "") + s
    }

    mutating func content(_ s: String) -> String {
        defer { state = 2 }
        switch state {
        case 1: return style.reset + "\n\n" + s
        default: return s
        }
    }

    /// Closes the styling and ends the line.
    mutating func end() -> String {
        defer { state = 0 }
        return (state == 1 ? style.reset : "") + "\n"
    }
}

/// "[12 prompt tokens (8 reused), 410 tok/s; thought 40 tokens 1.2 s; answered 12 tokens 0.3 s; 31.0 tok/s; stop]"
func statsLine(_ s: GenerationStats) -> String {
    var parts = [String(format: "%d prompt tokens%@, %.1f tok/s", s.promptTokens,
                        s.promptTokensReused > 0 ? " (\(s.promptTokensReused) reused)" : "", s.promptTokensPerSecond)]
    if s.reasoningTokens > 0 {
        parts.append(String(format: "thought %d tokens %.1f s", s.reasoningTokens, s.reasoningSeconds)
                     + (s.forcedTokens > 0 ? " (+\(s.forcedTokens) inserted to close)" : ""))
    }
    parts.append(String(format: "answered %d tokens %.1f s", s.contentTokens, s.contentSeconds))
    parts.append(String(format: "%d generated, %.1f tok/s", s.generatedTokens, s.generateTokensPerSecond))
    var end = s.finishReason.rawValue
    if s.budgetHit { end += ", budget hit" }
    if s.loopDetected { end += ", loop ended" }
    if s.answerMissing { end += ", answer missing" }
    if let stop = s.stopString { end += ", stop string \(JSONOut.string(stop).text)" }
    parts.append(end)
    return "[" + parts.joined(separator: "; ") + "]"
}
