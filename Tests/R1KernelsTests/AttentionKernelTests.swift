// R1KernelsC's flash attention (attention.c: r1c_attn_update / r1c_attn_finish through FlashAttention) against
// FlashAttention.reference (scores, Vec.softmax, weighted sum of V in Swift), on every kernel level the CPU runs:
// cache rows f32 / f16 / q8_0, head dims the vector bodies take and ones they leave to the plain loop, 1-9 query rows
// (GQA groups, prefill tiles), a few to a thousand positions, split-K in several parts, and a subset of rows updated
// over more positions (a prefill tile's causal tail). Tolerance 1e-4 relative to the values' scale.
import Testing
@testable import R1Kernels

@Suite struct AttentionKernelTests {
    /// Cache rows of `type`: `count` positions of `hd` elements, `stride` bytes apart (wider than a row, as heads
    /// interleave in the cache), the values scaled by `scale`.
    static func rows(_ type: GGMLType, count: Int, hd: Int, stride: Int, scale: Float, rng: inout SeededRNG) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count * stride)
        var x = [Float](repeating: 0, count: hd)
        for j in 0..<count {
            for d in 0..<hd { x[d] = rng.normal() * scale }
            out.withUnsafeMutableBytes { Quant.quantizeRow(x, $0.baseAddress! + j * stride, count: hd, type: type) }
        }
        return out
    }

    struct Case: CustomStringConvertible {
        var type: GGMLType, hd: Int, rows: Int, count: Int, parts: Int
        var description: String { "\(type) hd=\(hd) rows=\(rows) n=\(count) parts=\(parts)" }
    }

    static var cases: [Case] {
        var out: [Case] = []
        for type in [GGMLType.f16, .f32, .q8_0] {
            for hd in type == .q8_0 ? [128, 64, 96] : [128, 64, 40, 20] {
                for rows in [1, 2, 3, 6, 7, 8, 9] {
                    for count in [1, 5, 33, 100] { out.append(Case(type: type, hd: hd, rows: rows, count: count, parts: 1)) }
                }
                out.append(Case(type: type, hd: hd, rows: 6, count: 1000, parts: 1))
                out.append(Case(type: type, hd: hd, rows: 6, count: 1000, parts: 4))
                out.append(Case(type: type, hd: hd, rows: 12, count: 257, parts: 3))
                out.append(Case(type: type, hd: hd, rows: 1, count: 3, parts: 5))  // parts that see no positions
            }
        }
        return out
    }

    @Test(arguments: KernelPolicy.available)
    func matchesReference(kernels: KernelPolicy) {
        var rng = SeededRNG(seed: 1607)
        for c in Self.cases {
            let hd = c.hd, rowBytes = c.type.byteCount(elements: hd)!, stride = 2 * rowBytes + 64
            let vScale: Float = 3
            let k = Self.rows(c.type, count: c.count, hd: hd, stride: stride, scale: 1, rng: &rng)
            let v = Self.rows(c.type, count: c.count, hd: hd, stride: stride + 32, scale: vScale, rng: &rng)
            let qStride = hd + 8
            let q = (0..<(c.rows * qStride)).map { _ in rng.normal() * 2.5 }
            let scale = 1 / Float(hd).squareRoot()
            var want = [Float](repeating: 0, count: c.rows * hd)
            k.withUnsafeBytes { kb in v.withUnsafeBytes { vb in
                FlashAttention.reference(type: c.type, rows: c.rows, headDim: hd, scale: scale, q: q, qStride: qStride,
                                         k: kb.baseAddress!, kStride: stride, v: vb.baseAddress!, vStride: stride + 32,
                                         count: c.count, out: &want, outStride: hd)
            } }
            let per = FlashAttention.stateCount(rows: c.rows, headDim: hd)
            var states = [Float](repeating: .nan, count: c.parts * per)
            // rows as tokens of 3 heads each, written with a token stride wider than 3 heads
            let heads = 3, tokenStride = 3 * hd + 16
            var got = [Float](repeating: .nan, count: ((c.rows + heads - 1) / heads) * tokenStride)
            k.withUnsafeBytes { kb in v.withUnsafeBytes { vb in states.withUnsafeMutableBufferPointer { sb in
                let size = (c.count + c.parts - 1) / c.parts
                for p in 0..<c.parts {
                    let st = sb.baseAddress! + p * per
                    FlashAttention.initState(rows: c.rows, headDim: hd, st)
                    let lo = min(c.count, p * size), hi = min(c.count, lo + size)
                    FlashAttention.update(kernels: kernels, type: c.type, rows: c.rows, headDim: hd, scale: scale, q: q,
                                          qStride: qStride, k: kb.baseAddress! + lo * stride, kStride: stride,
                                          v: vb.baseAddress! + lo * (stride + 32), vStride: stride + 32, count: hi - lo,
                                          state: st, stateRows: c.rows)
                }
                FlashAttention.finish(rows: c.rows, headDim: hd, parts: c.parts, states: sb.baseAddress!, heads: heads,
                                      out: &got, outTokenStride: tokenStride)
            } } }
            var worst: Float = 0
            for r in 0..<c.rows {
                for d in 0..<hd {
                    let g = got[(r / heads) * tokenStride + (r % heads) * hd + d]
                    worst = max(worst, g.isNaN ? .infinity : abs(g - want[r * hd + d]))
                }
            }
            #expect(worst <= 1e-4 * vScale, "\(kernels) \(c): max error \(worst)")
        }
    }

    /// A causal tile: rows [0, 6) see n positions, rows [6, 12) n + 3 (updated as a subset of the same state).
    @Test(arguments: KernelPolicy.available)
    func subsetOfRows(kernels: KernelPolicy) {
        var rng = SeededRNG(seed: 77)
        for type in [GGMLType.f16, .q8_0] {
            let hd = 64, n = 50, rowBytes = type.byteCount(elements: hd)!
            let k = Self.rows(type, count: n + 3, hd: hd, stride: rowBytes, scale: 1, rng: &rng)
            let v = Self.rows(type, count: n + 3, hd: hd, stride: rowBytes, scale: 1, rng: &rng)
            let q = (0..<(12 * hd)).map { _ in rng.normal() }
            var want = [Float](repeating: 0, count: 12 * hd), got = want
            var state = [Float](repeating: 0, count: FlashAttention.stateCount(rows: 12, headDim: hd))
            k.withUnsafeBytes { kb in v.withUnsafeBytes { vb in
                let kp = kb.baseAddress!, vp = vb.baseAddress!
                FlashAttention.reference(type: type, rows: 6, headDim: hd, scale: 0.125, q: q, qStride: hd, k: kp,
                                         kStride: rowBytes, v: vp, vStride: rowBytes, count: n, out: &want, outStride: hd)
                q.withUnsafeBufferPointer { qb in want.withUnsafeMutableBufferPointer { wb in
                    FlashAttention.reference(type: type, rows: 6, headDim: hd, scale: 0.125, q: qb.baseAddress! + 6 * hd,
                                             qStride: hd, k: kp, kStride: rowBytes, v: vp, vStride: rowBytes,
                                             count: n + 3, out: wb.baseAddress! + 6 * hd, outStride: hd)
                } }
                state.withUnsafeMutableBufferPointer { sb in
                    let st = sb.baseAddress!
                    FlashAttention.initState(rows: 12, headDim: hd, st)
                    FlashAttention.update(kernels: kernels, type: type, rows: 12, headDim: hd, scale: 0.125, q: q,
                                          qStride: hd, k: kp, kStride: rowBytes, v: vp, vStride: rowBytes, count: n,
                                          state: st, stateRows: 12)
                    q.withUnsafeBufferPointer { qb in
                        FlashAttention.update(kernels: kernels, type: type, rows: 6, headDim: hd, scale: 0.125,
                                              q: qb.baseAddress! + 6 * hd, qStride: hd, k: kp + n * rowBytes,
                                              kStride: rowBytes, v: vp + n * rowBytes, vStride: rowBytes, count: 3,
                                              state: st, stateRows: 12, row0: 6)
                    }
                    FlashAttention.finish(rows: 12, headDim: hd, parts: 1, states: st, heads: 12, out: &got,
                                          outTokenStride: 12 * hd)
                }
            } }
            let worst = zip(got, want).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4, "\(kernels) \(type): max error \(worst)")
        }
    }
}
