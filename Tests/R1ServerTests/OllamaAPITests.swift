// Ollama's API beyond /api/chat, against the scripted backend and the real tiny model: /api/generate (streamed and
// not, raw, system, the load request, refusals), think levels as budgets, keep_alive durations, num_ctx, and
// /api/show, /api/ps, /api/tags describing the model.
import Foundation
import Hummingbird
import HummingbirdTesting
import R1Models
import R1Runtime
@testable import R1Server
import Testing

@Suite struct OllamaAPITests {
    func ndjson(_ r: TestResponse) -> [[String: Any]] {
        String(buffer: r.body).split(separator: "\n").map { try! json(ByteBuffer(string: String($0))) }
    }

    @Test func generateStreamsResponseAndThinking() async throws {
        let backend = ScriptedBackend()
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/api/generate", #"{"model":"r1-test","prompt":"What is 2+2?","system":"Be brief."}"#)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/x-ndjson")
            let lines = ndjson(r)
            #expect(lines.dropLast().allSatisfy { $0["done"] as? Bool == false && $0["message"] == nil })
            #expect(lines.compactMap { $0["thinking"] as? String }.joined() == "Let me think.")
            #expect(lines.compactMap { $0["response"] as? String }.joined() == "The answer is 4.")
            let last = try #require(lines.last)
            #expect(last["done"] as? Bool == true && last["done_reason"] as? String == "stop" && last["eval_count"] as? Int == 5)
            // the system prompt and the user's prompt went through the template as two messages
            guard case .chat(let messages, _)? = backend.lastRequest.withLock({ $0?.prompt }) else { throw TestFailure("not chat") }
            #expect(messages.count == 2)

