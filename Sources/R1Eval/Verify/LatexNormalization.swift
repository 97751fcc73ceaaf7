// latex2sympy2_extended's normalize_latex with the configuration math-verify's LatexExtractionConfig uses
// (basic_latex, units, malformed_operators, nits; boxed "all", or "last" for a plain \boxed match): a port of
// math_normalization.py, pattern for pattern.
import Foundation

enum LatexNormalization {
    enum BoxedMode { case all, last }

    static func normalize(_ input: String, boxed: BoxedMode) -> String {
        var text = extractBoxed(input, mode: boxed)

        // basic latex
        text = text.replacingOccurrences(of: "\\mathrm{T}", with: "T")
        text = text.replacingOccurrences(of: "\\mathrm{d}", with: "d").replacingOccurrences(of: "{\\rm d}", with: "d")
        text = text.replacingOccurrences(of: "\\left[\\begin{matrix}", with: "\\begin{bmatrix}")
            .replacingOccurrences(of: "\\end{matrix}\\right]", with: "\\end{bmatrix}")
        text = rLeft.sub(text, template: "\\1")
        text = rRight.sub(text, template: "\\1")
        text = permutation.sub(text, template: "\\\\frac{(\\1)!}{((\\1)-(\\2))!}")
        text = toRemove.sub(text, template: "")
        text = toReplace.sub(text) { m, _ in
            for (name, replacement) in replacements where m.range(withName: name).location != NSNotFound { return replacement }
            return ""
        }
        text = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ")
        if !text.contains("matrix") { text = commandSlashFix.sub(text, template: "\\\\") }

        // units
        let withoutSuperscript = unitSuperscript.sub(text, template: "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !withoutSuperscript.isEmpty && withoutSuperscript != text { text = withoutSuperscript }
        for _ in 0..<2 {
            let t = unitsRegex.sub(text, template: "\\1")
            if !t.isEmpty && t != text { text = t }
        }

        // nits
        if text.hasPrefix(".") { text = "0" + text }
        if text == "0.5" { text = "\\frac{1}{2}" }

        // malformed operators
        for (re, template) in malformed { text = re.sub(text, template: template) }
        text = text.replacingOccurrences(of: " sqrt", with: "\\sqrt")
        text = fixSqrt(text)
        text = fixFracs(text)
        text = fixASlashB(text)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - patterns

    private static let rLeft = PyRegex(#"\\m?left(\\\{|\{|\\\||\||\[|\(|\\rbracl|\\lgroup|\\lbrace|\\lbrack|\\vert|\\lvert|\\lceil|\\lfloor|\\vert|\\lvert|\\langle|\\llcorner|\\ulcorner)"#)
    private static let rRight = PyRegex(#"\\m?right(\\\}|\}|\\\||\||\]|\)|\\rbrack|\\rgroup|\\rbrace|\\rbrack|\\vert|\\rvert|\\rceil|\\rfloor|\\vert|\\rvert|\\rangle|\\lrcorner|\\urcorner)"#)
    private static let permutation = PyRegex(#"\(([a-zA-Z0-9+\-*/\\ ]+?)\)_{([a-zA-Z0-9+\-*/\\ ]+?)}"#)
    private static let toRemove = PyRegex(#"\\mathrm\{th\}|\\!\s*|\\text\s*\{\s*\}|\\text\s*\{\s*\}|\\\$|\$|(?<!\\)["']|\\displaystyle"#)
    private static let replacements: [(String, String)] = [
        ("math", "\\text"), ("text", "\\text"), ("frac", "\\frac"), ("decimalspace", " 0."), ("decimalbrace", "{0."),
        ("approx", "\\approx"), ("comma", ","), ("andor", ","), ("andortext", ","), ("backslashspace", " "),
        ("infinity", "\\infty"), ("dot", " "), ("percentage", "\\%"), ("percentageintext", "%"), ("percent", "\\%"),
        ("percentintext", "%"), ("pct", "\\%"), ("pctintext", "%"), ("inf", "\\infty"), ("sqrt", "\\sqrt"),
    ]
    private static let toReplace = PyRegex([
        ("math", #"\\math(?:rm|it|bf)"#), ("text", #"\\text(?:normal|bf|it|rm)"#), ("frac", #"\\(?:d|t|c)frac"#),
        ("decimalspace", #"\s\."#), ("decimalbrace", #"\{\."#), ("approx", #"\~\="#), ("comma", #"\s*\{\s*,\s*\}"#),
        ("andor", #"(?<![a-zA-Z])(,?\s*(?:and|or))(?![a-zA-Z])"#), ("andortext", #"(,?\s*\\text{\s*(?:and|or)\s*})"#),
        ("backslashspace", #"(?<!\\)\\\s"#), ("infinity", "infinity"), ("dot", #",?(\\ldots)"#),
        ("percentage", #"\s*\bpercentage\b"#), ("percentageintext", #"\\text{percentage}"#),
        ("percent", #"\s*\bpercent\b"#), ("percentintext", #"\\text{percent}"#), ("pct", #"\s*\bpct\b"#),
        ("pctintext", #"\\text{pct}"#), ("inf", #"((?<!\\)inf(?!inity))"#), ("sqrt", " sqrt"),
    ].map { "(?P<\($0.0)>\($0.1))" }.joined(separator: "|"))
    private static let commandSlashFix = PyRegex(#"\\\\(?=[a-zA-Z])"#)
    private static let unitSuperscript = PyRegex(#"(\\(?:text|mbox){.*?})(\^\d|\{\^\d\})?$"#)

    private static let units = [
        "integerpoint", "feet", "sue", "digit", "pound", "meal", "edge", "student", "children ticket", "multiple", "east",
        "degree", "mph", "kmph", "ft", "m square", " m east", "sq m", "deg", "mile", "q .", "monkey", "prime", "ratio",
        "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per", "dm", "lt", "gain", "ab", "way", "west", "a .",
        "b .", "c .", "d .", "e .", "f .", "g .", "h .", "t", "h", "no change", "men", "soldier", "pie", "bc", "excess",
        "st", "inches", "noon", "cent", "by", "gal", "kmh", "c", "acre", "rise", "a . m", "th", "π r 2", "sq", "mark",
        "l", "toy", "coin", "sq . m", "gallon", "° f", "profit", "minw", "yr", "women", "am", "pm", "hr", "cu cm",
        "square", "v â € ™", "are", "rupee", "rounds", "cubic", "cc", "mtr", "s", "ohm", "number", "kmph", "day", "hour",
        "minute", "min", "second", "man", "woman", "sec", "cube", "mt", "sq inch", "mp", "∏ cm ³", "hectare", "more",
        "sec", "unit", "cu . m", "cm 2", "rs .", "rs", "kg", "g", "month", "km", "m", "cm", "mm", "apple", "liter",
        "loss", "yard", "pure", "year", "increase", "decrease", "d", "less", "Surface", "litre", "pi sq m", "s .",
        "metre", "meter", "inch",
    ]
    private static let unitsRegex = PyRegex("(\\d|\\}|\\s)\\s*(?:(?:\(units.joined(separator: "|")))(?:s|es)?)\\s*$")

    private static let malformed: [(PyRegex, String)] = [
        (PyRegex(#"\^\s?\((.*?)\)"#), #"^{\1}"#),
        (PyRegex(#"sqrt\s?\((.*?)\)"#), #"\\sqrt{\1}"#),
        (PyRegex(#"\\frac\s?(\d)\s?(\d+)"#), #"\\frac{\1}{\2}"#),
        (PyRegex(#"\\log_\s?(\d)\s?(\d+)"#), #"\\log_{\1}{\2}"#),
        (PyRegex(#"\\frac\s?{(.*?)}\s?(\d)"#), #"\\frac{\1}{\2}"#),
        (PyRegex(#"\\frac\s?(\d)\s?{(.*?)}"#), #"\\frac{\1}{\2}"#),
        (PyRegex(#"\\sqrt\s?(\d)"#), #"\\sqrt{\1}"#),
    ]

    // MARK: - helpers ported from hendrycks/math via math_normalization.py

    private static func fixSqrt(_ text: String) -> String {
        guard text.contains("\\sqrt") else { return text }
        let splits = text.components(separatedBy: "\\sqrt")
        var out = splits[0]
        for split in splits.dropFirst() {
            let s = split.drop { $0.isWhitespace }
            if let a = s.first, a != "{", a != "[" {
                out += "\\sqrt{\(a)}" + s.dropFirst()
            } else {
                out += "\\sqrt" + s
            }
        }
        return out
    }

    private static func fixFracs(_ text: String) -> String {
        let substrs = text.components(separatedBy: "\\frac")
        var out = substrs[0]
        for raw in substrs.dropFirst() {
            let s = Array(raw.drop { $0.isWhitespace })
            out += "\\frac"
            if s.first == "{" {
                out += String(s)
            } else if s.count < 2 {
                return text
            } else {
                let a = s[0], b = s[1]
                if b != "{" {
                    out += "{\(a)}{\(b)}" + String(s[2...])
                } else {
                    out += "{\(a)}\(b)" + String(s[2...])
                }
            }
        }
        return out
    }

    private static func fixASlashB(_ text: String) -> String {
        let parts = text.components(separatedBy: "/")
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), text == "\(a)/\(b)" else { return text }
        return "\\frac{\(a)}{\(b)}"
    }

    // MARK: - boxed

    private static let separator = PyRegex(#"\b(and|or)\b|,|;"#)

    /// extract_boxed_content: the last \boxed{…} / \fbox{…} (nested braces), or with `.all` every one, joined by ",".
    static func extractBoxed(_ input: String, mode: BoxedMode) -> String {
        let text = Array(input.unicodeScalars)
        var results: [String] = []
        var currentPos = text.count
        var maxPos = text.count
        var lastBoxedStart: Int? = nil
        func rfind(_ needle: String, _ end: Int) -> Int {
            let n = Array(needle.unicodeScalars)
            var i = end - n.count
            while i >= 0 {
                if Array(text[i..<(i + n.count)]) == n { return i }
                i -= 1
            }
            return -1
        }
        func string(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(text[r])) }
        while true {
            let boxedIdx = rfind("\\boxed", currentPos), fboxIdx = rfind("\\fbox", currentPos)
            if boxedIdx < 0 && fboxIdx < 0 { break }
            let start = max(boxedIdx, fboxIdx)
            var next = start + (boxedIdx > fboxIdx ? 6 : 5)
            while next < maxPos, text[next].properties.isWhitespace { next += 1 }
            if next >= maxPos { break }
            if text[next] == "{" {
                var depth = 1, i = next, close: Int? = nil
                while i + 1 < maxPos {
                    i += 1
                    if text[i] == "{" { depth += 1 } else if text[i] == "}" {
                        depth -= 1
                        if depth == 0 { close = i; break }
                    }
                }
                guard let close else {
                    if results.isEmpty { results.append(string(next..<text.count)) }
                    break
                }
                let content = string((next + 1)..<close).trimmingCharacters(in: .whitespacesAndNewlines)
                if mode == .last, let lastStart = lastBoxedStart {
                    let between = string((close + 1)..<max(close + 1, lastStart))
                    let ok = between.count < 10
                        || (content != (results.last ?? "") && between.count < 70 && separator.firstMatch(between) != nil)
                    if !ok { break }
                }
                if results.last != content { results.append(content) }
                lastBoxedStart = start
                maxPos = start
            } else {
                if results.isEmpty { results.append(string(next..<text.count)) }
                break
            }
            currentPos = start
        }
        return results.isEmpty ? input : results.reversed().joined(separator: ",")
    }
}
