// SFT traces for `builtin:arithmetic` questions, written by a randomised program rather than by a model: products and
// quotients first (long multiplication; long division by trial quotient digits that are checked and corrected when
// too big or too small), then the terms combined left to right by column addition and subtraction. The trace is what
// the model writes inside <think>; the answer follows in \boxed{}. Two styles: `columns` (the shipped model's) reads
// each column's digits from the operands written at the top; `masked` ends every column step with the operands again,
// their used digits written as `_` (`left 96_ + 49_`), so each step reads the line before it.
import Foundation

public enum ArithmeticTrace {
    /// How a column procedure finds its next digits.
    public enum Style: String, Sendable, CaseIterable {
        /// From the operands at the top of the procedure, by place (the shipped model's traces).
        case columns
        /// From the line before: each step but the last ends with the operands at full length, the digits used so far
        /// written as `_` (`9376 × 9` hands on `937_ × 9`; long division `left __760`). Writing them is a copy that
        /// stops where a number ends, and the next digit is the one beside the `_`s, for operands of any length.
        case masked
    }

    enum Term: Equatable {
        case number(Int)
        case product(Int, Int)
        case quotient(Int, Int)
    }

    /// The completion for "What is … ?" (thinking, `</think>`, the boxed answer), or nil when the question is not a
    /// sum of numbers, products and exact quotients of non-negative integers.
    public static func completion(question: String, style: Style = .columns, rng: inout TrainRandom) -> String? {
        guard let terms = parse(question) else { return nil }
        var lines: [String] = []
        var values: [Int] = []
        for (_, term) in terms {
            switch term {
            case .number(let n): values.append(n)
            case .product(let a, let b):
                lines += multiply(a, b, style)
                values.append(a * b)
            case .quotient(let n, let d):
                guard d != 0, n % d == 0 else { return nil }
                lines += divide(n, d, style, rng: &rng)
                values.append(n / d)
            }
        }
        var total = values[0]
        for i in 1..<terms.count {
            let (sign, _) = terms[i]
            let v = values[i]
            lines.append("Now \(show(total)) \(sign > 0 ? "+" : "−") \(v).")
            let (work, result) = combine(total, sign > 0 ? v : -v, style)
            lines += work
            total = result
        }
        lines.append("So the answer is \(show(total)).")
        return lines.joined(separator: "\n") + "\n</think>\n\n\\boxed{\(total)}"
    }

    /// "What is 47 × 8 − 156 ÷ 6?" as signed terms.
    static func parse(_ question: String) -> [(sign: Int, term: Term)]? {
        var text = Substring(question)
        guard text.hasPrefix("What is "), let q = text.lastIndex(of: "?") else { return nil }
        text = text[text.index(text.startIndex, offsetBy: 8)..<q]
        let words = text.split(separator: " ")
        guard words.count % 2 == 1 else { return nil }
        var terms: [(Int, Term)] = []
        var i = 0
        var sign = 1
        while i < words.count {
            guard let a = Int(words[i]), a >= 0, a < 1_000_000_000 else { return nil }
            if i + 2 < words.count, words[i + 1] == "×" || words[i + 1] == "÷" {
                guard let b = Int(words[i + 2]), b >= 0, b < 1_000_000_000 else { return nil }
                terms.append((sign, words[i + 1] == "×" ? .product(a, b) : .quotient(a, b)))
                i += 3
            } else {
                terms.append((sign, .number(a)))
                i += 1
            }
            if i < words.count {
                switch words[i] {
                case "+": sign = 1
                case "−", "-": sign = -1
                default: return nil
                }
                i += 1
                guard i < words.count else { return nil }
            }
        }
        guard !terms.isEmpty, terms[0].0 == 1 else { return nil }
        return terms
    }

    static func show(_ v: Int) -> String { v < 0 ? "−\(-v)" : "\(v)" }

    static func digits(_ v: Int) -> [Int] { String(v).compactMap { $0.wholeNumberValue } }  // most significant first

    /// `total + v` with the work done on magnitudes.
    static func combine(_ total: Int, _ v: Int, _ style: Style) -> ([String], Int) {
        let a = abs(total), b = abs(v)
        switch (total >= 0, v >= 0) {
        case (true, true):
            return (add(a, b, style), a + b)
        case (false, false):
            return (["That is −(\(a) + \(b))."] + add(a, b, style), -(a + b))
        case (true, false):
            if a >= b { return (subtract(a, b, style), a - b) }
            return (["\(a) < \(b), so it is −(\(b) − \(a))."] + subtract(b, a, style), a - b)
        case (false, true):
            if b >= a { return (["That is \(b) − \(a)."] + subtract(b, a, style), b - a) }
            return (["That is −(\(a) − \(b))."] + subtract(a, b, style), b - a)
        }
    }

    /// `v` with its last `used` digits written as `_` (`964`, 1 -> `96_`): the number's length is kept.
    static func masked(_ v: Int, _ used: Int) -> String {
        let s = String(v)
        let k = min(used, s.count)
        return String(s.dropLast(k)) + String(repeating: "_", count: k)
    }

