// The seam between a model and whoever runs it: a model is immutable weights plus one forward pass over segments (a
// segment is some tokens of one sequence at its own positions in its own cache); the caller owns the caches and a
// workspace. A single sequence is a one-segment call; continuous batching is many segments in one call.
import R1Kernels

/// A sequence's position state (a KV cache for a real model), owned by the caller.
public protocol SequenceCache: AnyObject {
    /// Positions filled so far (the next token's position).
    var count: Int { get }
    var capacity: Int { get }
    /// Forgets every position from `position` on (for reusing a common prefix).
    func truncate(to position: Int)
    /// Bytes one position takes, all layers, as `copyPositions` writes it; 0 when positions cannot be copied out (a
    /// shared prompt cache then leaves this cache alone).
    var positionBytes: Int { get }
    /// Copies positions `range` (every layer; position-major, `positionBytes` each) into `buffer`.
    func copyPositions(_ range: Range<Int>, to buffer: UnsafeMutableRawPointer)
    /// Appends `count` positions at `self.count` from `buffer`, as `copyPositions` wrote them.
    func appendPositions(_ count: Int, from buffer: UnsafeRawPointer)
}

extension SequenceCache {
    public var positionBytes: Int { 0 }
    public func copyPositions(_ range: Range<Int>, to buffer: UnsafeMutableRawPointer) {
        preconditionFailure("\(Self.self) cannot copy its positions out")
    }
    public func appendPositions(_ count: Int, from buffer: UnsafeRawPointer) {
        preconditionFailure("\(Self.self) cannot take copied positions")
    }
}

/// Which logits a segment wants back.
public enum LogitRows: Sendable, Equatable {
    /// None: a prompt chunk that is not the last.
    case none
    /// The last token's (vocab): a decoding sequence, or a prompt's final chunk.
    case last
    /// Every token's (tokens, vocab), for scoring a prompt.
    case all
}

/// One sequence's part of a forward step: `tokens` run at positions cache.count..., appended to `cache`.
public struct Segment<Cache: SequenceCache> {
    public var tokens: [Int]
    public var cache: Cache
    public var logits: LogitRows
    public init(tokens: [Int], cache: Cache, logits: LogitRows = .last) {
        self.tokens = tokens
        self.cache = cache
        self.logits = logits
    }
}

/// A step's segments flattened for a forward pass: token i of the step is ids[i], runs at positions[i] in caches[i];
/// logitRows lists the token rows whose logits the segments asked for, in order.
struct FlatStep<Cache: SequenceCache> {
    var ids: [Int] = [], caches: [Cache] = [], positions: [Int] = [], logitRows: [Int] = []

    /// `model` names the caller in the trap for a cache given twice (our bug, never user input).
    init(_ segments: [Segment<Cache>], model: String) {
        precondition(segments.count < 2 || Set(segments.map { ObjectIdentifier($0.cache) }).count == segments.count,
                     "\(model).forward: a cache twice in one step")
        for s in segments {
            precondition(!s.tokens.isEmpty && s.cache.count + s.tokens.count <= s.cache.capacity)
            for (j, id) in s.tokens.enumerated() {
                ids.append(id)
                caches.append(s.cache)
                positions.append(s.cache.count + j)
            }
            switch s.logits {
            case .none: break
            case .last: logitRows.append(ids.count - 1)
            case .all: logitRows += (ids.count - s.tokens.count)..<ids.count
            }
        }
    }

    /// The output head for the rows that want logits: final RMS norm of hidden row logitRows[r] of `x` (D wide) into
    /// row r of `h`, the (V, D) `output` matrix over those rows, then each segment's rows ([] for `.none`).
    func logits(_ segments: [Segment<Cache>], x: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, width d: Int,
                outputNorm: [Float], output: WeightMatrix, eps: Float, vocabSize: Int, pool: ThreadPool,
                scratch: MatMulScratch) -> [[Float]] {
        let m = logitRows.count
        var out = [[Float]](repeating: [], count: segments.count)
        guard m > 0 else { return out }
        for (r, i) in logitRows.enumerated() { Vec.rmsNorm(x + i * d, outputNorm, h + r * d, d, eps: eps) }
        var logits = [Float](repeating: 0, count: m * vocabSize)  // (m, V)
        logits.withUnsafeMutableBufferPointer { lb in
            MatMul.run(output, h, lb.baseAddress!, tokens: m, pool: pool, scratch: scratch)
        }
        if segments.count == 1 { out[0] = logits; return out }
        var r = 0
        for (k, s) in segments.enumerated() {
            let rows = s.logits == .none ? 0 : s.logits == .last ? 1 : s.tokens.count
            out[k] = Array(logits[(r * vocabSize)..<((r + rows) * vocabSize)])
            r += rows
        }
        return out
    }
}

public protocol LanguageModel: Sendable {
    /// The per-sequence state this model's forward reads and appends to.
    associatedtype Cache: SequenceCache
    /// Reusable scratch for forward calls; one per caller thread, never shared by two calls at once.
    associatedtype Workspace

    var vocabSize: Int { get }
    var contextLength: Int { get }
    /// Throws, naming the value, when this model cannot keep its cache in `type`.
    func validate(cacheType: KVCacheType) throws
    /// A cache for one sequence of up to `capacity` positions (the context length when nil), of a validated type.
    func makeCache(capacity: Int?, type: KVCacheType) -> Cache
    func makeWorkspace() -> Workspace
    /// Runs every segment (distinct caches, each with room for its tokens; ids checked by the caller) in one step.
    /// Returns per segment the logits it asked for, flattened (rows, vocab); [] for `.none`.
    func forward(_ segments: [Segment<Cache>], workspace: Workspace, pool: ThreadPool) -> [[Float]]
}

extension LanguageModel {
    /// One sequence: a one-segment step. Logits (vocab) of the last token, or (tokens, vocab) when `allLogits`.
    public func forward(_ tokens: [Int], cache: Cache, allLogits: Bool = false, workspace: Workspace,
                        pool: ThreadPool) -> [Float] {
        forward([Segment(tokens: tokens, cache: cache, logits: allLogits ? .all : .last)], workspace: workspace, pool: pool)[0]
    }

    public func makeCache() -> Cache { makeCache(capacity: nil, type: .f16) }

    /// Models whose cache is not made of blocks take every type.
    public func validate(cacheType: KVCacheType) throws {}
}
