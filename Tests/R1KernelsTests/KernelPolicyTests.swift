// KernelPolicy: names, the environment's switches (as `r1` reads them), and asking for an ISA the CPU lacks.
import Testing
@testable import R1Kernels

@Suite struct KernelPolicyTests {
    @Test func namesAndEnvironment() throws {
        #expect(try KernelPolicy(named: "swift") == .swift)
        #expect(try KernelPolicy(named: "auto") == .best)
        #expect(try KernelPolicy(environment: [:]) == .best)
        #expect(try KernelPolicy(environment: ["R1_NO_C_KERNELS": "1"]) == .swift)
        #expect(try KernelPolicy(environment: ["R1_NO_AVX512": "1"]).isa == min(KernelPolicy.best.isa, .avx2))
        #expect(try KernelPolicy(environment: ["R1_KERNELS": "swift", "R1_NO_AVX512": "1"]) == .swift)
        #expect(throws: KernelPolicyError.unknown("neon")) { try KernelPolicy(named: "neon") }
        #expect(KernelPolicy.available.first == .swift && KernelPolicy.available.last == .best)
    }

    @Test func anISATheCPULacksIsAnError() {
        for isa in KernelPolicy.ISA.allCases {
            if isa <= KernelPolicy.best.isa {
                #expect((try? KernelPolicy(isa))?.isa == isa)
            } else {
                #expect(throws: KernelPolicyError.unsupported(isa, available: KernelPolicy.best.isa)) { try KernelPolicy(isa) }
            }
        }
    }
}
