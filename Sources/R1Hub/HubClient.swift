// The Hugging Face Hub's HTTP protocol as huggingface_hub 2.4 speaks it (hf_api.model_info, file_download.py):
// GET /api/models/REPO/revision/REV?blobs=true for the commit and file list; HEAD /REPO/resolve/REV/FILE, following
// redirects that stay on the same host only, for X-Repo-Commit, X-Linked-Etag or ETag, X-Linked-Size and the download Location.
import AsyncHTTPClient
import Foundation
import R1Formats
import NIOCore
import NIOHTTP1

/// A file of a repository as the model info API lists it.
public struct HubFile: Sendable, Equatable {
    public let path: String
    public let size: Int?
    /// sha256 of LFS files (the large ones), which the download is checked against.
    public let sha256: String?
}

public struct RepoInfo: Sendable {
    public let commit: String
    public let files: [HubFile]
}

/// What HEAD on a resolve URL says about one file.
public struct FileMetadata: Sendable {
    public let commit: String?
    public let etag: String
    public let location: String
    public let size: Int?
}

public final class HubClient: Sendable {
    public let endpoint: String
    let token: String?
    let http: HTTPClient

    /// `$HF_ENDPOINT` (default https://huggingface.co); token from `$HF_TOKEN` or huggingface_hub's token file.
    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        var e = env["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        while e.hasSuffix("/") { e.removeLast() }
        endpoint = e
        token = HFCache.token(environment: env)
        var config = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                              timeout: .init(connect: .seconds(10), read: .seconds(60)))
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func shutdown() async { try? await http.shutdown() }

    // MARK: - Requests

    /// Sends one request; errors before a response mean the host could not be reached.
    func send(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "r1 (huggingface_hub-compatible)")
        if let t = token, sameHost(url, endpoint) { request.headers.add(name: "Authorization", value: "Bearer \(t)") }
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        do {
            return try await http.execute(request, timeout: .seconds(60))
        } catch {
            throw HubError.unreachable(url: url, reason: describe(error))
        }
    }

    /// GET that follows every redirect (the download after `metadata` gave its Location).
    func get(_ url: String, headers: [(String, String)]) async throws -> HTTPClientResponse {
        var url = url
        for _ in 0..<10 {
            let r = try await send(url, headers: headers)
            guard (300..<400).contains(r.status.code), let loc = r.headers.first(name: "Location") else { return r }
            url = absolute(loc, base: url)
        }
        throw HubError.http(url: url, status: 310)
    }

    /// The commit a revision points at and the repository's files (model info API).
    public func repoInfo(_ repo: String, revision: String) async throws -> RepoInfo {
        let url = "\(endpoint)/api/models/\(repo)/revision/\(escapeSegment(revision))?blobs=true"
        let r = try await send(url)
        let body = try await r.body.collect(upTo: 64 << 20)
        try check(r, url: url, repo: repo, revision: revision, file: nil)
        guard let json = try? JSONValue.parse(Data(body.readableBytesView)), let sha = json["sha"]?.string else {
            throw HubError.io(path: url, reason: "the model info answer has no 'sha'; is HF_ENDPOINT a Hugging Face hub?")
        }
        let siblings = json["siblings"]?.array ?? []
        let files = siblings.compactMap { s -> HubFile? in
            guard let name = s["rfilename"]?.string else { return nil }
            let lfs = s["lfs"]
            return HubFile(path: name, size: s["size"]?.int ?? lfs?["size"]?.int, sha256: lfs?["sha256"]?.string)
        }
        return RepoInfo(commit: sha, files: files)
    }

    /// HEAD on the resolve URL, following redirects on the same host only (a renamed repository), as huggingface_hub
    /// does; a redirect elsewhere (the CDN) carries the file's headers itself.
    public func metadata(_ repo: String, revision: String, file: String) async throws -> FileMetadata {
        var url = "\(endpoint)/\(repo)/resolve/\(escapeSegment(revision))/\(escapePath(file))"
        for _ in 0..<10 {
            let r = try await send(url, method: .HEAD, headers: [("Accept-Encoding", "identity")])
            let h = r.headers
            if (300..<400).contains(r.status.code), let loc = h.first(name: "Location"), sameHost(absolute(loc, base: url), url) {
                url = absolute(loc, base: url)
                continue
            }
            try check(r, url: url, repo: repo, revision: revision, file: file)
            guard let etag = normalizeEtag(h.first(name: "X-Linked-Etag") ?? h.first(name: "ETag")) else {
                throw HubError.io(path: url, reason: "the answer has no ETag, so the file cannot be stored in the cache")
            }
            let redirected = (300..<400).contains(r.status.code)
            let size = h.first(name: "X-Linked-Size").flatMap(Int.init) ?? (redirected ? nil : h.first(name: "Content-Length").flatMap(Int.init))
            let location = h.first(name: "Location").map { absolute($0, base: url) } ?? url
            return FileMetadata(commit: h.first(name: "X-Repo-Commit"), etag: etag, location: location, size: size)
        }
        throw HubError.http(url: url, status: 310)
    }

    /// Maps an error status to its one-line error, as huggingface_hub's hf_raise_for_status reads X-Error-Code.
    func check(_ r: HTTPClientResponse, url: String, repo: String, revision: String, file: String?) throws {
        let code = Int(r.status.code)
        if code < 400 { return }
        let errorCode = r.headers.first(name: "X-Error-Code")
        switch (code, errorCode) {
        case (_, "RepoNotFound"), (_, "RevisionNotFound"):
            throw HubError.repoNotFound(repo: repo, revision: revision)
        case (_, "EntryNotFound"):
            throw HubError.fileNotFound(repo: repo, file: file ?? url)
        case (401, _), (403, _):
            throw HubError.unauthorized(repo: repo, status: code, url: url)
        case (404, _):
            if let f = file { throw HubError.fileNotFound(repo: repo, file: f) }
            throw HubError.repoNotFound(repo: repo, revision: revision)
        default:
            throw HubError.http(url: url, status: code)
        }
    }
}

// MARK: - Helpers

/// `W/"abc"` or `"abc"` -> `abc` (file_download._normalize_etag).
func normalizeEtag(_ etag: String?) -> String? {
    guard var e = etag?.trimmingCharacters(in: .whitespaces), !e.isEmpty else { return nil }
    if e.hasPrefix("W/") { e.removeFirst(2) }
    e = e.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    return e.isEmpty || e.contains("/") ? nil : e
}

func escapeSegment(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
}

func escapePath(_ s: String) -> String { s.split(separator: "/", omittingEmptySubsequences: false).map { escapeSegment(String($0)) }.joined(separator: "/") }

func absolute(_ location: String, base: String) -> String {
    if location.contains("://") { return location }
    return URL(string: location, relativeTo: URL(string: base))?.absoluteString ?? location
}

func sameHost(_ a: String, _ b: String) -> Bool {
    guard let x = URL(string: a), let y = URL(string: b) else { return false }
    return x.host == y.host && x.port == y.port
}

/// A short reason for a transport error ("connection refused", "connect timeout").
func describe(_ error: any Error) -> String {
    let text = String(describing: error)
    if text.contains("connectTimeout") || text.contains("Timeout") { return "connection timed out" }
    if text.contains("connectionRefused") || text.contains("ECONNREFUSED") || text.contains("Connection refused") { return "connection refused" }
    if text.contains("NXDOMAIN") || text.contains("lookup") || text.contains("resolve") { return "host name not found" }
    return text.count > 200 ? String(text.prefix(200)) : text
}
