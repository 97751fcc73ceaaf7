// safetensors fixtures (safetensors 0.8.0 save_file) against expected.json, plus hostile headers built here.
import Foundation
import Testing
@testable import R1Formats

private func checkTensors(_ store: some TensorStore, _ expected: JSONValue, skipping: Set<String> = []) {
    let tensors = expected["tensors"]!.object!
    #expect(Set(store.tensorNames) == Set(tensors.keys))
    for (name, e) in tensors where !skipping.contains(name) {
        guard let v = store.tensor(name) else {
            Issue.record("missing \(name)")
            continue
        }
        #expect(v.name == name)
        #expect(v.type.description == e["dtype"]!.string!)
        #expect(v.shape == e["shape"]!.intOrList!)
        #expect(v.data.count == e["byte_count"]!.int!)
        #expect(fnv1a64(v.data) == e["fnv1a64"]!.string!)
        let first = e["first"]!.array!.map { Float($0.double!) }
        #expect(firstValues(v.data, typeName: e["dtype"]!.string!, count: first.count) == first, "\(name)")
    }
}

@Suite struct SafetensorsTests {
    let dir = TempDir()

    @Test func singleFile() throws {
        let f = try SafetensorsFile(path: Fixtures.path("single.safetensors"))
        checkTensors(f, Fixtures.expected["safetensors"]!["single"]!)
        #expect(f.metadata == ["format": "pt"])
        #expect(f.tensor("d.scalar")?.shape == [])
        #expect(f.tensor("d.scalar")?.elementCount == 1)
        #expect(f.tensor("a.f32")?.type == .f32)
        #expect(f.tensor("b.f16")?.type == .f16)
        #expect(f.tensor("c.bf16")?.type == .bf16)
        // Views are in place, inside the map.
        let a = f.info("a.f32")!
        #expect(f.tensor("a.f32")!.data.baseAddress == f.file.bytes.baseAddress! + f.dataOffset + a.begin)
        #expect(f.tensor("nope") == nil)
        expectFormatError(["single.safetensors", "tensor 'nope' not found"]) { _ = try f.requireTensor("nope") }
    }

    @Test func unsupportedDtypeFailsOnlyWhenUsed() throws {
        let f = try SafetensorsFile(path: Fixtures.path("with_i64.safetensors"))
        checkTensors(f, Fixtures.expected["safetensors"]!["with_i64"]!, skipping: ["position_ids"])
        #expect(f.info("position_ids")?.dtype == "I64")
        #expect(f.info("position_ids")?.type == nil)
        #expect(f.tensor("position_ids") == nil)
        expectFormatError(["tensor 'position_ids'", "dtype I64", "not supported"]) {
            _ = try f.requireTensor("position_ids")
        }
        #expect(f.data(for: f.info("position_ids")!).count == 32)
    }

    @Test func singleAndShardedCheckpoints() throws {
        let single = try SafetensorsCheckpoint(folder: Fixtures.path("ckpt_single"))
        checkTensors(single, Fixtures.expected["safetensors"]!["ckpt_single"]!)
        #expect(single.files.count == 1)
        let sharded = try SafetensorsCheckpoint(folder: Fixtures.path("ckpt_sharded"))
        checkTensors(sharded, Fixtures.expected["safetensors"]!["ckpt_sharded"]!)
        #expect(sharded.files.count == 2)
        #expect(sharded.file(for: "lm_head.weight")?.path.hasSuffix("model-00002-of-00002.safetensors") == true)
        #expect(sharded.tensor("missing") == nil)
        expectFormatError(["ckpt_sharded", "tensor 'missing' not found"]) { _ = try sharded.requireTensor("missing") }
    }

