// A test-only model whose logits force a chosen token sequence: `next(history)` picks the one token with a high
// logit, so greedy decoding follows the script exactly while the engine, tokenizer and text are real.
import Foundation
import R1Kernels
import R1Models
import R1Runtime
import R1Tokenizer
import Synchronization

final class ScriptedCache: SequenceCache {
    var tokens: [Int] = []
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }
    var count: Int { tokens.count }
    func truncate(to position: Int) { tokens = Array(tokens.prefix(max(0, position))) }
    // its "keys and values" are its tokens, so the shared prompt cache can keep them
    var positionBytes: Int { MemoryLayout<Int>.size }
    func copyPositions(_ range: Range<Int>, to buffer: UnsafeMutableRawPointer) {
        let out = buffer.assumingMemoryBound(to: Int.self)
        for (i, p) in range.enumerated() { out[i] = tokens[p] }
    }
    func appendPositions(_ count: Int, from buffer: UnsafeRawPointer) {
        tokens += UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: Int.self), count: count)
    }
}

final class ScriptedModel: LanguageModel, @unchecked Sendable {
    let vocabSize = 320
    let contextLength: Int
    let next: @Sendable ([Int]) -> Int
    let delay: Double
    /// Tokens run through `forward` so far (prompt tokens included), and forward calls.
    let processed = Atomic<Int>(0)
    let calls = Atomic<Int>(0)

    init(contextLength: Int = 4096, delay: Double = 0, next: @escaping @Sendable ([Int]) -> Int) {
        self.contextLength = contextLength
        self.delay = delay
        self.next = next
    }

    /// Follows `script`: the next token continues the longest script prefix the history ends with (the start
    /// of the script when none does), then repeats the last token.
    convenience init(script: [Int], contextLength: Int = 4096, delay: Double = 0) {
        self.init(contextLength: contextLength, delay: delay) { Self.continuation(of: script, after: $0) }
    }

    static func continuation(of script: [Int], after history: [Int]) -> Int {
        var k = min(script.count - 1, history.count)
        while k > 0 && !history.suffix(k).elementsEqual(script.prefix(k)) { k -= 1 }
        return script[k]
    }

    func makeCache(capacity: Int?, type: KVCacheType) -> ScriptedCache { ScriptedCache(capacity: capacity ?? contextLength) }
    func makeWorkspace() {}

    /// One call per segment, as a model without a batched step would run them.
    func forward(_ segments: [Segment<ScriptedCache>], workspace: Void, pool: ThreadPool) -> [[Float]] {
        segments.map { s in
            s.cache.tokens += s.tokens
            processed.add(s.tokens.count, ordering: .relaxed)
            calls.add(1, ordering: .relaxed)
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            return s.logits == .none ? [] : logits(for: next(s.cache.tokens))
        }
    }

    func logits(for id: Int) -> [Float] {
        var l = [Float](repeating: -5, count: vocabSize)
        l[id] = 5
        return l
    }
}

enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")
    static func model(_ name: String) -> String { root.appendingPathComponent(name).path }
    /// The tiny tokenizer: vocab 320, 316 BOS, 317 EOS, 318 <think>, 319 </think>.
    static let formatter = try! PromptFormatter(path: model("qwen2-tiny"))
    static var tokenizer: Tokenizer { formatter.tokenizer }
    static func ids(_ text: String) -> [Int] { tokenizer.encode(text) }
    static let bos = 316, eos = 317, think = 318, endThink = 319

    /// The same tokenizer without <think> and </think>: a model that does not think.
    static let plainFormatter: PromptFormatter = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("r1-plain-tokenizer-\(getpid())")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let data = try! Data(contentsOf: root.appendingPathComponent("qwen2-tiny/tokenizer.json"))
        var json = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        json["added_tokens"] = (json["added_tokens"] as! [[String: Any]]).filter { ($0["id"] as! Int) < 318 }
        let path = dir.appendingPathComponent("tokenizer.json")
        try! JSONSerialization.data(withJSONObject: json).write(to: path)
        return try! PromptFormatter(path: path.path)
    }()
}

/// Everything one generation produced.
struct Outcome {
    var tokens: [GeneratedToken] = []
    var reasoning = ""
    var content = ""
    var reasoningPieces: [String] = []
    var contentPieces: [String] = []
    var stats = GenerationStats()
    var ids: [Int] { tokens.map(\.id) }
    var text: String { tokens.map(\.text).joined() }
}

func collect(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> Outcome {
    var o = Outcome()
    for try await e in stream {
        switch e {
        case .token(let t): o.tokens.append(t)
        case .reasoning(let s): o.reasoning += s; o.reasoningPieces.append(s)
        case .content(let s): o.content += s; o.contentPieces.append(s)
        case .done(let s): o.stats = s
        }
    }
    return o
}

func greedy(maxTokens: Int = 64, _ edit: (inout GenerationParameters) -> Void = { _ in }) -> GenerationParameters {
    var p = GenerationParameters(maxTokens: maxTokens, sampling: .greedy)
    edit(&p)
    return p
}

func scriptedEngine(_ model: ScriptedModel, formatter: PromptFormatter? = Fixture.formatter) -> Engine {
    Engine(model: model, formatter: formatter, eosTokenIds: [Fixture.eos])
}

/// Polls `condition` until it holds or `seconds` pass (a loaded machine must not turn a race into a hang).
func waitUntil(seconds: Double = 60, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        try await Task.sleep(for: .milliseconds(2))
    }
    return true
}
