// Weight and activation element types, numbered and sized as ggml's `ggml_type` (ggml.h, ggml.c type_traits).

/// A tensor element type. Raw values are ggml's, so GGUF tensor infos map directly.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case q8_K = 15
    case bf16 = 30

    /// Elements per block (1 for plain floats).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: return 256
        }
    }

    /// Bytes per block.
    public var typeSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 2 + 16          // d, qs[16]
        case .q4_1: return 4 + 16          // d, m, qs[16]
        case .q5_0: return 2 + 4 + 16      // d, qh[4], qs[16]
        case .q5_1: return 4 + 4 + 16      // d, m, qh[4], qs[16]
        case .q8_0: return 2 + 32          // d, qs[32]
        case .q8_1: return 4 + 32          // d, s, qs[32]
        case .q2_K: return 16 + 64 + 4     // scales[16], qs[64], d, dmin
        case .q3_K: return 32 + 64 + 12 + 2 // hmask[32], qs[64], scales[12], d
        case .q4_K: return 4 + 12 + 128    // d, dmin, scales[12], qs[128]
        case .q5_K: return 4 + 12 + 32 + 128 // d, dmin, scales[12], qh[32], qs[128]
        case .q6_K: return 128 + 64 + 16 + 2 // ql[128], qh[64], scales[16], d
        case .q8_K: return 4 + 256 + 32    // d (f32), qs[256], bsums[16] (i16)
        }
    }

    /// ggml's name, as `r1 info` and GGUF tools print it.
    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q8_1: return "Q8_1"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        case .q8_K: return "Q8_K"
        }
    }

    /// Bytes for `count` elements; nil when `count` is not a whole number of blocks or overflows.
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (r, o) = (count / blockSize).multipliedReportingOverflow(by: typeSize)
        return o ? nil : r
    }

    /// Whether the engine can compute with weights of this type (Q2_K/Q3_K are recognised but not supported yet).
    public var isSupportedWeight: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K: return true
        case .q8_1, .q8_K, .q2_K, .q3_K: return false
        }
    }
}
