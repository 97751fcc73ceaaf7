// Hostile GGUF input built at test time: every failure is a thrown one-line FormatError naming the problem.
import Foundation
import Testing
@testable import R1Formats

/// A small GGUF whose every field can be overridden; defaults make a valid file with one F32 tensor 'w'.
private struct GGUFSpec {
    var magic = Array("GGUF".utf8)
    var version: UInt32 = 3
    var tensorCount: UInt64?
    var kvCount: UInt64?
    /// Encoded KV entries (key, type, value).
    var kvs: [[UInt8]] = [GGUFSpec.kv("general.architecture", 8) { $0.ggufString("llama") }]
    var tensors: [(name: String, nDims: UInt32?, ne: [UInt64], type: UInt32, offset: UInt64)] =
        [("w", nil, [32, 2], 0, 0)]
    var alignment = 32
    var dataBytes = 256

    static func kv(_ key: String, _ type: UInt32, _ value: (inout [UInt8]) -> Void) -> [UInt8] {
        var b: [UInt8] = []
        b.ggufString(key)
        b.u32(type)
        value(&b)
        return b
    }

    func bytes() -> [UInt8] {
        var b = magic
        b.u32(version)
        b.u64(tensorCount ?? UInt64(tensors.count))
        b.u64(kvCount ?? UInt64(kvs.count))
        for kv in kvs { b += kv }
        for t in tensors {
            b.ggufString(t.name)
            b.u32(t.nDims ?? UInt32(t.ne.count))
            for d in t.ne { b.u64(d) }
            b.u32(t.type)
            b.u64(t.offset)
        }
        while b.count % alignment != 0 { b.append(0) }
        b += [UInt8](repeating: 0x3F, count: dataBytes)
        return b
    }
}

@Suite struct GGUFHostileTests {
    let dir = TempDir()

    private func load(_ spec: GGUFSpec) throws -> GGUFFile {
        try GGUFFile(path: dir.write("t.gguf", spec.bytes()))
    }

    private func expectError(_ spec: GGUFSpec, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        expectFormatError(fragments, sourceLocation: sourceLocation) { _ = try load(spec) }
    }

    @Test func defaultSpecIsValid() throws {
        let g = try load(GGUFSpec())
        #expect(g.tensor("w")?.shape == [2, 32])
        #expect(g.tensor("w")?.data.count == 256)
    }

    @Test func truncationAtAnyOffsetThrows() throws {
        let full = Array(try Data(contentsOf: Fixtures.root.appendingPathComponent("v3_all_types.gguf")))
        let g = try GGUFFile(path: Fixtures.path("v3_all_types.gguf"))
        // Past the end of the last tensor's data only alignment padding is cut, which is still a valid file.
        let needed = g.tensors.map { g.dataOffset + $0.offset + $0.byteCount }.max()!
        var lengths = Array(0..<200)
        lengths += Array(stride(from: 200, to: full.count, by: 7)) + [needed - 1, needed, full.count - 1]
        for n in lengths {
            let path = dir.write("trunc.gguf", Array(full[0..<n]))
            if n < needed {
                expectFormatError([path]) { _ = try GGUFFile(path: path) }
            } else {
                #expect(throws: Never.self) { _ = try GGUFFile(path: path) }
            }
        }
    }

    @Test func wrongMagicAndVersions() {
        var s = GGUFSpec()
        s.magic = Array("GGML".utf8)
        expectError(s, ["not a GGUF file", "47 47 4d 4c"])
        s = GGUFSpec()
        s.version = 1
        expectError(s, ["version 1", "not supported"])
        s.version = 4
        expectError(s, ["unsupported GGUF version 4"])
        s.version = UInt32(3).byteSwapped
        expectError(s, ["big-endian"])
    }

