// Bad model files give one-line errors naming the file, tensor or value: never a crash or a silent wrong answer.
import Foundation
import Testing
import R1Models

/// A scratch copy of a fixture model that a test may damage.
func damagedCopy(of fixture: String, _ damage: (URL) throws -> Void) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("r1-damaged-\(UUID().uuidString)")
    let src = fixturesRoot.appendingPathComponent(fixture)
    var isDir: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: src.path, isDirectory: &isDir)
    if isDir.boolValue {
        try FileManager.default.copyItem(at: src, to: dir)
        try damage(dir)
        return dir
    }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent(src.lastPathComponent)
    try FileManager.default.copyItem(at: src, to: file)
    try damage(file)
    return file
}

/// Replaces the first occurrence of `old` with `new` (same length) in a file's bytes.
func patch(_ url: URL, _ old: String, _ new: String) throws {
    precondition(old.utf8.count == new.utf8.count)
    var data = try Data(contentsOf: url)
    guard let r = data.range(of: Data(old.utf8)) else { throw ModelError("'\(old)' not in \(url.lastPathComponent)") }
    data.replaceSubrange(r, with: Data(new.utf8))
    try data.write(to: url)
}

func loadError(_ path: URL) -> String? {
    do { _ = try ModelLoader.load(path: path.path); return nil } catch { return "\(error)" }
}

@Test func missingConfigIsNamed() throws {
    let dir = try damagedCopy(of: "qwen2-tiny") { try FileManager.default.removeItem(at: $0.appendingPathComponent("config.json")) }
    let e = try #require(loadError(dir))
    #expect(e.contains("config.json"))
}

@Test func unknownModelTypeIsNamed() throws {
    let dir = try damagedCopy(of: "qwen2-tiny") { try patch($0.appendingPathComponent("config.json"), "\"qwen2\"", "\"qwen9\"") }
    let e = try #require(loadError(dir))
    #expect(e.contains("unknown model_type 'qwen9'"))
}

@Test func shapeDisagreeingWithConfigIsNamed() throws {
    let dir = try damagedCopy(of: "qwen2-tiny") { try patch($0.appendingPathComponent("config.json"), "\"intermediate_size\": 128", "\"intermediate_size\": 256") }
    let e = try #require(loadError(dir))
    #expect(e.contains("model.layers.0.mlp.gate_proj.weight") && e.contains("expected [256, 64]"))
}

@Test func missingTensorIsNamed() throws {
    let dir = try damagedCopy(of: "qwen2-tiny") { try patch($0.appendingPathComponent("model.safetensors"), "model.norm.weight", "model.norn.weight") }
    let e = try #require(loadError(dir))
    #expect(e.contains("model.norm.weight"))
}

@Test func truncatedGGUFIsAnError() throws {
    for fraction in [0.01, 0.3, 0.999] {
        let file = try damagedCopy(of: "qwen2-tiny-gguf/qwen2-tiny-f32.gguf") { url in
            let data = try Data(contentsOf: url)
            try data.prefix(Int(Double(data.count) * fraction)).write(to: url)
        }
        let e = try #require(loadError(file))
        #expect(e.contains("qwen2-tiny-f32.gguf"))
    }
}

@Test func unknownGGUFArchitectureIsNamed() throws {
    let file = try damagedCopy(of: "qwen2-tiny-gguf/qwen2-tiny-f32.gguf") { try patch($0, "general.architecture\u{08}\u{00}\u{00}\u{00}\u{05}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}qwen2", "general.architecture\u{08}\u{00}\u{00}\u{00}\u{05}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}gpt99") }
    let e = try #require(loadError(file))
    #expect(e.contains("unknown architecture 'gpt99'"))
}

@Test func badContextIsNamed() throws {
    #expect(throws: ModelError.self) { try ModelLoader.load(path: fixturesRoot.appendingPathComponent("qwen2-tiny").path, contextLength: 0) }
    let e = try #require(loadError(fixturesRoot.appendingPathComponent("no-such-model")))
    #expect(e.contains("no-such-model"))
}