    /// Column addition, right to left, with carries; the last column writes its whole sum.
    static func add(_ a: Int, _ b: Int, _ style: Style) -> [String] {
        let x = digits(a).reversed().map { $0 }, y = digits(b).reversed().map { $0 }
        let n = max(x.count, y.count)
        var lines = ["\(a) + \(b):"]
        var carry = 0
        var soFar = ""
        for i in 0..<n {
            let p = i < x.count ? x[i] : 0, q = i < y.count ? y[i] : 0
            let s = p + q + carry
            let expr = carry > 0 ? "\(p) + \(q) + \(carry) = \(s)" : "\(p) + \(q) = \(s)"
            if i == n - 1 {
                soFar = "\(s)" + soFar
                lines.append("\(expr), so far \(soFar)")
            } else {
                soFar = "\(s % 10)" + soFar
                carry = s / 10
                let line = carry > 0 ? "\(expr), carry \(carry), so far \(soFar)" : "\(expr), so far \(soFar)"
                lines.append(style == .masked ? "\(line), left \(masked(a, i + 1)) + \(masked(b, i + 1))" : line)
            }
        }
        lines.append("\(a) + \(b) = \(a + b)")
        return lines
    }

    /// Column subtraction `a − b` (a ≥ b), right to left, with borrows.
    static func subtract(_ a: Int, _ b: Int, _ style: Style) -> [String] {
        precondition(a >= b)
        let x = digits(a).reversed().map { $0 }, y = digits(b).reversed().map { $0 }
        var lines = ["\(a) − \(b):"]
        var borrow = 0
        var soFar = ""
        for i in 0..<x.count {
            let p = x[i], q = i < y.count ? y[i] : 0
            let expr = borrow > 0 ? "\(p) − 1 − \(q)" : "\(p) − \(q)"
            let r = p - borrow - q
            var line: String
            if r < 0 {
                let e2 = borrow > 0 ? "1\(p) − 1 − \(q)" : "1\(p) − \(q)"
                soFar = "\(r + 10)" + soFar
                line = "\(expr): borrow, \(e2) = \(r + 10), so far \(soFar)"
                borrow = 1
            } else {
                soFar = "\(r)" + soFar
                line = "\(expr) = \(r), so far \(soFar)"
                borrow = 0
            }
            if style == .masked, i < x.count - 1 { line += ", left \(masked(a, i + 1)) − \(masked(b, i + 1))" }
            lines.append(line)
        }
        lines.append("\(a) − \(b) = \(a - b)")
        return lines
    }

    /// `a × d` for one digit d, right to left with carries; the lines and the product.
    static func multiplyByDigit(_ a: Int, _ d: Int, _ style: Style) -> [String] {
        let x = digits(a).reversed().map { $0 }
        var lines = ["\(a) × \(d):"]
        var carry = 0
        var soFar = ""
        for i in 0..<x.count {
            let p = x[i] * d
            var expr = "\(x[i]) × \(d) = \(p)"
            let s = p + carry
            if carry > 0 { expr += ", \(p) + \(carry) = \(s)" }
            if i == x.count - 1 {
                soFar = "\(s)" + soFar
                lines.append("\(expr), so far \(soFar)")
            } else {
                soFar = "\(s % 10)" + soFar
                carry = s / 10
                let line = carry > 0 ? "\(expr), carry \(carry), so far \(soFar)" : "\(expr), so far \(soFar)"
                lines.append(style == .masked ? "\(line), left \(masked(a, i + 1)) × \(d)" : line)
            }
        }
        lines.append("\(a) × \(d) = \(a * d)")
        return lines
    }

    /// Long multiplication: one partial product per digit of b (shifted), then the partials added.
    static func multiply(_ a: Int, _ b: Int, _ style: Style) -> [String] {
        let y = digits(b).reversed().map { $0 }
        if y.count == 1 { return multiplyByDigit(a, b, style) }
        var lines = ["\(a) × \(b): one digit of \(b) at a time."]
        var partials: [Int] = []
        var shift = 1
        for d in y {
            lines += multiplyByDigit(a, d, style)
            let partial = a * d * shift
            if shift > 1 { lines.append("Shifted: \(partial)") }
            partials.append(partial)
            shift *= 10
        }
        var sum = partials[0]
        for p in partials.dropFirst() {
            lines += add(sum, p, style)
            sum += p
        }
        lines.append("\(a) × \(b) = \(a * b)")
        return lines
    }

    /// Long division of an exact quotient: bring digits down; each quotient digit is guessed (near the right one, at
    /// random), checked, and corrected until the remainder is below the divisor.
    static func divide(_ n: Int, _ d: Int, _ style: Style, rng: inout TrainRandom) -> [String] {
        var lines = ["\(n) ÷ \(d):"]
        let x = digits(n)
        var i = 0
        var part = 0
        // The first chunk: enough leading digits to reach d (or all of them).
        while i < x.count {
            part = part * 10 + x[i]
            i += 1
            if part >= d { break }
        }
        var soFar = ""
        while true {
            let q = part / d
            var g = max(0, min(9, q + [-1, 0, 0, 0, 1][Int(rng.next() % 5)]))
            var tries: [String] = []
            while true {
                let p = g * d
                if p > part {
                    tries.append("try \(g), \(g) × \(d) = \(p), too big")
                    g -= 1
                } else if part - p >= d {
                    tries.append("try \(g), \(g) × \(d) = \(p), \(part) − \(p) = \(part - p), too small")
                    g += 1
                } else {
                    tries.append("try \(g), \(g) × \(d) = \(p), \(part) − \(p) = \(part - p)")
                    break
                }
            }
            soFar += "\(q)"
            // Masked: the dividend with the digits brought down so far as `_` (`__760`); the next is the one after.
            let left = style == .masked && i < x.count
                ? ", left " + String(repeating: "_", count: i) + x[i...].map(String.init).joined() : ""
            lines.append("\(part) ÷ \(d): " + tries.joined(separator: "; ") + ", so far \(soFar)" + left)
            let rem = part - q * d
            guard i < x.count else { break }
            part = rem * 10 + x[i]
            i += 1
        }
        lines.append("\(n) ÷ \(d) = \(n / d)")
        return lines
    }
}