    @Test func hugeCountsAndLengths() {
        var s = GGUFSpec()
        s.tensorCount = 1 << 60
        expectError(s, ["tensor count 1152921504606846976", "impossible"])
        s = GGUFSpec()
        s.kvCount = UInt64.max
        expectError(s, ["metadata count 18446744073709551615"])
        s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("big.string", 8) { $0.u64(1 << 62) })
        expectError(s, ["metadata 'big.string'", "length 4611686018427387904"])
        s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("big.array", 9) { $0.u32(5); $0.u64(1 << 40) })
        expectError(s, ["metadata 'big.array'", "array length 1099511627776"])
        s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("nested.array", 9) { $0.u32(9); $0.u64(1 << 40) })
        expectError(s, ["metadata 'nested.array'", "array length 1099511627776"])
        s = GGUFSpec()
        var hugeKey: [UInt8] = []
        hugeKey.u64(1 << 62)
        s.kvs.append(hugeKey)
        expectError(s, ["metadata key #1", "length 4611686018427387904"])
        s = GGUFSpec()
        var maxKey: [UInt8] = []
        maxKey.u64(UInt64.max)
        s.kvs.append(maxKey)
        expectError(s, ["metadata key #1", "length 18446744073709551615"])
    }

    @Test func badValueTypesAndNesting() {
        var s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("odd.type", 13) { $0.u32(0) })
        expectError(s, ["metadata 'odd.type' type is 13"])
        s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("odd.elements", 9) { $0.u32(42); $0.u64(1) })
        expectError(s, ["metadata 'odd.elements' element type is 42"])
        s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("deep", 9) { b in
            for _ in 0..<40 { b.u32(9); b.u64(1) }
            b.u32(5)
            b.u64(0)
        })
        expectError(s, ["metadata 'deep", "deeper than 16"])
        s = GGUFSpec()
        s.kvs.append(s.kvs[0])
        expectError(s, ["duplicate metadata key 'general.architecture'"])
    }

    @Test func badAlignment() {
        for (value, text) in [(48, "48"), (0, "0")] {
            var s = GGUFSpec()
            s.kvs.append(GGUFSpec.kv("general.alignment", 4) { $0.u32(UInt32(value)) })
            expectError(s, ["general.alignment \(text)", "power of two"])
        }
        var s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("general.alignment", 8) { $0.ggufString("64") })
        expectError(s, ["general.alignment '64'"])
        s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("general.alignment", 4) { $0.u32(64) })
        s.alignment = 64
        s.tensors[0].offset = 32
        expectError(s, ["tensor 'w' offset 32", "alignment 64"])
    }

    @Test func customAlignmentIsHonoured() throws {
        var s = GGUFSpec()
        s.kvs.append(GGUFSpec.kv("general.alignment", 4) { $0.u32(128) })
        s.alignment = 128
        let g = try load(s)
        #expect(g.alignment == 128)
        #expect(g.dataOffset % 128 == 0)
    }

    @Test func badTensorInfos() {
        var s = GGUFSpec()
        s.tensors[0].type = 99
        expectError(s, ["tensor 'w'", "ggml type 99", "not supported"])
        s.tensors[0].type = 16
        expectError(s, ["tensor 'w'", "ggml type 16 (IQ2_XXS)"])
        s = GGUFSpec()
        s.tensors[0].nDims = 9
        expectError(s, ["tensor 'w' has 9 dimensions"])
        s.tensors[0].nDims = 0
        expectError(s, ["tensor 'w' has 0 dimensions"])
        s = GGUFSpec()
        s.tensors[0].ne = [1 << 40, 1 << 40]
        expectError(s, ["tensor 'w' element count overflows"])
        s.tensors[0].ne = [UInt64.max]
        expectError(s, ["tensor 'w' dimension 0 is 18446744073709551615"])
        s.tensors[0].ne = [1 << 62]
        expectError(s, ["tensor 'w' size overflows"])
        s = GGUFSpec()
        s.tensors[0].offset = 1 << 20
        expectError(s, ["tensor 'w' data [offset 1048576, 256 bytes] extends past end of file"])
        s.tensors[0].offset = UInt64.max - 31
        expectError(s, ["tensor 'w' offset 18446744073709551584 is too large"])
        s.tensors[0].offset = 1 << 62
        expectError(s, ["tensor 'w' data [offset 4611686018427387904"])
        s = GGUFSpec()
        s.tensors[0].offset = 3
        expectError(s, ["tensor 'w' offset 3 is not a multiple of the alignment 32"])
        s = GGUFSpec()
        s.tensors[0].ne = [33, 2]
        s.tensors[0].type = 8
        expectError(s, ["tensor 'w' row length 33", "Q8_0", "block size 32"])
        s = GGUFSpec()
        s.tensors.append(s.tensors[0])
        s.dataBytes = 512
        expectError(s, ["duplicate tensor name 'w'"])
        s = GGUFSpec()
        s.dataBytes = 255
        expectError(s, ["tensor 'w' data [offset 0, 256 bytes] extends past end of file"])
    }

    @Test func randomByteCorruptionNeverCrashes() throws {
        let full = Array(try Data(contentsOf: Fixtures.root.appendingPathComponent("v3_all_types.gguf")))
        // Corrupt only the header and infos; the data section is opaque bytes.
        let headerSpan = try GGUFFile(path: Fixtures.path("v3_all_types.gguf")).dataOffset
        var rng = SplitMix64(seed: 42)
        for _ in 0..<300 {
            var b = full
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(headerSpan))
                b[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            let path = dir.write("fuzz.gguf", b)
            do { _ = try GGUFFile(path: path) } catch is FormatError {} catch { Issue.record("\(error)") }
        }
    }
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
