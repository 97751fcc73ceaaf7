// The Hugging Face cache layout (huggingface_hub's file_download.py) and resolving references from it.
import Foundation
import Testing
@testable import R1Hub

@Suite struct HFCacheTests {
    let commit = "0123456789abcdef0123456789abcdef01234567"

    @Test func rootAndToken() throws {
        #expect(HFCache(environment: ["HF_HUB_CACHE": "/c", "HF_HOME": "/h"]).root == "/c")
        #expect(HFCache(environment: ["HF_HOME": "/h"]).root == "/h/hub")
        #expect(HFCache(environment: ["XDG_CACHE_HOME": "/x"]).root == "/x/huggingface/hub")
        #expect(HFCache(environment: [:]).root.hasSuffix("/.cache/huggingface/hub"))
        let home = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: home) }
        try put(home + "/token", "hf_file\n")
        #expect(HFCache.token(environment: ["HF_HOME": home]) == "hf_file")
        #expect(HFCache.token(environment: ["HF_HOME": home, "HF_TOKEN": "hf_env"]) == "hf_env")
        #expect(HFCache.token(environment: ["HF_HOME": home + "/none"]) == nil)
    }

    @Test func layout() throws {
        let root = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = HFCache(root: root)
        #expect(cache.repoFolder("Org/Repo") == root + "/models--Org--Repo")
        try put(cache.blobPath("Org/Repo", etag: "e1"), "{}")
        try put(cache.blobPath("Org/Repo", etag: "e2"), "x")
        try cache.link("Org/Repo", commit: commit, file: "config.json", etag: "e1")
        try cache.link("Org/Repo", commit: commit, file: "sub/dir/w.txt", etag: "e2")
        try cache.writeRef("Org/Repo", revision: "main", commit: commit)
        let fm = FileManager.default
        #expect(try fm.destinationOfSymbolicLink(atPath: cache.snapshotFolder("Org/Repo", commit: commit) + "/config.json") == "../../blobs/e1")
        #expect(try fm.destinationOfSymbolicLink(atPath: cache.snapshotFolder("Org/Repo", commit: commit) + "/sub/dir/w.txt") == "../../../../blobs/e2")
        #expect(try String(contentsOfFile: root + "/models--Org--Repo/refs/main", encoding: .utf8) == commit)  // no newline
        #expect(cache.commit("Org/Repo", revision: "main") == commit)
        #expect(cache.commit("Org/Repo", revision: commit) == commit)
        #expect(cache.commit("Org/Repo", revision: "dev") == nil)
        #expect(cache.snapshotFiles("Org/Repo", commit: commit) == ["config.json", "sub/dir/w.txt"])
        #expect(cache.repos() == ["Org/Repo"])
        #expect(cache.refs("Org/Repo") == ["main": commit])
    }

    @Test func resolvesFromTheCache() throws {
        let root = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = HFCache(root: root)
        for (i, f) in ["M-Q4_K_M.gguf", "M-Q8_0.gguf"].enumerated() {
            try put(cache.blobPath("Org/M-GGUF", etag: "g\(i)"), "GGUF")
            try cache.link("Org/M-GGUF", commit: commit, file: f, etag: "g\(i)")
        }
        try cache.writeRef("Org/M-GGUF", revision: "main", commit: commit)
        let env = ["HF_HUB_CACHE": root, "OLLAMA_MODELS": root + "/ollama", "HF_HUB_OFFLINE": "1"]
        let r = ModelResolver(environment: env)
        let snap = cache.snapshotFolder("Org/M-GGUF", commit: commit)
        #expect(try r.resolveLocal("Org/M-GGUF")?.paths == [snap + "/M-Q4_K_M.gguf"])
        #expect(try r.resolveLocal("hf.co/Org/M-GGUF:q8_0")?.paths == [snap + "/M-Q8_0.gguf"])
        #expect(try r.resolveLocal("Org/M-GGUF@\(commit)")?.paths == [snap + "/M-Q4_K_M.gguf"])
        // Offline, a quant that is not cached cannot be pulled.
        #expect(throws: HubError.offline("Org/M-GGUF:Q2_K")) { try r.resolveLocal("Org/M-GGUF:Q2_K") }
        // Online, a missing reference is left to the pull (nil).
        var online = env
        online["HF_HUB_OFFLINE"] = nil
        #expect(try ModelResolver(environment: online).resolveLocal("Org/Other") == nil)
        #expect(throws: HubError.self) { try r.resolveLocal("/no/such/file.gguf") }
    }
}
