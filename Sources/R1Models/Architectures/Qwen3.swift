// Qwen3 (DeepSeek-R1-0528-Qwen3-8B): transformers' Qwen3ForCausalLM, llama.cpp's LLM_ARCH_QWEN3.
// Per-head RMSNorm on queries and keys before RoPE; head_dim is its own field (128 by default), not hidden / heads.

extension ArchitectureRegistry {
    public static let qwen3 = Architecture(
        name: "qwen3",
        modelTypes: ["qwen3"],
        ggufArchitectures: ["qwen3"],
        names: .llamaFamily,
        qkvBias: nil,
        qkNorm: true,
        ggufRopeStyle: .halves,
        hyperparameters: .denseDecoder(headDim: .value(128), maxPositionEmbeddings: 32768))
}
