// GGUF fixtures written by scripts/fixtures/make_format_fixtures.py (gguf-py 0.19.0), checked against expected.json.
import Foundation
import Testing
@testable import R1Formats

/// Whether a parsed value equals the expected.json entry (gguf-py type name + value).
private func matches(_ v: GGUFValue, type: String, value e: JSONValue, elementType: String? = nil) -> Bool {
    switch (type, v) {
    case ("STRING", .string(let s)): return e.string == s
    case ("BOOL", .bool(let b)): return e.bool == b
    case ("FLOAT32", .float32(let f)): return e.double.map { Float($0) == f } ?? false
    case ("FLOAT64", .float64(let d)): return e.double == d
    case ("UINT64", .uint64(let u)): return e.string.flatMap { UInt64($0) } == u
    case ("ARRAY", .array(let t, let items)):
        guard let ea = e.array, ea.count == items.count, let et = elementType else { return false }
        guard t.description.uppercased() == et else { return false }
        return zip(items, ea).allSatisfy { item, ev in
            if case .array(let inner, _) = item {
                return matches(item, type: "ARRAY", value: ev, elementType: inner.description.uppercased())
            }
            return matches(item, type: et, value: ev)
        }
    default:
        return v.type.description.uppercased() == type && v.int != nil && v.int == e.int
    }
}

private func checkAgainstExpected(_ g: GGUFFile, _ exp: JSONValue) {
    #expect(g.version == exp["version"]?.int)
    #expect(g.alignment == exp["alignment"]?.int)
    #expect(g.dataOffset == exp["data_offset"]?.int)
    #expect(g.metadataKeys == exp["metadata_keys"]?.array?.compactMap(\.string))
    for (key, e) in exp["metadata"]?.object ?? [:] {
        guard let v = g[key] else {
            Issue.record("missing key \(key)")
            continue
        }
        #expect(matches(v, type: e["type"]!.string!, value: e["value"]!, elementType: e["element_type"]?.string),
                "\(key): \(v) vs \(e)")
    }
    let tensors = exp["tensors"]!.array!
    #expect(g.tensors.map(\.name) == tensors.map { $0["name"]!.string! })
    #expect(g.tensorNames == g.tensors.map(\.name))
    for t in tensors {
        let name = t["name"]!.string!
        guard let info = g.tensor(named: name), let view = g.tensor(name) else {
            Issue.record("missing tensor \(name)")
            continue
        }
        #expect(info.type.description == t["type"]!.string!)
        #expect(info.type.rawValue == UInt32(t["type_id"]!.int!))
        #expect(info.ne == t["ne"]!.intOrList!)
        #expect(info.shape == t["shape"]!.intOrList!)
        #expect(view.shape == info.shape)
        #expect(view.type == info.type)
        #expect(info.offset == t["offset"]!.int!)
        #expect(info.byteCount == t["byte_count"]!.int!)
        let data = g.data(for: info)
        #expect(data.count == info.byteCount)
        #expect(data.baseAddress == view.data.baseAddress)
        // In place: the view points into the mapped file, at data section + offset.
        #expect(data.baseAddress == g.file.bytes.baseAddress! + g.dataOffset + info.offset)
        #expect(fnv1a64(data) == t["fnv1a64"]!.string!)
        let first = t["first"]!.array!.map { Float($0.double!) }
        #expect(firstValues(data, typeName: t["type"]!.string!, count: first.count) == first, "\(name)")
    }
}

@Suite struct GGUFFileTests {
    @Test func readsV3FixtureWithEveryValueType() throws {
        let g = try GGUFFile(path: Fixtures.path("v3_all_types.gguf"))
        checkAgainstExpected(g, Fixtures.expected["gguf_v3"]!)
    }

    @Test func readsV2Fixture() throws {
        let g = try GGUFFile(path: Fixtures.path("v2_minimal.gguf"))
        checkAgainstExpected(g, Fixtures.expected["gguf_v2"]!)
        #expect(g.architecture == "llama")
        #expect(g.int("llama.block_count") == 2)
    }

    @Test func typedAccessors() throws {
        let g = try GGUFFile(path: Fixtures.path("v3_all_types.gguf"))
        #expect(g.architecture == "qwen2")
        #expect(g.string("test.unicode") == "h\u{e9}llo w\u{f6}rld \u{1F999} \u{4e2d}\u{6587}")
        #expect(g.string("test.empty_string") == "")
        #expect(g.int("test.u8") == 200)
        #expect(g.int("test.i8") == -100)
        #expect(g.int("test.u32") == 4_000_000_000)
        #expect(g.int("test.i64") == -(1 << 62) - 7)
        #expect(g["test.u64"] == .uint64((1 << 63) + 5))
        #expect(g.int("test.u64") == nil)  // above Int.max
        #expect(g.double("test.f32") == 3.5)
        #expect(g.double("test.f64") == -2.25e-10)
        #expect(g.double("test.u16") == 60000)
        #expect(g.bool("test.bool_true") == true)
        #expect(g.bool("test.bool_false") == false)
        #expect(g.string("test.u8") == nil)
        #expect(g.intArray("test.arr_i32") == [1, -2, 3])
        #expect(g.intArray("test.arr_u8") == [0, 255])
        #expect(g.doubleArray("test.arr_f32") == [0.5, -1.25])
        #expect(g.stringArray("test.arr_str") == ["a", "bb", "", "\u{fc}\u{1F999}"])
        #expect(g["test.arr_empty"] == .array(elementType: .int32, []))
        #expect(g.intArray("test.arr_empty") == [])
        #expect(g["test.arr_nested"]?.array?.map { $0.intArray } == [[1, 2], [3], []])
        #expect(g["test.arr_nested_str"]?.array?.map { $0.stringArray } == [["x"], ["y", "z"]])
        #expect(g.stringArray("tokenizer.ggml.tokens") == ["<s>", "</s>", "\u{120}the", "\u{e9}"])
        #expect(g.tensor("missing") == nil)
        #expect(g.tensor(named: "missing") == nil)
        #expect(throws: FormatError.self) { try g.requireTensor("missing") }
    }

