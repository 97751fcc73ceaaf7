// Causal grouped-query attention over packed segments (block-diagonal causal mask: a token sees only the earlier
// tokens of its own segment), forward keeping the probabilities, and its backward. Softmax in fp32 as transformers'
// eager attention; scale 1 / sqrt(headDim).
import Foundation
import R1Kernels

/// Where each segment's (heads, L, L) probability block starts in the saved-probabilities buffer.
struct SegmentLayout {
    let starts: [Int]
    let lengths: [Int]
    let probOffsets: [Int]
    let probCount: Int

    init(lengths: [Int], heads: Int) {
        var s = 0, p = 0
        var starts: [Int] = [], offs: [Int] = []
        for l in lengths {
            starts.append(s)
            offs.append(p)
            s += l
            p += heads * l * l
        }
        self.starts = starts
        self.lengths = lengths
        probOffsets = offs
        probCount = p
    }
}

struct AttentionShape {
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    var qDim: Int { heads * headDim }
    var kvDim: Int { kvHeads * headDim }
    var group: Int { heads / kvHeads }
    var scale: Float { 1 / Float(headDim).squareRoot() }
}

enum Attention {
    /// out(T, H·hd) = softmax(q kᵀ · scale + causal mask per segment) v, for q(T, H·hd), k, v(T, KV·hd); probs saved
    /// per segment as (H, L, L), row i valid up to column i.
    static func forward(pool: ThreadPool, shape a: AttentionShape, segments: SegmentLayout, q: UnsafePointer<Float>,
                        k: UnsafePointer<Float>, v: UnsafePointer<Float>, probs: FloatPointer, out: FloatPointer) {
        let hd = a.headDim
        pool.parallelFor(segments.lengths.count * a.heads) { item in
            let seg = item / a.heads, h = item % a.heads, kvh = h / a.group
            let s0 = segments.starts[seg], len = segments.lengths[seg]
            let block = probs + segments.probOffsets[seg] + h * len * len
            for i in 0..<len {
                let qi = q + (s0 + i) * a.qDim + h * hd
                let p = block + i * len
                var mx = -Float.infinity
                for j in 0...i {
                    let sc = Vec.dot(qi, k + (s0 + j) * a.kvDim + kvh * hd, hd) * a.scale
                    p[j] = sc
                    mx = max(mx, sc)
                }
                var sum: Float = 0
                for j in 0...i {
                    p[j] = expf(p[j] - mx)
                    sum += p[j]
                }
                let inv = 1 / sum
                let oi = out + (s0 + i) * a.qDim + h * hd
                oi.update(repeating: 0, count: hd)
                for j in 0...i {
                    p[j] *= inv
                    Vec.axpy(p[j], v + (s0 + j) * a.kvDim + kvh * hd, oi, hd)
                }
            }
        }
    }

    /// From dout(T, H·hd): dq(T, H·hd), dk, dv(T, KV·hd), all overwritten. dS = P ∘ (dP - rowsum(P ∘ dP)), dP = dout vᵀ;
    /// dq = dS k · scale, dk = dSᵀ q · scale, dv = Pᵀ dout. One item per (segment, kv head) owns its dk and dv rows.
    static func backward(pool: ThreadPool, shape a: AttentionShape, segments: SegmentLayout, q: UnsafePointer<Float>,
                         k: UnsafePointer<Float>, v: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                         dout: UnsafePointer<Float>, dq: FloatPointer, dk: FloatPointer, dv: FloatPointer) {
        let hd = a.headDim
        pool.parallelFor(segments.lengths.count * a.kvHeads) { item in
            let seg = item / a.kvHeads, kvh = item % a.kvHeads
            let s0 = segments.starts[seg], len = segments.lengths[seg]
            for t in s0..<(s0 + len) {
                (dk + t * a.kvDim + kvh * hd).update(repeating: 0, count: hd)
                (dv + t * a.kvDim + kvh * hd).update(repeating: 0, count: hd)
            }
            var ds = [Float](repeating: 0, count: len)
            ds.withUnsafeMutableBufferPointer { dsb in
                let dS = dsb.baseAddress!
                for h in (kvh * a.group)..<((kvh + 1) * a.group) {
                    let block = probs + segments.probOffsets[seg] + h * len * len
                    for i in 0..<len {
                        let p = block + i * len
                        let doi = dout + (s0 + i) * a.qDim + h * hd
                        let qi = q + (s0 + i) * a.qDim + h * hd
                        let dqi = dq + (s0 + i) * a.qDim + h * hd
                        var rowDot: Float = 0
                        for j in 0...i {
                            let vj = v + (s0 + j) * a.kvDim + kvh * hd
                            dS[j] = Vec.dot(doi, vj, hd)
                            rowDot += p[j] * dS[j]
                            Vec.axpy(p[j], doi, dv + (s0 + j) * a.kvDim + kvh * hd, hd)
                        }
                        dqi.update(repeating: 0, count: hd)
                        for j in 0...i {
                            let g = p[j] * (dS[j] - rowDot) * a.scale
                            Vec.axpy(g, k + (s0 + j) * a.kvDim + kvh * hd, dqi, hd)
                            Vec.axpy(g, qi, dk + (s0 + j) * a.kvDim + kvh * hd, hd)
                        }
                    }
                }
            }
        }
    }
}
