// Tokens of normalized LaTeX (and plain expressions such as "3 * 4 ÷ 2"), as latex2sympy2_extended's PS.g4 lexer
// splits them: numbers, single letters, commands, punctuation. Spacing commands are dropped here.

enum LatexToken: Equatable, Sendable {
    case number(String)
    case letter(Character)
    /// `\name` without the backslash; one-character commands such as `\{`, `\%`, `\\` keep that character.
    case command(String)
    case punct(Character)
}

struct LatexLexer {
    static let ignoredCommands: Set<String> = [
        ",", ";", ":", "!", " ", "quad", "qquad", "left", "right", "mleft", "mright", "displaystyle", "textstyle",
        "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "bigg", "Bigg", "biggl", "biggr", "limits", "nolimits",
        "hfill", "space", "thinspace", "medspace", "thickspace", "enspace", "middle",
    ]
    static let unicode: [Character: LatexToken] = [
        "×": .command("times"), "÷": .command("div"), "·": .command("cdot"), "⋅": .command("cdot"),
        "π": .command("pi"), "∞": .command("infty"), "≤": .command("le"), "≥": .command("ge"), "≠": .command("ne"),
        "−": .punct("-"), "∪": .command("cup"), "∩": .command("cap"), "√": .command("sqrt"), "±": .command("pm"),
        "°": .command("circ"), "∈": .command("in"),
    ]

    /// Throws on a character no rule accepts.
    static func tokens(_ text: String) throws(LatexParseError) -> [LatexToken] {
        let chars = Array(text)
        var out: [LatexToken] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c.isASCIIDigit || (c == "." && i + 1 < chars.count && chars[i + 1].isASCIIDigit) {
                var j = i
                while j < chars.count, chars[j].isASCIIDigit { j += 1 }
                if j < chars.count, chars[j] == ".", j + 1 < chars.count, chars[j + 1].isASCIIDigit {
                    j += 1
                    while j < chars.count, chars[j].isASCIIDigit { j += 1 }
                } else if j < chars.count, chars[j] == ".", j + 1 == chars.count || !chars[j + 1].isLetter {
                    j += 1  // "3." is the number 3.0 as sympy reads it
                }
                out.append(.number(String(chars[i..<j])))
                i = j
                continue
            }
            if c.isASCII && c.isLetter { out.append(.letter(c)); i += 1; continue }
            if c == "\\" {
                var j = i + 1
                if j < chars.count, chars[j].isASCII, chars[j].isLetter {
                    while j < chars.count, chars[j].isASCII, chars[j].isLetter { j += 1 }
                    var name = String(chars[(i + 1)..<j])
                    // \quadx: the spacing command, then the letters (ANTLR's longest token match)
                    if let space = ["qquad", "quad"].first(where: { name.hasPrefix($0) && name != $0 }) {
                        j = i + 1 + space.count
                        name = space
                    }
                    if !ignoredCommands.contains(name) { out.append(.command(name)) }
                    i = j
                } else if j < chars.count, "()[]".contains(chars[j]) {
                    out.append(.punct(chars[j]))  // \( \) \[ \] left behind by \\left( after normalization
                    i = j + 1
                } else if j < chars.count {
                    let name = String(chars[j])
                    if !ignoredCommands.contains(name) { out.append(.command(name)) }
                    i = j + 1
                } else {
                    throw LatexParseError("a lone backslash at the end")
                }
                continue
            }
            if let t = unicode[c] { out.append(t); i += 1; continue }
            if "+-*/^_()[]{}|!,;=<>&:'%.".contains(c) { out.append(.punct(c)); i += 1; continue }
            if c.isLetter { out.append(.letter(c)); i += 1; continue }
            throw LatexParseError("unexpected character '\(c)'")
        }
        return out
    }
}

struct LatexParseError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
