// Shared helpers for the quant tests: fixture loading (Tests/Fixtures/quant, made by
// scripts/fixtures/make_quant_fixtures.py from gguf-py), seeded random blocks and activations.
import Foundation
@testable import R1Kernels

enum QuantFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/quant")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func floats(_ name: String) throws -> [Float] {
        let b = try bytes(name)
        return b.withUnsafeBytes { raw in (0..<b.count / 4).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
    }
}

/// SplitMix64: reproducible test data without Foundation's unseeded generators.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func normal() -> Float {
        let u1 = Float.random(in: Float.ulpOfOne..<1, using: &self), u2 = Float.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

enum QuantTestData {
    static let weightTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

    /// Byte offsets of the f16 scales in each block (ggml-common.h); everything else is random payload.
    static func f16Fields(_ type: GGMLType) -> [Int] {
        switch type {
        case .q4_0, .q5_0, .q8_0: return [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
        case .q6_K: return [208]
        default: return []
        }
    }

    /// `count` elements of random weights: random payload bytes, f16 scales ~ N(0, 0.01...0.1), finite floats.
    static func weights(_ type: GGMLType, count: Int, rng: inout SeededRNG) -> [UInt8] {
        let n = type.byteCount(elements: count)!
        var b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let put = { (b: inout [UInt8], off: Int, v: Float16) in
            b[off] = UInt8(truncatingIfNeeded: v.bitPattern); b[off + 1] = UInt8(truncatingIfNeeded: v.bitPattern >> 8)
        }
        switch type {
        case .f32:
            for i in 0..<count {
                let v = rng.normal().bitPattern
                for k in 0..<4 { b[4 * i + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
            }
        case .f16: for i in 0..<count { put(&b, 2 * i, Float16(rng.normal())) }
        case .bf16:
            for i in 0..<count {
                let v = QuantReference.bf16Bits(rng.normal())
                b[2 * i] = UInt8(truncatingIfNeeded: v); b[2 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
            }
        default:
            for blk in 0..<count / type.blockSize {
                let sigma = Float.random(in: 0.01...0.1, using: &rng)
                for off in f16Fields(type) { put(&b, blk * type.typeSize + off, Float16(rng.normal() * sigma)) }
            }
        }
        return b
    }

    /// Random activations with a different magnitude per 32-block, as floats.
    static func activations(count: Int, rng: inout SeededRNG) -> [Float] {
        var x = [Float](repeating: 0, count: count)
        for b in stride(from: 0, to: count, by: 32) {
            let scale = Float.random(in: 0.01...4, using: &rng)
            for i in b..<min(b + 32, count) { x[i] = rng.normal() * scale }
        }
        return x
    }

    static func quantize(_ x: [Float], _ type: GGMLType) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: type.byteCount(elements: x.count)!)
        QuantReference.quantizeRow(x, &out, count: x.count, type: type)
        return out
    }

    static func dequantize(_ b: [UInt8], _ type: GGMLType, count: Int, fast: Bool = false) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        if fast { Quant.dequantizeRow(b, &out, count: count, type: type) }
        else { QuantReference.dequantizeRow(b, &out, count: count, type: type) }
        return out
    }
}
