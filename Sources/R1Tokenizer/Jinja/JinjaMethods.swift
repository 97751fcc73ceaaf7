// Python methods templates call on values (str.split, dict.items, ...) and the globals transformers provides
// (raise_exception, strftime_now, namespace, dict, range). Strings are handled as code points, like Python's.
import Foundation

extension Interpreter {
    /// Calls `object.name(...)` when `name` is a method of the object's Python type; nil when it is not.
    func callMethod(_ object: JinjaValue, _ name: String, _ args: [JinjaValue], _ kwargs: JinjaObject) throws
        -> JinjaValue?
    {
        let arg = BoundArguments(positional: args, keyword: kwargs)
        switch object {
        case .string(let s): return try stringMethod(s, name, arg)
        case .object(let o):
            switch name {
            case "items": return .array(o.map { .tuple([.string($0.key), $0.value]) })
            case "keys": return .array(o.keys.map { .string($0) })
            case "values": return .array(o.values)
            case "get":
                guard let key = arg(0, "key") else { throw TemplateError.runtime("get expected at least 1 argument") }
                return o[key.str] ?? arg(1, "default") ?? JinjaValue.none
            case "copy": return object
            case "update", "pop", "setdefault", "clear", "popitem":
                throw TemplateError.runtime("access to attribute '\(name)' of 'dict' object is unsafe.")
            default: return nil
            }
        case .array(let a), .tuple(let a):
            switch name {
            case "index":
                guard let x = arg(0, "value"), let i = a.firstIndex(where: { $0.pyEquals(x) }) else {
                    throw TemplateError.runtime("value is not in list")
                }
                return .int(i)
            case "count":
                return .int(a.filter { $0.pyEquals(arg(0, "value") ?? JinjaValue.none) }.count)
            case "copy": return object
            case "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse":
                // transformers renders with an ImmutableSandboxedEnvironment, which forbids these.
                throw TemplateError.runtime("access to attribute '\(name)' of 'list' object is unsafe.")
            default: return nil
            }
        default: return nil
        }
    }

