// KernelPolicy: names, the environment's switches (as `r1` reads them), and asking for an ISA the CPU lacks.
import Testing
@testable import R1Kernels

@Suite struct KernelPolicyTests {
    @Test func namesAndEnvironment() throws {
        #expect(try KernelPolicy(named: "swift") == .swift)
        #expect(try KernelPolicy(named: "auto") == .best)
        #expect(try KernelPolicy(environment: [:]) == .best)
        #expect(try KernelPolicy(environment: ["R1_NO_C_KERNELS": "1"]) == .swift)
        #expect(try KernelPolicy(environment: ["R1_NO_AVX512": "1"]).isa
                == (KernelPolicy.best.isa == .avx512 ? .avx2 : KernelPolicy.best.isa))
        #expect(try KernelPolicy(environment: ["R1_KERNELS": "swift", "R1_NO_AVX512": "1"]) == .swift)
        #expect(throws: KernelPolicyError.unknown("sse4")) { try KernelPolicy(named: "sse4") }
        #expect(KernelPolicy.available.first == .swift && KernelPolicy.available.last == .best)
        for isa in KernelPolicy.ISA.allCases { #expect(KernelPolicy.ISA.allCases.filter { $0.name == isa.name } == [isa]) }
    }

    /// The levels this CPU runs are those of its own family (x86-64 or arm64), each including the ones below it; the
    /// other family's names are known but refused, naming what is missing.
    @Test func levelsBelongToThisCPUsFamily() throws {
        let best = KernelPolicy.best.isa
        let family: KernelPolicy.ISA.Family = best == .swift ? .portable : best.family
        for p in KernelPolicy.available {
            #expect(p.isa.family == .portable || p.isa.family == family)
            #expect(p.c == Int32(p.isa.level) && p.runsC == (p.isa != .swift))
        }
        #expect(KernelPolicy.available.map(\.isa.level) == Array(0...best.level))
        for name in ["neon", "neon-dotprod", "neon-i8mm", "avx2", "avx512"] {
            let isa = try #require(KernelPolicy.ISA.allCases.first { $0.name == name })
            if KernelPolicy.available.contains(where: { $0.isa == isa }) {
                #expect(try KernelPolicy(named: name).isa == isa)
            } else {
                #expect(throws: KernelPolicyError.unsupported(isa, available: best)) { try KernelPolicy(named: name) }
            }
        }
    }

    /// The per-CPU choices within a level (the F16 decode rows' prefetch distance, the 512-bit Q6_K tile): defaults,
    /// the environment over them, bad values named.
    @Test func f16RowsPrefetch() throws {
        let vendor = KernelPolicy.cpuVendor
        #expect(KernelPolicy.best.f16RowsPrefetch == KernelPolicy.defaultF16RowsPrefetch)
        #expect(KernelPolicy.defaultF16RowsPrefetch == (vendor == "AMD" && KernelPolicy.best.isa < .avx512 ? 0 : 2048))
        #expect(try KernelPolicy(environment: ["R1_F16_PREFETCH": "0"]).f16RowsPrefetch == 0)
        let p = try KernelPolicy(environment: ["R1_F16_PREFETCH": "4096", "R1_KERNELS": "swift"])
        #expect(p.isa == .swift && p.f16RowsPrefetch == 4096 && p != .swift)
        #expect(throws: KernelPolicyError.choice("R1_F16_PREFETCH", "-64", expected: KernelPolicy.prefetchRange)) { try KernelPolicy(environment: ["R1_F16_PREFETCH": "-64"]) }
        #expect(throws: KernelPolicyError.choice("R1_F16_PREFETCH", "2k", expected: KernelPolicy.prefetchRange)) { try KernelPolicy(environment: ["R1_F16_PREFETCH": "2k"]) }
        #expect(KernelPolicyError.choice("R1_F16_PREFETCH", "2k", expected: KernelPolicy.prefetchRange).description == "R1_F16_PREFETCH '2k': expected a number of bytes from 0 to 65536")
        #expect(KernelPolicy.best.wideQ6KTile == (vendor != "Intel"))
        #expect(try KernelPolicy(environment: ["R1_WIDE_Q6K": "0"]).wideQ6KTile == false)
        #expect(try KernelPolicy(environment: ["R1_WIDE_Q6K": "1"]).wideQ6KTile == true)
        #expect(throws: KernelPolicyError.choice("R1_WIDE_Q6K", "yes", expected: "0 or 1")) { try KernelPolicy(environment: ["R1_WIDE_Q6K": "yes"]) }
        if KernelPolicy.best.isa.family == .x86 {
            #expect(try KernelPolicy.best.prefetchingF16Rows(0).details.contains("no prefetch")
                    || KernelPolicy.best.isa == .avx512)
        }
    }

    @Test func anISATheCPULacksIsAnError() {
        for isa in KernelPolicy.ISA.allCases {
            if KernelPolicy.available.contains(where: { $0.isa == isa }) {
                #expect((try? KernelPolicy(isa))?.isa == isa)
            } else {
                #expect(throws: KernelPolicyError.unsupported(isa, available: KernelPolicy.best.isa)) { try KernelPolicy(isa) }
            }
        }
    }
}
