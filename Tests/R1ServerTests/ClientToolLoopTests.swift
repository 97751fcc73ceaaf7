// The official Python clients (`openai`, `ollama`) running a tool-calling loop against the live server and a scripted
// model that reads real chat templates: scripts/server/tools_e2e.py. Runs when R1_E2E_PYTHON names a Python with both
// packages (scripts/test.sh sets it); without it the test is skipped.
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import R1Runtime
import R1Sampling
@testable import R1Server
import R1Tokenizer
import Synchronization
import Testing

/// A model that answers from its rendered prompt: a call to `get_weather` until the prompt holds that call and the
/// tool's result, then the final answer. What it replies when the history did not survive the template says so.
final class ToolLoopBackend: InferenceBackend {
    let modelName = "tools-e2e"
    let contextLength = 8192
    let template: ChatTemplate
    let toolCallFormat: ToolCallFormat
    let gate = AdmissionGate(slots: 4, queueCapacity: 8)

    init(template: String, format: ToolCallFormat) throws {
        self.template = try ChatTemplate(String(decoding: try Data(contentsOf: TemplateFiles.url(template)), as: UTF8.self))
        toolCallFormat = format
    }

    var load: BackendLoad { gate.load }
    var defaultSampling: SamplingParameters { SamplingParameters(temperature: 0.6, topP: 0.95) }
    func tokenText(_ id: Int) -> String { "t\(id)" }

    /// The call as the model writes it, and as the template renders it back.
    var call: (written: String, rendered: String) {
        switch toolCallFormat {
        case .deepseek:
            let c = "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>"
            return ("<｜tool▁calls▁begin｜>" + c + "<｜tool▁calls▁end｜>", c)
        case .hermes, .llama3:
            let c = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
            return (c, c)
        }
    }

    func reply(_ prompt: String, tools: [JinjaValue]) -> String {
        guard !tools.isEmpty else { return "No tools were offered." }
        if toolCallFormat == .hermes, !prompt.contains("\"name\": \"get_weather\"") { return "The template did not show the tools." }
        guard prompt.contains("sunny") else { return (toolCallFormat == .deepseek ? "" : "Let me look.") + call.written }
        guard prompt.contains(call.rendered) else { return "The call was lost from history: \(prompt)" }
        return "It is sunny in Paris."
    }

    func generate(_ request: ServerGenerationRequest) throws -> GenerationHandle {
        guard case .chat(let messages, let tools) = request.prompt else { throw BackendError.unsupported("chat only") }
        let prompt: String
        do {
            prompt = try PromptFormatter.render(template, messages: messages, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
                                                extra: tools.isEmpty ? [:] : ["tools": .array(tools)])
        } catch {
            throw BackendError.invalid("\(error)", param: "messages")
        }
        // three bytes at a time, cut only between characters: every marker is split somewhere
        var pieces: [String] = [], piece = ""
        for ch in reply(prompt, tools: tools) {
            piece.append(ch)
            if piece.utf8.count >= 3 { pieces.append(piece); piece = "" }
        }
        if !piece.isEmpty { pieces.append(piece) }
        let (events, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        continuation.yield(.reasoning("The user wants the weather."))
        for (i, p) in pieces.enumerated() {
            continuation.yield(.token(GeneratedToken(id: i, logprob: -0.1, top: [], text: p)))
            continuation.yield(.content(p))
        }
        var stats = GenerationStats()
        stats.generatedTokens = pieces.count
        stats.finishReason = .stop
        continuation.yield(.done(stats))
        continuation.finish()
        return GenerationHandle(promptTokens: prompt.utf8.count / 4, opensThinking: true, events: events)
    }
}

enum TemplateFiles {
    static func url(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/chat-templates/templates/\(name)").standardizedFileURL
    }
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/server/tools_e2e.py").standardizedFileURL
}

@Suite(.enabled(if: ProcessInfo.processInfo.environment["R1_E2E_PYTHON"] != nil, "R1_E2E_PYTHON is not set"), .serialized)
struct ClientToolLoopTests {
    /// Runs a process to its end without blocking a thread of the concurrency pool the server answers on: output goes
    /// to a file, the exit comes through the termination handler.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tools-e2e-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = handle
        p.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { c in
            p.terminationHandler = { c.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch { c.resume(throwing: error) }
        }
        try handle.close()
        return (status, String(decoding: try Data(contentsOf: log), as: UTF8.self))
    }

    /// R1's templates (calls rendered back with the arguments' text) and Qwen 2.5's (tools in the system prompt,
    /// arguments as objects) for `openai`; Qwen 2.5's for `ollama`.
    @Test(arguments: [("deepseek-r1-distill-2025-01.jinja", ToolCallFormat.deepseek, "openai"),
                      ("deepseek-r1-0528.jinja", .deepseek, "openai"),
                      ("qwen2.5-tools.jinja", .hermes, "openai"),
                      ("qwen2.5-tools.jinja", .hermes, "ollama")])
    func pythonClientLoop(template: String, format: ToolCallFormat, client: String) async throws {
        let backend = try ToolLoopBackend(template: template, format: format)
        let app = Application(router: buildRouter(backend: backend, configuration: .init()))
        try await app.test(.live) { testClient in
            let port = try #require(testClient.port)
            let python = ProcessInfo.processInfo.environment["R1_E2E_PYTHON"]!
            let (status, output) = try await Self.run(python, [TemplateFiles.script.path, "http://127.0.0.1:\(port)", client])
            print(output)
            #expect(status == 0, "\(template) with \(client):\n\(output)")
        }
    }
}
