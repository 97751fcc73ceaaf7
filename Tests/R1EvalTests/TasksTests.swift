// The built-in task sets and the countdown checker: determinism, solvability, and the checker's edge cases.
import Testing
@testable import R1Eval

@Suite struct TasksTests {
    @Test func generatorsAreDeterministic() throws {
        for name in BuiltinTasks.names {
            let a = try BuiltinTasks.problems(named: name, seed: 7, difficulty: 3, count: 20)
            let b = try BuiltinTasks.problems(named: name, seed: 7, difficulty: 3, count: 20)
            let c = try BuiltinTasks.problems(named: name, seed: 8, difficulty: 3, count: 20)
            let prefix = try BuiltinTasks.problems(named: name, seed: 7, difficulty: 3, count: 5)
            #expect(a == b)
            #expect(a != c)
            #expect(Array(a.prefix(5)) == prefix)
            #expect(Set(a.map(\.id)).count == a.count)
        }
    }

    @Test func badNamesAndDifficultiesAreErrors() {
        #expect(throws: BuiltinTasks.UnknownTaskSet.self) { try BuiltinTasks.problems(named: "builtin:chess", seed: 1, difficulty: 1, count: 1) }
        #expect(throws: BuiltinTasks.BadDifficulty.self) { try BuiltinTasks.problems(named: "builtin:countdown", seed: 1, difficulty: 0, count: 1) }
        #expect(throws: BuiltinTasks.BadDifficulty.self) { try BuiltinTasks.problems(named: "builtin:arithmetic", seed: 1, difficulty: 11, count: 1) }
    }

    /// The gold is the value of the question's expression, recomputed here with the countdown evaluator.
    @Test(arguments: [1, 4, 10]) func arithmeticGoldIsTheExpressionsValue(difficulty: Int) throws {
        for p in try BuiltinTasks.problems(named: "builtin:arithmetic", seed: 42, difficulty: difficulty, count: 30) {
            guard case .math(let gold) = p.check else { Issue.record("not a math check"); continue }
            #expect(p.question.hasPrefix("What is ") && p.question.hasSuffix("?"))
            let expression = String(p.question.dropFirst(8).dropLast()).replacingOccurrences(of: "×", with: "*")
                .replacingOccurrences(of: "÷", with: "/").replacingOccurrences(of: "−", with: "-")
            let value = try CountdownExpression.parse(expression).value
            #expect(value == ExactRational(integer: Int128(gold)!), "\(p.question) gold \(gold)")
            let numbers = expression.split { !$0.isNumber }.filter { !$0.isEmpty }
            let ops = expression.filter { "+-*/".contains($0) }.count
            #expect(ops == ArithmeticTask.operations(difficulty))
            #expect(numbers.map(\.count).max()! >= ArithmeticTask.digits(difficulty))
            #expect(checkAnswer(p, response: "<think>adding up</think>The answer is $\\boxed{\(gold)}$."))
            #expect(!checkAnswer(p, response: "\\boxed{\(Int(gold)! + 1)}"))
        }
    }

    @Test(arguments: [1, 5, 9]) func everyCountdownProblemIsSolvable(difficulty: Int) throws {
        for p in try BuiltinTasks.problems(named: "builtin:countdown", seed: 3, difficulty: difficulty, count: 15) {
            guard case .countdown(let numbers, let target) = p.check else { Issue.record("not a countdown check"); continue }
            #expect(numbers.count == CountdownTask.numberCount(difficulty))
            let solution = try #require(CountdownTask.solve(numbers: numbers, target: target))
            #expect(Countdown.check(answer: "\\boxed{\(solution)}", numbers: numbers, target: target), "\(solution)")
            #expect(checkAnswer(p, response: "Let me try.\n\(solution) = \(target)"))
            #expect(p.question.contains("\(target)"))
        }
    }

    /// Two-number sets such as [1, 2] reach no target ≥ 10; generation draws new numbers instead of looping forever
    /// (seed 3000 at difficulty 1 hung before).
    @Test func countdownGenerationEndsForDeadNumberSets() throws {
        let problems = try BuiltinTasks.problems(named: "builtin:countdown", seed: 3000, difficulty: 1, count: 2000)
        #expect(problems.count == 2000)
        for p in problems {
            guard case .countdown(let numbers, let target) = p.check else { continue }
            #expect(target >= 10 && !numbers.contains(target))
        }
    }

