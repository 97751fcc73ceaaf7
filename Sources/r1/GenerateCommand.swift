// `r1 generate MODEL (--prompt TEXT | --prompt-ids 1,2,3) ...`: one completion through the runtime's one streaming
// API, printed as reasoning then answer (reasoning dimmed on a terminal), or as the documented JSON.
import ArgumentParser
import Foundation
import R1Formats
import R1Runtime
import R1Sampling

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate a completion for one prompt.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Prompt text (wrapped in the chat template unless --raw).")
    var prompt: String?
    @Option(name: .customLong("prompt-ids"), help: "Prompt as comma-separated token ids (used as is).")
    var promptIds: String?
    @Flag(help: "Use the prompt as is, without the chat template.")
    var raw = false
    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.")
    var maxTokens: Int = 512
    @Option(help: "Stop when this text is generated (repeatable); it is not printed.")
    var stop: [String] = []
    @OptionGroup var thinkingOptions: ThinkingOptions
    @OptionGroup var samplingOptions: SamplingOptions
    @OptionGroup var outputOptions: StructuredOutputOptions
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if (prompt == nil) == (promptIds == nil) { throw ValidationError("give exactly one of --prompt and --prompt-ids") }
        if maxTokens <= 0 { throw ValidationError("--max-tokens must be positive, got \(maxTokens)") }
    }

    func run() async throws {
        let grammar = try outputOptions.load()  // a bad schema or grammar fails before the model loads
        let (engine, ollama) = try modelOptions.loadWithParams()
        let request: GenerationRequest
        if let p = promptIds {
            request = .promptIds(try parseIds(p, flag: "--prompt-ids"))
        } else {
            guard engine.formatter != nil else {
                throw CLIError("\(modelOptions.model): the model has no tokenizer; use --prompt-ids")
            }
            let text = prompt ?? ""
            request = raw ? .text(text) : .chat(messages: [PromptFormatter.userMessage(text)])
        }
        var parameters = GenerationParameters(maxTokens: maxTokens, sampling: try samplingOptions.parameters(for: engine), stop: stop)
        thinkingOptions.apply(to: &parameters)
        parameters.grammar = grammar
        // An Ollama model's params layer (temperature, top_p, stop, ...) fills what the flags leave open, as in `r1 run`.
        if let o = ollama { parameters.applyDefaults(o, flags: samplingOptions) }
        let ids = try engine.prepare(request, parameters: parameters).ids
        try engine.validate(promptIds: ids, maxTokens: maxTokens)

        var generated: [Int] = []
        var top: [[TokenLogprob]] = []
        var reasoning = "", content = "", text = ""
        var stats = GenerationStats()
        let style = TerminalStyle(enabled: !json && isatty(STDOUT_FILENO) != 0)
        var printer = ReasoningPrinter(style: style)
        for try await event in engine.generate(request, parameters: parameters) {
            switch event {
            case .token(let t):
                generated.append(t.id)
                if parameters.sampling.logprobs > 0 { top.append(t.top) }
                text += t.text
                if !json && engine.formatter == nil { Output.write("\(t.id) ") }
            case .reasoning(let s):
                reasoning += s
                if !json { Output.write(printer.reasoning(s)) }
            case .content(let s):
                content += s
                if !json { Output.write(printer.content(s)) }
            case .done(let s): stats = s
            }
        }
        if let s = stats.stopString, let r = text.range(of: s) { text = String(text[..<r.lowerBound]) }
        if json {
            let topJSON = JSONOut.array(top.map { step in
                .array(step.map { .object([("id", .int($0.id)), ("logprob", .double(Double($0.logprob)))]) })
            })
            let timings = JSONOut.object([
                ("prompt_tokens", .int(stats.promptTokens)), ("prompt_ms", .double(stats.promptSeconds * 1000)),
                ("generated_tokens", .int(stats.generatedTokens)), ("generate_ms", .double(stats.generateSeconds * 1000)),
            ])
            let thinking = JSONOut.object([
                ("reasoning_tokens", .int(stats.reasoningTokens)), ("content_tokens", .int(stats.contentTokens)),
                ("answer_missing", .bool(stats.answerMissing)), ("budget_hit", .bool(stats.budgetHit)),
                ("loop_detected", .bool(stats.loopDetected)),
            ])
            Output.line(JSONOut.object([
                ("prompt_ids", .ints(ids)), ("ids", .ints(generated)),
                ("text", .string(text)), ("reasoning", .string(reasoning)),
                ("content", .string(content)),
                ("finish_reason", .string(stats.finishReason == FinishReason.stop ? "stop" : "length")),
                ("top_logprobs", topJSON), ("timings", timings), ("thinking", thinking),
            ]).text)
        } else {
            Output.write(printer.end())
            Output.error(statsLine(stats) + "\n")
        }
    }
}
