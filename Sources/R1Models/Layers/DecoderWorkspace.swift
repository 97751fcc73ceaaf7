// What a decoder forward call writes besides the caches: activations for the step's tokens, attention scores and the
// matmul activation scratch, grown to the largest step seen. The caller owns one per thread (the model stays
// immutable and shareable).
import R1Kernels

public final class DecoderWorkspace {
    private var activations: Activations?
    let scratch = MatMulScratch()
    private var scores: UnsafeMutablePointer<Float>?
    private var scoreCapacity = 0
    private var attention: UnsafeMutablePointer<Float>?
    private var attentionCapacity = 0

    public init() {}
    deinit {
        scores?.deallocate()
        attention?.deallocate()
    }

    /// Flash attention's per-step states and query copies (DecoderAttention.swift), at least `count` floats.
    func attentionScratch(count: Int) -> UnsafeMutablePointer<Float> {
        if attention == nil || attentionCapacity < count {
            attention?.deallocate()
            attentionCapacity = max(count, 2 * attentionCapacity)
            attention = .allocate(capacity: attentionCapacity)
        }
        return attention!
    }

    func activations(tokens: Int, config: DecoderConfig) -> Activations {
        if let a = activations, a.tokens >= tokens, a.widths == Activations.widths(config) { return a }
        let a = Activations(tokens: tokens, config: config)
        activations = a
        return a
    }

    /// Score rows for `lanes` parallel items, each at least `span` long; grows toward `hint` per lane (the longest a
    /// row can get) in doublings, so a generation reallocates a few times, not every token.
    func scoreRows(lanes: Int, span: Int, hint: Int) -> (UnsafeMutablePointer<Float>, Int) {
        if scores == nil || scoreCapacity < lanes * span {
            scores?.deallocate()
            let perLane = max(span, min(hint, max(span * 2, 1024)))
            scoreCapacity = lanes * perLane
            scores = .allocate(capacity: scoreCapacity)
        }
        return (scores!, scoreCapacity / lanes)
    }
}

/// Activations for a step of `tokens` rows.
final class Activations {
    let tokens: Int
    /// The row widths it was made for (a workspace moved to a model of another shape reallocates).
    let widths: [Int]
    let x, h, q, k, v, attn, proj, gate, up: UnsafeMutablePointer<Float>

    init(tokens t: Int, config c: DecoderConfig) {
        tokens = t
        widths = Self.widths(c)
        x = .allocate(capacity: t * c.hiddenSize)
        h = .allocate(capacity: t * c.hiddenSize)
        q = .allocate(capacity: t * c.headCount * c.headDim)
        k = .allocate(capacity: t * c.kvHeadCount * c.headDim)
        v = .allocate(capacity: t * c.kvHeadCount * c.headDim)
        attn = .allocate(capacity: t * c.headCount * c.headDim)
        proj = .allocate(capacity: t * c.hiddenSize)
        gate = .allocate(capacity: t * c.intermediateSize)
        up = .allocate(capacity: t * c.intermediateSize)
    }

    static func widths(_ c: DecoderConfig) -> [Int] {
        [c.hiddenSize, c.headCount * c.headDim, c.kvHeadCount * c.headDim, c.intermediateSize]
    }

    deinit { [x, h, q, k, v, attn, proj, gate, up].forEach { $0.deallocate() } }
}
