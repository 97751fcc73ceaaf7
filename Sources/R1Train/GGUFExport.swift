// A Hugging Face folder of a dense Llama / Qwen2 / Qwen3 model to GGUF, as llama.cpp's convert_hf_to_gguf.py
// (llama-cpp-python 0.3.36's vendored copy) writes it: its metadata keys in its order, blk.N names, Llama's Q/K row
// permutation, llama3 RoPE as rope_freqs.weight, 1-D tensors F32, 2-D weights F32 / F16 / Q8_0 (gguf-py's
// quantize: d = amax / 127, q = roundf(x / d)), the tokenizer as tokenizer.ggml.*.
import Foundation
import R1Formats
import R1Kernels
import R1Models

public enum GGUFExportType: String, Sendable, CaseIterable {
    case f32, f16, q8_0

    var ggmlType: GGMLType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .q8_0: return .q8_0
        }
    }

    /// gguf-py's LlamaFileType (`general.file_type`): ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7.
    var fileType: UInt32 {
        switch self {
        case .f32: return 0
        case .f16: return 1
        case .q8_0: return 7
        }
    }
}

public enum GGUFExport {
    /// Writes `folder` (config.json, safetensors, tokenizer.json, tokenizer_config.json) to `output` as `type`.
    public static func export(folder: String, to output: String, type: GGUFExportType) throws {
        var writer = GGUFWriter()
        let config = try HFConfig(folder: folder)
        let model = try ExportedModel(config: config, folder: folder)
        try model.addMetadata(to: &writer, type: type)
        try GGUFVocabulary(folder: folder, vocabSize: model.vocabSize).add(to: &writer)
        let checkpoint = try SafetensorsCheckpoint(folder: folder)
        try model.addTensors(from: checkpoint, to: &writer, type: type)
        try writer.write(to: output)
    }
}

// MARK: - Hyperparameters

struct ExportedModel {
    let arch: String
    let folder: String
    let config: HFConfig
    let layers: Int, hidden: Int, intermediate: Int, heads: Int, kvHeads: Int, vocabSize: Int, context: Int
    let headDim: Int
    let eps: Double
    let rope: RopeParameters

    init(config: HFConfig, folder: String) throws {
        guard let type = config.modelType, ["llama", "qwen2", "qwen3"].contains(type) else {
            throw FormatError(config.source, "model_type '\(config.modelType ?? "none")' cannot be exported (llama, qwen2, qwen3)")
        }
        func require(_ key: String) throws -> Int {
            guard let v = config.int(key), v > 0 else {
                throw FormatError(config.source, "'\(key)' is \(config[key].map { "\($0)" } ?? "missing"); a positive integer is needed")
            }
            return v
        }
        arch = type
        self.folder = folder
        self.config = config
        layers = try require("num_hidden_layers")
        hidden = try require("hidden_size")
        intermediate = try require("intermediate_size")
        heads = try require("num_attention_heads")
        kvHeads = config.int("num_key_value_heads") ?? heads
        vocabSize = try require("vocab_size")
        context = try require("max_position_embeddings")
        headDim = config.int("head_dim") ?? hidden / heads
        eps = config.double("rms_norm_eps") ?? 1e-6
        rope = try config.ropeParameters()
        guard kvHeads > 0, heads % kvHeads == 0 else {
            throw FormatError(config.source, "num_key_value_heads \(kvHeads) does not divide num_attention_heads \(heads)")
        }
    }

    /// The keys convert_hf_to_gguf.py writes for these architectures, in its order (general.name is the folder name).
    func addMetadata(to w: inout GGUFWriter, type: GGUFExportType) throws {
        try w.add("general.architecture", .string(arch))
        try w.add("general.type", .string("model"))
        if let generation = try GenerationConfig(folder: folder) {
            if let topK = generation.topK { try w.add("general.sampling.top_k", .int32(Int32(clamping: topK))) }
            if let topP = generation.topP { try w.add("general.sampling.top_p", .float32(Float(topP))) }
            if let temperature = generation.temperature { try w.add("general.sampling.temp", .float32(Float(temperature))) }
        }
        try w.add("general.name", .string(URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent))
        func u32(_ key: String, _ v: Int) throws { try w.add("\(arch).\(key)", .uint32(UInt32(clamping: v))) }
        func f32(_ key: String, _ v: Double) throws { try w.add("\(arch).\(key)", .float32(Float(v))) }
        try u32("block_count", layers)
        try u32("context_length", context)
        try u32("embedding_length", hidden)
        try u32("feed_forward_length", intermediate)
        try u32("attention.head_count", heads)
        try u32("attention.head_count_kv", kvHeads)
        switch rope.ropeType {
        case .default, .llama3: break  // llama3's factors go into rope_freqs.weight
        case .linear:
            try w.add("\(arch).rope.scaling.type", .string("linear"))
            try f32("rope.scaling.factor", rope.factor)
        case .yarn:
            try w.add("\(arch).rope.scaling.type", .string("yarn"))
            try f32("rope.scaling.factor", rope.factor)
            guard let original = rope.originalMaxPositionEmbeddings else {
                throw FormatError(config.source, "yarn RoPE without original_max_position_embeddings")
            }
            try u32("rope.scaling.original_context_length", original)
            if let a = rope.attentionFactor { try f32("rope.scaling.yarn_attn_factor", a) }
            if let b = rope.betaFast { try f32("rope.scaling.yarn_beta_fast", b) }
            if let b = rope.betaSlow { try f32("rope.scaling.yarn_beta_slow", b) }
        case .dynamic, .longrope:
            throw FormatError(config.source, "rope type '\(rope.ropeType.rawValue)' cannot be exported")
        }
        try f32("rope.freq_base", rope.theta)
        try f32("attention.layer_norm_rms_epsilon", eps)
        if config.int("head_dim") != nil || arch == "llama" {  // the converter sees head_dim in Llama's config object
            try u32("attention.key_length", headDim)
            try u32("attention.value_length", headDim)
        }
        try w.add("general.file_type", .uint32(type.fileType))
        if arch == "llama" {
            try u32("vocab_size", vocabSize)
            try u32("rope.dimension_count", headDim)
        }
        try w.add("general.quantization_version", .uint32(2))
    }

