// `r1 chat MODEL`: a conversation in the terminal. Thinking streams dimmed (or one "thought for" line), then the
// answer and a stats line; /reset /think N /stats /save FILE /quit; Ctrl-C stops the answer, not the program.
// With stdin not a terminal: one question per line, answers on stdout, thinking and stats on stderr, no escape codes.
import ArgumentParser
import Dispatch
import Foundation
import R1Hub
import R1Runtime

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chat", abstract: "Chat with a model in the terminal.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("max-tokens"), help: "Most tokens per answer, thinking included.")
    var maxTokens: Int = 4096
    @Option(help: "A system prompt.")
    var system: String?
    @Flag(name: .customLong("hide-thinking"), help: "Show one 'thought for N tokens' line instead of the thinking.")
    var hideThinking = false
    @OptionGroup var thinkingOptions: ThinkingOptions
    @OptionGroup var samplingOptions: SamplingOptions
    @OptionGroup var outputOptions: StructuredOutputOptions

    func validate() throws {
        if maxTokens <= 0 { throw ValidationError("--max-tokens must be positive, got \(maxTokens)") }
    }

    func run() async throws { try await converse() }

    /// The chat; `input` reads a line after showing the prompt (r1 run's line editor; default: readLine). An Ollama
    /// model's params layer fills the sampling defaults the flags leave open.
    func converse(input: ((String) -> String?)? = nil) async throws {
        let grammar = try outputOptions.load()  // a bad schema or grammar fails before the model loads
        let interactive = isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0
        let style = TerminalStyle(enabled: interactive)
        let started = Date()
        if interactive { Output.write("\(style.dim)loading \(modelOptions.model)…\(style.reset)") }
        let first = try modelOptions.loadWithParams()
        var engine = first.engine
        if interactive, let loaded = engine.loaded {
            // Read the mapped weights in now, with a bar, rather than during the first answer.
            let mib = loaded.weightBytes >> 20
            loaded.prefault { f in
                let filled = Int(f * 30)
                Output.write("\r\(style.dim)loading \(modelOptions.model) [" + String(repeating: "#", count: filled)
                             + String(repeating: " ", count: 30 - filled) + "] \(Int(f * 100))% of \(mib) MiB\(style.reset)")
            }
        }
        if interactive {
            let name = (modelOptions.model as NSString).lastPathComponent
            Output.write("\r\u{1B}[2K")
            Output.line(style.dim + String(format: "r1 chat · %@ · loaded in %.1f s · /reset /think N /stats /save FILE /quit · Ctrl-C stops an answer",
                                           name, Date().timeIntervalSince(started)) + style.reset)
        }
        guard engine.formatter != nil else { throw CLIError("\(modelOptions.model): the model has no tokenizer, so it cannot chat") }
        var parameters = GenerationParameters(maxTokens: maxTokens, sampling: try samplingOptions.parameters(for: engine))
        thinkingOptions.apply(to: &parameters)
        parameters.grammar = grammar
        if let o = first.ollama { parameters.applyDefaults(o, flags: samplingOptions) }
        var session = ChatSession(engine: engine, system: system)

        let current = CurrentGeneration()
        signal(SIGINT, SIG_IGN)
        let sigint = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        sigint.setEventHandler {
            if !current.cancel() && interactive { Output.write("\n\(style.dim)(/quit or Ctrl-D to leave)\(style.reset)\n\(style.bold)> \(style.reset)") }
        }
        sigint.resume()
        defer { sigint.cancel() }

        while true {
            let prompt = "\(style.bold)> \(style.reset)"
            let next: String?
            if let input { next = input(interactive ? prompt : "") } else { if interactive { Output.write(prompt) }; next = readLine() }
            guard let line = next else { if interactive && input == nil { Output.line("") }; break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if text.hasPrefix("/load") {  // another model, a fresh conversation
                let ref = text.dropFirst(5).trimmingCharacters(in: .whitespaces)
                guard !ref.isEmpty else { Output.error("usage: /load MODEL\n"); continue }
                do {
                    var options = modelOptions
                    options.model = ref
                    engine = try options.load()
                    session = ChatSession(engine: engine, system: system)
                    Output.line(style.dim + "(loaded \(ref))" + style.reset)
                } catch {
                    Output.error("r1: \(error)\n")
                }
                continue
            }
            if text.hasPrefix("/") {
                if try command(text, session: session, parameters: &parameters, style: style) { break }
                continue
            }
            let stream = session.send(text, parameters: parameters)
            let task = Task { try await render(stream, interactive: interactive, style: style) }
            current.set(task)
            let result = await task.result
            current.set(nil)
            if case .failure(let error) = result { Output.error("r1: \(error)\n") }
        }
    }

    /// Streams one answer; returns when it is done or cancelled.
    func render(_ stream: AsyncThrowingStream<GenerationEvent, any Error>, interactive: Bool, style: TerminalStyle) async throws {
        var printer = ReasoningPrinter(style: style)
        var thinking = (tokens: 0, start: Date(), shown: false, inContent: false, started: false)
        var stats: GenerationStats?
        let write: (String) -> Void = { interactive ? Output.write($0) : Output.error($0) }  // thinking: stderr when piped
        func summary() {
            guard hideThinking, thinking.tokens > 0, !thinking.shown else { return }
            thinking.shown = true
            let line = String(format: "thought for %d tokens, %.1f s", thinking.tokens, Date().timeIntervalSince(thinking.start))
            if interactive { Output.write("\r\u{1B}[2K\(style.dim)\(line)\(style.reset)\n") } else { Output.error(line + "\n") }
        }
        for try await event in stream {
            switch event {
            case .token(let t):
                if !thinking.inContent && !t.forced { thinking.tokens += 1 }
            case .reasoning(let s):
                if hideThinking {
                    if interactive && !thinking.shown && !thinking.started { Output.write("\(style.dim)thinking…\(style.reset)") }
                    thinking.started = true
                } else {
                    write(printer.reasoning(s))
                }
            case .content(let s):
                if !thinking.inContent {
                    thinking.inContent = true
                    thinking.tokens -= 1  // the token that brought this text is the answer's
                    summary()
                    if !hideThinking && !interactive { Output.error(printer.end()) }
                }
                Output.write(interactive ? printer.content(s) : s)
            case .done(let s):
                stats = s
            }
        }
        if !thinking.inContent { summary() }
        if interactive {
            Output.write(printer.end())
        } else {
            if !thinking.inContent && !hideThinking { Output.error(printer.end()) }
            Output.line("")  // one answer line per question, even an empty one
        }
        if let s = stats {
            let line = statsLine(s)
            if interactive { Output.line(style.dim + line + style.reset) } else { Output.error(line + "\n") }
        } else {
            if interactive { Output.line(style.dim + "[stopped]" + style.reset) } else { Output.error("[stopped]\n") }
        }
    }

    /// Runs a /command; true means quit.
    func command(_ text: String, session: ChatSession, parameters: inout GenerationParameters, style: TerminalStyle) throws -> Bool {
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        let say: (String) -> Void = { style.enabled ? Output.line(style.dim + $0 + style.reset) : Output.error($0 + "\n") }
        switch parts[0] {
        case "/quit", "/exit", "/q":
            return true
        case "/reset":
            session.reset()
            say("(conversation cleared)")
        case "/think":
            let arg = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            if arg == "off" || arg == "none" || arg == "unlimited" {
                parameters.thinkingBudget = nil
                say("(thinking unlimited)")
            } else if let n = Int(arg), n >= 0 {
                parameters.thinkingBudget = n
                say(n == 0 ? "(thinking off)" : "(thinking budget \(n) tokens)")
            } else {
                say("usage: /think N (0 skips thinking) or /think off (no budget); now \(parameters.thinkingBudget.map(String.init) ?? "unlimited")")
            }
        case "/set":
            say(parameters.set(parts.count > 1 ? parts[1] : ""))
        case "/max":
            if parts.count > 1, let n = Int(parts[1].trimmingCharacters(in: .whitespaces)), n > 0 {
                parameters.maxTokens = n
                say("(at most \(n) tokens per answer)")
            } else {
                say("usage: /max N; now \(parameters.maxTokens)")
            }
        case "/stats":
            let h = session.history
            let sum = { (f: (GenerationStats) -> Int) in h.reduce(0) { $0 + f($1) } }
            let seconds = h.reduce(0.0) { $0 + $1.generateSeconds }
            say(String(format: "%d answers; %d tokens thinking, %d answering, %d prompt tokens (%d reused); %.1f tok/s; budget %@",
                       h.count, sum(\.reasoningTokens), sum(\.contentTokens), sum(\.promptTokens), sum(\.promptTokensReused),
                       seconds > 0 ? Double(sum(\.generatedTokens)) / seconds : 0,
                       parameters.thinkingBudget.map(String.init) ?? "unlimited"))
            if let last = h.last { say("last: " + statsLine(last)) }
        case "/save":
            guard parts.count > 1 else { say("usage: /save FILE"); break }
            let path = (parts[1].trimmingCharacters(in: .whitespaces) as NSString).expandingTildeInPath
            do {
                try session.jsonData().write(to: URL(fileURLWithPath: path))
                say("(saved \(session.turns.count) messages to \(path))")
            } catch {
                say("cannot write \(path): \(error.localizedDescription)")
            }
        default:
            say("commands: /reset, /think N, /think off, /max N, /set PARAM VALUE, /load MODEL, /stats, /save FILE, /quit")
        }
        return false
    }
}

/// The generation the SIGINT handler cancels.
final class CurrentGeneration: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, any Error>?

    func set(_ t: Task<Void, any Error>?) { lock.withLock { task = t } }

    /// Cancels the running generation; false when none runs.
    func cancel() -> Bool {
        lock.withLock {
            guard let t = task else { return false }
            t.cancel()
            return true
        }
    }
}
