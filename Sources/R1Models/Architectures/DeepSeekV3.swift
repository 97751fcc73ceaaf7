// DeepSeek-V3 / R1 and DeepSeek-V2 / V2-Lite: transformers' DeepseekV3ForCausalLM and DeepseekV2ForCausalLM
// (llama.cpp's LLM_ARCH_DEEPSEEK2 for both). Multi-head latent attention (Layers/LatentAttention.swift) and DeepSeekMoE
// (Layers/MixtureOfExperts.swift) in a pre-norm decoder whose first `first_k_dense_replace` layers are dense.
// This file: the checkpoint strings, hyperparameter tables, weight names and the builder; the model is DeepSeekModel.
import Foundation
import R1Formats
import R1Kernels

extension ArchitectureRegistry {
    public static let deepseekV3 = Architecture(
        name: "deepseek_v3", modelTypes: ["deepseek_v3"], ggufArchitectures: ["deepseek2"], names: .deepSeekDense,
        qkvBias: false, qkNorm: false, ggufRopeStyle: .interleaved, hyperparameters: .deepSeek(v3: true),
        build: { try DeepSeekModel.build($0, v3: true) },
        // GGUF `deepseek2` holds V2 and V3 alike: the gating function in the metadata says which (DeepSeekGGUF.swift)
        buildGGUF: { try DeepSeekModel.buildGGUF(metadata: $0.metadataFile.metadata, store: $0, path: $1, contextLength: $2, storage: [$0]) })

    public static let deepseekV2 = Architecture(
        name: "deepseek_v2", modelTypes: ["deepseek_v2"], ggufArchitectures: [], names: .deepSeekDense,
        qkvBias: false, qkNorm: false, ggufRopeStyle: .interleaved, hyperparameters: .deepSeek(v3: false),
        build: { try DeepSeekModel.build($0, v3: false) })
}

extension [Hyperparameter] {
    /// DeepseekV3Config's / DeepseekV2Config's fields and defaults; GGUF keys as llama.cpp's deepseek2 writes them.
    /// A null q_lora_rank (no q compression) reads as 0, null n_group / topk_group as 1 (no groups).
    static func deepSeek(v3: Bool) -> [Hyperparameter] {
        [
            Hyperparameter("hidden_size", gguf: "embedding_length", default: .value(v3 ? 7168 : 4096)),
            Hyperparameter("intermediate_size", gguf: "feed_forward_length", default: .value(v3 ? 18432 : 11008)),
            Hyperparameter("moe_intermediate_size", gguf: "expert_feed_forward_length", default: .value(v3 ? 2048 : 1407)),
            Hyperparameter("num_hidden_layers", gguf: "block_count", default: .value(v3 ? 61 : 32)),
            Hyperparameter("num_attention_heads", gguf: "attention.head_count", default: .value(v3 ? 128 : 32)),
            Hyperparameter("q_lora_rank", gguf: "attention.q_lora_rank", default: .value(1536)),
            Hyperparameter("kv_lora_rank", gguf: "attention.kv_lora_rank", default: .value(512)),
            Hyperparameter("qk_nope_head_dim", gguf: nil, default: .value(128)),
            Hyperparameter("qk_rope_head_dim", gguf: "rope.dimension_count", default: .value(64)),
            Hyperparameter("v_head_dim", gguf: "attention.value_length", default: .value(128)),
            Hyperparameter("n_routed_experts", gguf: "expert_count", default: .value(v3 ? 256 : 64)),
            Hyperparameter("n_shared_experts", gguf: "expert_shared_count", default: .value(v3 ? 1 : 2)),
            Hyperparameter("num_experts_per_tok", gguf: "expert_used_count", default: v3 ? .value(8) : .required),
            Hyperparameter("n_group", gguf: "expert_group_count", default: .value(v3 ? 8 : 1)),
            Hyperparameter("topk_group", gguf: "expert_group_used_count", default: .value(v3 ? 4 : 1)),
            Hyperparameter("routed_scaling_factor", gguf: "expert_weights_scale", .float, default: .value(v3 ? 2.5 : 1)),
            Hyperparameter("norm_topk_prob", gguf: "expert_weights_norm", .bool, default: .value(v3 ? 1 : 0)),
            Hyperparameter("first_k_dense_replace", gguf: "leading_dense_block_count", default: .value(v3 ? 3 : 0)),
            // DeepSeek's own modeling code: layer l has experts when l >= first_k_dense_replace and l % moe_layer_freq
            // == 0 (transformers reads no moe_layer_freq; every released config has 1)
            Hyperparameter("moe_layer_freq", gguf: nil, default: .value(1)),
            Hyperparameter("rms_norm_eps", gguf: "attention.layer_norm_rms_epsilon", .float, default: .value(1e-6)),
            Hyperparameter("max_position_embeddings", gguf: "context_length", default: .value(v3 ? 4096 : 2048)),
            Hyperparameter("tie_word_embeddings", gguf: nil, .bool, default: .value(0)),
            Hyperparameter("attention_bias", gguf: nil, .bool, default: .value(0)),
            Hyperparameter("mlp_bias", gguf: nil, .bool, default: .value(0)),
            // transformers' V3 applies rope to interleaved pairs unless the config says otherwise; V2 always does
            Hyperparameter("rope_interleave", gguf: nil, .bool, default: .value(1)),
            // V3 / R1's multi-token-prediction blocks, stored after the decoder layers (the release: layer 61)
            Hyperparameter("num_nextn_predict_layers", gguf: "nextn_predict_layers", default: .value(0)),
        ]
    }
}

