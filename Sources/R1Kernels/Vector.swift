// Float vector kernels used by every layer: dot, axpy, RMSNorm, SiLU·mul, softmax. SIMD8 with FMAs; each is
// short enough that its plain meaning is the comment above it (the parity tests against transformers cover them).

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
            v.addProduct(va, rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
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
        for i in 0..<n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// In-place softmax over x[0..<n], max-subtracted.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        var s: Float = 0
        for i in 0..<n { let e = expf(x[i] - m); x[i] = e; s += e }
        let inv = 1 / s
        for i in 0..<n { x[i] *= inv }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
