// `builtin:arithmetic`: multi-digit + − × and exact ÷ with the usual precedence. Difficulty D sets the digits of each
// number (D + 1, at most 8) and the number of operations (1 + D / 2, at most 6); the gold is the exact integer.

public enum ArithmeticTask {
    public static func generate(seed: UInt64, difficulty: Int, count: Int) -> [EvalProblem] {
        (0..<max(0, count)).map { problem(seed: seed, difficulty: difficulty, index: $0) }
    }

    /// Problem `index` alone (each has its own random stream).
    public static func problem(seed: UInt64, difficulty: Int, index i: Int) -> EvalProblem {
        var rng = TaskRandom(seed: seed, stream: UInt64(i) &* 2 &+ 1)
        let (text, value) = expression(&rng, difficulty: difficulty)
        return EvalProblem(id: "arithmetic-\(seed)-\(difficulty)-\(i)", question: "What is \(text)?",
                           check: .math(gold: "\(value)"))
    }

    static func digits(_ difficulty: Int) -> Int { min(difficulty + 1, 8) }
    static func operations(_ difficulty: Int) -> Int { min(1 + difficulty / 2, 6) }

    /// A sum of terms; a term is a product of numbers or an exact quotient (b·q) ÷ b.
    static func expression(_ rng: inout TaskRandom, difficulty: Int) -> (String, Int128) {
        let d = digits(difficulty)
        var opsLeft = operations(difficulty)
        var text = ""
        var total: Int128 = 0
        var first = true
        while opsLeft > 0 || first {
            var sign: Int128 = 1
            if !first {
                sign = rng.int(0...1) == 0 ? 1 : -1
                text += sign == 1 ? " + " : " − "
                opsLeft -= 1
            }
            first = false
            let kind = opsLeft == 0 ? 0 : rng.int(0...2)  // 0: a number, 1: a product, 2: a quotient
            switch kind {
            case 1:
                let a = rng.number(digits: d), b = rng.number(digits: max(1, d - 1))
                text += "\(a) × \(b)"
                total += sign * Int128(a) * Int128(b)
                opsLeft -= 1
            case 2:
                let b = rng.number(digits: max(1, d - 1)), q = rng.number(digits: d)
                text += "\(Int128(b) * Int128(q)) ÷ \(b)"
                total += sign * Int128(q)
                opsLeft -= 1
            default:
                let a = rng.number(digits: d)
                text += "\(a)"
                total += sign * Int128(a)
            }
        }
        return (text, total)
    }
}
