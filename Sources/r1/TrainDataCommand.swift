// `r1 train data --task builtin:arithmetic --difficulty 1,2 --count N --seed S --out FILE`: SFT data written by the
// recipe's search programs, held-out problems left out. `--questions FILE` writes traces for the questions of an eval
// file instead (e.g. scripts/eval/make_longer_arithmetic.py's), leaving out those of `--exclude` files. `--trace masked`
// writes the column steps that hand on their operands (ArithmeticTrace.Style).
import ArgumentParser
import Foundation
import R1Eval
import R1Train

struct TrainDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write SFT data (prompt-completion JSONL) for a built-in task, traces by a randomised search program.")

    @Option(help: "builtin:arithmetic or builtin:countdown.")
    var task: String?
    @Option(help: "Comma-separated difficulties, taken in turn (with --questions: the one written on every line; default 0).")
    var difficulty: String?
    @Option(help: "How many examples.")
    var count: Int?
    @Option(help: "A JSONL file with question and answer fields (make_longer_arithmetic.py's) whose questions get traces, instead of --task.")
    var questions: String?
    @Option(help: "Comma-separated eval JSONL files whose questions are left out (with --questions).")
    var exclude: String?
    @Option(help: "Seed of the training problems (not a held-out seed) and of the search.")
    var seed: UInt64
    @Option(name: .customLong("held-out-seeds"), help: "Comma-separated seeds whose `r1 eval run` problems are left out.")
    var heldOutSeeds = "0"
    @Option(name: .customLong("held-out-count"), help: "How many problems per held-out seed and difficulty.")
    var heldOutCount = 1000
    @Flag(help: "Keep the task's distribution: a question drawn again is written again, with a new trace (default: each question once).")
    var repeats = false
    @Option(help: "Arithmetic traces: columns (digits read by place from the operands above; the shipped model's) or masked (each step hands on the operands, used digits as _: left 96_ + 49_).")
    var trace = "columns"
    @Option(help: "Output JSONL file.")
    var out: String

    func run() async throws {
        func ints<T: FixedWidthInteger>(_ s: String, _ name: String) throws -> [T] {
            try s.split(separator: ",").map {
                guard let v = T($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("\(name): '\($0)' is not an integer") }
                return v
            }
        }
        guard let style = ArithmeticTrace.Style(rawValue: trace) else {
            let styles = ArithmeticTrace.Style.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--trace: '\(trace)' is not one of \(styles)")
        }
        let lines: [String]
        if let questions {
            guard task == nil, count == nil else { throw ValidationError("--questions takes the place of --task and --count") }
            let difficulties: [Int] = try difficulty.map { try ints($0, "--difficulty") } ?? [0]
            guard difficulties.count == 1 else { throw ValidationError("--questions: give one --difficulty to write on the lines") }
            let fields = EvalDataset.Fields(question: "question", answer: "answer")
            let excluded = try EvalDataset.questions(inFiles: (exclude ?? "").split(separator: ",").map(String.init), fields: fields)
            let problems = try EvalDataset.load(path: questions, fields: fields).problems
            lines = try RecipeData.lines(problems: problems, difficulty: difficulties[0], excluded: excluded, seed: seed,
                                         style: style)
        } else {
            guard let task, let difficulty, let count else { throw ValidationError("give --task, --difficulty and --count, or --questions") }
            guard exclude == nil else { throw ValidationError("--exclude goes with --questions; builtin tasks use --held-out-seeds") }
            let request = RecipeDataRequest(task: task, difficulties: try ints(difficulty, "--difficulty"), count: count, seed: seed,
                                            heldOutSeeds: try ints(heldOutSeeds, "--held-out-seeds"), heldOutCount: heldOutCount,
                                            distinct: !repeats, style: style)
            lines = try RecipeData.lines(request)
        }
        do { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: out)) } catch {
            throw ValidationError("\(out): cannot write: \(error.localizedDescription)")
        }
        Output.line("\(out): \(lines.count) examples" +
                    (count.map { lines.count < $0 ? " (every distinct question of these difficulties; \($0) asked)" : "" } ?? ""))
    }
}