            let one = try json(try await post(client, "/api/generate", #"{"prompt":"hi","stream":false,"think":false}"#).body)
            #expect(one["response"] as? String == "The answer is 4.")
            #expect(one["thinking"] == nil)
            #expect(backend.lastRequest.withLock { $0?.thinkingBudget } == 0)

            _ = try await post(client, "/api/generate", #"{"prompt":"hi","raw":true,"stream":false}"#)
            guard case .text(let text)? = backend.lastRequest.withLock({ $0?.prompt }) else { throw TestFailure("raw was templated") }
            #expect(text == "hi")

            let load = try json(try await post(client, "/api/generate", #"{"model":"r1-test"}"#).body)
            #expect(load["done"] as? Bool == true && load["done_reason"] as? String == "load" && load["response"] as? String == "")
        }
    }

    @Test func generateRefusesWhatItCannotDo() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            for (body, field) in [(#"{"prompt":"x","images":["aGk="]}"#, "images"), (#"{"prompt":"x","template":"{{ .Prompt }}"}"#, "template"),
                                  (#"{"prompt":"x","suffix":"end"}"#, "suffix"), (#"{"prompt":"x","context":[1,2,3]}"#, "context"),
                                  (#"{"prompt":"x","think":"max"}"#, "think"), (#"{"prompt":"x","think":3}"#, "think"),
                                  (#"{"prompt":"x","keep_alive":"5 minutes"}"#, "keep_alive"),
                                  (#"{"prompt":"x","options":{"num_ctx":0}}"#, "num_ctx"), (#"{"prompt":7}"#, "prompt")] {
                let r = try await post(client, "/api/generate", body)
                #expect(r.status == .badRequest, "\(body)")
                let error = try json(r.body)["error"] as? String ?? ""
                #expect(error.contains(field), "\(body): \(error)")
            }
            let missing = try await post(client, "/api/generate", #"{"model":"other","prompt":"x"}"#)
            #expect(missing.status == .notFound)
        }
    }

    @Test func generateTakesAFormat() async throws {
        let backend = ScriptedBackend()
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/api/generate", #"{"prompt":"hi","stream":false,"format":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}"#)
            #expect(r.status == .ok)
            #expect(backend.lastRequest.withLock { $0?.parameters.grammar } != nil)
            _ = try await post(client, "/api/generate", #"{"prompt":"hi","stream":false,"format":"json"}"#)
            #expect(backend.lastRequest.withLock { $0?.parameters.grammar } != nil)
            let bad = try await post(client, "/api/generate", #"{"prompt":"hi","format":{"type":"object","patternProperties":{}}}"#)
            #expect(bad.status == .badRequest)
            #expect((try json(bad.body)["error"] as? String ?? "").contains("patternProperties"))
        }
    }

    @Test func thinkLevelsAreBudgets() async throws {
        let backend = ScriptedBackend()
        try await app(backend).test(.router) { client in
            for (level, budget) in [("low", 1024), ("medium", 4096)] {
                _ = try await post(client, "/api/chat", #"{"messages":[{"role":"user","content":"hi"}],"stream":false,"think":"\#(level)"}"#)
                #expect(backend.lastRequest.withLock { $0?.thinkingBudget } == budget)
            }
            _ = try await post(client, "/api/chat", #"{"messages":[{"role":"user","content":"hi"}],"stream":false,"think":"high"}"#)
            #expect(backend.lastRequest.withLock { $0?.thinkingBudget } == nil)
        }
    }

    @Test func numCtxCapsTheDefaultLength() async throws {
        let backend = ScriptedBackend(contextLength: 64)
        try await app(backend).test(.router) { client in
            _ = try await post(client, "/api/generate", #"{"prompt":"hi","stream":false,"options":{"num_ctx":16}}"#)
            #expect(backend.lastRequest.withLock { $0?.parameters.maxTokens } == 16)
            _ = try await post(client, "/api/generate", #"{"prompt":"hi","stream":false,"options":{"num_ctx":100000}}"#)
            #expect(backend.lastRequest.withLock { $0?.parameters.maxTokens } == 64)
            _ = try await post(client, "/api/generate", #"{"prompt":"hi","stream":false,"options":{"num_predict":3}}"#)
            #expect(backend.lastRequest.withLock { $0?.parameters.maxTokens } == 3)
        }
    }

    @Test func keepAliveDurations() {
        #expect(OllamaCommon.duration("5m") == 300)
        #expect(OllamaCommon.duration("1h30m") == 5400)
        #expect(OllamaCommon.duration("2.5s") == 2.5)
        #expect(OllamaCommon.duration("300ms") == 0.3)
        #expect(OllamaCommon.duration("-1") == -1)
        #expect(OllamaCommon.duration("-1m") == -60)
        #expect(OllamaCommon.duration("10") == 10)
        #expect(OllamaCommon.duration("5 minutes") == nil)
        #expect(OllamaCommon.duration("m") == nil)
        #expect(OllamaCommon.duration("") == nil)
    }

    @Test func showPsAndTagsDescribeTheModel() async throws {
        let engine = try Engine(model: ModelLoader.load(path: EngineBackendTests.tiny, contextLength: 256), threads: 1)
        let served = ServedModel.describing(engine, name: "tiny", parameters: "temperature 0.6\ntop_p 0.95", digest: { "abc123" })
        let backend = EngineBackend(engine: engine, modelName: "tiny", queueCapacity: 2, defaultSampling: .greedy, served: served)
        try await Application(router: buildRouter(backend: backend, configuration: .init())).test(.router) { client in
            let show = try await post(client, "/api/show", #"{"model":"tiny"}"#)
            #expect(show.status == .ok)
            let s = try json(show.body)
            let details = try #require(s["details"] as? [String: Any])
            #expect(details["family"] as? String == "qwen2")
            #expect(details["format"] as? String == "safetensors")
            #expect((details["parameter_size"] as? String)?.isEmpty == false)
            #expect((details["quantization_level"] as? String)?.isEmpty == false)
            let info = try #require(s["model_info"] as? [String: Any])
            #expect(info["general.architecture"] as? String == "qwen2")
            #expect(info["general.parameter_count"] as? Int == engine.loaded?.parameterCount)
            #expect(info["qwen2.block_count"] as? Int == engine.loaded?.decoder?.config.layerCount)
            #expect((s["template"] as? String)?.contains("<think>") == true)
            #expect(s["parameters"] as? String == "temperature 0.6\ntop_p 0.95")
            #expect((s["capabilities"] as? [String])?.contains("completion") == true)
            #expect(try await post(client, "/api/show", #"{"model":"nope"}"#).status == .notFound)
            #expect(try await post(client, "/api/show", #"{}"#).status == .badRequest)

            let tags = try json(try await client.execute(uri: "/api/tags", method: .get).body)
            let model = try #require((tags["models"] as? [[String: Any]])?.first)
            #expect(model["name"] as? String == "tiny" && model["digest"] as? String == "abc123")
            #expect((model["size"] as? Int ?? 0) > 0)

            _ = try await post(client, "/api/generate", #"{"prompt":"hi","stream":false,"keep_alive":-1,"options":{"num_predict":2}}"#)
            let ps = try json(try await client.execute(uri: "/api/ps", method: .get).body)
            let running = try #require((ps["models"] as? [[String: Any]])?.first)
            #expect(running["context_length"] as? Int == 256)
            #expect((running["expires_at"] as? String)?.hasPrefix("9999-12-31") == true)
            #expect(running["size_vram"] as? Int == 0)
        }
    }
}