    private func stringMethod(_ s: String, _ name: String, _ arg: BoundArguments) throws -> JinjaValue? {
        let scalars = Array(s.unicodeScalars)
        switch name {
        case "strip": return .string(pythonStrip(s, arg(0, "chars"), left: true, right: true))
        case "lstrip": return .string(pythonStrip(s, arg(0, "chars"), left: true, right: false))
        case "rstrip": return .string(pythonStrip(s, arg(0, "chars"), left: false, right: true))
        case "split", "rsplit":
            let sep = arg(0, "sep")
            let maxsplit = arg(1, "maxsplit")?.integer ?? -1
            let parts: [String]
            if let sep, !sep.isNone {
                guard case .string(let separator) = sep, !separator.isEmpty else {
                    throw TemplateError.runtime("empty separator")
                }
                parts = pythonSplit(scalars, Array(separator.unicodeScalars), maxsplit, fromRight: name == "rsplit")
            } else {
                parts = pythonSplitWhitespace(scalars, maxsplit, fromRight: name == "rsplit")
            }
            return .array(parts.map { .string($0) })
        case "splitlines":
            var lines = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return .array(lines.map { .string($0) })
        case "startswith", "endswith":
            let prefixes: [JinjaValue]
            if case .tuple(let a)? = arg(0, "prefix") { prefixes = a } else { prefixes = [arg(0, "prefix") ?? JinjaValue.none] }
            for p in prefixes {
                guard case .string(let affix) = p else {
                    throw TemplateError.runtime("\(name) first arg must be str or a tuple of str")
                }
                let a = Array(affix.unicodeScalars)
                let hit =
                    name == "startswith"
                    ? scalars.starts(with: a) : scalars.count >= a.count && Array(scalars.suffix(a.count)) == a
                if hit { return .bool(true) }
            }
            return .bool(false)
        case "replace":
            let count = arg(2, "count")?.integer
            return .string(pythonReplace(s, arg(0, "old")?.str ?? "", arg(1, "new")?.str ?? "",
                                         count: count.flatMap { $0 < 0 ? nil : $0 }))
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(pythonTitle(s))
        case "capitalize": return .string(capitalize(s))
        case "count":
            let sub = Array((arg(0, "sub")?.str ?? "").unicodeScalars)
            if sub.isEmpty { return .int(scalars.count + 1) }
            var n = 0
            var i = 0
            while let k = findScalars(scalars, sub, from: i) {
                n += 1
                i = k + sub.count
            }
            return .int(n)
        case "find", "index", "rfind", "rindex":
            let sub = Array((arg(0, "sub")?.str ?? "").unicodeScalars)
            let found: Int?
            if name.hasPrefix("r") {
                found = stride(from: scalars.count - sub.count, through: 0, by: -1).first {
                    Array(scalars[$0..<$0 + sub.count]) == sub
                }
            } else {
                found = findScalars(scalars, sub)
            }
            if found == nil, name.hasSuffix("index") { throw TemplateError.runtime("substring not found") }
            return .int(found ?? -1)
        case "isdigit": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
        case "isalpha": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic })
        case "isalnum":
            return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        case "isspace": return .bool(!scalars.isEmpty && scalars.allSatisfy(isPythonSpace))
        case "islower": return .bool(s != s.uppercased() && s == s.lowercased())
        case "isupper": return .bool(s != s.lowercased() && s == s.uppercased())
        case "join":
            guard let items = arg(0, "iterable") else { throw TemplateError.runtime("join() takes exactly one argument") }
            return .string(try iterate(items).map(\.str).joined(separator: s))
        case "format": return .string(try pythonFormat(s, arg))
        case "zfill":
            let width = arg(0, "width")?.integer ?? 0
            guard scalars.count < width else { return .string(s) }
            let pad = String(repeating: "0", count: width - scalars.count)
            if let f = scalars.first, f == "+" || f == "-" { return .string(String(f) + pad + String(s.unicodeScalars.dropFirst())) }
            return .string(pad + s)
        case "ljust", "rjust", "center":
            let width = arg(0, "width")?.integer ?? 0
            let fill = arg(1, "fillchar")?.str ?? " "
            let n = max(0, width - scalars.count)
            if name == "ljust" { return .string(s + String(repeating: fill, count: n)) }
            if name == "rjust" { return .string(String(repeating: fill, count: n) + s) }
            let left = n / 2 + (n & width & 1)
            return .string(String(repeating: fill, count: left) + s + String(repeating: fill, count: n - left))
        default: return nil
        }
    }

    /// `str.format` with `{}`, `{0}` and `{name}` fields (no format specs).
    private func pythonFormat(_ s: String, _ arg: BoundArguments) throws -> String {
        var out = ""
        var auto = 0
        let u = Array(s.unicodeScalars)
        var i = 0
        while i < u.count {
            let c = u[i]
            if c == "{", i + 1 < u.count, u[i + 1] == "{" { out += "{"; i += 2; continue }
            if c == "}", i + 1 < u.count, u[i + 1] == "}" { out += "}"; i += 2; continue }
            if c == "{" {
                guard let close = u[i...].firstIndex(of: "}") else { throw TemplateError.runtime("Single '{' encountered in format string") }
                let field = String(String.UnicodeScalarView(u[(i + 1)..<close]))
                let key = field.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                let v: JinjaValue?
                if key.isEmpty {
                    v = auto < arg.positional.count ? arg.positional[auto] : nil
                    auto += 1
                } else if let n = Int(key) {
                    v = n < arg.positional.count ? arg.positional[n] : nil
                } else {
                    v = arg.keyword[key]
                }
                guard let v else { throw TemplateError.runtime("Replacement index \(key) out of range") }
                out += v.str
                i = close + 1
                continue
            }
            out.unicodeScalars.append(c)
            i += 1
        }
        return out
    }
}

