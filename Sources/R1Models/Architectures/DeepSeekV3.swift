// DeepSeek-V3 / R1 and DeepSeek-V2 / V2-Lite: transformers' DeepseekV3ForCausalLM and DeepseekV2ForCausalLM
// (llama.cpp's LLM_ARCH_DEEPSEEK2 for both). Multi-head latent attention (Layers/LatentAttention.swift) and DeepSeekMoE
// (Layers/MixtureOfExperts.swift) in a pre-norm decoder whose first `first_k_dense_replace` layers are dense.
// This file: the checkpoint strings, hyperparameter tables, weight names and the builder; the model is DeepSeekModel.
import Foundation
import R1Formats
import R1Kernels

extension ArchitectureRegistry {
    public static let deepseekV3 = Architecture(
        name: "deepseek_v3", modelTypes: ["deepseek_v3"], ggufArchitectures: [], names: .deepSeekDense,
        qkvBias: false, qkNorm: false, ggufRopeStyle: .interleaved, hyperparameters: .deepSeek(v3: true),
        build: { try DeepSeekModel.build($0, v3: true) })

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
    /// llama.cpp's names (experts stacked in 3-D `*_exps` tensors); read by a later GGUF slice.
    static let gguf: [LatentSlot: String] = [
        .qA: "blk.{i}.attn_q_a.weight", .qANorm: "blk.{i}.attn_q_a_norm.weight", .qB: "blk.{i}.attn_q_b.weight",
        .q: "blk.{i}.attn_q.weight", .kvA: "blk.{i}.attn_kv_a_mqa.weight", .kvANorm: "blk.{i}.attn_kv_a_norm.weight",
        .kvB: "blk.{i}.attn_kv_b.weight", .o: "blk.{i}.attn_output.weight",
        .router: "blk.{i}.ffn_gate_inp.weight", .routerBias: "blk.{i}.exp_probs_b.bias",
        .expertGate: "blk.{i}.ffn_gate_exps.weight", .expertUp: "blk.{i}.ffn_up_exps.weight",
        .expertDown: "blk.{i}.ffn_down_exps.weight", .sharedGate: "blk.{i}.ffn_gate_shexp.weight",
        .sharedUp: "blk.{i}.ffn_up_shexp.weight", .sharedDown: "blk.{i}.ffn_down_shexp.weight",
    ]

    func name(layer: Int, expert: Int? = nil) -> String {
        var n = LatentSlot.hf[self]!.replacingOccurrences(of: "{i}", with: String(layer))
        if let e = expert { n = n.replacingOccurrences(of: "{e}", with: String(e)) }
        return n
    }
}

extension DeepSeekModel {
    /// Checks the config (one-line errors naming the value) and every tensor's name and shape.
    static func build(_ src: ModelSource, v3: Bool) throws -> DeepSeekModel {
        let v = src.values, b = src.builder, cfg = src.config
        let file = b.path.hasSuffix(".json") ? b.path : "\(b.path)/config.json"
        func isNull(_ key: String) -> Bool { cfg[key] == .null }
        let d = v.int("hidden_size"), layers = v.int("num_hidden_layers"), experts = v.int("n_routed_experts")
        let topK = v.int("num_experts_per_tok")
        let groups = isNull("n_group") ? 1 : v.int("n_group"), topkGroups = isNull("topk_group") ? 1 : v.int("topk_group")
        let shape = LatentAttentionShape(headCount: v.int("num_attention_heads"), qLoraRank: isNull("q_lora_rank") ? 0 : v.int("q_lora_rank"),
                                         kvLoraRank: v.int("kv_lora_rank"), nopeDim: v.int("qk_nope_head_dim"),
                                         ropeDim: v.int("qk_rope_head_dim"), vDim: v.int("v_head_dim"))
        for key in ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "kv_lora_rank",
                    "qk_rope_head_dim", "v_head_dim", "max_position_embeddings", "moe_layer_freq"] where v.int(key) <= 0 {
            throw ModelError("\(file): \(key) must be positive, got \(v.int(key))")
        }
        for key in ["q_lora_rank", "qk_nope_head_dim", "n_routed_experts", "n_shared_experts", "first_k_dense_replace"] where v.int(key) < 0 {
            throw ModelError("\(file): \(key) must not be negative, got \(v.int(key))")
        }
        if experts > 0 {
            guard topK >= 1, topK <= experts else {
                throw ModelError("\(file): num_experts_per_tok \(topK) must be between 1 and n_routed_experts \(experts)")
            }
            guard groups >= 1, experts % groups == 0 else { throw ModelError("\(file): n_group \(groups) does not divide n_routed_experts \(experts)") }
            guard topkGroups >= 1, topkGroups <= groups else { throw ModelError("\(file): topk_group \(topkGroups) must be between 1 and n_group \(groups)") }
            guard topK <= topkGroups * (experts / groups) else {
                throw ModelError("\(file): num_experts_per_tok \(topK) is more than the \(topkGroups * (experts / groups)) experts in topk_group \(topkGroups) groups of \(experts / groups)")
            }
            if v3 && groups > 1 && experts / groups < 2 {
                throw ModelError("\(file): n_group \(groups) leaves \(experts / groups) expert per group; DeepSeek-V3 ranks groups by their top 2")
            }
        }
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
        let grouped = v3 || cfg.string("topk_method") == "group_limited_greedy"
        let router = Router(scoring: scoring, experts: experts, topK: topK, groups: grouped ? groups : 1,
                            topkGroups: grouped ? topkGroups : 1, normTopkProb: v3 && v.bool("norm_topk_prob"),
                            scale: Float(v["routed_scaling_factor"] ?? 1))