extension WeightNames {
    /// The slots DeepSeek shares with the dense decoder (embedding, norms, head, the dense layers' MLP).
    public static let deepSeekDense = WeightNames(
        hf: WeightNames.llamaFamily.hf.filter { [.embedding, .outputNorm, .output, .attnNorm, .ffnNorm, .gate, .up, .down].contains($0.key) },
        gguf: WeightNames.llamaFamily.gguf.filter { [.embedding, .outputNorm, .output, .attnNorm, .ffnNorm, .gate, .up, .down].contains($0.key) })
}

/// DeepSeek's own weight slots: HF and GGUF names, `{i}` the layer, `{e}` the expert.
public enum LatentSlot: String, Sendable, CaseIterable {
    case qA, qANorm, qB, q, kvA, kvANorm, kvB, o
    case router, routerBias, expertGate, expertUp, expertDown, sharedGate, sharedUp, sharedDown

    static let hf: [LatentSlot: String] = [
        .qA: "model.layers.{i}.self_attn.q_a_proj.weight",
        .qANorm: "model.layers.{i}.self_attn.q_a_layernorm.weight",
        .qB: "model.layers.{i}.self_attn.q_b_proj.weight",
        .q: "model.layers.{i}.self_attn.q_proj.weight",
        .kvA: "model.layers.{i}.self_attn.kv_a_proj_with_mqa.weight",
        .kvANorm: "model.layers.{i}.self_attn.kv_a_layernorm.weight",
        .kvB: "model.layers.{i}.self_attn.kv_b_proj.weight",
        .o: "model.layers.{i}.self_attn.o_proj.weight",
        .router: "model.layers.{i}.mlp.gate.weight",
        .routerBias: "model.layers.{i}.mlp.gate.e_score_correction_bias",
        .expertGate: "model.layers.{i}.mlp.experts.{e}.gate_proj.weight",
        .expertUp: "model.layers.{i}.mlp.experts.{e}.up_proj.weight",
        .expertDown: "model.layers.{i}.mlp.experts.{e}.down_proj.weight",
        .sharedGate: "model.layers.{i}.mlp.shared_experts.gate_proj.weight",
        .sharedUp: "model.layers.{i}.mlp.shared_experts.up_proj.weight",
        .sharedDown: "model.layers.{i}.mlp.shared_experts.down_proj.weight",
    ]
    /// llama.cpp's names (experts stacked in 3-D `*_exps` tensors; kv_b_proj as `attn_kv_b`, or split in the newer
    /// layout: LatentSlot.ggufKB / ggufVB).
    static let gguf: [LatentSlot: String] = [
        .qA: "blk.{i}.attn_q_a.weight", .qANorm: "blk.{i}.attn_q_a_norm.weight", .qB: "blk.{i}.attn_q_b.weight",
        .q: "blk.{i}.attn_q.weight", .kvA: "blk.{i}.attn_kv_a_mqa.weight", .kvANorm: "blk.{i}.attn_kv_a_norm.weight",
        .kvB: "blk.{i}.attn_kv_b.weight", .o: "blk.{i}.attn_output.weight",
        .router: "blk.{i}.ffn_gate_inp.weight", .routerBias: "blk.{i}.exp_probs_b.bias",
        .expertGate: "blk.{i}.ffn_gate_exps.weight", .expertUp: "blk.{i}.ffn_up_exps.weight",
        .expertDown: "blk.{i}.ffn_down_exps.weight", .sharedGate: "blk.{i}.ffn_gate_shexp.weight",
        .sharedUp: "blk.{i}.ffn_up_shexp.weight", .sharedDown: "blk.{i}.ffn_down_shexp.weight",
    ]
    static let ggufKB = "blk.{i}.attn_k_b.weight", ggufVB = "blk.{i}.attn_v_b.weight"

