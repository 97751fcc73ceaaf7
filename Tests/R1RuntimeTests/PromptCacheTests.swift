// The prompt cache shared across requests: a sequence restored from cached blocks computes the same logits and the
// same greedy tokens as one that read its whole prompt, whether the hit ends on a block boundary, mid-block, or the
// prompt is a strict prefix of a cached sequence; blocks go least-recently-used; the scheduler reports what it reused.
import Foundation
import R1Kernels
import R1Models
import Testing
@testable import R1Runtime

@Suite struct PromptCacheTests {
    static let prompt = (0..<45).map { ($0 * 37 + 11) % 300 }

    /// Logits of `ids` read whole, and read after restoring what `shared` holds; returns (worst |diff|, restored).
    func compare(_ decoder: Decoder, _ shared: PrefixCache, _ ids: [Int], pool: ThreadPool) -> (Float, Int) {
        let ws = decoder.makeWorkspace()
        let whole = decoder.forward(ids, cache: decoder.makeCache(), workspace: ws, pool: pool)
        let cache = decoder.makeCache()
        let restored = shared.restore(ids, limit: ids.count - 1, into: cache)
        #expect(cache.count == restored)
        let rest = decoder.forward(Array(ids[restored...]), cache: cache, workspace: ws, pool: pool)
        return (zip(whole, rest).map { abs($0 - $1) }.max()!, restored)
    }

    @Test(arguments: ["qwen2-tiny", "llama-tiny", "qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf"])
    func hitsComputeWhatAFullPrefillComputes(_ name: String) throws {
        let decoder = try #require(try ModelLoader.load(path: Fixture.model(name)).decoder)
        let pool = ThreadPool(threads: 2, kernels: .test)
        let shared = PrefixCache(capacity: .tokens(1 << 12), blockTokens: 16)
        // a cached sequence of 45 positions: blocks 0..<16, 16..<32 and a partial one of the 13 after them
        let cached = decoder.makeCache()
        _ = decoder.forward(Self.prompt, cache: cached, workspace: decoder.makeWorkspace(), pool: pool)
        shared.store(Self.prompt, from: cached)
        #expect(shared.statistics.blocks == 3)

        // a hit ending on a block boundary: the first 32 tokens, then others
        let boundary = Array(Self.prompt[..<32]) + [5, 6, 7, 8]
        // a hit ending mid-block: 16 + 9 tokens shared, then the prompt goes its own way
        let midBlock = Array(Self.prompt[..<25]) + [1, 2, 3]
        // a prompt that is a strict prefix of the cached one: all but its last token come from the cache
        let prefix = Array(Self.prompt[..<21])
        // nothing in common
        let miss = [9, 9, 9, 9]
        for (ids, expected) in [(boundary, 32), (midBlock, 25), (prefix, 20), (miss, 0)] {
            let (worst, restored) = compare(decoder, shared, ids, pool: pool)
            #expect(restored == expected, "\(ids.count)-token prompt")
            #expect(worst <= 1e-5, "\(name), restored \(restored): max |cached - whole| = \(worst)")
        }
        #expect(shared.statistics.hits == 3)
        #expect(shared.statistics.hitTokens == 32 + 25 + 20)
    }

    @Test func greedyThroughTheSchedulerIsTheSameWithAndWithoutTheCache() async throws {
        let loaded = try ModelLoader.load(path: Fixture.model("qwen2-tiny"))
        let engine = try Engine(model: loaded, threads: 2, kernels: .test)
        let shared = PrefixCache(capacity: .tokens(1 << 12), blockTokens: 16)
        let withCache = BatchScheduler(engine: engine, configuration: .init(maxBatch: 2, prefillChunk: 16, promptCache: shared))
        defer { withCache.shutdown() }
        let without = BatchScheduler(engine: engine, configuration: .init(maxBatch: 2, prefillChunk: 16))
        defer { without.shutdown() }
        let parameters = greedy(maxTokens: 12) { $0.loopGuard = nil }
        let first = try await collect(withCache.generate(.promptIds(Self.prompt), parameters: parameters))
        #expect(first.stats.promptTokensReused == 0)
        // the next turn: the whole first sequence (prompt and answer) and more
        let turn2 = Self.prompt + first.ids.dropLast() + [40, 41, 42]
        for ids in [turn2, Array(Self.prompt[..<25]) + [1, 2, 3], Array(Self.prompt[..<21])] {
            let hit = try await collect(withCache.generate(.promptIds(ids), parameters: parameters))
            let plain = try await collect(without.generate(.promptIds(ids), parameters: parameters))
            #expect(hit.stats.promptTokensReused > 0)
            #expect(plain.stats.promptTokensReused == 0)
            #expect(hit.ids == plain.ids, "\(ids.count)-token prompt, \(hit.stats.promptTokensReused) cached")
            let worst = zip(hit.tokens, plain.tokens).map { abs($0.logprob - $1.logprob) }.max() ?? 0
            #expect(worst <= 1e-4, "logprobs: \(worst)")
        }
        // the answer's positions were kept too: turn 2 reuses past the first prompt
        let again = try await collect(withCache.generate(.promptIds(turn2), parameters: parameters))
        #expect(again.stats.promptTokensReused == turn2.count - 1)
    }

