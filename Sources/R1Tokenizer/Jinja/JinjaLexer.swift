// Splits a template into text and tag tokens, applying whitespace control (`-`, `+`, trim_blocks, lstrip_blocks)
// exactly as jinja2's lexer.py does with trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False.
import Foundation

struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case end
    }
    let kind: Kind
    let line: Int

    var describe: String {
        switch kind {
        case .text: "template text"
        case .variableBegin: "'{{'"
        case .variableEnd: "'}}'"
        case .blockBegin: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let n): "'\(n)'"
        case .string(let s): "string '\(s)'"
        case .integer(let i): "'\(i)'"
        case .float(let d): "'\(d)'"
        case .op(let o): "'\(o)'"
        case .end: "end of template"
        }
    }
}

struct JinjaLexer {
    private let s: [Unicode.Scalar]
    /// lines[i]: the 1-based line of position i.
    private let lines: [Int32]
    private var pos = 0
    private var tokens: [Token] = []
    /// Whether the last match ended with a newline (jinja2's `line_starting`), for lstrip_blocks.
    private var lineStarting = true
    private let trimBlocks = true
    private let lstripBlocks = true

    init(_ source: String) {
        // jinja2 first turns \r\n and \r into \n and drops one trailing newline.
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var it = source.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = it.next()
        while let c = pending {
            pending = it.next()
            if c == "\r" {
                scalars.append("\n")
                if pending == "\n" { pending = it.next() }
            } else {
                scalars.append(c)
            }
        }
        if scalars.last == "\n" { scalars.removeLast() }
        s = scalars
        var lines = [Int32](repeating: 1, count: scalars.count + 1)
        var n: Int32 = 1
        for (i, c) in scalars.enumerated() {
            lines[i] = n
            if c == "\n" { n += 1 }
        }
        lines[scalars.count] = n
        self.lines = lines
    }

    static func tokenize(_ source: String) throws -> [Token] {
        var lexer = JinjaLexer(source)
        try lexer.run()
        return lexer.tokens
    }

    private func line(at p: Int) -> Int {
        Int(lines[min(p, s.count)])
    }

    private func error(_ message: String, at p: Int) -> TemplateError {
        .syntax(line: line(at: p), message)
    }

    private func starts(with lit: String, at p: Int) -> Bool {
        var i = p
        for u in lit.unicodeScalars {
            guard i < s.count, s[i] == u else { return false }
            i += 1
        }
        return true
    }

    private func skipWhitespace(from p: Int) -> Int {
        var i = p
        while i < s.count, isPythonSpace(s[i]) { i += 1 }
        return i
    }

    private func string(_ a: Int, _ b: Int) -> String {
        String(String.UnicodeScalarView(s[a..<b]))
    }

    // MARK: - Root state: text and tag openings

    private mutating func run() throws {
        while pos < s.count {
            // Find the next `{{`, `{%` or `{#`.
            var t = pos
            var kind: Unicode.Scalar = " "
            while t + 1 < s.count {
                if s[t] == "{", s[t + 1] == "{" || s[t + 1] == "%" || s[t + 1] == "#" {
                    kind = s[t + 1]
                    break
                }
                t += 1
            }
            if kind == " " {
                emitText(pos, s.count)
                pos = s.count
                break
            }
            var after = t + 2
            var sign: Unicode.Scalar? = nil
            if after < s.count, s[after] == "-" || s[after] == "+" {
                sign = s[after]
                after += 1
            }
            let textEnd = strippedTextEnd(from: pos, to: t, sign: sign, isVariable: kind == "{")
            emitText(pos, textEnd)
            let tagLine = line(at: t)
            switch kind {
            case "#":
                try lexComment(from: after, openedAt: t)
            case "%":
                if let rawBodyStart = rawBegin(at: after) {
                    try lexRaw(from: rawBodyStart, openedAt: t)
                } else {
                    tokens.append(Token(kind: .blockBegin, line: tagLine))
                    pos = after
                    try lexTag(closer: "%", openedAt: t)
                }
            default:
                tokens.append(Token(kind: .variableBegin, line: tagLine))
                pos = after
                try lexTag(closer: "}", openedAt: t)
            }
        }
        tokens.append(Token(kind: .end, line: line(at: s.count)))
    }

