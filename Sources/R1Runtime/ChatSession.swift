// A multi-turn conversation over an Engine: keeps the messages, streams each answer through `Engine.generate`, and
// records it. The engine's kept cache makes each turn recompute only the new tail of the prompt.
import Foundation
import R1Tokenizer

public struct ChatTurn: Sendable, Equatable, Codable {
    public var role: String
    public var content: String
    /// The assistant's chain of thought (not sent back to the model: R1 templates drop it).
    public var reasoning: String?

    public init(role: String, content: String, reasoning: String? = nil) {
        self.role = role
        self.content = content
        self.reasoning = reasoning
    }

    enum CodingKeys: String, CodingKey { case role, content, reasoning = "reasoning_content" }
}

public final class ChatSession: @unchecked Sendable {
    public let engine: Engine
    /// An optional system prompt, sent first.
    public var system: String?
    public private(set) var turns: [ChatTurn] = []
    /// Statistics of every answer so far.
    public private(set) var history: [GenerationStats] = []
    private let lock = NSLock()

    public init(engine: Engine, system: String? = nil) {
        self.engine = engine
        self.system = system
    }

    /// The messages as the chat template sees them.
    public var messages: [JinjaValue] {
        var out: [JinjaValue] = []
        if let s = system { out.append(Self.message("system", s)) }
        for t in lock.withLock({ turns }) { out.append(Self.message(t.role, t.content)) }
        return out
    }

    /// Asks `text`; the answer (even one cut short) is recorded when the stream ends.
    public func send(_ text: String, parameters: GenerationParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        lock.withLock { turns.append(ChatTurn(role: "user", content: text)) }
        let inner = engine.generate(.chat(messages: messages), parameters: parameters)
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let task = Task { [self] in
            var reasoning = "", content = ""
            defer {
                lock.withLock {
                    turns.append(ChatTurn(role: "assistant", content: content, reasoning: reasoning.isEmpty ? nil : reasoning))
                }
            }
            do {
                for try await event in inner {
                    switch event {
                    case .reasoning(let s): reasoning += s
                    case .content(let s): content += s
                    case .done(let stats): lock.withLock { history.append(stats) }
                    case .token: break
                    }
                    continuation.yield(event)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Forgets the conversation and the engine's kept cache.
    public func reset() {
        lock.withLock {
            turns = []
            history = []
        }
        engine.resetCache()
    }

    /// The conversation as JSON: {"system": ..., "messages": [{"role", "content", "reasoning_content"}...]}.
    public func jsonData() throws -> Data {
        struct Saved: Codable { var system: String?; var messages: [ChatTurn] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Saved(system: system, messages: lock.withLock { turns }))
    }

    static func message(_ role: String, _ content: String) -> JinjaValue {
        var m = JinjaObject()
        m["role"] = .string(role)
        m["content"] = .string(content)
        return .object(m)
    }
}
