// The pre-norm decoder shared by Llama, Qwen2 and Qwen3 (transformers' LlamaModel / Qwen2Model / Qwen3Model):
// RMSNorm → GQA attention (optional QKV bias, optional per-head q/k RMSNorm, RoPE) → residual → RMSNorm → SwiGLU → residual.
// One forward pass over segments (vLLM's chunked prefill): every projection is one MatMul over all the step's tokens,
// RoPE and causal attention run per token at its own position in its own cache.
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
public struct DecoderLayerWeights: Sendable {
    public var attnNorm: [Float]              // (D)
    public var q, k, v, o: WeightMatrix        // (H·hd, D), (KV·hd, D), (KV·hd, D), (D, H·hd)
    public var qBias, kBias, vBias: [Float]?
    public var qNorm, kNorm: [Float]?          // (hd), Qwen3
    public var ffnNorm: [Float]               // (D)
    public var gate, up, down: WeightMatrix    // (I, D), (I, D), (D, I)
}

public struct DecoderWeights: Sendable {
    public var embedding: WeightMatrix        // (V, D)
    public var layers: [DecoderLayerWeights]
    public var outputNorm: [Float]            // (D)
    public var output: WeightMatrix           // (V, D); the embedding when tied
}

/// The decoder model: weights only, immutable. Callers bring the caches and a `DecoderWorkspace`.
public final class Decoder: LanguageModel {
    public let config: DecoderConfig
    public let weights: DecoderWeights
    /// Keeps the mapped files (or converted copies) alive as long as the matrices point into them.
    let storage: [any AnyObject & Sendable]
    /// Per layer (q, k, v) bias pointers, so the decode loop passes them without closures.
    let biases: PinnedBiases

    public init(config: DecoderConfig, weights: DecoderWeights, storage: [any AnyObject & Sendable]) {
        self.config = config
        self.weights = weights
        self.storage = storage
        biases = PinnedBiases(weights.layers)
    }

    public var vocabSize: Int { config.vocabSize }
    public var contextLength: Int { config.contextLength }

    public func validate(cacheType: KVCacheType) throws {
        if cacheType == .q8_0 && config.headDim % 32 != 0 {
            throw ModelError("a q8_0 KV cache needs a head dim that is a multiple of 32 (its block size); this model's is \(config.headDim)")
        }
    }

    /// A cache for one sequence; `type` .f16 (default) halves the memory of the fp32 cache the references use.
    public func makeCache(capacity: Int? = nil, type: KVCacheType = .f16) -> KVCache {
        KVCache(layers: config.layerCount, kvHeads: config.kvHeadCount, headDim: config.headDim,
                capacity: capacity ?? config.contextLength, type: type)
    }

    public func makeWorkspace() -> DecoderWorkspace { DecoderWorkspace() }

    public func forward(_ segments: [Segment<KVCache>], workspace: DecoderWorkspace, pool: ThreadPool) -> [[Float]] {
        let c = config
        let d = c.hiddenSize, hd = c.headDim, qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let half = c.rope.rotaryDim / 2
        let step = FlatStep(segments, model: "Decoder")
        let ids = step.ids, caches = step.caches, positions = step.positions
        let n = ids.count
        let ws = workspace.activations(tokens: n, config: c)
        let scratch = workspace.scratch

        // MARK: - embedding
        for (i, id) in ids.enumerated() { weights.embedding.dequantizeRow(id, into: ws.x + i * d) }
        // (cos, sin) (n, rotaryDim/2): each segment's rows from its own start
        var (cosT, sinT) = c.rope.tables(start: segments[0].cache.count, count: segments[0].tokens.count)
        for s in segments.dropFirst() {
            let (cs, sn) = c.rope.tables(start: s.cache.count, count: s.tokens.count)
            cosT += cs
            sinT += sn
        }
        // the longest score row any token needs, and the longest it can grow to (score buffers grow toward it)
        let span = (positions.max() ?? 0) + 1, longest = caches.map(\.capacity).max() ?? span

        for (l, lw) in weights.layers.enumerated() {
            // MARK: - attention
            rmsNorm(ws.x, lw.attnNorm, ws.h)
            let b = biases.layers[l]
            fused(ws.h, MatMul.Output(weight: lw.q, y: ws.q, bias: b.q),   // (n, H·hd)
                  MatMul.Output(weight: lw.k, y: ws.k, bias: b.k),          // (n, KV·hd)
                  MatMul.Output(weight: lw.v, y: ws.v, bias: b.v))          // (n, KV·hd)
            cosT.withUnsafeBufferPointer { cb in
                sinT.withUnsafeBufferPointer { sb in
                    perToken { i in
                        if let qn = lw.qNorm {
                            for hh in 0..<c.headCount { let p = ws.q + i * qDim + hh * hd; Vec.rmsNorm(p, qn, p, hd, eps: c.rmsNormEps) }
                        }
                        if let kn = lw.kNorm {
                            for hh in 0..<c.kvHeadCount { let p = ws.k + i * kvDim + hh * hd; Vec.rmsNorm(p, kn, p, hd, eps: c.rmsNormEps) }
                        }
                        let cs = cb.baseAddress! + i * half, sn = sb.baseAddress! + i * half
                        c.rope.apply(ws.q + i * qDim, heads: c.headCount, headDim: hd, cos: cs, sin: sn)
                        c.rope.apply(ws.k + i * kvDim, heads: c.kvHeadCount, headDim: hd, cos: cs, sin: sn)
                        caches[i].store(layer: l, start: positions[i], tokens: 1, keys: ws.k + i * kvDim, values: ws.v + i * kvDim)
                    }
                }
            }
            attention(layer: l, caches: caches, positions: positions, span: span, longest: longest, ws: ws, workspace: workspace,
                      pool: pool)
            MatMul.run(lw.o, ws.attn, ws.proj, tokens: n, pool: pool, scratch: scratch)  // (n, D)
            Vec.add(ws.proj, ws.x, n * d)

            // MARK: - MLP
            rmsNorm(ws.x, lw.ffnNorm, ws.h)
            mlp(lw, ws, tokens: n, pool: pool, scratch: scratch)
        }
        for s in segments { s.cache.count += s.tokens.count }

        // MARK: - output, for the rows that want logits only
        return step.logits(segments, x: ws.x, h: ws.h, width: d, outputNorm: weights.outputNorm, output: weights.output,
                           eps: c.rmsNormEps, vocabSize: c.vocabSize, pool: pool, scratch: scratch)

        /// body(i) for every token, in parallel for more than one.
        func perToken(_ body: (Int) -> Void) {
            if n == 1 { body(0) } else { pool.parallelFor(n, body) }
        }
        func rmsNorm(_ x: UnsafeMutablePointer<Float>, _ w: [Float], _ y: UnsafeMutablePointer<Float>) {
            w.withUnsafeBufferPointer { wb in perToken { i in Vec.rmsNorm(x + i * d, wb.baseAddress!, y + i * d, d, eps: c.rmsNormEps) } }
        }
        /// Outputs sharing the input x: one activation conversion, one parallel call.
        func fused(_ x: UnsafePointer<Float>, _ outs: MatMul.Output...) {
            outs.withUnsafeBufferPointer { MatMul.run($0, x, tokens: n, pool: pool, scratch: scratch) }
        }
    }

