// One blob into the cache: `blobs/ETAG.incomplete` always holds a correct prefix (so this or huggingface_hub resumes it
// with `Range: bytes=N-`), large files come as parallel ranges written in order, the sha256 is checked, then the
// file is renamed into place.
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

struct BlobDownload {
    let client: HubClient
    let url: String
    let destination: String
    let size: Int?
    let sha256: String?
    let name: String
    let progress: DownloadProgress
    var chunkSize = 16 << 20
    var connections = 8

    var incomplete: String { destination + ".incomplete" }

    func run() async throws {
        let fd = open(incomplete, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw HubError.io(path: incomplete, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var hasher = SHA256()
        var have = try hashPrefix(into: &hasher)
        if let s = size, have > s { try truncate(fd); hasher = SHA256(); have = 0 }
        if let s = size { try checkSpace(needed: s - have) }
        progress.start(name, total: size, resumedFrom: have)

        if let s = size, s - have >= 2 * chunkSize, connections > 1 {
            try await parallel(fd: fd, from: have, size: s, hasher: &hasher)
        } else if size.map({ have < $0 }) ?? true {
            try await stream(fd: fd, from: have, hasher: &hasher)
        }
        progress.finish()
        try verify(hasher: hasher)
        guard rename(incomplete, destination) == 0 else {
            throw HubError.io(path: destination, reason: "cannot move the download into place: \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - One stream

    private func stream(fd: Int32, from start: Int, hasher: inout SHA256) async throws {
        var have = start
        let r = try await client.get(url, headers: start > 0 ? [("Range", "bytes=\(start)-")] : [])
        switch r.status.code {
        case 206: break
        case 200:
            if have > 0 { try truncate(fd); hasher = SHA256(); have = 0; progress.reset(to: 0) }  // Range ignored
        case 416 where size == start:
            return
        default:
            throw HubError.http(url: url, status: Int(r.status.code))
        }
        do {
            for try await buffer in r.body {
                try write(fd, buffer, hasher: &hasher)
                have += buffer.readableBytes
                progress.add(buffer.readableBytes)
            }
        } catch let e as HubError {
            throw e
        } catch {
            throw HubError.interrupted(file: name, received: have, expected: size ?? have)
        }
        if let s = size, have < s { throw HubError.interrupted(file: name, received: have, expected: s) }
    }

    // MARK: - Parallel ranges

    /// Ranges of `chunkSize` fetched by up to `connections` tasks, appended in order; at most `connections` chunks
    /// are held in memory.
    private func parallel(fd: Int32, from start: Int, size: Int, hasher: inout SHA256) async throws {
        let ranges = stride(from: start, to: size, by: chunkSize).map { $0..<min($0 + chunkSize, size) }
        var next = 0, written = 0
        var ready: [Int: [ByteBuffer]] = [:]
        try await withThrowingTaskGroup(of: (Int, [ByteBuffer]).self) { group in
            while written < ranges.count {
                while next < ranges.count && next < written + connections {
                    let i = next, range = ranges[i]
                    group.addTask { (i, try await fetch(range)) }
                    next += 1
                }
                guard let (i, buffer) = try await group.next() else { break }
                ready[i] = buffer
                while let buffers = ready.removeValue(forKey: written) {
                    for b in buffers { try write(fd, b, hasher: &hasher) }
                    written += 1
                }
            }
        }
    }

    /// One range as the buffers it arrived in (no copy into one).
    private func fetch(_ range: Range<Int>) async throws -> [ByteBuffer] {
        let r = try await client.get(url, headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")])
        guard r.status.code == 206 else { throw HubError.http(url: url, status: Int(r.status.code)) }
        var out: [ByteBuffer] = []
        var count = 0
        do {
            for try await b in r.body {
                progress.add(b.readableBytes)
                count += b.readableBytes
                out.append(b)
            }
        } catch {
            throw HubError.interrupted(file: name, received: range.lowerBound, expected: size ?? range.upperBound)
        }
        guard count == range.count else {
            throw HubError.interrupted(file: name, received: range.lowerBound, expected: size ?? range.upperBound)
        }
        return out
    }

    // MARK: - File and checks

    private func write(_ fd: Int32, _ buffer: ByteBuffer, hasher: inout SHA256) throws {
        try buffer.withUnsafeReadableBytes { p in
            hasher.update(bufferPointer: p)
            var off = 0
            while off < p.count {
                let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == ENOSPC { throw HubError.diskFull(path: incomplete, needed: size) }
                    throw HubError.io(path: incomplete, reason: String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }

    private func truncate(_ fd: Int32) throws {
        guard ftruncate(fd, 0) == 0 else { throw HubError.io(path: incomplete, reason: String(cString: strerror(errno))) }
    }

    /// Hashes what an earlier run left in the `.incomplete` file; returns its length.
    private func hashPrefix(into hasher: inout SHA256) throws -> Int {
        guard let h = FileHandle(forReadingAtPath: incomplete) else { return 0 }
        defer { try? h.close() }
        var n = 0
        while let d = try h.read(upToCount: 8 << 20), !d.isEmpty {
            hasher.update(data: d)
            n += d.count
        }
        return n
    }

    private func checkSpace(needed: Int) throws {
        let dir = (destination as NSString).deletingLastPathComponent
        if let attrs = try? FileManager.default.attributesOfFileSystem(forPath: dir),
           let free = (attrs[.systemFreeSize] as? NSNumber)?.intValue, free < needed {
            throw HubError.diskFull(path: dir, needed: needed)
        }
    }

    private func verify(hasher: SHA256) throws {
        let got = (try? FileManager.default.attributesOfItem(atPath: incomplete)[.size] as? NSNumber)?.intValue ?? 0
        if let s = size, got != s {
            try? FileManager.default.removeItem(atPath: incomplete)
            throw HubError.sizeMismatch(file: name, expected: s, actual: got)
        }
        guard let want = sha256?.lowercased() else { return }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if digest != want {
            try? FileManager.default.removeItem(atPath: incomplete)
            throw HubError.checksumMismatch(file: name, expected: want, actual: digest)
        }
    }
}
