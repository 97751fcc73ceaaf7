// What real clients send beside the messages: logit_bias (OpenAI's token-id map), chat_template_kwargs (passed to
// the template), reasoning_effort (mapped to thinking budgets as Ollama's think levels), cache_prompt (llama.cpp's
// opt-out of the shared prompt cache); each reaches the backend, and a bad value is a 400 naming it.
import Foundation
import Hummingbird
import HummingbirdTesting
import R1Models
import R1Runtime
import R1Tokenizer
@testable import R1Server
import Testing

@Suite struct RequestExtrasTests {
    func chat(_ extra: String) -> String {
        #"{"model":"r1-test","messages":[{"role":"user","content":"hi"}]\#(extra)}"#
    }

    @Test func logitBiasReachesTheSampler() async throws {
        let backend = ScriptedBackend()
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", chat(#","logit_bias":{"12":-100,"7":2.5}"#))
            #expect(r.status == .ok)
            #expect(backend.lastRequest.withLock { $0?.parameters.sampling.logitBias } == [12: -100, 7: 2.5])
            for bad in [#"{"x":1}"#, #"{"-3":1}"#, #"{"5":101}"#, #"{"5":"up"}"#, #"[1]"#] {
                let e = try await post(client, "/v1/chat/completions", chat(#","logit_bias":"# + bad))
                #expect(e.status == .badRequest, "\(bad)")
                let param = (try json(e.body)["error"] as? [String: Any])?["param"] as? String
                #expect(param?.hasPrefix("logit_bias") == true, "\(bad): \(param ?? "nil")")
            }
        }
    }

    @Test func reasoningEffortIsAThinkingBudget() async throws {
        let backend = ScriptedBackend()
        try await app(backend).test(.router) { client in
            for (effort, budget) in [("low", 1024), ("medium", 4096), ("high", nil), ("none", 0), ("minimal", 0)] as [(String, Int?)] {
                let r = try await post(client, "/v1/chat/completions", chat(#","reasoning_effort":"\#(effort)""#))
                #expect(r.status == .ok)
                #expect(backend.lastRequest.withLock { $0?.thinkingBudget } == budget, "\(effort)")
            }
            // an explicit budget wins
            _ = try await post(client, "/v1/chat/completions", chat(#","reasoning_effort":"low","thinking_budget":7"#))
            #expect(backend.lastRequest.withLock { $0?.thinkingBudget } == 7)
            let e = try await post(client, "/v1/chat/completions", chat(#","reasoning_effort":"extreme""#))
            #expect(e.status == .badRequest)
            #expect((try json(e.body)["error"] as? [String: Any])?["param"] as? String == "reasoning_effort")
        }
    }

    @Test func chatTemplateKwargsAndCachePromptReachTheBackend() async throws {
        let backend = ScriptedBackend()
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions",
                                   chat(#","chat_template_kwargs":{"enable_thinking":false,"level":2},"cache_prompt":false"#))
            #expect(r.status == .ok)
            let kwargs = backend.lastRequest.withLock { $0?.templateKwargs } ?? [:]
            guard case .bool(false)? = kwargs["enable_thinking"], case .int(2)? = kwargs["level"] else {
                throw TestFailure("kwargs: \(kwargs)")
            }
            #expect(backend.lastRequest.withLock { $0?.parameters.reusePromptCache } == false)
            _ = try await post(client, "/v1/chat/completions", chat(""))
            #expect(backend.lastRequest.withLock { $0?.parameters.reusePromptCache } == true)
            let e = try await post(client, "/v1/chat/completions", chat(#","chat_template_kwargs":{"messages":[]}"#))
            #expect(e.status == .badRequest)
        }
    }

    @Test func theConfiguredBodyLimitHolds() async throws {
        var configuration = ServerConfiguration()
        configuration.maxBodyBytes = 120
        let long = chat(#","stop":"\#(String(repeating: "x", count: 100))""#)
        try await app(ScriptedBackend(), configuration: configuration).test(.router) { client in
            let small = try await post(client, "/v1/chat/completions", chat(""))
            #expect(small.status == .ok)
            let large = try await post(client, "/v1/chat/completions", long)
            #expect(large.status == .contentTooLarge)
        }
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", long)
            #expect(r.status == .ok)
        }
    }

    /// The tiny model with a Qwen3-style template that reads enable_thinking, in a temporary folder.
    static func kwargsModel() throws -> String {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("r1-kwargs-model-\(getpid())")
        try? fm.removeItem(at: dir)
        try fm.copyItem(atPath: EngineBackendTests.tiny, toPath: dir.path)
        let configURL = dir.appendingPathComponent("tokenizer_config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        config["chat_template"] = "{% for m in messages %}{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}A:"
            + "{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n{% else %}<think>\n{% endif %}{% endif %}"
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return dir.path
    }

    /// The kwargs are template variables: the template sees them (thinking closed in the prompt), and a logit_bias
    /// id outside the vocabulary is refused by the engine's backend.
    @Test func engineBackendRendersKwargsAndChecksBiasIds() async throws {
        let engine = try Engine(model: ModelLoader.load(path: Self.kwargsModel(), contextLength: 256), threads: 1, kernels: .test)
        let backend = EngineBackend(engine: engine, modelName: "tiny", queueCapacity: 2, defaultSampling: .greedy)
        let messages = [PromptFormatter.userMessage("What is 2+2?")]
        var request = ServerGenerationRequest(prompt: .chat(messages: messages), parameters: GenerationParameters(maxTokens: 2, sampling: .greedy))
        let thinking = try backend.generate(request)
        for try await _ in thinking.events {}
        #expect(thinking.opensThinking)
        request.templateKwargs = ["enable_thinking": .bool(false)]
        let direct = try backend.generate(request)
        for try await _ in direct.events {}
        #expect(!direct.opensThinking)
        #expect(direct.promptTokens > thinking.promptTokens)
        request.parameters.sampling.logitBias = [engine.vocabSize: 1]
        #expect(throws: BackendError.self) { _ = try backend.generate(request) }
    }
}
