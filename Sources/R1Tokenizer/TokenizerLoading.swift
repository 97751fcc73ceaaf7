// Building a Tokenizer from Hugging Face `tokenizer.json` + `tokenizer_config.json`, or from GGUF's plain arrays
// (tokenizer.ggml.tokens / merges / token_type / pre); both go through one TokenizerSpec.
import Foundation
import R1Formats

extension Tokenizer {
    /// Loads `tokenizer.json` and, when present, `tokenizer_config.json` from a model directory.
    public convenience init(directory: URL) throws {
        let json = try Data(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let config = FileManager.default.fileExists(atPath: configURL.path) ? try Data(contentsOf: configURL) : nil
        try self.init(tokenizerJSON: json, tokenizerConfigJSON: config)
    }

    /// Builds from the contents of `tokenizer.json` and (optionally) `tokenizer_config.json`.
    public convenience init(tokenizerJSON: Data, tokenizerConfigJSON: Data? = nil) throws {
        func object(_ data: Data, _ name: String) throws -> JSONObject {
            let value: JSONValue
            do { value = try JSONValue.parse(data) } catch { throw TokenizerError.malformed("\(name): \(error)") }
            guard let object = value.object else { throw TokenizerError.malformed("\(name) is not an object") }
            return object
        }
        let root = try object(tokenizerJSON, "tokenizer.json")
        let config = try tokenizerConfigJSON.map { try object($0, "tokenizer_config.json") } ?? [:]
        try self.init(spec: try TokenizerSpec(json: root, config: config))
    }

    /// Builds from GGUF metadata arrays. `tokenTypes`: 1 normal, 2 unknown, 3 control (special),
    /// 4 user-defined (added, not special), 5 unused, 6 byte. `preTokenizer` is `tokenizer.ggml.pre`; `model` is
    /// `tokenizer.ggml.model`: `gpt2` (BPE), `gemma4` (raw UTF-8 BPE) or `whitespace` (raw UTF-8 BPE on the text
    /// between whitespace, which is dropped; `lowercase` is `tokenizer.ggml.normalizer.lowercase`).
    public convenience init(tokens: [String], merges: [String], tokenTypes: [Int], preTokenizer: String,
                            bosId: Int?, eosId: Int?, padId: Int?, addBos: Bool, addEos: Bool,
                            model: String = "gpt2", lowercase: Bool = false) throws {
        guard tokenTypes.isEmpty || tokenTypes.count == tokens.count else {
            throw TokenizerError.malformed("\(tokenTypes.count) token types for \(tokens.count) tokens")
        }
        var spec = TokenizerSpec()
        // llama.cpp reads a gemma4 model's pre-tokenizer as gemma4 whatever the file names.
        var meaning = try ggufPreTokenizer(named: model == "gemma4" ? "gemma4" : preTokenizer)
        switch model {
        case "gpt2", "gemma4":
            // llama.cpp would run BPE over whitespace runs and abort on the first run with a space in it.
            guard preTokenizer != "whitespace" || model == "gemma4" else {
                throw TokenizerError.unsupported("pre-tokenizer 'whitespace' under tokenizer model '\(model)' (needs model 'whitespace')")
            }
        case "whitespace":
            guard meaning.raw != nil else {
                throw TokenizerError.unsupported("tokenizer model 'whitespace' with pre-tokenizer '\(preTokenizer)' (only 'whitespace')")
            }
            // llama.cpp's whitespace session: whitespace separates words and is dropped.
            meaning.preTokenizer = PreTokenizer(steps: [.split(try PreTokenizerRegex("\\S+"), .removed, invert: true)])
            if lowercase { meaning.normalizers.append(.lowercase) }
        default:
            throw TokenizerError.unsupported("tokenizer model '\(model)' (only BPE: 'gpt2', 'gemma4', 'whitespace')")
        }
        spec.preTokenizer = meaning.preTokenizer
        spec.normalizers = meaning.normalizers
        spec.ignoreMerges = ggufIgnoresMerges(preTokenizer)
        for (id, token) in tokens.enumerated() {
            switch tokenTypes.isEmpty ? 1 : tokenTypes[id] {
            case 3: spec.addedTokens.append(AddedToken(id: id, content: token, special: true))
            case 4: spec.addedTokens.append(AddedToken(id: id, content: token, special: false))
            default: spec.vocab.append((token, id))
            }
        }
        if var raw = meaning.raw {
            raw.byteTokenIds = Set(tokenTypes.indices.filter { tokenTypes[$0] == 6 })
            spec.raw = raw
            spec.ignoreMerges = false
            spec.merges = try merges.map(parseRawMerge)
        } else {
            spec.merges = try merges.map(parseMerge)
        }
        func token(_ id: Int?) -> String? { id.flatMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil } }
        spec.bosToken = token(bosId)
        spec.eosToken = token(eosId)
        spec.padToken = token(padId)
        spec.addBos = addBos || meaning.forcesBos
        spec.addEos = addEos
        try self.init(spec: spec)
    }
}

