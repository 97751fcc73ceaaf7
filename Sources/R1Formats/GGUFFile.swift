// GGUF v2/v3 reader over a memory map, validating every count, type, offset and size before use.
// Layout as llama.cpp docs/gguf.md and gguf-py gguf_reader.py: header, metadata KVs, tensor infos, aligned data.
import R1Kernels

/// One tensor's entry in the GGUF tensor-info table.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let type: GGMLType
    /// ggml order, fastest-varying first (`ne[0]` is the row length).
    public let ne: [Int]
    /// Offset from the start of the data section.
    public let offset: Int
    public let byteCount: Int

    /// Row-major, outermost first (`ne` reversed).
    public var shape: [Int] { ne.reversed() }
    public var elementCount: Int { ne.reduce(1, *) }
}

/// A GGUF file: metadata and tensor infos parsed up front, tensor data left in the memory map.
public final class GGUFFile: TensorStore, Sendable {
    public let path: String
    public let file: MappedFile
    public let version: Int
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Absolute file offset of the data section.
    public let dataOffset: Int
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    private let tensorIndex: [String: Int]

    static let defaultAlignment = 32
    static let maxDims = 4
    static let maxArrayDepth = 16

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        path = file.path
        var r = ByteCursor(bytes: file.bytes, path: file.path)

        // MARK: - Header
        try r.need(4, "GGUF magic")
        let magic = Array(file.bytes[0..<4])
        guard magic == Array("GGUF".utf8) else {
            let hex = magic.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            throw FormatError(path, "not a GGUF file: magic is [\(hex)], expected 'GGUF'")
        }
        r.offset = 4
        let rawVersion = try r.read(UInt32.self, "GGUF version")
        if rawVersion & 0xFFFF == 0, (1...3).contains(rawVersion.byteSwapped) {
            throw FormatError(path, "big-endian GGUF (version \(rawVersion.byteSwapped)) is not supported; only little-endian")
        }
        guard rawVersion != 1 else {
            throw FormatError(path, "GGUF version 1 is not supported (only versions 2 and 3)")
        }
        guard rawVersion == 2 || rawVersion == 3 else {
            throw FormatError(path, "unsupported GGUF version \(rawVersion) (only versions 2 and 3)")
        }
        version = Int(rawVersion)
        let tensorCount = try r.read(UInt64.self, "tensor count")
        let kvCount = try r.read(UInt64.self, "metadata count")
        // Each KV takes at least 13 bytes (key length, type, one byte), each tensor info at least 32.
        guard kvCount <= UInt64(r.remaining / 13) else {
            throw FormatError(path, "metadata count \(kvCount) is impossible: at least 13 bytes each, only \(r.remaining) bytes remain")
        }
        guard tensorCount <= UInt64(r.remaining / 32) else {
            throw FormatError(path, "tensor count \(tensorCount) is impossible: at least 32 bytes each, only \(r.remaining) bytes remain")
        }

        // MARK: - Metadata
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(Int(kvCount))
        keys.reserveCapacity(Int(kvCount))
        for i in 0..<Int(kvCount) {
            let key = try r.readString("metadata key #\(i)")
            guard metadata[key] == nil else { throw FormatError(path, "duplicate metadata key '\(key)'") }
            let value = try r.readValue(try r.readValueType("metadata '\(key)' type"), "metadata '\(key)'", depth: 0)
            metadata[key] = value
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var alignment = GGUFFile.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard let v = a.int, v > 0, v & (v - 1) == 0 else {
                throw FormatError(path, "general.alignment \(a) must be a non-zero power of two")
            }
            alignment = v
        }
        self.alignment = alignment

