// The values a chat template computes with, modelled on the Python objects jinja2 sees: Python truthiness,
// Python equality and ordering, str() and repr() printing, dicts that keep insertion order.
import Foundation

/// A value inside the Jinja interpreter. Dict keys are strings.
public enum JinjaValue: Sendable {
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case tuple([JinjaValue])
    case object(JinjaObject)
    /// What jinja2's lazy filters (select, map, unique, batch, reverse, ...) return: a Python generator, always
    /// truthy, with no len() and no indexing; `|list` turns it back into a list.
    case iterator([JinjaValue])
    case namespace(JinjaNamespace)
    case callable(JinjaCallable)

    /// jinja2's default `Undefined`, with the hint its error messages use.
    public static let undefinedValue = JinjaValue.undefined("value is undefined")

    public var isUndefined: Bool { if case .undefined = self { true } else { false } }
    public var isNone: Bool { if case .none = self { true } else { false } }

    /// The elements of a list or tuple.
    var elements: [JinjaValue]? {
        switch self {
        case .array(let a), .tuple(let a): a
        default: nil
        }
    }

    /// Python truthiness.
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .array(let a), .tuple(let a): !a.isEmpty
        case .object(let o): !o.isEmpty
        case .iterator, .namespace, .callable: true
        }
    }

    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .array: "list"
        case .tuple: "tuple"
        case .object: "dict"
        case .iterator: "generator"
        case .namespace: "Namespace"
        case .callable: "function"
        }
    }
}

// MARK: - Literals

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .none }
    public init(dictionaryLiteral elements: (String, JinjaValue)...) {
        var o = JinjaObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

// MARK: - Ordered dictionary

/// A dict that iterates in insertion order, as Python's does.
public struct JinjaObject: Sendable, Sequence {
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init() {}
    public init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var values: [JinjaValue] { keys.map { storage[$0]! } }

    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public func makeIterator() -> some IteratorProtocol<(key: String, value: JinjaValue)> {
        keys.map { (key: $0, value: storage[$0]!) }.makeIterator()
    }
}

/// The mutable object `namespace(...)` returns; shared by reference so `set ns.x = ...` is seen everywhere.
public final class JinjaNamespace: @unchecked Sendable {
    var attributes: JinjaObject
    init(_ attributes: JinjaObject) { self.attributes = attributes }
}

/// A builtin function, a macro, or a bound method.
public struct JinjaCallable: Sendable {
    let name: String
    let call: @Sendable (_ args: [JinjaValue], _ kwargs: JinjaObject) throws -> JinjaValue
}

// MARK: - Printing

extension JinjaValue {
    /// Python `str()`, which `{{ }}` prints; undefined prints as "".
    public var str: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: repr
        }
    }

    /// Python `repr()`, used for items inside printed lists and dicts.
    public var repr: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d): pythonFloatRepr(d)
        case .string(let s): pythonStringRepr(s)
        case .array(let a): "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case .tuple(let a): "(" + a.map(\.repr).joined(separator: ", ") + (a.count == 1 ? ",)" : ")")
        case .object(let o): "{" + o.map { pythonStringRepr($0.key) + ": " + $0.value.repr }.joined(separator: ", ") + "}"
        case .namespace(let ns):
            "<Namespace {" + ns.attributes.map { pythonStringRepr($0.key) + ": " + $0.value.repr }.joined(separator: ", ")
                + "}>"
        case .iterator: "<generator object>"
        case .callable(let c): "<function \(c.name)>"
        }
    }
}

func pythonFloatRepr(_ d: Double) -> String {
    // Swift's shortest round-trip description switches to exponent form where Python's repr does.
    d.description
}

func pythonStringRepr(_ s: String) -> String {
    let quote: Unicode.Scalar = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
    var out = String(quote)
    for u in s.unicodeScalars {
        switch u {
        case quote, "\\": out += "\\" + String(u)
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if isPythonPrintable(u) {
                out.unicodeScalars.append(u)
            } else if u.value < 0x100 {
                out += "\\x" + hex(u.value, 2)
            } else if u.value < 0x10000 {
                out += "\\u" + hex(u.value, 4)
            } else {
                out += "\\U" + hex(u.value, 8)
            }
        }
    }
    out.unicodeScalars.append(quote)
    return out
}

func hex(_ v: UInt32, _ width: Int) -> String {
    let h = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - h.count)) + h
}

private func isPythonPrintable(_ u: Unicode.Scalar) -> Bool {
    if u == " " { return true }
    switch u.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
        .spaceSeparator:
        return false
    default: return true
    }
}

// MARK: - Equality and ordering (Python semantics)

extension JinjaValue {
    /// Numeric view: bool, int and float compare and add as numbers in Python.
    var number: Double? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    var integer: Int? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): i
        default: nil
        }
    }

    /// Python `==`.
    public func pyEquals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.array(let a), .array(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pyEquals($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { kv in b[kv.key].map { kv.value.pyEquals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let x = integer, let y = other.integer { return x == y }
            if let x = number, let y = other.number { return x == y }
            return false
        }
    }

    /// Python `<`-style ordering; throws for types Python refuses to order.
    func pyCompare(_ other: JinjaValue) throws -> Int {
        switch (self, other) {
        case (.string(let a), .string(let b)):
            for (x, y) in zip(a.unicodeScalars, b.unicodeScalars) where x != y { return x.value < y.value ? -1 : 1 }
            let (m, n) = (a.unicodeScalars.count, b.unicodeScalars.count)
            return m == n ? 0 : (m < n ? -1 : 1)
        case (.array(let a), .array(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !x.pyEquals(y) { return try x.pyCompare(y) }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        default:
            if let x = integer, let y = other.integer { return x == y ? 0 : (x < y ? -1 : 1) }
            if let x = number, let y = other.number { return x == y ? 0 : (x < y ? -1 : 1) }
            throw TemplateError.runtime(
                "'<' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }
}
