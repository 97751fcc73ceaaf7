// Qwen2 (DeepSeek-R1-Distill-Qwen 1.5B/7B/14B/32B): transformers' Qwen2ForCausalLM, llama.cpp's LLM_ARCH_QWEN2.
// Llama's decoder with biases on the Q, K and V projections; rotate-half RoPE in both formats.

extension ArchitectureRegistry {
    public static let qwen2 = Architecture(
        name: "qwen2",
        modelTypes: ["qwen2"],
        ggufArchitectures: ["qwen2"],
        names: .llamaFamily,
        qkvBias: true,
        qkNorm: false,
        ggufRopeStyle: .halves,
        hyperparameters: .denseDecoder(headDim: .quotient("hidden_size", "num_attention_heads"), maxPositionEmbeddings: 32768))
}
