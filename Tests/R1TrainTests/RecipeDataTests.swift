// The recipe's search traces: every trace ends in an answer the checker accepts, every step it writes is true
// arithmetic, held-out problems are never written, and prompt-completion lines learn the completion and EOS only.
import Foundation
import Testing
import R1Eval
import R1Tokenizer
import R1Train

/// Every "a op b = c" a trace claims (op one of + − × ÷), checked.
func falseClaims(_ trace: String) -> [String] {
    var bad: [String] = []
    let pattern = try! NSRegularExpression(pattern: "(\\d+) ([+−×÷]) (\\d+) = (\\d+)")
    let ns = trace as NSString
    for m in pattern.matches(in: trace, range: NSRange(location: 0, length: ns.length)) {
        let a = Int(ns.substring(with: m.range(at: 1)))!, op = ns.substring(with: m.range(at: 2))
        let b = Int(ns.substring(with: m.range(at: 3)))!, c = Int(ns.substring(with: m.range(at: 4)))!
        // "x + y + z = s" and "x − 1 − y = r" chains are read from their first pair only when that pair is the
        // whole left side; skip matches preceded by another operand.
        let start = m.range.location
        if start >= 3, ["+ ", "− "].contains(ns.substring(with: NSRange(location: start - 2, length: 2))) { continue }
        let end = m.range(at: 3).location + m.range(at: 3).length
        if end + 2 < ns.length, ["+ ", "− "].contains(ns.substring(with: NSRange(location: end + 1, length: 2))) { continue }
        let value: Int?
        switch op {
        case "+": value = a + b
        case "−": value = a - b
        case "×": value = a * b
        default: value = b == 0 || a % b != 0 ? nil : a / b
        }
        if value != c { bad.append(ns.substring(with: m.range)) }
    }
    return bad
}

@Suite struct RecipeDataTests {
    @Test(arguments: [1, 2, 3, 4])
    func arithmeticTracesAreRightAtEveryStep(difficulty: Int) throws {
        var rng = TrainRandom(seed: 7)
        for p in try BuiltinTasks.problems(named: "builtin:arithmetic", seed: 99, difficulty: difficulty, count: 200) {
            let c = try #require(ArithmeticTrace.completion(question: p.question, rng: &rng), "\(p.question)")
            #expect(checkAnswer(p, response: c), "\(p.question)\n\(c)")
            #expect(falseClaims(c).isEmpty, "\(p.question): \(falseClaims(c))")
            #expect(c.components(separatedBy: "</think>").count == 2)
        }
    }

    @Test(arguments: [1, 4, 8])
    func countdownTracesReachTheTarget(difficulty: Int) throws {
        var rng = TrainRandom(seed: 3)
        var backtracked = 0
        for p in try BuiltinTasks.problems(named: "builtin:countdown", seed: 5, difficulty: difficulty, count: 60) {
            guard case .countdown(let numbers, let target) = p.check else { Issue.record("not countdown"); continue }
            let c = try #require(CountdownTrace.completion(numbers: numbers, target: target, rng: &rng), "\(p.question)")
            #expect(checkAnswer(p, response: c), "\(p.question)\n\(c)")
            #expect(falseClaims(c).isEmpty, "\(p.question): \(falseClaims(c))")
            if c.contains("Back") { backtracked += 1 }
        }
        #expect(backtracked > 0, "a search that never backtracks is not a search")
    }

    @Test func questionsOutsideTheFormatGetNoTrace() {
        var rng = TrainRandom(seed: 1)
        for q in ["What is ?", "What is 3 +?", "How much is 2 + 2?", "What is 5 ÷ 0?", "What is 7 ÷ 2?", "What is -3 + 4?"] {
            #expect(ArithmeticTrace.completion(question: q, rng: &rng) == nil, "\(q)")
        }
    }

