// Turns a backend's event stream into what responses need: reasoning and answer text (as deltas while
// streaming), token counts, logprobs, the finish reason. A per-request deadline ends the stream early.
import Foundation
import R1Runtime
import R1Sampling

/// Text to send for one step.
struct TextDelta {
    var reasoning = ""
    var content = ""
    var isEmpty: Bool { reasoning.isEmpty && content.isEmpty }
}

struct GenerationAccumulator {
    let keepTokens: Bool
    var reasoning = ""
    var content = ""
    var tokens: [GeneratedToken] = []
    var completionTokens = 0
    var stats: GenerationStats?
    var timedOut = false
    /// Splits the tokens' text when the backend sends no text events.
    private var splitter: ThinkTagSplitter?
    private var sawReasoning = false
    private var tokensBeforeContent: Int?

    init(opensThinking: Bool, splitsText: Bool = true, keepTokens: Bool) {
        self.keepTokens = keepTokens
        splitter = splitsText ? nil : ThinkTagSplitter(thinking: opensThinking)
    }

    /// Feeds one event; returns the text it adds.
    mutating func consume(_ event: GenerationEvent) -> TextDelta {
        switch event {
        case .token(let t):
            completionTokens += 1
            if keepTokens { tokens.append(t) }
            guard splitter != nil else { return TextDelta() }
            return record(splitter!.feed(t.text))
        case .reasoning(let s):
            guard splitter == nil else { return TextDelta() }
            return record(TextDelta(reasoning: s))
        case .content(let s):
            guard splitter == nil else { return TextDelta() }
            return record(TextDelta(content: s))
        case .done(let s):
            stats = s
            return finish()
        }
    }

    /// Ends the stream: text the splitter held back.
    mutating func finish() -> TextDelta {
        guard splitter != nil else { return TextDelta() }
        return record(splitter!.flush())
    }

    private mutating func record(_ d: TextDelta) -> TextDelta {
        if !d.reasoning.isEmpty { sawReasoning = true }
        if !d.content.isEmpty, tokensBeforeContent == nil { tokensBeforeContent = max(0, completionTokens - 1) }
        reasoning += d.reasoning
        content += d.content
        return d
    }

    /// Tokens of the chain of thought, its closing tag included.
    var reasoningTokens: Int {
        guard sawReasoning else { return 0 }
        return tokensBeforeContent ?? completionTokens
    }

    var finishReason: String {
        if timedOut { return "length" }
        switch stats?.finishReason {
        case .stop?: return "stop"
        case .length?, nil: return "length"
        case .cancelled?: return "stop"
        }
    }
}

/// Splits streamed text into reasoning and answer at `<think>` / `</think>`, holding back a partial tag, for
/// backends whose events carry tokens only. Newlines right after `</think>` are dropped, as the template adds them.
struct ThinkTagSplitter {
    static let open = "<think>", close = "</think>"
    var thinking: Bool
    private var atStart = true
    private var afterClose = false
    private var pending = ""

    init(thinking: Bool) { self.thinking = thinking }

    mutating func feed(_ text: String) -> TextDelta {
        pending += text
        var out = TextDelta()
        if atStart && !thinking {
            let trimmed = pending.drop(while: \.isWhitespace)
            if trimmed.isEmpty || (Self.open.hasPrefix(trimmed) && trimmed.count < Self.open.count) { return out }
            atStart = false
            if trimmed.hasPrefix(Self.open) {
                thinking = true
                pending = String(trimmed.dropFirst(Self.open.count))
            }
        }
        atStart = false
        if thinking {
            if let r = pending.range(of: Self.close) {
                out.reasoning = String(pending[..<r.lowerBound])
                pending = String(pending[r.upperBound...])
                thinking = false
                afterClose = true
            } else {
                let keep = Self.partialSuffix(pending, of: Self.close)
                out.reasoning = String(pending.dropLast(keep))
                pending = String(pending.suffix(keep))
                return out
            }
        }
        if afterClose {
            pending = String(pending.drop(while: \.isNewline))
            if pending.isEmpty { return out }
            afterClose = false
        }
        out.content = pending
        pending = ""
        return out
    }

    mutating func flush() -> TextDelta {
        defer { pending = "" }
        if thinking { return TextDelta(reasoning: pending) }
        return TextDelta(content: afterClose ? String(pending.drop(while: \.isNewline)) : pending)
    }

    /// Length of the longest suffix of `text` that starts `tag` (a tag that may complete with the next token).
    static func partialSuffix(_ text: String, of tag: String) -> Int {
        for n in stride(from: min(tag.count - 1, text.count), to: 0, by: -1) where tag.hasPrefix(text.suffix(n)) {
            return n
        }
        return 0
    }
}

/// Thrown into a stream whose request ran past its timeout.
struct GenerationTimeout: Error {}

enum EventStreams {
    /// `events`, ended with `GenerationTimeout` after `seconds`; ending it early cancels the source.
    static func limited(_ events: AsyncThrowingStream<GenerationEvent, any Error>, seconds: Double?)
        -> AsyncThrowingStream<GenerationEvent, any Error>
    {
        guard let seconds, seconds > 0 else { return events }
        let (out, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let pump = Task {
            do {
                for try await e in events { continuation.yield(e) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(seconds))
            pump.cancel()
            continuation.finish(throwing: GenerationTimeout())
        }
        continuation.onTermination = { _ in
            pump.cancel()
            timer.cancel()
        }
        return out
    }
}
