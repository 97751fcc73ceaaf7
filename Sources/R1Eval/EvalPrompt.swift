// What the model is asked, and what is run for a code answer. Math follows DeepSeek-R1's usage recommendation (no
// system prompt, "Please reason step by step, and put your final answer within \boxed{}."); HumanEval follows the
// instruction DeepSeek-Coder's instruct evaluation uses (Evaluation/HumanEval in deepseek-ai/DeepSeek-Coder).

public enum EvalPrompt {
    public static let mathInstruction = "Please reason step by step, and put your final answer within \\boxed{}."

    /// The one user message for `problem` (no system prompt); the chat template is applied by the model or endpoint.
    public static func userMessage(for problem: EvalProblem) -> String {
        switch problem.check {
        case .code(let prompt, _, _):
            return "Please continue to complete the function. You are not allowed to modify the given code and do the "
                + "completion only. Please return all completed function in a codeblock. Here is the given code to do "
                + "completion:\n```python\n\(prompt.trimmingTrailingNewlines())\n```"
        case .math, .countdown:
            return problem.question + "\n" + mathInstruction
        }
    }

    /// The code of an answer: the last fenced block (```python or ```), else the whole text.
    public static func extractCode(from response: String) -> String {
        let parts = response.components(separatedBy: "```")
        guard parts.count >= 3 else { return response }
        // fenced blocks are the odd-numbered parts; take the last complete one
        let lastOdd = parts.count % 2 == 1 ? parts.count - 2 : parts.count - 3
        var block = Substring(parts[lastOdd])
        if let newline = block.firstIndex(of: "\n"), !block[..<newline].contains(where: { $0.isWhitespace }) {
            block = block[block.index(after: newline)...]  // the language tag
        }
        return String(block)
    }

    /// HumanEval's check program: the prompt, the completion, the tests, `check(entry_point)`. A completion that
    /// repeats the whole function (top-level code) is placed after the prompt and redefines it; a body continues it.
    public static func humanEvalProgram(prompt: String, completion: String, test: String, entryPoint: String) -> String {
        let continues = completion.first == " " || completion.first == "\t"
        let head = continues ? prompt + completion : prompt + "\n    pass\n\n" + completion
        return head + "\n\n" + test + "\n\ncheck(\(entryPoint))\n"
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while s.last == "\n" || s.last == "\r" { s.removeLast() }
        return s
    }
}
