// SIMD dot products for float rows and 32-element blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1), after ggml-cpu's AVX2
// kernels (arch/x86/quants.c): integer block sums in 256-bit lanes, one float multiply-add per block into a SIMD accumulator.

// MARK: - Float rows

extension Quant {
    /// Σ w·x, f32 · f32: four 8-wide accumulators.
    static func dotF32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i + 32 <= count {
            let o = 4 * i
            a0 += w.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * x.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a1 += w.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self) * x.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
            a2 += w.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self) * x.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
            a3 += w.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self) * x.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
            i += 32
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        for j in i..<count {
            s += w.loadUnaligned(fromByteOffset: 4 * j, as: Float.self) * x.loadUnaligned(fromByteOffset: 4 * j, as: Float.self)
        }
        return s
    }

    /// Σ w·x, f16 · f16 (as ggml pairs f16 weights with f16 activations): f16 widened in integer arithmetic, four accumulators.
    static func dotF16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int) -> Float {
        @inline(__always) func ld(_ p: UnsafeRawPointer, _ o: Int) -> SIMD8<Float> {
            halfToFloat(p.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt16>.self))
        }
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i + 32 <= count {
            let o = 2 * i
            a0 += ld(w, o) * ld(x, o)
            a1 += ld(w, o + 16) * ld(x, o + 16)
            a2 += ld(w, o + 32) * ld(x, o + 32)
            a3 += ld(w, o + 48) * ld(x, o + 48)
            i += 32
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        for j in i..<count { s += loadF16(w, 2 * j) * loadF16(x, 2 * j) }
        return s
    }

    /// Σ w·x, bf16 · bf16: 16 values per 32-bit lane pair, even ones widened by a shift, odd ones by a mask
    /// (order is free in a sum), four accumulators.
    static func dotBF16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int) -> Float {
        @inline(__always) func even(_ v: SIMD8<UInt32>) -> SIMD8<Float> { unsafeBitCast(v &<< 16, to: SIMD8<Float>.self) }
        @inline(__always) func odd(_ v: SIMD8<UInt32>) -> SIMD8<Float> { unsafeBitCast(v & 0xFFFF_0000, to: SIMD8<Float>.self) }
        @inline(__always) func ld1(_ p: UnsafeRawPointer, _ o: Int) -> Float {
            Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: o, as: UInt16.self)) << 16)
        }
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i + 32 <= count {
            let o = 2 * i
            let w0 = w.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt32>.self)
            let x0 = x.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt32>.self)
            let w1 = w.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<UInt32>.self)
            let x1 = x.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<UInt32>.self)
            a0 += even(w0) * even(x0)
            a1 += odd(w0) * odd(x0)
            a2 += even(w1) * even(x1)
            a3 += odd(w1) * odd(x1)
            i += 32
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        for j in i..<count { s += ld1(w, 2 * j) * ld1(x, 2 * j) }
        return s
    }
}

// MARK: - 32-element blocks · Q8_0 / Q8_1

