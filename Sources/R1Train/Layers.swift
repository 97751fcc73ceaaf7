// The decoder's elementwise layers, each forward beside its hand-written backward (llm.c's layout): embedding,
// RMSNorm (transformers' Qwen2RMSNorm: x · rsqrt(mean(x²) + eps) · w), rotate-half RoPE, SwiGLU. Parallel over rows;
// weight gradients are summed per fixed block of rows, then the blocks in order, so results never depend on threads.
import Foundation
import R1Kernels
import R1Models

/// Rows per partial sum of a weight gradient (fixed, so the reduction order is the same on every machine).
let reductionBlock = 64

// MARK: - embedding

enum Embedding {
    /// out(T, D) = table[ids[t]].
    static func forward(ids: [Int32], table: UnsafePointer<Float>, out: FloatPointer, dim: Int) {
        for (t, id) in ids.enumerated() { (out + t * dim).update(from: table + Int(id) * dim, count: dim) }
    }

    /// dtable[ids[t]] += dout(T, D), in token order.
    static func backward(ids: [Int32], dout: UnsafePointer<Float>, dtable: FloatPointer, dim: Int) {
        for (t, id) in ids.enumerated() { Vec.add(dout + t * dim, dtable + Int(id) * dim, dim) }
    }
}

// MARK: - RMSNorm

enum RMSNorm {
    /// out(R, D) = x · rstd · w, rstd(R) = 1 / sqrt(mean(x²) + eps) saved for the backward.
    static func forward(pool: ThreadPool, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: FloatPointer,
                        rstd: FloatPointer, rows: Int, dim: Int, eps: Float) {
        pool.parallelRanges(rows, grain: 16) { range in
            for r in range {
                let xr = x + r * dim, yr = out + r * dim
                let s = 1 / (Vec.dot(xr, xr, dim) / Float(dim) + eps).squareRoot()
                rstd[r] = s
                for i in 0..<dim { yr[i] = weight[i] * (xr[i] * s) }
            }
        }
    }

    /// dx(R, D) += rstd · (g - x · rstd² · mean(g · x)) with g = dout · w; dweight(D) += Σ_r dout · x · rstd.
    /// `scratch` holds ceil(R / reductionBlock) × D floats.
    static func backward(pool: ThreadPool, dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         rstd: UnsafePointer<Float>, dx: FloatPointer, dweight: FloatPointer, scratch: FloatPointer,
                         rows: Int, dim: Int) {
        let blocks = (rows + reductionBlock - 1) / reductionBlock
        pool.parallelFor(blocks) { b in
            let partial = scratch + b * dim
            partial.update(repeating: 0, count: dim)
            for r in (b * reductionBlock)..<min(rows, (b + 1) * reductionBlock) {
                let xr = x + r * dim, dy = dout + r * dim, dxr = dx + r * dim
                let s = rstd[r]
                var gx: Float = 0
                for i in 0..<dim { gx += dy[i] * weight[i] * xr[i] }
                let c = s * s * s * gx / Float(dim)
                for i in 0..<dim {
                    dxr[i] += s * dy[i] * weight[i] - c * xr[i]
                    partial[i] += dy[i] * xr[i] * s
                }
            }
        }
        for b in 0..<blocks { Vec.add(scratch + b * dim, dweight, dim) }
    }
}

// MARK: - RoPE

/// cos/sin of every token's position for rotate-half RoPE: angle = position · invFreq in fp32 as transformers
/// computes it, both times the attention factor (YaRN); invFreq from R1Models' RotaryEmbedding (every scaling type).
struct RopeTable {
    let half: Int
    /// (T, headDim / 2) each.
    var cos: [Float]
    var sin: [Float]

    init(positions: [Int], rotary: RotaryEmbedding) {
        half = rotary.rotaryDim / 2
        // Each distinct position once (packed sequences repeat 0, 1, 2, ...), then copied to every token at it.
        let h = half, distinct = (positions.max() ?? -1) + 1
        var cosAt = [Float](repeating: 0, count: distinct * h), sinAt = cosAt
        var seen = [Bool](repeating: false, count: distinct)
        for p in positions where !seen[p] {
            seen[p] = true
            for i in 0..<h {
                let angle = Float(p) * rotary.invFreq[i]
                cosAt[p * h + i] = Float(Foundation.cos(Double(angle))) * rotary.attentionFactor
                sinAt[p * h + i] = Float(Foundation.sin(Double(angle))) * rotary.attentionFactor
            }
        }
        cos = [Float](repeating: 0, count: positions.count * h)
        sin = cos
        for (t, p) in positions.enumerated() {
            for i in 0..<h { cos[t * h + i] = cosAt[p * h + i]; sin[t * h + i] = sinAt[p * h + i] }
        }
    }

    /// In place on x(T, heads · headDim): x1' = x1 cos - x2 sin, x2' = x2 cos + x1 sin (x1, x2 the halves of a head).
    func forward(pool: ThreadPool, _ x: FloatPointer, tokens: Int, heads: Int) {
        apply(pool: pool, x, tokens: tokens, heads: heads, sign: 1)
    }

    /// The transpose rotation on dx(T, heads · headDim), in place.
    func backward(pool: ThreadPool, _ dx: FloatPointer, tokens: Int, heads: Int) {
        apply(pool: pool, dx, tokens: tokens, heads: heads, sign: -1)
    }

    private func apply(pool: ThreadPool, _ x: FloatPointer, tokens: Int, heads: Int, sign: Float) {
        cos.withUnsafeBufferPointer { cb in
            sin.withUnsafeBufferPointer { sb in
                let (c, s, half) = (cb.baseAddress!, sb.baseAddress!, half)
                pool.parallelRanges(tokens, grain: 8) { range in
                    for t in range {
                        for h in 0..<heads {
                            let row = x + (t * heads + h) * 2 * half
                            for i in 0..<half {
                                let a = row[i], b = row[i + half]
                                let cs = c[t * half + i], sn = sign * s[t * half + i]
                                row[i] = a * cs - b * sn
                                row[i + half] = b * cs + a * sn
                            }
                        }
                    }
                }
            }
        }
    }
}

// MARK: - SwiGLU

enum SwiGLU {
    /// h(T, F) = silu(gate) · up.
    static func forward(pool: ThreadPool, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: FloatPointer, count: Int) {
        pool.parallelRanges(count, grain: 4096) { r in
            Elementwise.swiglu(gate: gate, up: up, out: out, r.lowerBound, r.upperBound)
        }
    }

    /// dgate = dh · up · σ(g)(1 + g(1 - σ(g))), dup = dh · silu(g).
    static func backward(pool: ThreadPool, dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                         dgate: FloatPointer, dup: FloatPointer, count: Int) {
        pool.parallelRanges(count, grain: 4096) { r in
            Elementwise.swigluBackward(dout: dout, gate: gate, up: up, dgate: dgate, dup: dup, r.lowerBound, r.upperBound)
        }
    }
}
