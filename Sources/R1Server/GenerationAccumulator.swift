// Turns a backend's event stream into what responses need: reasoning and answer text (as deltas while
// streaming), token counts, logprobs, the finish reason. A per-request deadline ends the stream early.
import Foundation
import R1Runtime
import R1Sampling

/// Text to send for one step.
struct TextDelta: Sendable {
    var reasoning = ""
    var content = ""
    var isEmpty: Bool { reasoning.isEmpty && content.isEmpty }
}

struct GenerationAccumulator: Sendable {
    let keepTokens: Bool
    var reasoning = ""
    var content = ""
    var tokens: [GeneratedToken] = []
    var completionTokens = 0
    var stats: GenerationStats?
    var timedOut = false
    private var sawReasoning = false
    private var tokensBeforeContent: Int?

    init(keepTokens: Bool) {
        self.keepTokens = keepTokens
    }

    /// Feeds one event; returns the text it adds.
    mutating func consume(_ event: GenerationEvent) -> TextDelta {
        switch event {
        case .token(let t):
            completionTokens += 1
            if keepTokens { tokens.append(t) }
            return TextDelta()
        case .reasoning(let s):
            return record(TextDelta(reasoning: s))
        case .content(let s):
            return record(TextDelta(content: s))
        case .done(let s):
            stats = s
            return TextDelta()
        }
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
        if let s = stats { return s.reasoningTokens }
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
