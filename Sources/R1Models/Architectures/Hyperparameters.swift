// Hyperparameters as data: an architecture lists each field once as (config.json key, GGUF key, default), like a
// transformers config class beside llama.cpp's LLM_KV names, and ModelLoader reads either layout through that one
// table. RoPE settings are read by R1Formats.RopeParameters, which knows both layouts' scaling keys.
import R1Formats

public struct Hyperparameter: Sendable {
    public enum Kind: Sendable { case int, float, bool }

    /// What a checkpoint that omits the key gets.
    public enum Default: Sendable {
        case required
        case value(Double)
        /// Another field's value, read earlier in the table (num_key_value_heads: num_attention_heads).
        case same(as: String)
        /// One earlier field divided by another (head_dim: hidden_size / num_attention_heads).
        case quotient(String, String)
    }

    /// The config.json key; the field's name everywhere in R1Models.
    public let hf: String
    /// The GGUF metadata key after "<general.architecture>."; nil where GGUF files have none (the loader reads
    /// those from the tensors present, or takes the default).
    public let gguf: String?
    public let kind: Kind
    public let fallback: Default

    public init(_ hf: String, gguf: String?, _ kind: Kind = .int, default fallback: Default = .required) {
        self.hf = hf
        self.gguf = gguf
        self.kind = kind
        self.fallback = fallback
    }
}

/// A checkpoint's values for a table, by config.json key.
public struct Hyperparameters: Sendable {
    public private(set) var values: [String: Double] = [:]

    public subscript(_ key: String) -> Double? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// An int field (the table checked it is one); 0 for a key the table does not have.
    public func int(_ key: String) -> Int { values[key].map { Int($0) } ?? 0 }
    public func bool(_ key: String) -> Bool { (values[key] ?? 0) != 0 }

    /// Reads every field of `table` with `lookup` (the raw value, or nil when the checkpoint omits it), checks its
    /// kind and fills in defaults. `where` names the file for errors; `key` spells a field as that layout does.
    public static func read(_ table: [Hyperparameter], where file: String, key: (Hyperparameter) -> String?,
                            lookup: (Hyperparameter) -> HyperparameterValue?) throws -> Hyperparameters {
        var hp = Hyperparameters()
        for f in table {
            if let raw = lookup(f) {
                hp[f.hf] = try raw.number(kind: f.kind, file: file, key: key(f) ?? f.hf)
                continue
            }
            switch f.fallback {
            case .required:
                throw ModelError("\(file): \(key(f) ?? f.hf) missing")
            case .value(let v):
                hp[f.hf] = v
            case .same(let other):
                hp[f.hf] = hp[other]
            case .quotient(let a, let b):
                guard let x = hp[a], let y = hp[b], y != 0 else {
                    throw ModelError("\(file): \(key(f) ?? f.hf) missing, and \(a) / \(b) cannot stand in for it")
                }
                hp[f.hf] = (x / y).rounded(.towardZero)
            }
        }
        return hp
    }
}

/// A value as a checkpoint stores it, before the table's kind is applied.
public enum HyperparameterValue: Sendable {
    case number(Double)
    case bool(Bool)
    /// Present but neither (a string, a list): an error naming it.
    case other(String)

    func number(kind: Hyperparameter.Kind, file: String, key: String) throws -> Double {
        switch (self, kind) {
        case (.bool(let b), .bool): return b ? 1 : 0
        case (.number(let v), .int):
            guard v.isFinite, v == v.rounded(), abs(v) < 1e15 else { throw ModelError("\(file): \(key) is \(v), not an integer") }
            return v
        case (.number(let v), .float):
            guard v.isFinite else { throw ModelError("\(file): \(key) is \(v), not a finite number") }
            return v
        case (.bool(let b), _): throw ModelError("\(file): \(key) is \(b), not a number")
        case (.number(let v), .bool): throw ModelError("\(file): \(key) is \(v), not true or false")
        case (.other(let s), _): throw ModelError("\(file): \(key) is \(s), not a \(kind == .bool ? "boolean" : "number")")
        }
    }
}

extension [Hyperparameter] {
    /// The fields of the dense decoder Llama, Qwen2 and Qwen3 share, with an architecture's defaults where
    /// transformers' config classes differ.
    public static func denseDecoder(headDim: Hyperparameter.Default, maxPositionEmbeddings: Double,
                                    tieWordEmbeddings: Bool = false, rmsNormEps: Double = 1e-6) -> [Hyperparameter] {
        [
            Hyperparameter("hidden_size", gguf: "embedding_length"),
            Hyperparameter("intermediate_size", gguf: "feed_forward_length"),
            Hyperparameter("num_hidden_layers", gguf: "block_count"),
            Hyperparameter("num_attention_heads", gguf: "attention.head_count"),
            Hyperparameter("num_key_value_heads", gguf: "attention.head_count_kv", default: .same(as: "num_attention_heads")),
            Hyperparameter("head_dim", gguf: "attention.key_length", default: headDim),
            Hyperparameter("rms_norm_eps", gguf: "attention.layer_norm_rms_epsilon", .float, default: .value(rmsNormEps)),
            Hyperparameter("max_position_embeddings", gguf: "context_length", default: .value(maxPositionEmbeddings)),
            // GGUF: tied when the file has no output.weight
            Hyperparameter("tie_word_embeddings", gguf: nil, .bool, default: .value(tieWordEmbeddings ? 1 : 0)),
            // GGUF: biased when the file has blk.0.attn_q.bias
            Hyperparameter("attention_bias", gguf: nil, .bool, default: .value(0)),
        ]
    }
}

extension Hyperparameters {
    /// The dense decoder's fields, typed (field names: the camelCase of the config.json keys).
    struct Dense {
        var hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim: Int
        var rmsNormEps: Double
        var maxPositionEmbeddings: Int
        var tieWordEmbeddings: Bool
        var attentionBias: Bool
        var rope: RopeParameters

        /// `qkvBias` fixed by the architecture wins over the checkpoint's attention_bias.
        init(_ v: Hyperparameters, qkvBias: Bool?, rope: RopeParameters) {
            hiddenSize = v.int("hidden_size")
            intermediateSize = v.int("intermediate_size")
            numHiddenLayers = v.int("num_hidden_layers")
            numAttentionHeads = v.int("num_attention_heads")
            numKeyValueHeads = v.int("num_key_value_heads")
            headDim = v.int("head_dim")
            rmsNormEps = v["rms_norm_eps"] ?? 1e-6
            maxPositionEmbeddings = v.int("max_position_embeddings")
            tieWordEmbeddings = v.bool("tie_word_embeddings")
            attentionBias = qkvBias ?? v.bool("attention_bias")
            self.rope = rope
        }
    }
}