    @Test func onlyTheNewTokensAreRunAndReusedIsReported() async throws {
        let model = ScriptedModel(script: [40, 41, 42, Fixture.eos])
        let shared = PrefixCache(capacity: .tokens(256), blockTokens: 4)
        let scheduler = BatchScheduler(engine: scriptedEngine(model), configuration: .init(promptCache: shared))
        defer { scheduler.shutdown() }
        let prompt = Array(1...22)
        _ = try await collect(scheduler.generate(.promptIds(prompt), parameters: greedy()))
        let before = model.processed.load(ordering: .relaxed)
        let next = prompt + [30, 31]
        let o = try await collect(scheduler.generate(.promptIds(next), parameters: greedy()))
        // the first left 22 + 3 positions (40, 41, 42 fed; EOS not), 24 of them in whole blocks of 4: the next prompt
        // takes 20 in whole blocks and 2 of the block [21, 22, 40, 41]
        #expect(o.stats.promptTokensReused == 22)
        #expect(o.stats.promptTokens == next.count)
        let ran = model.processed.load(ordering: .relaxed) - before
        #expect(ran == 2 + 3)  // 30, 31, then 40, 41, 42 fed
        // a request that opts out reads its prompt in full
        let off = try await collect(scheduler.generate(.promptIds(next), parameters: greedy { $0.reusePromptCache = false }))
        #expect(off.stats.promptTokensReused == 0)
    }

    @Test func leastRecentlyUsedBlocksGoFirst() throws {
        let model = ScriptedModel(script: [1])
        let shared = PrefixCache(capacity: .tokens(16), blockTokens: 4)  // 4 blocks
        func stored(_ ids: [Int]) {
            let c = model.makeCache(capacity: nil, type: .f16)
            c.tokens = ids
            shared.store(ids, from: c)
        }
        func restored(_ ids: [Int]) -> Int { shared.restore(ids, limit: ids.count, into: model.makeCache(capacity: nil, type: .f16)) }
        let a = Array(0..<8), b = Array(100..<108), c = Array(200..<208)
        stored(a)
        stored(b)
        #expect(shared.statistics.blocks == 4)
        #expect(restored(a) == 8)   // a is now the more recent
        stored(c)                   // evicts b's blocks, leaf first
        #expect(shared.statistics.blocks == 4 && shared.statistics.evictedBlocks == 2)
        #expect(restored(b) == 0)
        #expect(restored(a) == 8)
        #expect(restored(c) == 8)
        // a sequence longer than the whole cache keeps what fits of its start
        stored(Array(300..<340))
        #expect(restored(Array(300..<340)) == 16)
    }

    @Test func sizesParse() throws {
        #expect(try CacheSize(parsing: "4GiB") == .bytes(4 << 30))
        #expect(try CacheSize(parsing: "4G") == .bytes(4 << 30))
        #expect(try CacheSize(parsing: "1.5GB") == .bytes(1_500_000_000))
        #expect(try CacheSize(parsing: "512MiB") == .bytes(512 << 20))
        #expect(try CacheSize(parsing: "32768tokens") == .tokens(32768))
        #expect(try CacheSize(parsing: "1000") == .bytes(1000))
        #expect(throws: GenerationError.self) { try CacheSize(parsing: "lots") }
        #expect(throws: GenerationError.self) { try CacheSize(parsing: "-1GiB") }
        #expect(throws: GenerationError.self) { try CacheSize(parsing: "xtokens") }
    }
}
