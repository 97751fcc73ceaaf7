// The hyperparameters of a trainable dense decoder (Llama / Qwen2 / Qwen3), read from config.json with the
// architecture's defaults (R1Models/Architectures) or given by hand for a new model; written back as transformers does.
import Foundation
import R1Formats
import R1Models

/// A training error: one line naming the bad value, file or tensor.
public struct TrainError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct ModelShape: Sendable, Equatable {
    /// `model_type`: llama, qwen2 or qwen3 (selects the weight names and the features below).
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var rmsNormEps: Double = 1e-6
    public var ropeTheta: Double = 10_000
    /// RoPE frequency scaling as R1Models computes it (transformers' modeling_rope_utils).
    public var ropeScaling: RopeScaling = .none
    public var maxPositionEmbeddings: Int = 2048
    public var tieWordEmbeddings: Bool = false
    public var qkvBias: Bool = false
    /// Per-head RMSNorm on queries and keys before RoPE (Qwen3).
    public var qkNorm: Bool = false
    public var bosTokenId: Int? = nil
    public var eosTokenId: Int? = nil

    public init(modelType: String, vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
                headCount: Int, kvHeadCount: Int, headDim: Int? = nil) throws {
        guard let arch = ArchitectureRegistry.forModelType(modelType) else {
            throw TrainError("model_type '\(modelType)' is not trainable (supported: \(ArchitectureRegistry.knownNames))")
        }
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? (headCount > 0 ? hiddenSize / headCount : 0)
        qkvBias = arch.qkvBias ?? false
        qkNorm = arch.qkNorm
        rmsNormEps = arch.defaultValue("rms_norm_eps") ?? 1e-6
        ropeTheta = 10_000  // transformers' default for llama, qwen2 and qwen3 configs
        tieWordEmbeddings = arch.defaultValue("tie_word_embeddings") == 1
        try validate()
    }

    /// From a checkpoint's config.json, with the architecture's defaults for omitted keys.
    public init(config: HFConfig) throws {
        let src = config.source
        guard let modelType = config.modelType else { throw TrainError("\(src): no model_type") }
        guard let arch = ArchitectureRegistry.forModelType(modelType) else {
            throw TrainError("\(src): model_type '\(modelType)' is not trainable (supported: \(ArchitectureRegistry.knownNames))")
        }
        if config.bool("use_sliding_window") == true {
            throw TrainError("\(src): use_sliding_window true is not supported (sliding-window attention)")
        }
        if let act = config.string("hidden_act"), act != "silu" {
            throw TrainError("\(src): hidden_act '\(act)' is not supported (silu)")
        }
        if config.bool("mlp_bias") == true { throw TrainError("\(src): mlp_bias true is not supported") }
        func required(_ k: String) throws -> Int {
            guard let v = config.int(k), v > 0 else { throw TrainError("\(src): \(k) missing or not a positive integer") }
            return v
        }
        let heads = try required("num_attention_heads")
        let hidden = try required("hidden_size")
        try self.init(modelType: modelType, vocabSize: try required("vocab_size"), hiddenSize: hidden,
                      intermediateSize: try required("intermediate_size"), layerCount: try required("num_hidden_layers"),
                      headCount: heads, kvHeadCount: config.int("num_key_value_heads") ?? heads,
                      headDim: config.int("head_dim") ?? arch.defaultValue("head_dim").map { Int($0) } ?? hidden / heads)
        rmsNormEps = config.double("rms_norm_eps") ?? arch.defaultValue("rms_norm_eps") ?? 1e-6
        maxPositionEmbeddings = config.int("max_position_embeddings") ?? arch.defaultValue("max_position_embeddings").map { Int($0) } ?? 2048
        tieWordEmbeddings = config.bool("tie_word_embeddings") ?? (arch.defaultValue("tie_word_embeddings") == 1)
        qkvBias = arch.qkvBias ?? config.bool("attention_bias") ?? false
        let p = try config.ropeParameters()
        let original = p.originalMaxPositionEmbeddings ?? maxPositionEmbeddings
        switch p.ropeType {
        case .default: ropeScaling = .none
        case .linear: ropeScaling = p.factor == 1 ? .none : .linear(factor: p.factor)
        case .llama3:
            ropeScaling = .llama3(factor: p.factor, lowFreqFactor: p.lowFreqFactor ?? 1, highFreqFactor: p.highFreqFactor ?? 4,
                                  originalMaxPositions: original)
        case .yarn:
            ropeScaling = .yarn(factor: p.factor, originalMaxPositions: original, betaFast: p.betaFast ?? 32,
                                betaSlow: p.betaSlow ?? 1, attentionFactor: p.attentionFactor, mscale: p.mscale,
                                mscaleAllDim: p.mscaleAllDim, truncate: config["rope_parameters"]?["truncate"]?.bool ?? config["rope_scaling"]?["truncate"]?.bool ?? true)
        default:
            throw TrainError("\(src): rope type '\(p.ropeType.rawValue)' is not supported for training (default, linear, llama3, yarn)")
        }
        let rope = p
        if rope.partialRotaryFactor != 1 {
            throw TrainError("\(src): partial_rotary_factor \(rope.partialRotaryFactor) is not supported (1)")
        }
        ropeTheta = rope.theta
        bosTokenId = config.int("bos_token_id")
        eosTokenId = config.intOrList("eos_token_id")?.first
        try validate()
    }

