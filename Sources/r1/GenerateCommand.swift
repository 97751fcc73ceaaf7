// `r1 generate MODEL (--prompt TEXT | --prompt-ids 1,2,3) ...`: one completion, as text or as the documented JSON.
import ArgumentParser
import Foundation
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
    @OptionGroup var samplingOptions: SamplingOptions
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if (prompt == nil) == (promptIds == nil) { throw ValidationError("give exactly one of --prompt and --prompt-ids") }
        if maxTokens <= 0 { throw ValidationError("--max-tokens must be positive, got \(maxTokens)") }
    }

    func run() async throws {
        let engine = try modelOptions.load()
        let ids: [Int]
        if let p = promptIds {
            ids = try parseIds(p, flag: "--prompt-ids")
        } else {
            guard let formatter = engine.formatter else {
                throw CLIError("\(modelOptions.model): the model has no tokenizer; use --prompt-ids")
            }
            let text = prompt ?? ""
            ids = raw ? formatter.rawPrompt(text).ids : try formatter.chatPrompt(messages: [PromptFormatter.userMessage(text)]).ids
        }
        let sampling = try samplingOptions.parameters(for: engine)
        let parameters = GenerationParameters(maxTokens: maxTokens, sampling: sampling, stop: stop)
        try engine.validate(promptIds: ids, maxTokens: maxTokens)

        var generated: [Int] = []
        var top: [[TokenLogprob]] = []
        var reasoning = "", content = "", text = ""
        var stats = GenerationStats()
        for try await event in engine.generate(promptIds: ids, parameters: parameters) {
            switch event {
            case .token(let t):
                generated.append(t.id)
                if sampling.logprobs > 0 { top.append(t.top) }
                text += t.text
                if !json { Output.write(engine.formatter == nil ? "\(t.id) " : t.text) }
            case .reasoning(let s): reasoning += s
            case .content(let s): content += s
            case .done(let s): stats = s
            }
        }
        if json {
            let topJSON = "[" + top.map { step in
                "[" + step.map { JSONText.object([("id", String($0.id)), ("logprob", JSONText.number($0.logprob))]) }.joined(separator: ",") + "]"
            }.joined(separator: ",") + "]"
            let timings = JSONText.object([
                ("prompt_tokens", String(stats.promptTokens)), ("prompt_ms", JSONText.number(stats.promptSeconds * 1000)),
                ("generated_tokens", String(stats.generatedTokens)), ("generate_ms", JSONText.number(stats.generateSeconds * 1000)),
            ])
            Output.line(JSONText.object([
                ("prompt_ids", JSONText.ints(ids)), ("ids", JSONText.ints(generated)),
                ("text", JSONText.string(text)), ("reasoning", JSONText.string(reasoning)),
                ("content", JSONText.string(content)),
                ("finish_reason", JSONText.string(stats.finishReason == FinishReason.stop ? "stop" : "length")),
                ("top_logprobs", topJSON), ("timings", timings),
            ]))
        } else {
            Output.line("")
            Output.error(String(format: "[%d prompt tokens, %.1f tok/s; %d generated, %.1f tok/s; ",
                stats.promptTokens, stats.promptTokensPerSecond, stats.generatedTokens, stats.generateTokensPerSecond,
                ) + "\(stats.finishReason.rawValue)]\n")
        }
    }
}
