// The Hugging Face cache as huggingface_hub lays it out (file_download.py, constants.py):
// ROOT/models--ORG--REPO/{blobs/ETAG, snapshots/COMMIT/PATH -> ../../blobs/ETAG, refs/REVISION = COMMIT}.
import Foundation

public struct HFCache: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`.
    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        if let c = env["HF_HUB_CACHE"], !c.isEmpty {
            root = expandTilde(c)
        } else {
            root = HFCache.home(environment: env) + "/hub"
        }
    }

    /// `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` (where the token file lives).
    public static func home(environment env: [String: String]) -> String {
        if let h = env["HF_HOME"], !h.isEmpty { return expandTilde(h) }
        let xdg = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : expandTilde($0) } ?? expandTilde("~/.cache")
        return xdg + "/huggingface"
    }

    /// `$HF_TOKEN`, else the token file huggingface_hub writes (`$HF_TOKEN_PATH`, else `$HF_HOME/token`).
    public static func token(environment env: [String: String]) -> String? {
        if let t = env["HF_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty { return t }
        let path = env["HF_TOKEN_PATH"].map(expandTilde) ?? home(environment: env) + "/token"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }

    // MARK: - Layout

    public func repoFolder(_ repo: String) -> String { root + "/models--" + repo.replacingOccurrences(of: "/", with: "--") }
    public func blobPath(_ repo: String, etag: String) -> String { repoFolder(repo) + "/blobs/" + etag }
    public func snapshotFolder(_ repo: String, commit: String) -> String { repoFolder(repo) + "/snapshots/" + commit }
    public func refPath(_ repo: String, revision: String) -> String { repoFolder(repo) + "/refs/" + revision }

    /// The commit a revision names locally: a commit hash with a snapshot, or the content of `refs/REVISION`.
    public func commit(_ repo: String, revision: String) -> String? {
        if isCommitHash(revision) {
            return FileManager.default.fileExists(atPath: snapshotFolder(repo, commit: revision)) ? revision : nil
        }
        guard let text = try? String(contentsOfFile: refPath(repo, revision: revision), encoding: .utf8) else { return nil }
        let c = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return c.isEmpty ? nil : c
    }

    /// Files of a snapshot, as paths relative to it, sorted; only those whose link resolves.
    public func snapshotFiles(_ repo: String, commit: String) -> [String] {
        let folder = snapshotFolder(repo, commit: commit)
        guard let e = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + p, isDirectory: &isDir), !isDir.boolValue { out.append(p) }
        }
        return out.sorted()
    }

    /// Repositories in the cache ("ORG/REPO"), sorted.
    public func repos() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return names.filter { $0.hasPrefix("models--") }.map {
            String($0.dropFirst("models--".count)).replacingOccurrences(of: "--", with: "/")
        }.sorted()
    }

    /// Refs of a repository: revision name -> commit.
    public func refs(_ repo: String) -> [String: String] {
        let folder = repoFolder(repo) + "/refs"
        guard let e = FileManager.default.enumerator(atPath: folder) else { return [:] }
        var out: [String: String] = [:]
        while let p = e.nextObject() as? String {
            if let c = try? String(contentsOfFile: folder + "/" + p, encoding: .utf8) {
                let t = c.trimmingCharacters(in: .whitespacesAndNewlines)
                if !t.isEmpty { out[p] = t }
            }
        }
        return out
    }

    // MARK: - Writing

    /// The cache directory tag huggingface_hub writes at the root so backup tools skip the cache (bford.info/cachedir).
    public func writeCacheDirTag() {
        let path = root + "/CACHEDIR.TAG"
        guard !FileManager.default.fileExists(atPath: path) else { return }
        let text = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by huggingface_hub.\n"
            + "# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n"
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Writes `refs/REVISION` when the revision is a name (huggingface_hub writes the bare hash, no newline).
    public func writeRef(_ repo: String, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let path = refPath(repo, revision: revision)
        if (try? String(contentsOfFile: path, encoding: .utf8)) == commit { return }
        try createDirectory((path as NSString).deletingLastPathComponent)
        do { try Data(commit.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw HubError.io(path: path, reason: "cannot write the ref: \(error.localizedDescription)")
        }
    }

    /// Links `snapshots/COMMIT/FILE` to `blobs/ETAG` by a relative symlink, as huggingface_hub's `_create_symlink`.
    public func link(_ repo: String, commit: String, file: String, etag: String) throws {
        let pointer = snapshotFolder(repo, commit: commit) + "/" + file
        let dir = (pointer as NSString).deletingLastPathComponent
        try createDirectory(dir)
        let depth = file.split(separator: "/").count + 1  // snapshots/COMMIT plus the file's own folders
        let target = String(repeating: "../", count: depth) + "blobs/" + etag
        let fm = FileManager.default
        if let existing = try? fm.destinationOfSymbolicLink(atPath: pointer), existing == target { return }
        try? fm.removeItem(atPath: pointer)
        do { try fm.createSymbolicLink(atPath: pointer, withDestinationPath: target) } catch {
            throw HubError.io(path: pointer, reason: "cannot create the snapshot link: \(error.localizedDescription)")
        }
    }
}

func createDirectory(_ path: String) throws {
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
        throw HubError.io(path: path, reason: "cannot create the folder: \(error.localizedDescription)")
    }
}

func expandTilde(_ path: String) -> String { (path as NSString).expandingTildeInPath }

/// A full 40-hex-digit git commit hash, which huggingface_hub never resolves through `refs/`.
public func isCommitHash(_ s: String) -> Bool {
    s.utf8.count == 40 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
}
