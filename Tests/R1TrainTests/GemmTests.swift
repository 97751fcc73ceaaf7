// The packed sgemm (R1KernelsC/sgemm.c) against its plain reference loop, every transpose combination, edge shapes
// that leave partial micro-tiles and K blocks, and the tiled pool driver against one single-threaded call.
import Testing
import R1Kernels
import R1KernelsC
import R1Train

@Suite struct GemmTests {
    func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = TrainRandom(seed: seed)
        return (0..<n).map { _ in rng.nextNormal() }
    }

    @Test(arguments: [(1, 1, 1), (7, 17, 5), (13, 40, 300), (96, 512, 256), (100, 530, 513), (6, 16, 1)])
    func packedMatchesReference(_ dims: (Int, Int, Int)) {
        let (m, n, k) = dims
        for ta in [0, 1] {
            for tb in [0, 1] {
                let a = random(m * k, seed: 1), b = random(k * n, seed: 2), c0 = random(m * n, seed: 3)
                let lda = ta == 1 ? m : k, ldb = tb == 1 ? k : n
                for beta: Float in [0, 1, 0.5] {
                    var want = c0, got = c0
                    r1c_sgemm_ref(Int32(ta), Int32(tb), Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, &want, Int32(n))
                    for kernels in KernelPolicy.available {  // every micro-kernel this CPU runs
                        got = c0
                        r1c_sgemm(kernels.c, Int32(ta), Int32(tb), Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta,
                                  &got, Int32(n))
                        let worst = zip(got, want).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                        #expect(worst <= 1e-5 * Float(k).squareRoot(),
                                "\(kernels) m \(m) n \(n) k \(k) ta \(ta) tb \(tb) beta \(beta): \(worst)")
                    }
                }
            }
        }
    }

    @Test func tiledOnThePoolIsBitIdentical() {
        let (m, n, k) = (77, 300, 129)
        let a = random(m * k, seed: 4), b = random(n * k, seed: 5)
        var single = [Float](repeating: 0, count: m * n), pooled = single
        r1c_sgemm(KernelPolicy.test.c, 0, 1, Int32(m), Int32(n), Int32(k), a, Int32(k), b, Int32(k), 0, &single, Int32(n))
        let gemm = Gemm(pool: ThreadPool(threads: 3, kernels: .test))
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                pooled.withUnsafeMutableBufferPointer { cb in
                    gemm.run(ta: false, tb: true, m: m, n: n, k: k, a: ab.baseAddress!, lda: k, b: bb.baseAddress!, ldb: k,
                             beta: 0, c: cb.baseAddress!, ldc: n)
                }
            }
        }
        #expect(single == pooled)
    }
}
