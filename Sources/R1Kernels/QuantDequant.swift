// SIMD dequantization (prefill, embeddings) for every supported GGMLType: 8 elements at a time, the same float
// operations in the same order as QuantReference (no FMA contraction), so results are bit-identical.

extension Quant {
    @inline(__always) static func store(_ v: SIMD8<Float>, _ y: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// f16 / bf16 -> f32, 8 lanes at a time.
    static func dequantizeFloat16(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, count: Int, bf16: Bool) {
        var i = 0
        while i + 8 <= count {
            if bf16 {
                let h = widen(x.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self))
                store(unsafeBitCast(h &<< 16, to: SIMD8<Float>.self), y, i)
            } else {
                store(halfToFloat(x.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)), y, i)
            }
            i += 8
        }
        for j in i..<count {
            y[j] = bf16 ? Float(bitPattern: UInt32(x.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)) << 16)
                        : loadF16(x, 2 * j)
        }
    }

    /// Q4_0, Q4_1, Q5_0, Q5_1 blocks of 32: y = d (q - bias) or d q + m.
    static func dequantize4_5(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int, type: GGMLType) {
        let hasMin = type == .q4_1 || type == .q5_1, five = type == .q5_0 || type == .q5_1
        let qs = (hasMin ? 4 : 2) + (five ? 4 : 0), ts = type.typeSize
        let bias = SIMD8<Int32>(repeating: hasMin ? 0 : (five ? 16 : 8))
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        for b in 0..<count / 32 {
            let x = src + ts * b, y = dst + 32 * b
            let d = SIMD8<Float>(repeating: loadF16(x)), m = SIMD8<Float>(repeating: hasMin ? loadF16(x, 2) : 0)
            let qh = SIMD8<UInt32>(repeating: five ? x.loadUnaligned(fromByteOffset: qs - 4, as: UInt32.self) : 0)
            for k in 0..<2 {  // elements 8k..<8k+8 (low nibbles) and 16+8k..<16+8k+8 (high nibbles)
                let q = widen(x.loadUnaligned(fromByteOffset: qs + 8 * k, as: SIMD8<UInt8>.self))
                var lo = q & 0xF, hi = q &>> 4
                if five {
                    lo |= unsafeBitCast(((qh &>> (lanes &+ UInt32(8 * k))) & 1) &<< 4, to: SIMD8<Int32>.self)
                    hi |= unsafeBitCast(((qh &>> (lanes &+ UInt32(16 + 8 * k))) & 1) &<< 4, to: SIMD8<Int32>.self)
                }
                if hasMin {
                    store(d * toFloat(lo) + m, y, 8 * k)
                    store(d * toFloat(hi) + m, y, 16 + 8 * k)
                } else {
                    store(d * toFloat(lo &- bias), y, 8 * k)
                    store(d * toFloat(hi &- bias), y, 16 + 8 * k)
                }
            }
        }
    }

    /// Q8_0 / Q8_1 (f16 d) and Q8_K (f32 d): y = d q.
    static func dequantize8(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int, type: GGMLType) {
        let bs = type.blockSize, ts = type.typeSize, qs = type == .q8_0 ? 2 : 4
        for b in 0..<count / bs {
            let x = src + ts * b, y = dst + bs * b
            let d = SIMD8<Float>(repeating: type == .q8_K ? x.loadUnaligned(as: Float.self) : loadF16(x))
            for i in stride(from: 0, to: bs, by: 8) {
                let q = widen(x.loadUnaligned(fromByteOffset: qs + i, as: SIMD8<Int8>.self))
                store(toFloat(q) * d, y, i)
            }
        }
    }

    /// Q4_K / Q5_K super-blocks: sub-block s of 32 is d sc_s q - dmin m_s.
    static func dequantizeQ45K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int, q5: Bool) {
        let ts = q5 ? 176 : 144, qs = q5 ? 48 : 16
        for b in 0..<count / 256 {
            let x = src + ts * b, y = dst + 256 * b
            let d = loadF16(x), dmin = loadF16(x, 2), sm = kScalesMins(x + 4)
            for s in 0..<8 {
                let d1 = SIMD8<Float>(repeating: d * Float(sm[s])), m1 = SIMD8<Float>(repeating: dmin * Float(sm[8 + s]))
                for i in stride(from: 0, to: 32, by: 8) {
                    let raw = widen(x.loadUnaligned(fromByteOffset: qs + 32 * (s / 2) + i, as: SIMD8<UInt8>.self))
                    var q = (raw &>> Int32(4 * (s % 2))) & 0xF
                    if q5 {
                        let h = widen(x.loadUnaligned(fromByteOffset: 16 + i, as: SIMD8<UInt8>.self))
                        q |= ((h &>> Int32(s)) & 1) &<< 4
                    }
                    store(d1 * toFloat(q) - m1, y, 32 * s + i)
                }
            }
        }
    }

    /// Q6_K super-blocks: y = (d sc) (q - 32), q from 4 bits of ql and 2 of qh (layout in QuantReference).
    static func dequantizeQ6K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for b in 0..<count / 256 {
            let x = src + 210 * b, y = dst + 256 * b
            let d = loadF16(x, 208)
            for h in 0..<2 {
                for k in 0..<4 {
                    for i in stride(from: 0, to: 32, by: 8) {
                        let ql = widen(x.loadUnaligned(fromByteOffset: 64 * h + 32 * (k % 2) + i, as: SIMD8<UInt8>.self))
                        let qh = widen(x.loadUnaligned(fromByteOffset: 128 + 32 * h + i, as: SIMD8<UInt8>.self))
                        let q = ((ql &>> Int32(4 * (k / 2))) & 0xF) | (((qh &>> Int32(2 * k)) & 3) &<< 4)
                        let e = 128 * h + 32 * k + i
                        let sc = Float(x.load(fromByteOffset: 192 + e / 16, as: Int8.self))
                        store(SIMD8<Float>(repeating: d * sc) * toFloat(q &- 32), y, e)
                    }
                }
            }
        }
    }
}