    func name(layer: Int, expert: Int? = nil, gguf: Bool = false) -> String {
        var n = (gguf ? LatentSlot.gguf : LatentSlot.hf)[self]!.replacingOccurrences(of: "{i}", with: String(layer))
        if let e = expert { n = n.replacingOccurrences(of: "{e}", with: String(e)) }
        return n
    }
}

/// What the builder needs from a checkpoint, read from config.json (here) or GGUF metadata (DeepSeekGGUF.swift).
struct DeepSeekSettings {
    var file: String                        // the config.json or .gguf that errors name
    var gguf: Bool
    /// How the layout spells a config.json key, for errors ("num_experts_per_tok" or "deepseek2.expert_used_count").
    var key: (String) -> String
    var hidden, layers, intermediate, moeIntermediate, sharedExperts, firstDense, moeFreq: Int
    var shape: LatentAttentionShape
    var router: Router
    /// V3's e_score_correction_bias: required (HF V3), read where present (GGUF), absent (V2).
    var correctionBias: Presence
    var rmsNormEps: Float
    var maxPositions: Int
    var tied: Bool
    var rope: RopeParameters
    var interleaved: Bool
    /// MTP blocks after the decoder layers (GGUF nextn_predict_layers): loaded, not run.
    var nextnLayers: Int = 0
    /// quantization_config.weight_block_size of an FP8 checkpoint (the release's [128, 128]); nil: none.
    var fp8Block: (rows: Int, cols: Int)? = nil

    enum Presence { case required, optional, absent }

    /// One-line errors for sizes and routing that cannot work, naming the values as the layout spells them.
    func check() throws {
        let a = shape, r = router
        for (k, v) in [("hidden_size", hidden), ("num_hidden_layers", layers), ("num_attention_heads", a.headCount),
                       ("kv_lora_rank", a.kvLoraRank), ("qk_rope_head_dim", a.ropeDim), ("v_head_dim", a.vDim),
                       ("max_position_embeddings", maxPositions), ("moe_layer_freq", moeFreq)] where v <= 0 {
            throw ModelError("\(file): \(key(k)) must be positive, got \(v)")
        }
        for (k, v) in [("q_lora_rank", a.qLoraRank), ("qk_nope_head_dim", a.nopeDim), ("n_routed_experts", r.experts),
                       ("n_shared_experts", sharedExperts), ("first_k_dense_replace", firstDense)] where v < 0 {
            throw ModelError("\(file): \(key(k)) must not be negative, got \(v)")
        }
        if firstDense > 0 || r.experts == 0, intermediate <= 0 {
            throw ModelError("\(file): \(key("intermediate_size")) must be positive, got \(intermediate)")
        }
        guard r.experts > 0 else { return }
        let e = key("n_routed_experts"), k = key("num_experts_per_tok"), g = key("n_group"), tg = key("topk_group")
        guard moeIntermediate > 0 else { throw ModelError("\(file): \(key("moe_intermediate_size")) must be positive, got \(moeIntermediate)") }
        guard r.topK >= 1, r.topK <= r.experts else {
            throw ModelError("\(file): \(k) \(r.topK) must be between 1 and \(e) \(r.experts)")
        }
        guard r.groups >= 1, r.experts % r.groups == 0 else { throw ModelError("\(file): \(g) \(r.groups) does not divide \(e) \(r.experts)") }
        guard r.topkGroups >= 1, r.topkGroups <= r.groups else { throw ModelError("\(file): \(tg) \(r.topkGroups) must be between 1 and \(g) \(r.groups)") }
        let size = r.experts / r.groups
        guard r.topK <= r.topkGroups * size else {
            throw ModelError("\(file): \(k) \(r.topK) is more than the \(r.topkGroups * size) experts in \(tg) \(r.topkGroups) groups of \(size)")
        }
        if r.scoring == .sigmoid && r.groups > 1 && size < 2 {
            throw ModelError("\(file): \(g) \(r.groups) leaves \(size) expert per group; sigmoid routing ranks groups by their top 2")
        }
    }
}

