// How the harness asks whether a response is right. The real checker (math-verify's rules, countdown expressions)
// plugs in through `AnswerChecking`; code problems are run in the sandbox by `CodeChecker`.

/// One checked response: right or wrong, and the extracted final answer that majority voting groups by.
public struct CheckOutcome: Sendable, Equatable {
    public var correct: Bool
    /// The final answer as the checker reads it (its canonical form); equal keys are one vote in cons@k. nil: no answer.
    public var key: String?

    public init(correct: Bool, key: String?) {
        self.correct = correct
        self.key = key
    }
}

public protocol AnswerChecking: Sendable {
    /// `response` is the answer text (after `</think>`).
    func check(_ problem: EvalProblem, response: String) async -> CheckOutcome
}

/// A checker made of a closure, for plugging in `checkAnswer(_:response:)` without a new type.
public struct ClosureChecker: AnswerChecking {
    let body: @Sendable (EvalProblem, String) async -> CheckOutcome
    public init(_ body: @escaping @Sendable (EvalProblem, String) async -> CheckOutcome) { self.body = body }
    public func check(_ problem: EvalProblem, response: String) async -> CheckOutcome { await body(problem, response) }
}

/// The last `\boxed{...}` (nested braces; `\fbox` too) compared with the gold after light normalization: spaces,
/// `\left`/`\right`, `\dfrac`/`\tfrac`, `\!`, a trailing period and `$` are dropped. A stand-in with no algebra, for
/// the harness's own tests and until the math-verify checker is merged; countdown problems are never right here.
public struct ExactMatchChecker: AnswerChecking {
    public init() {}

    public func check(_ problem: EvalProblem, response: String) async -> CheckOutcome {
        let answer = FinalAnswer.lastBoxed(in: response).map(FinalAnswer.normalize)
        guard case .math(let gold) = problem.check, let a = answer else { return CheckOutcome(correct: false, key: answer) }
        let g = FinalAnswer.normalize(FinalAnswer.lastBoxed(in: gold) ?? gold)
        return CheckOutcome(correct: a == g, key: a)
    }
}

/// Routes code problems to the sandbox and everything else to `answers`.
public struct CodeChecker: AnswerChecking {
    public let sandbox: PythonSandbox
    public let answers: any AnswerChecking

    public init(sandbox: PythonSandbox, answers: any AnswerChecking) {
        self.sandbox = sandbox
        self.answers = answers
    }

    public func check(_ problem: EvalProblem, response: String) async -> CheckOutcome {
        guard case .code(let prompt, let test, let entryPoint) = problem.check else {
            return await answers.check(problem, response: response)
        }
        let completion = EvalPrompt.extractCode(from: response)
        let program = EvalPrompt.humanEvalProgram(prompt: prompt, completion: completion, test: test, entryPoint: entryPoint)
        let result = try? await sandbox.run(program: program)
        return CheckOutcome(correct: result?.passed ?? false, key: nil)
    }
}

public enum FinalAnswer {
    /// The contents of the last `\boxed{...}` or `\fbox{...}` (braces balanced), or of `\boxed 5`.
    public static func lastBoxed(in text: String) -> String? {
        var best: Range<String.Index>?
        for tag in ["\\boxed", "\\fbox"] {
            if let r = text.range(of: tag, options: .backwards), best.map({ r.lowerBound > $0.lowerBound }) ?? true { best = r }
        }
        guard let tag = best else { return nil }
        var i = tag.upperBound
        if i < text.endIndex, text[i] == " " {
            // `\boxed 5`: up to the next space or `$`
            let rest = text[text.index(after: i)...]
            let end = rest.firstIndex(where: { $0 == "$" || $0.isWhitespace }) ?? rest.endIndex
            return rest[..<end].isEmpty ? nil : String(rest[..<end])
        }
        guard i < text.endIndex, text[i] == "{" else { return nil }
        i = text.index(after: i)
        let start = i
        var depth = 1
        while i < text.endIndex {
            switch text[i] {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return String(text[start..<i]) }
            default: break
            }
            i = text.index(after: i)
        }
        return nil
    }

    /// Light normalization for exact matching and as a voting key.
    public static func normalize(_ s: String) -> String {
        var t = s
        for (a, b) in [("\\left", ""), ("\\right", ""), ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\!", ""),
                       ("\\,", ""), ("$", "")] {
            t = t.replacingOccurrences(of: a, with: b)
        }
        t.removeAll { $0.isWhitespace }
        while t.hasSuffix(".") { t.removeLast() }
        return t
    }
}
