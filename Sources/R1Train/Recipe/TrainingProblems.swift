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
    /// Per slot: the index of the next problem, and the end of the current draw (`poolSize`, then four times longer
    /// at each end reached while the draw before it still brought a new question).
    private var index: [Int]
    private var end: [Int]
    private var newSinceExtension: [Bool]
    private var seen: Set<String> = []

    /// Problems of a built-in task set (`builtin:arithmetic`) from `seed`, one slot per difficulty; `poolSize` is the
    /// first draw of each.
    init(task: String, seed: UInt64, difficulties: [Int], heldOut: Set<String>, distinct: Bool, poolSize: Int) {
        self.init(slots: difficulties.count, heldOut: heldOut, distinct: distinct, poolSize: poolSize) { slot, index in
            try BuiltinTasks.problem(named: task, seed: seed, difficulty: difficulties[slot], index: index)
        }
    }

    init(slots: Int, heldOut: Set<String>, distinct: Bool, poolSize: Int, draw: @escaping Draw) {
        self.heldOut = heldOut
        self.distinct = distinct
        self.draw = draw
        index = Array(repeating: 0, count: slots)
        end = Array(repeating: max(1, poolSize), count: slots)
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
    /// seed's own order (a longer draw starts with a shorter one, so a set only grows with its count); a draw that
    /// runs out goes on to four times its length, and a whole extension that brings no new question ends it.
    mutating func next(slot: Int) throws -> EvalProblem? {
        while true {
            if index[slot] == end[slot] {
                guard newSinceExtension[slot] else { return nil }
                newSinceExtension[slot] = false
                end[slot] *= 4
            }
            let problem = try draw(slot, index[slot])
            index[slot] += 1
            guard !heldOut.contains(problem.question), !distinct || seen.insert(problem.question).inserted else { continue }
            newSinceExtension[slot] = true
            return problem
        }
    }
}
