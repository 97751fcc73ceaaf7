// Shared helpers: fixture paths, expected.json, temp files, byte builders and error-message checks.
import Foundation
import Testing
@testable import R1Formats

enum Fixtures {
    /// Tests/Fixtures/formats, found from this file's path.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/formats")

    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    static let expected: JSONValue = {
        try! JSONValue.load(path: path("expected.json"))
    }()
}

/// A fresh temporary directory per test, removed at deinit.
final class TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("r1formats-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` and returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let u = url.appendingPathComponent(name)
        try! FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(bytes).write(to: u)
        return u.path
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }
}

/// Runs `body`, which must throw a FormatError whose message contains every fragment.
func expectFormatError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a FormatError containing \(fragments)", sourceLocation: sourceLocation)
    } catch let e as FormatError {
        let text = e.description
        #expect(!text.contains("\n"), "message is not one line: \(text)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(text.contains(f), "'\(text)' does not mention '\(f)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a FormatError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}

func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// Little-endian byte builders for hand-made files.
extension Array where Element == UInt8 {
    mutating func u32(_ v: UInt32) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func ggufString(_ s: String) {
        u64(UInt64(s.utf8.count))
        append(contentsOf: s.utf8)
    }
}

/// Decodes the first `n` elements of an F32/F16/BF16/Q8_0 tensor to Float.
func firstValues(_ data: UnsafeRawBufferPointer, typeName: String, count n: Int) -> [Float] {
    switch typeName {
    case "F32":
        return (0..<n).map { data.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
    case "F16":
        return (0..<n).map { Float(Float16(bitPattern: data.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
    case "BF16":
        return (0..<n).map { Float(bitPattern: UInt32(data.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) }
    case "Q8_0":
        // Block of 32: f16 scale d, then 32 int8 quants; value = d * q.
        return (0..<n).map { i in
            let block = i / 32 * 34
            let d = Float(Float16(bitPattern: data.loadUnaligned(fromByteOffset: block, as: UInt16.self)))
            let q = Int8(bitPattern: data[block + 2 + i % 32])
            return d * Float(q)
        }
    default:
        Issue.record("no decoder for \(typeName)")
        return []
    }
}