        // MARK: - weights
        func matrix(_ slot: LatentSlot, _ l: Int, expert: Int? = nil, rows: Int, cols: Int) throws -> WeightMatrix {
            try b.matrix(named: slot.name(layer: l, expert: expert), rows: rows, cols: cols)
        }
        func vector(_ slot: LatentSlot, _ l: Int, _ count: Int) throws -> [Float] {
            let name = slot.name(layer: l)
            guard let t = b.store.tensor(name) else { throw ModelError("\(b.path): tensor '\(name)' not found") }
            guard t.shape == [count] || (count > 0 && t.shape.reduce(1, *) == count && t.shape.count == 2) else {
                throw ModelError("\(b.path): tensor '\(name)' has shape \(t.shape), expected [\(count)]")
            }
            return try b.vector(name, count: count)
        }
        let embedding = try b.matrix(.embedding, rows: nil, cols: d)
        let vocab = embedding.rows
        let output = v.bool("tie_word_embeddings") && b.store.tensor(b.names.name(.output, gguf: false)!) == nil
            ? embedding : try b.matrix(.output, rows: vocab, cols: d)
        let H = shape.headCount, moeInter = v.int("moe_intermediate_size"), freq = v.int("moe_layer_freq")
        var layerWeights: [DeepSeekLayerWeights] = []
        for l in 0..<layers {
            let qA = shape.qLoraRank > 0 ? try matrix(.qA, l, rows: shape.qLoraRank, cols: d) : nil
            let attention = LatentAttentionWeights(
                qA: qA, qANorm: qA != nil ? try vector(.qANorm, l, shape.qLoraRank) : nil,
                q: qA != nil ? try matrix(.qB, l, rows: H * shape.qkDim, cols: shape.qLoraRank) : try matrix(.q, l, rows: H * shape.qkDim, cols: d),
                kvA: try matrix(.kvA, l, rows: shape.cacheWidth, cols: d), kvANorm: try vector(.kvANorm, l, shape.kvLoraRank),
                kvB: try matrix(.kvB, l, rows: H * (shape.nopeDim + shape.vDim), cols: shape.kvLoraRank),
                o: try matrix(.o, l, rows: d, cols: H * shape.vDim))
            let mlp: DeepSeekLayerWeights.MLP
            if experts > 0 && l >= v.int("first_k_dense_replace") && l % freq == 0 {
                let routed = try (0..<experts).map { e in
                    FeedForwardWeights(gate: try matrix(.expertGate, l, expert: e, rows: moeInter, cols: d),
                                       up: try matrix(.expertUp, l, expert: e, rows: moeInter, cols: d),
                                       down: try matrix(.expertDown, l, expert: e, rows: d, cols: moeInter))
                }
                let sharedInter = moeInter * v.int("n_shared_experts")
                let shared = sharedInter > 0
                    ? FeedForwardWeights(gate: try matrix(.sharedGate, l, rows: sharedInter, cols: d),
                                         up: try matrix(.sharedUp, l, rows: sharedInter, cols: d),
                                         down: try matrix(.sharedDown, l, rows: d, cols: sharedInter)) : nil
                mlp = .experts(MixtureOfExpertsWeights(
                    router: try vector(.router, l, experts * d), correctionBias: v3 ? try vector(.routerBias, l, experts) : nil,
                    experts: routed, shared: shared))
            } else {
                let inter = v.int("intermediate_size")
                mlp = .dense(FeedForwardWeights(gate: try b.matrix(.gate, l, rows: inter, cols: d), up: try b.matrix(.up, l, rows: inter, cols: d),
                                                down: try b.matrix(.down, l, rows: d, cols: inter)))
            }
            layerWeights.append(DeepSeekLayerWeights(attnNorm: try b.vector(.attnNorm, l, d), attention: attention,
                                                     ffnNorm: try b.vector(.ffnNorm, l, d), mlp: mlp))
        }

        // MARK: - rope and the softmax scale
        let p = try cfg.ropeParameters()
        let interleaved = !v3 || v.bool("rope_interleave")
        let rope = try ModelLoader.rotaryEmbedding(p, headDim: shape.ropeDim, maxPositions: v.int("max_position_embeddings"),
                                                   style: interleaved ? .interleaved : .halves, freqFactors: nil, path: b.path)
        guard rope.rotaryDim == shape.ropeDim else {
            throw ModelError("\(file): rotary dimension \(rope.rotaryDim) differs from qk_rope_head_dim \(shape.ropeDim)")
        }
        // transformers' yarn_apply_mscale: any scaled rope with mscale_all_dim multiplies the scale by mscale²
        var scale = 1 / Double(shape.qkDim).squareRoot()
        if p.ropeType != .default, let mAll = p.mscaleAllDim, mAll != 0, p.factor > 1 {
            let m = 0.1 * mAll * log(p.factor) + 1
            scale *= m * m
        }
        let config = DeepSeekConfig(
            vocabSize: vocab, hiddenSize: d, layerCount: layers, attention: shape, router: router,
            rmsNormEps: Float(v["rms_norm_eps"] ?? 1e-6), contextLength: src.contextLength ?? v.int("max_position_embeddings"),
            rope: rope, softmaxScale: Float(scale))
        return DeepSeekModel(config: config, weights: DeepSeekWeights(embedding: embedding, layers: layerWeights,
                                                                      outputNorm: try b.vector(.outputNorm, nil, d), output: output),
                             storage: src.storage)
    }
}
