// JSON that keeps object members in document order (a schema's property order is the order the grammar writes), with
// number literals kept as written so `enum`/`const` values come out as the schema spells them.

public indirect enum SchemaJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([SchemaJSON])
    case object([Member])

    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: SchemaJSON
        public init(_ key: String, _ value: SchemaJSON) { self.key = key; self.value = value }
    }

    public subscript(key: String) -> SchemaJSON? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var double: Double? { if case .number(let text) = self { return Double(text) } else { return nil } }

    /// Compact JSON text (the bytes a constrained model writes for an `enum`/`const` value).
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let text): return text
        case .string(let s): return SchemaJSON.quote(s)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { SchemaJSON.quote($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
        }
    }

    /// `s` as a JSON string literal.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: - Parsing

    public static func parse(_ text: String) throws(ConstraintError) -> SchemaJSON {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.pos == parser.bytes.count else { throw parser.fail("trailing text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var pos = 0

        func fail(_ message: String) -> ConstraintError {
            let snippet = String(decoding: bytes[min(pos, bytes.count)..<min(pos + 20, bytes.count)], as: UTF8.self)
            return ConstraintError("JSON byte \(pos): \(message) at \(snippet.debugDescription)")
        }

        mutating func skipSpace() {
            while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
        }

        mutating func expect(_ literal: String, _ value: SchemaJSON) throws(ConstraintError) -> SchemaJSON {
            let lit = Array(literal.utf8)
            guard bytes[pos...].starts(with: lit) else { throw fail("invalid literal") }
            pos += lit.count
            return value
        }

        mutating func value(depth: Int) throws(ConstraintError) -> SchemaJSON {
            guard depth < 512 else { throw fail("nesting deeper than 512") }
            guard pos < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[pos] {
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                pos += 1
                var items: [SchemaJSON] = []
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard pos < bytes.count else { throw fail("unterminated array") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    guard bytes[pos] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                    pos += 1
                    return .array(items)
                }
            case UInt8(ascii: "{"):
                pos += 1
                var members: [Member] = []
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                    let key = try string()
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    pos += 1
                    skipSpace()
                    members.append(Member(key, try value(depth: depth + 1)))
                    skipSpace()
                    guard pos < bytes.count else { throw fail("unterminated object") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    guard bytes[pos] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                    pos += 1
                    return .object(members)
                }
            default: return try number()
            }
        }

        mutating func number() throws(ConstraintError) -> SchemaJSON {
            let start = pos
            func digits(_ p: inout Int) -> Int {
                let s = p
                while p < bytes.count, bytes[p] >= 0x30 && bytes[p] <= 0x39 { p += 1 }
                return p - s
            }
            var p = pos
            if p < bytes.count, bytes[p] == UInt8(ascii: "-") { p += 1 }
            let intStart = p
            let intDigits = digits(&p)
            guard intDigits > 0, !(intDigits > 1 && bytes[intStart] == 0x30) else { throw fail("invalid number") }
            if p < bytes.count, bytes[p] == UInt8(ascii: ".") {
                p += 1
                guard digits(&p) > 0 else { pos = p; throw fail("invalid number") }
            }
            if p < bytes.count, bytes[p] == UInt8(ascii: "e") || bytes[p] == UInt8(ascii: "E") {
                p += 1
                if p < bytes.count, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p += 1 }
                guard digits(&p) > 0 else { pos = p; throw fail("invalid number") }
            }
            pos = p
            return .number(String(decoding: bytes[start..<p], as: UTF8.self))
        }

        mutating func string() throws(ConstraintError) -> String {
            pos += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
            while true {
                guard pos < bytes.count else { throw fail("unterminated string") }
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") { pos += 1; break }
                guard b >= 0x20 else { throw fail("control character in a string") }
                if b != UInt8(ascii: "\\") { raw.append(b); pos += 1; continue }
                flush()
                guard pos + 1 < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[pos + 1]
                pos += 2
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var unit = try hex4()
                    if (0xD800..<0xDC00).contains(unit), bytes[pos...].starts(with: [0x5C, 0x75]) {
                        pos += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(unit) else { throw fail("unpaired surrogate") }
                    scalars.append(scalar)
                default: throw fail("invalid escape")
                }
            }
            flush()
            return String(scalars)
        }

        mutating func hex4() throws(ConstraintError) -> UInt32 {
            guard pos + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[pos..<(pos + 4)], as: UTF8.self), radix: 16)
            else { throw fail("expected 4 hex digits") }
            pos += 4
            return v
        }
    }
}
