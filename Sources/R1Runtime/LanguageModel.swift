// What the runtime needs from a model: a cache per sequence, a forward pass for one sequence, and one batched step
// over many (decode tokens and prompt chunks together). The Decoder-backed model implements it for real; tests use
// a scripted model.
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

/// One sequence's part of a batched step: `tokens` to run at cache.count..., and whether the last one's logits are
/// wanted (a decoding sequence, or the final chunk of a prompt).
public struct StepSegment {
    public var tokens: [Int]
    public var cache: any SequenceCache
    public var wantsLogits: Bool
    public init(tokens: [Int], cache: any SequenceCache, wantsLogits: Bool = true) {
        self.tokens = tokens
        self.cache = cache
        self.wantsLogits = wantsLogits
    }
}

public protocol LanguageModel: AnyObject, Sendable {
    var vocabSize: Int { get }
    var contextLength: Int { get }
    func makeCache() -> any SequenceCache
    /// Runs `tokens` at positions cache.count..., appending to the cache; returns the last token's logits (vocab).
    func forward(_ tokens: [Int], cache: any SequenceCache) -> [Float]
    /// One step over several sequences (distinct caches): each segment's tokens at its own positions. Returns per
    /// segment its last token's logits (vocab), or [] where not wanted.
    func forward(segments: [StepSegment]) -> [[Float]]
    /// body(i) for i in 0..<n, on the model's threads where it has them (the scheduler samples its sequences so).
    func parallelFor(_ n: Int, _ body: (Int) -> Void)
}

extension LanguageModel {
    public func parallelFor(_ n: Int, _ body: (Int) -> Void) {
        for i in 0..<n { body(i) }
    }

    /// Sequence by sequence; models with a real batched step override it.
    public func forward(segments: [StepSegment]) -> [[Float]] {
        segments.map { s in
            let logits = forward(s.tokens, cache: s.cache)
            return s.wantsLogits ? logits : []
        }
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

    public func parallelFor(_ n: Int, _ body: (Int) -> Void) {
        lock.withLock { pool.parallelFor(n, body) }
    }

    public func forward(segments: [StepSegment]) -> [[Float]] {
        let batch = segments.map { BatchSegment(tokens: $0.tokens, cache: $0.cache as! KVCache, wantsLogits: $0.wantsLogits) }
        return lock.withLock { decoder.forwardBatch(segments: batch, pool: pool, workspace: workspace) }
    }
}