    @Test func ropeFromGGUFMetadata() throws {
        let g = try GGUFFile(path: Fixtures.path("v3_all_types.gguf"))
        let r = try RopeParameters.gguf(g, arch: "qwen2")
        #expect(r.ropeType == .yarn)
        #expect(r.theta == 1_000_000)
        #expect(r.factor == 4)
        #expect(r.originalMaxPositionEmbeddings == 32768)
        #expect(r.betaFast == 32)
        #expect(r.betaSlow == 1)
        #expect(r.attentionFactor == 1)
        #expect(r.dimensionCount == 64)
        let v2 = try RopeParameters.gguf(GGUFFile(path: Fixtures.path("v2_minimal.gguf")), arch: "llama")
        #expect(v2.ropeType == .default)
        #expect(v2.theta == 500_000)
        #expect(v2.factor == 1)
    }

    @Test func missingEmptyAndDirectoryPathsAreFormatErrors() throws {
        let dir = TempDir()
        let missing = dir.url.appendingPathComponent("nope.gguf").path
        expectFormatError([missing, "cannot open"]) { _ = try GGUFFile(path: missing) }
        let empty = dir.write("empty.gguf", [UInt8]())
        expectFormatError([empty, "empty file"]) { _ = try GGUFFile(path: empty) }
        expectFormatError([dir.url.path, "not a regular file"]) { _ = try MappedFile(path: dir.url.path) }
        if getuid() != 0 {  // root reads anything
            let locked = dir.write("locked.gguf", [1, 2, 3])
            chmod(locked, 0)
            expectFormatError([locked, "cannot open"]) { _ = try MappedFile(path: locked) }
        }
    }

    /// 150k-entry token and merge arrays, the size of Qwen2's vocabulary, parse without per-element copies.
    @Test func largeStringArraysParseQuickly() throws {
        let n = 150_000
        var b: [UInt8] = Array("GGUF".utf8)
        b.u32(3)
        b.u64(0)
        b.u64(2)
        b.ggufString("tokenizer.ggml.tokens")
        b.u32(9)
        b.u32(8)
        b.u64(UInt64(n))
        for i in 0..<n { b.ggufString("tok\(i)") }
        b.ggufString("tokenizer.ggml.merges")
        b.u32(9)
        b.u32(8)
        b.u64(UInt64(n))
        for i in 0..<n { b.ggufString("\u{120}a\(i) b\(i)") }
        let dir = TempDir()
        let path = dir.write("vocab.gguf", b)
        let clock = ContinuousClock()
        var g: GGUFFile?
        let elapsed = try clock.measure { g = try GGUFFile(path: path) }
        let tokens = g?.stringArray("tokenizer.ggml.tokens")
        #expect(tokens?.count == n)
        #expect(tokens?.last == "tok\(n - 1)")
        #expect(g?.stringArray("tokenizer.ggml.merges")?[7] == "\u{120}a7 b7")
        // Release builds take a few tens of milliseconds; debug builds get headroom.
        #expect(elapsed < .seconds(3), "parsing 300k strings took \(elapsed)")
        print("GGUF with 2 x \(n) strings parsed in \(elapsed)")
    }
}

/// llama.cpp's real vocabulary-only GGUFs (models/ggml-vocab-*.gguf), when its sources are on this machine.
@Suite struct LlamaCppVocabTests {
    static let models = URL(fileURLWithPath: ProcessInfo.processInfo.environment["LLAMA_CPP_DIR"]
        ?? "/opt/llamacpp/llama_cpp_python-0.3.36/vendor/llama.cpp").appendingPathComponent("models")
    static var present: Bool { FileManager.default.fileExists(atPath: models.appendingPathComponent("ggml-vocab-qwen2.gguf").path) }

    /// Values read with gguf-py 0.19.0's GGUFReader.
    @Test(.enabled(if: present)) func qwen2Vocabulary() throws {
        let clock = ContinuousClock()
        var file: GGUFFile?
        let elapsed = try clock.measure {
            file = try GGUFFile(path: Self.models.appendingPathComponent("ggml-vocab-qwen2.gguf").path)
        }
        let g = try #require(file)
        let tokens = try #require(g.stringArray("tokenizer.ggml.tokens"))
        let merges = try #require(g.stringArray("tokenizer.ggml.merges"))
        #expect(tokens.count == 151_936)
        #expect(tokens.first == "!")
        #expect(tokens.last == "[PAD151935]")
        #expect(merges.count == 151_387)
        #expect(merges.first == "\u{120} \u{120}")
        #expect(merges.last == "\u{e2}\u{bd} \u{139}")
        #expect(g.intArray("tokenizer.ggml.token_type")?.suffix(3) == [4, 4, 4])
        #expect(g.int("tokenizer.ggml.eos_token_id") == 151_643)
        #expect(g.int("qwen2.context_length") == 32768)
        #expect(g.tensors.isEmpty)
        print("ggml-vocab-qwen2.gguf parsed in \(elapsed)")
    }

    @Test(.enabled(if: present)) func everyVocabularyFileParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.models.path).filter { $0.hasSuffix(".gguf") }
        #expect(files.count > 5)
        for name in files {
            let g = try GGUFFile(path: Self.models.appendingPathComponent(name).path)
            #expect(g.architecture != nil, "\(name)")
            #expect((g.stringArray("tokenizer.ggml.tokens")?.count ?? 0) > 1000, "\(name)")
        }
    }
}