    private mutating func emitText(_ a: Int, _ b: Int) {
        if a < b { tokens.append(Token(kind: .text(string(a, b)), line: line(at: a))) }
    }

    /// Where the text before a tag ends after `-` stripping or lstrip_blocks.
    private func strippedTextEnd(from a: Int, to b: Int, sign: Unicode.Scalar?, isVariable: Bool) -> Int {
        if sign == "-" {
            var e = b
            while e > a, isPythonSpace(s[e - 1]) { e -= 1 }
            return e
        }
        guard sign != "+", lstripBlocks, !isVariable else { return b }
        var lineStart = b
        while lineStart > a, s[lineStart - 1] != "\n" { lineStart -= 1 }
        guard lineStart > a || lineStarting, lineStart < b else { return b }
        for i in lineStart..<b where !isPythonSpace(s[i]) { return b }
        return lineStart
    }

    /// Position after `{% raw %}` (or `{%- raw -%}`) when the block tag at `p` opens a raw section.
    private func rawBegin(at p: Int) -> Int? {
        var i = skipWhitespace(from: p)
        guard starts(with: "raw", at: i) else { return nil }
        i = skipWhitespace(from: i + 3)
        if starts(with: "-%}", at: i) { return skipWhitespace(from: i + 3) }
        if starts(with: "%}", at: i) { return i + 2 }
        return nil
    }

    private mutating func lexRaw(from start: Int, openedAt: Int) throws {
        lineStarting = start > 0 && s[start - 1] == "\n"
        var i = start
        while i + 1 < s.count {
            if s[i] == "{", s[i + 1] == "%" {
                var j = i + 2
                var sign: Unicode.Scalar? = nil
                if j < s.count, s[j] == "-" || s[j] == "+" {
                    sign = s[j]
                    j += 1
                }
                j = skipWhitespace(from: j)
                if starts(with: "endraw", at: j) {
                    j = skipWhitespace(from: j + 6)
                    if let end = blockEnd(at: j) {
                        let textEnd = strippedTextEnd(from: start, to: i, sign: sign, isVariable: false)
                        emitText(start, textEnd)
                        pos = end
                        lineStarting = end > 0 && s[end - 1] == "\n"
                        return
                    }
                }
            }
            i += 1
        }
        throw error("missing end of raw directive", at: openedAt)
    }

    /// Matches `+%}`, `-%}\s*` or `%}\n?` at `p`; returns the position after it.
    private func blockEnd(at p: Int) -> Int? {
        if starts(with: "+%}", at: p) { return p + 3 }
        if starts(with: "-%}", at: p) { return skipWhitespace(from: p + 3) }
        if starts(with: "%}", at: p) { return p + 2 < s.count && s[p + 2] == "\n" && trimBlocks ? p + 3 : p + 2 }
        return nil
    }

    private mutating func lexComment(from start: Int, openedAt: Int) throws {
        var i = start
        while i + 1 < s.count {
            if s[i] == "#", s[i + 1] == "}" {
                if i > start, s[i - 1] == "-" {
                    pos = skipWhitespace(from: i + 2)
                } else if i > start, s[i - 1] == "+" {
                    pos = i + 2
                } else {
                    pos = i + 2 < s.count && s[i + 2] == "\n" && trimBlocks ? i + 3 : i + 2
                }
                lineStarting = s[pos - 1] == "\n"
                return
            }
            i += 1
        }
        throw error("missing end of comment tag", at: openedAt)
    }

    // MARK: - Inside `{{ }}` and `{% %}`