    public func validate() throws {
        for (name, v) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                          ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
                          ("num_key_value_heads", kvHeadCount), ("head_dim", headDim)] where v <= 0 {
            throw TrainError("\(name) must be positive, got \(v)")
        }
        guard headCount % kvHeadCount == 0 else {
            throw TrainError("num_attention_heads \(headCount) is not a multiple of num_key_value_heads \(kvHeadCount)")
        }
        guard headDim % 2 == 0 else { throw TrainError("head_dim must be even for RoPE, got \(headDim)") }
        guard ropeTheta > 0 else { throw TrainError("rope_theta must be positive, got \(ropeTheta)") }
    }

    public var architecture: Architecture { ArchitectureRegistry.forModelType(modelType)! }

    /// The RoPE frequencies and attention factor for this shape (rotate-half over the whole head).
    public var rotaryEmbedding: RotaryEmbedding {
        RotaryEmbedding(theta: ropeTheta, rotaryDim: headDim, scaling: ropeScaling, style: .halves)
    }

    /// config.json as transformers writes it for this model type.
    public func configJSON() -> [String: Any] {
        let archName = ["llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"][modelType]
        var c: [String: Any] = [
            "architectures": [archName ?? modelType], "model_type": modelType, "vocab_size": vocabSize,
            "hidden_size": hiddenSize, "intermediate_size": intermediateSize, "num_hidden_layers": layerCount,
            "num_attention_heads": headCount, "num_key_value_heads": kvHeadCount, "head_dim": headDim,
            "hidden_act": "silu", "rms_norm_eps": rmsNormEps, "max_position_embeddings": maxPositionEmbeddings,
            "tie_word_embeddings": tieWordEmbeddings, "rope_theta": ropeTheta, "torch_dtype": "float32",
            "attention_dropout": 0.0, "use_cache": true,
        ]
        switch ropeScaling {
        case .none: c["rope_scaling"] = NSNull()
        case .linear(let f): c["rope_scaling"] = ["rope_type": "linear", "factor": f] as [String: Any]
        case let .llama3(f, low, high, original):
            c["rope_scaling"] = ["rope_type": "llama3", "factor": f, "low_freq_factor": low, "high_freq_factor": high,
                                 "original_max_position_embeddings": original] as [String: Any]
        case let .yarn(f, original, betaFast, betaSlow, attention, mscale, mscaleAllDim, truncate):
            var y: [String: Any] = ["rope_type": "yarn", "factor": f, "original_max_position_embeddings": original,
                                    "beta_fast": betaFast, "beta_slow": betaSlow, "truncate": truncate]
            if let a = attention { y["attention_factor"] = a }
            if let m = mscale { y["mscale"] = m }
            if let m = mscaleAllDim { y["mscale_all_dim"] = m }
            c["rope_scaling"] = y
        }
        if modelType != "qwen2" { c["attention_bias"] = qkvBias }
        if modelType == "llama" { c["mlp_bias"] = false }
        if modelType != "llama" { c["use_sliding_window"] = false }
        if let b = bosTokenId { c["bos_token_id"] = b }
        if let e = eosTokenId { c["eos_token_id"] = e }
        return c
    }
}

extension Architecture {
    /// The table's constant default for a config.json key (nil: required, or derived from other fields).
    func defaultValue(_ key: String) -> Double? {
        guard let f = hyperparameters.first(where: { $0.hf == key }), case .value(let v) = f.fallback else { return nil }
        return v
    }
}
