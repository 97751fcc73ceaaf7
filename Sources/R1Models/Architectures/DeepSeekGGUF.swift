// DeepSeek-V2/V3 from GGUF `deepseek2` files, as llama.cpp's convert_hf_to_gguf.py writes them (conversion/deepseek.py,
// src/models/deepseek2.cpp): experts stacked in 3-D `ffn_{gate,up,down}_exps` tensors (each expert a contiguous slice,
// read in place by the quantized matmuls), kv_b_proj as `attn_kv_b` (files converted before the split) or as
// `attn_k_b` (each head's key rows transposed) + `attn_v_b`. Which model it is comes from the metadata: the gating
// function (1 softmax: V2, 2 sigmoid: V3; absent: softmax, as llama.cpp reads V2 files that predate the key), q
// compression from `attention.q_lora_rank` (absent: none, whatever the layer count), MTP blocks from
// `nextn_predict_layers`.
import Foundation
import R1Formats
import R1Kernels

extension DeepSeekModel {
    /// llama.cpp's LLAMA_EXPERT_GATING_FUNC_TYPE values this engine runs.
    static let gatingFunctions: [Int: Router.Scoring] = [1: .softmax, 2: .sigmoid]

    /// A `deepseek2` GGUF's metadata (keys with the `deepseek2.` prefix) and tensors. Returns the model and the
    /// architecture its gating function names (V3 for sigmoid, V2 for softmax).
    public static func buildGGUF(metadata: [String: GGUFValue], store: any TensorStore, path: String,
                                 contextLength: Int? = nil, storage: [any AnyObject & Sendable] = []) throws
        -> (model: DeepSeekModel, architecture: Architecture) {
        let arch = "deepseek2"
        func key(_ k: String) -> String { "\(arch).\(k)" }
        func int(_ k: String, _ fallback: Int? = nil) throws -> Int {
            guard let v = metadata[key(k)] else {
                if let fallback { return fallback }
                throw ModelError("\(path): \(key(k)) missing")
            }
            guard let i = v.int else { throw ModelError("\(path): \(key(k)) is \(v), not an integer") }
            return i
        }
        func double(_ k: String, _ fallback: Double) throws -> Double {
            guard let v = metadata[key(k)] else { return fallback }
            guard let d = v.double, d.isFinite else { throw ModelError("\(path): \(key(k)) is \(v), not a finite number") }
            return d
        }
        func bool(_ k: String) throws -> Bool {
            guard let v = metadata[key(k)] else { return false }
            guard let b = v.bool else { throw ModelError("\(path): \(key(k)) is \(v), not true or false") }
            return b
        }
        // config.json's names as this layout spells them, for errors
        let spelled: [String: String] = [
            "hidden_size": "embedding_length", "num_hidden_layers": "block_count", "intermediate_size": "feed_forward_length",
            "moe_intermediate_size": "expert_feed_forward_length", "num_attention_heads": "attention.head_count",
            "q_lora_rank": "attention.q_lora_rank", "kv_lora_rank": "attention.kv_lora_rank",
            "qk_nope_head_dim": "attention.key_length_mla - rope.dimension_count", "qk_rope_head_dim": "rope.dimension_count",
            "v_head_dim": "attention.value_length_mla", "n_routed_experts": "expert_count", "num_experts_per_tok": "expert_used_count",
            "n_shared_experts": "expert_shared_count", "n_group": "expert_group_count", "topk_group": "expert_group_used_count",
            "first_k_dense_replace": "leading_dense_block_count", "max_position_embeddings": "context_length",
            "moe_layer_freq": "moe_layer_freq",
        ]
        let name = { (k: String) in spelled[k].map(key) ?? k }

        let gating = try int("expert_gating_func", 1)
        guard let scoring = gatingFunctions[gating] else {
            throw ModelError("\(path): \(key("expert_gating_func")) \(gating) is not supported (1 softmax, 2 sigmoid)")
        }
        let blocks = try int("block_count"), nextn = try int("nextn_predict_layers", 0)
        guard nextn >= 0, nextn < blocks else {
            throw ModelError("\(path): \(key("nextn_predict_layers")) \(nextn) must be between 0 and \(key("block_count")) \(blocks) - 1")
        }
        let rope = try int("rope.dimension_count"), kvRank = try int("attention.kv_lora_rank")
        // the newer layout writes the per-head sizes as *_mla and key/value_length as the latent's; the older one
        // wrote the per-head sizes as key/value_length
        let mla = metadata[key("attention.key_length_mla")] != nil
        let qkDim = try int(mla ? "attention.key_length_mla" : "attention.key_length")
        let vDim = try int(mla ? "attention.value_length_mla" : "attention.value_length")
        var shape = LatentAttentionShape(headCount: try int("attention.head_count"), qLoraRank: try int("attention.q_lora_rank", 0),
                                         kvLoraRank: kvRank, nopeDim: qkDim - rope, ropeDim: rope, vDim: vDim)
        let eps = Float(try double("attention.layer_norm_rms_epsilon", .nan))
        guard eps.isFinite, eps > 0 else { throw ModelError("\(path): \(key("attention.layer_norm_rms_epsilon")) missing or not positive") }
        shape.normEps = eps
        let groups = try int("expert_group_count", 0), topkGroups = try int("expert_group_used_count", 0)
        let experts = try int("expert_count", 0)
        let router = Router(scoring: scoring, experts: experts, topK: try int("expert_used_count", experts > 0 ? nil : 0),
                            groups: max(groups, 1), topkGroups: groups <= 1 ? 1 : topkGroups,
                            normTopkProb: try bool("expert_weights_norm"), scale: Float(try double("expert_weights_scale", 1)))

        var ropeParameters = try RopeParameters.gguf(metadata: metadata, path: path, arch: arch)
        // llama.cpp's deepseek2: yarn_log_multiplier is 0.1 · mscale_all_dim, and mscale is taken to equal it
        // (llama-context.cpp: true of every released DeepSeek config), so cos/sin carry no extra factor
        if let logMul = metadata[key("rope.scaling.yarn_log_multiplier")]?.double, logMul != 0 {
            ropeParameters.mscaleAllDim = logMul / 0.1
            ropeParameters.mscale = logMul / 0.1
        }
        let maxPositions = try int("context_length")
        let s = DeepSeekSettings(
            file: path, gguf: true, key: name, hidden: try int("embedding_length"), layers: blocks - nextn,
            intermediate: try int("feed_forward_length", 0), moeIntermediate: try int("expert_feed_forward_length", 0),
            sharedExperts: try int("expert_shared_count", 0), firstDense: try int("leading_dense_block_count", 0), moeFreq: 1,
            shape: shape, router: router, correctionBias: .optional, rmsNormEps: eps, maxPositions: maxPositions, tied: true,
            rope: ropeParameters, interleaved: true, nextnLayers: nextn)
        guard qkDim > rope else {
            throw ModelError("\(path): \(key(mla ? "attention.key_length_mla" : "attention.key_length")) \(qkDim) leaves no non-rope key dims beside \(key("rope.dimension_count")) \(rope)")
        }
        let builder = WeightBuilder(store: store, path: path, names: ArchitectureRegistry.deepseekV3.names, gguf: true)
        if let v = metadata[key("vocab_size")]?.int, let e = store.tensor("token_embd.weight"), e.shape.first != v {
            throw ModelError("\(path): \(key("vocab_size")) \(v) disagrees with tensor 'token_embd.weight' of shape \(e.shape)")
        }
        let model = try assemble(s, builder: builder, contextLength: contextLength, storage: storage)
        return (model, scoring == .sigmoid ? ArchitectureRegistry.deepseekV3 : ArchitectureRegistry.deepseekV2)
    }
}
