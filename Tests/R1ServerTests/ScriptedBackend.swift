// A backend that plays a scripted generation (reasoning, then the answer) with no model: the server's tests
// check HTTP shapes against it, and its gate and cancellation counter stand in for the engine's.
import Foundation
@testable import R1Runtime
import R1Sampling
@testable import R1Server
import Synchronization

final class ScriptedBackend: InferenceBackend {
    let modelName = "r1-test"
    let contextLength: Int
    let reasoning: [String]
    let answer: [String]
    /// Pause before each token, to hold a slot.
    let delay: Duration
    /// Whether to send `.reasoning` / `.content` events (false: tokens only, as today's Engine does).
    let gate: AdmissionGate
    let toolCallFormat: ToolCallFormat
    let cancellations = Atomic<Int>(0)
    let lastRequest = Mutex<ServerGenerationRequest?>(nil)

    init(reasoning: [String] = ["Let me ", "think."], answer: [String] = ["The answer", " is 4."], contextLength: Int = 64,
         delay: Duration = .zero, slots: Int = 1, queue: Int = 4, toolCallFormat: ToolCallFormat = .deepseek) {
        self.toolCallFormat = toolCallFormat
        self.reasoning = reasoning
        self.answer = answer
        self.contextLength = contextLength
        self.delay = delay
        self.gate = AdmissionGate(slots: slots, queueCapacity: queue)
    }

    var load: BackendLoad { gate.load }
    var defaultSampling: SamplingParameters { SamplingParameters(temperature: 0.6, topP: 0.95) }
    func tokenText(_ id: Int) -> String { "t\(id)" }

    func generate(_ request: ServerGenerationRequest) throws -> GenerationHandle {
        lastRequest.withLock { $0 = request }
        let promptTokens: Int
        switch request.prompt {
        case .chat(let messages, _): promptTokens = messages.reduce(0) { n, m in
            if case .object(let o) = m, case .string(let s)? = o["content"] { return n + s.split(separator: " ").count + 2 }
            return n + 2
        }
        case .text(let t): promptTokens = t.split(separator: " ").count
        }
        guard promptTokens < contextLength else { throw BackendError.promptTooLong(promptTokens: promptTokens, contextLength: contextLength) }
        guard let ticket = gate.admit() else { throw BackendError.overloaded(retryAfter: 3) }
        let maxTokens = request.parameters.maxTokens
        let pieces: [(String, Bool)] = reasoning.map { ($0, true) } + [("</think>", false)] + answer.map { ($0, false) }
        let (events, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let task = Task { [self] in
            do { try await self.gate.acquire(ticket) } catch {
                self.cancellations.add(1, ordering: .relaxed)
                continuation.finish(throwing: error)
                return
            }
            defer { self.gate.release() }
            var stats = GenerationStats()
            stats.promptTokens = promptTokens
            stats.finishReason = .stop
            for (i, (text, isReasoning)) in pieces.enumerated() {
                if stats.generatedTokens >= maxTokens { stats.finishReason = .length; break }
                if delay > .zero { try? await Task.sleep(for: delay) }
                if Task.isCancelled { self.cancellations.add(1, ordering: .relaxed); stats.finishReason = .cancelled; break }
                stats.generatedTokens += 1
                if isReasoning || text == "</think>" { stats.reasoningTokens += 1 }  // the closing tag counts, as in the runtime
                continuation.yield(.token(GeneratedToken(id: i, logprob: -0.5, top: [TokenLogprob(id: i, logprob: -0.5)], text: text)))
                if text != "</think>" { continuation.yield(isReasoning ? .reasoning(text) : .content(text)) }
            }
            stats.generateSeconds = 0.01
            continuation.yield(.done(stats))
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return GenerationHandle(promptTokens: promptTokens, opensThinking: true, events: events)
    }
}