    @Test func solverFindsAndRefuses() {
        #expect(CountdownTask.solve(numbers: [3, 4], target: 12) != nil)
        #expect(CountdownTask.solve(numbers: [1, 1], target: 100) == nil)
        #expect(CountdownTask.solve(numbers: [2, 7], target: 7) == "7")
        let s = CountdownTask.solve(numbers: [1, 5, 5, 5], target: 24)  // 5 * (5 - 1/5) needs fractions
        #expect(s != nil && Countdown.check(answer: s!, numbers: [1, 5, 5, 5], target: 24))
    }

    @Test func countdownChecker() {
        let n = [25, 50, 3, 7, 2]
        #expect(Countdown.check(answer: "\\boxed{(25 + 50) * 2 - 3 * 7}", numbers: n, target: 129))
        #expect(Countdown.check(answer: "The answer is $(25 + 50) \\times 2 - 3 \\cdot 7 = 129$", numbers: n, target: 129))
        #expect(Countdown.check(answer: "50 × 3 − 25 + 7 × 2", numbers: n, target: 139))
        #expect(Countdown.check(answer: "\\boxed{\\frac{7}{2} \\times 2}", numbers: [7, 2, 2, 3], target: 7))  // 7/2 exact, not 3
        #expect(!Countdown.check(answer: "50 × 3 − 25 + 7 × 2 ÷ 2", numbers: n, target: 132))  // 2 used twice
        #expect(!Countdown.check(answer: "7 / 2 * 3", numbers: n, target: 9))  // 10.5, not truncated to 9
        #expect(!Countdown.check(answer: "25 + 25", numbers: n, target: 50))  // 25 used twice
        #expect(!Countdown.check(answer: "50 + 10", numbers: n, target: 60))  // 10 is not given
        #expect(!Countdown.check(answer: "50 / (7 - 7)", numbers: [50, 7, 7], target: 0))  // division by zero
        #expect(!Countdown.check(answer: "(50 + 3", numbers: n, target: 53))  // unbalanced
        #expect(!Countdown.check(answer: "50 + 3)", numbers: n, target: 53))
        #expect(!Countdown.check(answer: "-3 + 50", numbers: n, target: 47))  // no unary minus: it makes a new number
        #expect(!Countdown.check(answer: "50 + 2.5", numbers: n, target: 52))
        #expect(!Countdown.check(answer: "", numbers: n, target: 50))
        #expect(!Countdown.check(answer: "I cannot find one.", numbers: n, target: 50))
        #expect(Countdown.check(answer: "\\boxed{50}", numbers: n, target: 50))
        let huge = String(repeating: "9", count: 60)
        #expect(!Countdown.check(answer: "\(huge) * \(huge)", numbers: [7], target: 7))
        #expect(!Countdown.check(answer: String(repeating: "(", count: 5000) + "7" + String(repeating: ")", count: 5000),
                                 numbers: [7], target: 7))
        let big = Int(Int32.max)
        #expect(Countdown.check(answer: "\(big) * \(big) / \(big)", numbers: [big, big, big], target: big))
        #expect(Countdown.check(answer: "\\boxed{3 * 7} and then more text", numbers: n, target: 21))
    }

    @Test func checkAnswerCoversMathAndCountdown() {
        let math = EvalProblem(id: "m", question: "Half?", check: .math(gold: "\\frac{1}{2}"))
        #expect(checkAnswer(math, response: "<think>\\boxed{3}</think>So it is \\boxed{0.5}."))
        #expect(!checkAnswer(math, response: "<think>\\boxed{0.5}</think>So it is \\boxed{3}."))
        let root = EvalProblem(id: "r", question: "?", check: .math(gold: "2\\sqrt{2}"))
        #expect(checkAnswer(root, response: "\\boxed{\\sqrt{8}}"))
        let code = EvalProblem(id: "c", question: "?", check: .code(prompt: "", test: "", entryPoint: "f"))
        #expect(!checkAnswer(code, response: "def f(): pass"))
    }
}
