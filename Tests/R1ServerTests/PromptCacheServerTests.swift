// The shared prompt cache through the HTTP API over the real tiny model: a request that repeats an earlier one's
// prompt and adds to it reads the earlier blocks from the cache; OpenAI's usage says how many
// (prompt_tokens_details.cached_tokens), Ollama's prompt_eval_count counts only what was evaluated, and a server
// without the cache reports none.
import Foundation
import Hummingbird
import HummingbirdTesting
import R1Models
import R1Runtime
@testable import R1Server
import Testing

@Suite struct PromptCacheServerTests {
    static let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 6)

    func serve(cache: PrefixCache?, _ body: @escaping @Sendable (any TestClientProtocol, EngineBackend) async throws -> Void) async throws {
        let engine = try Engine(model: ModelLoader.load(path: EngineBackendTests.tiny, contextLength: 512), threads: 1, kernels: .test)
        let backend = EngineBackend(engine: engine, modelName: "tiny", parallel: 2, queueCapacity: 4,
                                    defaultSampling: .greedy, promptCache: cache)
        try await Application(router: buildRouter(backend: backend)).test(.router) { try await body($0, backend) }
    }

    static func completion(_ prompt: String) -> String {
        #"{"prompt":"\#(prompt)","max_tokens":4,"temperature":0}"#
    }

    @Test func cachedTokensAreReportedAndOnlyTheRestIsEvaluated() async throws {
        try await serve(cache: PrefixCache(capacity: .tokens(4096), blockTokens: 16)) { client, backend in
            let first = try json(try await post(client, "/v1/completions", Self.completion(Self.long)).body)
            let firstUsage = try #require(first["usage"] as? [String: Any])
            let firstPrompt = try #require(firstUsage["prompt_tokens"] as? Int)
            #expect((firstUsage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == 0)

            let chat = #"{"model":"tiny","messages":[{"role":"user","content":"\#(Self.long)"}],"max_tokens":3,"temperature":0}"#
            _ = try await post(client, "/v1/chat/completions", chat)
            let again = try json(try await post(client, "/v1/chat/completions", chat).body)
            let usage = try #require(again["usage"] as? [String: Any])
            let prompt = try #require(usage["prompt_tokens"] as? Int)
            let cached = try #require((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int)
            // the same prompt again: every position but the last, which is run for its logits
            #expect(cached == prompt - 1)
            #expect(firstPrompt > 32)

            // Ollama: prompt_eval_count is what was evaluated
            let ollama = #"{"model":"tiny","prompt":"\#(Self.long) And then?","raw":true,"stream":false,"options":{"num_predict":2,"temperature":0}}"#
            let o = try json(try await post(client, "/api/generate", ollama).body)
            let evaluated = try #require(o["prompt_eval_count"] as? Int)
            #expect(evaluated > 0 && evaluated < firstPrompt / 2, "evaluated \(evaluated) of \(firstPrompt)+")
            #expect(backend.promptCache!.statistics.hits >= 2)

            // /metrics reports the cache as its statistics say
            let stats = backend.promptCache!.statistics
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("r1_prompt_cache_hits_total \(stats.hits)\n"))
            #expect(metrics.contains("r1_prompt_cache_hit_tokens_total \(stats.hitTokens)\n"))
            #expect(metrics.contains("r1_prompt_cache_bytes \(stats.bytes)\n") && stats.bytes > 0)
            #expect(metrics.contains("r1_kv_used_bytes ") && !metrics.contains("r1_kv_budget_bytes"))
        }
    }

    @Test func withoutTheCacheNothingIsCached() async throws {
        try await serve(cache: nil) { client, _ in
            for _ in 0..<2 {
                let o = try json(try await post(client, "/v1/completions", Self.completion(Self.long)).body)
                let usage = try #require(o["usage"] as? [String: Any])
                #expect((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == 0)
            }
        }
    }
}
