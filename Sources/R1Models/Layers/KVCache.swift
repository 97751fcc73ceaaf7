// Per-sequence key/value cache: for each layer, keys and values (kvHeads, capacity, headDim) in F16 (default, as
// llama.cpp), F32 (the transformers references' precision) or Q8_0 (blocks of 32 along headDim, llama.cpp's
// --cache-type-k q8_0). Rows are written once per position and read by every later token's attention; head-major, so
// one KV head's history is one contiguous stream for the attention kernels (memory-bound deep in a long context).
import R1Kernels

/// The element type of a KV cache.
public enum KVCacheType: String, Sendable, CaseIterable {
    case f32, f16, q8_0

    /// The GGML type its rows are stored in.
    public var ggmlType: GGMLType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .q8_0: return .q8_0
        }
    }
}

public final class KVCache: SequenceCache, @unchecked Sendable {
    public let layers: Int
    public let kvHeads: Int
    public let headDim: Int
    public let capacity: Int
    public let type: KVCacheType
    /// Positions filled so far (the next token's position).
    public internal(set) var count: Int = 0
    /// Bytes of one head's row of headDim elements.
    let headBytes: Int
    let keys: [UnsafeMutableRawPointer]    // per layer and KV head (l · kvHeads + h): (capacity, headDim) of `type`
    let values: [UnsafeMutableRawPointer]
    /// Keys and values of every layer and head, each its own page-aligned stream: the whole context reserved, resident
    /// as positions fill, given back on truncate.
    let memory: ReservedMemory

    public init(layers: Int, kvHeads: Int, headDim: Int, capacity: Int, type: KVCacheType = .f16) {
        precondition(type != .q8_0 || headDim % 32 == 0, "KVCache: q8_0 needs headDim a multiple of 32, got \(headDim)")
        self.layers = layers
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.capacity = capacity
        self.type = type
        headBytes = type.ggmlType.byteCount(elements: headDim)!
        // Pages are touched only as positions fill, so a long context costs memory as it is used.
        let memory = ReservedMemory(parts: 2 * layers * kvHeads, partBytes: capacity * headBytes)
        self.memory = memory
        keys = (0..<(layers * kvHeads)).map { memory.part(2 * $0) }
        values = (0..<(layers * kvHeads)).map { memory.part(2 * $0 + 1) }
    }

    /// Bytes reserved for keys and values.
    public var byteCount: Int { 2 * layers * capacity * kvHeads * headBytes }

    /// Bytes holding the `count` positions filled so far.
    public var usedByteCount: Int { 2 * layers * count * kvHeads * headBytes }

    /// Forgets every position from `position` on (for reusing a common prefix) and gives their pages back.
    public func truncate(to position: Int) {
        count = min(count, max(0, position))
        memory.release(from: count * headBytes)
    }

    /// Bytes of keys and values resident in memory now (what the positions written so far have touched).
    public var residentByteCount: Int { memory.residentBytes() }

    /// Bytes of one position in every layer, keys and values: what the shared prompt cache keeps per token.
    public var positionBytes: Int { 2 * layers * rowBytes }

    /// Position-major: for each position, each layer's key row (every head) then value row.
    public func copyPositions(_ range: Range<Int>, to buffer: UnsafeMutableRawPointer) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "KVCache.copyPositions: \(range) outside 0..<\(count)")
        var out = buffer
        for p in range {
            for l in 0..<layers {
                for h in 0..<kvHeads {
                    (out + h * headBytes).copyMemory(from: key(l, p, h), byteCount: headBytes)
                    (out + rowBytes + h * headBytes).copyMemory(from: value(l, p, h), byteCount: headBytes)
                }
                out += 2 * rowBytes
            }
        }
    }

    public func appendPositions(_ n: Int, from buffer: UnsafeRawPointer) {
        precondition(n >= 0 && count + n <= capacity, "KVCache.appendPositions: \(n) more past capacity \(capacity)")
        var from = buffer
        for p in count..<(count + n) {
            for l in 0..<layers {
                for h in 0..<kvHeads {
                    keyRow(l, p, h).copyMemory(from: from + h * headBytes, byteCount: headBytes)
                    valueRow(l, p, h).copyMemory(from: from + rowBytes + h * headBytes, byteCount: headBytes)
                }
                from += 2 * rowBytes
            }
        }
        count += n
    }

    /// Bytes of one position (all heads).
    @inline(__always) var rowBytes: Int { kvHeads * headBytes }

    /// Bytes from one position's key (or value) of a head to the next position's.
    @inline(__always) var positionStride: Int { headBytes }

    /// Key (head h, position p) of layer l.
    @inline(__always) func key(_ l: Int, _ p: Int, _ h: Int) -> UnsafeRawPointer { UnsafeRawPointer(keyRow(l, p, h)) }
    @inline(__always) func value(_ l: Int, _ p: Int, _ h: Int) -> UnsafeRawPointer { UnsafeRawPointer(valueRow(l, p, h)) }
    @inline(__always) private func keyRow(_ l: Int, _ p: Int, _ h: Int) -> UnsafeMutableRawPointer { keys[l * kvHeads + h] + p * headBytes }
    @inline(__always) private func valueRow(_ l: Int, _ p: Int, _ h: Int) -> UnsafeMutableRawPointer { values[l * kvHeads + h] + p * headBytes }

    /// Stores `t` positions from `start` of fp32 keys and values (t, kvHeads·headDim) into layer l.
    func store(layer l: Int, start: Int, tokens t: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        let dim = kvHeads * headDim
        for i in 0..<t {
            for h in 0..<kvHeads {
                Quant.quantizeRow(k + i * dim + h * headDim, keyRow(l, start + i, h), count: headDim, type: type.ggmlType)
                Quant.quantizeRow(v + i * dim + h * headDim, valueRow(l, start + i, h), count: headDim, type: type.ggmlType)
            }
        }
    }
}
