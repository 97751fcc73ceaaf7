// Exponentials over runs of floats for the training step's softmaxes and SwiGLU: eight lanes at a time through
// R1Kernels' Vec.exp (within 2 ulp of expf), the tail through expf. libm's scalar expf was the step's largest
// non-GEMM cost.
import Foundation
import R1Kernels

enum Elementwise {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) static func store(_ v: SIMD8<Float>, _ p: FloatPointer) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// p[i] = scale · e^(p[i] - shift) for i < n, in place; returns Σ e^(p[i] - shift) (before the scale).
    @discardableResult
    static func expShifted(_ p: FloatPointer, _ n: Int, shift: Float, scale: Float = 1) -> Float {
        var acc = SIMD8<Float>(), i = 0
        let s = SIMD8<Float>(repeating: shift)
        while i + 8 <= n {
            let e = Vec.exp(load(p + i) - s)
            acc += e
            store(e * scale, p + i)
            i += 8
        }
        var sum = acc.sum()
        while i < n {
            let e = expf(p[i] - shift)
            sum += e
            p[i] = scale * e
            i += 1
        }
        return sum
    }

    /// (Σ e^(z[i] - shift), Σ e^(z[i] - shift) · z[i]) over i < n, z unchanged: the softmax's normaliser and the
    /// numerator of its mean (the entropy), eight lanes of partial sums added in Double.
    static func expSums(_ z: UnsafePointer<Float>, _ n: Int, shift: Float) -> (sum: Double, weighted: Double) {
        var sum = 0.0, weighted = 0.0, i = 0
        let s = SIMD8<Float>(repeating: shift)
        while i < n - n % 8 {
            // blocks of 512 values summed in Float lanes, then in Double
            var a = SIMD8<Float>(), b = SIMD8<Float>()
            let end = min(n - n % 8, i + 512)
            while i < end {
                let v = load(z + i), e = Vec.exp(v - s)
                a += e
                b += e * v
                i += 8
            }
            sum += Double(a.sum())
            weighted += Double(b.sum())
        }
        while i < n {
            let e = Double(expf(z[i] - shift))
            sum += e
            weighted += e * Double(z[i])
            i += 1
        }
        return (sum, weighted)
    }

    /// out = silu(gate) · up over [lo, hi).
    static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: FloatPointer, _ lo: Int, _ hi: Int) {
        var i = lo
        while i + 8 <= hi {
            let g = load(gate + i)
            store(g / (1 + Vec.exp(-g)) * load(up + i), out + i)
            i += 8
        }
        while i < hi {
            let g = gate[i]
            out[i] = g / (1 + expf(-g)) * up[i]
            i += 1
        }
    }

    /// dgate = dh · up · σ(g)(1 + g(1 - σ(g))), dup = dh · silu(g) over [lo, hi).
    static func swigluBackward(dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                               dgate: FloatPointer, dup: FloatPointer, _ lo: Int, _ hi: Int) {
        var i = lo
        while i + 8 <= hi {
            let g = load(gate + i), d = load(dout + i)
            let sg = 1 / (1 + Vec.exp(-g))
            store(d * load(up + i) * sg * (1 + g * (1 - sg)), dgate + i)
            store(d * g * sg, dup + i)
            i += 8
        }
        while i < hi {
            let g = gate[i], sg = 1 / (1 + expf(-g))
            dgate[i] = dout[i] * up[i] * sg * (1 + g * (1 - sg))
            dup[i] = dout[i] * g * sg
            i += 1
        }
    }
}
