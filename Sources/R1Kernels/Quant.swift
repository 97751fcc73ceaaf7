// Row-level dequantization, activation quantization and dot products for every GGMLType, the ggml way:
// weights stay in their blocks, activations are quantized to the weight type's `vecDotType` and dotted block by block.
// Plain references live in QuantReference.swift; these fast versions are tested against them.

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

    /// Quantizes `count` floats into blocks of `type` (any `vecDotType`: f32, f16, bf16, q8_0, q8_1, q8_K).
    public static func quantizeRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int, type: GGMLType) {
        switch type {
        case .f32: dst.copyMemory(from: src, byteCount: count * 4)
        case .f16:
            let d = dst.assumingMemoryBound(to: Float16.self)
            for i in 0..<count { d[i] = Float16(src[i]) }
        default: fatalError("quantizeRow: \(type) not implemented yet")
        }
    }

    /// Dequantizes `count` elements (a whole number of blocks) of `type` into floats.
    public static func dequantizeRow(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int, type: GGMLType) {
        switch type {
        case .f32: dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            let s = src.assumingMemoryBound(to: Float16.self)
            for i in 0..<count { dst[i] = Float(s[i]) }
        case .bf16:
            let s = src.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(s[i]) << 16) }
        default: fatalError("dequantizeRow: \(type) not implemented yet")
        }
    }

    /// Dot product of a weight row of `type` with activations already in `vecDotType(type)`, `count` elements.
    public static func vecDot(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int, type: GGMLType) -> Float {
        switch type {
        case .f32:
            let a = w.assumingMemoryBound(to: Float.self), b = x.assumingMemoryBound(to: Float.self)
            var s: Float = 0
            for i in 0..<count { s += a[i] * b[i] }
            return s
        default: fatalError("vecDot: \(type) not implemented yet")
        }
    }
}
