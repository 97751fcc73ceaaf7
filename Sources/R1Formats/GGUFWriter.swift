// GGUF v3 writing as gguf-py's GGUFWriter lays a file out: header, metadata KVs in insertion order, tensor infos,
// zero padding to the alignment, then each tensor's data padded to the alignment (llama.cpp docs/gguf.md).
import Foundation
import R1Kernels

public struct GGUFWriter {
    /// A tensor to write; its bytes are made only when the data section is written (one tensor in memory at a time).
    struct PendingTensor {
        var name: String
        var type: GGMLType
        var ne: [Int]
        var byteCount: Int
        var bytes: () throws -> [UInt8]
    }

    /// 32 unless `general.alignment` was added.
    public private(set) var alignment = 32
    private(set) var metadata: [(String, GGUFValue)] = []
    private var keys: Set<String> = []
    private(set) var tensors: [PendingTensor] = []
    private var tensorNames: Set<String> = []

    public init() {}

    // MARK: - Metadata

    public mutating func add(_ key: String, _ value: GGUFValue) throws {
        guard !key.isEmpty else { throw FormatError("GGUF writer", "empty metadata key") }
        guard !keys.contains(key) else { throw FormatError("GGUF writer", "duplicate metadata key '\(key)'") }
        try Self.check(value, key: key)
        if key == "general.alignment" {  // as gguf-py's add_custom_alignment: the data section follows it
            guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0 else {
                throw FormatError("GGUF writer", "general.alignment \(value) must be a uint32 power of two")
            }
            alignment = Int(a)
        }
        keys.insert(key)
        metadata.append((key, value))
    }

    private static func check(_ value: GGUFValue, key: String) throws {
        guard case .array(let elementType, let items) = value else { return }
        for item in items {
            guard item.type == elementType else {
                throw FormatError("GGUF writer", "metadata '\(key)': \(item.type) element in an array of \(elementType)")
            }
            try check(item, key: key)
        }
    }

    // MARK: - Tensors

    /// Adds a tensor of row-major `shape` (outermost first; stored reversed as ggml's `ne`).
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: @escaping () throws -> [UInt8]) throws {
        guard !tensorNames.contains(name) else { throw FormatError("GGUF writer", "duplicate tensor name '\(name)'") }
        guard (1...4).contains(shape.count), shape.allSatisfy({ $0 > 0 }) else {
            throw FormatError("GGUF writer", "tensor '\(name)' shape \(shape) must have 1...4 positive dimensions")
        }
        let ne = Array(shape.reversed())
        guard ne[0] % type.blockSize == 0 else {
            throw FormatError("GGUF writer", "tensor '\(name)' row length \(ne[0]) is not a multiple of \(type)'s block size \(type.blockSize)")
        }
        guard let byteCount = type.byteCount(elements: shape.reduce(1, *)) else {
            throw FormatError("GGUF writer", "tensor '\(name)' shape \(shape) overflows")
        }
        tensorNames.insert(name)
        tensors.append(PendingTensor(name: name, type: type, ne: ne, byteCount: byteCount, bytes: bytes))
    }

    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) throws {
        try addTensor(name: name, type: type, shape: shape) { bytes }
    }

    // MARK: - Writing

    /// Writes the file at `path` (replaced if present; removed again on error); each tensor's bytes must have the
    /// size its type and shape give.
    public func write(to path: String) throws {
        do {
            try writeFile(path)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    private func writeFile(_ path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw FormatError(path, "cannot create the file")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw FormatError(path, "cannot open for writing") }
        defer { try? handle.close() }
        try handle.write(contentsOf: header())
        for tensor in tensors {
            var data = try tensor.bytes()
            guard data.count == tensor.byteCount else {
                throw FormatError(path, "tensor '\(tensor.name)' has \(data.count) bytes; \(tensor.type) \(Array(tensor.ne.reversed())) needs \(tensor.byteCount)")
            }
            data += [UInt8](repeating: 0, count: padding(data.count))
            try handle.write(contentsOf: data)
        }
    }

    /// Header, metadata and tensor infos, padded to the alignment: everything before the first tensor's data.
    func header() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        Self.append(UInt32(3), to: &out)
        Self.append(UInt64(tensors.count), to: &out)
        Self.append(UInt64(metadata.count), to: &out)
        for (key, value) in metadata {
            Self.append(key, to: &out)
            Self.append(value.type.rawValue, to: &out)
            Self.append(value, to: &out)
        }
        var offset = 0
        for tensor in tensors {
            Self.append(tensor.name, to: &out)
            Self.append(UInt32(tensor.ne.count), to: &out)
            for n in tensor.ne { Self.append(UInt64(n), to: &out) }
            Self.append(tensor.type.rawValue, to: &out)
            Self.append(UInt64(offset), to: &out)
            offset += tensor.byteCount + padding(tensor.byteCount)
        }
        out += [UInt8](repeating: 0, count: padding(out.count))
        return out
    }

    private func padding(_ n: Int) -> Int { (alignment - n % alignment) % alignment }

    private static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }

    private static func append(_ s: String, to out: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &out)
        out += s.utf8
    }

    private static func append(_ value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case .uint8(let v): append(v, to: &out)
        case .int8(let v): append(v, to: &out)
        case .uint16(let v): append(v, to: &out)
        case .int16(let v): append(v, to: &out)
        case .uint32(let v): append(v, to: &out)
        case .int32(let v): append(v, to: &out)
        case .uint64(let v): append(v, to: &out)
        case .int64(let v): append(v, to: &out)
        case .float32(let v): append(v.bitPattern, to: &out)
        case .float64(let v): append(v.bitPattern, to: &out)
        case .bool(let v): out.append(v ? 1 : 0)
        case .string(let s): append(s, to: &out)
        case .array(let elementType, let items):
            append(elementType.rawValue, to: &out)
            append(UInt64(items.count), to: &out)
            for item in items { append(item, to: &out) }  // a nested array writes its own element type and count
        }
    }
}
