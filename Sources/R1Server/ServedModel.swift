// What the server says about the model it serves: Ollama's /api/show, /api/ps and /api/tags (details, model_info,
// template, parameters, size, digest) and /v1/models. Built once from the loaded model; the digest (a sha256 over
// gigabytes) is computed on first use and kept.
import Foundation
import R1Formats
import R1Kernels
import R1Models
import R1Runtime
import Synchronization

public final class ServedModel: Sendable {
    public let name: String
    /// "gguf" or "safetensors".
    public let format: String
    /// The architecture as Ollama names the family (`general.architecture`: qwen2, llama, ...).
    public let family: String
    public let parameterCount: Int
    /// llama.cpp's file-type name (Q4_K_M, Q8_0, F16, BF16, ...).
    public let quantizationLevel: String
    /// Bytes of the model's files on disk.
    public let size: Int
    public let contextLength: Int
    public let template: String
    /// Ollama's `parameters` text: one "name value" line per default (`stop "<｜end▁of▁sentence｜>"`, ...).
    public let parameters: String
    public let modelInfo: [(String, JSONOut)]
    public let capabilities: [String]
    private let digestSource: @Sendable () -> String
    private let digestCache = Mutex<String?>(nil)

    public init(name: String, format: String, family: String, parameterCount: Int, quantizationLevel: String, size: Int,
                contextLength: Int, template: String, parameters: String, modelInfo: [(String, JSONOut)],
                capabilities: [String], digest: @escaping @Sendable () -> String) {
        self.name = name
        self.format = format
        self.family = family
        self.parameterCount = parameterCount
        self.quantizationLevel = quantizationLevel
        self.size = size
        self.contextLength = contextLength
        self.template = template
        self.parameters = parameters
        self.modelInfo = modelInfo
        self.capabilities = capabilities
        self.digestSource = digest
    }

    /// A model known by name only (backends without a loaded model, tests).
    public static func named(_ name: String, contextLength: Int) -> ServedModel {
        ServedModel(name: name, format: "", family: "", parameterCount: 0, quantizationLevel: "", size: 0,
                    contextLength: contextLength, template: "", parameters: "", modelInfo: [], capabilities: ["completion"],
                    digest: { "" })
    }

    /// sha256 (hex) of the model, computed once.
    public var digest: String {
        if let d = digestCache.withLock({ $0 }) { return d }
        let d = digestSource()
        digestCache.withLock { $0 = d }
        return d
    }

    /// "1.5B", "494.03M": Ollama's parameter_size.
    public var parameterSize: String {
        let n = Double(parameterCount)
        if n >= 1e9 { return String(format: "%.1fB", n / 1e9) }
        if n >= 1e6 { return String(format: "%.2fM", n / 1e6) }
        if n >= 1e3 { return String(format: "%.2fK", n / 1e3) }
        return "\(parameterCount)"
    }

    /// Ollama's `details` object.
    public var details: JSONOut {
        .object([
            ("parent_model", .string("")), ("format", .string(format)), ("family", .string(family)),
            ("families", family.isEmpty ? .null : .array([.string(family)])), ("parameter_size", .string(parameterSize)),
            ("quantization_level", .string(quantizationLevel)),
        ])
    }

    /// The card of an engine's loaded model. `parameters` is Ollama's params text (from its store, else the server's
    /// sampling defaults); `digest` computes the sha256 of the model's files when first asked.
    public static func describing(_ engine: Engine, name: String, parameters: String,
                                  digest: @escaping @Sendable () -> String) -> ServedModel {
        guard let m = engine.loaded else { return .named(name, contextLength: engine.contextLength) }
        let family = m.gguf?.string("general.architecture") ?? m.hfConfig?.values["model_type"]?.string ?? m.architecture.name
        var info: [(String, JSONOut)] = []
        if let g = m.gguf {
            for key in g.metadataKeys where !key.hasPrefix("tokenizer.") {
                if let v = g.metadata[key], let j = jsonOut(v) { info.append((key, j)) }
            }
            if !info.contains(where: { $0.0 == "general.parameter_count" }) {
                info.append(("general.parameter_count", .int(m.parameterCount)))
            }
        } else {
            let c = m.decoder.config
            info = [
                ("general.architecture", .string(family)), ("general.parameter_count", .int(m.parameterCount)),
                ("\(family).context_length", .int(m.trainedContextLength)), ("\(family).embedding_length", .int(c.hiddenSize)),
                ("\(family).block_count", .int(c.layerCount)), ("\(family).feed_forward_length", .int(c.intermediateSize)),
                ("\(family).attention.head_count", .int(c.headCount)), ("\(family).attention.head_count_kv", .int(c.kvHeadCount)),
                ("\(family).vocab_size", .int(c.vocabSize)),
            ]
        }
        var capabilities = ["completion"]
        let template = engine.formatter?.template.source ?? ""
        if template.contains("<think>") || template.contains("</think>") || template.contains("thinking") {
            capabilities.append("thinking")
        }
        if template.contains("tools") { capabilities.append("tools") }
        return ServedModel(name: name, format: m.format.rawValue, family: family, parameterCount: m.parameterCount,
                           quantizationLevel: quantization(m), size: filesSize(m), contextLength: engine.contextLength,
                           template: template, parameters: parameters, modelInfo: info, capabilities: capabilities,
                           digest: digest)
    }

    /// llama.cpp's `general.file_type` names (llama_ftype), else the type holding most of the weights' bytes.
    static func quantization(_ m: LoadedModel) -> String {
        let names: [Int: String] = [
            0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
            12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
            19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
            26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
            37: "TQ2_0", 38: "MXFP4",
        ]
        if let t = m.gguf?.int("general.file_type"), let name = names[t] { return name }
        var bytes: [String: Int] = [:]
        for t in m.tensorSummary { bytes["\(t.type)".uppercased(), default: 0] += t.bytes }
        return bytes.max { $0.value < $1.value }?.key ?? ""
    }

    /// The model's files on disk: the GGUF (its shards too), or a folder's files.
    static func filesSize(_ m: LoadedModel) -> Int {
        let fm = FileManager.default
        func size(_ path: String) -> Int { ((try? fm.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0 }
        if m.format == .gguf {
            let count = m.gguf?.int("split.count") ?? 1
            if count > 1, let files = try? GGUFModelFiles.shardPaths(first: m.path, shard: 0, count: count) {
                return files.reduce(0) { $0 + size($1) }
            }
            return size(m.path)
        }
        let names = (try? fm.contentsOfDirectory(atPath: m.path)) ?? []
        return names.reduce(0) { $0 + size(URL(fileURLWithPath: m.path).appendingPathComponent($1).path) }
    }

    static func jsonOut(_ v: GGUFValue) -> JSONOut? {
        switch v {
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .float32, .float64: return v.double.map { .double($0) }
        case .array: return nil  // Ollama leaves arrays out unless asked for verbose output
        default: return v.int.map { .int($0) }
        }
    }
}
