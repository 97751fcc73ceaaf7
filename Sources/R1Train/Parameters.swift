// Parameters and gradients as one flat fp32 buffer each, with a view per tensor named by the checkpoint's own tensor
// names (the HF names of R1Models' WeightNames table); loaded from a safetensors folder or initialised from a seed.
import Foundation
import R1Formats
import R1Models

/// A flat, owned fp32 buffer (parameters, gradients, optimizer moments).
public final class FlatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    deinit { pointer.deallocate() }

    public func zero() { pointer.update(repeating: 0, count: count) }
    public func copy(from other: FlatBuffer) {
        precondition(other.count == count, "FlatBuffer.copy: \(other.count) != \(count) elements")
        pointer.update(from: other.pointer, count: count)
    }
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// One named tensor inside the flat buffer.
public struct ParameterTensor: Sendable {
    public let name: String
    public let shape: [Int]
    /// Element offset into the flat buffer.
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    /// Weight decay applies to matrices only (not to norms and biases), as the usual AdamW groups.
    public var decays: Bool { shape.count >= 2 }
}

/// Offsets of one decoder layer's tensors (nil: the model has no such tensor).
public struct LayerOffsets: Sendable {
    public var attnNorm = 0, q = 0, k = 0, v = 0, o = 0, ffnNorm = 0, gate = 0, up = 0, down = 0
    public var qBias: Int?, kBias: Int?, vBias: Int?, qNorm: Int?, kNorm: Int?
}

/// Where every tensor of a model lives in the flat buffer.
public struct ParameterLayout: Sendable {
    public let shape: ModelShape
    /// In checkpoint order: embedding, each layer, final norm, head.
    public let tensors: [ParameterTensor]
    public let count: Int
    public let embedding: Int
    public let finalNorm: Int
    /// The head's matrix: its own tensor, or the embedding when tied.
    public let head: Int
    public let layers: [LayerOffsets]
    private let index: [String: Int]

    public init(shape s: ModelShape) {
        let names = s.architecture.names
        var tensors: [ParameterTensor] = []
        var total = 0
        func add(_ slot: WeightSlot, _ layer: Int?, _ dims: [Int]) -> Int {
            let t = ParameterTensor(name: names.name(slot, layer: layer, gguf: false)!, shape: dims, offset: total)
            tensors.append(t)
            total += t.count
            return t.offset
        }
        let d = s.hiddenSize, qd = s.headCount * s.headDim, kvd = s.kvHeadCount * s.headDim
        embedding = add(.embedding, nil, [s.vocabSize, d])
        var layers: [LayerOffsets] = []
        for l in 0..<s.layerCount {
            var o = LayerOffsets()
            o.attnNorm = add(.attnNorm, l, [d])
            o.q = add(.q, l, [qd, d])
            if s.qkvBias { o.qBias = add(.qBias, l, [qd]) }
            o.k = add(.k, l, [kvd, d])
            if s.qkvBias { o.kBias = add(.kBias, l, [kvd]) }
            o.v = add(.v, l, [kvd, d])
            if s.qkvBias { o.vBias = add(.vBias, l, [kvd]) }
            if s.qkNorm {
                o.qNorm = add(.qNorm, l, [s.headDim])
                o.kNorm = add(.kNorm, l, [s.headDim])
            }
            o.o = add(.o, l, [d, qd])
            o.ffnNorm = add(.ffnNorm, l, [d])
            o.gate = add(.gate, l, [s.intermediateSize, d])
            o.up = add(.up, l, [s.intermediateSize, d])
            o.down = add(.down, l, [d, s.intermediateSize])
            layers.append(o)
        }
        finalNorm = add(.outputNorm, nil, [d])
        head = s.tieWordEmbeddings ? embedding : add(.output, nil, [s.vocabSize, d])
        self.shape = s
        self.layers = layers
        self.tensors = tensors
        count = total
        index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    public func tensor(_ name: String) -> ParameterTensor? { index[name].map { tensors[$0] } }

    /// Every tensor's elements as an array (for writing checkpoints and gradients).
    public func values(_ t: ParameterTensor, in buffer: FlatBuffer) -> [Float] {
        Array(UnsafeBufferPointer(start: buffer.pointer + t.offset, count: t.count))
    }

    // MARK: - initialisation

    /// transformers' `_init_weights`: matrices N(0, std), norms 1 (biases 0), from `seed` alone.
    public func initialize(_ buffer: FlatBuffer, seed: UInt64, std: Float = 0.02) {
        precondition(buffer.count == count, "ParameterLayout.initialize: a buffer of \(buffer.count) for \(count) parameters")
        var rng = TrainRandom(seed: seed)
        buffer.zero()
        for t in tensors {
            let p = buffer.pointer + t.offset
            if t.decays {
                for i in 0..<t.count { p[i] = std * rng.nextNormal() }
            } else if !t.name.hasSuffix(".bias") {
                p.update(repeating: 1, count: t.count)
            }
        }
    }

    // MARK: - loading

    /// Reads every tensor from `store` (F32, F16 or BF16) into `buffer`, checking names and shapes.
    public func load(from store: any TensorStore, into buffer: FlatBuffer, source: String) throws {
        for t in tensors {
            let view: TensorView
            do { view = try store.requireTensor(t.name) } catch { throw TrainError("\(source): \(error)") }
            guard view.shape == t.shape else {
                throw TrainError("\(source): tensor '\(t.name)' has shape \(view.shape), expected \(t.shape)")
            }
            let dst = buffer.pointer + t.offset
            switch view.type {
            case .f32:
                for i in 0..<t.count { dst[i] = view.data.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            case .bf16:
                for i in 0..<t.count {
                    dst[i] = Float(bitPattern: UInt32(view.data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                }
            case .f16:
                for i in 0..<t.count {
                    dst[i] = Float(Float16(bitPattern: view.data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            default:
                throw TrainError("\(source): tensor '\(t.name)' has type \(view.type), expected F32, F16 or BF16")
            }
        }
    }
}

/// A checkpoint folder's shape and weights: config.json plus model.safetensors (single or sharded).
public struct LoadedParameters: Sendable {
    public let layout: ParameterLayout
    public let parameters: FlatBuffer

    public init(folder: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw TrainError("\(folder): not a checkpoint folder (training needs config.json + safetensors, not GGUF)")
        }
        let shape = try ModelShape(config: HFConfig(folder: folder))
        let store = try SafetensorsCheckpoint(folder: folder)
        layout = ParameterLayout(shape: shape)
        parameters = FlatBuffer(count: layout.count)
        try layout.load(from: store, into: parameters, source: folder)
    }
}