extension Quant {
    /// Q8_0 {d, qs: (32) int8} · Q8_0: both int8 streams split into even/odd Int16 lanes, products widened to Int32.
    static func dotQ8_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks nb: Int) -> Float {
        var acc = SIMD8<Float>()
        var wb = w, xb = x
        for _ in 0..<nb {
            let qw = wb.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int16>.self)
            let qx = xb.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int16>.self)
            // each product fits Int16 (|q| <= 128 · 127), their sum may not: widen before adding
            let sumi = pairSum(evenI8(qw) &* evenI8(qx)) &+ pairSum(oddI8(qw) &* oddI8(qx))
            acc += toFloat(sumi) * SIMD8(repeating: f16Product(wb, xb))
            wb += 34; xb += 34
        }
        return acc.sum()
    }

    /// The 32 nibbles of a Q4 block's 16 `qs` bytes, in element order, one per byte: low nibbles then high nibbles.
    /// Built as (q, q) << (4, 0) then >> 4: written as concat(q, q >> 4), LLVM shifts a half-undefined register
    /// and picks the accumulator for it, a false dependency that tripled the loop time.
    @inline(__always) static func nibbles32(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD16<UInt16> {
        let q = p.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt16>.self)
        let up = SIMD16<UInt16>(lowHalf: SIMD8(repeating: 16), highHalf: SIMD8(repeating: 1))
        return ((SIMD16<UInt16>(lowHalf: q, highHalf: q) &* up) & 0xF0F0) &>> 4
    }

    /// Q4_0 {d, qs: (16)} · Q8_0: d_w d_x Σ (q - 8) q_x.
    static func dotQ4_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks nb: Int) -> Float {
        var acc = SIMD8<Float>()
        var wb = w, xb = x
        for _ in 0..<nb {
            let sumi = dot32(nibbles32(wb, 2), bias: 8, xb.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int16>.self))
            acc += toFloat(sumi) * SIMD8(repeating: f16Product(wb, xb))
            wb += 18; xb += 34
        }
        return acc.sum()
    }

    /// Q4_1 {d, m, qs: (16)} · Q8_1 {d, s, qs}: d_w d_x Σ q q_x + m_w s_x.
    static func dotQ4_1(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks nb: Int) -> Float {
        var acc = SIMD8<Float>()
        var mins: Float = 0
        var wb = w, xb = x
        for _ in 0..<nb {
            let sumi = dot32(nibbles32(wb, 4), bias: 0, xb.loadUnaligned(fromByteOffset: 4, as: SIMD16<Int16>.self))
            acc += toFloat(sumi) * SIMD8(repeating: f16Product(wb, xb))
            mins += f16Product(wb + 2, xb + 2)
            wb += 20; xb += 36
        }
        return acc.sum() + mins
    }

    /// Bit e of `qh`, moved to bit 4 of byte e, for the 32 elements of a Q5 block (ggml's bytes_from_bits_32):
    /// lane k takes bits 4k..<4k+4, and a multiply by 2^4 (1 + 2^7 + 2^14 + 2^21) spreads them one per byte.
    @inline(__always) static func highBits32(_ qh: UInt32) -> SIMD16<UInt16> {
        let t = (SIMD8<UInt32>(repeating: qh) &>> SIMD8<UInt32>(0, 4, 8, 12, 16, 20, 24, 28)) & 0xF
        return unsafeBitCast((t &* 0x0204_0810) & 0x1010_1010, to: SIMD16<UInt16>.self)
    }

    /// Q5_0 rows as Q8_0 rows, exactly: each block keeps its d and holds q - 16 as int8, the integers a Q5_0 · Q8_0
    /// dot multiplies, so the Q8_0 kernels give the Q5_0 product (MatMul runs Q5_0 weights this way, a slice at a time).
    public static func q5_0ToQ8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, blocks nb: Int) {
        for b in 0..<nb {
            let s = src + 22 * b, o = dst + 34 * b
            o.copyMemory(from: s, byteCount: 2)
            let q = nibbles32(s, 6) | highBits32(s.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            o.storeBytes(of: unsafeBitCast(q, to: SIMD32<UInt8>.self) &- 16, toByteOffset: 2, as: SIMD32<UInt8>.self)
        }
    }

    /// Q5_0 {d, qh: u32, qs: (16)} · Q8_0: d_w d_x Σ (q - 16) q_x; Q5_1 {d, m, qh, qs} · Q8_1 adds m_w s_x.
    static func dotQ5(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks nb: Int, q5_1: Bool) -> Float {
        let wStride = q5_1 ? 24 : 22, xStride = q5_1 ? 36 : 34, qh = q5_1 ? 4 : 2, bias: Int16 = q5_1 ? 0 : 16
        var acc = SIMD8<Float>()
        var mins: Float = 0
        var wb = w, xb = x
        for _ in 0..<nb {
            let q = nibbles32(wb, qh + 4) | highBits32(wb.loadUnaligned(fromByteOffset: qh, as: UInt32.self))
            let sumi = dot32(q, bias: bias, xb.loadUnaligned(fromByteOffset: xStride - 32, as: SIMD16<Int16>.self))
            acc += toFloat(sumi) * SIMD8(repeating: f16Product(wb, xb))
            if q5_1 { mins += f16Product(wb + 2, xb + 2) }
            wb += wStride; xb += xStride
        }
        return acc.sum() + mins
    }
}
