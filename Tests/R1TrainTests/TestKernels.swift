// The kernel policy this test run forces, read from the environment at the harness's edge as `r1` reads it:
// R1_KERNELS=auto|avx512|avx2|swift (or R1_NO_C_KERNELS=1, R1_NO_AVX512=1); the CPU's best by default.
import Foundation
import R1Kernels

extension KernelPolicy {
    static let test: KernelPolicy = {
        do { return try KernelPolicy(environment: ProcessInfo.processInfo.environment) } catch { fatalError("\(error)") }
    }()
}
