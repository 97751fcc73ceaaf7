// Plain scalar loops for every Quant kernel: block layouts of ggml-common.h, rounding of ggml-quants.c
// quantize_row_*_ref, dot products of ggml-cpu/quants.c *_generic. The oracle the SIMD versions in Quant are tested on.

/// How q8_0 / q8_1 activation blocks round. ggml has two versions of quantize_row_q8_0 / q8_1 that differ on exact
/// ties and in the last bit of the multiplier: the reference (ggml-quants.c quantize_row_q8_{0,1}_ref, also gguf-py)
/// and the one llama.cpp's CPU backend runs on x86 with AVX/AVX2/AVX-512 (ggml-cpu/arch/x86/quants.c
/// quantize_row_q8_{0,1}, and repack.cpp's quantize_mat_q8_0 for repacked Q4_0). q8_K is the same in both.
public enum Q8Rounding: Sendable {
    /// d = amax / 127, q = roundf(x · (1 / d)) (half away from zero).
    case reference
    /// d = amax / 127, q = round-half-to-even(x · (127 / amax)) (_mm256_round_ps(_MM_ROUND_NEAREST), cvtps).
    case x86
}

public enum QuantReference {
    // MARK: - Activations: floats -> blocks

    /// Quantizes `count` floats into `type` blocks (f32, f16, bf16, q8_0, q8_1, q8_K), bit-exact with ggml's refs
    /// (`q8Rounding: .x86`: with ggml-cpu's x86 quantize_row_q8_0 / q8_1 instead).
    public static func quantizeRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int, type: GGMLType,
                                   q8Rounding: Q8Rounding = .reference) {
        let bs = type.blockSize, ts = type.typeSize
        precondition(count % bs == 0, "quantizeRow: \(count) is not a multiple of \(type)'s block size \(bs)")
        switch type {
        case .f32:
            for i in 0..<count { dst.storeBytes(of: src[i], toByteOffset: 4 * i, as: Float.self) }
        case .f16:
            for i in 0..<count { dst.storeBytes(of: Float16(src[i]), toByteOffset: 2 * i, as: Float16.self) }
        case .bf16:
            for i in 0..<count { dst.storeBytes(of: bf16Bits(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .q8_0, .q8_1:
            // x: (nb, 32) -> block {d: f16, [s: f16 (d Σq),] qs: (32) int8}; qs = roundf(x / d), d = amax / 127
            let qsOffset = type == .q8_0 ? 2 : 4
            for b in 0..<count / 32 {
                let x = src + 32 * b, y = dst + ts * b
                var amax: Float = 0
                for j in 0..<32 { amax = max(amax, abs(x[j])) }
                let d = amax / 127
                // x86: id = 127 / amax and round half to even; reference: id = 1 / d and C roundf
                let id: Float = q8Rounding == .x86 ? (amax != 0 ? 127 / amax : 0) : (d != 0 ? 1 / d : 0)
                let rule: FloatingPointRoundingRule = q8Rounding == .x86 ? .toNearestOrEven : .toNearestOrAwayFromZero
                var sum: Int32 = 0
                for j in 0..<32 {
                    let q = Int8((x[j] * id).rounded(rule))
                    y.storeBytes(of: q, toByteOffset: qsOffset + j, as: Int8.self)
                    sum += Int32(q)
                }
                y.storeBytes(of: Float16(d), as: Float16.self)
                if type == .q8_1 { y.storeBytes(of: Float16(Float(sum) * d), toByteOffset: 2, as: Float16.self) }
            }
        case .q8_K:
            // x: (nb, 256) -> block {d: f32, qs: (256) int8, bsums: (16) int16}; q = nearest_int(-127 x / max)
            for b in 0..<count / 256 {
                let x = src + 256 * b, y = dst + ts * b
                var amax: Float = 0, vmax: Float = 0
                for j in 0..<256 where abs(x[j]) > amax { amax = abs(x[j]); vmax = x[j] }
                if amax == 0 {
                    y.initializeMemory(as: UInt8.self, repeating: 0, count: ts)
                    continue
                }
                let iscale = -127 / vmax
                for j in 0..<256 {
                    let v = Int32((iscale * x[j]).rounded(.toNearestOrEven))  // nearest_int
                    y.storeBytes(of: Int8(min(127, v)), toByteOffset: 4 + j, as: Int8.self)
                }
                for g in 0..<16 {
                    var s: Int16 = 0
                    for j in 0..<16 { s += Int16(y.load(fromByteOffset: 4 + 16 * g + j, as: Int8.self)) }
                    y.storeBytes(of: s, toByteOffset: 260 + 2 * g, as: Int16.self)
                }
                y.storeBytes(of: 1 / iscale, as: Float.self)
            }
        default: preconditionFailure("quantizeRow: \(type) is not an activation type")
        }
    }

    /// ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet.
    static func bf16Bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if u & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: (u >> 16) | 64) }
        return UInt16(truncatingIfNeeded: (u &+ (0x7fff + ((u >> 16) & 1))) >> 16)
    }

    // MARK: - Weights: blocks -> floats

    /// Dequantizes `count` elements of `type` into floats, in gguf-py's float operation order (d * q - dmin * m).
    public static func dequantizeRow(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int, type: GGMLType) {
        let bs = type.blockSize, ts = type.typeSize
        precondition(count % bs == 0, "dequantizeRow: \(count) is not a multiple of \(type)'s block size \(bs)")
        for b in 0..<count / bs {
            let x = src + ts * b, y = dst + bs * b
            switch type {
            case .f32: y[0] = x.loadUnaligned(as: Float.self)
            case .f16: y[0] = loadF16(x)
            case .bf16: y[0] = Float(bitPattern: UInt32(x.loadUnaligned(as: UInt16.self)) << 16)
            case .q4_0, .q4_1:
                // block {d, [m,] qs: (16)}; y[j] = d * (lo(qs[j]) - 8) [+ m], y[j + 16] from hi(qs[j])
                let q4_1 = type == .q4_1, d = loadF16(x), m = q4_1 ? loadF16(x, 2) : 0
                for j in 0..<16 {
                    let q = x.load(fromByteOffset: (q4_1 ? 4 : 2) + j, as: UInt8.self)
                    let (lo, hi) = (Int32(q & 0xF), Int32(q >> 4))
                    y[j] = q4_1 ? d * Float(lo) + m : d * Float(lo - 8)
                    y[j + 16] = q4_1 ? d * Float(hi) + m : d * Float(hi - 8)
                }
            case .q5_0, .q5_1:
                // block {d, [m,] qh: u32, qs: (16)}; element e's 5th bit is bit e of qh
                let q5_1 = type == .q5_1, d = loadF16(x), m = q5_1 ? loadF16(x, 2) : 0
                let qh = x.loadUnaligned(fromByteOffset: q5_1 ? 4 : 2, as: UInt32.self)
                for j in 0..<16 {
                    let q = x.load(fromByteOffset: (q5_1 ? 8 : 6) + j, as: UInt8.self)
                    let lo = Int32(q & 0xF) | Int32((qh >> j) & 1) << 4
                    let hi = Int32(q >> 4) | Int32((qh >> (j + 16)) & 1) << 4
                    y[j] = q5_1 ? d * Float(lo) + m : d * Float(lo - 16)
                    y[j + 16] = q5_1 ? d * Float(hi) + m : d * Float(hi - 16)
                }
            case .q8_0, .q8_1:
                let d = loadF16(x), off = type == .q8_0 ? 2 : 4
                for j in 0..<32 { y[j] = Float(x.load(fromByteOffset: off + j, as: Int8.self)) * d }
            case .q8_K:
                let d = x.loadUnaligned(as: Float.self)
                for j in 0..<256 { y[j] = d * Float(x.load(fromByteOffset: 4 + j, as: Int8.self)) }
            case .q4_K, .q5_K:
                // block {d, dmin, scales: (12), [qh: (32),] qs: (128)}; 4 groups of 64 = 2 sub-blocks of 32 each,
                // sub-block s uses nibble (s % 2) of qs[32 (s / 2) ..< +32] and bit s of qh[0..<32]
                let q5 = type == .q5_K, d = loadF16(x), dmin = loadF16(x, 2), qs = q5 ? 48 : 16
                for s in 0..<8 {
                    let (sc, mn) = kScaleMin(x + 4, s)
                    let d1 = d * Float(sc), m1 = dmin * Float(mn)
                    for l in 0..<32 {
                        let byte = x.load(fromByteOffset: qs + 32 * (s / 2) + l, as: UInt8.self)
                        var q = Int32(s % 2 == 0 ? byte & 0xF : byte >> 4)
                        if q5 { q |= Int32((x.load(fromByteOffset: 16 + l, as: UInt8.self) >> s) & 1) << 4 }
                        y[32 * s + l] = d1 * Float(q) - m1
                    }
                }
            case .q6_K:
                // block {ql: (128), qh: (64), scales: (16) int8, d}; element e = 128 h + 32 k + l (k 0..<4, l 0..<32):
                // low 4 bits: nibble (k / 2) of ql[64 h + 32 (k % 2) + l], high 2: bits 2k of qh[32 h + l]; scale e / 16
                let d = loadF16(x, 208)
                for e in 0..<256 {
                    let (h, k, l) = (e / 128, (e / 32) % 4, e % 32)
                    let ql = x.load(fromByteOffset: 64 * h + 32 * (k % 2) + l, as: UInt8.self)
                    let qh = x.load(fromByteOffset: 128 + 32 * h + l, as: UInt8.self)
                    let q = Int32(k < 2 ? ql & 0xF : ql >> 4) | Int32((qh >> (2 * k)) & 3) << 4
                    let sc = x.load(fromByteOffset: 192 + e / 16, as: Int8.self)
                    y[e] = (d * Float(sc)) * Float(q - 32)
                }
            case .q2_K, .q3_K: preconditionFailure("dequantizeRow: \(type) is not supported")
            }
        }
    }

    // MARK: - Dot products: weight row · activations in vecDotType

    /// Σ w·x for a weight row of `type` and activations in `Quant.vecDotType(type)`: integer sums per block,
    /// scaled once per block as ggml's generic kernels do. Float rows accumulate in Double.
    public static func vecDot(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int, type: GGMLType) -> Float {
        let bs = type.blockSize, ts = type.typeSize, xs = Quant.vecDotType(type).typeSize
        precondition(count % bs == 0, "vecDot: \(count) is not a multiple of \(type)'s block size \(bs)")
        if bs == 1 {
            var w32 = [Float](repeating: 0, count: count), x32 = w32
            dequantizeRow(w, &w32, count: count, type: type)
            dequantizeRow(x, &x32, count: count, type: type)
            var s: Double = 0
            for i in 0..<count { s += Double(w32[i]) * Double(x32[i]) }
            return Float(s)
        }
        var sumf: Float = 0
        for b in 0..<count / bs {
            let wb = w + ts * b, xb = x + xs * b
            switch type {
            case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0:
                // w block of 32 · q8_0/q8_1 block {d, [s,] qs: (32)}: d_w d_x Σ q_w q_x [+ m_w s_x]
                var q = [Int32](repeating: 0, count: 32)
                weightInts32(wb, type, &q)
                let xq = type == .q4_1 || type == .q5_1 ? 4 : 2
                var sumi: Int32 = 0
                for j in 0..<32 { sumi += q[j] * Int32(xb.load(fromByteOffset: xq + j, as: Int8.self)) }
                sumf += loadF16(wb) * loadF16(xb) * Float(sumi)
                if xq == 4 { sumf += loadF16(wb, 2) * loadF16(xb, 2) }
            case .q4_K, .q5_K, .q6_K:
                // w super-block of 256 · q8_K {d: f32, qs: (256)}: d_x (d_w Σ_s sc_s Σ q_w q_x - dmin Σ_s m_s Σ q_x)
                var q = [Int32](repeating: 0, count: 256), sc = [Int32](repeating: 0, count: 16)
                var mn = [Int32](repeating: 0, count: 16)
                let (d, dmin) = weightIntsK(wb, type, &q, &sc, &mn)
                let sub = type == .q6_K ? 16 : 32
                var sumi: Int32 = 0, sumMin: Int32 = 0
                for s in 0..<256 / sub {
                    var dot: Int32 = 0, xsum: Int32 = 0
                    for l in 0..<sub {
                        let xv = Int32(xb.load(fromByteOffset: 4 + sub * s + l, as: Int8.self))
                        dot += q[sub * s + l] * xv
                        xsum += xv
                    }
                    sumi += sc[s] * dot
                    sumMin += mn[s] * xsum
                }
                let dx = xb.loadUnaligned(as: Float.self)
                sumf += dx * d * Float(sumi) - dx * dmin * Float(sumMin)
            default: preconditionFailure("vecDot: \(type) is not a supported weight type")
            }
        }
        return sumf
    }

    /// The 32 integer quants of a block-32 weight, offsets applied (q4_0: -8, q5_0: -16), in element order.
    static func weightInts32(_ x: UnsafeRawPointer, _ type: GGMLType, _ q: inout [Int32]) {
        switch type {
        case .q8_0:
            for j in 0..<32 { q[j] = Int32(x.load(fromByteOffset: 2 + j, as: Int8.self)) }
        case .q4_0, .q4_1:
            let off = type == .q4_0 ? 2 : 4, bias: Int32 = type == .q4_0 ? 8 : 0
            for j in 0..<16 {
                let b = x.load(fromByteOffset: off + j, as: UInt8.self)
                q[j] = Int32(b & 0xF) - bias
                q[j + 16] = Int32(b >> 4) - bias
            }
        case .q5_0, .q5_1:
            let off = type == .q5_0 ? 2 : 4, bias: Int32 = type == .q5_0 ? 16 : 0
            let qh = x.loadUnaligned(fromByteOffset: off, as: UInt32.self)
            for j in 0..<16 {
                let b = x.load(fromByteOffset: off + 4 + j, as: UInt8.self)
                q[j] = (Int32(b & 0xF) | Int32((qh >> j) & 1) << 4) - bias
                q[j + 16] = (Int32(b >> 4) | Int32((qh >> (j + 16)) & 1) << 4) - bias
            }
        default: preconditionFailure()
        }
    }

    /// The 256 integer quants of a K-quant super-block (q6_K: minus 32), its sub-block scales and mins
    /// (8 of 32 for q4_K/q5_K, 16 of 16 for q6_K) and its (d, dmin).
    static func weightIntsK(_ x: UnsafeRawPointer, _ type: GGMLType, _ q: inout [Int32], _ sc: inout [Int32],
                            _ mn: inout [Int32]) -> (Float, Float) {
        if type == .q6_K {
            for e in 0..<256 {
                let (h, k, l) = (e / 128, (e / 32) % 4, e % 32)
                let ql = x.load(fromByteOffset: 64 * h + 32 * (k % 2) + l, as: UInt8.self)
                let qh = x.load(fromByteOffset: 128 + 32 * h + l, as: UInt8.self)
                q[e] = (Int32(k < 2 ? ql & 0xF : ql >> 4) | Int32((qh >> (2 * k)) & 3) << 4) - 32
            }
            for s in 0..<16 { sc[s] = Int32(x.load(fromByteOffset: 192 + s, as: Int8.self)); mn[s] = 0 }
            return (loadF16(x, 208), 0)
        }
        let q5 = type == .q5_K, qs = q5 ? 48 : 16
        for s in 0..<8 {
            (sc[s], mn[s]) = kScaleMin(x + 4, s)
            for l in 0..<32 {
                let byte = x.load(fromByteOffset: qs + 32 * (s / 2) + l, as: UInt8.self)
                q[32 * s + l] = Int32(s % 2 == 0 ? byte & 0xF : byte >> 4)
                if q5 { q[32 * s + l] |= Int32((x.load(fromByteOffset: 16 + l, as: UInt8.self) >> s) & 1) << 4 }
            }
        }
        return (loadF16(x), loadF16(x, 2))
    }
}
