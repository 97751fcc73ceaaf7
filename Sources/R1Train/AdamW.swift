// AdamW as torch.optim.AdamW (decoupled weight decay, bias correction; decay on matrices only), gradient clipping
// by global norm as torch.nn.utils.clip_grad_norm_, and the learning-rate schedule (linear warmup, then cosine or
// linear decay to a floor). Elementwise and independent per element, so a step is bit-identical on any thread count.
import Foundation
import R1Kernels

public struct OptimizerConfig: Sendable, Equatable, Codable {
    public enum Decay: String, Sendable, Codable { case cosine, linear, constant }

    public var learningRate: Double = 3e-4
    public var beta1: Double = 0.9
    public var beta2: Double = 0.95
    public var eps: Double = 1e-8
    public var weightDecay: Double = 0.1
    /// Clip the global gradient norm to this (0: no clipping).
    public var maxGradNorm: Double = 1.0
    public var warmupSteps: Int = 0
    /// Steps of the whole run (the decay ends here).
    public var totalSteps: Int = 1000
    /// The decay's floor as a fraction of `learningRate`.
    public var minLearningRateRatio: Double = 0.1
    public var decay: Decay = .cosine

    public init() {}

    public func validate() throws {
        guard learningRate > 0, learningRate.isFinite else { throw TrainError("learning rate must be positive, got \(learningRate)") }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else { throw TrainError("betas must be in [0, 1), got \(beta1), \(beta2)") }
        guard eps > 0 else { throw TrainError("eps must be positive, got \(eps)") }
        guard weightDecay >= 0 else { throw TrainError("weight decay must be >= 0, got \(weightDecay)") }
        guard maxGradNorm >= 0 else { throw TrainError("max grad norm must be >= 0, got \(maxGradNorm)") }
        guard warmupSteps >= 0 else { throw TrainError("warmup steps must be >= 0, got \(warmupSteps)") }
        guard totalSteps > 0 else { throw TrainError("total steps must be positive, got \(totalSteps)") }
        guard (0...1).contains(minLearningRateRatio) else { throw TrainError("min learning rate ratio must be in [0, 1], got \(minLearningRateRatio)") }
    }

    /// The learning rate of update `step` (0-based): (step + 1) / warmup during warmup, then the decay from 1 to the
    /// floor over the remaining steps (torch LambdaLR with the same function).
    public func learningRate(at step: Int) -> Double {
        if step < warmupSteps { return learningRate * Double(step + 1) / Double(warmupSteps) }
        let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
        let lo = minLearningRateRatio
        switch decay {
        case .constant: return learningRate
        case .linear: return learningRate * (lo + (1 - lo) * (1 - progress))
        case .cosine: return learningRate * (lo + (1 - lo) * 0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}

public final class AdamW: @unchecked Sendable {
    public let config: OptimizerConfig
    public let layout: ParameterLayout
    /// First and second moments, laid out as the parameters.
    public let m: FlatBuffer
    public let v: FlatBuffer
    /// Updates taken so far.
    public var step: Int = 0

    public init(config: OptimizerConfig, layout: ParameterLayout) {
        self.config = config
        self.layout = layout
        m = FlatBuffer(count: layout.count)
        v = FlatBuffer(count: layout.count)
    }

    /// √Σ g² over every gradient, in fp64.
    public static func globalNorm(_ grads: FlatBuffer, pool: ThreadPool) -> Double {
        let chunk = 1 << 16
        let n = (grads.count + chunk - 1) / chunk
        var partial = [Double](repeating: 0, count: n)
        partial.withUnsafeMutableBufferPointer { pb in
            let out = pb.baseAddress!
            pool.parallelFor(n) { c in
                var s: Double = 0
                for i in (c * chunk)..<min(grads.count, (c + 1) * chunk) { s += Double(grads.pointer[i]) * Double(grads.pointer[i]) }
                out[c] = s
            }
        }
        return partial.reduce(0, +).squareRoot()
    }

    /// Clips (as clip_grad_norm_: scale by max / (norm + 1e-6) when that is below 1), applies one update at the
    /// scheduled learning rate, and returns (gradient norm before clipping, learning rate used).
    @discardableResult
    public func update(_ params: FlatBuffer, grads: FlatBuffer, pool: ThreadPool) -> (gradNorm: Double, learningRate: Double) {
        let norm = AdamW.globalNorm(grads, pool: pool)
        var clip: Float = 1
        if config.maxGradNorm > 0 { clip = Float(min(1, config.maxGradNorm / (norm + 1e-6))) }
        let lr = config.learningRate(at: step)
        step += 1
        let t = Double(step)
        let b1 = Float(config.beta1), b2 = Float(config.beta2)
        let stepSize = Float(lr / (1 - pow(config.beta1, t)))
        let bc2Root = Float((1 - pow(config.beta2, t)).squareRoot())
        let eps = Float(config.eps)
        for tensor in layout.tensors {
            let decay = tensor.decays ? Float(1 - lr * config.weightDecay) : 1
            let p = params.pointer + tensor.offset, g = grads.pointer + tensor.offset
            let mm = m.pointer + tensor.offset, vv = v.pointer + tensor.offset
            pool.parallelRanges(tensor.count, grain: 1 << 14) { r in
                for i in r {
                    let gi = g[i] * clip
                    mm[i] = b1 * mm[i] + (1 - b1) * gi
                    vv[i] = b2 * vv[i] + (1 - b2) * gi * gi
                    p[i] = p[i] * decay - stepSize * mm[i] / (vv[i].squareRoot() / bc2Root + eps)
                }
            }
        }
        return (norm, lr)
    }
}
