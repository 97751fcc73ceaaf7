// The answer checker: math-verify 0.9's `verify(parse(gold), parse(answer))` with its defaults, in Swift.
// Extraction: AnswerExtraction; normalization: LatexNormalization; parsing: LatexParser; equality: AnswerComparison.

/// What `MathVerify.parse` found in a text: the parsed value and the string it came from.
public struct ParsedAnswer: Sendable, Hashable {
    /// The normalized answer string (math-verify's fallback string), or "" when nothing was found.
    public let display: String
    /// Groups answers for majority voting: equal exact values share a key (1/2, 0.5 and \frac{2}{4}), as do
    /// equal strings.
    public let key: Key
    let value: MathValue?
    /// math-verify's string fallback: the first match tried, compared as a string with the other side's.
    let fallback: String?

    public struct Key: Sendable, Hashable, CustomStringConvertible {
        let text: String
        public var description: String { text }
    }

    var isEmpty: Bool { value == nil && fallback == nil }

    /// The parsed structure, for debugging a verdict (nil when only a string was found).
    public var valueDescription: String? { value.map { "\($0)" } }
}

public enum MathVerify {
    public static func parse(_ text: String) -> ParsedAnswer {
        let found = AnswerExtraction.extract(text)
        let display = found.parsedText ?? found.fallback ?? ""
        return ParsedAnswer(display: display, key: ParsedAnswer.Key(text: key(found.value, display)),
                            value: found.value, fallback: found.fallback)
    }

    /// Order-sensitive: `gold` first, as math-verify's verify(gold, target).
    public static func verify(gold: ParsedAnswer, answer: ParsedAnswer) -> Bool {
        if let g = gold.value, let a = answer.value, !g.isUndefined, AnswerComparison.equal(gold: g, pred: a) { return true }
        if let g = gold.fallback?.trimmingCharacters(in: .whitespacesAndNewlines),
           let a = answer.fallback?.trimmingCharacters(in: .whitespacesAndNewlines), !g.isEmpty, g == a {
            return true
        }
        return false
    }

    private static func key(_ value: MathValue?, _ display: String) -> String {
        guard case .expr(let e)? = value else { return display }
        if let r = ExactEvaluator.value(e) { return "=\(r)" }
        if e.freeSymbols.isEmpty, let d = NumericEvaluator.real(e), d.isFinite {
            return "≈\((d * 1e6).rounded() / 1e6)"
        }
        return display
    }
}

extension MathValue {
    /// sympy's nan / zoo (1/0): math-verify refuses to compare a gold that evaluates to them.
    var isUndefined: Bool {
        guard case .expr(let e) = self, e.freeSymbols.isEmpty else { return false }
        if let d = NumericEvaluator.evaluate(e, [:]) { return d.isNaN || (d.isInfinite && !e.containsInfinity) }
        return false
    }
}

extension MathExpr {
    var containsInfinity: Bool {
        switch self {
        case .infinity: return true
        case .add(let xs), .mul(let xs), .function(_, let xs): return xs.contains(where: \.containsInfinity)
        case .pow(let a, let b): return a.containsInfinity || b.containsInfinity
        case .percent(let x): return x.containsInfinity
        default: return false
        }
    }
}

import Foundation
