// `r1` with no arguments: the demo's sections end to end on the shipped default model (a small token cap: debug
// builds are slow), the ✓ path on a scripted model, and `default` as the MODEL that commands take when left out.
import ArgumentParser
import Foundation
import R1Eval
import R1Models
import R1Runtime
import Testing
@testable import r1

/// Runs the demo with everything written captured.
func demoOutput(engine: Engine, modelPath: String, maxTokens: Int, style: TerminalStyle = TerminalStyle(enabled: false)) async throws -> String {
    let sink = TextSink()
    try await DefaultCommand.demo(engine: engine, modelPath: modelPath, maxTokens: maxTokens, style: style, write: sink.write)
    return sink.text
}

final class TextSink: @unchecked Sendable {
    var text = ""
    func write(_ s: String) { text += s }
}

@Suite struct DefaultDemoTests {
    @Test func problemIsFixed() {
        let demo = ReasoningDemo()
        #expect(demo.problem == ArithmeticTask.generate(seed: ReasoningDemo.seed, difficulty: 1, count: 1)[0])
        #expect(demo.problem.question.hasPrefix("What is "))
        #expect(checkAnswer(demo.problem, response: "so \\boxed{\(demo.expected)}"))
        #expect(demo.parameters.sampling.temperature == 0 && demo.parameters.maxTokens == 400)
    }

    @Test func runsOnTheShippedModel() async throws {
        let path = try resolveModelPath("default")
        let engine = try Engine(model: ModelLoader.load(path: path), threads: 1, kernels: .test)
        let out = try await demoOutput(engine: engine, modelPath: path, maxTokens: 8)
        let demo = ReasoningDemo(maxTokens: 8)
        #expect(out.contains("built-in default model"))
        #expect(out.contains("Question: " + demo.problem.question))
        #expect(out.contains("✓") || out.contains("✗ wrong"))
        #expect(out.contains(demo.expected))
        #expect(out.contains("r1 chat"))
        #expect(out.contains("r1 pull unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF:Q4_K_M"))
        #expect(out.contains("r1 run unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF:Q4_K_M"))
        #expect(!out.contains("\u{1B}["), "no escape codes without a terminal")
    }

    @Test func rightAnswerGetsACheckMark() async throws {
        let demo = ReasoningDemo()
        let script = Fixture.ids("add them") + [Fixture.endThink] + Fixture.ids("\n\n\\boxed{\(demo.expected)}") + [Fixture.eos]
        let engine = scriptedEngine(ScriptedModel(script: script))
        let out = try await demoOutput(engine: engine, modelPath: "scripted", maxTokens: 64, style: TerminalStyle(enabled: true))
        #expect(out.contains("✓ correct: \(demo.expected)"))
        #expect(out.contains("\u{1B}[2madd them\u{1B}[0m"), "thinking dimmed: \(out)")
    }

    @Test func modelArgumentDefaultsToDefault() throws {
        #expect(try ModelOptions.parse([]).model == "default")
        #expect(try InfoCommand.parse([]).model == "default")
        #expect(try ChatCommand.parse([]).modelOptions.model == "default")
        #expect(try GenerateCommand.parse(["--prompt", "hi"]).modelOptions.model == "default")
        #expect(try TokenizeCommand.parse(["--text", "hi"]).tokenizer == "default")
        #expect(throws: (any Error).self) { try EvalRunCommand.parse(["builtin:arithmetic", "--model", "a", "--endpoint", "http://x"]) }
        #expect(try EvalRunCommand.parse(["builtin:arithmetic"]).model == nil)
    }
}
