// Finding the answer in a response, as math-verify 0.9's `parse` does with its default targets
// (LatexExtractionConfig(), ExprExtractionConfig()): its regex tables by priority (0 "final answer is … I hope",
// 50 "final answer is" and \boxed, 100/200 "answer:", 300 any LaTeX or number), rightmost match first.
import Foundation

enum AnswerExtraction {
    /// One candidate as parse returns it: the parsed value (nil when parsing failed) and its normalized string.
    struct Candidate { var value: MathValue?; var text: String }

    enum Kind { case latex, expr }
    struct Pattern {
        let regex: PyRegex, priority: Int, kind: Kind
        /// The named groups the pattern declares (asking NSTextCheckingResult for any other name is not safe).
        let names: Set<String>
        init(_ source: String, priority: Int, kind: Kind, dotAll: Bool) {
            regex = PyRegex(source, dotAll: dotAll)
            self.priority = priority
            self.kind = kind
            names = Set(source.components(separatedBy: "(?P<").dropFirst().map { String($0.prefix { $0 != ">" }) })
        }
    }

    /// parse(pred): the first candidate that parses, plus the first string tried (fallback_mode "first_match").
    static func extract(_ text: String) -> (value: MathValue?, parsedText: String?, fallback: String?) {
        let ns = text as NSString
        var fallbacks: [String] = []
        for priority in priorities {
            var found: [(NSTextCheckingResult, Pattern)] = []
            for p in patterns where p.priority == priority {
                for m in p.regex.matches(text) { found.append((m, p)) }
            }
            found.sort { a, b in
                let ea = a.0.range.location + a.0.range.length, eb = b.0.range.location + b.0.range.length
                return ea != eb ? ea > eb : a.0.range.location < b.0.range.location
            }
            for (m, p) in found {
                let groups = Groups(match: m, names: p.names, text: ns)
                let c = p.kind == .latex ? latexCandidate(groups) : exprCandidate(groups)
                if !c.text.isEmpty { fallbacks.append(c.text) }
                if let v = c.value { return (v, c.text, fallbacks.first) }
            }
        }
        return (nil, nil, fallbacks.first)
    }

    // MARK: - candidates

    private static let envNames = ["latexDisplayDollar", "latexDisplayBracket", "latexInlineDollar",
                                   "latexInlineParenthesis", "latexInlineBracket", "latexFraction", "latexBoxed"]
    static let groupPrefixes = ["first"] + (1...5).map { "next\($0)" }

    struct Groups {
        let match: NSTextCheckingResult, names: Set<String>, text: NSString
        subscript(_ name: String) -> String? { names.contains(name) ? match.group(name, in: text) : nil }
    }

    private static func latexCandidate(_ m: Groups) -> Candidate {
        var values: [MathValue?] = []
        var texts: [String] = []
        for prefix in groupPrefixes {
            guard let (latex, env) = envNames.lazy.compactMap({ name -> (String, String)? in
                guard let g = m[prefix + name], !g.isEmpty else { return nil }
                return (g, name)
            }).first else { continue }
            let isPercent = m[prefix + "percent"].map { !$0.isEmpty } ?? false
            let normalized = LatexNormalization.normalize(latex, boxed: env == "latexBoxed" ? .last : .all)
            texts.append(normalized)
            if var v = parseLatex(normalized) {
                if isPercent, case .expr(let e) = v { v = .expr(.percent(e)) }
                values.append(v)
            } else {
                values.append(nil)
            }
        }
        guard !values.isEmpty else { return Candidate(value: nil, text: "") }
        if values.count > 1, values.allSatisfy({ $0 != nil }) {
            let elements = values.flatMap { v -> [MathValue] in if case .set(let xs) = v! { return xs }; return [v!] }
            return Candidate(value: .set(elements), text: texts.joined(separator: " and "))
        }
        return Candidate(value: values[0], text: texts[0])
    }

