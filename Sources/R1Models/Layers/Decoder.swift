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
    /// Per layer (q, k, v) bias pointers into `biasStore`, so the decode loop passes them without closures.
    let biases: [(q: UnsafePointer<Float>?, k: UnsafePointer<Float>?, v: UnsafePointer<Float>?)]
    private let biasStore: UnsafeMutablePointer<Float>

    public init(config: DecoderConfig, weights: DecoderWeights, storage: [AnyObject]) {
        self.config = config
        self.weights = weights
        self.storage = storage
        let total = weights.layers.reduce(0) { $0 + ($1.qBias?.count ?? 0) + ($1.kBias?.count ?? 0) + ($1.vBias?.count ?? 0) }
        let store = UnsafeMutablePointer<Float>.allocate(capacity: max(1, total))
        var offset = 0
        func pin(_ b: [Float]?) -> UnsafePointer<Float>? {
            guard let b else { return nil }
            (store + offset).initialize(from: b, count: b.count)
            defer { offset += b.count }
            return UnsafePointer(store + offset)
        }
        biases = weights.layers.map { (pin($0.qBias), pin($0.kBias), pin($0.vBias)) }
        biasStore = store
    }

    deinit {
        scores?.deallocate()
        biasStore.deallocate()
    }

    /// A cache for one sequence; `type` .f16 (default) halves the memory of the fp32 cache the references use.
    public func makeCache(capacity: Int? = nil, type: KVCacheType = .f16) -> KVCache {
        KVCache(layers: config.layerCount, kvHeads: config.kvHeadCount, headDim: config.headDim,
                capacity: capacity ?? config.contextLength, type: type)
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
            rmsNorm(ws.x, lw.attnNorm, ws.h)
            let bq = biases[l]
            fused(ws.h, MatMul.Output(weight: lw.q, y: ws.q, bias: bq.q),   // (T, H·hd)
                  MatMul.Output(weight: lw.k, y: ws.k, bias: bq.k),          // (T, KV·hd)
                  MatMul.Output(weight: lw.v, y: ws.v, bias: bq.v))          // (T, KV·hd)
            perToken { i in
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
            cache.store(layer: l, start: start, tokens: t, keys: ws.k, values: ws.v)
            attention(layer: l, cache: cache, start: start, tokens: t, ws: ws, pool: pool)
            MatMul.run(lw.o, ws.attn, ws.proj, tokens: t, pool: pool, scratch: scratch)  // (T, D)
            Vec.add(ws.proj, ws.x, t * d)

            // MARK: - MLP
            rmsNorm(ws.x, lw.ffnNorm, ws.h)
            mlp(lw, ws, tokens: t, pool: pool, scratch: scratch)
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

        /// body(i) for every token, in parallel for a prompt.
        func perToken(_ body: (Int) -> Void) {
            if t == 1 { body(0) } else { pool.parallelFor(t, body) }
        }
        func rmsNorm(_ x: UnsafeMutablePointer<Float>, _ w: [Float], _ out: UnsafeMutablePointer<Float>) {
            w.withUnsafeBufferPointer { wb in
                perToken { i in Vec.rmsNorm(x + i * d, wb.baseAddress!, out + i * d, d, eps: c.rmsNormEps) }
            }
        }
        /// Outputs sharing the input x: one activation conversion, one parallel call.
        func fused(_ x: UnsafePointer<Float>, _ outs: MatMul.Output...) {
            outs.withUnsafeBufferPointer { MatMul.run($0, x, tokens: t, pool: pool, scratch: scratch) }
        }
    }

    /// x += down(silu(gate(h)) · up(h)) for `t` rows of ws.h (already RMS-normed), shared by forward and forwardBatch.
    func mlp(_ lw: DecoderLayerWeights, _ ws: Workspace, tokens t: Int, pool: ThreadPool, scratch: MatMulScratch) {
        let inter = config.intermediateSize
        [MatMul.Output(weight: lw.gate, y: ws.gate), MatMul.Output(weight: lw.up, y: ws.up)].withUnsafeBufferPointer {
            MatMul.run($0, ws.h, tokens: t, pool: pool, scratch: scratch)  // (T, I) each, one activation conversion
        }
        if t == 1 {
            Vec.siluMul(ws.gate, ws.up, inter)
        } else {
            pool.parallelFor(t) { i in Vec.siluMul(ws.gate + i * inter, ws.up + i * inter, inter) }
        }
        MatMul.run(lw.down, ws.gate, ws.proj, tokens: t, pool: pool, scratch: scratch)  // (T, D)
        Vec.add(ws.proj, ws.x, t * config.hiddenSize)
    }

    /// Causal softmax(q·kᵀ/√hd)·v for every (token, head), keys and values from the cache. Work items are
    /// (token, KV head, slice of its query heads): each cached key and value row is read once for the slice's heads.
    private func attention(layer l: Int, cache: KVCache, start: Int, tokens t: Int, ws: Workspace, pool: ThreadPool) {
        let c = config
        let hd = c.headDim, qDim = c.headCount * hd
        let group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(hd).squareRoot()
        let span = start + t
        // split each group of query heads until there are two items per thread
        var parts = 1
        while t * c.kvHeadCount * parts < 2 * pool.threadCount && parts < group {
            parts += 1
            while group % parts != 0 { parts += 1 }
        }
        let perItem = group / parts
        let items = t * c.kvHeadCount * parts
        let lanes = min(items, pool.threadCount * 4)
        let need = perItem * span
        if scores == nil || scoreLanes < lanes || scoreCapacity < need {
            scores?.deallocate()
            scoreLanes = max(lanes, scoreLanes)
            scoreCapacity = max(need, min(perItem * cache.capacity, max(need * 2, 1024)))
            scores = .allocate(capacity: scoreLanes * scoreCapacity)
        }
        let type = cache.type.ggmlType
        let scoreBase = scores!, stride = scoreCapacity
        pool.parallelFor(lanes) { lane in
            var item = lane
            while item < items {
                let i = item / (c.kvHeadCount * parts), rest = item % (c.kvHeadCount * parts)
                let kvh = rest / parts, h0 = kvh * group + (rest % parts) * perItem
                let n = start + i + 1
                let q = ws.q + i * qDim + h0 * hd   // perItem heads, hd apart
                let s = scoreBase + lane * stride    // (perItem, n)
                for j in 0..<n {
                    let k = cache.key(l, j, kvh)
                    for hh in 0..<perItem { s[hh * n + j] = AttentionKernels.dot(q + hh * hd, k, hd, type: type) * scale }
                }
                for hh in 0..<perItem { Vec.softmax(s + hh * n, n) }
                let out = ws.attn + i * qDim + h0 * hd
                out.update(repeating: 0, count: perItem * hd)
                for j in 0..<n {
                    let v = cache.value(l, j, kvh)
                    for hh in 0..<perItem { AttentionKernels.axpy(s[hh * n + j], v, out + hh * hd, hd, type: type) }
                }
                item += lanes
            }
        }
    }
}
