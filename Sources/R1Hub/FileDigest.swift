// The sha256 a model is known by in Ollama's listings (/api/tags, /api/ps): an Ollama blob's own name, else the
// hash of the model's bytes (a GGUF file, or a folder's files in name order), read in 4 MiB pieces.
import Crypto
import Foundation

public enum FileDigest {
    /// Hex sha256 of `path`'s model: `blobs/sha256-HEX` gives HEX without reading; a file is hashed; a folder's
    /// regular files are hashed one after another in name order. "" when nothing can be read.
    public static func model(at path: String) -> String {
        let name = (path as NSString).lastPathComponent
        if name.hasPrefix("sha256-"), name.count == 71 { return String(name.dropFirst(7)) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return "" }
        var files = [path]
        if isDir.boolValue {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            files = names.map { (path as NSString).appendingPathComponent($0) }.filter {
                var d: ObjCBool = false
                return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue
            }
        }
        var hasher = SHA256()
        for file in files {
            guard let handle = FileHandle(forReadingAtPath: file) else { return "" }
            defer { try? handle.close() }
            while let chunk = try? handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
