// JSON in and out of JinjaValue: an order-preserving parser (JSONSerialization loses key order on Linux) and
// `tojson` as transformers defines it, i.e. Python's json.dumps(ensure_ascii=False) byte for byte.
import Foundation

extension JinjaValue {
    /// Parses JSON text; objects keep their key order, integers stay `.int`, other numbers are `.double`.
    public init(json data: Data) throws {
        var reader = JSONReader(Array(String(decoding: data, as: UTF8.self).unicodeScalars))
        self = try reader.document()
    }

    public init(jsonString: String) throws {
        var reader = JSONReader(Array(jsonString.unicodeScalars))
        self = try reader.document()
    }

    /// Converts JSONSerialization-style Foundation objects (dictionary key order is whatever Foundation gives).
    public init(any value: Any?) {
        switch value {
        case nil, is NSNull: self = .none
        case let v as JinjaValue: self = v
        case let n as NSNumber where !(value is String):
            let type = String(cString: n.objCType)
            if type == "c" || type == "B" { self = .bool(n.boolValue) }
            else if type == "d" || type == "f" { self = .double(n.doubleValue) }
            else { self = .int(n.intValue) }
        case let s as String: self = .string(s)
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .int(i)
        case let d as Double: self = .double(d)
        case let a as [Any?]: self = .array(a.map { JinjaValue(any: $0) })
        case let a as [Any]: self = .array(a.map { JinjaValue(any: $0) })
        case let o as [String: Any?]: self = .object(JinjaObject(o.map { ($0.key, JinjaValue(any: $0.value)) }))
        case let o as [String: Any]: self = .object(JinjaObject(o.map { ($0.key, JinjaValue(any: $0.value)) }))
        default: self = .string(String(describing: value!))
        }
    }
}

private struct JSONReader {
    let s: [Unicode.Scalar]
    var i = 0
    init(_ s: [Unicode.Scalar]) { self.s = s }

    func fail(_ what: String) -> TemplateError {
        .runtime("invalid JSON at offset \(i): \(what)")
    }

    mutating func skipSpace() {
        while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" || s[i] == "\r" { i += 1 }
    }

    mutating func document() throws -> JinjaValue {
        let v = try value()
        skipSpace()
        if i != s.count { throw fail("trailing characters") }
        return v
    }

    mutating func literal(_ word: String, _ v: JinjaValue) throws -> JinjaValue {
        for u in word.unicodeScalars {
            guard i < s.count, s[i] == u else { throw fail("expected \(word)") }
            i += 1
        }
        return v
    }

    mutating func value() throws -> JinjaValue {
        skipSpace()
        guard i < s.count else { throw fail("unexpected end") }
        switch s[i] {
        case "{":
            i += 1
            var o = JinjaObject()
            skipSpace()
            if i < s.count, s[i] == "}" { i += 1; return .object(o) }
            while true {
                skipSpace()
                guard i < s.count, s[i] == "\"" else { throw fail("expected string key") }
                let k = try string()
                skipSpace()
                guard i < s.count, s[i] == ":" else { throw fail("expected ':'") }
                i += 1
                o[k] = try value()
                skipSpace()
                guard i < s.count else { throw fail("unexpected end") }
                if s[i] == "," { i += 1; continue }
                if s[i] == "}" { i += 1; return .object(o) }
                throw fail("expected ',' or '}'")
            }
        case "[":
            i += 1
            var a: [JinjaValue] = []
            skipSpace()
            if i < s.count, s[i] == "]" { i += 1; return .array(a) }
            while true {
                a.append(try value())
                skipSpace()
                guard i < s.count else { throw fail("unexpected end") }
                if s[i] == "," { i += 1; continue }
                if s[i] == "]" { i += 1; return .array(a) }
                throw fail("expected ',' or ']'")
            }
        case "\"": return .string(try string())
        case "t": return try literal("true", .bool(true))
        case "f": return try literal("false", .bool(false))
        case "n": return try literal("null", .none)
        default: return try number()
        }
    }

