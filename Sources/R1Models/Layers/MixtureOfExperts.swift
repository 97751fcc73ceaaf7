// DeepSeekMoE: routed experts chosen per token plus shared experts every token runs, as transformers'
// DeepseekV3MoE / DeepseekV2Moe (routers DeepseekV3TopkRouter, DeepseekV2TopkRouter). Tokens are grouped by expert,
// so each routed expert's matrices are read once per step.
import Foundation
import R1Kernels

/// A SwiGLU feed-forward: down(silu(gate(x)) · up(x)). The dense layers, each expert and the shared experts.
public struct FeedForwardWeights: Sendable {
    public var gate, up: LinearWeight   // (I, D)
    public var down: LinearWeight       // (D, I)

    public var parameterCount: Int { gate.rows * gate.cols + up.rows * up.cols + down.rows * down.cols }
    public var byteCount: Int { gate.byteCount + up.byteCount + down.byteCount }

    /// out (t, D) = down(silu(gate(x)) · up(x)) for x (t, D).
    func forward(_ x: UnsafePointer<Float>, tokens t: Int, out: UnsafeMutablePointer<Float>, pool: ThreadPool,
                 scratch: MatMulScratch) {
        let inter = gate.rows
        let g = scratch.floats(t * inter), u = scratch.floats(t * inter)   // (t, I) each
        defer { scratch.recycle(g, count: t * inter); scratch.recycle(u, count: t * inter) }
        LinearWeight.run([(gate, g), (up, u)], x, tokens: t, pool: pool, scratch: scratch)
        for i in 0..<t { Vec.siluMul(g + i * inter, u + i * inter, inter) }
        down.run(g, out, tokens: t, pool: pool, scratch: scratch)
    }
}

/// How a router turns its logits into experts and weights.
public struct Router: Sendable, Equatable {
    public enum Scoring: String, Sendable {
        /// DeepSeek-V3: sigmoid scores; the choice adds e_score_correction_bias and ranks groups by their top-2 sum.
        case sigmoid
        /// DeepSeek-V2: softmax scores; groups ranked by their best expert (topk_method group_limited_greedy).
        case softmax
    }
    public var scoring: Scoring
    public var experts: Int
    public var topK: Int
    /// n_group / topk_group: only experts in the best `topkGroups` of `groups` equal groups compete (1/1: all).
    public var groups: Int
    public var topkGroups: Int
    /// Divide the chosen weights by their sum (V3's norm_topk_prob; transformers' V2 router never does).
    public var normTopkProb: Bool
    public var scale: Float             // routed_scaling_factor

    public init(scoring: Scoring, experts: Int, topK: Int, groups: Int, topkGroups: Int, normTopkProb: Bool, scale: Float) {
        self.scoring = scoring
        self.experts = experts
        self.topK = topK
        self.groups = groups
        self.topkGroups = topkGroups
        self.normTopkProb = normTopkProb
        self.scale = scale
    }

    /// The experts one token goes to and their weights, from its router logits (experts), in expert order.
    public func route(_ logits: [Float], bias: [Float]?) -> [(expert: Int, weight: Float)] {
        let scores: [Float]
        switch scoring {
        case .sigmoid: scores = logits.map { 1 / (1 + expf(-$0)) }
        case .softmax:
            let m = logits.max() ?? 0
            let e = logits.map { expf($0 - m) }
            let sum = e.reduce(0, +)
            scores = e.map { $0 / sum }
        }
        var choice = scores
        if let bias { for e in choice.indices { choice[e] += bias[e] } }
        if groups > 1 {
            let size = experts / groups
            let groupScores: [Float] = (0..<groups).map { g in
                let members = Array(choice[(g * size)..<((g + 1) * size)])
                switch scoring {
                case .sigmoid: return topIndices(members, 2).reduce(0) { $0 + members[$1] }
                case .softmax: return members.max()!
                }
            }
            let kept = Set(topIndices(groupScores, topkGroups))
            // V3 masks the others with -inf, V2 with 0 (scores are positive, so both only drop them)
            for e in choice.indices where !kept.contains(e / size) { choice[e] = -.infinity }
        }
        let chosen = topIndices(choice, topK).sorted()
        var weights = chosen.map { scores[$0] }
        if normTopkProb {
            let sum = weights.reduce(0, +) + 1e-20
            weights = weights.map { $0 / sum }
        }
        return zip(chosen, weights).map { ($0, $1 * scale) }
    }
}

/// Indices of the k largest values, largest first; ties go to the lower index.
func topIndices(_ v: [Float], _ k: Int) -> [Int] {
    Array(v.indices.sorted { v[$0] > v[$1] || (v[$0] == v[$1] && $0 < $1) }.prefix(k))
}

/// One MoE layer's weights.
public struct MixtureOfExpertsWeights: Sendable {
    public var router: [Float]             // (experts, D) fp32, as transformers keeps the gate
    public var correctionBias: [Float]?    // (experts) V3's e_score_correction_bias
    public var experts: [FeedForwardWeights]
    public var shared: FeedForwardWeights?

    /// out (n, D) = Σ routed weight · expert(h) + shared(h), for the normed inputs h (n, D).
    func forward(_ h: UnsafePointer<Float>, tokens n: Int, routing: Router, out: UnsafeMutablePointer<Float>,
                 pool: ThreadPool, scratch: MatMulScratch) {
        let d = experts[0].gate.cols
        // MARK: - routing, fp32 logits as transformers' F.linear on float32
        var assigned = [[(token: Int, weight: Float)]](repeating: [], count: experts.count)
        var logits = [Float](repeating: 0, count: experts.count)
        router.withUnsafeBufferPointer { rw in
            for i in 0..<n {
                for e in 0..<experts.count { logits[e] = Vec.dot(h + i * d, rw.baseAddress! + e * d, d) }
                for (e, w) in routing.route(logits, bias: correctionBias) { assigned[e].append((i, w)) }
            }
        }
        // MARK: - experts, each over its tokens (expert order, as the reference's index_add)
        out.update(repeating: 0, count: n * d)
        let rows = scratch.floats(n * d), y = scratch.floats(n * d)
        defer { scratch.recycle(rows, count: n * d); scratch.recycle(y, count: n * d) }
        for (e, tokens) in assigned.enumerated() where !tokens.isEmpty {
            for (k, a) in tokens.enumerated() { (rows + k * d).update(from: h + a.token * d, count: d) }
            experts[e].forward(rows, tokens: tokens.count, out: y, pool: pool, scratch: scratch)
            for (k, a) in tokens.enumerated() { Vec.axpy(a.weight, y + k * d, out + a.token * d, d) }
        }
        if let shared {
            shared.forward(h, tokens: n, out: y, pool: pool, scratch: scratch)
            Vec.add(y, out, n * d)
        }
    }
}
