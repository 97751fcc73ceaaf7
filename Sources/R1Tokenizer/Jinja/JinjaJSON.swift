// JSON in and out of JinjaValue: read through the project's one JSON value (R1Formats' JSONValue, objects in document
// order), and `tojson` as transformers defines it, i.e. Python's json.dumps(ensure_ascii=False) byte for byte.
import Foundation
import R1Formats

extension JinjaValue {
    /// Parses JSON text; objects keep their key order, integers stay `.int`, other numbers are `.double`.
    public init(json data: Data) throws {
        do {
            self = JinjaValue(try JSONValue.parse(data))
        } catch {
            throw TemplateError.runtime("invalid JSON: \(error)")
        }
    }

    public init(jsonString: String) throws {
        try self.init(json: Data(jsonString.utf8))
    }

    /// The template value of a JSON value (null is `none`; member order kept).
    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JinjaValue.init))
        case .object(let o): self = .object(JinjaObject(o.map { ($0.key, JinjaValue($0.value)) }))
        }
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