    /// latex2sympy on a normalized string; on failure, the part after the last "=" of a chain (get_last_eq).
    static func parseLatex(_ latex: String) -> MathValue? {
        if let v = try? LatexParser.parse(latex) { return v }
        guard !latex.contains(","), !latex.contains(";") else { return nil }
        let parts = equationSplit.sub(latex) { _, _ in "\u{0}" }.split(separator: "\u{0}", omittingEmptySubsequences: false)
        guard parts.count > 2 else { return nil }
        return try? LatexParser.parse(String(parts.last!))
    }
    private static let equationSplit = PyRegex(#"(?<!\\|\<|\!|\>)="#)

    private static func exprCandidate(_ m: Groups) -> Candidate {
        let integer = ["integer1", "integer2", "integer3"].lazy.compactMap { m[$0] }.first { !$0.isEmpty } ?? ""
        let decimal = ["decimal1", "decimal2", "decimal3"].lazy.compactMap { m[$0] }.first { !$0.isEmpty } ?? ""
        let isPercent = m["percent"].map { !$0.isEmpty } ?? false
        if !integer.isEmpty || !decimal.isEmpty {
            var digits = integer.filter { $0 != "," && $0 != " " }
            let negative = digits.hasPrefix("-")
            if negative { digits.removeFirst() }
            digits = String(digits.drop { $0 == "0" })
            var intText = (negative ? "-" : "") + digits
            if digits.isEmpty { intText = negative ? "-0" : "0" }
            if intText == "-0", decimal.isEmpty { intText = "0" }
            let numberText = (digits.isEmpty && !negative ? "0" : intText) + decimal.replacingOccurrences(of: ",", with: ".")
            guard var n = LatexParser.numberExpr(numberText) else { return Candidate(value: nil, text: numberText) }
            if isPercent { n = .percent(n) }
            return Candidate(value: .expr(n), text: numberText)
        }
        let expr = m["expr"] ?? ""
        guard !expr.isEmpty else { return Candidate(value: nil, text: "") }
        let v = try? LatexParser.parsePlain(expr.replacingOccurrences(of: "\n", with: " "))
        return Candidate(value: v.map { .expr($0) }, text: expr)
    }

    // MARK: - the regex tables (parser.py)

    private static let priorities = [0, 50, 100, 200, 250, 300]

    static let patterns: [Pattern] = latexPatterns() + exprPatterns()

    private static func latexEnv(_ prefix: String, boxed: Bool) -> String {
        let percent = "(?P<\(prefix)percent>(?:\\\\?%|[Pp]ercent|[Pp]ercentage|[Pp]ct))"
        var displayDollar = #"(?:[^$]|\$(?!\$))"#
        var displayBracket = #"(?:[^\\]|\\(?!\]))"#
        var inlineDollar = #"(?:\\[$]|[^\n$])"#
        var inlineParen = #"(?:[^\\\n]|\\(?!\)))"#
        var inlineBracket = #"[^\n\]\[]"#
        if boxed {
            func b(_ c: String) -> String { "\(c)*?\\\\boxed{\(c)+?}\(c)*?" }
            displayDollar = b(displayDollar); displayBracket = b(displayBracket); inlineDollar = b(inlineDollar)
            inlineParen = b(inlineParen); inlineBracket = b(inlineBracket)
        } else {
            displayDollar += "+?"; displayBracket += "+?"; inlineDollar += "+?"; inlineParen += "+?"; inlineBracket += "+?"
        }
        var alternatives = [
            "(?<!\\\\)\\$\\$(?P<\(prefix)latexDisplayDollar>\(displayDollar))(?<!\\\\)\\$\\$",
            "(?<!\\\\)\\\\\\[(?P<\(prefix)latexDisplayBracket>\(displayBracket))(?<!\\\\)\\\\\\]",
            "(?<!\\\\|\\d)\\$(?P<\(prefix)latexInlineDollar>\(inlineDollar))(?<!\\\\)\\$",
            "(?<!\\\\)\\\\\\((?P<\(prefix)latexInlineParenthesis>\(inlineParen))(?<!\\\\)\\\\\\)",
            "\\s\\[(?P<\(prefix)latexInlineBracket>\(inlineBracket))\\]\\s",
        ]
        if !boxed {
            let simple = #"-?\d+(?:[.,]\d+)?"#
            alternatives.append("(?P<\(prefix)latexFraction>-?\\\\frac{\(simple)}{\(simple)})")
        }
        return "(?:(?:\(alternatives.joined(separator: "|")))\\s*\(percent)?)"
    }

    private static func latexPatterns() -> [Pattern] {
        let next = (1...5).map { "(?:\\s*(?:,?and|,?or|,)\\s*\(latexEnv("next\($0)", boxed: false)))?" }.joined()
        let envs = "(?:\(latexEnv("first", boxed: false))\(next))"
        var out: [(String, Int)] = [
            ("(?i:final answer is)\\:?\\s*\(envs)\\.?\\s?I hope", 0),
            ("(?i:final answer.{0,100}?)\\s+is\\:?\\s*\(envs)", 50),
            ("(?i:answer):.{0,50}?\(envs)", 100),
            ("(?i:answer).{0,50}?\(envs)", 200),
            (envs, 300),
        ]
        let nextBoxed = (1...5).map { "\\s*(?:\\s*(?:,?and|,?or|,)\\s*\(latexEnv("next\($0)", boxed: true)))?" }.joined()
        out.append((latexEnv("first", boxed: true) + nextBoxed, 50))
        out.append(("(?P<firstlatexBoxed>\\\\boxed{.+})", 50))
        return out.map { Pattern($0.0, priority: $0.1, kind: .latex, dotAll: true) }
    }

    private static func exprPatterns() -> [Pattern] {
        let number = "(?<!\\d)(?:"
            + "(?P<integer1>-?[1-9]\\d{0,2}(?:[ ,]\\d{3})+)(?P<decimal1>\\.\\d+)?|"
            + "(?P<integer2>-?\\d+)(?P<decimal2>[.,]\\d+)|"
            + "(?P<decimal3>\\.\\d+)|"
            + "(?P<integer3>-?\\d+)"
            + ")(?P<percent>\\s*(?:%|[Pp]ercent|\\s*[Pp]ercentage|\\s*[Pp]ct))?"
        let ops = #"\+\-\*\×\/\^\(\)\÷"#
        let allChars = "[\\d\\.\\s\(ops)]"
        let expr = "(?P<expr>-?\\(?-?\\d\(allChars)*[\(ops)]\(allChars)+\\)?)"
        let currency = NSRegularExpression.escapedPattern(for: "$€£¥₹₽₪₩₫฿₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₴₵₶₷₸₹₺₻₼₽₾₿")
        let prefix = "(?:^|\\s|\\=)(?:\\*\\*)?"
        let suffix = "(?:\\*\\*)?(?:\\.|,|:|\\s|\\)|\\$|$)"
        let exprAnchored = "(?:\(prefix)\(expr)\(suffix))"
        let numberAnchored = "(?:\(prefix)[\(currency)]?\(number))"
        let either = "(?:\(exprAnchored)|\(numberAnchored))"
        let table: [(String, Int)] = [
            ("(?i:final answer is)\\:?\\s*\(either)\\.?\\s?I hope", 0),
            ("(?i:final answer.{0,100}?)\\s+is\\:?\(either)", 50),
            ("(?i:answer):(?:.{0,100}=\\s*|.{0,50}?)\(either)(?!\\s*=)", 100),
            ("(?i:answer)(?:.{0,100}=\\s*|.{0,50}?)\(either)(?!\\s*=)", 200),
            (exprAnchored, 300),
            (numberAnchored, 300),
        ]
        return table.map { Pattern($0.0, priority: $0.1, kind: .expr, dotAll: false) }
    }
}
