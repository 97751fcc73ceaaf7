// GRPO's training problems: a built-in task's problems of the training seed (difficulties in turn), and problems of
// question files (`r1 eval run FILE`'s layouts: a custom one names its question and answer fields), each file in a
// seeded order that is drawn anew every pass, taken in turn with the difficulties. Held-out questions are never drawn:
// the first `heldOutCount` problems of the eval seed at each difficulty (what `r1 eval run` draws) and every question
// of the `excluded` files. The draw is a function of a cursor (how many candidates have been drawn), so a resumed run
// continues it from the cursor alone.
import Foundation
import R1Eval

public struct GRPOProblems: Sendable {
    public let task: String
    public let difficulties: [Int]
    public let seed: UInt64
    private let heldOut: Set<String>
    /// Each question file's problems, held-out and excluded questions and repeats left out.
    public let files: [(path: String, problems: [EvalProblem])]
    private let orders = OrderCache()

    /// The built-in problems of `task` (`builtin:arithmetic`) at `difficulties`, and those of `questions` files
    /// (read with `fields` when given, else by their detected layout); questions in `excluded` are left out too.
    public init(task: String, difficulties: [Int], seed: UInt64, evalSeed: UInt64 = 0, heldOutCount: Int = 1000,
                questions: [String] = [], fields: EvalDataset.Fields? = nil, excluded: Set<String> = []) throws {
        guard !difficulties.isEmpty || !questions.isEmpty else { throw TrainError("give at least one difficulty or questions file") }
        self.task = task
        self.difficulties = difficulties
        self.seed = seed
        heldOut = try BuiltinTasks.questions(named: task, seeds: [evalSeed], difficulties: difficulties, count: heldOutCount)
            .union(excluded)
        var files: [(path: String, problems: [EvalProblem])] = []
        for path in questions {
            let dataset: EvalDataset
            do { dataset = try EvalDataset.load(path: path, fields: fields) } catch { throw TrainError("questions: \(error)") }
            var seen: Set<String> = []
            var kept: [EvalProblem] = []
            for p in dataset.problems {
                if case .code = p.check {
                    throw TrainError("questions: \(path): '\(p.id)' is a code problem; GRPO's reward checks math and countdown answers")
                }
                if !heldOut.contains(p.question), seen.insert(p.question).inserted { kept.append(p) }
            }
            guard !kept.isEmpty else {
                throw TrainError("questions: \(path): no problem left to train on (\(dataset.problems.count) read, all held out, excluded or repeated)")
            }
            files.append((path, kept))
        }
        self.files = files
    }

    /// The next training problem from `cursor` (how many candidates have been drawn so far), advancing it past any
    /// held-out question: candidate k comes from source k mod S (the difficulties, then the files), as that source's
    /// k / S-th problem. Gives up (an error) after 100,000 held-out questions in a row.
    public func next(cursor: inout Int) throws -> EvalProblem {
        let sources = difficulties.count + files.count
        for _ in 0..<100_000 {
            let k = cursor
            cursor += 1
            let slot = k % sources, index = k / sources
            if slot >= difficulties.count { return problem(file: slot - difficulties.count, index: index) }
            let p = try BuiltinTasks.problem(named: task, seed: seed, difficulty: difficulties[slot], index: index)
            if !heldOut.contains(p.question) { return p }
        }
        throw TrainError("\(task): every training question is held out (difficulties \(difficulties))")
    }

    public func isHeldOut(_ question: String) -> Bool { heldOut.contains(question) }

    /// Problem `index` of file `f`'s endless draw: pass `index / n` is a shuffle of its n problems seeded by the seed,
    /// the file and the pass.
    func problem(file f: Int, index: Int) -> EvalProblem {
        let problems = files[f].problems
        let pass = index / problems.count
        let order = orders.order(file: f, pass: pass) {
            Self.shuffle(count: problems.count, seed: seed ^ (UInt64(f + 1) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(pass) &* 0xBF58_476D_1CE4_E5B9))
        }
        return problems[order[index % problems.count]]
    }

    /// Fisher-Yates over 0..<count with TrainRandom (written out, so an order never changes with the standard library).
    static func shuffle(count: Int, seed: UInt64) -> [Int] {
        var order = Array(0..<count), rng = TrainRandom(seed: seed)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return order
    }
}

/// The current pass's order of each file (a run goes through the passes in turn, so one per file is kept).
private final class OrderCache: @unchecked Sendable {
    private let lock = NSLock()
    private var orders: [Int: (pass: Int, order: [Int])] = [:]

    func order(file: Int, pass: Int, make: () -> [Int]) -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        if let cached = orders[file], cached.pass == pass { return cached.order }
        let order = make()
        orders[file] = (pass, order)
        return order
    }
}
