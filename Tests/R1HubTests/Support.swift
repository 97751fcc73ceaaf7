// Fixture paths and scratch folders for the R1Hub tests.
import Foundation

enum Fixtures {
    /// Tests/Fixtures, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    static var ollamaStore: String { root + "/ollama" }
    static var tinyGGUF: String { root + "/models/qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf" }
}

/// A fresh folder under the temporary directory, removed by the caller's `defer`.
func scratchFolder() throws -> String {
    let p = NSTemporaryDirectory() + "r1hub-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    return p
}

/// Writes a file, creating its folders.
func put(_ path: String, _ text: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}