        // MARK: - Tensor infos
        var infos: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        infos.reserveCapacity(Int(tensorCount))
        index.reserveCapacity(Int(tensorCount))
        for i in 0..<Int(tensorCount) {
            let name = try r.readString("tensor info #\(i) name")
            let nDims = try r.read(UInt32.self, "tensor '\(name)' dimension count")
            guard (1...UInt32(GGUFFile.maxDims)).contains(nDims) else {
                throw FormatError(path, "tensor '\(name)' has \(nDims) dimensions (must be 1...\(GGUFFile.maxDims))")
            }
            var ne: [Int] = []
            var elements = 1
            for d in 0..<Int(nDims) {
                let raw = try r.read(UInt64.self, "tensor '\(name)' dimension \(d)")
                guard let n = Int(exactly: raw) else {
                    throw FormatError(path, "tensor '\(name)' dimension \(d) is \(raw), too large")
                }
                ne.append(n)
                let (p, o) = elements.multipliedReportingOverflow(by: n)
                guard !o else { throw FormatError(path, "tensor '\(name)' element count overflows (ne \(ne)...)") }
                elements = p
            }
            let typeID = try r.read(UInt32.self, "tensor '\(name)' type")
            guard let type = GGMLType(rawValue: typeID) else {
                let known = GGUFFile.unsupportedTypeNames[typeID].map { " (\($0))" } ?? ""
                throw FormatError(path, "tensor '\(name)' has ggml type \(typeID)\(known), which is not supported")
            }
            let rawOffset = try r.read(UInt64.self, "tensor '\(name)' offset")
            guard let offset = Int(exactly: rawOffset) else {
                throw FormatError(path, "tensor '\(name)' offset \(rawOffset) is too large")
            }
            guard offset % alignment == 0 else {
                throw FormatError(path, "tensor '\(name)' offset \(offset) is not a multiple of the alignment \(alignment)")
            }
            guard ne[0] % type.blockSize == 0 else {
                throw FormatError(path, "tensor '\(name)' row length \(ne[0]) is not a multiple of \(type)'s block size \(type.blockSize)")
            }
            guard let byteCount = type.byteCount(elements: elements) else {
                throw FormatError(path, "tensor '\(name)' size overflows (ne \(ne), type \(type))")
            }
            guard index[name] == nil else { throw FormatError(path, "duplicate tensor name '\(name)'") }
            index[name] = infos.count
            infos.append(GGUFTensorInfo(name: name, type: type, ne: ne, offset: offset, byteCount: byteCount))
        }

        // MARK: - Data section
        let (padded, o) = r.offset.addingReportingOverflow(alignment - 1)
        guard !o else { throw FormatError(path, "data section offset overflows") }
        let dataOffset = padded / alignment * alignment
        let fileSize = file.count
        if !infos.isEmpty, dataOffset > fileSize {
            throw FormatError(path, "data section starts at \(dataOffset), past end of file (\(fileSize) bytes)")
        }
        for t in infos {
            let (start, o1) = dataOffset.addingReportingOverflow(t.offset)
            let (end, o2) = start.addingReportingOverflow(t.byteCount)
            guard !o1, !o2, end <= fileSize else {
                throw FormatError(path, "tensor '\(t.name)' data [offset \(t.offset), \(t.byteCount) bytes] extends past end of file (\(fileSize) bytes)")
            }
        }
        self.dataOffset = dataOffset
        tensors = infos
        tensorIndex = index
    }

    // MARK: - Metadata access

    public subscript(key: String) -> GGUFValue? { metadata[key] }
    public func string(_ key: String) -> String? { metadata[key]?.string }
    public func int(_ key: String) -> Int? { metadata[key]?.int }
    public func double(_ key: String) -> Double? { metadata[key]?.double }
    public func bool(_ key: String) -> Bool? { metadata[key]?.bool }
    public func stringArray(_ key: String) -> [String]? { metadata[key]?.stringArray }
    public func intArray(_ key: String) -> [Int]? { metadata[key]?.intArray }
    public func doubleArray(_ key: String) -> [Double]? { metadata[key]?.doubleArray }
    /// `general.architecture`, the prefix of the model's own keys (`qwen2`, `llama`).
    public var architecture: String? { string("general.architecture") }

    // MARK: - Tensors

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The tensor's bytes inside the map (bounds checked at load).
    public func data(for info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + info.offset
        return UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + info.byteCount)])
    }

    public var tensorNames: [String] { tensors.map(\.name) }

    public func tensor(_ name: String) -> TensorView? {
        guard let info = tensor(named: name) else { return nil }
        return TensorView(name: name, type: info.type, shape: info.shape, data: data(for: info))
    }

    public func requireTensor(_ name: String) throws -> TensorView {
        guard let t = tensor(name) else { throw FormatError(path, "tensor '\(name)' not found") }
        return t
    }

    /// ggml types GGMLType does not carry, named so the error says which quantization the file uses.
    static let unsupportedTypeNames: [UInt32: String] = [
        4: "Q4_2 (removed)", 5: "Q4_3 (removed)", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S",
        20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64",
        28: "F64", 29: "IQ1_M", 31: "Q4_0_4_4 (removed)", 32: "Q4_0_4_8 (removed)", 33: "Q4_0_8_8 (removed)",
        34: "TQ1_0", 35: "TQ2_0", 36: "IQ4_NL_4_4 (removed)", 37: "IQ4_NL_4_8 (removed)",
        38: "IQ4_NL_8_8 (removed)", 39: "MXFP4",
    ]
}

