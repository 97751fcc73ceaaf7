// The working set the processors filter: (id, logit, p) rows like llama.cpp's llama_token_data_array,
// plus the helpers they share: a platform-independent exp, best-k selection, softmax, renormalisation.

/// Token rows still in the running. Starts as the whole vocabulary in id order; processors shrink it.
/// "Best first" everywhere means higher value first, ties to the lower id.
public struct TokenCandidates: Sendable {
    public internal(set) var ids: [Int32] = []
    public internal(set) var logits: [Float] = []
    /// Normalised over the rows present; valid when `hasProbabilities`.
    public internal(set) var probs: [Float] = []
    /// Rows are best first (by logit, and by p once probabilities exist).
    public internal(set) var isSorted = false
    /// Set by `Softmax`; cleared by anything that changes logits.
    public internal(set) var hasProbabilities = false
    /// Rows are still exactly the vocabulary in id order (row i is token i).
    public internal(set) var isFullVocabulary = false

    /// 0..<vocabulary, shared into `ids` by `reset` so refilling does not rewrite it.
    private var identity: [Int32] = []

    public init() {}

    public init(logits: some Collection<Float>) {
        reset(logits: logits)
    }

    public var count: Int { ids.count }

    /// Refill with the whole vocabulary, reusing storage.
    public mutating func reset(logits source: some Collection<Float>) {
        let n = source.count
        if identity.count != n { identity = Array(0..<Int32(n)) }
        ids = identity
        logits.removeAll(keepingCapacity: true)
        logits.append(contentsOf: source)
        probs.removeAll(keepingCapacity: true)
        isSorted = false
        hasProbabilities = false
        isFullVocabulary = true
    }

    /// Keep `rows` (row indices, in the given order), discarding the rest.
    mutating func keep(rows: [Int], sorted: Bool) {
        // Fresh arrays: `ids` may share storage with `identity`.
        ids = rows.map { ids[$0] }
        logits = rows.map { logits[$0] }
        probs = hasProbabilities ? rows.map { probs[$0] } : []
        isSorted = sorted
        isFullVocabulary = false
    }

    /// Keep the first `n` rows (valid on sorted rows: a best-first prefix).
    mutating func truncate(to n: Int) {
        guard n < count else { return }
        ids = Array(ids.prefix(n))
        logits = Array(logits.prefix(n))
        if hasProbabilities { probs = Array(probs.prefix(n)) }
        isFullVocabulary = false
    }

    /// Divide p by the sum of the rows present (sum in Double, in row order).
    mutating func renormalise() {
        var sum = 0.0
        for p in probs { sum += Double(p) }
        guard sum > 0 else { return }
        for i in probs.indices { probs[i] = Float(Double(probs[i]) / sum) }
    }

    /// The surviving distribution as id -> p (for tests and debugging).
    public var distribution: [Int: Float] {
        var out: [Int: Float] = [:]
        for (i, id) in ids.enumerated() { out[Int(id)] = hasProbabilities ? probs[i] : .nan }
        return out
    }
}

// MARK: - Shared numerics

