// safetensors files and Hugging Face checkpoint folders (single file or sharded via model.safetensors.index.json).
// Layout as the safetensors spec: u64 LE header length N, N bytes of JSON header, then the data region.
import Foundation
import R1Kernels

/// One tensor's header entry.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    /// The header's dtype string (`F32`, `BF16`, `I64`, ...).
    public let dtype: String
    /// The engine's type, or nil for a dtype it does not compute with (integers, F64, FP8).
    public let type: GGMLType?
    public let shape: [Int]
    /// Byte range within the data region.
    public let begin: Int
    public let end: Int
    public var byteCount: Int { end - begin }
}

/// A single .safetensors file, mapped; tensors are views into the map.
public final class SafetensorsFile: TensorStore, Sendable {
    public let path: String
    public let file: MappedFile
    /// Absolute offset of the data region (8 + header length).
    public let dataOffset: Int
    /// Header entries in data-offset order.
    public let infos: [SafetensorsTensorInfo]
    /// `__metadata__`, string to string, when present.
    public let metadata: [String: String]
    private let index: [String: Int]

    /// Bytes per element of every dtype the spec names; the engine computes with F32, F16 and BF16 only.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I16": 2, "U16": 2, "F16": 2,
        "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8, "C64": 8,
    ]
    static let engineTypes: [String: GGMLType] = ["F32": .f32, "F16": .f16, "BF16": .bf16]
    /// The reference implementation refuses headers above 100 MB.
    static let maxHeaderBytes = 100_000_000

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        self.path = path
        let size = file.count
        guard size >= 8 else { throw FormatError(path, "file of \(size) bytes is too short for a safetensors header length") }
        let n = UInt64(littleEndian: file.bytes.loadUnaligned(as: UInt64.self))
        guard n <= UInt64(size - 8) else {
            throw FormatError(path, "header length \(n) extends past end of file (\(size) bytes)")
        }
        guard n <= UInt64(SafetensorsFile.maxHeaderBytes) else {
            throw FormatError(path, "header length \(n) exceeds the \(SafetensorsFile.maxHeaderBytes)-byte limit")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: file.bytes[8..<(8 + Int(n))])
        let header: JSONValue
        do {
            var p = JSONParser(bytes: headerBytes)
            header = try p.parseDocument()
        } catch {
            throw FormatError(path, "malformed JSON header: \(error)")
        }
        guard let entries = header.object else { throw FormatError(path, "header is not a JSON object") }
        dataOffset = 8 + Int(n)
        let dataSize = size - dataOffset

        var meta: [String: String] = [:]
        var infos: [SafetensorsTensorInfo] = []
        for (name, entry) in entries {
            if name == "__metadata__" {
                for (k, v) in entry.object ?? [:] { if let s = v.string { meta[k] = s } }
                continue
            }
            guard let dtype = entry["dtype"]?.string else { throw FormatError(path, "tensor '\(name)' has no dtype") }
            guard let elementSize = SafetensorsFile.dtypeSizes[dtype] else {
                throw FormatError(path, "tensor '\(name)' has unknown dtype '\(dtype)'")
            }
            guard let dims = entry["shape"]?.array else { throw FormatError(path, "tensor '\(name)' has no shape") }
            var shape: [Int] = []
            var elements = 1
            for d in dims {
                guard let v = d.int, v >= 0 else { throw FormatError(path, "tensor '\(name)' has invalid shape \(dims)") }
                shape.append(v)
                let (p, o) = elements.multipliedReportingOverflow(by: v)
                guard !o else { throw FormatError(path, "tensor '\(name)' element count overflows (shape \(dims))") }
                elements = p
            }
            guard let offs = entry["data_offsets"]?.array, offs.count == 2,
                  let begin = offs[0].int, let end = offs[1].int, begin >= 0, begin <= end else {
                throw FormatError(path, "tensor '\(name)' has invalid data_offsets \(entry["data_offsets"] ?? .null)")
            }
            guard end <= dataSize else {
                throw FormatError(path, "tensor '\(name)' data_offsets [\(begin), \(end)] extend past the data region (\(dataSize) bytes)")
            }
            let (bytes, o) = elements.multipliedReportingOverflow(by: elementSize)
            guard !o, bytes == end - begin else {
                throw FormatError(path, "tensor '\(name)' shape \(shape) of \(dtype) needs \(o ? "overflowing" : String(bytes)) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)")
            }
            infos.append(SafetensorsTensorInfo(name: name, dtype: dtype, type: SafetensorsFile.engineTypes[dtype],
                                               shape: shape, begin: begin, end: end))
        }
        infos.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        // The reference writer packs tensors back to back; overlapping ranges mean a corrupt header.
        for (a, b) in zip(infos, infos.dropFirst()) where b.begin < a.end {
            throw FormatError(path, "tensors '\(a.name)' [\(a.begin), \(a.end)] and '\(b.name)' [\(b.begin), \(b.end)] overlap")
        }
        var index: [String: Int] = [:]
        for (i, t) in infos.enumerated() { index[t.name] = i }
        self.infos = infos
        self.index = index
        metadata = meta
    }

    public func info(_ name: String) -> SafetensorsTensorInfo? { index[name].map { infos[$0] } }

    /// The raw bytes of any tensor, whatever its dtype.
    public func data(for info: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataOffset + info.begin)..<(dataOffset + info.end)])
    }

    public var tensorNames: [String] { infos.map(\.name) }

    public func tensor(_ name: String) -> TensorView? { try? requireTensor(name) }

    public func requireTensor(_ name: String) throws -> TensorView {
        guard let info = info(name) else { throw FormatError(path, "tensor '\(name)' not found") }
        guard let type = info.type else {
            throw FormatError(path, "tensor '\(name)' has dtype \(info.dtype), which is not supported (only F32, F16, BF16)")
        }
        return TensorView(name: name, type: type, shape: info.shape, data: data(for: info))
    }
}

