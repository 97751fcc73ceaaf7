// What `r1` with no arguments shows: one built-in arithmetic problem (difficulty 1, a fixed seed) posed through the
// model's chat template as `r1 eval` poses it, answered greedily under a token cap, and checked by `checkAnswer`.
import R1Runtime
import R1Sampling

public struct ReasoningDemo: Sendable {
    public static let seed: UInt64 = 1
    public static let difficulty = 1

    public let problem: EvalProblem
    public let maxTokens: Int

    /// `maxTokens` caps thinking and answer together; thinking is told to end after three quarters of it.
    public init(maxTokens: Int = 400, seed: UInt64 = ReasoningDemo.seed) {
        problem = ArithmeticTask.generate(seed: seed, difficulty: Self.difficulty, count: 1)[0]
        self.maxTokens = maxTokens
    }

    /// The correct answer.
    public var expected: String {
        if case .math(let gold) = problem.check { return gold }
        return ""
    }

    public var request: GenerationRequest {
        .chat(messages: [PromptFormatter.userMessage(EvalPrompt.userMessage(for: problem))])
    }

    /// Greedy, `maxTokens` in all, the thinking budget three quarters of it.
    public var parameters: GenerationParameters {
        GenerationParameters(maxTokens: maxTokens, sampling: .greedy, thinkingBudget: max(1, maxTokens * 3 / 4))
    }

    public struct Outcome: Sendable {
        public var reasoning = ""
        public var answer = ""
        public var correct = false
        public var stats = GenerationStats()
    }

    /// Generates on `engine`, handing every reasoning and answer piece to `onEvent` as it comes, then checks the answer.
    public func run(on engine: Engine, onEvent: (GenerationEvent) -> Void) async throws -> Outcome {
        var out = Outcome()
        for try await event in engine.generate(request, parameters: parameters) {
            switch event {
            case .reasoning(let s): out.reasoning += s
            case .content(let s): out.answer += s
            case .done(let s): out.stats = s
            case .token: break
            }
            onEvent(event)
        }
        out.correct = checkAnswer(problem, response: out.answer)
        return out
    }
}
