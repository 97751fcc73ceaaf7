// The pre-norm decoder shared by Llama, Qwen2 and Qwen3 (transformers' LlamaModel / Qwen2Model / Qwen3Model):
// RMSNorm → GQA attention (optional QKV bias, optional per-head q/k RMSNorm, RoPE) → residual → RMSNorm → SwiGLU → residual.
import R1Kernels

/// Shapes and numeric settings of a decoder, filled in by an architecture file.
public struct DecoderConfig: Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var rmsNormEps: Float
    public var contextLength: Int
    public var rope: RotaryEmbedding
}

/// One layer's weights; norms and biases are dequantized to fp32 at load, matrices stay where they were mapped.
public struct DecoderLayerWeights: @unchecked Sendable {
    public var attnNorm: [Float]              // (D)
    public var q, k, v, o: WeightMatrix        // (H·hd, D), (KV·hd, D), (KV·hd, D), (D, H·hd)
    public var qBias, kBias, vBias: [Float]?
    public var qNorm, kNorm: [Float]?          // (hd), Qwen3
    public var ffnNorm: [Float]               // (D)
    public var gate, up, down: WeightMatrix    // (I, D), (I, D), (D, I)
}

public struct DecoderWeights: @unchecked Sendable {
    public var embedding: WeightMatrix        // (V, D)
    public var layers: [DecoderLayerWeights]
    public var outputNorm: [Float]            // (D)
    public var output: WeightMatrix           // (V, D); the embedding when tied
}

/// Reusable activations for a batch of `tokens` rows.
final class Workspace {
    let tokens: Int
    let x, h, q, k, v, attn, proj, gate, up: UnsafeMutablePointer<Float>

    init(tokens t: Int, config c: DecoderConfig) {
        tokens = t
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

    deinit { [x, h, q, k, v, attn, proj, gate, up].forEach { $0.deallocate() } }
}

public final class Decoder: @unchecked Sendable {
    public let config: DecoderConfig
    public let weights: DecoderWeights
    /// Keeps the mapped files (or converted copies) alive as long as the matrices point into them.
    let storage: [AnyObject]
    private var workspace: Workspace?
    private var scores: UnsafeMutablePointer<Float>?
    private var scoreLanes = 0
    private var scoreCapacity = 0
    private let scratch = MatMulScratch()

    public init(config: DecoderConfig, weights: DecoderWeights, storage: [AnyObject]) {
        self.config = config
        self.weights = weights
        self.storage = storage
    }

    deinit { scores?.deallocate() }

    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(layers: config.layerCount, kvHeads: config.kvHeadCount, headDim: config.headDim,
                capacity: capacity ?? config.contextLength)
    }

