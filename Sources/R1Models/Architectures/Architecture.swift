// What an architecture file declares: the checkpoint strings that select it, its weight names, the features its
// decoder uses, and its hyperparameter table (HF key, GGUF key, default).
import R1Formats

public struct Architecture: Sendable {
    /// Our name for it (`r1 info` prints it).
    public let name: String
    /// `model_type` values in config.json and `general.architecture` values in GGUF that select it.
    public let modelTypes: [String]
    public let ggufArchitectures: [String]
    public let names: WeightNames
    /// QKV projections carry biases: fixed by the architecture, or nil to read `attention_bias` (default false).
    public let qkvBias: Bool?
    /// Per-head RMSNorm on queries and keys before RoPE (Qwen3).
    public let qkNorm: Bool
    /// RoPE pairing in GGUF files (the converter permutes Llama's Q/K rows into interleaved pairs).
    public let ggufRopeStyle: RopeStyle
    /// Every hyperparameter once: its config.json key, GGUF key and default (transformers' config-class default).
    public let hyperparameters: [Hyperparameter]
    /// An architecture with its own compute builds its model from config.json and the tensors (nil: the dense
    /// decoder, which ModelLoader assembles).
    public var build: (@Sendable (ModelSource) throws -> any LanguageModel)? = nil
    /// The same from a GGUF file (its shards, a path for errors, the context length asked for); returns the model
    /// and the architecture its metadata names (one GGUF architecture can hold several of ours).
    public var buildGGUF: (@Sendable (GGUFModelFiles, String, Int?) throws -> (model: any LanguageModel, architecture: Architecture))? = nil
}

/// Every architecture, keyed by the checkpoint's own strings.
public enum ArchitectureRegistry {
    public static let all: [Architecture] = [llama, qwen2, qwen3, deepseekV3, deepseekV2]

    public static func forModelType(_ type: String) -> Architecture? {
        all.first { $0.modelTypes.contains(type) }
    }

    public static func forGGUF(_ arch: String) -> Architecture? {
        all.first { $0.ggufArchitectures.contains(arch) }
    }

    public static var knownNames: String { all.flatMap(\.modelTypes).joined(separator: ", ") }
}

/// What an architecture with its own builder gets from ModelLoader: the values its hyperparameter table read,
/// config.json, and the checkpoint's tensors (`builder` checks names, types and shapes).
public struct ModelSource {
    public let architecture: Architecture
    public let values: Hyperparameters
    public let config: HFConfig
    let builder: WeightBuilder
    public let contextLength: Int?
    public let storage: [any AnyObject & Sendable]
}
