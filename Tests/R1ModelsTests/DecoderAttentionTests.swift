// The decoder's attention with R1KernelsC's flash-attention kernels (DecoderAttention.swift) against its plain Swift
// loop (the `swift` policy), on one layer of random caches shaped like DeepSeek-R1-Distill-Qwen-1.5B (12 query heads,
// 2 KV heads, head dim 128): one token deep in a history (split-K over the threads), a prompt chunk after a history
// (tiles of 8 tokens and their causal tails), and a batched step of sequences at different depths, for each cache
// type. Tolerance 1e-4 relative to the values' scale.
import Foundation
import Testing
import R1Kernels
@testable import R1Models

@Suite struct DecoderAttentionTests {
    static func decoder() throws -> Decoder {
        let path = fixturesRoot.appendingPathComponent("qwen2-tiny-gguf/qwen2-tiny-f32.gguf").path
        let tiny = try ModelLoader.load(path: path, contextLength: 256).decoder!
        var c = tiny.config
        c.headCount = 12
        c.kvHeadCount = 2
        c.headDim = 128
        return Decoder(config: c, weights: tiny.weights, storage: [])  // attention reads the config only
    }

    /// Segments as (depth, tokens): caches filled with random keys and values up to depth + tokens, the step's
    /// queries random; the kernels' output against the Swift loop's.
    func check(_ segments: [(depth: Int, tokens: Int)], type: KVCacheType, threads: Int) throws {
        let kernels = KernelPolicy.test
        guard FlashAttention.supports(kernels) else { return }
        let d = try Self.decoder(), c = d.config
        var rng = SystemRandomNumberGenerator()
        var caches: [KVCache] = [], positions: [Int] = []
        let kvDim = c.kvHeadCount * c.headDim, vScale: Float = 2
        for s in segments {
            let cache = d.makeCache(capacity: s.depth + s.tokens, type: type)
            let n = s.depth + s.tokens
            let k = (0..<(n * kvDim)).map { _ in Float.random(in: -1...1, using: &rng) }
            let v = (0..<(n * kvDim)).map { _ in Float.random(in: -vScale...vScale, using: &rng) }
            cache.store(layer: 0, start: 0, tokens: n, keys: k, values: v)
            cache.count = s.depth
            for t in 0..<s.tokens { caches.append(cache); positions.append(s.depth + t) }
        }
        let n = caches.count, qDim = c.headCount * c.headDim
        let ws = Activations(tokens: n, config: c)
        for i in 0..<(n * qDim) { ws.q[i] = Float.random(in: -3...3, using: &rng) }
        let span = positions.max()! + 1
        func run(_ policy: KernelPolicy) -> [Float] {
            let pool = ThreadPool(threads: threads, kernels: policy)
            ws.attn.update(repeating: .nan, count: n * qDim)
            d.attention(layer: 0, caches: caches, positions: positions, span: span, longest: span, ws: ws,
                        workspace: d.makeWorkspace(), pool: pool)
            return Array(UnsafeBufferPointer(start: ws.attn, count: n * qDim))
        }
        let want = run(.swift), got = run(kernels)
        let worst = zip(got, want).map { $0.isNaN ? Float.infinity : abs($0 - $1) }.max()!
        #expect(worst <= 1e-4 * vScale, "\(segments) \(type) \(threads) threads: max error \(worst)")
    }

    @Test(arguments: [KVCacheType.f16, .q8_0, .f32])
    func oneTokenDeep(type: KVCacheType) throws {
        try check([(1500, 1)], type: type, threads: 2)
        try check([(1500, 1)], type: type, threads: 3)
        try check([(0, 1)], type: type, threads: 2)
    }

    @Test(arguments: [KVCacheType.f16, .q8_0, .f32])
    func promptAfterHistory(type: KVCacheType) throws {
        try check([(300, 21)], type: type, threads: 2)
        try check([(0, 11)], type: type, threads: 2)
    }

    @Test(arguments: [KVCacheType.f16, .q8_0])
    func batchedStep(type: KVCacheType) throws {
        try check([(700, 1), (5, 1), (64, 3), (1030, 1)], type: type, threads: 2)
    }
}
