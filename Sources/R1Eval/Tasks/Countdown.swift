// The countdown checker: the model's final expression (the last \boxed{} or the last expression line), evaluated
// with exact rationals (7/2 stays 7/2), must use each given number at most once, no other numbers, and hit the target.
import Foundation

public enum Countdown {
    public static func check(answer: String, numbers: [Int], target: Int) -> Bool {
        guard let text = finalExpression(answer) else { return false }
        guard let parsed = try? CountdownExpression.parse(text) else { return false }
        var available: [Int128: Int] = [:]
        for n in numbers { available[Int128(n), default: 0] += 1 }
        for literal in parsed.literals {
            guard let left = available[literal], left > 0 else { return false }
            available[literal] = left - 1
        }
        return parsed.value == ExactRational(target)
    }

    /// The expression part of the answer: the last \boxed{…} content, else the last line holding an operator; any
    /// "= result" tail is dropped and LaTeX operators become + - * /.
    static func finalExpression(_ response: String) -> String? {
        var text = response
        if let r = text.range(of: "</think>", options: .backwards) { text = String(text[r.upperBound...]) }
        let boxed = LatexNormalization.extractBoxed(text, mode: .last)
        var candidate: String
        if boxed != text {
            candidate = boxed
        } else {
            let lines = text.split(whereSeparator: \.isNewline).map { latexToPlain(String($0)) }
            guard let line = lines.last(where: { l in l.contains { "+-*/".contains($0) } && l.contains(where: \.isASCIIDigit) }) else {
                return nil
            }
            candidate = line
        }
        candidate = latexToPlain(candidate)
        // "(25 - 5) * 3 = 60": the side with operators
        let sides = candidate.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let expression = sides.first(where: { s in s.contains { "+-*/".contains($0) } }) ?? sides.first else { return nil }
        // a line of prose ending in the expression ("So the answer is 3 * (4 + 5)"): keep the arithmetic tail
        let allowed = Set("0123456789+-*/() .")
        let tail = String(expression.reversed().prefix { allowed.contains($0) }.reversed()).trimmingCharacters(in: .whitespaces)
        return tail.isEmpty ? nil : tail
    }

    private static func latexToPlain(_ s: String) -> String {
        var t = s
        for (from, to) in [("\\times", "*"), ("\\cdot", "*"), ("\\div", "/"), ("×", "*"), ("÷", "/"), ("·", "*"),
                           ("−", "-"), ("\\left", ""), ("\\right", ""), ("\\(", ""), ("\\)", ""), ("\\[", ""),
                           ("\\]", ""), ("$", ""), ("**", "")] {
            t = t.replacingOccurrences(of: from, with: to)
        }
        t = t.replacingOccurrences(of: #"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}"#, with: "($1)/($2)", options: .regularExpression)
        t = t.replacingOccurrences(of: "{", with: "(").replacingOccurrences(of: "}", with: ")")
        return t.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: ".")))
    }
}

/// + - * / over non-negative integer literals with parentheses; no unary operators (they would make new numbers).
struct CountdownExpression {
    struct Invalid: Error {}
    var value: ExactRational
    var literals: [Int128]

    static func parse(_ text: String) throws -> CountdownExpression {
        var p = Parser(chars: Array(text.filter { !$0.isWhitespace }))
        guard !p.chars.isEmpty, p.chars.count <= 2000 else { throw Invalid() }
        let v = try p.sum(depth: 0)
        guard p.i == p.chars.count else { throw Invalid() }
        return CountdownExpression(value: v, literals: p.literals)
    }

    private struct Parser {
        let chars: [Character]
        var i = 0
        var literals: [Int128] = []

        mutating func sum(depth: Int) throws -> ExactRational {
            var v = try product(depth: depth)
            while i < chars.count, chars[i] == "+" || chars[i] == "-" {
                let op = chars[i]; i += 1
                let r = try product(depth: depth)
                guard let s = v.adding(op == "+" ? r : r.negated()) else { throw Invalid() }
                v = s
            }
            return v
        }

        mutating func product(depth: Int) throws -> ExactRational {
            var v = try atom(depth: depth)
            while i < chars.count, chars[i] == "*" || chars[i] == "/" {
                let op = chars[i]; i += 1
                let r = try atom(depth: depth)
                if op == "*" {
                    guard let p = v.multiplied(by: r) else { throw Invalid() }
                    v = p
                } else {
                    guard !r.isZero, let inv = r.reciprocal(), let q = v.multiplied(by: inv) else { throw Invalid() }
                    v = q
                }
            }
            return v
        }

        mutating func atom(depth: Int) throws -> ExactRational {
            guard i < chars.count, depth < 200 else { throw Invalid() }
            if chars[i] == "(" {
                i += 1
                let v = try sum(depth: depth + 1)
                guard i < chars.count, chars[i] == ")" else { throw Invalid() }
                i += 1
                return v
            }
            var n: Int128 = 0
            let start = i
            while i < chars.count, chars[i].isASCIIDigit {
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int128(chars[i].wholeNumberValue!))
                guard !o1, !o2 else { throw Invalid() }
                n = s
                i += 1
            }
            guard i > start else { throw Invalid() }
            if i < chars.count, chars[i] == "." { throw Invalid() }
            literals.append(n)
            return ExactRational(integer: n)
        }
    }
}
