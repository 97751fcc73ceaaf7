// Filters and tests, after jinja2's filters.py and tests.py, with `tojson` as transformers overrides it.
import Foundation

/// Reads a builtin's arguments the way Python binds them: by position or by keyword.
struct BoundArguments {
    let positional: [JinjaValue]
    let keyword: JinjaObject

    func callAsFunction(_ index: Int, _ name: String) -> JinjaValue? {
        if index < positional.count { return positional[index] }
        return keyword[name]
    }
}

extension Interpreter {
    func applyFilter(_ name: String, _ value: JinjaValue, _ args: Arguments, _ scope: Scope) throws -> JinjaValue {
        let (positional, keyword) = try evaluateArguments(args, scope)
        return try filter(name, value, BoundArguments(positional: positional, keyword: keyword))
    }

    func filter(_ name: String, _ value: JinjaValue, _ arg: BoundArguments) throws -> JinjaValue {
        switch name {
        case "tojson":
            var indent: String? = nil
            switch arg(1, "indent") {
            case .int(let n)?: indent = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indent = s
            default: break
            }
            var separators: (String, String)? = nil
            if let seps = arg(2, "separators")?.elements, seps.count == 2 {
                separators = (seps[0].str, seps[1].str)
            }
            return .string(
                try pythonJSONDumps(
                    value, ensureASCII: arg(0, "ensure_ascii")?.isTruthy ?? false, indent: indent,
                    separators: separators, sortKeys: arg(3, "sort_keys")?.isTruthy ?? false))
        case "trim":
            return .string(pythonStrip(value.str, arg(0, "chars"), left: true, right: true))
        case "length", "count":
            return .int(try length(value))
        case "string":
            return .string(value.str)
        case "lower":
            return .string(value.str.lowercased())
        case "upper":
            return .string(value.str.uppercased())
        case "capitalize":
            return .string(capitalize(value.str))
        case "title":
            return .string(jinjaTitle(value.str))
        case "default", "d":
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case "join":
            var items = try iterate(value)
            if let attribute = arg(1, "attribute") { items = try items.map { try getItem($0, attribute) } }
            return .string(items.map(\.str).joined(separator: arg(0, "d")?.str ?? ""))
        case "first":
            return try iterate(value).first ?? .undefined("No first item, sequence was empty.")
        case "last":
            if case .iterator = value { throw TemplateError.runtime("'generator' object is not reversible") }
            return try iterate(value).last ?? .undefined("No last item, sequence was empty.")
        case "list":
            return .array(try iterate(value))
        case "items":
            if value.isUndefined { return .iterator([]) }
            guard case .object(let o) = value else {
                throw TemplateError.runtime("items filter: can only get item pairs from a mapping.")
            }
            return .iterator(o.map { .tuple([.string($0.key), $0.value]) })
        case "dictsort":
            guard case .object(let o) = value else { throw TemplateError.runtime("dictsort: expected a mapping") }
            let byValue = arg(1, "by")?.str == "value"
            let caseSensitive = arg(0, "case_sensitive")?.isTruthy ?? false
            let pairs = try sorted(
                o.map { JinjaValue.tuple([.string($0.key), $0.value]) },
                key: { v in
                    guard let p = v.elements else { return v }
                    return caseSensitive ? p[byValue ? 1 : 0] : lowered(p[byValue ? 1 : 0])
                })
            return .array(arg(2, "reverse")?.isTruthy ?? false ? pairs.reversed() : pairs)
        case "selectattr", "rejectattr", "select", "reject":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            let offset = byAttribute ? 1 : 0
            let attribute = byAttribute ? arg(0, "attribute") : nil
            let testName = arg(offset, "test")?.str
            let testArgs = BoundArguments(positional: Array(arg.positional.dropFirst(offset + 1)), keyword: JinjaObject())
            return .iterator(
                try iterate(value).filter { item in
                    let subject = try attribute.map { try getItem(item, $0) } ?? item
                    let passed =
                        try testName.map { try applyTest($0, subject, testArgs.positional, testArgs.keyword) }
                        ?? subject.isTruthy
                    return passed == keep
                })
        case "map":
            if let attribute = arg.keyword["attribute"] {
                return .iterator(
                    try iterate(value).map { item in
                        let v = try getItem(item, attribute)
                        if v.isUndefined, let d = arg.keyword["default"] { return d }
                        return v
                    })
            }
            guard let filterName = arg.positional.first?.str else {
                throw TemplateError.runtime("map requires a filter name or attribute=")
            }
            let rest = BoundArguments(positional: Array(arg.positional.dropFirst()), keyword: arg.keyword)
            return .iterator(try iterate(value).map { try filter(filterName, $0, rest) })
        case "replace":
            let count = arg(2, "count")?.integer
            return .string(pythonReplace(value.str, arg(0, "old")?.str ?? "", arg(1, "new")?.str ?? "", count: count))
        case "int":
            let fallback = arg(0, "default") ?? .int(0)
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return d.isFinite ? .int(Int(d.rounded(.towardZero))) : fallback
            case .string(let s):
                let t = s.trimmingCharacters(in: .whitespaces)
                let base = arg(1, "base")?.integer ?? 10
                if let n = Int(t.replacingOccurrences(of: "_", with: ""), radix: base) { return .int(n) }
                if let d = Double(t), d.isFinite { return .int(Int(d.rounded(.towardZero))) }
                return fallback
            case .undefined(let hint): throw TemplateError.undefined(hint)
            default: return fallback
            }
        case "float":
            let fallback = arg(0, "default") ?? .double(0)
            switch value {
            case .int, .bool, .double: return .double(value.number!)
            case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces)).map { .double($0) } ?? fallback
            case .undefined(let hint): throw TemplateError.undefined(hint)
            default: return fallback
            }
        case "abs":
            switch value {
            case .int(let i): return .int(abs(i))
            case .double(let d): return .double(abs(d))
            case .bool(let b): return .int(b ? 1 : 0)
            default: throw TemplateError.runtime("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            guard let x = value.number else { throw TemplateError.runtime("round: expected a number") }
            let precision = arg(0, "precision")?.integer ?? 0
            let method = arg(1, "method")?.str ?? "common"
            // Python's round() of an int stays an int; math.ceil/floor results are divided back into floats.
            if method == "common", let i = value.integer, precision >= 0 { return .int(i) }
            let scale = pow(10.0, Double(precision))
            let rule: FloatingPointRoundingRule =
                method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrEven
            return .double((x * scale).rounded(rule) / scale)
        case "safe", "e", "escape", "forceescape":
            return name == "safe" ? value : .string(htmlEscape(value.str))
        case "unique":
            var seen: [JinjaValue] = []
            for item in try iterate(value) where !seen.contains(where: { lowered($0).pyEquals(lowered(item)) }) {
                seen.append(item)
            }
            return .iterator(seen)
        case "reverse":
            // jinja2 returns s[::-1] for strings, reversed(seq) for sequences, and a reversed list otherwise.
            switch value {
            case .string(let s): return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed())))
            case .array(let a), .tuple(let a): return .iterator(a.reversed())
            default: return .array(try iterate(value).reversed())
            }
        case "sort":
            let caseSensitive = arg(1, "case_sensitive")?.isTruthy ?? false
            let attribute = arg(2, "attribute")
            let items = try sorted(try iterate(value)) { v in
                let k = try attribute.map { try self.getItem(v, $0) } ?? v
                return caseSensitive ? k : lowered(k)
            }
            return .array(arg(0, "reverse")?.isTruthy ?? false ? items.reversed() : items)
        case "min", "max":
            let items = try sorted(try iterate(value)) { v in
                let k = try arg(1, "attribute").map { try self.getItem(v, $0) } ?? v
                return arg(0, "case_sensitive")?.isTruthy ?? false ? k : lowered(k)
            }
            return (name == "min" ? items.first : items.last) ?? .undefined("No aggregated item, sequence was empty.")
        case "sum":
            var total = arg(1, "start") ?? .int(0)
            for item in try iterate(value) {
                let v = try arg(0, "attribute").map { try getItem(item, $0) } ?? item
                total = try filterAdd(total, v)
            }
            return total
        case "indent":
            // jinja2 appends "\n" to the value itself, which fails for anything but a string.
            if case .undefined(let hint) = value { throw TemplateError.undefined(hint) }
            guard case .string = value else {
                throw TemplateError.runtime("unsupported operand type(s) for +=: '\(value.typeName)' and 'str'")
            }
            return .string(indent(value.str, arg(0, "width") ?? .int(4), first: arg(1, "first")?.isTruthy ?? false,
                                  blank: arg(2, "blank")?.isTruthy ?? false))
        case "wordcount":
            return .int(value.str.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).count)
        case "center":
            let width = arg(0, "width")?.integer ?? 80
            let s = value.str
            let n = s.unicodeScalars.count
            guard width > n else { return .string(s) }
            let left = (width - n) / 2 + ((width - n) & width & 1)
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: width - n - left))
        case "batch":
            let size = max(1, arg(0, "linecount")?.integer ?? 1)
            let items = try iterate(value)
            return .iterator(stride(from: 0, to: items.count, by: size).map { .array(Array(items[$0..<min($0 + size, items.count)])) })
        case "format":
            // jinja2: `s % kwargs` with keyword arguments, otherwise `s % args`.
            if !arg.keyword.isEmpty { return .string(try pythonPercentFormat(value.str, .object(arg.keyword))) }
            return .string(try pythonPercentFormat(value.str, .tuple(arg.positional)))
        case "pprint":
            return .string(value.repr)
        default:
            throw TemplateError.runtime("no filter named '\(name)'")
        }
    }

    private func filterAdd(_ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
        if let x = a.integer, let y = b.integer { return .int(x + y) }
        if let x = a.number, let y = b.number { return .double(x + y) }
        throw TemplateError.runtime("unsupported operand type(s) for +: '\(a.typeName)' and '\(b.typeName)'")
    }

    func length(_ value: JinjaValue) throws -> Int {
        switch value {
        case .undefined: return 0
        case .string(let s): return s.unicodeScalars.count
        case .array(let a), .tuple(let a): return a.count
        case .object(let o): return o.count
        case .namespace(let ns): return ns.attributes.count
        default: throw TemplateError.runtime("object of type '\(value.typeName)' has no len()")
        }
    }

    private func sorted(_ items: [JinjaValue], key: (JinjaValue) throws -> JinjaValue) throws -> [JinjaValue] {
        let keyed = try items.map { (try key($0), $0) }
        var failure: Error? = nil
        // A stable merge of (key, item) pairs; Python's sort is stable too.
        let order = keyed.indices.sorted { a, b in
            do {
                let c = try keyed[a].0.pyCompare(keyed[b].0)
                return c == 0 ? a < b : c < 0
            } catch {
                failure = error
                return a < b
            }
        }
        if let failure { throw failure }
        return order.map { keyed[$0].1 }
    }

    // MARK: - Tests

    func applyTest(_ name: String, _ v: JinjaValue, _ args: [JinjaValue], _ kwargs: JinjaObject) throws -> Bool {
        let other = args.first ?? kwargs.values.first ?? .undefinedValue
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": return v.isNone
        case "string": if case .string = v { return true } else { return false }
        case "mapping": if case .object = v { return true } else { return false }
        case "number": return v.number != nil
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": if case .bool(true) = v { return true } else { return false }
        case "false": if case .bool(false) = v { return true } else { return false }
        case "iterable":
            switch v {
            case .undefined, .string, .array, .tuple, .object, .iterator: return true
            default: return false
            }
        case "sequence":
            switch v {
            case .undefined, .string, .array, .tuple, .object: return true
            default: return false
            }
        case "callable":
            switch v {
            case .callable, .undefined: return true
            default: return false
            }
        case "odd", "even":
            // jinja2: value % 2 == 1 (odd) or == 0 (even), so floats are accepted.
            guard let x = v.number else { throw TemplateError.runtime("\(name) test needs a number") }
            let r = x - 2 * (x / 2).rounded(.down)
            return name == "odd" ? r == 1 : r == 0
        case "divisibleby":
            if let i = v.integer, let n = other.integer, n != 0 { return i % n == 0 }
            guard let x = v.number, let n = other.number, n != 0 else {
                throw TemplateError.runtime("divisibleby test needs non-zero numbers")
            }
            return fmod(x, n) == 0
        case "equalto", "eq", "==", "sameas": return v.pyEquals(other)
        case "ne", "!=": return !v.pyEquals(other)
        case "lt", "<": return try v.pyCompare(other) < 0
        case "le", "<=": return try v.pyCompare(other) <= 0
        case "gt", ">", "greaterthan": return try v.pyCompare(other) > 0
        case "ge", ">=": return try v.pyCompare(other) >= 0
        case "lessthan": return try v.pyCompare(other) < 0
        case "in": return try contains(other, v)
        case "lower": return v.str == v.str.lowercased()
        case "upper": return v.str == v.str.uppercased()
        case "escaped": return false
        default: throw TemplateError.runtime("no test named '\(name)'")
        }
    }
}

