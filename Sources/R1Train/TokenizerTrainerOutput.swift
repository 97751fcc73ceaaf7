// A trained byte-level BPE written as `tokenizers` 0.23 saves one (`Tokenizer.save`, serde_json's pretty layout,
// keys in its order) plus a transformers-style tokenizer_config.json with the DeepSeek-R1 chat template.
import Foundation
import R1Formats
import R1Runtime
import R1Tokenizer

public struct TrainedTokenizer: Sendable {
    /// An added token: matched literally before pre-tokenization; `special` ones are skipped when decoding.
    public struct Added: Sendable, Equatable {
        public var content: String
        public var special: Bool

        public init(_ content: String, special: Bool) {
            self.content = content
            self.special = special
        }
    }

    /// R1's tokens in DeepSeek-R1-Distill's order and flags: BOS/EOS special, the role and think tags not.
    public static let r1AddedTokens: [Added] = [
        Added("<｜begin▁of▁sentence｜>", special: true), Added("<｜end▁of▁sentence｜>", special: true),
        Added("<｜User｜>", special: false), Added("<｜Assistant｜>", special: false),
        Added("<think>", special: false), Added("</think>", special: false),
    ]

    /// Learned tokens by id (byte-level strings); ids 0...255 are the byte alphabet.
    public let vocab: [String]
    public let merges: [(String, String)]
    /// Added tokens, ids from `vocab.count` on.
    public let added: [Added]
    let splitter: WordSplitter

    init(vocab: [String], merges: [(String, String)], added: [Added], splitter: WordSplitter) {
        self.vocab = vocab
        self.merges = merges
        self.added = added
        self.splitter = splitter
    }

    public var vocabularySize: Int { vocab.count + added.count }

    /// BOS and EOS: the begin/end-of-sentence added tokens when present, else the first two added tokens.
    var bosToken: String? { added.first { $0.content.contains("begin▁of▁sentence") }?.content ?? added.first?.content }
    var eosToken: String? { added.first { $0.content.contains("end▁of▁sentence") }?.content ?? added.dropFirst().first?.content }

    /// Writes tokenizer.json and tokenizer_config.json into `directory` (created if missing).
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(tokenizerJSON.utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        try Data(tokenizerConfigJSON.utf8).write(to: directory.appendingPathComponent("tokenizer_config.json"))
    }

    // MARK: - tokenizer.json

    public var tokenizerJSON: String {
        let addedTokens: [JSONOut] = added.enumerated().map { i, token in
            .object([("id", .int(vocab.count + i)), ("content", .string(token.content)), ("single_word", .bool(false)),
                     ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                     ("special", .bool(token.special))])
        }
        let byteLevel: JSONOut = .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                                          ("trim_offsets", .bool(false)), ("use_regex", .bool(splitter.byteLevelUsesRegex))])
        let splits: [JSONOut] = splitter.splitPatterns.map {
            .object([("type", .string("Split")), ("pattern", .object([("Regex", .string($0))])),
                     ("behavior", .string("Isolated")), ("invert", .bool(false))])
        }
        let preTokenizer: JSONOut = splits.isEmpty ? byteLevel
            : .object([("type", .string("Sequence")), ("pretokenizers", .array(splits + [byteLevel]))])
        let model: JSONOut = .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
            ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
            ("ignore_merges", .bool(["llama3", "llama-v3", "llama-bpe"].contains(splitter.name))),
            ("vocab", .object(vocab.enumerated().map { ($1, .int($0)) })),
            ("merges", .array(merges.map { .array([.string($0.0), .string($0.1)]) })),
        ])
        let root: JSONOut = .object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array(addedTokens)),
            ("normalizer", splitter.usesNFC ? .object([("type", .string("NFC"))]) : .null),
            ("pre_tokenizer", preTokenizer), ("post_processor", postProcessor), ("decoder", byteLevel), ("model", model),
        ])
        return PrettyJSON.text(root)
    }

    /// R1-Distill's TemplateProcessing: BOS before each sequence.
    private var postProcessor: JSONOut {
        guard let bos = bosToken, let index = added.firstIndex(where: { $0.content == bos }) else { return .null }
        let special: JSONOut = .object([("SpecialToken", .object([("id", .string(bos)), ("type_id", .int(0))]))])
        func sequence(_ id: String, _ type: Int) -> JSONOut {
            .object([("Sequence", .object([("id", .string(id)), ("type_id", .int(type))]))])
        }
        let special1: JSONOut = .object([("SpecialToken", .object([("id", .string(bos)), ("type_id", .int(1))]))])
        return .object([
            ("type", .string("TemplateProcessing")),
            ("single", .array([special, sequence("A", 0)])),
            ("pair", .array([special, sequence("A", 0), special1, sequence("B", 1)])),
            ("special_tokens", .object([(bos, .object([("id", .string(bos)), ("ids", .ints([vocab.count + index])),
                                                       ("tokens", .array([.string(bos)]))]))])),
        ])
    }

    // MARK: - tokenizer_config.json

    public var tokenizerConfigJSON: String {
        let decoder: [(String, JSONOut)] = added.enumerated().map { i, token in
            (String(vocab.count + i), .object([("content", .string(token.content)), ("lstrip", .bool(false)),
                                               ("normalized", .bool(false)), ("rstrip", .bool(false)),
                                               ("single_word", .bool(false)), ("special", .bool(token.special))]))
        }
        let root: JSONOut = .object([
            ("add_bos_token", .bool(bosToken != nil)), ("add_eos_token", .bool(false)),
            ("added_tokens_decoder", .object(decoder)),
            ("bos_token", bosToken.map(JSONOut.string) ?? .null),
            ("chat_template", .string(BuiltinTemplates.deepseekR1)),
            ("clean_up_tokenization_spaces", .bool(false)),
            ("eos_token", eosToken.map(JSONOut.string) ?? .null),
            ("legacy", .bool(true)), ("model_max_length", .int(16384)),
            ("pad_token", eosToken.map(JSONOut.string) ?? .null),
            ("sp_model_kwargs", .object([])), ("tokenizer_class", .string("LlamaTokenizerFast")), ("unk_token", .null),
        ])
        return PrettyJSON.text(root) + "\n"
    }
}

// MARK: - serde_json's pretty layout

enum PrettyJSON {
    /// Two-space indent, `"key": value`, every array and object element on its own line, `[]` and `{}` when empty.
    static func text(_ value: JSONOut) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONOut, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let close = String(repeating: "  ", count: indent)
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 1, into: &out)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += close + "]"
        case .object(let fields) where !fields.isEmpty:
            out += "{\n"
            for (i, (key, item)) in fields.enumerated() {
                out += pad + JSONOut.string(key).text + ": "
                write(item, indent: indent + 1, into: &out)
                out += i + 1 < fields.count ? ",\n" : "\n"
            }
            out += close + "}"
        default:
            out += value.text
        }
    }
}
