// `r1 run MODEL [PROMPT]` as `ollama run`: one answer to PROMPT, or the chat with a line editor (history across runs,
// """ multi-line input, Ctrl-D to leave); plain lines when stdin is not a terminal. An Ollama model's params layer
// gives the sampling defaults the flags leave open.
import ArgumentParser
import Foundation
import R1Hub
import R1Runtime
import R1Sampling

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Answer one prompt, or chat, with a model by path or reference (pulled when missing).")

    @OptionGroup var chat: ChatCommand
    @Argument(help: "A prompt to answer once; without one, a chat.")
    var prompt: String?
    @Option(name: .customLong("history-file"), help: "Line-editor history (default: ~/.config/r1/history).")
    var historyFile: String?

    func run() async throws {
        if let text = prompt {
            try await answer(text)
            return
        }
        guard isatty(STDIN_FILENO) != 0 else { try await chat.converse(); return }
        let editor = LineEditor(historyPath: historyFile.map { ($0 as NSString).expandingTildeInPath } ?? LineEditor.defaultHistoryPath)
        try await chat.converse(input: { prompt in Self.readEntry(editor, prompt: prompt) })
    }

    /// One entry: a line, or with `"""` the lines up to the closing `"""` joined by newlines (Ollama's multi-line input).
    static func readEntry(_ editor: LineEditor, prompt: String) -> String? {
        guard let first = editor.readLine(prompt: prompt) else { return nil }
        editor.remember(first)
        guard first.trimmingCharacters(in: .whitespaces).hasPrefix("\"\"\"") else { return first }
        var text = String(first.trimmingCharacters(in: .whitespaces).dropFirst(3))
        if text.hasSuffix("\"\"\""), !text.isEmpty { return String(text.dropLast(3)) }
        while let line = editor.readLine(prompt: "... ") {
            editor.remember(line)
            if line.hasSuffix("\"\"\"") { return text + (text.isEmpty ? "" : "\n") + String(line.dropLast(3)) }
            text += (text.isEmpty ? "" : "\n") + line
        }
        return text
    }

    /// One prompt through the chat template, streamed as `r1 chat` streams an answer.
    private func answer(_ text: String) async throws {
        let (engine, ollama) = try chat.modelOptions.loadWithParams()
        guard engine.formatter != nil else { throw CLIError("\(chat.modelOptions.model): the model has no tokenizer; use r1 generate --prompt-ids") }
        var parameters = GenerationParameters(maxTokens: chat.maxTokens, sampling: try chat.samplingOptions.parameters(for: engine))
        chat.thinkingOptions.apply(to: &parameters)
        if let o = ollama { parameters.applyDefaults(o, flags: chat.samplingOptions) }
        let session = ChatSession(engine: engine, system: chat.system)
        try await chat.render(session.send(text, parameters: parameters), interactive: isatty(STDOUT_FILENO) != 0,
                              style: TerminalStyle(enabled: isatty(STDOUT_FILENO) != 0))
    }
}

extension GenerationParameters {
    /// Ollama `params` values where the flags gave none (they were filled from generation_config or R1's defaults).
    mutating func applyDefaults(_ o: OllamaParams, flags f: SamplingOptions) {
        if f.temperature == nil, let v = o.temperature { sampling.temperature = Float(v) }
        if f.topP == nil, let v = o.topP { sampling.topP = Float(v) }
        if f.topK == nil, let v = o.topK { sampling.topK = v }
        if f.minP == nil, let v = o.minP { sampling.minP = Float(v) }
        if f.repeatPenalty == nil, let v = o.repeatPenalty { sampling.repetitionPenalty = Float(v) }
        if f.presencePenalty == nil, let v = o.presencePenalty { sampling.presencePenalty = Float(v) }
        if f.frequencyPenalty == nil, let v = o.frequencyPenalty { sampling.frequencyPenalty = Float(v) }
        if f.seed == nil, let v = o.seed, v >= 0 { sampling.seed = UInt64(v) }
        stop += o.stop.filter { !stop.contains($0) }
    }

    /// `/set PARAM VALUE` (Ollama's names: temperature, top_p, top_k, min_p, repeat_penalty, seed, num_predict,
    /// stop); the reply line says what changed or what is wrong.
    mutating func set(_ args: String) -> String {
        let parts = args.split(separator: " ", maxSplits: 1).map(String.init)
        let usage = "usage: /set parameter NAME VALUE, NAME one of temperature, top_p, top_k, min_p, repeat_penalty, seed, num_predict, stop"
        var words = parts
        if words.first == "parameter" { words = words.count > 1 ? words[1].split(separator: " ", maxSplits: 1).map(String.init) : [] }
        guard words.count == 2 else { return usage }
        let (name, value) = (words[0], words[1].trimmingCharacters(in: .whitespaces))
        var next = self
        switch name {
        case "temperature": guard let v = Float(value) else { return "temperature: '\(value)' is not a number" }; next.sampling.temperature = v
        case "top_p": guard let v = Float(value) else { return "top_p: '\(value)' is not a number" }; next.sampling.topP = v
        case "top_k": guard let v = Int(value) else { return "top_k: '\(value)' is not an integer" }; next.sampling.topK = v
        case "min_p": guard let v = Float(value) else { return "min_p: '\(value)' is not a number" }; next.sampling.minP = v
        case "repeat_penalty": guard let v = Float(value) else { return "repeat_penalty: '\(value)' is not a number" }; next.sampling.repetitionPenalty = v
        case "seed": guard let v = UInt64(value) else { return "seed: '\(value)' is not a non-negative integer" }; next.sampling.seed = v
        case "num_predict": guard let v = Int(value), v > 0 else { return "num_predict: '\(value)' is not a positive integer" }; next.maxTokens = v
        case "stop": next.stop.append(value)
        default: return "unknown parameter '\(name)'; " + usage
        }
        do { try next.sampling.validate() } catch { return "\(name): \(error)" }
        self = next
        return "(set \(name) to \(value))"
    }
}
