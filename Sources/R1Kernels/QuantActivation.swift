// SIMD activation quantizers, bit-exact with ggml-quants.c quantize_row_q8_{0,1,K}_ref: roundf (half away from
// zero) for Q8_0/Q8_1, nearest_int's 1.5·2^23 trick (half to even) for Q8_K. Tested against QuantReference.

extension Quant {
    /// Q8_0 {d, qs: (32)} or Q8_1 {d, s, qs: (32)} blocks: d = amax / 127, q = roundf(x / d), s = d Σq.
    static func quantizeQ8_0(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int, q8_1: Bool) {
        precondition(count % 32 == 0, "quantizeRow: \(count) is not a multiple of 32")
        let ts = q8_1 ? 36 : 34, qs = q8_1 ? 4 : 2
        for b in 0..<count / 32 {
            let x = UnsafeRawPointer(src + 32 * b), y = dst + ts * b
            let v0 = x.loadUnaligned(as: SIMD8<Float>.self), v1 = x.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            let v2 = x.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
            let v3 = x.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
            let amax = pointwiseMax(pointwiseMax(absF(v0), absF(v1)), pointwiseMax(absF(v2), absF(v3))).max()
            let d = amax / 127, id = d != 0 ? 1 / d : 0
            let q0 = roundAway(v0 * id), q1 = roundAway(v1 * id), q2 = roundAway(v2 * id), q3 = roundAway(v3 * id)
            y.storeBytes(of: narrow(q0), toByteOffset: qs, as: SIMD8<Int8>.self)
            y.storeBytes(of: narrow(q1), toByteOffset: qs + 8, as: SIMD8<Int8>.self)
            y.storeBytes(of: narrow(q2), toByteOffset: qs + 16, as: SIMD8<Int8>.self)
            y.storeBytes(of: narrow(q3), toByteOffset: qs + 24, as: SIMD8<Int8>.self)
            y.storeBytes(of: Float16(d), as: Float16.self)
            if q8_1 {
                let sum = ((q0 &+ q1) &+ (q2 &+ q3)).wrappedSum()
                y.storeBytes(of: Float16(Float(sum) * d), toByteOffset: 2, as: Float16.self)
            }
        }
    }

    /// Q8_K {d: f32, qs: (256), bsums: (16) i16}: q = min(127, nearest_int(-127 x / max)), max the signed value
    /// of the first largest |x|, d = 1 / iscale.
    static func quantizeQ8K(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        precondition(count % 256 == 0, "quantizeRow: \(count) is not a multiple of 256")
        for b in 0..<count / 256 {
            let x = UnsafeRawPointer(src + 256 * b), y = dst + 292 * b
            var m = SIMD8<Float>()
            for i in stride(from: 0, to: 1024, by: 32) { m = pointwiseMax(m, absF(x.loadUnaligned(fromByteOffset: i, as: SIMD8<Float>.self))) }
            let amax = m.max()
            if amax == 0 {
                y.initializeMemory(as: UInt8.self, repeating: 0, count: 292)
                continue
            }
            var j = 0
            while j < 255 && abs(src[256 * b + j]) != amax { j += 1 }
            let iscale = -127 / src[256 * b + j]
            for g in 0..<16 {  // 16 elements -> 16 int8 and one bsum
                let a = nearestInt(x.loadUnaligned(fromByteOffset: 64 * g, as: SIMD8<Float>.self) * iscale)
                let c = nearestInt(x.loadUnaligned(fromByteOffset: 64 * g + 32, as: SIMD8<Float>.self) * iscale)
                y.storeBytes(of: narrow(a), toByteOffset: 4 + 16 * g, as: SIMD8<Int8>.self)
                y.storeBytes(of: narrow(c), toByteOffset: 12 + 16 * g, as: SIMD8<Int8>.self)
                y.storeBytes(of: Int16(truncatingIfNeeded: (a &+ c).wrappedSum()), toByteOffset: 260 + 2 * g, as: Int16.self)
            }
            y.storeBytes(of: 1 / iscale, as: Float.self)
        }
    }

    /// fabsf, lane-wise.
    @inline(__always) static func absF(_ v: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: SIMD8<Float>.self)
    }

    /// C roundf for |v| < 2^31: t = trunc(v), then t ± 1 when the exact fraction v - t reaches ±0.5
    /// (trunc(2 · frac) is -1, 0 or 1).
    @inline(__always) static func roundAway(_ v: SIMD8<Float>) -> SIMD8<Int32> {
        let t = truncToInt(v)
        return t &+ truncToInt(2 * (v - toFloat(t)))
    }

    @inline(__always) static func truncToInt(_ v: SIMD8<Float>) -> SIMD8<Int32> {
        SIMD8(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
    }

    /// ggml's nearest_int (round half to even via + 1.5·2^23, valid for |v| < 2^22), then min(127, ·) as q8_K does.
    @inline(__always) static func nearestInt(_ v: SIMD8<Float>) -> SIMD8<Int32> {
        let bits = unsafeBitCast(v + 12_582_912, to: SIMD8<Int32>.self)
        let q = (bits & 0x007f_ffff) &- 0x0040_0000
        return SIMD8(min(q[0], 127), min(q[1], 127), min(q[2], 127), min(q[3], 127),
                     min(q[4], 127), min(q[5], 127), min(q[6], 127), min(q[7], 127))
    }

    @inline(__always) static func narrow(_ q: SIMD8<Int32>) -> SIMD8<Int8> {
        SIMD8(Int8(truncatingIfNeeded: q[0]), Int8(truncatingIfNeeded: q[1]), Int8(truncatingIfNeeded: q[2]),
              Int8(truncatingIfNeeded: q[3]), Int8(truncatingIfNeeded: q[4]), Int8(truncatingIfNeeded: q[5]),
              Int8(truncatingIfNeeded: q[6]), Int8(truncatingIfNeeded: q[7]))
    }
}
