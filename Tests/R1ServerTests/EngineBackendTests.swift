// EngineBackend over the real tiny model: the prompt is prepared once by the engine, so the handle's opensThinking is
// what the scheduler runs with, and a thinking budget of 0 closes thinking in the prompt as the CLI's chat path does.
import Foundation
import Testing
import R1Models
import R1Runtime
import R1Tokenizer
@testable import R1Server

@Suite struct EngineBackendTests {
    static let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models/qwen2-tiny").path

    @Test func budgetZeroIsPreparedLikeTheCLI() async throws {
        let engine = try Engine(model: ModelLoader.load(path: Self.tiny, contextLength: 256), threads: 1, kernels: .test)
        let backend = EngineBackend(engine: engine, modelName: "tiny", queueCapacity: 2, defaultSampling: .greedy)
        let messages = [PromptFormatter.userMessage("What is 2+2?")]
        var parameters = GenerationParameters(maxTokens: 4, sampling: .greedy)
        let open = try backend.generate(ServerGenerationRequest(prompt: .chat(messages: messages), parameters: parameters))
        #expect(open.opensThinking)
        for try await _ in open.events {}
        parameters.thinkingBudget = 0
        let closed = try backend.generate(ServerGenerationRequest(prompt: .chat(messages: messages), parameters: parameters,
                                                                  thinkingBudget: 0))
        #expect(!closed.opensThinking)
        let cli = try engine.prepare(.chat(messages: messages), parameters: parameters)
        #expect(closed.promptTokens == cli.ids.count)
        for try await _ in closed.events {}
    }
}
