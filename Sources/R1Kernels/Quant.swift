// Row-level dequantization, activation quantization and dot products for every GGMLType, the ggml way:
// weights stay in their blocks, activations are quantized to the weight type's `vecDotType` and dotted block by block.
// Plain references live in QuantReference.swift; the fast versions (QuantDot*, QuantDequant, QuantActivation) are
// tested against them.

public enum Quant {
    /// The type activations are converted to before a dot product with weights of `type` (ggml's `vec_dot_type`).
    public static func vecDotType(_ type: GGMLType) -> GGMLType {
        switch type {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q4_0, .q5_0, .q8_0: return .q8_0
        case .q4_1, .q5_1: return .q8_1
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: return .q8_K
        case .q8_1: return .q8_1
        }
    }

    /// Quantizes `count` floats into blocks of `type` (any `vecDotType`: f32, f16, bf16, q8_0, q8_1, q8_K), bit-exact
    /// with QuantReference.quantizeRow. q8_0 / q8_1 round by default as llama.cpp's x86 CPU backend does
    /// (`Q8Rounding.x86`: it agrees with every quantized matmul llama.cpp computed on the qwen2-k fixtures, the
    /// reference rounding differs on exact ties); nearest_int for q8_K as ggml everywhere.
    public static func quantizeRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int, type: GGMLType,
                                   q8Rounding: Q8Rounding = .x86) {
        switch type {
        case .f32: dst.copyMemory(from: src, byteCount: count * 4)
        case .f16:
            var i = 0
            while i + 8 <= count {
                let v = UnsafeRawPointer(src).loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                dst.storeBytes(of: floatToHalf(v), toByteOffset: 2 * i, as: SIMD8<UInt16>.self)
                i += 8
            }
            for j in i..<count { dst.storeBytes(of: floatToHalf(src[j]), toByteOffset: 2 * j, as: UInt16.self) }
        case .q8_0, .q8_1: quantizeQ8_0(src, dst, count: count, q8_1: type == .q8_1, rounding: q8Rounding)
        case .q8_K: quantizeQ8K(src, dst, count: count)
        default:
            // bf16: activations are quantized once per token and reused by every row, so the scalar loop will do.
            QuantReference.quantizeRow(src, dst, count: count, type: type)
        }
    }

    /// Dequantizes `count` elements (a whole number of blocks) of `type` into floats, exactly as QuantReference.
    public static func dequantizeRow(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int, type: GGMLType) {
        let bs = type.blockSize
        precondition(count % bs == 0, "dequantizeRow: \(count) is not a multiple of \(type)'s block size \(bs)")
        switch type {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: 4 * count)
        case .f16, .bf16: dequantizeFloat16(src, dst, count: count, bf16: type == .bf16)
        case .q4_0, .q4_1, .q5_0, .q5_1: dequantize4_5(src, dst, count: count, type: type)
        case .q8_0, .q8_1, .q8_K: dequantize8(src, dst, count: count, type: type)
        case .q4_K, .q5_K: dequantizeQ45K(src, dst, count: count, q5: type == .q5_K)
        case .q6_K: dequantizeQ6K(src, dst, count: count)
        case .q2_K, .q3_K: preconditionFailure("dequantizeRow: \(type) is not supported")
        }
    }

    /// Dot product of a weight row of `type` with activations already in `vecDotType(type)`, `count` elements.
    public static func vecDot(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int, type: GGMLType) -> Float {
        let nb = count / type.blockSize
        precondition(count % type.blockSize == 0, "vecDot: \(count) is not a multiple of \(type)'s block size")
        switch type {
        case .f32: return dotF32(w, x, count: count)
        case .f16: return dotF16(w, x, count: count)
        case .bf16: return dotBF16(w, x, count: count)
        case .q8_0: return dotQ8_0(w, x, blocks: nb)
        case .q4_0: return dotQ4_0(w, x, blocks: nb)
        case .q4_1: return dotQ4_1(w, x, blocks: nb)
        case .q5_0, .q5_1: return dotQ5(w, x, blocks: nb, q5_1: type == .q5_1)
        case .q4_K: return dotQ4K(w, x, blocks: nb)
        case .q5_K: return dotQ5K(w, x, blocks: nb)
        case .q6_K: return dotQ6K(w, x, blocks: nb)
        case .q8_1, .q8_K, .q2_K, .q3_K: preconditionFailure("vecDot: \(type) is not a supported weight type")
        }
    }
}
