// The ECMA-262 regex subset JSON Schema `pattern` needs, translated to a GBNF fragment: literals, `.`, classes with
// ranges and negation, \d \w \s (and negations), groups, `|`, `* + ? {m} {m,} {m,n}`, `^`/`$` at the ends of a
// top-level alternative. Inside a JSON string (`jsonString`) `"` and `\` are written escaped, control characters never.

enum RegexTranslator {
    static func translate(_ pattern: String, jsonString: Bool) throws(ConstraintError) -> String {
        var parser = RegexParser(pattern: Array(pattern.unicodeScalars).map(\.value), jsonString: jsonString)
        return try parser.translateTop()
    }
}

private struct RegexParser {
    let pattern: [UInt32]
    let jsonString: Bool
    var pos = 0

    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
                                                0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000,
                                                0xFEFF...0xFEFF]
    static let lineTerminators: [ClosedRange<UInt32>] = [0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029]

    init(pattern: [UInt32], jsonString: Bool) {
        self.pattern = pattern
        self.jsonString = jsonString
    }

    func fail(_ message: String, at offset: Int? = nil) -> ConstraintError {
        let at = min(offset ?? pos, pattern.count)
        var text = ""
        text.unicodeScalars.append(contentsOf: pattern.compactMap(Unicode.Scalar.init))
        let rest = String(String.UnicodeScalarView(pattern[at...].prefix(20).compactMap(Unicode.Scalar.init)))
        return ConstraintError("regex \(text.debugDescription), position \(at): \(message) at \"\(rest)\"")
    }

    var peek: UInt32? { pos < pattern.count ? pattern[pos] : nil }
    func isChar(_ c: Character) -> Bool { peek == c.unicodeScalars.first!.value }

    // MARK: - Structure

    /// Top level: each alternative anchored or padded with any characters (a pattern matches anywhere).
    mutating func translateTop() throws(ConstraintError) -> String {
        var alternatives: [String] = []
        repeat {
            if isChar("|") { pos += 1 }
            var anchoredStart = false
            if isChar("^") { anchoredStart = true; pos += 1 }
            var sequence = try parseSequence(top: true)
            var anchoredEnd = false
            if isChar("$") { anchoredEnd = true; pos += 1 }
            guard peek == nil || isChar("|") else { throw fail(isChar(")") ? "unbalanced ')'" : "'^' or '$' inside the pattern") }
            let any = "\(classText(UTF8Ranges.complement([]))) *"
            if !anchoredStart { sequence = any + " " + sequence }
            if !anchoredEnd { sequence += " " + any }
            alternatives.append(sequence)
        } while isChar("|")
        return alternatives.count == 1 ? alternatives[0] : "(" + alternatives.joined(separator: " | ") + ")"
    }

    mutating func parseAlternation() throws(ConstraintError) -> String {
        var alternatives = [try parseSequence(top: false)]
        while isChar("|") {
            pos += 1
            alternatives.append(try parseSequence(top: false))
        }
        return alternatives.count == 1 ? alternatives[0] : "(" + alternatives.joined(separator: " | ") + ")"
    }

    mutating func parseSequence(top: Bool) throws(ConstraintError) -> String {
        var items: [String] = []
        while let c = peek {
            if c == 0x7C || c == 0x29 { break }  // | )
            if c == 0x24 {  // $
                if top && (pos + 1 == pattern.count || pattern[pos + 1] == 0x7C) { break }
                throw fail("'$' inside the pattern")
            }
            if c == 0x5E { throw fail("'^' inside the pattern") }
            var atom = try parseAtom()
            atom = try parseQuantifier(atom)
            items.append(atom)
        }
        return items.isEmpty ? "\"\"" : items.joined(separator: " ")
    }

    mutating func parseQuantifier(_ atom: String) throws(ConstraintError) -> String {
        guard let c = peek else { return atom }
        let start = pos
        var result: String
        switch c {
        case 0x2A: pos += 1; result = "(\(atom))*"
        case 0x2B: pos += 1; result = "(\(atom))+"
        case 0x3F: pos += 1; result = "(\(atom))?"
        case 0x7B:
            pos += 1
            let lo = try parseInt()
            var hi: Int? = lo
            if isChar(",") { pos += 1; hi = isChar("}") ? nil : try parseInt() }
            guard isChar("}") else { throw fail("expected '}' to close the quantifier", at: start) }
            pos += 1
            if let hi, hi < lo { throw fail("quantifier maximum is below its minimum", at: start) }
            result = "(\(atom)){\(lo),\(hi.map(String.init) ?? "")}"
        default: return atom
        }
        if isChar("?") { pos += 1 }  // lazy: the same language
        if let c = peek, c == 0x2A || c == 0x2B || c == 0x3F || c == 0x7B { throw fail("quantifier after a quantifier") }
        return result
    }

    mutating func parseInt() throws(ConstraintError) -> Int {
        let start = pos
        var value = 0
        while let c = peek, c >= 0x30 && c <= 0x39 {
            value = value * 10 + Int(c - 0x30)
            pos += 1
            guard value <= GBNFParser.maxRepetition else { throw fail("quantifier count above \(GBNFParser.maxRepetition)", at: start) }
        }
        guard pos > start else { throw fail("expected a number") }
        return value
    }

    mutating func parseAtom() throws(ConstraintError) -> String {
        let start = pos
        let c = pattern[pos]
        switch c {
        case 0x28:  // (
            pos += 1
            if isChar("?") {
                guard pos + 1 < pattern.count, pattern[pos + 1] == 0x3A else { throw fail("lookaround and named groups are not supported", at: start) }
                pos += 2
            }
            let inner = try parseAlternation()
            guard isChar(")") else { throw fail("unclosed '('", at: start) }
            pos += 1
            return "(\(inner))"
        case 0x5B:  // [
            return try parseClass()
        case 0x2E:  // .
            pos += 1
            return classText(UTF8Ranges.complement(RegexParser.lineTerminators))
        case 0x5C:  // backslash
            pos += 1
            let (ranges, negated) = try parseEscape(inClass: false)
            return classText(negated ? UTF8Ranges.complement(ranges) : ranges)
        case 0x2A, 0x2B, 0x3F, 0x7B:
            throw fail("quantifier with nothing to repeat")
        default:
            pos += 1
            return classText([c...c])
        }
    }

    /// The scalars of one escape (`negated` for \D \W \S).
    mutating func parseEscape(inClass: Bool) throws(ConstraintError) -> ([ClosedRange<UInt32>], Bool) {
        let start = pos - 1
        guard let e = peek else { throw fail("pattern ends in '\\'", at: start) }
        pos += 1
        switch Unicode.Scalar(e).map(Character.init) {
        case "d": return (RegexParser.digit, false)
        case "D": return (RegexParser.digit, true)
        case "w": return (RegexParser.word, false)
        case "W": return (RegexParser.word, true)
        case "s": return (RegexParser.space, false)
        case "S": return (RegexParser.space, true)
        case "n": return ([0x0A...0x0A], false)
        case "t": return ([0x09...0x09], false)
        case "r": return ([0x0D...0x0D], false)
        case "f": return ([0x0C...0x0C], false)
        case "v": return ([0x0B...0x0B], false)
        case "0": return ([0...0], false)
        case "b" where inClass: return ([0x08...0x08], false)
        case "x", "u":
            let digits = e == 0x78 ? 2 : 4
            var value: UInt32 = 0
            for _ in 0..<digits {
                guard let h = peek, let d = hexValue(h) else { throw fail("expected \(digits) hex digits", at: start) }
                value = value << 4 | d
                pos += 1
            }
            return ([value...value], false)
        default:
            let isAlphanumeric = (e >= 0x30 && e <= 0x39) || (e >= 0x41 && e <= 0x5A) || (e >= 0x61 && e <= 0x7A)
            if isAlphanumeric { throw fail("escape '\\\(Unicode.Scalar(e).map(String.init) ?? "")' is not supported", at: start) }
            return ([e...e], false)
        }
    }

    mutating func parseClass() throws(ConstraintError) -> String {
        let start = pos
        pos += 1
        var negated = false
        if isChar("^") { negated = true; pos += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard let c = peek else { throw fail("unclosed '['", at: start) }
            if c == 0x5D { break }
            var lo: UInt32
            pos += 1
            if c == 0x5C {
                let (set, neg) = try parseEscape(inClass: true)
                if neg || set.count != 1 || set[0].count != 1 { ranges += neg ? UTF8Ranges.complement(set) : set; continue }
                lo = set[0].lowerBound
            } else {
                lo = c
            }
            if isChar("-"), pos + 1 < pattern.count, pattern[pos + 1] != 0x5D {
                pos += 1
                var hi = pattern[pos]
                pos += 1
                if hi == 0x5C {
                    let (set, neg) = try parseEscape(inClass: true)
                    guard !neg, set.count == 1, set[0].count == 1 else { throw fail("class range ends in a class escape", at: start) }
                    hi = set[0].lowerBound
                }
                guard lo <= hi else { throw fail("class range is reversed", at: start) }
                ranges.append(lo...hi)
            } else {
                ranges.append(lo...lo)
            }
        }
        guard isChar("]") else { throw fail("unclosed '['", at: start) }
        pos += 1
        return classText(negated ? UTF8Ranges.complement(ranges) : UTF8Ranges.normalize(ranges))
    }

    func hexValue(_ c: UInt32) -> UInt32? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    // MARK: - Output

    /// A GBNF term for one character from `ranges`; in a JSON string `"` and `\` become escapes, controls vanish.
    func classText(_ ranges: [ClosedRange<UInt32>]) -> String {
        let ranges = UTF8Ranges.normalize(ranges)
        guard jsonString else { return GBNFText.charClass(ranges) }
        let specials: [UInt32] = [0x22, 0x5C]
        let plain = UTF8Ranges.normalize(ranges.flatMap { subtract($0, [0...0x1F, 0x22...0x22, 0x5C...0x5C]) })
        var alternatives: [String] = plain.isEmpty ? [] : [GBNFText.charClass(plain)]
        for s in specials where ranges.contains(where: { $0.contains(s) }) {
            alternatives.append(GBNFText.literal("\\" + String(Unicode.Scalar(s)!)))
        }
        if alternatives.isEmpty { return "[^\\x00-\\U0010FFFF]" }
        return alternatives.count == 1 ? alternatives[0] : "(" + alternatives.joined(separator: " | ") + ")"
    }

    func subtract(_ r: ClosedRange<UInt32>, _ holes: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var pieces = [r]
        for hole in holes {
            pieces = pieces.flatMap { p -> [ClosedRange<UInt32>] in
                guard p.overlaps(hole) else { return [p] }
                var out: [ClosedRange<UInt32>] = []
                if p.lowerBound < hole.lowerBound { out.append(p.lowerBound...(hole.lowerBound - 1)) }
                if p.upperBound > hole.upperBound { out.append((hole.upperBound + 1)...p.upperBound) }
                return out
            }
        }
        return pieces
    }
}
