// Paths of the committed fixtures, and a scripted sample source for the harness tests.
import Foundation
@testable import R1Eval
import Synchronization

let testsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let evalFixtures = testsRoot.appendingPathComponent("Fixtures/eval")

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("r1eval-\(UUID().uuidString)-\(name)").path
}

/// Answers `\boxed{<answer(message, seed)>}` after a line of reasoning; records what it was asked.
final class ScriptedSource: SampleSource {
    let label = "scripted"
    let answer: @Sendable (String, UInt64) -> String
    let calls = Mutex<[(String, UInt64)]>([])
    let inFlight = Atomic<Int>(0)
    let maxInFlight = Atomic<Int>(0)
    let delay: Duration

    init(delay: Duration = .zero, answer: @escaping @Sendable (String, UInt64) -> String) {
        self.answer = answer
        self.delay = delay
    }

    func sample(userMessage: String, seed: UInt64, sampling: EvalSampling) async throws -> GeneratedSample {
        calls.withLock { $0.append((userMessage, seed)) }
        let now = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        maxInFlight.max(now, ordering: .relaxed)
        defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
        if delay > .zero { try await Task.sleep(for: delay) }
        return GeneratedSample(reasoning: "thinking about seed \(seed)", content: "So it is \\boxed{\(answer(userMessage, seed))}.",
                               reasoningTokens: 10, answerTokens: 5, finishReason: "stop")
    }

    func shutdown() async {}
}
