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
