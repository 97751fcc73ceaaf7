// What the runtime needs from a model: a cache per sequence, a forward pass for one sequence, and one batched decode
// step over many. The Decoder-backed model implements it for real; tests use a scripted model.
import Foundation
import R1Kernels
import R1Models

/// A sequence's position state (a KV cache for the real model).
public protocol SequenceCache: AnyObject {
    /// Positions filled so far.
    var count: Int { get }
    var capacity: Int { get }
    /// Forgets every position from `position` on.
    func truncate(to position: Int)
}

extension KVCache: SequenceCache {}

public protocol LanguageModel: AnyObject, Sendable {
    var vocabSize: Int { get }
    var contextLength: Int { get }
    func makeCache() -> any SequenceCache
    /// Runs `tokens` at positions cache.count..., appending to the cache; returns the last token's logits (vocab).
    func forward(_ tokens: [Int], cache: any SequenceCache) -> [Float]
    /// One token for each sequence, each at its own position; returns logits (tokens.count, vocab).
    func forwardBatch(_ tokens: [Int], caches: [any SequenceCache]) -> [Float]
}

extension LanguageModel {
    /// Sequence by sequence; models with a real batched step override it.
    public func forwardBatch(_ tokens: [Int], caches: [any SequenceCache]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(tokens.count * vocabSize)
        for (t, c) in zip(tokens, caches) { out += forward([t], cache: c) }
        return out
    }
}

/// The real model: a Decoder and the thread pool it runs on. Forward passes are serialized (the decoder's scratch and
/// the pool are single-caller), so an Engine and a BatchScheduler may share one model, interleaving per step.
public final class DecoderModel: LanguageModel, @unchecked Sendable {
    public let decoder: Decoder
    public let pool: ThreadPool
    private let workspace = BatchWorkspace()
    private let lock = NSLock()

    public init(decoder: Decoder, pool: ThreadPool) {
        self.decoder = decoder
        self.pool = pool
    }

    public var vocabSize: Int { decoder.config.vocabSize }
    public var contextLength: Int { decoder.config.contextLength }
    public func makeCache() -> any SequenceCache { decoder.makeCache() }

    public func forward(_ tokens: [Int], cache: any SequenceCache) -> [Float] {
        lock.withLock { decoder.forward(tokens, cache: cache as! KVCache, pool: pool) }
    }

    public func forwardBatch(_ tokens: [Int], caches: [any SequenceCache]) -> [Float] {
        lock.withLock { decoder.forwardBatch(tokens: tokens, caches: caches.map { $0 as! KVCache }, pool: pool, workspace: workspace) }
    }
}
