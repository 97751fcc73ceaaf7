// The DeepSeek-V2/V3 model: transformers' DeepseekV3Model / DeepseekV2Model layer loop (RMSNorm → MLA → residual →
// RMSNorm → dense MLP or MoE → residual), over segments like Decoder: weights only, the caller owns the latent caches
// and a workspace. Built from a checkpoint by DeepSeekV3.swift.
import R1Kernels

public struct DeepSeekConfig: Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var attention: LatentAttentionShape
    public var router: Router
    public var rmsNormEps: Float
    public var contextLength: Int
    public var rope: RotaryEmbedding          // over qk_rope_head_dim, YaRN's attention factor in cos/sin
    public var softmaxScale: Float            // qk_head_dim^-0.5, times mscale² under YaRN with mscale_all_dim
}

public struct DeepSeekLayerWeights: Sendable {
    public enum MLP: Sendable {
        case dense(FeedForwardWeights)
        case experts(MixtureOfExpertsWeights)
    }
    public var attnNorm: [Float]              // (D)
    public var attention: LatentAttentionWeights
    public var ffnNorm: [Float]               // (D)
    public var mlp: MLP
}

public struct DeepSeekWeights: Sendable {
    public var embedding: WeightMatrix        // (V, D)
    public var layers: [DeepSeekLayerWeights]
    public var outputNorm: [Float]            // (D)
    public var output: WeightMatrix           // (V, D)
    /// Multi-token-prediction blocks after the decoder layers (GGUF nextn): loaded and checked, not run by plain
    /// decoding.
    public var nextn: [DeepSeekNextNWeights] = []
}

/// One MTP block (DeepSeek-V3's next-n prediction: llama.cpp's `blk.{n}.nextn.*`, the HF release's
/// `model.layers.{n}.{eh_proj,enorm,hnorm,shared_head.*}`): a decoder layer fed by
/// eh_proj(concat(enorm(embedding), hnorm(hidden))). Kept for a draft head; the forward pass never reads it.
public struct DeepSeekNextNWeights: Sendable {
    public var block: DeepSeekLayerWeights
    public var ehProj: LinearWeight           // (D, 2D), FP8 in the release
    public var enorm: [Float]                 // (D)
    public var hnorm: [Float]                 // (D)
    public var sharedHeadNorm: [Float]?       // (D), else the model's output norm
    public var sharedHead: LinearWeight?      // (V, D), else the model's output

    /// The tensor name of an MTP part ("eh_proj", "enorm", "hnorm", "shared_head_norm", "shared_head_head").
    static func name(_ part: String, layer l: Int, gguf: Bool) -> String {
        if gguf { return "blk.\(l).nextn.\(part).weight" }
        let hf = ["shared_head_norm": "shared_head.norm", "shared_head_head": "shared_head.head"][part] ?? part
        return "model.layers.\(l).\(hf).weight"
    }

    /// `linear` reads a matrix (name, rows, cols) as the layers' projections are read (FP8 blocks where scaled).
    init(layer l: Int, block: DeepSeekLayerWeights, hidden d: Int, vocab: Int, gguf: Bool, builder b: WeightBuilder,
         linear: (String, Int, Int) throws -> LinearWeight) throws {
        func n(_ s: String) -> String { DeepSeekNextNWeights.name(s, layer: l, gguf: gguf) }
        self.block = block
        ehProj = try linear(n("eh_proj"), d, 2 * d)
        enorm = try b.vector(n("enorm"), count: d)
        hnorm = try b.vector(n("hnorm"), count: d)
        sharedHeadNorm = b.store.tensor(n("shared_head_norm")) != nil ? try b.vector(n("shared_head_norm"), count: d) : nil
        sharedHead = b.store.tensorNames.contains(n("shared_head_head")) ? try linear(n("shared_head_head"), vocab, d) : nil
    }
}

