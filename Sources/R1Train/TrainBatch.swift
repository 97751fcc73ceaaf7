// A batch for one forward/backward: sequences packed back to back (positions restart per sequence, attention is
// block-diagonal causal) with transformers' `labels` convention for the loss: the logits at t predict id t+1, and
// that term counts where mask[t+1] != 0 (times weight[t+1] when per-token weights are given) and t+1 is in the same
// sequence.

/// One sequence: its ids, an optional loss mask (one entry per id; nil: every term counts) and optional per-token
/// weights (one per id; the RL loop's advantages).
public struct TrainSequence: Sendable, Equatable {
    public var ids: [Int]
    public var lossMask: [Float]?
    public var weights: [Float]?
    /// RoPE position of each id (nil: 0, 1, 2, ...); non-negative and increasing (the SFT's `position_stretch`).
    public var positions: [Int]?

    public init(ids: [Int], lossMask: [Float]? = nil, weights: [Float]? = nil, positions: [Int]? = nil) {
        self.ids = ids
        self.lossMask = lossMask
        self.weights = weights
        self.positions = positions
    }
}

public struct TrainBatch: Sendable {
    public let ids: [Int32]
    public let lengths: [Int]
    /// Position of each token inside its sequence.
    public let positions: [Int]
    /// For each token t: the id its logits predict (t+1's id) when that term counts, else -1.
    public let targets: [Int32]
    /// For each token t: the weight of its term (0 when none).
    public let termWeights: [Float]
    /// Tokens whose logits take part in the loss, in order (the rows the head computes).
    public let termRows: [Int]

    public var tokenCount: Int { ids.count }
    public var termCount: Int { termRows.count }

    /// Checks every id against `vocabSize` and every mask and weight list's length, naming the bad value.
    public init(sequences: [TrainSequence], vocabSize: Int) throws {
        guard !sequences.isEmpty else { throw TrainError("a batch needs at least one sequence") }
        var ids: [Int32] = [], lengths: [Int] = [], positions: [Int] = [], targets: [Int32] = [], weights: [Float] = []
        var rows: [Int] = []
        for (s, seq) in sequences.enumerated() {
            let n = seq.ids.count
            guard n > 0 else { throw TrainError("sequence \(s) is empty") }
            if let m = seq.lossMask, m.count != n {
                throw TrainError("sequence \(s): the loss mask has \(m.count) entries for \(n) ids (one per id)")
            }
            if let w = seq.weights, w.count != n {
                throw TrainError("sequence \(s): the weights have \(w.count) entries for \(n) ids (one per id)")
            }
            if let p = seq.positions {
                guard p.count == n else { throw TrainError("sequence \(s): \(p.count) positions for \(n) ids (one per id)") }
                for i in 0..<n where p[i] < 0 || (i > 0 && p[i] <= p[i - 1]) {
                    throw TrainError("sequence \(s): position \(p[i]) at index \(i) is not above the one before (or is negative)")
                }
            }
            for (i, id) in seq.ids.enumerated() {
                guard id >= 0, id < vocabSize else {
                    throw TrainError("sequence \(s): id \(id) at position \(i) is outside the vocabulary (0..<\(vocabSize))")
                }
                if let m = seq.lossMask, !m[i].isFinite { throw TrainError("sequence \(s): loss mask \(m[i]) at position \(i) is not finite") }
                if let w = seq.weights, !w[i].isFinite { throw TrainError("sequence \(s): weight \(w[i]) at position \(i) is not finite") }
            }
            for i in 0..<n {
                ids.append(Int32(seq.ids[i]))
                positions.append(seq.positions?[i] ?? i)
                let counts = i + 1 < n && (seq.lossMask?[i + 1] ?? 1) != 0
                if counts { rows.append(ids.count - 1) }
                targets.append(counts ? Int32(seq.ids[i + 1]) : -1)
                weights.append(counts ? (seq.weights?[i + 1] ?? 1) : 0)
            }
            lengths.append(n)
        }
        self.ids = ids
        self.lengths = lengths
        self.positions = positions
        self.targets = targets
        termWeights = weights
        termRows = rows
    }
}
