// Attention.forward/backward (packed sgemm per segment and head) against the plain loops: one dot product or axpy per
// (query, key) pair, causal within each packed segment, grouped-query heads. Segments of 1, 5, 40 and 300 tokens cover
// the single-token row, partial micro-tiles and a K block longer than the sgemm's 256.
import Foundation
import Testing
import R1Kernels
@testable import R1Train

@Suite struct AttentionTests {
    struct Case {
        let shape: AttentionShape
        let segments: SegmentLayout
        var tokens: Int { segments.lengths.reduce(0, +) }
    }

    func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = TrainRandom(seed: seed)
        return (0..<n).map { _ in rng.nextNormal() }
    }

    /// The plain forward: probs (H, L, L) per segment, row i up to column i; out (T, H·hd).
    func referenceForward(_ c: Case, q: [Float], k: [Float], v: [Float]) -> (probs: [Float], out: [Float]) {
        let a = c.shape, hd = a.headDim
        var probs = [Float](repeating: 0, count: c.segments.probCount), out = [Float](repeating: 0, count: c.tokens * a.qDim)
        for (seg, len) in c.segments.lengths.enumerated() {
            let s0 = c.segments.starts[seg]
            for h in 0..<a.heads {
                let kvh = h / a.group, base = c.segments.probOffsets[seg] + h * len * len
                for i in 0..<len {
                    var row = [Float](repeating: 0, count: i + 1)
                    for j in 0...i {
                        var s: Float = 0
                        for d in 0..<hd { s += q[(s0 + i) * a.qDim + h * hd + d] * k[(s0 + j) * a.kvDim + kvh * hd + d] }
                        row[j] = s * a.scale
                    }
                    let mx = row.max()!
                    let e = row.map { expf($0 - mx) }, sum = e.reduce(0, +)
                    for j in 0...i {
                        let p = e[j] / sum
                        probs[base + i * len + j] = p
                        for d in 0..<hd { out[(s0 + i) * a.qDim + h * hd + d] += p * v[(s0 + j) * a.kvDim + kvh * hd + d] }
                    }
                }
            }
        }
        return (probs, out)
    }

    /// The plain backward from the reference probabilities.
    func referenceBackward(_ c: Case, q: [Float], k: [Float], v: [Float], probs: [Float], dout: [Float])
        -> (dq: [Float], dk: [Float], dv: [Float]) {
        let a = c.shape, hd = a.headDim
        var dq = [Float](repeating: 0, count: c.tokens * a.qDim)
        var dk = [Float](repeating: 0, count: c.tokens * a.kvDim), dv = dk
        for (seg, len) in c.segments.lengths.enumerated() {
            let s0 = c.segments.starts[seg]
            for h in 0..<a.heads {
                let kvh = h / a.group, base = c.segments.probOffsets[seg] + h * len * len
                for i in 0..<len {
                    var dp = [Float](repeating: 0, count: i + 1)
                    var rowDot: Float = 0
                    for j in 0...i {
                        let p = probs[base + i * len + j]
                        for d in 0..<hd {
                            dp[j] += dout[(s0 + i) * a.qDim + h * hd + d] * v[(s0 + j) * a.kvDim + kvh * hd + d]
                            dv[(s0 + j) * a.kvDim + kvh * hd + d] += p * dout[(s0 + i) * a.qDim + h * hd + d]
                        }
                        rowDot += p * dp[j]
                    }
                    for j in 0...i {
                        let g = probs[base + i * len + j] * (dp[j] - rowDot) * a.scale
                        for d in 0..<hd {
                            dq[(s0 + i) * a.qDim + h * hd + d] += g * k[(s0 + j) * a.kvDim + kvh * hd + d]
                            dk[(s0 + j) * a.kvDim + kvh * hd + d] += g * q[(s0 + i) * a.qDim + h * hd + d]
                        }
                    }
                }
            }
        }
        return (dq, dk, dv)
    }

    func maxRelative(_ x: [Float], _ y: [Float]) -> Float {
        let scale = max(y.map { abs($0) }.max() ?? 0, 1e-30)
        return zip(x, y).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [(4, 2, 8, [5, 1, 40]), (2, 2, 16, [300, 3]), (6, 1, 12, [17])])
    func matchesPlainLoops(heads: Int, kvHeads: Int, headDim: Int, lengths: [Int]) throws {
        let c = Case(shape: AttentionShape(heads: heads, kvHeads: kvHeads, headDim: headDim),
                     segments: SegmentLayout(lengths: lengths, heads: heads))
        let a = c.shape, t = c.tokens
        let q = random(t * a.qDim, seed: 1), k = random(t * a.kvDim, seed: 2), v = random(t * a.kvDim, seed: 3)
        let dout = random(t * a.qDim, seed: 4)
        let ref = referenceForward(c, q: q, k: k, v: v)
        let refB = referenceBackward(c, q: q, k: k, v: v, probs: ref.probs, dout: dout)

        let pool = ThreadPool(threads: 3, kernels: .test)
        var probs = [Float](repeating: .nan, count: c.segments.probCount), out = [Float](repeating: .nan, count: t * a.qDim)
        var dq = out, dk = [Float](repeating: .nan, count: t * a.kvDim), dv = dk
        probs.withUnsafeMutableBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                Attention.forward(pool: pool, shape: a, segments: c.segments, q: q, k: k, v: v, probs: p.baseAddress!,
                                  out: o.baseAddress!)
            }
        }
        probs.withUnsafeBufferPointer { p in
            dq.withUnsafeMutableBufferPointer { dqb in
                dk.withUnsafeMutableBufferPointer { dkb in
                    dv.withUnsafeMutableBufferPointer { dvb in
                        Attention.backward(pool: pool, shape: a, segments: c.segments, q: q, k: k, v: v, probs: p.baseAddress!,
                                           dout: dout, dq: dqb.baseAddress!, dk: dkb.baseAddress!, dv: dvb.baseAddress!)
                    }
                }
            }
        }
        // Row i of a block holds the probabilities up to column i and zeros after it.
        #expect(maxRelative(probs, ref.probs) < 1e-5)
        #expect(maxRelative(out, ref.out) < 1e-5)
        #expect(maxRelative(dq, refB.dq) < 1e-5)
        #expect(maxRelative(dk, refB.dk) < 1e-5)
        #expect(maxRelative(dv, refB.dv) < 1e-5)
    }
}
