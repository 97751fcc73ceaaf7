// Opens a model from a GGUF file or a Hugging Face folder (config.json + safetensors), picks its architecture from
// the registry, reads hyperparameters from either layout and checks every weight's name, type and shape.
import Foundation
import R1Formats
import R1Kernels

public enum ModelFormat: String, Sendable { case gguf, safetensors }

/// A load error: one line naming the file, tensor or value.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class LoadedModel: @unchecked Sendable {
    public let path: String
    public let format: ModelFormat
    public let architecture: Architecture
    /// The model, of whichever type its architecture builds.
    public let model: any LanguageModel
    /// The dense decoder, for the architectures that share it (Llama, Qwen2, Qwen3).
    public var decoder: Decoder? { model as? Decoder }
    /// The GGUF file (its metadata carries the tokenizer and chat template), when loaded from one.
    public let gguf: GGUFFile?
    /// config.json and generation_config.json, when loaded from a folder.
    public let hfConfig: HFConfig?
    public let generationConfig: GenerationConfig?
    /// The context length the model was trained for (the default for a cache).
    public let trainedContextLength: Int
    /// Every tensor's (type, element count), for `r1 info`.
    public let tensorSummary: [(name: String, type: GGMLType, elements: Int, bytes: Int)]

    init(path: String, format: ModelFormat, architecture: Architecture, model: any LanguageModel, gguf: GGUFFile?,
         hfConfig: HFConfig?, generationConfig: GenerationConfig?, trainedContextLength: Int,
         tensorSummary: [(name: String, type: GGMLType, elements: Int, bytes: Int)]) {
        self.path = path
        self.format = format
        self.architecture = architecture
        self.model = model
        self.gguf = gguf
        self.hfConfig = hfConfig
        self.generationConfig = generationConfig
        self.trainedContextLength = trainedContextLength
        self.tensorSummary = tensorSummary
    }

    public var parameterCount: Int { tensorSummary.reduce(0) { $0 + $1.elements } }
}

