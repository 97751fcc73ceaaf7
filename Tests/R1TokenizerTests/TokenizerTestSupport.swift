// Fixture access for the tokenizer tests: tokenizers and golden files under Tests/Fixtures/tokenizers.
import Foundation
@testable import R1Tokenizer

enum TokenizerFixtures {
    static let names = ["r1-distill-qwen-1.5b", "deepseek-v3", "llama3-synthetic", "gpt2-synthetic"]
    /// Tokenizers whose decode(encode(x)) gives x back (gpt2-synthetic adds prefix spaces and drops "#").
    static let roundTripping = ["r1-distill-qwen-1.5b", "deepseek-v3", "llama3-synthetic"]

    static func directory(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tokenizers/\(name)")
    }

    /// Each tokenizer is loaded once per test process.
    static func tokenizer(_ name: String) throws -> Tokenizer {
        try cache.withLock { loaded in
            if let tokenizer = loaded[name] { return tokenizer }
            let tokenizer = try Tokenizer(directory: directory(name))
            loaded[name] = tokenizer
            return tokenizer
        }
    }

    private static let cache = LockedCache()

    /// (input, expected ids) pairs from golden.inp / golden.out (one JSON value per line).
    static func goldens(_ name: String) throws -> [(String, [Int])] {
        let inputs = try jsonLines(directory(name).appendingPathComponent("golden.inp")).map { $0 as! String }
        let outputs = try jsonLines(directory(name).appendingPathComponent("golden.out")).map { $0 as! [Int] }
        precondition(inputs.count == outputs.count)
        return Array(zip(inputs, outputs))
    }

    /// (ids, skipSpecialTokens, expected text) from decode.jsonl.
    static func decodeGoldens(_ name: String) throws -> [([Int], Bool, String)] {
        try jsonLines(directory(name).appendingPathComponent("decode.jsonl")).map {
            let object = $0 as! [String: Any]
            return (object["ids"] as! [Int], object["skip"] as! Bool, object["text"] as! String)
        }
    }

    static func jsonLines(_ url: URL) throws -> [Any] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n", omittingEmptySubsequences: true).map {
            try JSONSerialization.jsonObject(with: Data($0.utf8), options: [.fragmentsAllowed])
        }
    }
}

final class LockedCache: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [String: Tokenizer] = [:]

    func withLock<T>(_ body: (inout [String: Tokenizer]) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&loaded)
    }
}
