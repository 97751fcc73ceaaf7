// Causal grouped-query attention over packed segments (block-diagonal causal mask: a token sees only the earlier
// tokens of its own segment), forward keeping the probabilities, and its backward. Softmax in fp32 as transformers'
// eager attention; scale 1 / sqrt(headDim). The products are R1KernelsC's packed sgemm (tested against r1c_sgemm_ref);
// forward and backward are checked against the plain loops in AttentionTests and against PyTorch (GradientParityTests).
import Foundation
import R1Kernels
import R1KernelsC

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
    /// per segment as (H, L, L), zero above the diagonal. Per (segment, head): S = q kᵀ and out = P v are two packed
    /// sgemm calls (the full L×L product: twice the causal FLOPs, but at GEMM speed rather than one dot per pair).
    static func forward(pool: ThreadPool, shape a: AttentionShape, segments: SegmentLayout, q: UnsafePointer<Float>,
                        k: UnsafePointer<Float>, v: UnsafePointer<Float>, probs: FloatPointer, out: FloatPointer) {
        let hd = a.headDim
        let isa = pool.kernels.c
        pool.parallelFor(segments.lengths.count * a.heads) { item in
            let seg = item / a.heads, h = item % a.heads, kvh = h / a.group
            let s0 = segments.starts[seg], len = segments.lengths[seg]
            let block = probs + segments.probOffsets[seg] + h * len * len
            let qh = q + s0 * a.qDim + h * hd, kh = k + s0 * a.kvDim + kvh * hd, vh = v + s0 * a.kvDim + kvh * hd
            // S(L, L) = q_h(L, hd) · k_h(L, hd)ᵀ
            sgemm(isa, ta: false, tb: true, m: len, n: len, k: hd, a: qh, lda: a.qDim, b: kh, ldb: a.kvDim, beta: 0, c: block, ldc: len)
            for i in 0..<len {
                let p = block + i * len
                var mx = -Float.infinity
                for j in 0...i {
                    p[j] *= a.scale
                    mx = max(mx, p[j])
                }
                let inv = 1 / Elementwise.expShifted(p, i + 1, shift: mx)
                for j in 0...i { p[j] *= inv }
                if i + 1 < len { (p + i + 1).update(repeating: 0, count: len - i - 1) }
            }
            // out_h(L, hd) = P(L, L) · v_h(L, hd)
            sgemm(isa, ta: false, tb: false, m: len, n: hd, k: len, a: block, lda: len, b: vh, ldb: a.kvDim, beta: 0,
                  c: out + s0 * a.qDim + h * hd, ldc: a.qDim)
        }
    }

    /// From dout(T, H·hd): dq(T, H·hd), dk, dv(T, KV·hd), all overwritten. dP = dout vᵀ, dS = P ∘ (dP - rowsum(P ∘ dP));
    /// dq = dS k · scale, dk = dSᵀ q · scale, dv = Pᵀ dout, each a packed sgemm per (segment, head). One item per
    /// (segment, kv head) owns its dk and dv rows and sums its query heads into them.
    static func backward(pool: ThreadPool, shape a: AttentionShape, segments: SegmentLayout, q: UnsafePointer<Float>,
                         k: UnsafePointer<Float>, v: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                         dout: UnsafePointer<Float>, dq: FloatPointer, dk: FloatPointer, dv: FloatPointer) {
        let hd = a.headDim
        let isa = pool.kernels.c
        pool.parallelFor(segments.lengths.count * a.kvHeads) { item in
            let seg = item / a.kvHeads, kvh = item % a.kvHeads
            let s0 = segments.starts[seg], len = segments.lengths[seg]
            let kh = k + s0 * a.kvDim + kvh * hd, vh = v + s0 * a.kvDim + kvh * hd
            let dkh = dk + s0 * a.kvDim + kvh * hd, dvh = dv + s0 * a.kvDim + kvh * hd
            let dS = FloatPointer.allocate(capacity: len * len)
            defer { dS.deallocate() }
            for h in (kvh * a.group)..<((kvh + 1) * a.group) {
                let first: Float = h == kvh * a.group ? 0 : 1
                let block = probs + segments.probOffsets[seg] + h * len * len
                let qh = q + s0 * a.qDim + h * hd, doh = dout + s0 * a.qDim + h * hd
                // dv_h(L, hd) += Pᵀ · dout_h
                sgemm(isa, ta: true, tb: false, m: len, n: hd, k: len, a: block, lda: len, b: doh, ldb: a.qDim, beta: first,
                      c: dvh, ldc: a.kvDim)
                // dP(L, L) = dout_h · v_hᵀ, then dS in place (zero above the diagonal), scaled
                sgemm(isa, ta: false, tb: true, m: len, n: len, k: hd, a: doh, lda: a.qDim, b: vh, ldb: a.kvDim, beta: 0, c: dS, ldc: len)
                for i in 0..<len {
                    let p = block + i * len, d = dS + i * len
                    var rowDot: Float = 0
                    for j in 0...i { rowDot += p[j] * d[j] }
                    for j in 0...i { d[j] = p[j] * (d[j] - rowDot) * a.scale }
                    if i + 1 < len { (d + i + 1).update(repeating: 0, count: len - i - 1) }
                }
                // dq_h(L, hd) = dS · k_h;  dk_h(L, hd) += dSᵀ · q_h
                sgemm(isa, ta: false, tb: false, m: len, n: hd, k: len, a: dS, lda: len, b: kh, ldb: a.kvDim, beta: 0,
                      c: dq + s0 * a.qDim + h * hd, ldc: a.qDim)
                sgemm(isa, ta: true, tb: false, m: len, n: hd, k: len, a: dS, lda: len, b: qh, ldb: a.qDim, beta: first,
                      c: dkh, ldc: a.kvDim)
            }
        }
    }

    /// One single-threaded packed product (the caller's items are already spread over the pool).
    private static func sgemm(_ isa: Int32, ta: Bool, tb: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int, beta: Float, c: FloatPointer, ldc: Int) {
        r1c_sgemm(isa, ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
