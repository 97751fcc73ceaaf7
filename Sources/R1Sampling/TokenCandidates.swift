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

    public init() {}

    public init(logits: some Collection<Float>) {
        reset(logits: logits)
    }

    public var count: Int { ids.count }

    /// Refill with the whole vocabulary, reusing storage.
    public mutating func reset(logits source: some Collection<Float>) {
        let n = source.count
        ids.removeAll(keepingCapacity: true)
        logits.removeAll(keepingCapacity: true)
        probs.removeAll(keepingCapacity: true)
        ids.reserveCapacity(n)
        logits.reserveCapacity(n)
        probs.reserveCapacity(n)
        for i in 0..<n { ids.append(Int32(i)) }
        logits.append(contentsOf: source)
        isSorted = false
        hasProbabilities = false
        isFullVocabulary = true
    }

    /// Keep `rows` (row indices, in the given order), discarding the rest.
    mutating func keep(rows: [Int], sorted: Bool) {
        let newIds = rows.map { ids[$0] }
        let newLogits = rows.map { logits[$0] }
        let newProbs = hasProbabilities ? rows.map { probs[$0] } : []
        ids.replaceSubrange(0..., with: newIds)
        logits.replaceSubrange(0..., with: newLogits)
        probs.replaceSubrange(0..., with: newProbs)
        isSorted = sorted
        isFullVocabulary = false
    }

    /// Keep the first `n` rows (valid on sorted rows: a best-first prefix).
    mutating func truncate(to n: Int) {
        guard n < count else { return }
        ids.removeSubrange(n...)
        logits.removeSubrange(n...)
        if hasProbabilities { probs.removeSubrange(n...) }
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

/// exp(x) in Float from plain IEEE operations (Cody-Waite reduction, degree-7 Taylor on |r| <= ln2/2),
/// so softmax weights, and hence sampled tokens, are bit-identical on every platform. Within 2 ulp of libm.
/// Underflows (and NaN) give 0; the callers only pass x <= 0.
@inline(__always)
public func portableExp(_ x: Float) -> Float {
    guard x > -87.33654 else { return 0 }          // below: subnormal or NaN
    guard x < 88.72283 else { return .infinity }
    let n = (x * 1.442_695_04).rounded(.toNearestOrEven)  // x = n ln2 + r
    let r = (x - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-6  // ln2 split hi/lo, hi*n exact
    var p: Float = 1.0 / 5040
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    return p * Float(bitPattern: UInt32(Int32(n) + 127) << 23)
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
    var best = 0
    for i in 1..<max(values.count, 1) {
        let idI = ids?[i] ?? Int32(i), idB = ids?[best] ?? Int32(best)
        if isBetter(values[i], idI, than: values[best], idB) || (values[best].isNaN && !values[i].isNaN) { best = i }
    }
    return best
}
