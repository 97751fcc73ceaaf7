// GBNF as llama.cpp writes it (grammars/README.md, src/llama-grammar.cpp `llama_grammar_parser`): rules
// `name ::= alternatives`, literals with \x \u \U \t \n \r escapes, char classes with ranges and `^`, `.`, groups,
// `* + ?`, `{m}` `{m,}` `{m,n}`, `#` comments; newlines end a rule except inside parentheses.

/// One element of an alternative, over Unicode scalars.
indirect enum GBNFTerm: Equatable, Sendable {
    case literal([UInt32])
    case charClass([ClosedRange<UInt32>], negated: Bool)
    case any
    case ref(String, offset: Int)
    case group([[GBNFTerm]])
    case repetition(GBNFTerm, min: Int, max: Int?)
}

struct GBNFRule: Sendable {
    var name: String
    var alternatives: [[GBNFTerm]]
    var offset: Int
}

/// A grammar, regex or schema the engine cannot take; the message names the position or path and the bad text.
public struct ConstraintError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

struct GBNFParser {
    /// Repetition counts above this are refused (each count becomes a rule).
    static let maxRepetition = 10_000
    let text: [UInt8]
    var pos = 0

    init(_ source: String) { text = Array(source.utf8) }

    static func parse(_ source: String) throws(ConstraintError) -> [GBNFRule] {
        var parser = GBNFParser(source)
        return try parser.parseRules()
    }

    // MARK: - Errors

    func fail(_ message: String, at offset: Int? = nil) -> ConstraintError {
        let at = min(offset ?? pos, text.count)
        var line = 1, column = 1
        for b in text[..<at] { if b == 0x0A { line += 1; column = 1 } else { column += 1 } }
        let end = text[at...].firstIndex(of: 0x0A) ?? text.count
        let snippet = String(decoding: text[at..<min(end, at + 30)], as: UTF8.self)
        return ConstraintError("GBNF line \(line), column \(column): \(message) at \"\(snippet)\"")
    }

    // MARK: - Lexing

    var atEnd: Bool { pos >= text.count }
    var peek: UInt8? { pos < text.count ? text[pos] : nil }

