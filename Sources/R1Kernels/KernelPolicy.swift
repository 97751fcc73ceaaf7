// Which kernels a computation runs: plain Swift, AVX2 (+FMA, F16C) or AVX-512, a value chosen once at the edge (`r1
// --kernels`, or the caller of the library) and carried by the ThreadPool that runs the work. No process-wide switch:
// MatMul, attention and sgemm read `pool.kernels` and pass its level to R1KernelsC's entry points.
import R1KernelsC

public struct KernelPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Instruction-set levels, each including the ones below it.
    public enum ISA: Int, Sendable, CaseIterable, Comparable {
        /// Swift compiled for the target's baseline (SSE2 on x86-64, NEON on arm64); no C kernels.
        case swift = 0
        /// R1KernelsC's AVX2/FMA/F16C kernels (kernels.c, kernels_f16.c, sgemm.c).
        case avx2 = 1
        /// The AVX2 kernels plus the 512-bit ones (AVX-512 F/BW/VL/DQ/VNNI: kernels_avx512_*.c, sgemm.c).
        case avx512 = 2

        public var name: String {
            switch self {
            case .swift: return "swift"
            case .avx2: return "avx2"
            case .avx512: return "avx512"
            }
        }

        public static func < (a: ISA, b: ISA) -> Bool { a.rawValue < b.rawValue }
    }

    public let isa: ISA

    private init(unchecked isa: ISA) { self.isa = isa }

    /// The best level this CPU runs (cpuid: AVX-512 F/BW/VL/DQ/VNNI, else AVX2 + FMA + F16C, else Swift).
    public static var best: KernelPolicy { KernelPolicy(unchecked: ISA(rawValue: Int(r1c_cpu_isa())) ?? .swift) }

    /// Every level this CPU runs, lowest first (tests compare them).
    public static var available: [KernelPolicy] { ISA.allCases.filter { $0 <= best.isa }.map { KernelPolicy(unchecked: $0) } }

    /// Plain Swift kernels: every CPU runs them.
    public static let swift = KernelPolicy(unchecked: .swift)

    /// `isa`, when this CPU has it.
    public init(_ isa: ISA) throws(KernelPolicyError) {
        let available = KernelPolicy.best.isa
        guard isa <= available else { throw .unsupported(isa, available: available) }
        self.isa = isa
    }

    /// `auto` (the best this CPU runs), `avx512`, `avx2` or `swift`.
    public init(named name: String) throws(KernelPolicyError) {
        if name == "auto" { self = .best; return }
        guard let isa = ISA.allCases.first(where: { $0.name == name }) else { throw .unknown(name) }
        try self.init(isa)
    }

    /// The policy the `r1` command line and the test harness read from the environment: `R1_KERNELS` names it (as
    /// `init(named:)`), else the older switches still work: `R1_NO_C_KERNELS=1` is `swift`, `R1_NO_AVX512=1` caps it at
    /// `avx2`; else `best`. The caller passes the environment; nothing below the edge reads it.
    public init(environment env: [String: String]) throws(KernelPolicyError) {
        if let name = env["R1_KERNELS"] {
            try self.init(named: name)
        } else if env["R1_NO_C_KERNELS"] != nil {
            self = .swift
        } else if env["R1_NO_AVX512"] != nil {
            self = KernelPolicy(unchecked: min(KernelPolicy.best.isa, .avx2))
        } else {
            self = .best
        }
    }

    /// The level R1KernelsC's entry points take.
    @inline(__always) public var c: Int32 { Int32(isa.rawValue) }

    public var description: String { isa.name }
}

public enum KernelPolicyError: Error, Equatable, CustomStringConvertible {
    case unsupported(KernelPolicy.ISA, available: KernelPolicy.ISA)
    case unknown(String)

    public var description: String {
        switch self {
        case .unsupported(let isa, let available):
            return "kernels '\(isa.name)': this CPU does not have \(isa == .avx512 ? "AVX-512 (F, BW, VL, DQ, VNNI)" : "AVX2, FMA and F16C"); it runs '\(available.name)' at best"
        case .unknown(let name):
            return "kernels '\(name)': expected auto, avx512, avx2 or swift"
        }
    }
}
