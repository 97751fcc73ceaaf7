// Writes a .safetensors file as the spec lays it out: u64 LE header length N, N bytes of JSON header (dtype, shape,
// data_offsets per tensor, optional __metadata__), padded with spaces so the data region starts 8-byte aligned, then
// the tensors back to back. F32 values can be stored as F32, F16 or BF16 (round to nearest even).
import Foundation

public struct SafetensorsWriter {
    public enum DType: String, Sendable, CaseIterable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16"
        var size: Int { self == .f32 ? 4 : 2 }
    }

    private struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let data: Data
    }

    private var entries: [Entry] = []
    private var names: Set<String> = []
    public var metadata: [String: String] = [:]

    public init() {}

    /// Adds a tensor of `values` (row-major, `shape`'s product of them), stored as `dtype`.
    public mutating func add(_ name: String, shape: [Int], values: [Float], as dtype: DType = .f32) throws {
        guard !name.isEmpty, name != "__metadata__" else { throw FormatError(name, "invalid tensor name") }
        guard !names.contains(name) else { throw FormatError(name, "tensor added twice") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw FormatError(name, "invalid shape \(shape)") }
        let count = shape.reduce(1, *)
        guard count == values.count else {
            throw FormatError(name, "shape \(shape) holds \(count) values but \(values.count) were given")
        }
        var data = Data(count: count * dtype.size)
        data.withUnsafeMutableBytes { raw in
            switch dtype {
            case .f32:
                for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            case .f16:
                for (i, v) in values.enumerated() { raw.storeBytes(of: Float16(v).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
            case .bf16:
                for (i, v) in values.enumerated() { raw.storeBytes(of: SafetensorsWriter.bf16(v).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
            }
        }
        names.insert(name)
        entries.append(Entry(name: name, dtype: dtype, shape: shape, data: data))
    }

    /// fp32 -> bf16 bits, round to nearest even; NaN stays NaN.
    static func bf16(_ v: Float) -> UInt16 {
        let bits = v.bitPattern
        if v.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }

    /// The whole file's bytes.
    public func serialized() -> Data {
        var fields: [(String, JSONOut)] = []
        if !metadata.isEmpty {
            fields.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for e in entries {
            let end = offset + e.data.count
            fields.append((e.name, .object([("dtype", .string(e.dtype.rawValue)), ("shape", .ints(e.shape)),
                                            ("data_offsets", .ints([offset, end]))])))
            offset = end
        }
        let header = JSONOut.object(fields).text
        var headerBytes = Data(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(headerBytes)
        for e in entries { out.append(e.data) }
        return out
    }

    /// Writes the file atomically (a temporary beside it, then a rename).
    public func write(to path: String) throws {
        do {
            try serialized().write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FormatError(path, "cannot write: \(error.localizedDescription)")
        }
    }
}