public enum ModelLoader {
    /// Loads `path` (a `.gguf` file or a folder with config.json); `contextLength` overrides the cache size.
    public static func load(path: String, contextLength: Int? = nil) throws -> LoadedModel {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ModelError("\(path): no such file or folder")
        }
        if let c = contextLength, c <= 0 { throw ModelError("context length must be positive, got \(c)") }
        if isDir.boolValue { return try loadFolder(path, contextLength: contextLength) }
        return try loadGGUF(path, contextLength: contextLength)
    }

    // MARK: - GGUF

    /// A `.gguf` file, or the first shard of a split model (the other shards beside it: GGUFModelFiles).
    static func loadGGUF(_ path: String, contextLength: Int?) throws -> LoadedModel {
        let store = try GGUFModelFiles(path: path)
        let file = store.metadataFile
        guard let archName = file.architecture else { throw ModelError("\(path): no general.architecture in metadata") }
        guard let arch = ArchitectureRegistry.forGGUF(archName) else {
            throw ModelError("\(path): unknown architecture '\(archName)' (supported: \(ArchitectureRegistry.all.flatMap(\.ggufArchitectures).joined(separator: ", ")))")
        }
        if let custom = arch.buildGGUF {
            let (model, named) = try custom(store, path, contextLength)
            return LoadedModel(path: path, format: .gguf, architecture: named, model: model, gguf: file, hfConfig: nil,
                               generationConfig: nil, trainedContextLength: file.int("\(archName).context_length") ?? model.contextLength,
                               tensorSummary: store.tensors.map { ($0.name, $0.type, $0.elementCount, $0.byteCount) })
        }
        let table = arch.hyperparameters
        let ggufKey = { (f: Hyperparameter) in f.gguf.map { "\(archName).\($0)" } }
        var values = try Hyperparameters.read(table, where: path, key: ggufKey) { f in
            guard let k = ggufKey(f), let v = file.metadata[k] else { return nil }
            if let b = v.bool { return .bool(b) }
            if let d = v.double { return .number(d) }
            return .other("a string or array")
        }
        values["tie_word_embeddings"] = store.tensor(arch.names.name(.output, gguf: true)!) == nil ? 1 : 0
        values["attention_bias"] = store.tensor(arch.names.name(.qBias, layer: 0, gguf: true)!) != nil ? 1 : 0
        var hp = Hyperparameters.Dense(values, qkvBias: arch.qkvBias, rope: try RopeParameters.gguf(file, arch: archName))
        if hp.rope.dimensionCount == nil { hp.rope.dimensionCount = file.int("\(archName).rope.dimension_count") }
        let builder = WeightBuilder(store: store, path: path, names: arch.names, gguf: true)
        let freqFactors = try store.tensor(arch.names.name(.ropeFreqs, gguf: true)!).map { try builder.vector($0.name, count: $0.elementCount) }
        let decoder = try build(arch: arch, hp: hp, builder: builder, ropeStyle: arch.ggufRopeStyle, freqFactors: freqFactors,
                                contextLength: contextLength, storage: [store])
        return LoadedModel(path: path, format: .gguf, architecture: arch, model: decoder, gguf: file, hfConfig: nil,
                           generationConfig: nil, trainedContextLength: hp.maxPositionEmbeddings,
                           tensorSummary: store.tensors.map { ($0.name, $0.type, $0.elementCount, $0.byteCount) })
    }

    // MARK: - Hugging Face folder

    static func loadFolder(_ path: String, contextLength: Int?) throws -> LoadedModel {
        let config = try HFConfig(folder: path)
        let store = try SafetensorsCheckpoint(folder: path)
        return try load(config: config, store: store, path: path, contextLength: contextLength,
                        generationConfig: try GenerationConfig(folder: path))
    }

    /// A model from config.json's values and any tensor store holding the HF names: a checkpoint folder, or weights
    /// in memory (a trainer's parameters, sampled from without a disk round-trip). The model keeps `store` alive;
    /// its matrices point into the store's bytes, so they must not change while the model runs.
    public static func load(config: HFConfig, store: some TensorStore & AnyObject, path: String, contextLength: Int? = nil,
                            generationConfig: GenerationConfig? = nil) throws -> LoadedModel {
        if let c = contextLength, c <= 0 { throw ModelError("context length must be positive, got \(c)") }
        let cfgPath = (path as NSString).appendingPathComponent("config.json")
        guard let modelType = config.modelType else { throw ModelError("\(cfgPath): no model_type") }
        guard let arch = ArchitectureRegistry.forModelType(modelType) else {
            throw ModelError("\(cfgPath): unknown model_type '\(modelType)' (supported: \(ArchitectureRegistry.knownNames))")
        }
        if config.bool("use_sliding_window") == true {
            throw ModelError("\(cfgPath): use_sliding_window true is not supported (sliding-window attention)")
        }
        let values = try Hyperparameters.read(arch.hyperparameters, where: cfgPath, key: { $0.hf }) { f in
            guard let v = config[f.hf], v != .null else { return nil }
            if let b = v.bool { return .bool(b) }
            if let d = v.double { return .number(d) }
            return .other(v.string.map { "\"\($0)\"" } ?? "a list or object")
        }
        let hp = Hyperparameters.Dense(values, qkvBias: arch.qkvBias, rope: try config.ropeParameters())
        let builder = WeightBuilder(store: store, path: path, names: arch.names, gguf: false)
        if let v = config.int("vocab_size"), let e = store.tensor(arch.names.name(.embedding, gguf: false)!), e.shape.first != v {
            throw ModelError("\(cfgPath): vocab_size \(v) disagrees with tensor '\(e.name)' of shape \(e.shape)")
        }
        let model: any LanguageModel
        if let custom = arch.build {
            model = try custom(ModelSource(architecture: arch, values: values, config: config, builder: builder,
                                           contextLength: contextLength, storage: [store]))
        } else {
            model = try build(arch: arch, hp: hp, builder: builder, ropeStyle: .halves, freqFactors: nil,
                              contextLength: contextLength, storage: [store])
        }
        return LoadedModel(path: path, format: .safetensors, architecture: arch, model: model, gguf: nil, hfConfig: config,
                           generationConfig: generationConfig, trainedContextLength: hp.maxPositionEmbeddings,
                           tensorSummary: store.tensorNames.compactMap { n in store.tensor(n).map { (n, $0.type, $0.elementCount, $0.data.count) } })
    }

    // MARK: - common

    static func build(arch: Architecture, hp: Hyperparameters.Dense, builder b: WeightBuilder, ropeStyle: RopeStyle,
                      freqFactors: [Float]?, contextLength: Int?, storage: [any AnyObject & Sendable]) throws -> Decoder {
        for (name, v) in [("hidden size", hp.hiddenSize), ("intermediate size", hp.intermediateSize), ("layer count", hp.numHiddenLayers),
                          ("attention heads", hp.numAttentionHeads), ("key/value heads", hp.numKeyValueHeads), ("head dim", hp.headDim),
                          ("context length", hp.maxPositionEmbeddings)] where v <= 0 {
            throw ModelError("\(b.path): \(name) must be positive, got \(v)")
        }
        guard hp.numAttentionHeads % hp.numKeyValueHeads == 0 else {
            throw ModelError("\(b.path): \(hp.numAttentionHeads) attention heads are not a multiple of \(hp.numKeyValueHeads) key/value heads")
        }
        let embedding = try b.matrix(.embedding, rows: nil, cols: hp.hiddenSize)
        let vocab = embedding.rows
        let output: WeightMatrix
        if hp.tieWordEmbeddings, b.store.tensor(b.names.name(.output, gguf: b.gguf)!) == nil {
            output = embedding
        } else {
            output = try b.matrix(.output, rows: vocab, cols: hp.hiddenSize)
        }
        let d = hp.hiddenSize, hd = hp.headDim
        var layers: [DecoderLayerWeights] = []
        for l in 0..<hp.numHiddenLayers {
            let qDim = hp.numAttentionHeads * hd, kvDim = hp.numKeyValueHeads * hd
            layers.append(DecoderLayerWeights(
                attnNorm: try b.vector(.attnNorm, l, d),
                q: try b.matrix(.q, l, rows: qDim, cols: d),
                k: try b.matrix(.k, l, rows: kvDim, cols: d),
                v: try b.matrix(.v, l, rows: kvDim, cols: d),
                o: try b.matrix(.o, l, rows: d, cols: qDim),
                qBias: hp.attentionBias ? try b.vector(.qBias, l, qDim) : nil,
                kBias: hp.attentionBias ? try b.vector(.kBias, l, kvDim) : nil,
                vBias: hp.attentionBias ? try b.vector(.vBias, l, kvDim) : nil,
                qNorm: arch.qkNorm ? try b.vector(.qNorm, l, hd) : nil,
                kNorm: arch.qkNorm ? try b.vector(.kNorm, l, hd) : nil,
                ffnNorm: try b.vector(.ffnNorm, l, d),
                gate: try b.matrix(.gate, l, rows: hp.intermediateSize, cols: d),
                up: try b.matrix(.up, l, rows: hp.intermediateSize, cols: d),
                down: try b.matrix(.down, l, rows: d, cols: hp.intermediateSize)))
        }
        try checkActivationTypes(layers, path: b.path)
        let weights = DecoderWeights(embedding: embedding, layers: layers, outputNorm: try b.vector(.outputNorm, nil, d), output: output)
        let rope = try rotaryEmbedding(hp.rope, headDim: hd, maxPositions: hp.maxPositionEmbeddings, style: ropeStyle,
                                       freqFactors: freqFactors, path: b.path)
        let config = DecoderConfig(vocabSize: vocab, hiddenSize: d, intermediateSize: hp.intermediateSize, layerCount: hp.numHiddenLayers,
                                   headCount: hp.numAttentionHeads, kvHeadCount: hp.numKeyValueHeads, headDim: hd, rmsNormEps: Float(hp.rmsNormEps),
                                   contextLength: contextLength ?? hp.maxPositionEmbeddings, rope: rope)
        return Decoder(config: config, weights: weights, storage: storage)
    }

    /// Fused q/k/v and gate/up each convert activations once per activation type, for at most two types (Q4_K_M
    /// mixes q4_K and q6_K); a file mixing more is refused here, not in the middle of a forward pass.
    static func checkActivationTypes(_ layers: [DecoderLayerWeights], path: String) throws {
        for (l, lw) in layers.enumerated() {
            for group in [[lw.q, lw.k, lw.v], [lw.gate, lw.up]] {
                let types = Set(group.map { Quant.activationType($0.type) })
                if types.count > 2 {
                    throw ModelError("\(path): layer \(l) mixes weight types \(group.map { "\($0.type)" }.joined(separator: ", ")) in one fused projection, which need \(types.count) activation types (at most 2 supported)")
                }
            }
        }
    }

    static func rotaryEmbedding(_ p: RopeParameters, headDim: Int, maxPositions: Int, style: RopeStyle,
                                freqFactors: [Float]?, path: String) throws -> RotaryEmbedding {
        let rotaryDim = p.dimensionCount ?? Int(Double(headDim) * p.partialRotaryFactor)
        guard rotaryDim > 0, rotaryDim <= headDim, rotaryDim % 2 == 0 else {
            throw ModelError("\(path): rotary dimension \(rotaryDim) does not fit head dim \(headDim)")
        }
        let scaling: RopeScaling
        switch p.ropeType {
        case .default: scaling = .none
        case .linear: scaling = p.factor == 1 ? .none : .linear(factor: p.factor)
        case .llama3:
            scaling = .llama3(factor: p.factor, lowFreqFactor: p.lowFreqFactor ?? 1, highFreqFactor: p.highFreqFactor ?? 4,
                              originalMaxPositions: p.originalMaxPositionEmbeddings ?? maxPositions)
        case .yarn:
            scaling = .yarn(factor: p.factor, originalMaxPositions: p.originalMaxPositionEmbeddings ?? maxPositions,
                            betaFast: p.betaFast ?? 32, betaSlow: p.betaSlow ?? 1, attentionFactor: p.attentionFactor,
                            mscale: p.mscale, mscaleAllDim: p.mscaleAllDim, truncate: true)
        default:
            throw ModelError("\(path): RoPE scaling '\(p.ropeType.rawValue)' is not supported (supported: default, linear, llama3, yarn)")
        }
        return RotaryEmbedding(theta: p.theta, rotaryDim: rotaryDim, scaling: scaling, style: style, freqFactors: freqFactors)
    }
}

