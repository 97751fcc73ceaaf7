// Llama (DeepSeek-R1-Distill-Llama 8B/70B): transformers' LlamaForCausalLM, llama.cpp's LLM_ARCH_LLAMA.
// Default, linear or llama3 RoPE scaling; optional attention bias; GGUF Q/K rows permuted to interleaved RoPE pairs.

extension ArchitectureRegistry {
    public static let llama = Architecture(
        name: "llama",
        modelTypes: ["llama"],
        ggufArchitectures: ["llama"],
        names: .llamaFamily,
        qkvBias: nil,
        qkNorm: false,
        ggufRopeStyle: .interleaved,
        hyperparameters: .denseDecoder(headDim: .quotient("hidden_size", "num_attention_heads"), maxPositionEmbeddings: 2048))
}