/// exp(x) for 8 lanes from plain IEEE operations (Cody-Waite reduction, degree-7 Taylor on |r| <= ln2/2, no
/// libm, no fused multiply-add), so softmax weights, and hence sampled tokens, are bit-identical on every
/// platform. Within 2 ulp of libm. Lanes below -87.3 (and NaN) give 0; the callers pass x <= 0.
@inline(__always)
public func portableExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let magic: Float = 12_582_912  // 1.5 * 2^23: adding it rounds to an integer (nearest even) in the low bits
    let xc = x.clampedForExp()
    let t = xc * 1.442_695_04 + magic
    let n = t - magic  // round(x / ln2)
    let r = (xc - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-6  // ln2 split hi/lo; n * hi is exact
    var p = SIMD8<Float>(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let n32 = unsafeBitCast(t, to: SIMD8<UInt32>.self) &- magic.bitPattern  // n, two's complement
    let scale = unsafeBitCast((n32 &+ 127) &<< 23, to: SIMD8<Float>.self)  // 2^n
    return (p * scale).replacing(with: 0, where: .!(x .> -87.336_54))
}

/// Scalar exp, bit-identical to the 8-lane one.
@inline(__always)
public func portableExp(_ x: Float) -> Float { portableExp(SIMD8(repeating: x))[0] }

extension SIMD8<Float> {
    @inline(__always) fileprivate func clampedForExp() -> Self {
        // replacing(where:) inlines to blends; pointwiseMin/Max are out-of-line generic calls.
        replacing(with: -87.336_54, where: self .< -87.336_54).replacing(with: 88.7, where: self .> 88.7)
    }
}

@inline(__always)
func load8(_ base: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
    UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
}

/// The last partial chunk of 8, padded with `fill`.
@inline(__always)
func loadTail8(_ buffer: UnsafeBufferPointer<Float>, _ i: Int, fill: Float) -> SIMD8<Float> {
    var v = SIMD8<Float>(repeating: fill)
    for j in 0..<(buffer.count - i) { v[j] = buffer[i + j] }
    return v
}

/// Largest value (NaN ignored; -inf when empty or all NaN).
func maxValue(_ values: UnsafeBufferPointer<Float>) -> Float {
    guard let base = values.baseAddress else { return -.infinity }
    var acc = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= values.count {
        let v = load8(base, i)
        acc = acc.replacing(with: v, where: v .> acc)
        i += 8
    }
    if i < values.count {
        let v = loadTail8(values, i, fill: -.infinity)
        acc = acc.replacing(with: v, where: v .> acc)
    }
    var m = acc[0]
    for j in 1..<8 where acc[j] > m { m = acc[j] }
    return m
}

/// Sum of exp(x - shift) over `values`, accumulated in Double in a fixed order (8 lanes, then lane 0...7);
/// the weights go to `weights` when given.
func expSum(_ values: UnsafeBufferPointer<Float>, minus shift: Float, weights: UnsafeMutablePointer<Float>? = nil) -> Double {
    guard let base = values.baseAddress else { return 0 }
    var lo = SIMD4<Double>(), hi = SIMD4<Double>()
    var i = 0
    @inline(__always) func add(_ w: SIMD8<Float>) {
        lo += SIMD4<Double>(Double(w[0]), Double(w[1]), Double(w[2]), Double(w[3]))
        hi += SIMD4<Double>(Double(w[4]), Double(w[5]), Double(w[6]), Double(w[7]))
    }
    // Blocks of 16 chunks summed in Float lanes (16 terms <= 1 each: ~1e-6 relative at worst), then in Double.
    while i + 128 <= values.count {
        var block = SIMD8<Float>()
        for j in stride(from: i, to: i + 128, by: 8) {
            let w = portableExp(load8(base, j) - shift)
            if let weights { UnsafeMutableRawPointer(weights + j).storeBytes(of: w, as: SIMD8<Float>.self) }
            block += w
        }
        add(block)
        i += 128
    }
    while i + 8 <= values.count {
        let w = portableExp(load8(base, i) - shift)
        if let weights { UnsafeMutableRawPointer(weights + i).storeBytes(of: w, as: SIMD8<Float>.self) }
        add(w)
        i += 8
    }
    if i < values.count {
        let w = portableExp(loadTail8(values, i, fill: -.infinity) - shift)
        if let weights { for j in 0..<(values.count - i) { weights[i + j] = w[j] } }
        add(w)
    }
    return ((lo[0] + lo[1]) + (lo[2] + lo[3])) + ((hi[0] + hi[1]) + (hi[2] + hi[3]))
}

/// Orders (value, id) pairs best first: higher value, then lower id.
@inline(__always)
func isBetter(_ a: Float, _ idA: Int32, than b: Float, _ idB: Int32) -> Bool {
    a > b || (a == b && idA < idB)
}

/// The `k` best of `values` as indices, best first; O(n log k) with a min-heap of the current best k.
/// NaN never enters (it compares false), so it is never selected unless nothing else exists.
func bestIndices(_ values: UnsafeBufferPointer<Float>, ids: UnsafeBufferPointer<Int32>?, k: Int) -> [Int] {
    let n = values.count
    let k = min(k, n)
    guard k > 0 else { return [] }
    @inline(__always) func id(_ i: Int) -> Int32 { ids?[i] ?? Int32(i) }
    // heap[0] is the worst of the kept k.
    var heap: [Int] = []
    heap.reserveCapacity(k)
    @inline(__always) func worse(_ a: Int, _ b: Int) -> Bool { isBetter(values[b], id(b), than: values[a], id(a)) }
    func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, worse(heap[l], heap[m]) { m = l }
            if r < heap.count, worse(heap[r], heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
    for i in 0..<n {
        if heap.count < k {
            heap.append(i)
            var c = heap.count - 1
            while c > 0 {
                let parent = (c - 1) / 2
                if worse(heap[c], heap[parent]) { heap.swapAt(c, parent); c = parent } else { break }
            }
        } else if isBetter(values[i], id(i), than: values[heap[0]], id(heap[0])) {
            heap[0] = i
            siftDown(0)
        }
    }
    return heap.sorted { isBetter(values[$0], id($0), than: values[$1], id($1)) }
}

/// Index of the best value (ties to the lowest id; the first row when all are NaN).
func argmax(_ values: UnsafeBufferPointer<Float>, ids: UnsafeBufferPointer<Int32>?) -> Int {
    guard let ids else {  // ids are the indices: the first index holding the max
        let m = maxValue(values)
        return values.firstIndex(of: m) ?? 0
    }
    var best = 0
    for i in 1..<max(values.count, 1) {
        if isBetter(values[i], ids[i], than: values[best], ids[best]) || (values[best].isNaN && !values[i].isNaN) {
            best = i
        }
    }
    return best
}
