// A GGUF split into shards (Tests/Fixtures/models/qwen2-tiny-split, written by gguf-py with split_max_tensors:
// scripts/fixtures/make_split_gguf.py) loads from its first shard as one model with exactly the unsplit file's logits;
// a missing shard, a later shard given first, and a renamed shard are clear errors.
import Foundation
import Testing
import R1Formats
import R1Kernels
@testable import R1Models

@Suite struct SplitGGUFTests {
    let splitDir = fixturesRoot.appendingPathComponent("qwen2-tiny-split")
    var firstShard: String { splitDir.appendingPathComponent("qwen2-tiny-q8_0-00001-of-00003.gguf").path }
    let whole = fixturesRoot.appendingPathComponent("qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf").path

    func logits(_ path: String, ids: [Int]) throws -> [Float] {
        let decoder = try ModelLoader.load(path: path, contextLength: 64).decoder!
        return decoder.forward(ids, cache: decoder.makeCache(type: .f32), workspace: decoder.makeWorkspace(),
                               pool: ThreadPool(threads: 2, kernels: .test))
    }

    @Test func loadsAsTheUnsplitModel() throws {
        let store = try GGUFModelFiles(path: firstShard)
        #expect(store.parts.count == 3)
        #expect(Set(store.tensorNames) == Set(try GGUFFile(path: whole).tensorNames))
        let loaded = try ModelLoader.load(path: firstShard)
        #expect(loaded.parameterCount == (try ModelLoader.load(path: whole)).parameterCount)
        let ids = [1, 5, 9, 2, 7]
        #expect(try logits(firstShard, ids: ids) == logits(whole, ids: ids))
    }

    fileprivate func copyShards(_ names: [String], renaming: [String: String] = [:]) throws -> TempFolder {
        let tmp = try TempFolder()
        for n in names {
            try FileManager.default.copyItem(at: splitDir.appendingPathComponent(n),
                                             to: tmp.url.appendingPathComponent(renaming[n] ?? n))
        }
        return tmp
    }

    func loadError(_ path: String) -> String? {
        do { _ = try ModelLoader.load(path: path); return nil } catch { return "\(error)" }
    }

    @Test func missingShardIsNamed() throws {
        let tmp = try copyShards(["qwen2-tiny-q8_0-00001-of-00003.gguf", "qwen2-tiny-q8_0-00003-of-00003.gguf"])
        let e = loadError(tmp.url.appendingPathComponent("qwen2-tiny-q8_0-00001-of-00003.gguf").path)
        #expect(e?.contains("shard 2 of 3 is missing") == true, "\(e ?? "no error")")
        #expect(e?.contains("qwen2-tiny-q8_0-00002-of-00003.gguf") == true)
    }

    @Test func laterShardAsksForTheFirst() throws {
        let e = loadError(splitDir.appendingPathComponent("qwen2-tiny-q8_0-00002-of-00003.gguf").path)
        #expect(e?.contains("shard 2 of a model split into 3 files") == true, "\(e ?? "no error")")
        #expect(e?.contains("qwen2-tiny-q8_0-00001-of-00003.gguf") == true)
    }

    @Test func renamedFirstShardSaysWhy() throws {
        let tmp = try copyShards(["qwen2-tiny-q8_0-00001-of-00003.gguf"],
                                 renaming: ["qwen2-tiny-q8_0-00001-of-00003.gguf": "model.gguf"])
        let e = loadError(tmp.url.appendingPathComponent("model.gguf").path)
        #expect(e?.contains("-00001-of-00003.gguf") == true, "\(e ?? "no error")")
    }

    @Test func shardsSwappedAreRefused() throws {
        let tmp = try copyShards(["qwen2-tiny-q8_0-00001-of-00003.gguf", "qwen2-tiny-q8_0-00002-of-00003.gguf",
                                  "qwen2-tiny-q8_0-00003-of-00003.gguf"],
                                 renaming: ["qwen2-tiny-q8_0-00002-of-00003.gguf": "qwen2-tiny-q8_0-00003-of-00003.gguf",
                                            "qwen2-tiny-q8_0-00003-of-00003.gguf": "qwen2-tiny-q8_0-00002-of-00003.gguf"])
        let e = loadError(tmp.url.appendingPathComponent("qwen2-tiny-q8_0-00001-of-00003.gguf").path)
        #expect(e?.contains("split.no 2") == true, "\(e ?? "no error")")
    }
}

/// A fresh folder under the system's temporary directory, removed with the value.
private final class TempFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("r1-split-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}
