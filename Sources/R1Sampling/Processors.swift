// The processors of the sampling chain, one small type each, matching transformers' logits processors
// (RepetitionPenalty, Temperature, TopK, TopP, MinP) and OpenAI's presence / frequency penalties.

/// One link of the chain: shrinks or rescales the candidates in place.
public protocol CandidateProcessor: Sendable {
    func apply(to candidates: inout TokenCandidates)
}

// MARK: - Penalties

/// Repetition (HF / llama.cpp), presence and frequency (OpenAI) penalties over the last `window` history tokens.
public struct Penalties: Sendable {
    public var repetition: Float
    public var presence: Float
    public var frequency: Float
    public var window: Int

    public init(repetition: Float = 1, presence: Float = 0, frequency: Float = 0, window: Int = 64) {
        self.repetition = repetition
        self.presence = presence
        self.frequency = frequency
        self.window = window
    }

    public var isActive: Bool { window != 0 && (repetition != 1 || presence != 0 || frequency != 0) }

    /// Occurrences of each id in the last `window` tokens of `history` (-1 = all of it).
    public func counts(in history: some Collection<Int>) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        let recent = window < 0 ? history.dropFirst(0) : history.dropFirst(max(history.count - window, 0))
        for id in recent { counts[id, default: 0] += 1 }
        return counts
    }

    /// Penalise each counted id once; ids outside the vocabulary are ignored. Works on logits, so it goes first.
    public func apply(to candidates: inout TokenCandidates, counts: [Int: Int]) {
        guard isActive, !counts.isEmpty else { return }
        if candidates.isFullVocabulary {
            for (id, count) in counts where id >= 0 && id < candidates.count {
                candidates.logits[id] = penalised(candidates.logits[id], count: count)
            }
        } else {
            for row in 0..<candidates.count {
                if let count = counts[Int(candidates.ids[row])] {
                    candidates.logits[row] = penalised(candidates.logits[row], count: count)
                }
            }
            candidates.isSorted = false
        }
        candidates.hasProbabilities = false
    }

    @inline(__always) func penalised(_ logit: Float, count: Int) -> Float {
        var l = logit
        if repetition != 1 { l = l > 0 ? l / repetition : l * repetition }  // HF: where(l < 0, l * p, l / p)
        return l - Float(count) * frequency - (count > 0 ? presence : 0)
    }
}

// MARK: - Logit processors

/// Keep the `k` best rows, best first (exactly k: ties at the edge go to the lower id).
public struct TopK: CandidateProcessor {
    public var k: Int
    public init(_ k: Int) { self.k = k }

    public func apply(to candidates: inout TokenCandidates) {
        guard k > 0, k < candidates.count else { return }
        let rows = candidates.logits.withUnsafeBufferPointer { values in
            candidates.ids.withUnsafeBufferPointer { ids in bestIndices(values, ids: ids, k: k) }
        }
        candidates.keep(rows: rows, sorted: true)
        if candidates.hasProbabilities { candidates.renormalise() }
    }
}

/// logits / t, as transformers divides (t > 0; temperature 0 never reaches the chain).
public struct Temperature: CandidateProcessor {
    public var t: Float
    public init(_ t: Float) { self.t = t }

    public func apply(to candidates: inout TokenCandidates) {
        candidates.logits.withUnsafeMutableBufferPointer { logits in
            for i in logits.indices { logits[i] /= t }
        }
        candidates.hasProbabilities = false
    }
}

/// p = exp(l - max) / sum: exp in Float (`portableExp`), sum in Double in a fixed order.
public struct Softmax: CandidateProcessor {
    public init() {}

    public func apply(to candidates: inout TokenCandidates) {
        let n = candidates.count
        guard n > 0 else { return }
        let m = candidates.isSorted ? candidates.logits[0] : candidates.logits.withUnsafeBufferPointer(maxValue)
        candidates.probs = Array(unsafeUninitializedCapacity: n) { probs, initialized in
            initialized = n
            guard m.isFinite else {  // every row -inf: nothing to prefer, keep them uniform
                probs.initialize(repeating: 1 / Float(n))
                return
            }
            let sum = candidates.logits.withUnsafeBufferPointer { expSum($0, minus: m, weights: probs.baseAddress!) }
            let inverse = Float(1 / sum)
            for i in 0..<n { probs[i] *= inverse }
        }
        candidates.hasProbabilities = true
    }
}

// MARK: - Probability filters (need `Softmax` first)