/// A raw UTF-8 merge line splits at its first space after the first byte, as llama.cpp reads it (a token may start
/// with a space).
private func parseRawMerge(_ line: String) throws -> (String, String) {
    let bytes = Array(line.utf8)
    guard bytes.count > 1, let space = bytes[1...].firstIndex(of: 0x20) else { throw TokenizerError.malformed("merge '\(line)'") }
    return (String(decoding: bytes[..<space], as: UTF8.self), String(decoding: bytes[(space + 1)...], as: UTF8.self))
}

private func parseMerge(_ line: String) throws -> (String, String) {
    let parts = line.split(separator: " ", omittingEmptySubsequences: false)
    guard parts.count == 2 else { throw TokenizerError.malformed("merge '\(line)'") }
    return (String(parts[0]), String(parts[1]))
}

// MARK: - tokenizer.json

extension TokenizerSpec {
    @_optimize(speed)
    init(json root: JSONObject, config: JSONObject) throws {
        self.init()
        guard let model = root["model"]?.object else { throw TokenizerError.malformed("no model") }
        let type = model["type"]?.string ?? "BPE"
        guard type == "BPE" else { throw TokenizerError.unsupported("model \(type)") }
        if let dropout = model["dropout"]?.double, dropout > 0 { throw TokenizerError.unsupported("BPE dropout") }
        if model["byte_fallback"]?.bool == true { throw TokenizerError.unsupported("BPE byte_fallback") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key]?.string, !value.isEmpty { throw TokenizerError.unsupported("BPE \(key)") }
        }
        ignoreMerges = model["ignore_merges"]?.bool ?? false
        guard let vocab = model["vocab"]?.object else { throw TokenizerError.malformed("no model.vocab") }
        self.vocab = vocab.compactMap { key, value in value.int.map { (key, $0) } }
        for entry in model["merges"]?.array ?? [] {
            if let line = entry.string {
                merges.append(try parseMerge(line))
            } else if let pair = entry.array, pair.count == 2, let a = pair[0].string, let b = pair[1].string {
                merges.append((a, b))
            } else {
                throw TokenizerError.malformed("merge \(entry)")
            }
        }
        for entry in root["added_tokens"]?.array ?? [] {
            guard let id = entry["id"]?.int, let content = entry["content"]?.string else {
                throw TokenizerError.malformed("added token \(entry)")
            }
            addedTokens.append(AddedToken(
                id: id, content: content, special: entry["special"]?.bool ?? false,
                normalized: entry["normalized"]?.bool ?? true, lstrip: entry["lstrip"]?.bool ?? false,
                rstrip: entry["rstrip"]?.bool ?? false, singleWord: entry["single_word"]?.bool ?? false))
        }
        normalizers = try Self.normalizers(root["normalizer"])
        preTokenizer = PreTokenizer(steps: try Self.preTokenizerSteps(root["pre_tokenizer"]))
        byteLevelDecoder = try Self.isByteLevelDecoder(root["decoder"])