// MARK: - Cursor

/// Bounds-checked little-endian reads; every failure names what was being read.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    var remaining: Int { bytes.count - offset }

    func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n <= remaining else {
            throw FormatError(path, "\(what()) at offset \(offset) needs \(n) bytes, only \(remaining) remain (truncated file of \(bytes.count) bytes?)")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, what())
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let n = try read(UInt64.self, "\(what()) length")
        guard n <= UInt64(remaining) else {
            throw FormatError(path, "\(what()) length \(n) at offset \(offset - 8) exceeds the \(remaining) bytes remaining")
        }
        let count = Int(n)
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]), as: UTF8.self)
        offset += count
        return s
    }

    mutating func readValueType(_ what: @autoclosure () -> String) throws -> GGUFValueType {
        let raw = try read(UInt32.self, what())
        guard let t = GGUFValueType(rawValue: raw) else {
            throw FormatError(path, "\(what()) is \(raw), not a GGUF value type (0...12)")
        }
        return t
    }

    mutating func readValue(_ type: GGUFValueType, _ what: @autoclosure () -> String, depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, what()))
        case .int8: return .int8(try read(Int8.self, what()))
        case .uint16: return .uint16(try read(UInt16.self, what()))
        case .int16: return .int16(try read(Int16.self, what()))
        case .uint32: return .uint32(try read(UInt32.self, what()))
        case .int32: return .int32(try read(Int32.self, what()))
        case .uint64: return .uint64(try read(UInt64.self, what()))
        case .int64: return .int64(try read(Int64.self, what()))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, what())))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, what())))
        case .bool: return .bool(try read(UInt8.self, what()) != 0)
        case .string: return .string(try readString(what()))
        case .array:
            guard depth < GGUFFile.maxArrayDepth else {
                throw FormatError(path, "\(what()) nests arrays deeper than \(GGUFFile.maxArrayDepth)")
            }
            let elementType = try readValueType("\(what()) element type")
            let n = try read(UInt64.self, "\(what()) array length")
            guard n <= UInt64(remaining / elementType.minimumSize) else {
                throw FormatError(path, "\(what()) array length \(n) of \(elementType) is impossible: at least \(elementType.minimumSize) bytes each, only \(remaining) bytes remain")
            }
            let count = Int(n)
            var out: [GGUFValue] = []
            out.reserveCapacity(count)
            switch elementType {
            case .string:
                for _ in 0..<count { out.append(.string(try readString(what()))) }
            case .array:
                for i in 0..<count { out.append(try readValue(.array, "\(what())[\(i)]", depth: depth + 1)) }
            default:
                for _ in 0..<count { out.append(try readValue(elementType, what(), depth: depth + 1)) }
            }
            return .array(elementType: elementType, out)
        }
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
