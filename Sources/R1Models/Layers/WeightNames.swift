// Checkpoint names are data: each decoder weight slot with its Hugging Face and GGUF name, `{i}` the layer index,
// like gguf-py's TensorNameMap.

public enum WeightSlot: String, Sendable, CaseIterable {
    case embedding, outputNorm, output
    case attnNorm, q, k, v, o, qBias, kBias, vBias, qNorm, kNorm
    case ffnNorm, gate, up, down
    case ropeFreqs
}

public struct WeightNames: Sendable {
    public let hf: [WeightSlot: String]
    public let gguf: [WeightSlot: String]

    /// The names Llama, Qwen2 and Qwen3 share (transformers' LlamaForCausalLM layout; llama.cpp's LLM_TENSOR_NAMES).
    public static let llamaFamily = WeightNames(
        hf: [
            .embedding: "model.embed_tokens.weight",
            .outputNorm: "model.norm.weight",
            .output: "lm_head.weight",
            .attnNorm: "model.layers.{i}.input_layernorm.weight",
            .q: "model.layers.{i}.self_attn.q_proj.weight",
            .k: "model.layers.{i}.self_attn.k_proj.weight",
            .v: "model.layers.{i}.self_attn.v_proj.weight",
            .o: "model.layers.{i}.self_attn.o_proj.weight",
            .qBias: "model.layers.{i}.self_attn.q_proj.bias",
            .kBias: "model.layers.{i}.self_attn.k_proj.bias",
            .vBias: "model.layers.{i}.self_attn.v_proj.bias",
            .qNorm: "model.layers.{i}.self_attn.q_norm.weight",
            .kNorm: "model.layers.{i}.self_attn.k_norm.weight",
            .ffnNorm: "model.layers.{i}.post_attention_layernorm.weight",
            .gate: "model.layers.{i}.mlp.gate_proj.weight",
            .up: "model.layers.{i}.mlp.up_proj.weight",
            .down: "model.layers.{i}.mlp.down_proj.weight",
        ],
        gguf: [
            .embedding: "token_embd.weight",
            .outputNorm: "output_norm.weight",
            .output: "output.weight",
            .ropeFreqs: "rope_freqs.weight",
            .attnNorm: "blk.{i}.attn_norm.weight",
            .q: "blk.{i}.attn_q.weight",
            .k: "blk.{i}.attn_k.weight",
            .v: "blk.{i}.attn_v.weight",
            .o: "blk.{i}.attn_output.weight",
            .qBias: "blk.{i}.attn_q.bias",
            .kBias: "blk.{i}.attn_k.bias",
            .vBias: "blk.{i}.attn_v.bias",
            .qNorm: "blk.{i}.attn_q_norm.weight",
            .kNorm: "blk.{i}.attn_k_norm.weight",
            .ffnNorm: "blk.{i}.ffn_norm.weight",
            .gate: "blk.{i}.ffn_gate.weight",
            .up: "blk.{i}.ffn_up.weight",
            .down: "blk.{i}.ffn_down.weight",
        ])

    public func name(_ slot: WeightSlot, layer: Int? = nil, gguf isGGUF: Bool) -> String? {
        guard let pattern = (isGGUF ? gguf : hf)[slot] else { return nil }
        guard let l = layer else { return pattern }
        return pattern.replacingOccurrences(of: "{i}", with: String(l))
    }
}

import Foundation
