// `r1` with no arguments: the built-in default model answers one arithmetic problem (R1Eval's ReasoningDemo),
// thinking dimmed on a terminal, the answer checked; then how to chat and how to get bigger models.
import ArgumentParser
import Foundation
import R1DefaultModel
import R1Eval
import R1Models
import R1Runtime

struct DefaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "The built-in default model answers an arithmetic problem (what `r1` alone runs).")

    static let biggerModel = "unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF:Q4_K_M"

    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate, thinking included.")
    var maxTokens = 400
    @OptionGroup var kernelOptions: KernelOptions

    func validate() throws {
        if maxTokens <= 0 { throw ValidationError("--max-tokens must be positive, got \(maxTokens)") }
    }

    func run() async throws {
        let style = TerminalStyle(enabled: isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
        let path = try resolveModelPath(DefaultModel.name)
        let engine = try Engine(model: try ModelLoader.load(path: path), kernels: try kernelOptions.policy())
        try await Self.demo(engine: engine, modelPath: path, maxTokens: maxTokens, style: style, write: Output.write)
    }

    /// The demo on a loaded engine, every line through `write`.
    static func demo(engine: Engine, modelPath: String, maxTokens: Int, style: TerminalStyle,
                     write: (String) -> Void) async throws {
        guard engine.formatter != nil else { throw CLIError("\(modelPath): the default model has no tokenizer") }
        let demo = ReasoningDemo(maxTokens: maxTokens)
        let params = engine.loaded.map { " · " + formatCount($0.parameterCount) + " parameters" } ?? ""
        write(style.dim + "r1 · the built-in default model\(params) · \(modelPath)" + style.reset + "\n\n")
        write(style.bold + "Question: " + style.reset + demo.problem.question + "\n\n")
        var printer = ReasoningPrinter(style: style)
        let outcome = try await demo.run(on: engine) { event in
            switch event {
            case .reasoning(let s): write(printer.reasoning(s))
            case .content(let s): write(printer.content(s))
            default: break
            }
        }
        write(printer.end() + "\n")
        if outcome.correct {
            write("✓ correct: \(demo.expected)\n")
        } else {
            let why = outcome.answer.allSatisfy(\.isWhitespace) ? " (no answer within \(maxTokens) tokens)" : ""
            write("✗ wrong\(why); the answer is \(demo.expected)\n")
        }
        write(style.dim + statsLine(outcome.stats) + style.reset + "\n\n")
        write("Chat with this model:  r1 chat\n")
        write("Bigger models:         r1 pull \(biggerModel)\n")
        write("                       r1 run \(biggerModel)\n")
    }
}