    /// x += down(silu(gate(h)) · up(h)) for `t` rows of ws.h (already RMS-normed).
    func mlp(_ lw: DecoderLayerWeights, _ ws: Activations, tokens t: Int, pool: ThreadPool, scratch: MatMulScratch) {
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

    /// Causal softmax(q·kᵀ/√hd)·v for every step token's query over its own cache up to its own position (a chunk's
    /// later tokens see the earlier ones, stored above). With C kernels: flashAttention (DecoderAttention.swift).
    /// The plain Swift loop (the reference the kernels are tested against): work items are (token, KV head, slice of
    /// its query heads), each cached key and value row read once for the slice's heads.
    func attention(layer l: Int, caches: [KVCache], positions: [Int], span maxSpan: Int, longest: Int,
                   ws: Activations, workspace: DecoderWorkspace, pool: ThreadPool) {
        if FlashAttention.supports(pool.kernels) {
            flashAttention(layer: l, caches: caches, positions: positions, ws: ws, workspace: workspace, pool: pool)
            return
        }
        let c = config
        let n = caches.count
        let hd = c.headDim, qDim = c.headCount * hd
        let group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(hd).squareRoot()
        // split each group of query heads until there are two items per thread
        var parts = 1
        while n * c.kvHeadCount * parts < 2 * pool.threadCount && parts < group {
            parts += 1
            while group % parts != 0 { parts += 1 }
        }
        let perItem = group / parts
        let items = n * c.kvHeadCount * parts
        let lanes = min(items, pool.threadCount * 4)
        let (scoreBase, stride) = workspace.scoreRows(lanes: lanes, span: perItem * maxSpan, hint: perItem * longest)
        let kernels = pool.kernels
        pool.parallelFor(lanes) { lane in
            let s = scoreBase + lane * stride   // (perItem, span)
            var item = lane
            while item < items {
                let i = item / (c.kvHeadCount * parts), rest = item % (c.kvHeadCount * parts)
                let kvh = rest / parts, h0 = kvh * group + (rest % parts) * perItem
                let span = positions[i] + 1
                let cache = caches[i], type = cache.type.ggmlType
                let q = ws.q + i * qDim + h0 * hd   // perItem heads, hd apart
                for j in 0..<span {
                    let k = cache.key(l, j, kvh)
                    for hh in 0..<perItem { s[hh * span + j] = AttentionKernels.dot(q + hh * hd, k, hd, type: type, kernels: kernels) * scale }
                }
                for hh in 0..<perItem { Vec.softmax(s + hh * span, span) }
                let out = ws.attn + i * qDim + h0 * hd
                out.update(repeating: 0, count: perItem * hd)
                for j in 0..<span {
                    let v = cache.value(l, j, kvh)
                    for hh in 0..<perItem { AttentionKernels.axpy(s[hh * span + j], v, out + hh * hd, hd, type: type, kernels: kernels) }
                }
                item += lanes
            }
        }
    }
}

/// Every layer's q, k, v biases copied once into one buffer the decoder only reads.
final class PinnedBiases: @unchecked Sendable {  // immutable after init; raw pointers are not Sendable
    let layers: [(q: UnsafePointer<Float>?, k: UnsafePointer<Float>?, v: UnsafePointer<Float>?)]
    private let store: UnsafeMutablePointer<Float>

    init(_ weights: [DecoderLayerWeights]) {
        let total = weights.reduce(0) { $0 + ($1.qBias?.count ?? 0) + ($1.kBias?.count ?? 0) + ($1.vBias?.count ?? 0) }
        let store = UnsafeMutablePointer<Float>.allocate(capacity: max(1, total))
        var offset = 0
        func pin(_ b: [Float]?) -> UnsafePointer<Float>? {
            guard let b else { return nil }
            (store + offset).initialize(from: b, count: b.count)
            defer { offset += b.count }
            return UnsafePointer(store + offset)
        }
        layers = weights.map { (pin($0.qBias), pin($0.kBias), pin($0.vBias)) }
        self.store = store
    }

    deinit { store.deallocate() }
}
