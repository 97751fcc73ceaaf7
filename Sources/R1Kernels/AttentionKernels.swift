// Attention's inner loops over a KV cache row of f32, f16 or q8_0: q·k and out += p·v, fp32 accumulation.
// Plain meaning: dequantize the row (Quant.dequantizeRow), then Vec.dot / Vec.axpy (tested that way in KVCacheTests).
// F16 rows go to R1KernelsC (kernels_f16.c: vcvtph2ps + FMA) unless the policy is plain Swift.
import R1KernelsC

public enum AttentionKernels {
    /// Σ q[i]·k[i] over n elements, k a cache row of `type` (f32, f16, q8_0).
    @inline(__always)
    public static func dot(_ q: UnsafePointer<Float>, _ k: UnsafeRawPointer, _ n: Int, type: GGMLType,
                           kernels: KernelPolicy) -> Float {
        switch type {
        case .f16:
            if kernels.isa >= .avx2 { return r1c_f16_dot(kernels.c, k, q, Int32(n)) }
            return Quant.dotF16F32(k, UnsafeRawPointer(q), count: n)
        case .q8_0:
            var acc = SIMD8<Float>()
            let x = UnsafeRawPointer(q)
            for b in 0..<n / 32 {
                let kb = k + 34 * b
                var s = SIMD8<Float>()
                for i in stride(from: 0, to: 32, by: 8) {
                    s += toFloat(widen(kb.loadUnaligned(fromByteOffset: 2 + i, as: SIMD8<Int8>.self)))
                        * x.loadUnaligned(fromByteOffset: 4 * (32 * b + i), as: SIMD8<Float>.self)
                }
                acc += s * SIMD8(repeating: loadF16(kb))
            }
            return acc.sum()
        default: return Quant.dotF32(k, UnsafeRawPointer(q), count: n)
        }
    }

    /// out[i] += a · v[i] over n elements, v a cache row of `type` (f32, f16, q8_0).
    @inline(__always)
    public static func axpy(_ a: Float, _ v: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ n: Int, type: GGMLType,
                            kernels: KernelPolicy) {
        let ro = UnsafeMutableRawPointer(out)
        switch type {
        case .f16:
            if kernels.isa >= .avx2 { r1c_f16_axpy(kernels.c, a, v, out, Int32(n)); return }
            let va = SIMD8<Float>(repeating: a)
            var i = 0
            while i + 8 <= n {
                let o = ro.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                    + va * halfToFloat(v.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self))
                ro.storeBytes(of: o, toByteOffset: 4 * i, as: SIMD8<Float>.self)
                i += 8
            }
            while i < n { out[i] += a * loadF16(v, 2 * i); i += 1 }
        case .q8_0:
            for b in 0..<n / 32 {
                let vb = v + 34 * b
                let va = SIMD8<Float>(repeating: a * loadF16(vb))
                for i in stride(from: 0, to: 32, by: 8) {
                    let off = 4 * (32 * b + i)
                    let o = ro.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self)
                        + va * toFloat(widen(vb.loadUnaligned(fromByteOffset: 2 + i, as: SIMD8<Int8>.self)))
                    ro.storeBytes(of: o, toByteOffset: off, as: SIMD8<Float>.self)
                }
            }
        default: Vec.axpy(a, v.assumingMemoryBound(to: Float.self), out, n)
        }
    }
}

/// Flash attention over one KV head's cache rows (R1KernelsC attention.c): online softmax in a state per query row,
/// so ranges of positions can run on different threads (split-K) or block by block, merged by log-sum-exp at the end.
/// A state for `rows` rows is `stateCount(rows:headDim:)` floats: m (rows), l (rows), acc (rows × headDim).
/// `reference` is the plain meaning (scores, softmax, weighted sum of V) the kernels are tested against.
public enum FlashAttention {
    public static func stateCount(rows: Int, headDim: Int) -> Int { rows * (headDim + 2) }

    /// Whether `update` runs a C kernel for this policy (else the caller keeps its Swift loop).
    public static func supports(_ kernels: KernelPolicy) -> Bool { kernels.isa >= .avx2 }

    @inline(__always) static func code(_ type: GGMLType) -> Int32 {
        switch type {
        case .f16: return Int32(R1C_F16)
        case .q8_0: return Int32(R1C_Q8_0)
        default: return Int32(R1C_F32)
        }
    }

    /// Sets the state of `rows` rows to "no positions seen".
    @inline(__always)
    public static func initState(rows: Int, headDim: Int, _ state: UnsafeMutablePointer<Float>) {
        r1c_attn_init(Int32(rows), Int32(headDim), state)
    }

    /// Adds `count` positions to rows [row0, row0 + rows) of a state made for `stateRows` rows: query row r at
    /// q + r·qStride, key j at k + j·kStride bytes, value j at v + j·vStride bytes (cache rows of `type`).
    @inline(__always)
    public static func update(kernels: KernelPolicy, type: GGMLType, rows: Int, headDim hd: Int, scale: Float,
                              q: UnsafePointer<Float>, qStride: Int, k: UnsafeRawPointer, kStride: Int,
                              v: UnsafeRawPointer, vStride: Int, count: Int,
                              state: UnsafeMutablePointer<Float>, stateRows: Int, row0: Int = 0) {
        r1c_attn_update(kernels.c, code(type), Int32(rows), Int32(hd), scale, q, qStride, k, kStride, v, vStride,
                        Int32(count), state + row0, state + stateRows + row0, state + 2 * stateRows + row0 * hd)
    }

    /// Merges `parts` consecutive states of `rows` rows and writes the normalized rows: row r to
    /// out + (r / heads)·outTokenStride + (r % heads)·headDim.
    @inline(__always)
    public static func finish(rows: Int, headDim: Int, parts: Int, states: UnsafePointer<Float>, heads: Int,
                              out: UnsafeMutablePointer<Float>, outTokenStride: Int) {
        r1c_attn_finish(Int32(rows), Int32(headDim), Int32(parts), states, Int32(heads), out, outTokenStride)
    }

    /// softmax(scale · q·kᵀ)·v for `rows` query rows over `count` cache rows: scores by AttentionKernels.dot (Swift
    /// kernels), Vec.softmax, then AttentionKernels.axpy; row r's output at out + r·outStride.
    public static func reference(type: GGMLType, rows: Int, headDim hd: Int, scale: Float, q: UnsafePointer<Float>,
                                 qStride: Int, k: UnsafeRawPointer, kStride: Int, v: UnsafeRawPointer, vStride: Int,
                                 count: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        let s = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        defer { s.deallocate() }
        for r in 0..<rows {
            for j in 0..<count {
                s[j] = AttentionKernels.dot(q + r * qStride, k + j * kStride, hd, type: type, kernels: .swift) * scale
            }
            Vec.softmax(s, count)
            let o = out + r * outStride
            o.update(repeating: 0, count: hd)
            for j in 0..<count { AttentionKernels.axpy(s[j], v + j * vStride, o, hd, type: type, kernels: .swift) }
        }
    }
}
