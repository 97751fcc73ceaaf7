// Which kernels a computation runs: plain Swift, or R1KernelsC's at an instruction-set level of this CPU (AVX2 or
// AVX-512 on x86-64; NEON, NEON + dotprod or NEON + dotprod + i8mm on arm64), a value chosen once at the edge (`r1
// --kernels`, or the caller of the library) and carried by the ThreadPool that runs the work. No process-wide switch:
// MatMul, attention and sgemm read `pool.kernels` and pass its level to R1KernelsC's entry points.
import R1KernelsC

public struct KernelPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Instruction-set levels. Within a CPU family each level includes the ones below it; the order (`<`) is the C
    /// level, so `isa >= .avx2` reads "R1KernelsC's kernels at level 1 or above" on either family (the two families'
    /// levels never meet on one CPU).
    public enum ISA: Sendable, CaseIterable, Comparable {
        /// Swift compiled for the target's baseline (SSE2 on x86-64, NEON on arm64); no C kernels.
        case swift
        /// x86-64: R1KernelsC's AVX2/FMA/F16C kernels (kernels.c, kernels_f16.c, sgemm.c).
        case avx2
        /// x86-64: the AVX2 kernels plus the 512-bit ones (AVX-512 F/BW/VL/DQ/VNNI: kernels_avx512_*.c, sgemm.c).
        case avx512
        /// arm64: R1KernelsC's NEON kernels (kernels_neon*.c, sgemm.c), every AArch64 CPU.
        case neon
        /// arm64: NEON with the dot-product extension (sdot) for the quantized dot products.
        case neonDotprod
        /// arm64: NEON with dotprod and the int8 matrix-multiply extension (smmla) for prefill tiles.
        case neonI8mm

        public enum Family: Sendable { case portable, x86, arm }

        public var name: String {
            switch self {
            case .swift: return "swift"
            case .avx2: return "avx2"
            case .avx512: return "avx512"
            case .neon: return "neon"
            case .neonDotprod: return "neon-dotprod"
            case .neonI8mm: return "neon-i8mm"
            }
        }

        /// The level R1KernelsC's entry points take (r1c_cpu_isa's scale): 0 none; x86-64 1 AVX2, 2 AVX-512;
        /// arm64 1 NEON, 2 + dotprod, 3 + i8mm.
        public var level: Int {
            switch self {
            case .swift: return 0
            case .avx2, .neon: return 1
            case .avx512, .neonDotprod: return 2
            case .neonI8mm: return 3
            }
        }

        public var family: Family {
            switch self {
            case .swift: return .portable
            case .avx2, .avx512: return .x86
            case .neon, .neonDotprod, .neonI8mm: return .arm
            }
        }

        /// What a CPU needs to run this level, for errors.
        var requirement: String {
            switch self {
            case .swift: return "nothing"
            case .avx2: return "AVX2, FMA and F16C"
            case .avx512: return "AVX-512 (F, BW, VL, DQ, VNNI)"
            case .neon: return "NEON (an arm64 CPU)"
            case .neonDotprod: return "NEON with the dot-product extension (dotprod)"
            case .neonI8mm: return "NEON with dotprod and the int8 matrix-multiply extension (i8mm)"
            }
        }

        /// This build's CPU family (arm64 or x86-64; anything else runs Swift only).
        static var host: Family {
            #if arch(arm64)
            return .arm
            #elseif arch(x86_64)
            return .x86
            #else
            return .portable
            #endif
        }

        /// The case of `level` in this build's family.
        static func host(level: Int) -> ISA {
            allCases.first { $0.level == level && $0.family == host } ?? .swift
        }

        public static func < (a: ISA, b: ISA) -> Bool { a.level < b.level }
    }

    public let isa: ISA

    /// How many bytes ahead the AVX2 F16 decode rows prefetch their weights (0: not at all). A choice per CPU, since
    /// the same loop gained on one and lost on another (alternated `R1_NO_AVX512=1 r1 bench F16 --prompt-tokens 0`):
    /// on an Intel Xeon (Emerald Rapids guest) 2,048 bytes took decode from 4.7-5.3 to 6.4-7.4 tokens/s, on a Zen 3
    /// EPYC it cost 8% (the hardware prefetcher already keeps up there). `defaultF16RowsPrefetch` picks; the edge may
    /// override it (`R1_F16_PREFETCH`). The 512-bit rows prefetch 4 KiB ahead on every CPU that runs them.
    public private(set) var f16RowsPrefetch: Int

    /// Whether Q6_K prefill of 32 tokens and more runs the 512-bit tile at the AVX-512 level (`true`), or the AVX2
    /// rows-in-lanes tile. Per CPU: on AMD Zen 5 the 512-bit K-quant tiles ran 2.2x the AVX2 ones; on an Intel Xeon
    /// (Emerald Rapids guest, one core, 16 rows, tile_bench_lanes.c's shapes with the 512-bit tiles in place of the
    /// old ones) the lanes tile ran the 512-bit Q6_K tile's 1.2-1.4x from 64 tokens up (K 1536 and 8960; 0.6-0.8x at
    /// 8 tokens, hence the threshold), while for Q4_K the two stayed within 0.9-1.1x. `false` on Intel CPUs, `true`
    /// elsewhere; `R1_WIDE_Q6K=0|1` at the edge overrides.
    public private(set) var wideQ6KTile: Bool

    private init(unchecked isa: ISA) {
        self.isa = isa
        self.f16RowsPrefetch = KernelPolicy.defaultF16RowsPrefetch
        self.wideQ6KTile = r1c_cpu_vendor() != 1
    }

    /// 2,048 bytes, except on AMD CPUs without AVX-512 (Zen 3 and older), where prefetching the F16 rows lost: 0.
    public static var defaultF16RowsPrefetch: Int {
        r1c_cpu_vendor() == 2 && r1c_cpu_isa() < 2 && ISA.host == .x86 ? 0 : 2048
    }

    static let prefetchRange = "a number of bytes from 0 to 65536"

    /// This policy with the AVX2 F16 decode rows prefetching `bytes` ahead (0: not at all); 0...65,536.
    public func prefetchingF16Rows(_ bytes: Int) throws(KernelPolicyError) -> KernelPolicy {
        guard (0...65_536).contains(bytes) else { throw .choice("R1_F16_PREFETCH", String(bytes), expected: Self.prefetchRange) }
        var p = self
        p.f16RowsPrefetch = bytes
        return p
    }

    /// This policy with Q6_K prefill on the 512-bit tile (`true`) or the AVX2 lanes tile at the AVX-512 level.
    public func choosingWideQ6KTile(_ on: Bool) -> KernelPolicy {
        var p = self
        p.wideQ6KTile = on
        return p
    }

    /// Every level this CPU runs, plus the best level with each per-CPU choice flipped (tests run them all).
    public static var availableWithChoices: [KernelPolicy] {
        let b = best
        return available + [b.choosingWideQ6KTile(!b.wideQ6KTile),
                            (try? b.prefetchingF16Rows(b.f16RowsPrefetch > 0 ? 0 : 2048)) ?? b]
    }

    /// The CPU, for `r1 info` and benchmark tables: vendor and the level it runs at best.
    public static var cpuVendor: String {
        switch r1c_cpu_vendor() {
        case 1: return "Intel"
        case 2: return "AMD"
        default: return ISA.host == .arm ? "arm64" : "unknown vendor"
        }
    }

    /// The best level this CPU runs: cpuid on x86-64 (AVX-512 F/BW/VL/DQ/VNNI, else AVX2 + FMA + F16C, else Swift);
    /// getauxval / sysctlbyname on arm64 (dotprod and i8mm, else dotprod, else NEON).
    public static var best: KernelPolicy { KernelPolicy(unchecked: ISA.host(level: Int(r1c_cpu_isa()))) }

    /// Every level this CPU runs, lowest first (tests compare them).
    public static var available: [KernelPolicy] {
        let best = best.isa
        return ISA.allCases.filter { ($0.family == .portable || $0.family == ISA.host) && $0.level <= best.level }
            .map { KernelPolicy(unchecked: $0) }
    }

    /// Plain Swift kernels: every CPU runs them.
    public static let swift = KernelPolicy(unchecked: .swift)

    /// `isa`, when this CPU has it.
    public init(_ isa: ISA) throws(KernelPolicyError) {
        guard KernelPolicy.available.contains(where: { $0.isa == isa }) else {
            throw .unsupported(isa, available: KernelPolicy.best.isa)
        }
        self.init(unchecked: isa)
    }

    /// `auto` (the best this CPU runs), or a level's name: `avx512`, `avx2`, `neon-i8mm`, `neon-dotprod`, `neon`,
    /// `swift`.
    public init(named name: String) throws(KernelPolicyError) {
        if name == "auto" { self = .best; return }
        guard let isa = ISA.allCases.first(where: { $0.name == name }) else { throw .unknown(name) }
        try self.init(isa)
    }

    /// The policy the `r1` command line and the test harness read from the environment: `R1_KERNELS` names it (as
    /// `init(named:)`), else the older switches still work: `R1_NO_C_KERNELS=1` is `swift`, `R1_NO_AVX512=1` caps it at
    /// `avx2` (no effect on arm64); else `best`. The caller passes the environment; nothing below the edge reads it.
    /// `R1_F16_PREFETCH` (bytes, 0 for none) overrides `defaultF16RowsPrefetch`, `R1_WIDE_Q6K` (0 or 1) `wideQ6KTile`.
    public init(environment env: [String: String]) throws(KernelPolicyError) {
        if let name = env["R1_KERNELS"] {
            try self.init(named: name)
        } else if env["R1_NO_C_KERNELS"] != nil {
            self = .swift
        } else if env["R1_NO_AVX512"] != nil, KernelPolicy.best.isa == .avx512 {
            self = KernelPolicy(unchecked: .avx2)
        } else {
            self = .best
        }
        try self = applyingChoices(from: env)
    }

    /// This policy with `R1_F16_PREFETCH` and `R1_WIDE_Q6K` from `env` applied, when they are set.
    public func applyingChoices(from env: [String: String]) throws(KernelPolicyError) -> KernelPolicy {
        var p = self
        if let value = env["R1_WIDE_Q6K"] {
            guard value == "0" || value == "1" else { throw .choice("R1_WIDE_Q6K", value, expected: "0 or 1") }
            p = p.choosingWideQ6KTile(value == "1")
        }
        guard let value = env["R1_F16_PREFETCH"] else { return p }
        guard let bytes = Int(value) else { throw .choice("R1_F16_PREFETCH", value, expected: Self.prefetchRange) }
        return try p.prefetchingF16Rows(bytes)
    }

    /// The level R1KernelsC's entry points take.
    @inline(__always) public var c: Int32 { Int32(isa.level) }

    /// Whether R1KernelsC's kernels run (any level but Swift).
    @inline(__always) public var runsC: Bool { isa.level > 0 }

    public var description: String { isa.name }

    /// The level and what was chosen within it, for `r1 info`: "avx2, F16 decode rows prefetch 2048 B ahead".
    public var details: String {
        guard isa.family == .x86 else { return isa.name }
        let pf = isa == .avx2 ? (f16RowsPrefetch > 0 ? "prefetch \(f16RowsPrefetch) B ahead" : "no prefetch")
            : "prefetch 4096 B ahead"
        let q6 = isa == .avx512 ? (wideQ6KTile ? ", Q6_K prefill 512-bit tile" : ", Q6_K prefill AVX2 lanes tile") : ""
        return "\(isa.name), F16 decode rows \(pf)\(q6)"
    }
}

public enum KernelPolicyError: Error, Equatable, CustomStringConvertible {
    case unsupported(KernelPolicy.ISA, available: KernelPolicy.ISA)
    case unknown(String)
    /// A per-CPU choice's variable, its bad value, and what it takes.
    case choice(String, String, expected: String)

    /// A bad value of a per-CPU choice's variable (its message names the variable), not of the level.
    public var isEnvironmentChoice: Bool {
        switch self {
        case .choice: return true
        case .unsupported, .unknown: return false
        }
    }

    public var description: String {
        switch self {
        case .unsupported(let isa, let available):
            return "kernels '\(isa.name)': this CPU does not have \(isa.requirement); it runs '\(available.name)' at best"
        case .unknown(let name):
            let names = KernelPolicy.ISA.allCases.reversed().map(\.name).joined(separator: ", ")
            return "kernels '\(name)': expected auto, \(names)"
        case .choice(let name, let value, let expected):
            return "\(name) '\(value)': expected \(expected)"
        }
    }
}
