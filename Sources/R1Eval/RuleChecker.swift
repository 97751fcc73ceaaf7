// The checker `r1 eval` scores with: `checkAnswer` (math-verify's rules for math, exact evaluation for countdown),
// with the parsed final answer as the majority-vote key (equal values share a key: 1/2, 0.5 and \frac{2}{4}).

public struct RuleChecker: AnswerChecking {
    public init() {}

    public func check(_ problem: EvalProblem, response: String) async -> CheckOutcome {
        let parsed = MathVerify.parse(response)
        return CheckOutcome(correct: checkAnswer(problem, response: response),
                            key: parsed.display.isEmpty ? nil : parsed.key.description)
    }
}
