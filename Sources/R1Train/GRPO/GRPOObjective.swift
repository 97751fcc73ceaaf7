// The GRPO objective and its gradient with respect to each completion token's log-prob, as TRL's GRPOTrainer
// (trl 1.16, trainer/grpo_trainer.py, `_generate_and_score_completions` and `_compute_loss`, importance sampling at
// the token level); checked against scripts/fixtures/make_grpo_fixtures.py. The model's backward takes it from there
// (TrainModel.logprobGradient).
import Foundation

/// How per-token losses become one number (TRL's `loss_type`).
public enum GRPOLossType: String, Sendable, CaseIterable, Codable {
    /// DAPO: Σ over every completion token of the batch / their count (TRL "dapo", "bnpo" in one step).
    case token
    /// GRPO: each sequence's mean over its tokens, then the mean over sequences (TRL "grpo").
    case sequence
    /// Dr. GRPO: Σ over every token / (sequences · max_new_tokens) (TRL "dr_grpo").
    case drGRPO = "dr_grpo"
}

public struct GRPOObjective: Sendable {
    public var lossType: GRPOLossType
    public var epsilonLow: Double
    public var epsilonHigh: Double
    /// KL coefficient; 0 drops the KL term (no reference log-probs needed).
    public var beta: Double
    /// The completion budget Dr. GRPO divides by.
    public var maxNewTokens: Int

    public init(lossType: GRPOLossType, epsilonLow: Double, epsilonHigh: Double, beta: Double, maxNewTokens: Int) {
        self.lossType = lossType
        self.epsilonLow = epsilonLow
        self.epsilonHigh = epsilonHigh
        self.beta = beta
        self.maxNewTokens = maxNewTokens
    }

    /// Group-relative advantages: A_i = r_i - mean(group), divided by (std(group) + 1e-4) when `scale` (TRL's
    /// `nanstd`: Bessel-corrected). `rewards` holds whole groups of `groupSize`, one after another.
    public static func advantages(rewards: [Double], groupSize: Int, scale: Bool) -> [Double] {
        precondition(groupSize > 0 && rewards.count % groupSize == 0, "advantages: rewards are not whole groups")
        var out: [Double] = []
        out.reserveCapacity(rewards.count)
        for start in stride(from: 0, to: rewards.count, by: groupSize) {
            let group = rewards[start..<(start + groupSize)]
            let mean = group.reduce(0, +) / Double(groupSize)
            let variance = groupSize > 1 ? group.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(groupSize - 1) : 0
            let std = variance.squareRoot()
            for r in group { out.append(scale ? (r - mean) / (std + 1e-4) : r - mean) }
        }
        return out
    }

    public struct Result: Sendable {
        public var loss: Double
        /// ∂loss/∂logp for every completion token, shaped like the input.
        public var gradient: [[Double]]
        /// Masked means over all completion tokens (TRL's metrics).
        public var klMean: Double
        public var clipLow: Double
        public var clipHigh: Double
        public var tokens: Int
    }

    /// The loss of one batch of completions and its gradient. Per token, with ratio ρ = exp(logp - logp_old):
    ///   ℓ = -min(ρ·A, clamp(ρ, 1-ε_low, 1+ε_high)·A) + β·(exp(ref - logp) - (ref - logp) - 1)   (k3 estimator)
    /// ∂ℓ/∂logp = -ρ·A where the unclipped term is the minimum (clamp passes its gradient inside the range, and
    /// where the two are equal torch.min splits it in halves that add up), 0 where the clipped one is smaller, plus
    /// β·(1 - exp(ref - logp)). `old` nil: on-policy (μ = 1), logp_old = logp.detach(), so ρ = 1 exactly.
    /// `totals`: the whole batch's completions and tokens when these are one micro-batch of it (the normalisers are
    /// the batch's, so micro-batch losses and gradients add up to the batch's); nil: these are the batch.
    public func evaluate(logp: [[Double]], old: [[Double]]?, ref: [[Double]]?, advantages: [Double],
                         totals: (sequences: Int, tokens: Int)? = nil) -> Result {
        precondition(logp.count == advantages.count, "one advantage per completion")
        precondition(beta == 0 || ref != nil, "beta > 0 needs reference log-probs")
        let tokens = logp.reduce(0) { $0 + $1.count }
        let n = totals?.sequences ?? logp.count, allTokens = totals?.tokens ?? tokens
        var loss = 0.0, kl = 0.0, low = 0, high = 0
        var gradient: [[Double]] = []
        gradient.reserveCapacity(n)
        for i in 0..<logp.count {
            let a = advantages[i], row = logp[i]
            // the normaliser each token's loss is divided by
            let scale: Double
            switch lossType {
            case .token: scale = 1 / Double(max(1, allTokens))
            case .sequence: scale = 1 / (Double(n) * Double(max(1, row.count)))
            case .drGRPO: scale = 1 / (Double(n) * Double(maxNewTokens))
            }
            var g = [Double](repeating: 0, count: row.count)
            for t in 0..<row.count {
                let lp = row[t]
                let ratio = old.map { exp(lp - $0[i][t]) } ?? 1
                let clipped = min(max(ratio, 1 - epsilonLow), 1 + epsilonHigh)
                let unclippedTerm = ratio * a, clippedTerm = clipped * a
                var tokenLoss = -min(unclippedTerm, clippedTerm)
                var d = unclippedTerm <= clippedTerm ? -ratio * a : 0
                if ratio < 1 - epsilonLow && a < 0 { low += 1 }
                if ratio > 1 + epsilonHigh && a > 0 { high += 1 }
                if beta != 0, let ref {
                    let delta = ref[i][t] - lp
                    let k3 = exp(delta) - delta - 1
                    kl += k3
                    tokenLoss += beta * k3
                    d += beta * (1 - exp(delta))
                }
                loss += scale * tokenLoss
                g[t] = scale * d
            }
            gradient.append(g)
        }
        let count = Double(max(1, tokens))
        return Result(loss: loss, gradient: gradient, klMean: kl / count, clipLow: Double(low) / count,
                      clipHigh: Double(high) / count, tokens: tokens)
    }
}