/// Nucleus: keep the best-first prefix whose mass before each kept row is < p (transformers' TopPLogitsWarper
/// keeps a row unless the ascending cumsum up to it is <= 1 - p; same set). Renormalises.
public struct TopP: CandidateProcessor {
    public var p: Float
    public init(_ p: Float) { self.p = p }

    public func apply(to candidates: inout TokenCandidates) {
        precondition(candidates.hasProbabilities, "TopP needs Softmax first")
        guard p < 1, candidates.count > 1 else { return }
        if candidates.isSorted {
            candidates.truncate(to: nucleusLength(candidates.probs[...], before: 0))
        } else {
            keepNucleusUnsorted(&candidates)
        }
        candidates.renormalise()
    }

    /// Rows of `sorted` (best first) to keep, given the mass `before` that ranks above them all.
    private func nucleusLength(_ sorted: ArraySlice<Float>, before: Double) -> Int {
        var before = before, kept = 0
        for q in sorted {
            if before >= Double(p) { break }
            before += Double(q)
            kept += 1
        }
        return kept
    }

    /// Without sorting the vocabulary: bucket the mass by the top 11 bits of p (exponent and 3 mantissa bits,
    /// buckets 9% wide), find the bucket where the mass from the top reaches p, keep every row above it as is
    /// and sort only that bucket to place the exact cut. Rows in a higher bucket beat every row in a lower one.
    /// Keeps the rows in id order then best first within the cut bucket; marks them unsorted.
    private func keepNucleusUnsorted(_ candidates: inout TokenCandidates) {
        let probs = candidates.probs, ids = candidates.ids
        @inline(__always) func bucket(_ q: Float) -> Int { Int(q.bitPattern >> 20) }  // q >= 0: sign bit clear
        var mass = [Double](repeating: 0, count: 1 << 12)
        for q in probs { mass[bucket(q)] += Double(q) }
        var cut = 0, above = 0.0
        for b in stride(from: mass.count - 1, through: 0, by: -1) {
            if above + mass[b] >= Double(p) { cut = b; break }
            above += mass[b]
        }
        var rows: [Int] = [], edge: [Int] = []
        for (i, q) in probs.enumerated() {
            let b = bucket(q)
            if b > cut { rows.append(i) } else if b == cut { edge.append(i) }
        }
        edge.sort { isBetter(probs[$0], ids[$0], than: probs[$1], ids[$1]) }
        rows.append(contentsOf: edge.prefix(nucleusLength(ArraySlice(edge.map { probs[$0] }), before: above)))
        if rows.isEmpty { rows = [edge.first ?? 0] }
        candidates.keep(rows: rows, sorted: false)
    }
}

/// Keep rows with p >= minP * p(best) (transformers' MinPLogitsWarper). Renormalises.
public struct MinP: CandidateProcessor {
    public var minP: Float
    public init(_ minP: Float) { self.minP = minP }

    public func apply(to candidates: inout TokenCandidates) {
        precondition(candidates.hasProbabilities, "MinP needs Softmax first")
        guard minP > 0, candidates.count > 1 else { return }
        let best = candidates.isSorted ? candidates.probs[0] : (candidates.probs.max() ?? 0)
        let threshold = minP * best
        if candidates.isSorted {
            var kept = 1
            while kept < candidates.count, candidates.probs[kept] >= threshold { kept += 1 }
            candidates.truncate(to: kept)
        } else {
            let rows = candidates.probs.indices.filter { candidates.probs[$0] >= threshold }
            candidates.keep(rows: rows, sorted: false)
        }
        candidates.renormalise()
    }
}

// MARK: - Choosing

extension TokenCandidates {
    /// The best row's id by logit (ties to the lower id): temperature 0.
    public func greedyToken() -> Int {
        let row = logits.withUnsafeBufferPointer { values in
            ids.withUnsafeBufferPointer { ids in argmax(values, ids: isFullVocabulary ? nil : ids) }
        }
        return Int(ids[row])
    }

    /// Inverse-CDF draw over the rows in their current order with one uniform `u` in [0, 1).
    public func draw(u: Double) -> Int {
        precondition(hasProbabilities && count > 0)
        var total = 0.0
        for q in probs { total += Double(q) }
        let target = u * total
        var acc = 0.0
        for row in 0..<count {
            acc += Double(probs[row])
            if acc > target, probs[row] > 0 { return Int(ids[row]) }
        }
        // Rounding left u just past the end: the last row with mass.
        return Int(ids[probs.lastIndex { $0 > 0 } ?? 0])
    }
}