/// A Hugging Face checkpoint folder: `model.safetensors`, or shards listed by `model.safetensors.index.json`.
public final class SafetensorsCheckpoint: TensorStore, Sendable {
    public let folder: String
    /// Each shard opened once, in file-name order.
    public let files: [SafetensorsFile]
    public let tensorNames: [String]
    private let owner: [String: Int]

    public init(folder: String) throws {
        self.folder = folder
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: folder)
        let indexPath = dir.appendingPathComponent("model.safetensors.index.json").path
        let singlePath = dir.appendingPathComponent("model.safetensors").path
        var files: [SafetensorsFile] = []
        var owner: [String: Int] = [:]
        var names: [String] = []
        if fm.fileExists(atPath: indexPath) {
            guard let weightMap = try JSONValue.load(path: indexPath)["weight_map"]?.object else {
                throw FormatError(indexPath, "no 'weight_map' object")
            }
            var shardIndex: [String: Int] = [:]
            for shard in Set(weightMap.values.compactMap(\.string)).sorted() {
                let shardPath = dir.appendingPathComponent(shard).path
                guard fm.fileExists(atPath: shardPath) else {
                    throw FormatError(indexPath, "shard '\(shard)' listed in weight_map is missing")
                }
                shardIndex[shard] = files.count
                files.append(try SafetensorsFile(path: shardPath))
            }
            for (i, f) in files.enumerated() {
                for name in f.tensorNames {
                    guard let listed = weightMap[name]?.string, shardIndex[listed] == i else { continue }
                    owner[name] = i
                    names.append(name)
                }
            }
            for (name, shard) in weightMap.sorted(by: { $0.key < $1.key }) where owner[name] == nil {
                throw FormatError(indexPath, "tensor '\(name)' is mapped to '\(shard.string ?? "\(shard)")' but that shard does not contain it")
            }
        } else if fm.fileExists(atPath: singlePath) {
            let f = try SafetensorsFile(path: singlePath)
            files = [f]
            names = f.tensorNames
            for name in names { owner[name] = 0 }
        } else {
            throw FormatError(folder, "no model.safetensors or model.safetensors.index.json")
        }
        self.files = files
        self.owner = owner
        tensorNames = names
    }

    /// The shard holding `name`.
    public func file(for name: String) -> SafetensorsFile? { owner[name].map { files[$0] } }

    public func tensor(_ name: String) -> TensorView? { file(for: name)?.tensor(name) }

    public func requireTensor(_ name: String) throws -> TensorView {
        guard let f = file(for: name) else { throw FormatError(folder, "tensor '\(name)' not found") }
        return try f.requireTensor(name)
    }
}
