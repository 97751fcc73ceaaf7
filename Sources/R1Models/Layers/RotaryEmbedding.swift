// Rotary position embeddings with default, linear, llama3 and YaRN frequency scaling, as transformers'
// modeling_rope_utils computes inv_freq and the attention factor; applied rotate-half (HF) or interleaved (GGUF llama).
import Foundation

/// How a checkpoint lays out the two halves that RoPE rotates together.
public enum RopeStyle: Sendable {
    /// Pairs (i, i + d/2): transformers' `rotate_half`, llama.cpp's NEOX mode (Qwen2, Qwen3, HF Llama).
    case halves
    /// Pairs (2i, 2i + 1): llama.cpp's NORM mode, used for GGUF Llama whose Q/K rows the converter permuted.
    case interleaved
}

/// RoPE scaling, as the checkpoint states it.
public enum RopeScaling: Sendable, Equatable {
    case none
    case linear(factor: Double)
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositions: Int)
    case yarn(factor: Double, originalMaxPositions: Int, betaFast: Double, betaSlow: Double,
              attentionFactor: Double?, mscale: Double?, mscaleAllDim: Double?, truncate: Bool)
}

public struct RotaryEmbedding: Sendable {
    public let rotaryDim: Int          // dims rotated per head (head_dim × partial_rotary_factor)
    public let style: RopeStyle
    public let invFreq: [Float]        // (rotaryDim / 2)
    public let attentionFactor: Float  // multiplies cos and sin (YaRN)

    /// `freqFactors` divides each frequency (GGUF's `rope_freqs.weight`, how llama.cpp carries llama3 scaling).
    public init(theta: Double, rotaryDim: Int, scaling: RopeScaling, style: RopeStyle, freqFactors: [Float]? = nil) {
        self.rotaryDim = rotaryDim
        self.style = style
        let half = rotaryDim / 2
        // base^(2i/d) in fp32, as transformers does
        let posFreqs: [Float] = (0..<half).map { Float(pow(Float(theta), Float(2 * $0) / Float(rotaryDim))) }
        var inv = posFreqs.map { 1 / $0 }
        var attn: Double = 1
        switch scaling {
        case .none: break
        case .linear(let factor):
            inv = inv.map { $0 / Float(factor) }
        case let .llama3(factor, low, high, original):
            let lowWavelen = Double(original) / low
            let highWavelen = Double(original) / high
            inv = inv.map { f in
                let wavelen = 2 * Double.pi / Double(f)
                if wavelen > lowWavelen { return f / Float(factor) }
                if wavelen < highWavelen { return f }
                let smooth = Float((Double(original) / wavelen - low) / (high - low))
                return (1 - smooth) * f / Float(factor) + smooth * f
            }
        case let .yarn(factor, original, betaFast, betaSlow, attentionFactor, mscale, mscaleAllDim, truncate):
            func getMscale(_ scale: Double, _ m: Double = 1) -> Double { scale <= 1 ? 1 : 0.1 * m * log(scale) + 1 }
            if let a = attentionFactor {
                attn = a
            } else if let m = mscale, let ma = mscaleAllDim, m != 0, ma != 0 {
                attn = getMscale(factor, m) / getMscale(factor, ma)
            } else {
                attn = getMscale(factor)
            }
            func correctionDim(_ rotations: Double) -> Double {
                Double(rotaryDim) * log(Double(original) / (rotations * 2 * .pi)) / (2 * log(theta))
            }
            var low = correctionDim(betaFast), high = correctionDim(betaSlow)
            if truncate { low = floor(low); high = ceil(high) }
            low = max(low, 0); high = min(high, Double(rotaryDim - 1))
            if low == high { high += 0.001 }
            inv = (0..<half).map { i in
                let ramp = Float(min(max((Double(i) - low) / (high - low), 0), 1))
                let extrapolation = 1 - ramp
                let interp = 1 / (Float(factor) * posFreqs[i]), extrap = 1 / posFreqs[i]
                return interp * (1 - extrapolation) + extrap * extrapolation
            }
        }
        if let ff = freqFactors, ff.count == half {
            inv = zip(inv, ff).map { $0 / $1 }
        }
        invFreq = inv
        attentionFactor = Float(attn)
    }

    /// cos/sin tables for `count` positions from `start`: each (count, rotaryDim / 2).
    public func tables(start: Int, count: Int) -> (cos: [Float], sin: [Float]) {
        let half = rotaryDim / 2
        var c = [Float](repeating: 0, count: count * half), s = c
        for t in 0..<count {
            let p = Float(start + t)
            for i in 0..<half {
                let angle = p * invFreq[i]  // fp32 product, as transformers' inv_freq @ position_ids
                c[t * half + i] = cosf(angle) * attentionFactor
                s[t * half + i] = sinf(angle) * attentionFactor
            }
        }
        return (c, s)
    }

    /// Rotates the first `rotaryDim` dims of each of `heads` vectors of `headDim` at `x`, with one position's tables.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int,
                      cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = rotaryDim / 2
        for h in 0..<heads {
            let v = x + h * headDim
            switch style {
            case .halves:
                for i in 0..<half {
                    let a = v[i], b = v[i + half]
                    v[i] = a * cos[i] - b * sin[i]
                    v[i + half] = b * cos[i] + a * sin[i]
                }
            case .interleaved:
                for i in 0..<half {
                    let a = v[2 * i], b = v[2 * i + 1]
                    v[2 * i] = a * cos[i] - b * sin[i]
                    v[2 * i + 1] = b * cos[i] + a * sin[i]
                }
            }
        }
    }
}
