// Per-sequence key/value cache: for each layer, keys and values (maxTokens, kvHeads, headDim) in fp32.

public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let kvHeads: Int
    public let headDim: Int
    public let capacity: Int
    /// Positions filled so far (the next token's position).
    public internal(set) var count: Int = 0
    let keys: [UnsafeMutablePointer<Float>]    // per layer (capacity, kvHeads, headDim)
    let values: [UnsafeMutablePointer<Float>]

    public init(layers: Int, kvHeads: Int, headDim: Int, capacity: Int) {
        self.layers = layers
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.capacity = capacity
        let n = capacity * kvHeads * headDim
        keys = (0..<layers).map { _ in .allocate(capacity: n) }
        values = (0..<layers).map { _ in .allocate(capacity: n) }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Bytes held by keys and values.
    public var byteCount: Int { 2 * layers * capacity * kvHeads * headDim * MemoryLayout<Float>.size }

    /// Forgets every position from `position` on (for reusing a common prefix).
    public func truncate(to position: Int) {
        count = min(count, max(0, position))
    }

    @inline(__always) func rowStride() -> Int { kvHeads * headDim }
}
