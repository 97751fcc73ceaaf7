// f16 / bf16 weight rows · f32 activations. Float checkpoints are computed against fp32 activations, as transformers
// does in float32 (ggml rounds activations to f16 first; that alone moves log-probs by about 1e-3).
// Reference: QuantReference.dequantizeRow then a float dot (tested in MixedDotTests).

extension Quant {
    /// The activation type MatMul uses for weights of `type`: f32 for float weights, else `vecDotType`.
    public static func activationType(_ type: GGMLType) -> GGMLType {
        switch type {
        case .f32, .f16, .bf16: return .f32
        default: return vecDotType(type)
        }
    }

    /// Dot product of a weight row of `type` with activations in `activationType(type)`.
    @inline(__always)
    public static func vecDotActivations(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int, type: GGMLType) -> Float {
        switch type {
        case .f32: return dotF32(w, x, count: count)
        case .f16: return dotF16F32(w, x, count: count)
        case .bf16: return dotBF16F32(w, x, count: count)
        default: return vecDot(w, x, count: count, type: type)
        }
    }

    /// Σ w·x, f16 · f32: f16 widened in integer arithmetic, four accumulators.
    static func dotF16F32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int) -> Float {
        @inline(__always) func lw(_ o: Int) -> SIMD8<Float> { halfToFloat(w.loadUnaligned(fromByteOffset: 2 * o, as: SIMD8<UInt16>.self)) }
        @inline(__always) func lx(_ o: Int) -> SIMD8<Float> { x.loadUnaligned(fromByteOffset: 4 * o, as: SIMD8<Float>.self) }
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i + 32 <= count {
            a0 += lw(i) * lx(i)
            a1 += lw(i + 8) * lx(i + 8)
            a2 += lw(i + 16) * lx(i + 16)
            a3 += lw(i + 24) * lx(i + 24)
            i += 32
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        for j in i..<count {
            s += loadF16(w, 2 * j) * x.loadUnaligned(fromByteOffset: 4 * j, as: Float.self)
        }
        return s
    }

    /// Σ w·x, bf16 · f32: widen by a 16-bit shift, four accumulators.
    static func dotBF16F32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int) -> Float {
        @inline(__always) func lw(_ o: Int) -> SIMD8<Float> {
            let h = SIMD8<UInt32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: 2 * o, as: SIMD8<UInt16>.self))
            return unsafeBitCast(h &<< 16, to: SIMD8<Float>.self)
        }
        @inline(__always) func lx(_ o: Int) -> SIMD8<Float> { x.loadUnaligned(fromByteOffset: 4 * o, as: SIMD8<Float>.self) }
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i + 32 <= count {
            a0 += lw(i) * lx(i)
            a1 += lw(i + 8) * lx(i + 8)
            a2 += lw(i + 16) * lx(i + 16)
            a3 += lw(i + 24) * lx(i + 24)
            i += 32
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        for j in i..<count {
            s += Float(bitPattern: UInt32(w.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)) << 16) * x.loadUnaligned(fromByteOffset: 4 * j, as: Float.self)
        }
        return s
    }
}