    @Test func heldOutProblemsAreLeftOut() throws {
        // Difficulty 1 has few distinct questions, so a large training set would hit held-out ones if not filtered.
        let lines = try RecipeData.lines(RecipeDataRequest(task: "builtin:arithmetic", difficulties: [1], count: 3000, seed: 11,
                                                           heldOutSeeds: [0], heldOutCount: 1000))
        #expect(lines.count == 3000)
        let heldOut = Set(try BuiltinTasks.problems(named: "builtin:arithmetic", seed: 0, difficulty: 1, count: 1000)
            .map { EvalPrompt.userMessage(for: $0) })
        var prompts: Set<String> = []
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let prompt = try #require(o["prompt"] as? String)
            #expect(!heldOut.contains(prompt))
            #expect(prompts.insert(prompt).inserted, "repeated: \(prompt)")
        }
        #expect(throws: (any Error).self) {
            try RecipeData.lines(RecipeDataRequest(task: "builtin:nope", difficulties: [1], count: 3, seed: 1))
        }
        // The held-out seed itself: its first problems are all held out, which once read as "every question used"
        // (0 lines, no error); now a clear error.
        let heldOutSeed = #expect(throws: TrainError.self) {
            try RecipeData.lines(RecipeDataRequest(task: "builtin:arithmetic", difficulties: [1, 2], count: 5, seed: 0))
        }
        #expect("\(heldOutSeed.map { "\($0)" } ?? "")".contains("seed 0 is a held-out seed"))
    }

    /// Traces for the questions of an eval file (the length curriculum's one-operation problems): right at every step
    /// at any operand length, excluded and repeated questions skipped.
    @Test func questionsOfAFileGetTraces() throws {
        let jsonl = """
        {"id": "a", "question": "What is 964 + 494?", "answer": "1458"}
        {"id": "b", "question": "What is 1663 − 5242?", "answer": "-3579"}
        {"id": "c", "question": "What is 93761 × 9?", "answer": "843849"}
        {"id": "d", "question": "What is 49760 ÷ 8?", "answer": "6220"}
        {"id": "e", "question": "What is 7 + 8?", "answer": "15"}
        {"id": "f", "question": "What is 964 + 494?", "answer": "1458"}
        """
        let problems = try EvalDataset.parse(Data(jsonl.utf8), path: "q.jsonl",
                                              fields: .init(question: "question", answer: "answer")).problems
        let lines = try RecipeData.lines(problems: problems, difficulty: 0, excluded: ["What is 7 + 8?"], seed: 1)
        #expect(lines.count == 4)
        for (line, p) in zip(lines, problems) {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let c = try #require(o["completion"] as? String)
            #expect(o["prompt"] as? String == EvalPrompt.userMessage(for: p))
            #expect(checkAnswer(p, response: c), "\(p.question)\n\(c)")
            #expect(falseClaims(c).isEmpty, "\(p.question): \(falseClaims(c))")
        }
    }

    /// Masked traces: as right as the columns style at every difficulty and length, and every hand-on is the
    /// procedure's operands at full length with one more digit written as `_` a step, the next step's digits being
    /// the ones beside the `_`s.
    @Test func maskedTracesHandOnEveryOperandAtFullLength() throws {
        var rng = TrainRandom(seed: 4)
        var problems = try (1...4).flatMap { d in
            try BuiltinTasks.problems(named: "builtin:arithmetic", seed: 21, difficulty: d, count: 60)
        }
        for (i, (q, gold)) in [("964 + 49", 1013), ("7 + 985", 992), ("1663 − 5242", -3579), ("93761 × 9", 843849),
                               ("49760 ÷ 8", 6220), ("100000 − 1", 99999), ("7 × 3", 21)].enumerated() {
            problems.append(EvalProblem(id: "hand-\(i)", question: "What is \(q)?", check: .math(gold: "\(gold)")))
        }
        let header = try NSRegularExpression(pattern: "^(\\d+) ([+−×]) (\\d+):$")
        var handOns = 0
        for p in problems {
            let q = p.question
            let c = try #require(ArithmeticTrace.completion(question: q, style: .masked, rng: &rng), "\(q)")
            #expect(checkAnswer(p, response: c), "\(q)\n\(c)")
            #expect(falseClaims(c).isEmpty, "\(q): \(falseClaims(c))")
            #expect(ArithmeticTrace.completion(question: q, rng: &rng).map { $0.contains("left") } == false)
            // Column procedures: "A op B:" then steps; step k (from 1) ends "left" A and B with k digits masked.
            let lines = c.components(separatedBy: "\n")
            for (i, line) in lines.enumerated() {
                let ns = line as NSString
                let whole = NSRange(location: 0, length: ns.length)
                guard let m = header.firstMatch(in: line, range: whole) else { continue }
                let a = ns.substring(with: m.range(at: 1)), op = ns.substring(with: m.range(at: 2))
                let b = ns.substring(with: m.range(at: 3))
                func mask(_ s: String, _ k: Int) -> String {
                    String(s.dropLast(min(k, s.count))) + String(repeating: "_", count: min(k, s.count))
                }
                var k = 1
                while i + k < lines.count, let r = lines[i + k].range(of: ", left ") {
                    let want = op == "×" ? "\(mask(a, k)) × \(b)" : "\(mask(a, k)) \(op) \(mask(b, k))"
                    #expect(String(lines[i + k][r.upperBound...]) == want, "\(q): \(lines[i + k])")
                    // The next step starts with the digit of A beside the `_`s (a hand-on on the last line fails here,
                    // not by an index out of range).
                    let next = i + k + 1 < lines.count ? lines[i + k + 1] : "(no next line)"
                    let digit = a.count > k ? String(Array(a)[a.count - k - 1]) : "0"
                    #expect(next.hasPrefix(digit + " "), "\(q): \(next)")
                    handOns += 1
                    k += 1
                }
            }
        }
        #expect(handOns > 300)
        // Long division hands on the dividend with the digits brought down as `_`; the next part ends with the
        // digit after them.
        let c = try #require(ArithmeticTrace.completion(question: "What is 49760 ÷ 8?", style: .masked, rng: &rng))
        let steps = c.components(separatedBy: "\n").filter { $0.contains(" ÷ 8: ") }
        let handedOn = steps.map { $0.components(separatedBy: ", left ").dropFirst().first ?? "" }
        #expect(handedOn == ["__760", "___60", "____0", ""])
        #expect(steps.map { String($0.prefix(while: { $0 != " " })) } == ["49", "17", "16", "0"])
    }

    /// Distinct questions under-represent the kinds with a small space (difficulty 1 × and ÷: 810 each); with
    /// repeats the lines follow the task's own mix and still leave the held-out questions out.
    @Test func repeatsKeepTheTaskMix() throws {
        func kinds(_ lines: [String]) throws -> (mulDiv: Int, prompts: [String]) {
            let prompts = try lines.map { line -> String in
                let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try #require(o["prompt"] as? String)
            }
            return (prompts.filter { $0.contains("×") || $0.contains("÷") }.count, prompts)
        }
        let heldOut = Set(try BuiltinTasks.problems(named: "builtin:arithmetic", seed: 0, difficulty: 1, count: 1000)
            .map { EvalPrompt.userMessage(for: $0) })
        let mixed = try kinds(RecipeData.lines(RecipeDataRequest(task: "builtin:arithmetic", difficulties: [1], count: 3000,
                                                                 seed: 5, distinct: false)))
        #expect(mixed.prompts.count == 3000)
        #expect(Set(mixed.prompts).count < 3000)
        #expect(mixed.mulDiv > 1200, "× and ÷ are a third each of the task, less the held-out ones: \(mixed.mulDiv)")
        #expect(mixed.prompts.allSatisfy { !heldOut.contains($0) })
    }

    @Test func promptCompletionLearnsTheCompletionAndEOS() throws {
        let folder = try tokenizerFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tok = try Tokenizer(directory: URL(fileURLWithPath: folder))
        let template = try ChatTemplate(miniTemplate)
        let seq = try ChatData.renderCompletion(prompt: .string("What is 2+2?"), completion: .string("<think>2+2=4</think> 4"),
                                                tokenizer: tok, template: template)
        let prompt = try template.render(messages: [["role": "user", "content": "What is 2+2?"]], addGenerationPrompt: true,
                                         bosToken: tok.bosToken, eosToken: tok.eosToken)
        #expect(tok.decode(seq.ids) == prompt + "<think>2+2=4</think> 4" + tok.eosToken!)
        let learned = zip(seq.ids, seq.lossMask!).filter { $0.1 == 1 }.map(\.0)
        #expect(tok.decode(learned) == "<think>2+2=4</think> 4" + tok.eosToken!)
        #expect(throws: (any Error).self) {
            try ChatData.renderCompletion(prompt: .int(3), completion: .string("x"), tokenizer: tok, template: template)
        }
    }
}