// MARK: - Globals

enum JinjaGlobals {
    /// transformers' TemplateNamespace refuses underscore-prefixed names.
    static func underscoreError(_ name: String) -> TemplateError {
        .runtime("Chat templates cannot store underscore-prefixed attributes on a namespace, but got "
            + pythonStringRepr(name) + ". Please rename the attribute.")
    }

    static func install(in scope: Scope) {
        scope.vars["raise_exception"] = .callable(JinjaCallable(name: "raise_exception") { args, kwargs in
            throw TemplateError.raised((args.first ?? kwargs["message"] ?? JinjaValue.none).str)
        })
        scope.vars["strftime_now"] = .callable(JinjaCallable(name: "strftime_now") { args, _ in
            .string(strftimeNow(args.first?.str ?? ""))
        })
        scope.vars["namespace"] = .callable(JinjaCallable(name: "namespace") { args, kwargs in
            var attributes = JinjaObject()
            if case .object(let o)? = args.first { for (k, v) in o { attributes[k] = v } }
            for (k, v) in kwargs { attributes[k] = v }
            if let bad = attributes.keys.first(where: { $0.hasPrefix("_") }) {
                throw JinjaGlobals.underscoreError(bad)
            }
            return .namespace(JinjaNamespace(attributes))
        })
        scope.vars["dict"] = .callable(JinjaCallable(name: "dict") { args, kwargs in
            var o = JinjaObject()
            switch args.first {
            case .object(let d)?: for (k, v) in d { o[k] = v }
            case .array(let pairs)?, .tuple(let pairs)?:
                for p in pairs {
                    guard let kv = p.elements, kv.count == 2 else {
                        throw TemplateError.runtime("dictionary update sequence element has wrong length")
                    }
                    o[kv[0].str] = kv[1]
                }
            default: break
            }
            for (k, v) in kwargs { o[k] = v }
            return .object(o)
        })
        scope.vars["range"] = .callable(JinjaCallable(name: "range") { args, _ in
            let ints = try args.map { v -> Int in
                guard let i = v.integer else { throw TemplateError.runtime("range() integer argument expected") }
                return i
            }
            let (start, stop, step): (Int, Int, Int) =
                switch ints.count {
                case 1: (0, ints[0], 1)
                case 2: (ints[0], ints[1], 1)
                case 3: (ints[0], ints[1], ints[2])
                default: throw TemplateError.runtime("range expected 1 to 3 arguments, got \(ints.count)")
                }
            guard step != 0 else { throw TemplateError.runtime("range() arg 3 must not be zero") }
            guard (stop - start) / step < 100_000 else { throw TemplateError.runtime("Range too big.") }
            return .array(stride(from: start, to: stop, by: step).map { .int($0) })
        })
    }
}

