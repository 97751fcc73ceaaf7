// Float vector kernels used by every layer: dot, axpy, RMSNorm, SiLU·mul, softmax. SIMD8, multiply then add (no FMA
// is assumed: the package builds for baseline x86-64); each is short enough that its plain meaning is the comment
// above it (the parity tests against transformers cover them).

public enum Vec {
    /// Σ a[i]·b[i]
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        Quant.dotF32(UnsafeRawPointer(a), UnsafeRawPointer(b), count: n)
    }

    /// y[i] += a · x[i]
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let va = SIMD8<Float>(repeating: a)
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 8 <= n {
            var v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            v += va * rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// y[i] += x[i]
    public static func add(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        axpy(1, x, y, n)
    }

    /// out = x / sqrt(mean(x²) + eps) · weight, in fp32 as transformers' RMSNorm does.
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                               _ n: Int, eps: Float) {
        let ms = dot(x, x, n) / Float(n)
        let scale = 1 / (ms + eps).squareRoot()
        var i = 0
        let vs = SIMD8<Float>(repeating: scale)
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(weight), ro = UnsafeMutableRawPointer(out)
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * vs * rw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            ro.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { out[i] = x[i] * scale * weight[i]; i += 1 }
    }

    /// gate[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + e^-x)
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        let rg = UnsafeMutableRawPointer(gate), ru = UnsafeRawPointer(up)
        var i = 0
        while i + 8 <= n {
            let g = rg.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let u = ru.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            rg.storeBytes(of: g / (1 + exp(-g)) * u, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
            i += 1
        }
    }

    /// In-place softmax over x[0..<n], max-subtracted.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        let rx = UnsafeMutableRawPointer(x), vm = SIMD8<Float>(repeating: m)
        var vs = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let e = exp(rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - vm)
            rx.storeBytes(of: e, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            vs += e
            i += 8
        }
        var s = vs.sum()
        while i < n { let e = expf(x[i] - m); x[i] = e; s += e; i += 1 }
        let inv = 1 / s, vi = SIMD8<Float>(repeating: inv)
        i = 0
        while i + 8 <= n {
            rx.storeBytes(of: rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * vi, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { x[i] *= inv; i += 1 }
    }

    /// e^x lane-wise (Cephes expf: x = n ln2 + r, |r| <= ln2/2, degree-5 polynomial, 2^n from the exponent bits),
    /// within 2 ulp of expf on [-87.3, 88.7]; below that 0, above it +inf, as expf.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let hi = SIMD8<Float>(repeating: 88.72283), lo = SIMD8<Float>(repeating: -87.33654)
        let xc = x.replacing(with: hi, where: x .> hi).replacing(with: lo, where: x .< lo)
        let n = (xc * 1.442695041 + 12_582_912) - 12_582_912   // round to nearest
        var r = xc - n * 0.693359375
        r = r + n * 2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let e = p * (r * r) + r + 1
        // 2^n split in two factors so n = 128 (x near 88.7) stays finite until the product
        let n1 = n * 0.5
        let h = (n1 + 12_582_912) - 12_582_912
        let bitsA = (SIMD8<Int32>(truncatingIfNeeded: unsafeBitCast(h + 12_582_912, to: SIMD8<Int32>.self) & 0x7f_ffff) &- 0x40_0000 &+ 127) &<< 23
        let nb = n - h
        let bitsB = (SIMD8<Int32>(truncatingIfNeeded: unsafeBitCast(nb + 12_582_912, to: SIMD8<Int32>.self) & 0x7f_ffff) &- 0x40_0000 &+ 127) &<< 23
        var out = e * unsafeBitCast(bitsA, to: SIMD8<Float>.self) * unsafeBitCast(bitsB, to: SIMD8<Float>.self)
        out.replace(with: .infinity, where: x .> hi)
        out.replace(with: 0, where: x .< lo)
        out.replace(with: x, where: x .!= x)  // NaN stays NaN
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
