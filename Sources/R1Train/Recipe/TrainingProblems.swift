// Training problems of a built-in task set, drawn from a training seed with the held-out questions left out: what the
// recipe's SFT data (RecipeData) and the teacher's distillation problems (Distill) are made from.
import R1Eval

struct TrainingProblems {
    /// Problem `index` of difficulty slot `slot`, in the seed's own order.
    typealias Draw = (_ slot: Int, _ index: Int) throws -> EvalProblem
    let heldOut: Set<String>
    /// Each question at most once over all difficulties; false keeps the task's own distribution.
    let distinct: Bool
    private let draw: Draw
    private var pools: [[EvalProblem]]
    private var cursor: [Int]
    private var newSinceExtension: [Bool]
    private var seen: Set<String> = []

    /// Problems of a built-in task set (`builtin:arithmetic`) from `seed`, one slot per difficulty; `poolSize` is the
    /// first draw of each.
    init(task: String, seed: UInt64, difficulties: [Int], heldOut: Set<String>, distinct: Bool, poolSize: Int) throws {
        try self.init(slots: difficulties.count, heldOut: heldOut, distinct: distinct, poolSize: poolSize) { slot, index in
            try BuiltinTasks.problem(named: task, seed: seed, difficulty: difficulties[slot], index: index)
        }
    }

    init(slots: Int, heldOut: Set<String>, distinct: Bool, poolSize: Int, draw: @escaping Draw) throws {
        self.heldOut = heldOut
        self.distinct = distinct
        self.draw = draw
        pools = try (0..<slots).map { slot in try (0..<max(1, poolSize)).map { try draw(slot, $0) } }
        cursor = Array(repeating: 0, count: slots)
        newSinceExtension = Array(repeating: true, count: slots)
    }

    /// Training problems never come from a held-out seed: its first problems are all held out, so a draw from it
    /// would look used up (or, past them, be the eval set's own distribution).
    static func requireTrainingSeed(_ seed: UInt64, heldOutSeeds: [UInt64]) throws {
        if heldOutSeeds.contains(seed) {
            throw TrainError("seed \(seed) is a held-out seed (held-out seeds: "
                             + heldOutSeeds.map(String.init).joined(separator: ",") + "); pick another seed")
        }
    }

    /// The next problem of difficulty slot `slot`, or nil once its space of questions is used up. Problems come in the
    /// seed's own order (a longer draw starts with a shorter one, so a set only grows with its count); a pool that
    /// runs out is extended to four times its length, and a whole extension that brings no new question ends it.
    mutating func next(slot: Int) throws -> EvalProblem? {
        while true {
            if cursor[slot] == pools[slot].count {
                guard newSinceExtension[slot] else { return nil }
                newSinceExtension[slot] = false
                let n = pools[slot].count
                pools[slot] += try (n..<(n * 4)).map { try draw(slot, $0) }
            }
            let problem = pools[slot][cursor[slot]]
            cursor[slot] += 1
            guard !heldOut.contains(problem.question), !distinct || seen.insert(problem.question).inserted else { continue }
            newSinceExtension[slot] = true
            return problem
        }
    }
}