/// Matmul scratch for one caller, which also recycles the step's activation buffers (MatMulScratch.floats).
public final class DeepSeekWorkspace {
    let scratch = MatMulScratch()
    public init() {}
}

public final class DeepSeekModel: LanguageModel {
    public let config: DeepSeekConfig
    public let weights: DeepSeekWeights
    /// How attention reads the latent cache: absorbed (default) or naive (the oracle); same cache either way.
    public let attentionPath: AttentionPath
    let storage: [any AnyObject & Sendable]

    public init(config: DeepSeekConfig, weights: DeepSeekWeights, storage: [any AnyObject & Sendable],
                attentionPath: AttentionPath = .absorbed) {
        self.config = config
        self.weights = weights
        self.storage = storage
        self.attentionPath = attentionPath
    }

    /// The same weights with the other attention path.
    public func with(attention path: AttentionPath) -> DeepSeekModel {
        DeepSeekModel(config: config, weights: weights, storage: storage, attentionPath: path)
    }

    public var vocabSize: Int { config.vocabSize }
    public var contextLength: Int { config.contextLength }

    /// A latent cache in f32 or f16 (validate refuses q8_0).
    public func makeCache(capacity: Int? = nil, type: KVCacheType = .f32) -> LatentCache {
        LatentCache(layers: config.layerCount, width: config.attention.cacheWidth, capacity: capacity ?? config.contextLength,
                    type: type == .f16 ? .f16 : .f32)
    }

    public func validate(cacheType: KVCacheType) throws {
        guard cacheType == .f32 || cacheType == .f16 else {
            throw ModelError("the latent cache of \(config.router.scoring == .sigmoid ? "DeepSeek-V3" : "DeepSeek-V2") models is f32 or f16, not \(cacheType.rawValue)")
        }
    }

    public func makeWorkspace() -> DeepSeekWorkspace { DeepSeekWorkspace() }

    // MARK: - sizes, for r1 info

    /// Cache bytes per token (fp32 latent + rope key per layer), and what per-head K/V in fp32 would take.
    public var cacheBytesPerToken: (latent: Int, perHead: Int) {
        (config.layerCount * config.attention.cacheWidth * 4, config.layerCount * config.attention.perHeadWidth * 4)
    }

    /// Parameters in the weights (every expert), and those one token uses (its routed experts only).
    public var parameterCounts: (total: Int, active: Int) {
        var total = 0, idle = 0
        for l in weights.layers {
            if case .experts(let m) = l.mlp, let per = m.experts.first?.parameterCount {
                idle += per * (m.experts.count - config.router.topK)
                total += per * m.experts.count
            }
        }
        return (total, total - idle)  // routed experts only; the caller adds the rest from the tensor list
    }

    /// Bytes of weight matrices one decoded token reads: attention, dense or shared MLPs, its top-k routed experts
    /// (at the average expert's size) and the output head; not the embedding table, of which one row is read.
    public var weightBytesPerToken: Int {
        var total = weights.output.rows * weights.output.rowBytes
        for l in weights.layers {
            let a = l.attention
            total += ([a.qA, a.q, a.kvA].compactMap { $0 } + a.absorbed.weights + [a.o]).reduce(0) { $0 + $1.byteCount }
            switch l.mlp {
            case .dense(let f): total += f.byteCount
            case .experts(let m):
                total += m.experts.reduce(0) { $0 + $1.byteCount } * config.router.topK / max(1, m.experts.count)
                total += m.shared?.byteCount ?? 0
            }
        }
        return total
    }

    /// Every weight matrix a token always reads, in forward order (for prefaulting the mapped file); routed experts
    /// are left to be paged in when a token is routed to them, so a model larger than RAM still loads.
    var matrices: [WeightMatrix] {
        var out = [weights.embedding]
        for l in weights.layers {
            let a = l.attention
            // FP8 weights are left to be paged in on first use
            out += ([a.qA, a.q, a.kvA].compactMap { $0 } + a.absorbed.weights + [a.o]).compactMap(\.matrix)
            switch l.mlp {
            case .dense(let f): out += [f.gate, f.up, f.down].compactMap(\.matrix)
            case .experts(let m): for f in [m.shared].compactMap({ $0 }) { out += [f.gate, f.up, f.down].compactMap(\.matrix) }
            }
        }
        if weights.output.data != weights.embedding.data { out.append(weights.output) }
        return out
    }

