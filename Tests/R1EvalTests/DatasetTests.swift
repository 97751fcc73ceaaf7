// Dataset layouts told apart by their fields, the problems they give, and errors naming file, line and field.
import Foundation
@testable import R1Eval
import Testing

@Suite struct DatasetTests {
    func parse(_ lines: [String], fields: EvalDataset.Fields? = nil) throws -> EvalDataset {
        try EvalDataset.parse(Data(lines.joined(separator: "\n").utf8), path: "set.jsonl", fields: fields)
    }

    func error(_ lines: [String], fields: EvalDataset.Fields? = nil) -> String {
        do {
            _ = try parse(lines, fields: fields)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func gsm8k() throws {
        let d = try parse([#"{"question": "Janet has 3 ducks...", "answer": "3 + 4 = <<3+4=7>>7\n#### 1,007"}"#, ""])
        #expect(d.layout == .gsm8k)
        #expect(d.problems == [EvalProblem(id: "set.jsonl:1", question: "Janet has 3 ducks...", check: .math(gold: "1007"))])
    }

    @Test func mathWithAnswerOrSolution() throws {
        let d = try parse([#"{"problem": "Find x.", "answer": "\\frac{1}{2}", "unique_id": "test/algebra/1.json"}"#,
                           #"{"problem": "Find y.", "solution": "So $y = \\boxed{\\sqrt{2}}$."}"#])
        #expect(d.layout == .math)
        #expect(d.problems.map(\.id) == ["test/algebra/1.json", "set.jsonl:2"])
        #expect(d.problems.map(\.check) == [.math(gold: "\\frac{1}{2}"), .math(gold: "\\sqrt{2}")])
    }

    @Test func aimeWithCapitalizedFields() throws {
        let d = try parse([#"{"ID": "2024-I-1", "Problem": "How many?", "Answer": 204}"#])
        #expect(d.layout == .aime)
        #expect(d.problems == [EvalProblem(id: "2024-I-1", question: "How many?", check: .math(gold: "204"))])
    }

    @Test func humanEvalFixture() throws {
        let d = try EvalDataset.load(path: evalFixtures.appendingPathComponent("humaneval-mini.jsonl").path)
        #expect(d.layout == .humanEval)
        #expect(d.problems.count == 4)
        #expect(d.canonicalSolutions.count == 4)
        guard case .code(let prompt, _, let entry) = d.problems[2].check else { throw TestFailure("not code") }
        #expect(entry == "digit_sum")
        #expect(d.problems[2].question == prompt)
    }

    @Test func customFields() throws {
        let f = EvalDataset.Fields(question: "q", answer: "a")
        let d = try parse([#"{"q": "2+2?", "a": 4}"#], fields: f)
        #expect(d.layout == .custom)
        #expect(d.problems[0].check == .math(gold: "4"))
        #expect(error([#"{"q": "2+2?"}"#], fields: f) == "set.jsonl:1: missing field 'a' (custom layout)")
    }

    @Test func errorsNameFileLineAndField() {
        #expect(error([#"{"question": "a", "answer": "b\n#### 1"}"#, #"{"question": "c"}"#])
                == "set.jsonl:2: missing field 'answer' (gsm8k layout)")
        #expect(error([#"{"question": "a", "answer": "no final line"}"#])
                == "set.jsonl:1: field 'answer' has no '#### N' final line (GSM8K layout)")
        #expect(error([#"{"problem": "a", "solution": "no box"}"#]) == "set.jsonl:1: field 'solution' has no \\boxed{} answer (MATH layout)")
        #expect(error([#"{"problem": "a"}"#]) == "set.jsonl:1: missing field 'answer' or 'solution' (MATH layout: problem, answer)")
        #expect(error(["", #"{"problem": "a", "answer": "1"}"#, "{oops"]).hasPrefix("set.jsonl:3: not JSON: "))
        #expect(error(["[1, 2]"]) == "set.jsonl:1: expected a JSON object")
        #expect(error([#"{"text": "x"}"#]).hasPrefix("set.jsonl:1: cannot tell the layout from the fields [\"text\"]"))
        #expect(error(["", "  "]) == "set.jsonl: no problems (the file has no JSON lines)")
        #expect(error([#"{"problem": "a", "answer": "1", "id": 7}"#, #"{"problem": "b", "answer": "2", "id": 7}"#])
                == "set.jsonl:2: duplicate problem id '7'")
        #expect(error([#"{"problem": "a", "answer": [1]}"#]) == "set.jsonl:1: field 'answer' is [1], not text or a number")
        do {
            _ = try EvalDataset.load(path: "/nonexistent/set.jsonl")
            Issue.record("no error")
        } catch {
            #expect("\(error)" == "/nonexistent/set.jsonl: no such file")
        }
    }

    @Test func prompts() {
        let math = EvalProblem(id: "1", question: "What is 2+2?", check: .math(gold: "4"))
        #expect(EvalPrompt.userMessage(for: math)
                == "What is 2+2?\nPlease reason step by step, and put your final answer within \\boxed{}.")
        let code = EvalProblem(id: "c", question: "def f():\n", check: .code(prompt: "def f():\n", test: "", entryPoint: "f"))
        #expect(EvalPrompt.userMessage(for: code).hasSuffix("completion:\n```python\ndef f():\n```"))
    }

    @Test func codeExtraction() {
        #expect(EvalPrompt.extractCode(from: "Here:\n```python\ndef f():\n    return 1\n```\nDone.") == "def f():\n    return 1\n")
        #expect(EvalPrompt.extractCode(from: "```\nx = 1\n```\nand\n```py\ny = 2\n```") == "y = 2\n")
        #expect(EvalPrompt.extractCode(from: "    return 1\n") == "    return 1\n")
        #expect(EvalPrompt.extractCode(from: "```python\nx = 1\n```\nthen ```unclosed") == "x = 1\n")
    }

    @Test func boxedExtraction() {
        #expect(FinalAnswer.lastBoxed(in: "a \\boxed{1} b \\boxed{\\frac{1}{2}} c") == "\\frac{1}{2}")
        #expect(FinalAnswer.lastBoxed(in: "\\boxed 5$") == "5")
        #expect(FinalAnswer.lastBoxed(in: "\\boxed{unclosed") == nil)
        #expect(FinalAnswer.lastBoxed(in: "none") == nil)
        #expect(FinalAnswer.normalize("\\left( 1, \\dfrac{1}{2} \\right).") == "(1,\\frac{1}{2})")
    }
}
