// A byte-level BPE tokenizer.json + tokenizer_config.json as GGUF `tokenizer.ggml.*` keys, as convert_hf_to_gguf.py's
// _set_vocab_gpt2 and gguf-py's SpecialVocab write them (token types: 1 normal, 3 control, 4 user-defined, 5 unused).
import Foundation
import R1Formats
import R1Tokenizer

struct GGUFVocabulary {
    var tokens: [String] = []
    var tokenTypes: [Int32] = []
    var merges: [String] = []
    var pre: String
    var bosId: Int?, eosId: Int?, padId: Int?
    var addBos: Bool?, addEos: Bool?
    var chatTemplate: String?

    /// `vocabSize`: the model's embedding rows (config.json); ids the tokenizer leaves unused become `[PADn]`.
    init(folder: String, vocabSize: Int) throws {
        let dir = URL(fileURLWithPath: folder)
        let jsonPath = dir.appendingPathComponent("tokenizer.json").path
        let root = try JSONValue.load(path: jsonPath)
        let configPath = dir.appendingPathComponent("tokenizer_config.json").path
        let config = FileManager.default.fileExists(atPath: configPath) ? try JSONValue.load(path: configPath) : .object([:])
        guard let model = root["model"], model["type"]?.string ?? "BPE" == "BPE", let vocab = model["vocab"]?.object else {
            throw FormatError(jsonPath, "not a BPE tokenizer with a model.vocab object")
        }
        pre = try Self.preTokenizerName(root["pre_tokenizer"], path: jsonPath)

        // Added tokens: special per tokenizer_config's added_tokens_decoder when it says, else tokenizer.json.
        var added: [Int: (String, Bool)] = [:]
        for entry in root["added_tokens"]?.array ?? [] {
            guard let id = entry["id"]?.int, let content = entry["content"]?.string else {
                throw FormatError(jsonPath, "added token \(entry) has no id or content")
            }
            added[id] = (content, entry["special"]?.bool ?? false)
        }
        for (key, entry) in config["added_tokens_decoder"]?.object ?? [:] {
            if let id = Int(key), let special = entry["special"]?.bool, let old = added[id] { added[id] = (old.0, special) }
        }
        var byId: [Int: String] = [:]
        for (token, value) in vocab {
            guard let id = value.int, id >= 0 else { throw FormatError(jsonPath, "vocab entry '\(token)' has id \(value)") }
            byId[id] = token
        }
        let largest = max((byId.keys.max() ?? -1), (added.keys.max() ?? -1))
        guard largest < vocabSize else {
            throw FormatError(jsonPath, "token id \(largest) is outside the model's vocab_size \(vocabSize)")
        }
        let count = vocabSize
        for id in 0..<count {
            if let (content, special) = added[id] {
                tokens.append(content)
                tokenTypes.append(special ? 3 : 4)
            } else if let token = byId[id] {
                tokens.append(token)
                tokenTypes.append(1)
            } else {
                tokens.append("[PAD\(id)]")
                tokenTypes.append(5)
            }
        }
        for entry in model["merges"]?.array ?? [] {
            if let line = entry.string {
                merges.append(line)
            } else if let pair = entry.array?.compactMap(\.string), pair.count == 2 {
                merges.append("\(pair[0]) \(pair[1])")
            } else {
                throw FormatError(jsonPath, "merge \(entry) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        func content(_ key: String) -> String? { config[key]?.string ?? config[key]?["content"]?.string }
        func id(of token: String?) -> Int? { token.flatMap { t in tokens.firstIndex(of: t) } }
        bosId = id(of: content("bos_token"))
        eosId = id(of: content("eos_token"))
        padId = id(of: content("pad_token"))
        addBos = config["add_bos_token"]?.bool
        addEos = config["add_eos_token"]?.bool
        chatTemplate = config["chat_template"]?.string
    }

    /// The GGUF pre-tokenizer name whose regexes equal the file's Split patterns (or GPT-2's ByteLevel regex).
    static func preTokenizerName(_ value: JSONValue?, path: String) throws -> String {
        var patterns: [String] = []
        var byteLevelRegex = false
        func collect(_ v: JSONValue?) {
            guard let v else { return }
            switch v["type"]?.string {
            case "Sequence": for inner in v["pretokenizers"]?.array ?? [] { collect(inner) }
            case "Split": if let p = v["pattern"]?["Regex"]?.string { patterns.append(p) }
            case "ByteLevel": byteLevelRegex = v["use_regex"]?.bool ?? true
            default: break
            }
        }
        collect(value)
        if patterns.isEmpty && byteLevelRegex { return "gpt-2" }
        for name in ["qwen2", "llama-bpe", "deepseek-v3"] {
            if try WordSplitter(preTokenizer: name).splitPatterns == patterns { return name }
        }
        throw FormatError(path, "pre-tokenizer Split patterns \(patterns) match no GGUF pre-tokenizer (qwen2, llama-bpe, deepseek-v3, gpt-2)")
    }

    func add(to w: inout GGUFWriter) throws {
        try w.add("tokenizer.ggml.model", .string("gpt2"))
        try w.add("tokenizer.ggml.pre", .string(pre))
        try w.add("tokenizer.ggml.tokens", .array(elementType: .string, tokens.map { .string($0) }))
        try w.add("tokenizer.ggml.token_type", .array(elementType: .int32, tokenTypes.map { .int32($0) }))
        try w.add("tokenizer.ggml.merges", .array(elementType: .string, merges.map { .string($0) }))
        if let bosId { try w.add("tokenizer.ggml.bos_token_id", .uint32(UInt32(bosId))) }
        if let eosId { try w.add("tokenizer.ggml.eos_token_id", .uint32(UInt32(eosId))) }
        if let padId { try w.add("tokenizer.ggml.padding_token_id", .uint32(UInt32(padId))) }
        if let addBos { try w.add("tokenizer.ggml.add_bos_token", .bool(addBos)) }
        if let addEos { try w.add("tokenizer.ggml.add_eos_token", .bool(addEos)) }
        if let chatTemplate { try w.add("tokenizer.chat_template", .string(chatTemplate)) }
    }
}
