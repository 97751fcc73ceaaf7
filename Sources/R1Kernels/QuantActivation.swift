// SIMD activation quantizers, bit-exact with QuantReference: Q8_0/Q8_1 either as ggml-quants.c
// quantize_row_q8_{0,1}_ref (1 / d, roundf: half away from zero) or as ggml-cpu's x86 quantize_row_q8_{0,1}
// (127 / amax, half to even), Q8_K as quantize_row_q8_K_ref (nearest_int's 1.5·2^23 trick, half to even).

extension Quant {
    /// Q8_0 {d, qs: (32)} or Q8_1 {d, s, qs: (32)} blocks: d = amax / 127, q = round(x · id), s = d Σq; see Q8Rounding.
    static func quantizeQ8_0(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int, q8_1: Bool,
                             rounding: Q8Rounding) {
        precondition(count % 32 == 0, "quantizeRow: \(count) is not a multiple of 32")
        let ts = q8_1 ? 36 : 34, qs = q8_1 ? 4 : 2
        for b in 0..<count / 32 {
            let x = UnsafeRawPointer(src + 32 * b), y = dst + ts * b
            let v0 = x.loadUnaligned(as: SIMD8<Float>.self), v1 = x.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            let v2 = x.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
            let v3 = x.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
            let amax = hmax(vmax(vmax(absF(v0), absF(v1)), vmax(absF(v2), absF(v3))))
            let d = amax / 127
            let q0, q1, q2, q3: SIMD8<Int32>
            if rounding == .x86 {
                let id: Float = amax != 0 ? 127 / amax : 0
                q0 = roundEven(v0 * id); q1 = roundEven(v1 * id); q2 = roundEven(v2 * id); q3 = roundEven(v3 * id)
            } else {
                let id = d != 0 ? 1 / d : 0
                q0 = roundAway(v0 * id); q1 = roundAway(v1 * id); q2 = roundAway(v2 * id); q3 = roundAway(v3 * id)
            }
            y.storeBytes(of: narrow(q0), toByteOffset: qs, as: SIMD8<Int8>.self)
            y.storeBytes(of: narrow(q1), toByteOffset: qs + 8, as: SIMD8<Int8>.self)
            y.storeBytes(of: narrow(q2), toByteOffset: qs + 16, as: SIMD8<Int8>.self)
            y.storeBytes(of: narrow(q3), toByteOffset: qs + 24, as: SIMD8<Int8>.self)
            y.storeBytes(of: floatToHalf(d), as: UInt16.self)
            if q8_1 {
                let sum = ((q0 &+ q1) &+ (q2 &+ q3)).wrappedSum()
                y.storeBytes(of: floatToHalf(Float(sum) * d), toByteOffset: 2, as: UInt16.self)
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
            for i in stride(from: 0, to: 1024, by: 32) { m = vmax(m, absF(x.loadUnaligned(fromByteOffset: i, as: SIMD8<Float>.self))) }
            let amax = hmax(m)
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

    /// Lane-wise max of non-negative, non-NaN values (the stdlib's generic pointwiseMax stays a call).
    @inline(__always) static func vmax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8(a[0] > b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1], a[2] > b[2] ? a[2] : b[2], a[3] > b[3] ? a[3] : b[3],
              a[4] > b[4] ? a[4] : b[4], a[5] > b[5] ? a[5] : b[5], a[6] > b[6] ? a[6] : b[6], a[7] > b[7] ? a[7] : b[7])
    }

    @inline(__always) static func hmax(_ v: SIMD8<Float>) -> Float {
        let h = vmax4(v.lowHalf, v.highHalf)
        let a = h[0] > h[1] ? h[0] : h[1], b = h[2] > h[3] ? h[2] : h[3]
        return a > b ? a : b
    }

    @inline(__always) static func vmax4(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        SIMD4(a[0] > b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1], a[2] > b[2] ? a[2] : b[2], a[3] > b[3] ? a[3] : b[3])
    }

    /// fabsf, lane-wise.
    @inline(__always) static func absF(_ v: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: SIMD8<Float>.self)
    }

    /// C roundf (half away from zero) for |v| < 2^22, without int conversions (Int32(Float) traps lane by lane):
    /// r = rint(|v|) by the 1.5·2^23 trick, +1 where |v| - r is exactly 0.5, sign of v put back, then to int.
    @inline(__always) static func roundAway(_ v: SIMD8<Float>) -> SIMD8<Int32> {
        let magic: Float = 12_582_912
        let a = absF(v), r = (a + magic) - magic, f = a - r
        let up = SIMD8(f[0] == 0.5 ? r[0] + 1 : r[0], f[1] == 0.5 ? r[1] + 1 : r[1], f[2] == 0.5 ? r[2] + 1 : r[2],
                       f[3] == 0.5 ? r[3] + 1 : r[3], f[4] == 0.5 ? r[4] + 1 : r[4], f[5] == 0.5 ? r[5] + 1 : r[5],
                       f[6] == 0.5 ? r[6] + 1 : r[6], f[7] == 0.5 ? r[7] + 1 : r[7])
        let sign = unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x8000_0000
        let w = unsafeBitCast(unsafeBitCast(up, to: SIMD8<UInt32>.self) | sign, to: SIMD8<Float>.self)
        return (unsafeBitCast(w + magic, to: SIMD8<Int32>.self) & 0x007f_ffff) &- 0x0040_0000
    }

    /// Round half to even by the 1.5·2^23 trick (|v| < 2^22), as _mm256_round_ps(_MM_ROUND_NEAREST).
    @inline(__always) static func roundEven(_ v: SIMD8<Float>) -> SIMD8<Int32> {
        (unsafeBitCast(v + 12_582_912, to: SIMD8<Int32>.self) & 0x007f_ffff) &- 0x0040_0000
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