    // MARK: - Tensors

    func addTensors(from checkpoint: SafetensorsCheckpoint, to w: inout GGUFWriter, type: GGUFExportType) throws {
        if rope.ropeType == .llama3 {
            let factors = llama3RopeFactors()
            try w.addTensor(name: "rope_freqs.weight", type: .f32, shape: [factors.count], bytes: Self.bytes(factors))
        }
        let names = WeightNames.llamaFamily
        var ggufName: [String: (WeightSlot, String)] = [:]
        for slot in WeightSlot.allCases {
            for layer in [nil] + (0..<layers).map(Optional.some) {
                guard let hf = names.name(slot, layer: layer, gguf: false), let gg = names.name(slot, layer: layer, gguf: true),
                      hf.contains("{i}") == false else { continue }
                ggufName[hf] = (slot, gg)
            }
        }
        for name in checkpoint.tensorNames.sorted() {
            if name.hasSuffix("rotary_emb.inv_freq") { continue }
            guard let (slot, target) = ggufName[name] else {
                throw FormatError(checkpoint.folder, "tensor '\(name)' has no GGUF name for \(arch)")
            }
            let view = try checkpoint.requireTensor(name)
            guard [.f32, .f16, .bf16].contains(view.type) else {
                throw FormatError(checkpoint.folder, "tensor '\(name)' is \(view.type); only F32, F16 and BF16 can be exported")
            }
            let permuteHeads: Int? = arch != "llama" ? nil : slot == .q || slot == .qBias ? heads : slot == .k || slot == .kBias ? kvHeads : nil
            // 1-D tensors (norms, biases) stay F32; Q8_0 needs rows of whole blocks, else F16 as the converter falls back.
            var outType: GGMLType = view.shape.count == 1 ? .f32 : type.ggmlType
            if outType == .q8_0 && view.shape.last! % 32 != 0 { outType = .f16 }
            let shape = view.shape
            try w.addTensor(name: target, type: outType, shape: shape) {
                var values = [Float](repeating: 0, count: view.elementCount)
                values.withUnsafeMutableBufferPointer {
                    Quant.dequantizeRow(view.data.baseAddress!, $0.baseAddress!, count: view.elementCount, type: view.type)
                }
                if let h = permuteHeads { values = Self.permuteRows(values, shape: shape, heads: h) }
                return Self.encode(values, as: outType, rowLength: shape.last!)
            }
        }
    }

    /// convert_hf_to_gguf.py's LlamaModel.permute: within each head, rows (2, half) become (half, 2), so the
    /// rotation pairs of HF's rotate_half layout are adjacent as ggml's interleaved RoPE expects.
    static func permuteRows(_ x: [Float], shape: [Int], heads: Int) -> [Float] {
        let rows = shape[0], cols = shape.count > 1 ? shape[1] : 1  // x: (heads * 2 * half, cols)
        let half = rows / heads / 2
        var out = x
        for h in 0..<heads {
            for s in 0..<2 {
                for j in 0..<half {
                    let src = (h * 2 + s) * half + j, dst = (h * half + j) * 2 + s
                    for c in 0..<cols { out[dst * cols + c] = x[src * cols + c] }
                }
            }
        }
        return out
    }

    /// LlamaModel.generate_extra_tensors: per-frequency divisors of llama3 RoPE, in float32 like its torch code.
    func llama3RopeFactors() -> [Float] {
        let dim = headDim
        let factor = Float(rope.factor), low = Float(rope.lowFreqFactor ?? 1), high = Float(rope.highFreqFactor ?? 4)
        let old = Float(rope.originalMaxPositionEmbeddings ?? 8192)
        let lowWavelen = old / low, highWavelen = old / high
        return stride(from: 0, to: dim, by: 2).map { i in
            let freq = 1 / powf(Float(rope.theta), Float(i) / Float(dim))
            let wavelen = Float(2 * Double.pi) / freq
            if wavelen < highWavelen { return 1 }
            if wavelen > lowWavelen { return factor }
            let smooth = (old / wavelen - low) / (high - low)
            return 1 / ((1 - smooth) / factor + smooth)
        }
    }

    static func bytes(_ values: [Float]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// Rows of `rowLength` floats as `type`; Q8_0 with gguf-py's rounding (QuantReference, `.reference`).
    static func encode(_ values: [Float], as type: GGMLType, rowLength: Int) -> [UInt8] {
        guard type != .f32 else { return bytes(values) }
        var out = [UInt8](repeating: 0, count: type.byteCount(elements: values.count)!)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in
                Quant.quantizeRow(src.baseAddress!, dst.baseAddress!, count: values.count, type: type, q8Rounding: .reference)
            }
        }
        return out
    }
}