/// Resolves weight slots to checked views of a TensorStore.
struct WeightBuilder {
    let store: any TensorStore
    let path: String
    let names: WeightNames
    let gguf: Bool

    func tensor(_ slot: WeightSlot, _ layer: Int?) throws -> TensorView {
        guard let name = names.name(slot, layer: layer, gguf: gguf) else { throw ModelError("\(path): no name for \(slot)") }
        do { return try store.requireTensor(name) } catch { throw ModelError("\(error)") }
    }

    func matrix(_ slot: WeightSlot, _ layer: Int? = nil, rows: Int?, cols: Int) throws -> WeightMatrix {
        try matrix(try tensor(slot, layer), rows: rows, cols: cols)
    }

    func matrix(named name: String, rows: Int?, cols: Int) throws -> WeightMatrix {
        do { return try matrix(try store.requireTensor(name), rows: rows, cols: cols) } catch let e as FormatError { throw ModelError("\(e)") }
    }

    func matrix(_ t: TensorView, rows: Int?, cols: Int) throws -> WeightMatrix {
        guard t.shape.count == 2, t.shape[1] == cols, rows == nil || t.shape[0] == rows else {
            throw ModelError("\(path): tensor '\(t.name)' has shape \(t.shape), expected [\(rows.map(String.init) ?? "vocab"), \(cols)]")
        }
        guard t.type.isSupportedWeight else { throw ModelError("\(path): tensor '\(t.name)' has unsupported type \(t.type)") }
        guard cols % t.type.blockSize == 0, let bytes = t.type.byteCount(elements: t.elementCount), bytes == t.data.count,
              let base = t.data.baseAddress else {
            throw ModelError("\(path): tensor '\(t.name)' of type \(t.type) and shape \(t.shape) has \(t.data.count) bytes of data")
        }
        return WeightMatrix(type: t.type, rows: t.shape[0], cols: cols, data: base)
    }