    mutating func number() throws -> JinjaValue {
        let start = i
        var isFloat = false
        while i < s.count, "+-0123456789.eE".unicodeScalars.contains(s[i]) {
            if s[i] == "." || s[i] == "e" || s[i] == "E" { isFloat = true }
            i += 1
        }
        let text = String(String.UnicodeScalarView(s[start..<i]))
        if !isFloat, let n = Int(text) { return .int(n) }
        guard !text.isEmpty, let d = Double(text) else { throw fail("invalid value") }
        return .double(d)
    }

    mutating func string() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while i < s.count {
            let c = s[i]
            i += 1
            if c == "\"" { return String(out) }
            if c != "\\" { out.append(c); continue }
            guard i < s.count else { break }
            let e = s[i]
            i += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "u":
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), i + 1 < s.count, s[i] == "\\", s[i + 1] == "u" {
                    let save = i
                    i += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        i = save
                    }
                }
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: out.append(e)
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<i + 4])), radix: 16) else {
            throw fail("bad \\u escape")
        }
        i += 4
        return v
    }
}

// MARK: - json.dumps

/// Python's `json.dumps(value, ensure_ascii:, indent:, separators:, sort_keys:)`.
func pythonJSONDumps(
    _ value: JinjaValue, ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil,
    sortKeys: Bool = false
) throws -> String {
    let (itemSep, keySep) = separators ?? (indent == nil ? (", ", ": ") : (",", ": "))
    var out = ""
    func write(_ v: JinjaValue, _ level: Int) throws {
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : d.description
        case .string(let s): out += jsonQuote(s, ensureASCII: ensureASCII)
        case .array(let a), .tuple(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (n, item) in a.enumerated() {
                if n > 0 { out += itemSep }
                if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
                try write(item, level + 1)
            }
            if let indent { out += "\n" + String(repeating: indent, count: level) }
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{"
            var keys = o.keys
            if sortKeys { keys.sort { (try? JinjaValue.string($0).pyCompare(.string($1))) == -1 } }
            for (n, k) in keys.enumerated() {
                if n > 0 { out += itemSep }
                if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
                out += jsonQuote(k, ensureASCII: ensureASCII) + keySep
                try write(o[k]!, level + 1)
            }
            if let indent { out += "\n" + String(repeating: indent, count: level) }
            out += "}"
        default:
            throw TemplateError.runtime("Object of type \(v.typeName) is not JSON serializable")
        }
    }
    try write(value, 0)
    return out
}

func jsonQuote(_ s: String, ensureASCII: Bool) -> String {
    var out = String.UnicodeScalarView()
    out.append("\"")
    func append(_ t: String) { out.append(contentsOf: t.unicodeScalars) }
    for u in s.unicodeScalars {
        switch u {
        case "\"": append("\\\"")
        case "\\": append("\\\\")
        case "\n": append("\\n")
        case "\r": append("\\r")
        case "\t": append("\\t")
        case "\u{08}": append("\\b")
        case "\u{0C}": append("\\f")
        default:
            if u.value < 0x20 {
                append("\\u" + hex(u.value, 4))
            } else if ensureASCII && u.value > 0x7F {
                if u.value >= 0x10000 {
                    let v = u.value - 0x10000
                    append("\\u" + hex(0xD800 + (v >> 10), 4) + "\\u" + hex(0xDC00 + (v & 0x3FF), 4))
                } else {
                    append("\\u" + hex(u.value, 4))
                }
            } else {
                out.append(u)
            }
        }
    }
    out.append("\"")
    return String(out)
}

extension JinjaValue {
    /// `json.dumps(value, ensure_ascii=False)`: what transformers' `tojson` and vLLM's tool parsers write.
    public var jsonText: String { (try? pythonJSONDumps(self)) ?? "null" }
}