    @Test func checkpointErrors() throws {
        let src = Fixtures.root.appendingPathComponent("ckpt_sharded")
        let index = try String(contentsOf: src.appendingPathComponent("model.safetensors.index.json"), encoding: .utf8)
        dir.write("missing/model.safetensors.index.json", index)
        let first = try Data(contentsOf: src.appendingPathComponent("model-00001-of-00002.safetensors"))
        dir.write("missing/model-00001-of-00002.safetensors", Array(first))
        expectFormatError(["model.safetensors.index.json", "shard 'model-00002-of-00002.safetensors'", "missing"]) {
            _ = try SafetensorsCheckpoint(folder: dir.url.appendingPathComponent("missing").path)
        }
        let empty = dir.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        expectFormatError([empty.path, "no model.safetensors"]) { _ = try SafetensorsCheckpoint(folder: empty.path) }
        dir.write("badindex/model.safetensors.index.json", "{\"weight_map\": [}")
        expectFormatError(["badindex/model.safetensors.index.json", "malformed JSON"]) {
            _ = try SafetensorsCheckpoint(folder: dir.url.appendingPathComponent("badindex").path)
        }
        // The index names a tensor the shard lacks.
        dir.write("liar/model-00001-of-00002.safetensors", Array(first))
        dir.write("liar/model.safetensors.index.json",
                  "{\"weight_map\": {\"ghost.weight\": \"model-00001-of-00002.safetensors\"}}")
        expectFormatError(["tensor 'ghost.weight'", "does not contain it"]) {
            _ = try SafetensorsCheckpoint(folder: dir.url.appendingPathComponent("liar").path)
        }
    }

    /// A safetensors file with `header` as its JSON and `data` bytes after it.
    private func file(_ header: String, data: Int = 16, headerLength: UInt64? = nil) -> String {
        var b: [UInt8] = []
        b.u64(headerLength ?? UInt64(header.utf8.count))
        b += Array(header.utf8)
        b += [UInt8](repeating: 0, count: data)
        return dir.write("t.safetensors", b)
    }

    @Test func hostileHeaders() throws {
        let ok = file(#"{"x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}"#)
        #expect(try SafetensorsFile(path: ok).tensor("x")?.shape == [2, 2])

        expectFormatError(["header length 1000000", "past end of file"]) {
            _ = try SafetensorsFile(path: file("{}", headerLength: 1_000_000))
        }
        expectFormatError(["header length 18446744073709551615"]) {
            _ = try SafetensorsFile(path: file("{}", headerLength: .max))
        }
        expectFormatError(["too short"]) { _ = try SafetensorsFile(path: dir.write("s.safetensors", [1, 2, 3])) }
        expectFormatError(["malformed JSON header"]) { _ = try SafetensorsFile(path: file(#"{"x": {"dtype": "#)) }
        expectFormatError(["header is not a JSON object"]) { _ = try SafetensorsFile(path: file("[1, 2]")) }
        expectFormatError(["tensor 'x'", "data_offsets [0, 64]", "data region (16 bytes)"]) {
            _ = try SafetensorsFile(path: file(#"{"x": {"dtype": "F32", "shape": [16], "data_offsets": [0, 64]}}"#))
        }
        expectFormatError(["tensor 'x'", "invalid data_offsets"]) {
            _ = try SafetensorsFile(path: file(#"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}"#))
        }
        expectFormatError(["tensor 'x'", "invalid data_offsets"]) {
            _ = try SafetensorsFile(path: file(#"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}"#))
        }
        expectFormatError(["tensor 'x' shape [3] of F32 needs 12 bytes", "hold 16"]) {
            _ = try SafetensorsFile(path: file(#"{"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}"#))
        }
        expectFormatError(["tensor 'x'", "overflows"]) {
            _ = try SafetensorsFile(path: file(
                #"{"x": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}}"#))
        }
        expectFormatError(["tensor 'x'", "overflowing"]) {
            _ = try SafetensorsFile(path: file(
                #"{"x": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 16]}}"#))
        }
        expectFormatError(["tensor 'x'", "invalid shape"]) {
            _ = try SafetensorsFile(path: file(#"{"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#))
        }
        expectFormatError(["tensor 'x' has unknown dtype 'Q9'"]) {
            _ = try SafetensorsFile(path: file(#"{"x": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}"#))
        }
        expectFormatError(["tensors 'x' [0, 8] and 'y' [4, 12] overlap"]) {
            _ = try SafetensorsFile(path: file(
                #"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#))
        }
        // Zero-size tensors may share an offset.
        #expect(throws: Never.self) {
            _ = try SafetensorsFile(path: file(
                #"{"e": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, "x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#))
        }
        expectFormatError(["tensor 'x' has no dtype"]) {
            _ = try SafetensorsFile(path: file(#"{"x": {"shape": [1], "data_offsets": [0, 4]}}"#))
        }
    }

    @Test func truncatedFileThrows() throws {
        let full = Array(try Data(contentsOf: Fixtures.root.appendingPathComponent("single.safetensors")))
        for n in 0..<full.count {
            let path = dir.write("trunc.safetensors", Array(full[0..<n]))
            expectFormatError([path]) { _ = try SafetensorsFile(path: path) }
        }
    }
}
