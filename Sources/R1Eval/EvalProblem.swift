// A problem of an eval set: what the model is asked and how its answer is checked. Datasets (JSONL layouts and the
// built-in generators) produce these; the harness samples answers and checks them; R1Train's rewards check the same way.

public struct EvalProblem: Sendable, Equatable {
    public enum Check: Sendable, Equatable {
        /// The final answer must equal `gold` as math-verify decides: `MathVerify.verify(gold:answer:)`, gold first.
        case math(gold: String)
        /// An expression using each of `numbers` at most once, with + − × ÷ and parentheses, whose value is `target`.
        case countdown(numbers: [Int], target: Int)
        /// HumanEval: the completion is appended to `prompt` and run with `test` and `check(entryPoint)` in the sandbox.
        case code(prompt: String, test: String, entryPoint: String)
    }

    public var id: String
    /// The user message (before any instruction the harness appends).
    public var question: String
    public var check: Check

    public init(id: String, question: String, check: Check) {
        self.id = id
        self.question = question
        self.check = check
    }
}
