// SIMD dot products of K-quant super-blocks (Q4_K, Q5_K, Q6_K) with Q8_K activations, after ggml-cpu's AVX2
// kernels: sub-block sums scaled in Int32 lanes, Q8_K's bsums for the min term, one float multiply-add per super-block.

extension Quant {
    /// Q4_K {d, dmin, scales: (12), qs: (128)} · Q8_K {d, qs: (256), bsums: (16)}:
    /// d_x (d_w Σ_s sc_s Σ q q_x - dmin Σ_s m_s Σ q_x), with Σ q_x of sub-block s = bsums[2s] + bsums[2s + 1].
    static func dotQ4K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks nb: Int) -> Float {
        var acc = SIMD8<Float>()
        var mins: Float = 0
        var wb = w, xb = x
        for _ in 0..<nb {
            let dx = xb.loadUnaligned(as: Float.self)
            let sm = kScalesMins(wb + 4)
            // 4 groups of 64: low nibbles of qs[32g..<+32] (sub-block 2g), then high nibbles (2g + 1)
            @inline(__always) func group(_ g: Int) -> SIMD8<Int32> {
                let q = wb.loadUnaligned(fromByteOffset: 16 + 32 * g, as: SIMD16<UInt16>.self)
                let x0 = xb.loadUnaligned(fromByteOffset: 4 + 64 * g, as: SIMD16<Int16>.self)
                let x1 = xb.loadUnaligned(fromByteOffset: 36 + 64 * g, as: SIMD16<Int16>.self)
                return dot32(q & 0x0F0F, bias: 0, x0) &* Int32(sm[2 * g])
                    &+ dot32((q &>> 4) & 0x0F0F, bias: 0, x1) &* Int32(sm[2 * g + 1])
            }
            let sumi = (group(0) &+ group(1)) &+ (group(2) &+ group(3))
            let (d, dmin) = loadF16Pair(wb)
            acc += toFloat(sumi) * SIMD8(repeating: dx * d)
            mins += dx * dmin * Float(minTerm(sm, xb))
            wb += 144; xb += 292
        }
        return acc.sum() - mins
    }

    /// Σ_s m_s (bsums[2s] + bsums[2s + 1]) for the 8 mins in bytes 8..<16 of `sm`.
    @inline(__always) static func minTerm(_ sm: SIMD16<UInt8>, _ xb: UnsafeRawPointer) -> Int32 {
        let bsums = pairSum(xb.loadUnaligned(fromByteOffset: 260, as: SIMD16<Int16>.self))
        return (bsums &* widen(sm.highHalf)).wrappedSum()
    }

    /// Q5_K {d, dmin, scales: (12), qh: (32), qs: (128)} · Q8_K: as Q4_K, bit s of qh[l] the 5th bit of sub-block s.
    static func dotQ5K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks nb: Int) -> Float {
        var acc = SIMD8<Float>()
        var mins: Float = 0
        var wb = w, xb = x
        for _ in 0..<nb {
            let dx = xb.loadUnaligned(as: Float.self)
            let sm = kScalesMins(wb + 4)
            let qh = wb.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt16>.self)
            @inline(__always) func group(_ g: Int) -> SIMD8<Int32> {
                let q = wb.loadUnaligned(fromByteOffset: 48 + 32 * g, as: SIMD16<UInt16>.self)
                let h0 = ((qh &>> UInt16(2 * g)) & 0x0101) &<< 4, h1 = ((qh &>> UInt16(2 * g + 1)) & 0x0101) &<< 4
                let x0 = xb.loadUnaligned(fromByteOffset: 4 + 64 * g, as: SIMD16<Int16>.self)
                let x1 = xb.loadUnaligned(fromByteOffset: 36 + 64 * g, as: SIMD16<Int16>.self)
                return dot32((q & 0x0F0F) | h0, bias: 0, x0) &* Int32(sm[2 * g])
                    &+ dot32(((q &>> 4) & 0x0F0F) | h1, bias: 0, x1) &* Int32(sm[2 * g + 1])
            }
            let sumi = (group(0) &+ group(1)) &+ (group(2) &+ group(3))
            let (d, dmin) = loadF16Pair(wb)
            acc += toFloat(sumi) * SIMD8(repeating: dx * d)
            mins += dx * dmin * Float(minTerm(sm, xb))
            wb += 176; xb += 292
        }
        return acc.sum() - mins
    }

    /// Q6_K {ql: (128), qh: (64), scales: (16) int8, d} · Q8_K: d_w d_x Σ_s sc_s Σ (q - 32) q_x over 16 sub-blocks
    /// of 16. Per half h: 4 streams of 32 (low/high nibbles of ql[64h..<+32], ql[64h+32..<+32], 2 bits each of qh).
    static func dotQ6K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, blocks nb: Int) -> Float {
        var acc = SIMD8<Float>()
        var wb = w, xb = x
        for _ in 0..<nb {
            var sumi = SIMD8<Int32>()
            for h in 0..<2 {
                let ql0 = wb.loadUnaligned(fromByteOffset: 64 * h, as: SIMD16<UInt16>.self)
                let ql1 = wb.loadUnaligned(fromByteOffset: 64 * h + 32, as: SIMD16<UInt16>.self)
                let qh = wb.loadUnaligned(fromByteOffset: 128 + 32 * h, as: SIMD16<UInt16>.self)
                let sc = widen(wb.loadUnaligned(fromByteOffset: 192 + 8 * h, as: SIMD8<Int8>.self))
                let x0 = xb + 4 + 128 * h
                sumi &+= q6Dot((ql0 & 0x0F0F) | ((qh & 0x0303) &<< 4), x0, sc[0], sc[1])
                sumi &+= q6Dot((ql1 & 0x0F0F) | (((qh &>> 2) & 0x0303) &<< 4), x0 + 32, sc[2], sc[3])
                sumi &+= q6Dot(((ql0 &>> 4) & 0x0F0F) | (((qh &>> 4) & 0x0303) &<< 4), x0 + 64, sc[4], sc[5])
                sumi &+= q6Dot(((ql1 &>> 4) & 0x0F0F) | (((qh &>> 6) & 0x0303) &<< 4), x0 + 96, sc[6], sc[7])
            }
            acc += toFloat(sumi) * SIMD8(repeating: xb.loadUnaligned(as: Float.self) * loadF16(wb, 208))
            wb += 210; xb += 292
        }
        return acc.sum()
    }

    /// One Q6_K stream of 32: Int32 lanes 0..<4 hold elements 0..<16 (scale s0), lanes 4..<8 elements 16..<32 (s1).
    @inline(__always) static func q6Dot(_ q: SIMD16<UInt16>, _ x: UnsafeRawPointer, _ s0: Int32, _ s1: Int32) -> SIMD8<Int32> {
        let s = SIMD8<Int32>(lowHalf: SIMD4(repeating: s0), highHalf: SIMD4(repeating: s1))
        return dot32(q, bias: 32, x.loadUnaligned(as: SIMD16<Int16>.self)) &* s
    }
}
