// RoPE settings read from config.json (transformers 4 `rope_theta` + `rope_scaling`, transformers 5
// `rope_parameters`) or from GGUF `{arch}.rope.*` keys (gguf-py constants.py Keys.Rope).

/// Rotary position embedding parameters, one field per transformers `rope_parameters` key.
public struct RopeParameters: Sendable, Equatable {
    /// transformers' `rope_type` names.
    public enum RopeType: String, Sendable, CaseIterable {
        case `default`, linear, dynamic, yarn, llama3, longrope
    }

    public var ropeType: RopeType = .default
    /// `rope_theta` / `{arch}.rope.freq_base`.
    public var theta: Double = 10_000
    public var factor: Double = 1
    /// Pre-extension context (`original_max_position_embeddings`); nil means use `max_position_embeddings`.
    public var originalMaxPositionEmbeddings: Int?
    public var lowFreqFactor: Double?
    public var highFreqFactor: Double?
    public var betaFast: Double?
    public var betaSlow: Double?
    public var attentionFactor: Double?
    public var mscale: Double?
    public var mscaleAllDim: Double?
    /// Fraction of the head dimension that is rotated.
    public var partialRotaryFactor: Double = 1
    /// longrope per-frequency factors.
    public var shortFactor: [Double]?
    public var longFactor: [Double]?
    /// GGUF `{arch}.rope.dimension_count`: rotated dimensions per head, when the file says.
    public var dimensionCount: Int?

    public init() {}

    /// From a config.json dictionary. `rope_parameters` (transformers 5) wins over `rope_theta`/`rope_scaling`
    /// (transformers 4); `rope_scaling: null` means default. Throws naming an unsupported type.
    public init(config: JSONObject, source: String = "config.json") throws {
        var params = JSONObject()
        if case .object(var p)? = config["rope_parameters"] {
            // Per-layer-type parameters (transformers 5 hybrid models): full attention is the model's RoPE.
            if p["rope_type"] == nil, p["rope_theta"] == nil, let full = p["full_attention"]?.object { p = full }
            params = p
        } else if case .object(let s)? = config["rope_scaling"] {
            params = s
        }
        let typeName = params["rope_type"]?.string ?? params["type"]?.string ?? "default"
        guard let type = RopeParameters.ropeType(named: typeName) else {
            throw FormatError(source, "rope type '\(typeName)' is not supported (supported: \(RopeType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        ropeType = type
        theta = params["rope_theta"]?.double ?? config["rope_theta"]?.double ?? 10_000
        factor = params["factor"]?.double ?? 1
        originalMaxPositionEmbeddings = params["original_max_position_embeddings"]?.int
            ?? config["original_max_position_embeddings"]?.int
        lowFreqFactor = params["low_freq_factor"]?.double
        highFreqFactor = params["high_freq_factor"]?.double
        betaFast = params["beta_fast"]?.double
        betaSlow = params["beta_slow"]?.double
        attentionFactor = params["attention_factor"]?.double
        mscale = params["mscale"]?.double
        mscaleAllDim = params["mscale_all_dim"]?.double
        partialRotaryFactor = params["partial_rotary_factor"]?.double ?? config["partial_rotary_factor"]?.double ?? 1
        shortFactor = params["short_factor"]?.array?.compactMap(\.double)
        longFactor = params["long_factor"]?.array?.compactMap(\.double)
    }

    /// transformers' names plus its legacy alias `su` (longrope).
    static func ropeType(named name: String) -> RopeType? {
        if name == "su" { return .longrope }
        return RopeType(rawValue: name)
    }

    /// From GGUF metadata `{arch}.rope.*`. llama.cpp's converter stores llama3 scaling as a `rope_freqs.weight`
    /// tensor with scaling type none, so that case reads as `.default` here.
    public static func gguf(_ file: GGUFFile, arch: String) throws -> RopeParameters {
        try gguf(metadata: file.metadata, path: file.path, arch: arch)
    }

    /// From GGUF metadata already read (or edited, in tests); `path` names the file in errors.
    public static func gguf(metadata: [String: GGUFValue], path: String, arch: String) throws -> RopeParameters {
        let file = MetadataView(metadata: metadata, path: path)
        let k = "\(arch).rope."
        var r = RopeParameters()
        r.theta = file.double(k + "freq_base") ?? 10_000
        r.dimensionCount = file.int(k + "dimension_count")
        let typeName = file.string(k + "scaling.type") ?? "none"
        switch typeName {
        case "none": r.ropeType = .default
        case "linear": r.ropeType = .linear
        case "yarn": r.ropeType = .yarn
        case "longrope": r.ropeType = .longrope
        default:
            throw FormatError(file.path, "\(k)scaling.type '\(typeName)' is not supported (none, linear, yarn, longrope)")
        }
        if let f = file.double(k + "scaling.factor") ?? file.double(k + "scale_linear"), f > 0 {
            r.factor = f
            if r.ropeType == .default, file.string(k + "scaling.type") == nil, f != 1 { r.ropeType = .linear }
        }
        r.originalMaxPositionEmbeddings = file.int(k + "scaling.original_context_length")
        r.betaFast = file.double(k + "scaling.yarn_beta_fast")
        r.betaSlow = file.double(k + "scaling.yarn_beta_slow")
        r.attentionFactor = file.double(k + "scaling.attn_factor") ?? file.double(k + "scaling.yarn_attn_factor")
        return r
    }
}

/// GGUFFile's typed metadata reads over a bare dictionary.
private struct MetadataView {
    let metadata: [String: GGUFValue]
    let path: String
    func string(_ key: String) -> String? { metadata[key]?.string }
    func int(_ key: String) -> Int? { metadata[key]?.int }
    func double(_ key: String) -> Double? { metadata[key]?.double }
}
