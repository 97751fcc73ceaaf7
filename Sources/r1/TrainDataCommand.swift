// `r1 train data --task builtin:arithmetic --difficulty 1,2 --count N --seed S --out FILE`: SFT data written by the
// recipe's search programs, held-out problems left out.
import ArgumentParser
import Foundation
import R1Train

struct TrainDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write SFT data (prompt-completion JSONL) for a built-in task, traces by a randomised search program.")

    @Option(help: "builtin:arithmetic or builtin:countdown.")
    var task: String
    @Option(help: "Comma-separated difficulties, taken in turn.")
    var difficulty: String
    @Option(help: "How many examples.")
    var count: Int
    @Option(help: "Seed of the training problems and of the search.")
    var seed: UInt64
    @Option(name: .customLong("held-out-seeds"), help: "Comma-separated seeds whose `r1 eval run` problems are left out.")
    var heldOutSeeds = "0"
    @Option(name: .customLong("held-out-count"), help: "How many problems per held-out seed and difficulty.")
    var heldOutCount = 1000
    @Flag(help: "Keep the task's distribution: a question drawn again is written again, with a new trace (default: each question once).")
    var repeats = false
    @Option(help: "Output JSONL file.")
    var out: String

    func run() async throws {
        func ints<T: FixedWidthInteger>(_ s: String, _ name: String) throws -> [T] {
            try s.split(separator: ",").map {
                guard let v = T($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("\(name): '\($0)' is not an integer") }
                return v
            }
        }
        let request = RecipeDataRequest(task: task, difficulties: try ints(difficulty, "--difficulty"), count: count, seed: seed,
                                        heldOutSeeds: try ints(heldOutSeeds, "--held-out-seeds"), heldOutCount: heldOutCount,
                                        distinct: !repeats)
        let lines = try RecipeData.lines(request)
        do { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: out)) } catch {
            throw ValidationError("\(out): cannot write: \(error.localizedDescription)")
        }
        Output.line("\(out): \(lines.count) examples" +
                    (lines.count < count ? " (every distinct question of these difficulties; \(count) asked)" : ""))
    }
}
