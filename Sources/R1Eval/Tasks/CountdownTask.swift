// `builtin:countdown`: reach a target from given numbers with + − × ÷, each number at most once. Difficulty D sets
// how many numbers are given (3 + D / 4: 3 to 5) and how large the target may be; every problem is confirmed
// solvable by `solve` before it is kept.

public enum CountdownTask {
    public static func generate(seed: UInt64, difficulty: Int, count: Int) -> [EvalProblem] {
        (0..<max(0, count)).map { problem(seed: seed, difficulty: difficulty, index: $0) }
    }

    /// Problem `index` alone (each has its own random stream).
    public static func problem(seed: UInt64, difficulty: Int, index i: Int) -> EvalProblem {
        var rng = TaskRandom(seed: seed, stream: UInt64(i) &* 2 &+ 2)
        while true {
            let (numbers, target) = candidate(&rng, difficulty: difficulty)
            guard solve(numbers: numbers, target: target) != nil else { continue }
            return EvalProblem(id: "countdown-\(seed)-\(difficulty)-\(i)", question: question(numbers, target),
                               check: .countdown(numbers: numbers, target: target))
        }
    }

    static func numberCount(_ difficulty: Int) -> Int { min(3 + difficulty / 4, 5) }

    static func question(_ numbers: [Int], _ target: Int) -> String {
        let list = numbers.dropLast().map(String.init).joined(separator: ", ") + " and \(numbers.last!)"
        return "Using the numbers \(list), make \(target). You may use +, −, × and ÷ with parentheses, and each number "
            + "at most once (you do not have to use them all). Give your answer as a single expression."
    }

    /// Numbers drawn from small (1–10) and large (25, 50, 75, 100) cards; the target is the value of a random
    /// expression over some of them, kept when it is a whole number in range.
    private static func candidate(_ rng: inout TaskRandom, difficulty: Int) -> ([Int], Int) {
        let n = numberCount(difficulty)
        let large = [25, 50, 75, 100]
        let maxTarget = difficulty <= 3 ? 100 : (difficulty <= 6 ? 500 : 999)
        // Some number sets reach no valid target at all (two small numbers such as [1, 2]): after many failed
        // draws the numbers are drawn again, so generation always ends.
        while true {
            var numbers: [Int] = []
            let largeCount = rng.int(0...min(2, n - 2))
            for _ in 0..<largeCount { numbers.append(rng.pick(large)) }
            while numbers.count < n { numbers.append(rng.int(1...10)) }
            for _ in 0..<1000 {
                var pool = numbers.map { ExactRational($0) }.shuffledPrefix(rng.int(2...n), &rng)
                while pool.count > 1 {
                    let b = pool.removeLast(), a = pool.removeLast()
                    let options = [a.adding(b), a.adding(b.negated()), b.adding(a.negated()), a.multiplied(by: b),
                                   b.isZero ? nil : b.reciprocal().flatMap(a.multiplied(by:)),
                                   a.isZero ? nil : a.reciprocal().flatMap(b.multiplied(by:))].compactMap { $0 }
                    pool.insert(rng.pick(options), at: rng.int(0...pool.count))
                }
                let v = pool[0]
                if v.isInteger, v.numerator >= 10, v.numerator <= Int128(maxTarget), !numbers.contains(Int(v.numerator)) {
                    return (numbers, Int(v.numerator))
                }
            }
        }
    }

    /// An expression over `numbers` (each at most once) whose exact value is `target`, or nil when none exists.
    public static func solve(numbers: [Int], target: Int) -> String? {
        let goal = ExactRational(target)
        var seen: Set<[ExactRational]> = []
        func search(_ items: [(ExactRational, String)]) -> String? {
            if let hit = items.first(where: { $0.0 == goal }) { return hit.1 }
            guard items.count > 1 else { return nil }
            let key = items.map(\.0).sorted { ($0.numerator, $0.denominator) < ($1.numerator, $1.denominator) }
            guard seen.insert(key).inserted else { return nil }
            for i in 0..<(items.count - 1) {
                for j in (i + 1)..<items.count {
                    let (a, sa) = items[i], (b, sb) = items[j]
                    var rest = items
                    rest.remove(at: j)
                    rest.remove(at: i)
                    var results: [(ExactRational?, String)] = [
                        (a.adding(b), "\(sa) + \(sb)"), (a.multiplied(by: b), "\(sa) * \(sb)"),
                        (a.adding(b.negated()), "\(sa) - \(sb)"), (b.adding(a.negated()), "\(sb) - \(sa)"),
                    ]
                    if !b.isZero { results.append((b.reciprocal().flatMap(a.multiplied(by:)), "\(sa) / \(sb)")) }
                    if !a.isZero { results.append((a.reciprocal().flatMap(b.multiplied(by:)), "\(sb) / \(sa)")) }
                    for case let (v?, s) in results {
                        if let found = search(rest + [(v, "(\(s))")]) { return found }
                    }
                }
            }
            return nil
        }
        return search(numbers.map { (ExactRational($0), "\($0)") })
    }
}

private extension Array {
    func shuffledPrefix(_ k: Int, _ rng: inout TaskRandom) -> [Element] {
        var xs = self
        for i in stride(from: xs.count - 1, to: 0, by: -1) { xs.swapAt(i, rng.int(0...i)) }
        return Array(xs.prefix(k))
    }
}
