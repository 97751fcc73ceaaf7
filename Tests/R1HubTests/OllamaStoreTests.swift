// Ollama's store: the committed test store (scripts/fixtures/make_ollama_store.py) resolved by name, its params,
// ambiguity with the Hugging Face cache, a manifest pointing at a missing blob.
import Foundation
import Testing
@testable import R1Hub

@Suite struct OllamaStoreTests {
    let store = OllamaStore(root: Fixtures.ollamaStore)

    @Test func defaultRoot() {
        #expect(OllamaStore(environment: ["OLLAMA_MODELS": "/m"]).root == "/m")
        #expect(OllamaStore(environment: [:]).root.hasSuffix("/.ollama/models"))
    }

    @Test func modelsAndParams() throws {
        #expect(store.models().map(\.description) == ["someone/tiny-ns:latest", "tiny:latest", "tiny:q8_0"])
        let m = try store.model(OllamaName("tiny")!)
        #expect(m.modelBlob.hasPrefix(Fixtures.ollamaStore + "/blobs/sha256-"))
        #expect(FileManager.default.contentsEqual(atPath: m.modelBlob, andPath: Fixtures.tinyGGUF))
        let p = try #require(m.params)
        #expect(p.temperature == 0.25 && p.topP == 0.8 && p.topK == 20 && p.seed == 7 && p.numCtx == 256)
        #expect(p.stop == ["<|im_end|>", "User:"])
        #expect(m.template == "{{ .Prompt }}")
        #expect(try store.model(OllamaName("someone/tiny-ns")!).params == nil)
    }

    @Test func resolvesByName() throws {
        let r = ModelResolver(environment: ["OLLAMA_MODELS": Fixtures.ollamaStore, "HF_HUB_CACHE": "/nonexistent", "HF_HUB_OFFLINE": "1"])
        let m = try #require(try r.resolveLocal("tiny:q8_0"))
        #expect(m.ollamaParams?.temperature == 0.25)
        #expect(try r.resolveLocal("tiny")?.path == m.path)
        #expect(try r.resolveLocal("someone/tiny-ns")?.path == m.path)
        do {
            _ = try r.resolveLocal("tiny:q4")
            Issue.record("no error")
        } catch let e as HubError {
            #expect(e.description.contains("manifests/registry.ollama.ai/library/tiny/q4"))
        }
    }

    @Test func ambiguousWithTheHuggingFaceCache() throws {
        let root = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = HFCache(root: root)
        let commit = String(repeating: "a", count: 40)
        try put(cache.blobPath("someone/tiny-ns", etag: "e"), "GGUF")
        try cache.link("someone/tiny-ns", commit: commit, file: "tiny-Q8_0.gguf", etag: "e")
        try cache.writeRef("someone/tiny-ns", revision: "main", commit: commit)
        let r = ModelResolver(environment: ["OLLAMA_MODELS": Fixtures.ollamaStore, "HF_HUB_CACHE": root])
        do {
            _ = try r.resolveLocal("someone/tiny-ns")
            Issue.record("no error")
        } catch let e as HubError {
            guard case .ambiguous(_, let readings) = e else { Issue.record("\(e)"); return }
            #expect(readings.count == 2)
            #expect(e.description.contains("Hugging Face repository someone/tiny-ns") && e.description.contains("Ollama model someone/tiny-ns:latest"))
        }
    }

    @Test func missingBlob() throws {
        let root = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let digest = "sha256:" + String(repeating: "0", count: 64)
        try put(root + "/manifests/registry.ollama.ai/library/gone/latest",
                #"{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"\#(digest)","size":4}]}"#)
        let r = ModelResolver(environment: ["OLLAMA_MODELS": root, "HF_HUB_CACHE": root + "/hf"])
        #expect(throws: HubError.missingBlob(manifest: root + "/manifests/registry.ollama.ai/library/gone/latest",
                                             blob: root + "/blobs/sha256-" + String(repeating: "0", count: 64))) {
            try r.resolveLocal("gone")
        }
        try put(root + "/manifests/registry.ollama.ai/library/bad/latest", "not json")
        #expect(throws: HubError.self) { try r.resolveLocal("bad") }
    }

    @Test func catalog() {
        let entries = ModelCatalog.entries(cache: HFCache(root: "/nonexistent"), ollama: store)
        #expect(entries.map(\.reference) == ["someone/tiny-ns:latest", "tiny:latest", "tiny:q8_0"])
        #expect(entries.allSatisfy { $0.architecture == "qwen2" && $0.quant == "Q8_0" && $0.format == "gguf" && $0.size == 132064 })
    }
}