    /// Runs `tokens` at positions cache.count..., appending to the cache. Returns logits (vocab) for the last
    /// token, or (tokens.count, vocab) for every token when `allLogits`. Callers check ids and capacity first.
    public func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool = false, pool: ThreadPool) -> [Float] {
        let c = config
        let t = tokens.count
        precondition(t > 0 && cache.count + t <= cache.capacity)
        let ws: Workspace
        if let w = workspace, w.tokens >= t { ws = w } else { ws = Workspace(tokens: t, config: c); workspace = ws }
        let d = c.hiddenSize, hd = c.headDim, qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let start = cache.count

        // MARK: - embedding
        for (i, id) in tokens.enumerated() { weights.embedding.dequantizeRow(id, into: ws.x + i * d) }
        let (cosT, sinT) = c.rope.tables(start: start, count: t)

        for (l, lw) in weights.layers.enumerated() {
            // MARK: - attention
            for i in 0..<t { Vec.rmsNorm(ws.x + i * d, lw.attnNorm, ws.h + i * d, d, eps: c.rmsNormEps) }
            matmul(lw.q, ws.h, ws.q, t, lw.qBias)   // (T, H·hd)
            matmul(lw.k, ws.h, ws.k, t, lw.kBias)   // (T, KV·hd)
            matmul(lw.v, ws.h, ws.v, t, lw.vBias)   // (T, KV·hd)
            for i in 0..<t {
                if let qn = lw.qNorm {
                    for hh in 0..<c.headCount { let p = ws.q + i * qDim + hh * hd; Vec.rmsNorm(p, qn, p, hd, eps: c.rmsNormEps) }
                }
                if let kn = lw.kNorm {
                    for hh in 0..<c.kvHeadCount { let p = ws.k + i * kvDim + hh * hd; Vec.rmsNorm(p, kn, p, hd, eps: c.rmsNormEps) }
                }
                let half = c.rope.rotaryDim / 2
                cosT.withUnsafeBufferPointer { cb in
                    sinT.withUnsafeBufferPointer { sb in
                        c.rope.apply(ws.q + i * qDim, heads: c.headCount, headDim: hd, cos: cb.baseAddress! + i * half, sin: sb.baseAddress! + i * half)
                        c.rope.apply(ws.k + i * kvDim, heads: c.kvHeadCount, headDim: hd, cos: cb.baseAddress! + i * half, sin: sb.baseAddress! + i * half)
                    }
                }
            }
            (cache.keys[l] + start * kvDim).update(from: ws.k, count: t * kvDim)
            (cache.values[l] + start * kvDim).update(from: ws.v, count: t * kvDim)
            attention(layer: l, cache: cache, start: start, tokens: t, ws: ws, pool: pool)
            matmul(lw.o, ws.attn, ws.proj, t, nil)  // (T, D)
            Vec.add(ws.proj, ws.x, t * d)

            // MARK: - MLP
            for i in 0..<t { Vec.rmsNorm(ws.x + i * d, lw.ffnNorm, ws.h + i * d, d, eps: c.rmsNormEps) }
            matmul(lw.gate, ws.h, ws.gate, t, nil)  // (T, I)
            matmul(lw.up, ws.h, ws.up, t, nil)      // (T, I)
            Vec.siluMul(ws.gate, ws.up, t * c.intermediateSize)
            matmul(lw.down, ws.gate, ws.proj, t, nil) // (T, D)
            Vec.add(ws.proj, ws.x, t * d)
        }
        cache.count = start + t

        // MARK: - output
        let rows = allLogits ? t : 1
        let first = allLogits ? 0 : t - 1
        for i in 0..<rows { Vec.rmsNorm(ws.x + (first + i) * d, weights.outputNorm, ws.h + i * d, d, eps: c.rmsNormEps) }
        var logits = [Float](repeating: 0, count: rows * c.vocabSize)
        logits.withUnsafeMutableBufferPointer { lb in
            MatMul.run(weights.output, ws.h, lb.baseAddress!, tokens: rows, pool: pool, scratch: scratch)
        }
        return logits

        func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ t: Int, _ bias: [Float]?) {
            if let b = bias {
                b.withUnsafeBufferPointer { MatMul.run(w, x, y, tokens: t, bias: $0.baseAddress!, pool: pool, scratch: scratch) }
            } else {
                MatMul.run(w, x, y, tokens: t, pool: pool, scratch: scratch)
            }
        }
    }

    /// Causal softmax(q·kᵀ/√hd)·v for every (token, head), keys and values from the cache.
    private func attention(layer l: Int, cache: KVCache, start: Int, tokens t: Int, ws: Workspace, pool: ThreadPool) {
        let c = config
        let hd = c.headDim, qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(hd).squareRoot()
        let span = start + t
        let lanes = min(t * c.headCount, pool.threadCount * 4)
        if scores == nil || scoreLanes < lanes || scoreCapacity < span {
            scores?.deallocate()
            scoreLanes = max(lanes, scoreLanes)
            scoreCapacity = max(span, min(cache.capacity, max(span * 2, 1024)))
            scores = .allocate(capacity: scoreLanes * scoreCapacity)
        }
        let keys = cache.keys[l], values = cache.values[l]
        let scoreBase = scores!, stride = scoreCapacity
        let items = t * c.headCount
        pool.parallelFor(lanes) { lane in
            let s = scoreBase + lane * stride
            var item = lane
            while item < items {
                let i = item / c.headCount, h = item % c.headCount
                let kvh = h / group
                let n = start + i + 1
                let q = ws.q + i * qDim + h * hd
                for j in 0..<n { s[j] = Vec.dot(q, keys + j * kvDim + kvh * hd, hd) * scale }
                Vec.softmax(s, n)
                let out = ws.attn + i * qDim + h * hd
                out.update(repeating: 0, count: hd)
                for j in 0..<n { Vec.axpy(s[j], values + j * kvDim + kvh * hd, out, hd) }
                item += lanes
            }
        }
    }
}
