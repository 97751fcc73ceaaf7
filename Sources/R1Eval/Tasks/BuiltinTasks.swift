// The built-in generated task sets, `builtin:arithmetic` and `builtin:countdown`: deterministic from (seed,
// difficulty), so a run can be repeated and two engines compared on the same problems.
import R1Sampling

public enum BuiltinTasks {
    public static let names = ["builtin:arithmetic", "builtin:countdown"]

    public struct UnknownTaskSet: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "unknown built-in task set '\(name)' (known: \(BuiltinTasks.names.joined(separator: ", ")))" }
    }
    public struct BadDifficulty: Error, CustomStringConvertible {
        public let difficulty: Int
        public var description: String { "difficulty \(difficulty) is out of range 1...\(BuiltinTasks.maxDifficulty)" }
    }

    public static let maxDifficulty = 10

    /// `count` problems of the named set; the same (name, seed, difficulty) always gives the same problems, and a
    /// shorter count gives a prefix of a longer one.
    public static func problems(named name: String, seed: UInt64, difficulty: Int, count: Int) throws -> [EvalProblem] {
        guard (1...maxDifficulty).contains(difficulty) else { throw BadDifficulty(difficulty: difficulty) }
        switch name {
        case "builtin:arithmetic": return ArithmeticTask.generate(seed: seed, difficulty: difficulty, count: count)
        case "builtin:countdown": return CountdownTask.generate(seed: seed, difficulty: difficulty, count: count)
        default: throw UnknownTaskSet(name: name)
        }
    }

    /// Problem `index` of `problems(named:seed:difficulty:count:)` without generating the ones before it.
    public static func problem(named name: String, seed: UInt64, difficulty: Int, index: Int) throws -> EvalProblem {
        guard (1...maxDifficulty).contains(difficulty) else { throw BadDifficulty(difficulty: difficulty) }
        switch name {
        case "builtin:arithmetic": return ArithmeticTask.problem(seed: seed, difficulty: difficulty, index: index)
        case "builtin:countdown": return CountdownTask.problem(seed: seed, difficulty: difficulty, index: index)
        default: throw UnknownTaskSet(name: name)
        }
    }

    /// The questions of the first `count` problems of every seed at every difficulty: what `r1 eval run` draws with
    /// those seeds, and so what training data must leave out.
    public static func questions(named name: String, seeds: [UInt64], difficulties: [Int], count: Int) throws -> Set<String> {
        var out: Set<String> = []
        for seed in Set(seeds) {
            for d in Set(difficulties) {
                for p in try problems(named: name, seed: seed, difficulty: d, count: count) { out.insert(p.question) }
            }
        }
        return out
    }
}

/// Platform-independent draws from the sampler's xoshiro256** (the standard library's `random(in:using:)` does not
/// promise the same numbers across Swift versions).
struct TaskRandom {
    private var generator: Xoshiro256StarStar

    init(seed: UInt64, stream: UInt64) { generator = Xoshiro256StarStar(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ stream) }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(generator.next() % span)
    }

    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }

    /// A number with exactly `digits` decimal digits.
    mutating func number(digits: Int) -> Int {
        digits <= 1 ? int(1...9) : int(pow10(digits - 1)...(pow10(digits) - 1))
    }

    private func pow10(_ k: Int) -> Int { (0..<k).reduce(1) { r, _ in r * 10 } }
}