// MARK: - String helpers shared with the methods

private func lowered(_ v: JinjaValue) -> JinjaValue {
    if case .string(let s) = v { return .string(s.lowercased()) }
    return v
}

func capitalize(_ s: String) -> String {
    guard let first = s.unicodeScalars.first else { return s }
    return String(first).uppercased() + String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())).lowercased()
}

/// jinja2's `title` filter: words start after whitespace, '-', or an opening bracket.
private func jinjaTitle(_ s: String) -> String {
    var out = ""
    var atStart = true
    for u in s.unicodeScalars {
        let boundary = isPythonSpace(u) || "-({[<".unicodeScalars.contains(u)
        if boundary {
            out.unicodeScalars.append(u)
            atStart = true
        } else {
            out += atStart ? String(u).uppercased() : String(u).lowercased()
            atStart = false
        }
    }
    return out
}

private func htmlEscape(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(u)
        }
    }
    return out
}

/// jinja2's `indent`: indents every line but the first (unless `first`), skipping empty lines (unless `blank`).
private func indent(_ s: String, _ width: JinjaValue, first: Bool, blank: Bool) -> String {
    let pad: String
    if case .string(let p) = width { pad = p } else { pad = String(repeating: " ", count: max(0, width.integer ?? 4)) }
    // jinja2 appends "\n" and then uses splitlines(), so one trailing newline survives as an empty last line.
    var lines = (s + "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines.removeLast()
    var rv: String
    if blank {
        rv = lines.joined(separator: "\n" + pad)
    } else {
        rv = lines.removeFirst()
        if !lines.isEmpty { rv += "\n" + lines.map { $0.isEmpty ? $0 : pad + $0 }.joined(separator: "\n") }
    }
    return first ? pad + rv : rv
}