    /// A 3-D tensor (count, rows, cols) — GGUF's stacked experts — as `count` matrices over its slices, in place.
    /// `what` says where the expected sizes come from, for the shape error.
    func stacked(named name: String, count: Int, rows: Int, cols: Int, what: String = "") throws -> [WeightMatrix] {
        let t: TensorView
        do { t = try store.requireTensor(name) } catch let e as FormatError { throw ModelError("\(e)") }
        guard t.shape == [count, rows, cols] else {
            throw ModelError("\(path): tensor '\(t.name)' has shape \(t.shape), expected [\(count), \(rows), \(cols)]\(what)")
        }
        guard t.type.isSupportedWeight else { throw ModelError("\(path): tensor '\(t.name)' has unsupported type \(t.type)") }
        guard cols % t.type.blockSize == 0, let slice = t.type.byteCount(elements: rows * cols), slice * count == t.data.count,
              let base = t.data.baseAddress else {
            throw ModelError("\(path): tensor '\(t.name)' of type \(t.type) and shape \(t.shape) has \(t.data.count) bytes of data")
        }
        return (0..<count).map { WeightMatrix(type: t.type, rows: rows, cols: cols, data: base + $0 * slice) }
    }

    /// An F8_E4M3 safetensors weight and its `<name>_scale_inv` tiles (an FP8 checkpoint's `block`), in place; nil
    /// when the tensor is stored in another dtype (the caller reads it as a plain matrix).
    func blockFP8(named name: String, rows: Int, cols: Int, block: (rows: Int, cols: Int)?) throws -> BlockFP8Matrix? {
        guard let ck = store as? SafetensorsCheckpoint, let file = ck.file(for: name), let info = file.info(name),
              info.dtype == "F8_E4M3" else { return nil }
        guard let block else {
            throw ModelError("\(path): tensor '\(name)' is F8_E4M3 but config.json has no quantization_config (fp8, weight_block_size)")
        }
        guard info.shape == [rows, cols] else {
            throw ModelError("\(path): tensor '\(name)' has shape \(info.shape), expected [\(rows), \(cols)]")
        }
        let scaleName = name.hasSuffix(".weight") ? name + "_scale_inv" : name + ".weight_scale_inv"
        let scaleShape = [(rows + block.rows - 1) / block.rows, (cols + block.cols - 1) / block.cols]
        guard let t = store.tensor(scaleName) else {
            throw ModelError("\(path): tensor '\(scaleName)' not found (the block scales of FP8 weight '\(name)')")
        }
        guard t.shape == scaleShape else {
            throw ModelError("\(path): tensor '\(scaleName)' has shape \(t.shape), expected \(scaleShape) for [\(rows), \(cols)] in \(block.rows) × \(block.cols) blocks")
        }
        let scales = try vector(scaleName, count: scaleShape[0] * scaleShape[1])
        guard let base = file.data(for: info).baseAddress else { throw ModelError("\(path): tensor '\(name)' has no data") }
        return BlockFP8Matrix(rows: rows, cols: cols, data: base, scales: scales, blockRows: block.rows, blockCols: block.cols)
    }

    func vector(_ slot: WeightSlot, _ layer: Int?, _ count: Int) throws -> [Float] {
        let t = try tensor(slot, layer)
        guard t.shape == [count] else { throw ModelError("\(path): tensor '\(t.name)' has shape \(t.shape), expected [\(count)]") }
        return try vector(t.name, count: count)
    }

    func vector(_ name: String, count: Int) throws -> [Float] {
        let t = try store.requireTensor(name)
        guard t.type.isSupportedWeight else { throw ModelError("\(path): tensor '\(t.name)' has unsupported type \(t.type)") }
        guard t.elementCount == count, t.type.blockSize == 1 || count % t.type.blockSize == 0,
              t.type.byteCount(elements: count) == t.data.count, let base = t.data.baseAddress else {
            throw ModelError("\(path): tensor '\(t.name)' of type \(t.type) and shape \(t.shape) cannot be read as \(count) values")
        }
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { Quant.dequantizeRow(base, $0.baseAddress!, count: count, type: t.type) }
        return out
    }
}
