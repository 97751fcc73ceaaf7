// Hugging Face config.json and generation_config.json: the raw dictionary plus typed helpers.
import Foundation

/// A model's `config.json`, kept as parsed; architectures read their fields through the helpers.
public struct HFConfig: Sendable {
    public let values: JSONObject
    /// Where it came from, for error messages.
    public let source: String

    /// Reads `folder/config.json`.
    public init(folder: String) throws {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("config.json").path
        try self.init(value: JSONValue.load(path: path), source: path)
    }

    public init(json: Data, source: String = "config.json") throws {
        let value: JSONValue
        do { value = try JSONValue.parse(json) } catch { throw FormatError(source, "malformed JSON: \(error)") }
        try self.init(value: value, source: source)
    }

    public init(json: String, source: String = "config.json") throws {
        try self.init(json: Data(json.utf8), source: source)
    }

    public init(values: JSONObject, source: String = "config.json") {
        self.values = values
        self.source = source
    }

    init(value: JSONValue, source: String) throws {
        guard let obj = value.object else { throw FormatError(source, "top level is not a JSON object") }
        self.init(values: obj, source: source)
    }

    public subscript(key: String) -> JSONValue? { values[key] }
    public func int(_ key: String) -> Int? { values[key]?.int }
    public func double(_ key: String) -> Double? { values[key]?.double }
    public func string(_ key: String) -> String? { values[key]?.string }
    public func bool(_ key: String) -> Bool? { values[key]?.bool }
    /// An int or a list of ints (`eos_token_id`).
    public func intOrList(_ key: String) -> [Int]? { values[key]?.intOrList }
    public func stringArray(_ key: String) -> [String]? { values[key]?.array?.compactMap(\.string) }

    public var modelType: String? { string("model_type") }
    public var architectures: [String] { stringArray("architectures") ?? [] }
    /// `torch_dtype` (transformers 4) or `dtype` (transformers 5), e.g. "bfloat16".
    public var torchDtype: String? { string("torch_dtype") ?? string("dtype") }

    /// The RoPE settings from either layout; throws naming an unsupported rope type.
    public func ropeParameters() throws -> RopeParameters {
        try RopeParameters(config: values, source: source)
    }
}

/// Sampling defaults from `generation_config.json`; every field optional.
public struct GenerationConfig: Sendable, Equatable {
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var minP: Double?
    public var repetitionPenalty: Double?
    public var doSample: Bool?
    public var bosTokenId: Int?
    /// `eos_token_id`, an int or a list in the file, always a list here (empty when absent).
    public var eosTokenId: [Int] = []
    public var padTokenId: Int?
    public var maxNewTokens: Int?
    public var maxLength: Int?

    public init() {}

    /// Reads `folder/generation_config.json`; nil when the folder has none.
    public init?(folder: String) throws {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("generation_config.json").path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        try self.init(value: JSONValue.load(path: path), source: path)
    }

    public init(json: Data, source: String = "generation_config.json") throws {
        let value: JSONValue
        do { value = try JSONValue.parse(json) } catch { throw FormatError(source, "malformed JSON: \(error)") }
        try self.init(value: value, source: source)
    }

    init(value: JSONValue, source: String) throws {
        guard let v = value.object else { throw FormatError(source, "top level is not a JSON object") }
        temperature = v["temperature"]?.double
        topP = v["top_p"]?.double
        topK = v["top_k"]?.int
        minP = v["min_p"]?.double
        repetitionPenalty = v["repetition_penalty"]?.double
        doSample = v["do_sample"]?.bool
        bosTokenId = v["bos_token_id"]?.int
        eosTokenId = v["eos_token_id"]?.intOrList ?? []
        padTokenId = v["pad_token_id"]?.int
        maxNewTokens = v["max_new_tokens"]?.int
        maxLength = v["max_length"]?.int
    }
}
