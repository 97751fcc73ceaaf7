// Downloading a repository's files into the Hugging Face cache as huggingface_hub's snapshot_download does: model
// info for the commit and files, then per file HEAD -> blobs/ETAG (skipped when present) -> snapshots/COMMIT/FILE.
import Foundation

public struct PulledSnapshot: Sendable {
    public let repo: String
    public let commit: String
    public let folder: String
    public let files: [String]
}

public struct HubPull: Sendable {
    public let client: HubClient
    public let cache: HFCache
    public let progress: DownloadProgress
    /// Parallel ranges per large file.
    public var connections = 8

    public init(client: HubClient, cache: HFCache, progress: DownloadProgress) {
        self.client = client
        self.cache = cache
        self.progress = progress
    }

    /// Pulls the files `select` picks from the repository's list (paths), or those matching `include` globs.
    public func pull(_ repo: String, revision: String = "main", include: [String] = [],
                     select: (([HubFile]) throws -> [String])? = nil) async throws -> PulledSnapshot {
        let info = try await client.repoInfo(repo, revision: revision)
        let names: [String]
        if !include.isEmpty {
            names = info.files.map(\.path).filter { p in include.contains { fnmatch($0, p, 0) == 0 } }
            if names.isEmpty {
                throw HubError.badReference(include.joined(separator: " "), reason: "no file of \(repo) matches --include; files: \(info.files.map(\.path).prefix(30).joined(separator: ", "))")
            }
        } else if let select {
            names = try select(info.files)
        } else {
            names = info.files.map(\.path)
        }
        try createDirectory(cache.repoFolder(repo) + "/blobs")
        cache.writeCacheDirTag()
        try cache.writeRef(repo, revision: revision, commit: info.commit)
        let byPath = Dictionary(info.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for name in names {
            try await fetch(repo, commit: info.commit, file: name, listed: byPath[name])
        }
        return PulledSnapshot(repo: repo, commit: info.commit, folder: cache.snapshotFolder(repo, commit: info.commit), files: names)
    }

    /// One file: HEAD for its etag and location, the blob unless the cache has it, then the snapshot link.
    func fetch(_ repo: String, commit: String, file: String, listed: HubFile?) async throws {
        let meta = try await client.metadata(repo, revision: commit, file: file)
        let blob = cache.blobPath(repo, etag: meta.etag)
        if FileManager.default.fileExists(atPath: blob) {
            progress.message("\(file): already in the cache")
        } else {
            let lfsSHA = listed?.sha256 ?? (isSHA256(meta.etag) ? meta.etag : nil)
            var d = BlobDownload(client: client, url: meta.location, destination: blob, size: meta.size ?? listed?.size,
                                 sha256: lfsSHA, name: file, progress: progress)
            d.connections = connections
            try await d.run()
        }
        try cache.link(repo, commit: commit, file: file, etag: meta.etag)
    }
}

func isSHA256(_ s: String) -> Bool { s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) } }