    static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
    }

    /// Skips spaces, tabs and comments; newlines too when `newlines` (inside parentheses, after `::=` or `|`).
    mutating func skipSpace(newlines: Bool) {
        while let b = peek {
            if b == 0x20 || b == 0x09 { pos += 1 }
            else if b == 0x23 { while let c = peek, c != 0x0A { pos += 1 } }
            else if newlines && (b == 0x0A || b == 0x0D) { pos += 1 }
            else { break }
        }
    }

    mutating func parseName() throws(ConstraintError) -> String {
        let start = pos
        while let b = peek, GBNFParser.isWordByte(b) { pos += 1 }
        guard pos > start else { throw fail("expected a rule name") }
        return String(decoding: text[start..<pos], as: UTF8.self)
    }

    mutating func parseInt() throws(ConstraintError) -> Int {
        let start = pos
        var value = 0
        while let b = peek, b >= 0x30 && b <= 0x39 {
            value = value * 10 + Int(b - 0x30)
            pos += 1
            guard value <= GBNFParser.maxRepetition else { throw fail("repetition count above \(GBNFParser.maxRepetition)", at: start) }
        }
        guard pos > start else { throw fail("expected a number") }
        return value
    }

    /// One scalar of a literal or class, decoding escapes and multi-byte UTF-8.
    mutating func parseChar() throws(ConstraintError) -> UInt32 {
        let start = pos
        guard let b = peek else { throw fail("unexpected end of input") }
        if b == 0x5C {
            pos += 1
            guard let e = peek else { throw fail("unexpected end of input after '\\'") }
            pos += 1
            switch e {
            case UInt8(ascii: "x"): return try parseHex(2, from: start)
            case UInt8(ascii: "u"): return try parseHex(4, from: start)
            case UInt8(ascii: "U"): return try parseHex(8, from: start)
            case UInt8(ascii: "t"): return 0x09
            case UInt8(ascii: "r"): return 0x0D
            case UInt8(ascii: "n"): return 0x0A
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "-"),
                 UInt8(ascii: "^"), UInt8(ascii: "/"), UInt8(ascii: "."):
                return UInt32(e)
            default: throw fail("unknown escape '\\\(String(UnicodeScalar(e)))'", at: start)
            }
        }
        // decode one UTF-8 scalar
        let length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        guard pos + length <= text.count,
              let scalar = String(decoding: text[pos..<(pos + length)], as: UTF8.self).unicodeScalars.first
        else { throw fail("invalid UTF-8") }
        pos += length
        return scalar.value
    }

    mutating func parseHex(_ digits: Int, from start: Int) throws(ConstraintError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let b = peek, let d = hexValue(b) else { throw fail("expected \(digits) hex digits", at: start) }
            value = value << 4 | d
            pos += 1
        }
        guard value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else {
            throw fail("escape names U+\(String(value, radix: 16, uppercase: true)), not a Unicode scalar", at: start)
        }
        return value
    }

    func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        default: return nil
        }
    }

    // MARK: - Grammar

    mutating func parseRules() throws(ConstraintError) -> [GBNFRule] {
        var rules: [GBNFRule] = []
        skipSpace(newlines: true)
        while !atEnd {
            let start = pos
            let name = try parseName()
            skipSpace(newlines: false)
            guard text[pos...].starts(with: Array("::=".utf8)) else { throw fail("expected '::=' after rule name '\(name)'") }
            pos += 3
            skipSpace(newlines: true)
            let alternatives = try parseAlternatives(nested: false)
            rules.append(GBNFRule(name: name, alternatives: alternatives, offset: start))
            guard atEnd || peek == 0x0A || peek == 0x0D else { throw fail("expected the end of rule '\(name)'") }
            skipSpace(newlines: true)
        }
        return rules
    }

    mutating func parseAlternatives(nested: Bool) throws(ConstraintError) -> [[GBNFTerm]] {
        var alternatives = [try parseSequence(nested: nested)]
        while peek == UInt8(ascii: "|") {
            pos += 1
            skipSpace(newlines: true)
            alternatives.append(try parseSequence(nested: nested))
        }
        return alternatives
    }

    mutating func parseSequence(nested: Bool) throws(ConstraintError) -> [GBNFTerm] {
        var terms: [GBNFTerm] = []
        while let b = peek {
            let start = pos
            var term: GBNFTerm
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                var scalars: [UInt32] = []
                while peek != UInt8(ascii: "\"") {
                    guard !atEnd, peek != 0x0A else { throw fail("unterminated string literal", at: start) }
                    scalars.append(try parseChar())
                }
                pos += 1
                term = .literal(scalars)
            case UInt8(ascii: "["):
                pos += 1
                var negated = false
                if peek == UInt8(ascii: "^") { negated = true; pos += 1 }
                var ranges: [ClosedRange<UInt32>] = []
                while peek != UInt8(ascii: "]") {
                    guard !atEnd else { throw fail("unterminated character class", at: start) }
                    let lo = try parseChar()
                    if peek == UInt8(ascii: "-"), pos + 1 < text.count, text[pos + 1] != UInt8(ascii: "]") {
                        pos += 1
                        let hi = try parseChar()
                        guard lo <= hi else { throw fail("character range is reversed", at: start) }
                        ranges.append(lo...hi)
                    } else {
                        ranges.append(lo...lo)
                    }
                }
                pos += 1
                term = .charClass(ranges, negated: negated)
            case UInt8(ascii: "."):
                pos += 1
                term = .any
            case UInt8(ascii: "("):
                pos += 1
                skipSpace(newlines: true)
                let alternatives = try parseAlternatives(nested: true)
                guard peek == UInt8(ascii: ")") else { throw fail("expected ')'") }
                pos += 1
                term = .group(alternatives)
            case UInt8(ascii: "<"), UInt8(ascii: "!"):
                throw fail("token references are not supported")
            default:
                guard GBNFParser.isWordByte(b) else { return terms }
                let name = try parseName()
                // a name followed by ::= starts the next rule: this sequence ended at the line break
                term = .ref(name, offset: start)
            }
            skipSpace(newlines: nested)
            // postfix operators
            while let op = peek {
                let opStart = pos
                if op == UInt8(ascii: "*") { term = .repetition(term, min: 0, max: nil); pos += 1 }
                else if op == UInt8(ascii: "+") { term = .repetition(term, min: 1, max: nil); pos += 1 }
                else if op == UInt8(ascii: "?") { term = .repetition(term, min: 0, max: 1); pos += 1 }
                else if op == UInt8(ascii: "{") {
                    pos += 1
                    skipSpace(newlines: false)
                    let lo = try parseInt()
                    skipSpace(newlines: false)
                    var hi: Int? = lo
                    if peek == UInt8(ascii: ",") {
                        pos += 1
                        skipSpace(newlines: false)
                        hi = peek == UInt8(ascii: "}") ? nil : try parseInt()
                        skipSpace(newlines: false)
                    }
                    guard peek == UInt8(ascii: "}") else { throw fail("expected '}' to close the repetition", at: opStart) }
                    pos += 1
                    if let hi, hi < lo { throw fail("repetition maximum is below its minimum", at: opStart) }
                    term = .repetition(term, min: lo, max: hi)
                } else { break }
                skipSpace(newlines: nested)
            }
            terms.append(term)
        }
        return terms
    }
}