/// `datetime.now().strftime(format)`: Python hands the format to the C library's strftime.
func strftimeNow(_ format: String) -> String {
    var now = time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    var buffer = [Int8](repeating: 0, count: 512)
    let n = strftime(&buffer, buffer.count, format, &parts)
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

// MARK: - Code-point string algorithms

func findScalars(_ s: [Unicode.Scalar], _ sub: [Unicode.Scalar], from start: Int = 0) -> Int? {
    guard sub.count <= s.count else { return nil }
    if sub.isEmpty { return start <= s.count ? start : nil }
    var i = start
    while i + sub.count <= s.count {
        if s[i] == sub[0], s[i..<i + sub.count].elementsEqual(sub) { return i }
        i += 1
    }
    return nil
}

func pythonStrip(_ s: String, _ chars: JinjaValue?, left: Bool, right: Bool) -> String {
    let set: ((Unicode.Scalar) -> Bool)
    if let chars, case .string(let c) = chars {
        let members = Set(c.unicodeScalars)
        set = { members.contains($0) }
    } else {
        set = isPythonSpace
    }
    let u = Array(s.unicodeScalars)
    var a = 0
    var b = u.count
    if left { while a < b, set(u[a]) { a += 1 } }
    if right { while b > a, set(u[b - 1]) { b -= 1 } }
    return String(String.UnicodeScalarView(u[a..<b]))
}

func pythonSplit(_ s: [Unicode.Scalar], _ sep: [Unicode.Scalar], _ maxsplit: Int, fromRight: Bool) -> [String] {
    var pieces: [Range<Int>] = []
    if fromRight {
        var end = s.count
        var i = s.count - sep.count
        while i >= 0, maxsplit < 0 || pieces.count < maxsplit {
            if s[i..<i + sep.count].elementsEqual(sep) {
                pieces.insert(i + sep.count..<end, at: 0)
                end = i
                i -= sep.count
            } else {
                i -= 1
            }
        }
        pieces.insert(0..<end, at: 0)
    } else {
        var start = 0
        var i = 0
        while let k = findScalars(s, sep, from: i), maxsplit < 0 || pieces.count < maxsplit {
            pieces.append(start..<k)
            start = k + sep.count
            i = start
        }
        pieces.append(start..<s.count)
    }
    return pieces.map { String(String.UnicodeScalarView(s[$0])) }
}

func pythonSplitWhitespace(_ s: [Unicode.Scalar], _ maxsplit: Int, fromRight: Bool) -> [String] {
    var words: [String] = []
    if fromRight {
        var b = s.count
        while true {
            while b > 0, isPythonSpace(s[b - 1]) { b -= 1 }
            if b == 0 { break }
            if maxsplit >= 0, words.count == maxsplit {
                words.insert(String(String.UnicodeScalarView(s[0..<b])), at: 0)
                break
            }
            var a = b
            while a > 0, !isPythonSpace(s[a - 1]) { a -= 1 }
            words.insert(String(String.UnicodeScalarView(s[a..<b])), at: 0)
            b = a
        }
    } else {
        var a = 0
        while true {
            while a < s.count, isPythonSpace(s[a]) { a += 1 }
            if a == s.count { break }
            if maxsplit >= 0, words.count == maxsplit {
                var e = s.count
                while e > a, isPythonSpace(s[e - 1]) { e -= 1 }
                words.append(String(String.UnicodeScalarView(s[a..<e])))
                break
            }
            var b = a
            while b < s.count, !isPythonSpace(s[b]) { b += 1 }
            words.append(String(String.UnicodeScalarView(s[a..<b])))
            a = b
        }
    }
    return words
}

func pythonReplace(_ s: String, _ old: String, _ new: String, count: Int?) -> String {
    let u = Array(s.unicodeScalars)
    let o = Array(old.unicodeScalars)
    var out = String.UnicodeScalarView()
    var replaced = 0
    if o.isEmpty {
        for (k, c) in u.enumerated() {
            if count.map({ replaced < $0 }) ?? true { out.append(contentsOf: new.unicodeScalars); replaced += 1 }
            out.append(c)
            _ = k
        }
        if count.map({ replaced < $0 }) ?? true { out.append(contentsOf: new.unicodeScalars) }
        return String(out)
    }
    var i = 0
    while i < u.count {
        if count.map({ replaced < $0 }) ?? true, let k = findScalars(u, o, from: i) {
            out.append(contentsOf: u[i..<k])
            out.append(contentsOf: new.unicodeScalars)
            replaced += 1
            i = k + o.count
        } else {
            out.append(contentsOf: u[i...])
            break
        }
    }
    return String(out)
}

/// Python's `str.title`: a letter is uppercased when the previous character is not a letter.
func pythonTitle(_ s: String) -> String {
    var out = ""
    var previousCased = false
    for u in s.unicodeScalars {
        let cased = u.properties.isCased
        out += previousCased ? String(u).lowercased() : String(u).uppercased()
        previousCased = cased
    }
    return out
}