        func tokenContent(_ value: JSONValue?) -> String? {
            value?.string ?? value?["content"]?.string
        }
        bosToken = tokenContent(config["bos_token"])
        eosToken = tokenContent(config["eos_token"])
        padToken = tokenContent(config["pad_token"])
        if let template = config["chat_template"]?.string {
            chatTemplate = template
        } else if let named = config["chat_template"]?.array {  // [{"name": "default", "template": ...}]
            chatTemplate = (named.first { $0["name"]?.string == "default" } ?? named.first)?["template"]?.string
        }
        modelMaxLength = config["model_max_length"]?.double.flatMap { $0 < 1e15 ? Int($0) : nil }
        // Without a config, the post-processor tells whether BOS is prepended (TemplateProcessing "single").
        let processorBos = Self.postProcessorBos(root["post_processor"])
        if bosToken == nil { bosToken = processorBos }
        addBos = config["add_bos_token"]?.bool ?? (processorBos != nil)
        addEos = config["add_eos_token"]?.bool ?? false
    }

    private static func normalizers(_ value: JSONValue?) throws -> [Normalization] {
        guard let object = value?.object else { return [] }
        let type = object["type"]?.string ?? ""
        if type == "Sequence" {
            return try (object["normalizers"]?.array ?? []).flatMap { try normalizers($0) }
        }
        return [try Normalization(type: type)]
    }

    private static func preTokenizerSteps(_ value: JSONValue?) throws -> [PreTokenizerStep] {
        guard let object = value?.object else { return [] }
        let type = object["type"]?.string ?? ""
        switch type {
        case "Sequence":
            return try (object["pretokenizers"]?.array ?? []).flatMap { try preTokenizerSteps($0) }
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: object["add_prefix_space"]?.bool ?? true,
                               useRegex: object["use_regex"]?.bool ?? true)]
        case "Split":
            let pattern = object["pattern"]?.object ?? [:]
            let regex: PreTokenizerRegex
            if let source = pattern["Regex"]?.string {
                regex = try PreTokenizerRegex(source)
            } else if let literal = pattern["String"]?.string {
                regex = try PreTokenizerRegex(escapedLiteral(literal))
            } else {
                throw TokenizerError.malformed("Split pattern \(pattern)")
            }
            let name = object["behavior"]?.string ?? "Isolated"
            guard let behavior = SplitBehavior(rawValue: name) else { throw TokenizerError.unsupported("Split behavior \(name)") }
            return [.split(regex, behavior, invert: object["invert"]?.bool ?? false)]
        default:
            throw TokenizerError.unsupported("pre-tokenizer \(type)")
        }
    }

    /// True for a ByteLevel decoder, false for none (tokens joined with spaces); other decoders are unsupported.
    private static func isByteLevelDecoder(_ value: JSONValue?) throws -> Bool {
        guard let object = value?.object else { return false }
        let type = object["type"]?.string ?? ""
        switch type {
        case "ByteLevel": return true
        case "Sequence":
            let inner = object["decoders"]?.array ?? []
            guard inner.count == 1 else { throw TokenizerError.unsupported("decoder Sequence of \(inner.count)") }
            return try isByteLevelDecoder(inner[0])
        default: throw TokenizerError.unsupported("decoder \(type)")
        }
    }

    private static func postProcessorBos(_ value: JSONValue?) -> String? {
        guard let object = value?.object, object["type"]?.string == "TemplateProcessing",
              let first = object["single"]?.array?.first, let special = first["SpecialToken"]?.object else { return nil }
        return special["id"]?.string
    }

    private static func escapedLiteral(_ literal: String) -> String {
        var out = ""
        for scalar in literal.unicodeScalars {
            if "\\^$.|?*+()[]{}-".unicodeScalars.contains(scalar) { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