    public var summary: [(label: String, value: String)] {
        let a = config.attention
        return [
            ("layers", "\(config.layerCount), hidden \(config.hiddenSize)\(weights.nextn.isEmpty ? "" : ", \(weights.nextn.count) MTP (not run)")"),
            ("attention", "MLA, \(a.headCount) heads, q_lora_rank \(a.qLoraRank == 0 ? "none" : String(a.qLoraRank)), kv_lora_rank \(a.kvLoraRank), qk nope \(a.nopeDim) + rope \(a.ropeDim), v \(a.vDim)"),
            ("experts", "\(config.router.experts) routed, top \(config.router.topK) (\(config.router.scoring.rawValue), \(config.router.topkGroups) of \(config.router.groups) groups)"),
            ("vocabulary", "\(config.vocabSize)"),
        ]
    }

    // MARK: - forward

    public func forward(_ segments: [Segment<LatentCache>], workspace: DeepSeekWorkspace, pool: ThreadPool) -> [[Float]] {
        let c = config, d = c.hiddenSize, half = c.rope.rotaryDim / 2
        let step = FlatStep(segments, model: "DeepSeekModel")
        let ids = step.ids, caches = step.caches, positions = step.positions
        let n = ids.count, scratch = workspace.scratch
        let x = scratch.floats(n * d), h = scratch.floats(n * d), proj = scratch.floats(n * d)  // (n, D) each
        defer { for b in [x, h, proj] { scratch.recycle(b, count: n * d) } }

        // MARK: - embedding
        for (i, id) in ids.enumerated() { weights.embedding.dequantizeRow(id, into: x + i * d) }
        var cosT: [Float] = [], sinT: [Float] = []   // (n, ropeDim / 2)
        for s in segments {
            let (cs, sn) = c.rope.tables(start: s.cache.count, count: s.tokens.count)
            cosT += cs
            sinT += sn
        }
        assert(cosT.count == n * half)

        for (l, lw) in weights.layers.enumerated() {
            // MARK: - attention
            norm(x, lw.attnNorm, h)
            cosT.withUnsafeBufferPointer { cb in
                sinT.withUnsafeBufferPointer { sb in
                    lw.attention.forward(h, tokens: n, layer: l, caches: caches, positions: positions, shape: c.attention,
                                         rope: c.rope, cos: cb.baseAddress!, sin: sb.baseAddress!, scale: c.softmaxScale,
                                         path: attentionPath, out: proj, pool: pool, scratch: scratch)
                }
            }
            Vec.add(proj, x, n * d)

            // MARK: - MLP or experts
            norm(x, lw.ffnNorm, h)
            switch lw.mlp {
            case .dense(let ff): ff.forward(h, tokens: n, out: proj, pool: pool, scratch: scratch)
            case .experts(let moe): moe.forward(h, tokens: n, routing: c.router, out: proj, pool: pool, scratch: scratch)
            }
            Vec.add(proj, x, n * d)
        }
        for s in segments { s.cache.count += s.tokens.count }

        // MARK: - output, for the rows that want logits only
        return step.logits(segments, x: x, h: h, width: d, outputNorm: weights.outputNorm, output: weights.output,
                           eps: c.rmsNormEps, vocabSize: c.vocabSize, pool: pool, scratch: scratch)

        func norm(_ x: UnsafeMutablePointer<Float>, _ w: [Float], _ y: UnsafeMutablePointer<Float>) {
            for i in 0..<n { Vec.rmsNorm(x + i * d, w, y + i * d, d, eps: c.rmsNormEps) }
        }
    }
}
