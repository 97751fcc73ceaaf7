// Block field readers shared by Quant and QuantReference: f16 scales, K-quant 6-bit scale/min unpacking
// (ggml-quants.c get_scale_min_k4) and the int8 even/odd lane helpers the SIMD dot products use.

/// The f16 at `offset` bytes, as a Float (unaligned).
@inline(__always) func loadF16(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float {
    halfToFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

/// The product of two f16 scales (block heads of weight and activation).
@inline(__always) func f16Product(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Float {
    halfToFloat(a.loadUnaligned(as: UInt16.self)) * halfToFloat(b.loadUnaligned(as: UInt16.self))
}

// MARK: - f16 <-> f32 in integer and float arithmetic
// Without F16C (never assumed: the package builds for baseline x86-64) Swift lowers Float16 conversions to a library
// call per element; these are exact and vectorize with SSE2. Tested against Float16's own conversions on every
// bit pattern (HalfConversionTests).

/// IEEE half bits -> Float: normals and subnormals by one multiply by 2^112, inf/NaN by their bits.
@inline(__always) public func halfToFloat(_ h: UInt16) -> Float {
    let em = UInt32(h & 0x7fff) << 13, sign = UInt32(h & 0x8000) << 16
    if em >= 0x0f80_0000 { return Float(bitPattern: em | 0x7f80_0000 | sign) }
    return Float(bitPattern: (Float(bitPattern: em) * 0x1p112).bitPattern | sign)
}

/// Eight halves at once, as `halfToFloat`.
@inline(__always) public func halfToFloat(_ h: SIMD8<UInt16>) -> SIMD8<Float> {
    let u = widen(h)
    let em = (u & 0x7fff) &<< 13, sign = (u & 0x8000) &<< 16
    let finite = unsafeBitCast(unsafeBitCast(em, to: SIMD8<Float>.self) * 0x1p112, to: SIMD8<UInt32>.self)
    let special = em | 0x7f80_0000
    return unsafeBitCast(finite.replacing(with: special, where: em .>= 0x0f80_0000) | sign, to: SIMD8<Float>.self)
}

/// Float -> IEEE half bits, round to nearest even (as Float16(x)): subnormals by a magic add, NaN -> quiet NaN.
@inline(__always) public func floatToHalf(_ x: Float) -> UInt16 {
    var f = x.bitPattern
    let sign = f & 0x8000_0000
    f ^= sign
    let o: UInt32
    if f >= 0x4780_0000 {  // 2^16: inf or NaN
        o = f > 0x7f80_0000 ? 0x7e00 : 0x7c00
    } else if f < 0x3880_0000 {  // 2^-14: subnormal or zero; the add rounds the 10 bits into place
        o = (Float(bitPattern: f) + Float(bitPattern: 0x3f00_0000)).bitPattern &- 0x3f00_0000
    } else {
        o = (f &+ 0xc800_0fff &+ ((f >> 13) & 1)) >> 13  // rebias (15 - 127) << 23, round half to even
    }
    return UInt16(truncatingIfNeeded: o | sign >> 16)
}

/// Eight floats at once, as `floatToHalf`.
@inline(__always) public func floatToHalf(_ x: SIMD8<Float>) -> SIMD8<UInt16> {
    let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
    let sign = bits & 0x8000_0000, f = bits ^ sign
    let sub = unsafeBitCast(unsafeBitCast(f, to: SIMD8<Float>.self) + Float(bitPattern: 0x3f00_0000), to: SIMD8<UInt32>.self) &- 0x3f00_0000
    let normal = (f &+ 0xc800_0fff &+ ((f &>> 13) & 1)) &>> 13
    var o = normal.replacing(with: sub, where: f .< 0x3880_0000)
    o.replace(with: SIMD8(repeating: 0x7c00), where: f .>= 0x4780_0000)
    o.replace(with: SIMD8(repeating: 0x7e00), where: f .> 0x7f80_0000)
    o |= sign &>> 16
    return SIMD8(truncatingIfNeeded: o)
}

/// Scale and min `j` (0..<8) of a Q4_K/Q5_K block's 12 packed scale bytes, exactly get_scale_min_k4.
@inline(__always) func kScaleMin(_ q: UnsafeRawPointer, _ j: Int) -> (scale: Int32, min: Int32) {
    let b = { (i: Int) in Int32(q.load(fromByteOffset: i, as: UInt8.self)) }
    if j < 4 { return (b(j) & 63, b(j + 4) & 63) }
    return ((b(j + 4) & 0xF) | ((b(j - 4) >> 6) << 4), (b(j + 4) >> 4) | ((b(j) >> 6) << 4))
}

/// The adjacent f16 pair (d, dmin) at the head of a Q4_K/Q5_K block.
@inline(__always) func loadF16Pair(_ p: UnsafeRawPointer) -> (Float, Float) {
    (halfToFloat(p.loadUnaligned(as: UInt16.self)), halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
}

/// All 8 scales (bytes 0..<8) and 8 mins (bytes 8..<16) of a Q4_K/Q5_K block at once, with 32-bit masks.
@inline(__always) func kScalesMins(_ q: UnsafeRawPointer) -> SIMD16<UInt8> {
    let u0 = q.loadUnaligned(as: UInt32.self), u1 = q.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
    let u2 = q.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
    let m6: UInt32 = 0x3f3f_3f3f, m4: UInt32 = 0x0f0f_0f0f, m2: UInt32 = 0x0303_0303
    let scales = SIMD2<UInt32>(u0 & m6, (u2 & m4) | (((u0 >> 6) & m2) << 4))
    let mins = SIMD2<UInt32>(u1 & m6, ((u2 >> 4) & m4) | (((u1 >> 6) & m2) << 4))
    return unsafeBitCast(SIMD4<UInt32>(lowHalf: scales, highHalf: mins), to: SIMD16<UInt8>.self)
}

// MARK: - int8 pairs in Int16 lanes
// 32 int8 values loaded as SIMD16<Int16>: lane k holds bytes 2k (low) and 2k+1 (high). Splitting both operands of a
// dot product the same way keeps pairs matched, so sums need no byte shuffles (AVX2 has no 8-bit multiply).

/// Sign-extended even bytes.
@inline(__always) func evenI8(_ v: SIMD16<Int16>) -> SIMD16<Int16> { (v &<< 8) &>> 8 }
/// Sign-extended odd bytes.
@inline(__always) func oddI8(_ v: SIMD16<Int16>) -> SIMD16<Int16> { v &>> 8 }
/// Zero-extended even bytes.
@inline(__always) func evenU8(_ v: SIMD16<UInt16>) -> SIMD16<Int16> { unsafeBitCast(v & 0xFF, to: SIMD16<Int16>.self) }
/// Zero-extended odd bytes.
@inline(__always) func oddU8(_ v: SIMD16<UInt16>) -> SIMD16<Int16> { unsafeBitCast(v &>> 8, to: SIMD16<Int16>.self) }
/// Adjacent Int16 lanes summed into Int32 lanes (like vpmaddwd with ones): lane k = v[2k] + v[2k+1].
@inline(__always) func pairSum(_ v: SIMD16<Int16>) -> SIMD8<Int32> {
    let w = unsafeBitCast(v, to: SIMD8<Int32>.self)
    return ((w &<< 16) &>> 16) &+ (w &>> 16)
}
/// Σ w[i]·x[i] over 32 bytes of unsigned `w` (already in byte order) and signed `x`, minus `bias` on each w.
@inline(__always) func dot32(_ w: SIMD16<UInt16>, bias: Int16, _ x: SIMD16<Int16>) -> SIMD8<Int32> {
    pairSum((evenU8(w) &- bias) &* evenI8(x) &+ (oddU8(w) &- bias) &* oddI8(x))
}

// MARK: - Lane conversions
// The stdlib's generic SIMD conversions are specialized but often left as calls in hot loops; written lane by lane
// they are SLP-vectorized to single vpmovzx/vpmovsx/vcvtdq2ps instructions (their SSE2 sequences on baseline x86-64).

@inline(__always) func toFloat(_ v: SIMD8<Int32>) -> SIMD8<Float> {
    SIMD8(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
}
@inline(__always) func widen(_ v: SIMD8<UInt8>) -> SIMD8<Int32> {
    SIMD8(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
}
@inline(__always) func widen(_ v: SIMD8<Int8>) -> SIMD8<Int32> {
    SIMD8(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
}
@inline(__always) func widen(_ v: SIMD8<UInt16>) -> SIMD8<UInt32> {
    SIMD8(UInt32(v[0]), UInt32(v[1]), UInt32(v[2]), UInt32(v[3]), UInt32(v[4]), UInt32(v[5]), UInt32(v[6]), UInt32(v[7]))
}