extension DeepSeekModel {
    /// From config.json: checks the config (one-line errors naming the value) and every tensor's name and shape.
    static func build(_ src: ModelSource, v3: Bool) throws -> DeepSeekModel {
        let v = src.values, b = src.builder, cfg = src.config
        let file = b.path.hasSuffix(".json") ? b.path : "\(b.path)/config.json"
        func isNull(_ key: String) -> Bool { cfg[key] == .null }
        if v.bool("attention_bias") { throw ModelError("\(file): attention_bias true is not supported") }
        if v.bool("mlp_bias") { throw ModelError("\(file): mlp_bias true is not supported") }
        if let act = cfg.string("hidden_act"), act != "silu" { throw ModelError("\(file): hidden_act \"\(act)\" is not supported (silu)") }
        let scoring: Router.Scoring
        if v3 {
            scoring = .sigmoid
            if let f = cfg.string("scoring_func"), f != "sigmoid" { throw ModelError("\(file): scoring_func \"\(f)\" is not supported (sigmoid)") }
        } else {
            scoring = .softmax
            switch cfg.string("topk_method") ?? "greedy" {
            case "greedy": break
            case "group_limited_greedy": break
            case let m: throw ModelError("\(file): topk_method \"\(m)\" is not supported (greedy, group_limited_greedy)")
            }
        }
        let groups = isNull("n_group") ? 1 : v.int("n_group"), topkGroups = isNull("topk_group") ? 1 : v.int("topk_group")
        let grouped = v3 || cfg.string("topk_method") == "group_limited_greedy"
        let router = Router(scoring: scoring, experts: v.int("n_routed_experts"), topK: v.int("num_experts_per_tok"),
                            groups: grouped ? groups : 1, topkGroups: grouped ? topkGroups : 1,
                            normTopkProb: v3 && v.bool("norm_topk_prob"), scale: Float(v["routed_scaling_factor"] ?? 1))
        let shape = LatentAttentionShape(headCount: v.int("num_attention_heads"), qLoraRank: isNull("q_lora_rank") ? 0 : v.int("q_lora_rank"),
                                         kvLoraRank: v.int("kv_lora_rank"), nopeDim: v.int("qk_nope_head_dim"),
                                         ropeDim: v.int("qk_rope_head_dim"), vDim: v.int("v_head_dim"))
        var fp8Block: (rows: Int, cols: Int)? = nil
        if let q = cfg["quantization_config"], q != .null {
            guard let method = q["quant_method"]?.string, method == "fp8" else {
                throw ModelError("\(file): quantization_config.quant_method \(q["quant_method"]?.string.map { "\"\($0)\"" } ?? "missing") is not supported (fp8)")
            }
            if let fmt = q["fmt"]?.string, fmt != "e4m3" { throw ModelError("\(file): quantization_config.fmt \"\(fmt)\" is not supported (e4m3)") }
            let block = q["weight_block_size"]?.array?.compactMap(\.int) ?? [128, 128]
            guard block.count == 2, block.allSatisfy({ $0 > 0 }) else {
                throw ModelError("\(file): quantization_config.weight_block_size must be two positive integers")
            }
            fp8Block = (block[0], block[1])
        }
        var s = DeepSeekSettings(
            file: file, gguf: false, key: { $0 }, hidden: v.int("hidden_size"), layers: v.int("num_hidden_layers"),
            intermediate: v.int("intermediate_size"), moeIntermediate: v.int("moe_intermediate_size"),
            sharedExperts: v.int("n_shared_experts"), firstDense: v.int("first_k_dense_replace"), moeFreq: v.int("moe_layer_freq"),
            shape: shape, router: router, correctionBias: v3 ? .required : .absent, rmsNormEps: Float(v["rms_norm_eps"] ?? 1e-6),
            maxPositions: v.int("max_position_embeddings"), tied: v.bool("tie_word_embeddings"), rope: try cfg.ropeParameters(),
            interleaved: !v3 || v.bool("rope_interleave"))
        s.fp8Block = fp8Block
        // The release ships its MTP block as layer num_hidden_layers (transformers never reads it, and re-uploads
        // often drop it): loaded where its tensors are, as GGUF's nextn blocks are.
        let mtp = v.int("num_nextn_predict_layers")
        guard mtp >= 0 else { throw ModelError("\(file): num_nextn_predict_layers must be 0 or more, got \(mtp)") }
        // (by name: an FP8 eh_proj is no plain tensor view)
        let names = Set(b.store.tensorNames)
        s.nextnLayers = (0..<mtp).prefix { names.contains(DeepSeekNextNWeights.name("eh_proj", layer: s.layers + $0, gguf: false)) }.count
        return try assemble(s, builder: b, contextLength: src.contextLength, storage: src.storage)
    }

    /// The model from checked settings and the checkpoint's tensors (HF names, or GGUF's with stacked experts).
    static func assemble(_ s: DeepSeekSettings, builder b: WeightBuilder, contextLength: Int?,
                         storage: [any AnyObject & Sendable]) throws -> DeepSeekModel {
        try s.check()
        let d = s.hidden, shape = s.shape, experts = s.router.experts
        func name(_ slot: LatentSlot, _ l: Int, expert: Int? = nil) -> String { slot.name(layer: l, expert: expert, gguf: s.gguf) }
        func matrix(_ slot: LatentSlot, _ l: Int, expert: Int? = nil, rows: Int, cols: Int) throws -> LinearWeight {
            try linear(name(slot, l, expert: expert), rows: rows, cols: cols)
        }
        func linear(_ name: String, rows: Int, cols: Int) throws -> LinearWeight {
            if let fp8 = try b.blockFP8(named: name, rows: rows, cols: cols, block: s.fp8Block) { return .fp8(fp8) }
            return .matrix(try b.matrix(named: name, rows: rows, cols: cols))
        }
        func vector(_ name: String, _ count: Int) throws -> [Float] {
            guard let t = b.store.tensor(name) else { throw ModelError("\(b.path): tensor '\(name)' not found") }
            guard t.shape == [count] || (count > 0 && t.shape.reduce(1, *) == count && t.shape.count == 2) else {
                throw ModelError("\(b.path): tensor '\(name)' has shape \(t.shape), expected [\(count)]")
            }
            return try b.vector(name, count: count)
        }
        let embedding = try b.matrix(.embedding, rows: nil, cols: d)
        let vocab = embedding.rows
        let output = (s.tied || s.gguf) && b.store.tensor(b.names.name(.output, gguf: s.gguf)!) == nil
            ? embedding : try b.matrix(.output, rows: vocab, cols: d)
        let H = shape.headCount, inter = s.moeIntermediate, r = shape.kvLoraRank
        func layer(_ l: Int) throws -> DeepSeekLayerWeights {
            let qA = shape.qLoraRank > 0 ? try matrix(.qA, l, rows: shape.qLoraRank, cols: d) : nil
            let kvA = try matrix(.kvA, l, rows: shape.cacheWidth, cols: d)  // before kv_b: a wrong kv_lora_rank names it
            let kvB: LatentUpProjection
            let kB = LatentSlot.ggufKB.replacingOccurrences(of: "{i}", with: String(l))
            if s.gguf, b.store.tensor(kB) != nil {
                let vB = LatentSlot.ggufVB.replacingOccurrences(of: "{i}", with: String(l))
                kvB = .split(kB: try b.stacked(named: kB, count: H, rows: r, cols: shape.nopeDim).first.map {
                                 WeightMatrix(type: $0.type, rows: H * r, cols: shape.nopeDim, data: $0.data) }!,
                             vB: try b.stacked(named: vB, count: H, rows: shape.vDim, cols: r).first.map {
                                 WeightMatrix(type: $0.type, rows: H * shape.vDim, cols: r, data: $0.data) }!)
            } else {
                kvB = .joined(try matrix(.kvB, l, rows: H * (shape.nopeDim + shape.vDim), cols: r))
            }
            let attention = LatentAttentionWeights(
                qA: qA, qANorm: qA != nil ? try vector(name(.qANorm, l), shape.qLoraRank) : nil,
                q: qA != nil ? try matrix(.qB, l, rows: H * shape.qkDim, cols: shape.qLoraRank) : try matrix(.q, l, rows: H * shape.qkDim, cols: d),
                kvA: kvA, kvANorm: try vector(name(.kvANorm, l), r),
                kvB: kvB, o: try matrix(.o, l, rows: d, cols: H * shape.vDim), shape: shape)
            let mlp: DeepSeekLayerWeights.MLP
            if experts > 0 && l >= s.firstDense && l % s.moeFreq == 0 {
                let routed: [FeedForwardWeights]
                if s.gguf {
                    let what = " (\(s.key("n_routed_experts")) \(experts), \(s.key("moe_intermediate_size")) \(inter), \(s.key("hidden_size")) \(d))"
                    let g = try b.stacked(named: name(.expertGate, l), count: experts, rows: inter, cols: d, what: what)
                    let u = try b.stacked(named: name(.expertUp, l), count: experts, rows: inter, cols: d, what: what)
                    let dn = try b.stacked(named: name(.expertDown, l), count: experts, rows: d, cols: inter, what: what)
                    routed = (0..<experts).map { FeedForwardWeights(gate: .matrix(g[$0]), up: .matrix(u[$0]), down: .matrix(dn[$0])) }
                } else {
                    routed = try (0..<experts).map { e in
                        FeedForwardWeights(gate: try matrix(.expertGate, l, expert: e, rows: inter, cols: d),
                                           up: try matrix(.expertUp, l, expert: e, rows: inter, cols: d),
                                           down: try matrix(.expertDown, l, expert: e, rows: d, cols: inter))
                    }
                }
                let sharedInter = inter * s.sharedExperts
                let shared = sharedInter > 0
                    ? FeedForwardWeights(gate: try matrix(.sharedGate, l, rows: sharedInter, cols: d),
                                         up: try matrix(.sharedUp, l, rows: sharedInter, cols: d),
                                         down: try matrix(.sharedDown, l, rows: d, cols: sharedInter)) : nil
                let bias: [Float]?
                switch s.correctionBias {
                case .required: bias = try vector(name(.routerBias, l), experts)
                case .optional: bias = b.store.tensor(name(.routerBias, l)) != nil ? try vector(name(.routerBias, l), experts) : nil
                case .absent: bias = nil
                }
                mlp = .experts(MixtureOfExpertsWeights(router: try vector(name(.router, l), experts * d), correctionBias: bias,
                                                       experts: routed, shared: shared))
            } else {
                func dense(_ slot: WeightSlot) -> String { b.names.name(slot, layer: l, gguf: s.gguf)! }
                mlp = .dense(FeedForwardWeights(gate: try linear(dense(.gate), rows: s.intermediate, cols: d),
                                                up: try linear(dense(.up), rows: s.intermediate, cols: d),
                                                down: try linear(dense(.down), rows: d, cols: s.intermediate)))
            }
            return DeepSeekLayerWeights(attnNorm: try b.vector(.attnNorm, l, d), attention: attention,
                                        ffnNorm: try b.vector(.ffnNorm, l, d), mlp: mlp)
        }
        let layers = try (0..<s.layers).map(layer)
        let nextn = try (s.layers..<(s.layers + s.nextnLayers)).map {
            try DeepSeekNextNWeights(layer: $0, block: layer($0), hidden: d, vocab: vocab, gguf: s.gguf, builder: b, linear: linear)
        }

        // MARK: - rope and the softmax scale
        let p = s.rope
        let rope = try ModelLoader.rotaryEmbedding(p, headDim: shape.ropeDim, maxPositions: s.maxPositions,
                                                   style: s.interleaved ? .interleaved : .halves, freqFactors: nil, path: b.path)
        guard rope.rotaryDim == shape.ropeDim else {
            throw ModelError("\(s.file): rotary dimension \(rope.rotaryDim) differs from \(s.key("qk_rope_head_dim")) \(shape.ropeDim)")
        }
        // transformers' yarn_apply_mscale (llama.cpp's yarn_log_multiplier): a scaled rope with mscale_all_dim
        // multiplies the softmax scale by mscale²
        var scale = 1 / Double(shape.qkDim).squareRoot()
        if p.ropeType != .default, let mAll = p.mscaleAllDim, mAll != 0, p.factor > 1 {
            let m = 0.1 * mAll * log(p.factor) + 1
            scale *= m * m
        }
        let config = DeepSeekConfig(
            vocabSize: vocab, hiddenSize: d, layerCount: s.layers, attention: shape, router: s.router,
            rmsNormEps: s.rmsNormEps, contextLength: contextLength ?? s.maxPositions, rope: rope, softmaxScale: Float(scale))
        return DeepSeekModel(config: config, weights: DeepSeekWeights(embedding: embedding, layers: layers,
                                                                      outputNorm: try b.vector(.outputNorm, nil, d), output: output,
                                                                      nextn: nextn),
                             storage: storage)
    }
}