    private mutating func lexTag(closer: Unicode.Scalar, openedAt: Int) throws {
        var brackets: [Unicode.Scalar] = []
        while true {
            pos = skipWhitespace(from: pos)
            guard pos < s.count else {
                throw error("unexpected end of template, expected '\(closer == "%" ? "%}" : "}}")'", at: pos)
            }
            if brackets.isEmpty {
                if closer == "%", let end = blockEnd(at: pos) {
                    tokens.append(Token(kind: .blockEnd, line: line(at: pos)))
                    pos = end
                    lineStarting = s[end - 1] == "\n"
                    return
                }
                if closer == "}" {
                    if starts(with: "-}}", at: pos) {
                        tokens.append(Token(kind: .variableEnd, line: line(at: pos)))
                        pos = skipWhitespace(from: pos + 3)
                        lineStarting = s[pos - 1] == "\n"
                        return
                    }
                    if starts(with: "}}", at: pos) {
                        tokens.append(Token(kind: .variableEnd, line: line(at: pos)))
                        pos += 2
                        lineStarting = false
                        return
                    }
                }
            }
            let tokLine = line(at: pos)
            let c = s[pos]
            if isDigit(c) {
                tokens.append(Token(kind: try number(), line: tokLine))
            } else if c == "_" || c.properties.isAlphabetic {
                let a = pos
                while pos < s.count, s[pos] == "_" || s[pos].properties.isAlphabetic || isDigit(s[pos]) { pos += 1 }
                tokens.append(Token(kind: .name(string(a, pos)), line: tokLine))
            } else if c == "'" || c == "\"" {
                tokens.append(Token(kind: .string(try stringLiteral()), line: tokLine))
            } else {
                let ops = ["**", "//", "==", "!=", ">=", "<="]
                var op = ops.first { starts(with: $0, at: pos) }
                if op == nil, "+-/*%~[](){}><=.:|,;".unicodeScalars.contains(c) { op = String(c) }
                guard let op else { throw error("unexpected char '\(Character(c))'", at: pos) }
                switch op {
                case "(", "[", "{": brackets.append(c)
                case ")", "]", "}":
                    let open: Unicode.Scalar = op == ")" ? "(" : op == "]" ? "[" : "{"
                    guard brackets.last == open else { throw error("unexpected '\(op)'", at: pos) }
                    brackets.removeLast()
                default: break
                }
                pos += op.unicodeScalars.count
                tokens.append(Token(kind: .op(op), line: tokLine))
            }
        }
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }

    private mutating func digits() -> String {
        var out = ""
        while pos < s.count {
            if isDigit(s[pos]) {
                out.unicodeScalars.append(s[pos])
            } else if s[pos] == "_", pos + 1 < s.count, isDigit(s[pos + 1]), !out.isEmpty {
            } else {
                break
            }
            pos += 1
        }
        return out
    }

    private mutating func number() throws -> Token.Kind {
        var text = digits()
        var isFloat = false
        if pos + 1 < s.count, s[pos] == ".", isDigit(s[pos + 1]) {
            // `x.0.1` is item access, which jinja2's float rule refuses with a look-behind for '.'.
            let prev = tokens.last?.kind
            if prev != .op(".") {
                pos += 1
                text += "." + digits()
                isFloat = true
            }
        }
        if pos < s.count, s[pos] == "e" || s[pos] == "E" {
            var j = pos + 1
            if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
            if j < s.count, isDigit(s[j]) {
                let sign = s[pos + 1] == "-" ? "-" : ""
                pos = j
                text += "e" + sign + digits()
                isFloat = true
            }
        }
        if isFloat { return .float(Double(text) ?? .nan) }
        guard let n = Int(text) else { throw error("integer literal \(text) is too large", at: pos) }
        return .integer(n)
    }

    /// A quoted string, unescaped as Python's "unicode-escape" codec does.
    private mutating func stringLiteral() throws -> String {
        let quote = s[pos]
        let start = pos
        pos += 1
        var out = String.UnicodeScalarView()
        while pos < s.count {
            let c = s[pos]
            pos += 1
            if c == quote { return String(out) }
            guard c == "\\" else { out.append(c); continue }
            guard pos < s.count else { break }
            let e = s[pos]
            pos += 1
            switch e {
            case "\n": break
            case "\\", "'", "\"": out.append(e)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "0"..."7":
                var v = e.value - 48
                var n = 1
                while n < 3, pos < s.count, ("0"..."7").contains(s[pos]) {
                    v = v * 8 + s[pos].value - 48
                    pos += 1
                    n += 1
                }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                guard pos + width <= s.count, let v = UInt32(string(pos, pos + width), radix: 16),
                    let u = Unicode.Scalar(v)
                else { throw error("invalid \\\(e) escape in string literal", at: start) }
                out.append(u)
                pos += width
            default:
                out.append("\\")
                out.append(e)
            }
        }
        throw error("unexpected end of string", at: start)
    }
}

/// Python's `str.isspace` for one code point (what `\s` and `str.strip()` match).
func isPythonSpace(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default: return false
    }
}
