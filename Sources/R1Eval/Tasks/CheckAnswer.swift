// One entry point for rule-checked answers, used by the eval harness and the training recipe's rewards.

/// Whether `response` (a model's answer; anything up to a closing </think> is ignored) solves `problem`.
/// `.code` problems need the sandbox and are the harness's to run: for them this returns false. A bare math gold
/// ("\\sqrt{2}", as datasets store answers) is read as LaTeX, `$…$`, the way math-verify's users pass golds.
public func checkAnswer(_ problem: EvalProblem, response: String) -> Bool {
    var answer = response
    if let r = answer.range(of: "</think>", options: .backwards) { answer = String(answer[r.upperBound...]) }
    switch problem.check {
    case .math(let gold):
        let latexGold = gold.contains("$") || gold.contains("\\boxed") ? gold : "$\(gold)$"
        return MathVerify.verify(gold: MathVerify.parse(latexGold), answer: MathVerify.parse(answer))
    case .countdown(let numbers, let target):
        return Countdown.check(answer: answer, numbers: numbers, target: target)
    case .code:
        return false
    }
}
