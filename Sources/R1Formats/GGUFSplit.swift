// A GGUF model in shards, as llama.cpp's gguf-split and gguf-py's `split_max_tensors` write it (and llama_model_load
// reads it): PREFIX-0000K-of-0000N.gguf, every shard carrying `split.no`, `split.count` and `split.tensors.count`, the
// first also every other metadata key. Opened from the first shard's path; the others are found beside it by name,
// and each tensor is read in place from its own shard. A file without `split.count` (or with 1) is a model by itself.
import Foundation

public final class GGUFModelFiles: TensorStore, Sendable {
    /// The shards in order; `parts[0]` holds the metadata.
    public let parts: [GGUFFile]
    private let owner: [String: Int]
    public let tensorNames: [String]

    /// The metadata (tokenizer, chat template, hyperparameters): the first shard.
    public var metadataFile: GGUFFile { parts[0] }
    /// Every tensor of every shard, in shard order.
    public var tensors: [GGUFTensorInfo] { parts.flatMap(\.tensors) }

    /// Opens `path` and, when it is the first shard of a split model, the other shards beside it.
    public convenience init(path: String) throws {
        try self.init(first: GGUFFile(path: path))
    }

    public init(first: GGUFFile) throws {
        let path = first.path
        let count = first.int("split.count") ?? 1
        var parts = [first]
        if count > 1 {
            let no = first.int("split.no") ?? 0
            guard no == 0 else {
                let name = try? Self.shardPaths(first: path, shard: no, count: count).first
                throw FormatError(path, "shard \(no + 1) of a model split into \(count) files; open the first shard"
                                  + (name.map { " (\(($0 as NSString).lastPathComponent))" } ?? ""))
            }
            guard count <= 10_000 else { throw FormatError(path, "split.count \(count) is not a plausible shard count") }
            let paths = try Self.shardPaths(first: path, shard: 0, count: count)
            for (i, p) in paths.enumerated().dropFirst() {
                guard FileManager.default.fileExists(atPath: p) else {
                    throw FormatError(path, "shard \(i + 1) of \(count) is missing: no file \(p)")
                }
                let part = try GGUFFile(path: p)
                guard part.int("split.count") == count, part.int("split.no") == i else {
                    throw FormatError(p, "split.no \(part.int("split.no").map(String.init) ?? "absent") and split.count "
                                      + "\(part.int("split.count").map(String.init) ?? "absent") where shard \(i + 1) of \(count) (split.no \(i)) was expected")
                }
                parts.append(part)
            }
        }
        var owner: [String: Int] = [:]
        var names: [String] = []
        for (i, part) in parts.enumerated() {
            for t in part.tensors {
                if let j = owner[t.name] {
                    throw FormatError(part.path, "tensor '\(t.name)' is also in shard \(j + 1)")
                }
                owner[t.name] = i
                names.append(t.name)
            }
        }
        if count > 1, let expected = first.int("split.tensors.count"), expected != names.count {
            throw FormatError(path, "split.tensors.count is \(expected) but the \(count) shards hold \(names.count) tensors")
        }
        self.parts = parts
        self.owner = owner
        tensorNames = names
    }

    /// The shard paths of a split model from any shard's path: PREFIX-%05d-of-%05d.gguf (llama_split_path).
    /// Throws when `path` is not named that way.
    public static func shardPaths(first path: String, shard: Int, count: Int) throws -> [String] {
        let suffix = String(format: "-%05d-of-%05d.gguf", shard + 1, count)
        guard path.hasSuffix(suffix) else {
            throw FormatError(path, "split into \(count) files, but the name does not end in \(suffix) (llama.cpp's shard naming), so the other shards cannot be found")
        }
        let prefix = String(path.dropLast(suffix.count))
        return (0..<count).map { prefix + String(format: "-%05d-of-%05d.gguf", $0 + 1, count) }
    }

    public func tensor(_ name: String) -> TensorView? {
        owner[name].flatMap { parts[$0].tensor(name) }
    }

    public func requireTensor(_ name: String) throws -> TensorView {
        guard let t = tensor(name) else {
            throw FormatError(parts[0].path, "tensor '\(name)' not found" + (parts.count > 1 ? " in any of the \(parts.count) shards" : ""))
        }
        return t
    }
}
