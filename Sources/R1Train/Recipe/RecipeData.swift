// The recipe's SFT data: problems of the built-in task sets with completions written by the search programs
// (ArithmeticTrace, CountdownTrace), as prompt-completion JSONL lines ChatData reads. Held-out problems (the ones
// `r1 eval run` draws with the given seeds) are never written.
import Foundation
import R1Eval
import R1Formats

public struct RecipeDataRequest: Sendable {
    public var task: String
    public var difficulties: [Int]
    public var count: Int
    public var seed: UInt64
    /// Seeds whose problems (at each difficulty, `heldOutCount` of them) are left out.
    public var heldOutSeeds: [UInt64]
    public var heldOutCount: Int
    /// Each question at most once (default). Off: problems keep the task's own distribution (a question drawn twice
    /// is written twice, each time with its own search trace); small difficulties have few distinct questions of
    /// some kinds (two-digit × one-digit: 810), so distinct questions over-represent the large kinds.
    public var distinct: Bool = true
    /// How arithmetic traces write their column steps (countdown traces have one style).
    public var style: ArithmeticTrace.Style = .columns

    public init(task: String, difficulties: [Int], count: Int, seed: UInt64, heldOutSeeds: [UInt64] = [0], heldOutCount: Int = 1000,
                distinct: Bool = true, style: ArithmeticTrace.Style = .columns) {
        self.distinct = distinct
        self.style = style
        self.task = task
        self.difficulties = difficulties
        self.count = count
        self.seed = seed
        self.heldOutSeeds = heldOutSeeds
        self.heldOutCount = heldOutCount
    }
}

public enum RecipeData {
    /// `count` lines, the difficulties taken in turn; each line {"id", "difficulty", "prompt", "completion"}.
    public static func lines(_ request: RecipeDataRequest) throws -> [String] {
        guard !request.difficulties.isEmpty else { throw TrainError("give at least one difficulty") }
        guard request.count >= 0 else { throw TrainError("count \(request.count) is negative") }
        try TrainingProblems.requireTrainingSeed(request.seed, heldOutSeeds: request.heldOutSeeds)
        let heldOut = try BuiltinTasks.questions(named: request.task, seeds: request.heldOutSeeds,
                                                 difficulties: request.difficulties, count: request.heldOutCount)
        var rng = TrainRandom(seed: request.seed)
        var out: [String] = []
        out.reserveCapacity(request.count)
        // Problems per difficulty in the training seed's order, held-out questions (and repeats, when distinct) left
        // out; a difficulty whose space of distinct questions is used up drops out, and fewer lines than asked are
        // then written.
        let perDifficulty = (request.count + request.difficulties.count - 1) / request.difficulties.count
        var drawer = TrainingProblems(task: request.task, seed: request.seed, difficulties: request.difficulties,
                                      heldOut: heldOut, distinct: request.distinct, poolSize: perDifficulty * 2 + 64)
        var exhausted = [Bool](repeating: false, count: request.difficulties.count)
        var k = 0
        while out.count < request.count, exhausted.contains(false) {
            let slot = k % exhausted.count
            k += 1
            if exhausted[slot] { continue }
            guard let problem = try drawer.next(slot: slot) else { exhausted[slot] = true; continue }
            guard let completion = try completion(for: problem, style: request.style, rng: &rng) else {
                throw TrainError("\(problem.id): no search trace for '\(problem.question)'")
            }
            out.append(line(problem: problem, difficulty: request.difficulties[slot], completion: completion))
        }
        return out
    }

    /// Lines for the problems of an eval file (`r1 eval run FILE`'s JSONL: question and answer), in its order; questions
    /// in `excluded` (held-out sets) and repeats are skipped. `difficulty` is written on every line.
    public static func lines(problems: [EvalProblem], difficulty: Int, excluded: Set<String>, seed: UInt64,
                             style: ArithmeticTrace.Style = .columns) throws -> [String] {
        var rng = TrainRandom(seed: seed)
        var seen: Set<String> = []
        var out: [String] = []
        for problem in problems where !excluded.contains(problem.question) && seen.insert(problem.question).inserted {
            guard let completion = try completion(for: problem, style: style, rng: &rng) else {
                throw TrainError("\(problem.id): no search trace for '\(problem.question)'")
            }
            out.append(line(problem: problem, difficulty: difficulty, completion: completion))
        }
        return out
    }

    /// One SFT line, {"id", "difficulty", "prompt", "completion"}: the prompt is the eval harness's user message, the
    /// completion the text after the R1 generation prompt (which opens `<think>\n`): reasoning, `\n</think>\n\n`, answer.
    public static func line(problem: EvalProblem, difficulty: Int, completion: String) -> String {
        JSONOut.object([("id", .string(problem.id)), ("difficulty", .int(difficulty)),
                        ("prompt", .string(EvalPrompt.userMessage(for: problem))), ("completion", .string(completion))]).text
    }

    public static func completion(for problem: EvalProblem, style: ArithmeticTrace.Style = .columns,
                                  rng: inout TrainRandom) throws -> String? {
        switch problem.check {
        case .math: return ArithmeticTrace.completion(question: problem.question, style: style, rng: &rng)
        case .countdown(let numbers, let target): return CountdownTrace.completion(numbers: numbers, target: target, rng: &rng)
        case .code: throw TrainError("\(problem.id): code problems have no search trace")
        }
    }
}
