// A tokenizer from GGUF metadata (`tokenizer.ggml.*`), the same implementation tokenizer.json feeds.
import R1Formats

extension Tokenizer {
    /// Reads `tokenizer.ggml.{model,tokens,merges,token_type,pre,bos_token_id,eos_token_id,padding_token_id,
    /// add_bos_token,add_eos_token,normalizer.lowercase}`; an unknown model or pre-tokenizer is an error naming it.
    public convenience init(gguf file: GGUFFile) throws {
        let model = file.string("tokenizer.ggml.model") ?? "gpt2"
        guard ["gpt2", "gemma4", "whitespace"].contains(model) else {
            throw TokenizerError.unsupported("\(file.path): tokenizer model '\(model)' (only BPE: 'gpt2', 'gemma4', 'whitespace')")
        }
        guard let tokens = file.stringArray("tokenizer.ggml.tokens") else {
            throw TokenizerError.malformed("\(file.path): no tokenizer.ggml.tokens in metadata")
        }
        try self.init(tokens: tokens,
                      merges: file.stringArray("tokenizer.ggml.merges") ?? [],
                      tokenTypes: file.intArray("tokenizer.ggml.token_type") ?? [],
                      preTokenizer: file.string("tokenizer.ggml.pre") ?? "default",
                      bosId: file.int("tokenizer.ggml.bos_token_id"),
                      eosId: file.int("tokenizer.ggml.eos_token_id"),
                      padId: file.int("tokenizer.ggml.padding_token_id"),
                      addBos: file.bool("tokenizer.ggml.add_bos_token") ?? false,
                      addEos: file.bool("tokenizer.ggml.add_eos_token") ?? false,
                      model: model,
                      lowercase: file.bool("tokenizer.ggml.normalizer.lowercase") ?? false)
    }
}
