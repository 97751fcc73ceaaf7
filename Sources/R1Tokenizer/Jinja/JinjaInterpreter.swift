// Walks the syntax tree and writes the output, with jinja2's scoping (a for-loop iteration, macro or `with` gets
// its own scope; `if` does not), loop variables, macros, and Undefined that raises where jinja2's raises.
import Foundation

/// A variable scope; reads fall through to the parent, `set` writes here.
final class Scope: @unchecked Sendable {
    var vars: [String: JinjaValue] = [:]
    let parent: Scope?
    init(parent: Scope?) { self.parent = parent }

    func lookup(_ name: String) -> JinjaValue? {
        var s: Scope? = self
        while let scope = s {
            if let v = scope.vars[name] { return v }
            s = scope.parent
        }
        return nil
    }
}

private enum Flow { case normal, breakLoop, continueLoop }

final class Interpreter: @unchecked Sendable {
    private var out = ""

    func render(_ nodes: [Node], in scope: Scope) throws -> String {
        out = ""
        _ = try execute(nodes, scope)
        return out
    }

    /// Runs `nodes` into a fresh buffer and returns what they wrote (set blocks, macros, filter blocks).
    private func capture(_ nodes: [Node], _ scope: Scope) throws -> String {
        let saved = out
        out = ""
        defer { out = saved }
        _ = try execute(nodes, scope)
        return out
    }

    // MARK: - Statements

    private func execute(_ nodes: [Node], _ scope: Scope) throws -> Flow {
        for node in nodes {
            let flow = try execute(node, scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ node: Node, _ scope: Scope) throws -> Flow {
        switch node {
        case .text(let t):
            out += t
        case .output(let e):
            out += try evaluate(e, scope).str
        case .ifChain(let branches, let otherwise):
            for (condition, body) in branches where try evaluate(condition, scope).isTruthy {
                return try execute(body, scope)
            }
            return try execute(otherwise, scope)
        case .forLoop(let loop):
            return try runLoop(loop, scope)
        case .set(let target, let e):
            try assign(target, try evaluate(e, scope), scope)
        case .setBlock(let target, let filters, let body):
            var v = JinjaValue.string(try capture(body, Scope(parent: scope)))
            for (name, args) in filters { v = try applyFilter(name, v, args, scope) }
            try assign(target, v, scope)
        case .macro(let m):
            scope.vars[m.name] = makeMacro(m, scope, caller: nil)
        case .callBlock(let call, let callerMacro):
            guard case .call(let callee, let args) = call else { return .normal }
            let caller = makeMacro(callerMacro, scope, caller: nil)
            let f = try evaluate(callee, scope)
            var (positional, keyword) = try evaluateArguments(args, scope)
            keyword["caller"] = caller
            out += try invoke(f, positional, keyword).str
        case .filterBlock(let filters, let body):
            var v = JinjaValue.string(try capture(body, Scope(parent: scope)))
            for (name, args) in filters { v = try applyFilter(name, v, args, scope) }
            out += v.str
        case .with(let assignments, let body):
            let inner = Scope(parent: scope)
            for (n, e) in assignments { inner.vars[n] = try evaluate(e, scope) }
            return try execute(body, inner)
        case .block(let body):
            return try execute(body, scope)
        case .loopBreak:
            return .breakLoop
        case .loopContinue:
            return .continueLoop
        }
        return .normal
    }

    private func assign(_ target: AssignTarget, _ value: JinjaValue, _ scope: Scope) throws {
        switch target {
        case .name(let n):
            scope.vars[n] = value
        case .names(let names):
            let items = try iterate(value)
            guard items.count == names.count else {
                throw TemplateError.runtime(
                    items.count > names.count
                        ? "too many values to unpack (expected \(names.count))"
                        : "not enough values to unpack (expected \(names.count), got \(items.count))")
            }
            for (n, v) in zip(names, items) { scope.vars[n] = v }
        case .attribute(let n, let attr):
            guard case .namespace(let ns) = scope.lookup(n) ?? .undefinedValue else {
                throw TemplateError.runtime("cannot assign attribute on non-namespace object")
            }
            if attr.hasPrefix("_") { throw JinjaGlobals.underscoreError(attr) }
            ns.attributes[attr] = value
        }
    }

    private func runLoop(_ loop: ForLoop, _ scope: Scope) throws -> Flow {
        var items = try iterate(try evaluate(loop.iterable, scope))
        if let condition = loop.condition {
            items = try items.filter { item in
                let s = Scope(parent: scope)
                try assign(loop.target, item, s)
                return try evaluate(condition, s).isTruthy
            }
        }
        if items.isEmpty { return try execute(loop.otherwise, scope) }
        let n = items.count
        for (k, item) in items.enumerated() {
            let s = Scope(parent: scope)
            var info = JinjaObject()
            info["index"] = .int(k + 1)
            info["index0"] = .int(k)
            info["revindex"] = .int(n - k)
            info["revindex0"] = .int(n - k - 1)
            info["first"] = .bool(k == 0)
            info["last"] = .bool(k == n - 1)
            info["length"] = .int(n)
            info["depth"] = .int(1)
            info["depth0"] = .int(0)
            if k > 0 { info["previtem"] = items[k - 1] }
            if k < n - 1 { info["nextitem"] = items[k + 1] }
            info["cycle"] = .callable(JinjaCallable(name: "cycle") { args, _ in
                guard !args.isEmpty else { throw TemplateError.runtime("no items for cycling given") }
                return args[k % args.count]
            })
            s.vars["loop"] = .object(info)
            try assign(loop.target, item, s)
            if try execute(loop.body, s) == .breakLoop { break }
        }
        return .normal
    }

    private func makeMacro(_ m: Macro, _ defining: Scope, caller: JinjaValue?) -> JinjaValue {
        .callable(JinjaCallable(name: m.name) { [unowned self] args, kwargs in
            let s = Scope(parent: defining)
            var kwargs = kwargs
            for (k, (name, defaultExpr)) in m.parameters.enumerated() {
                if k < args.count {
                    s.vars[name] = args[k]
                } else if let v = kwargs[name] {
                    s.vars[name] = v
                    kwargs[name] = nil
                } else if let defaultExpr {
                    s.vars[name] = try self.evaluate(defaultExpr, s)
                } else {
                    s.vars[name] = .undefined("parameter '\(name)' was not provided")
                }
            }
            s.vars["varargs"] = .tuple(Array(args.dropFirst(m.parameters.count)))
            if let c = kwargs["caller"] {
                s.vars["caller"] = c
                kwargs["caller"] = nil
            }
            s.vars["kwargs"] = .object(kwargs)
            return .string(try self.capture(m.body, s))
        })
    }

    // MARK: - Expressions

    func evaluate(_ e: Expr, _ scope: Scope) throws -> JinjaValue {
        switch e {
        case .literal(let v):
            return v
        case .name(let n):
            return scope.lookup(n) ?? .undefined("'\(n)' is undefined")
        case .list(let items):
            return .array(try items.map { try evaluate($0, scope) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, scope) })
        case .dict(let pairs):
            var o = JinjaObject()
            for (k, v) in pairs { o[try evaluate(k, scope).str] = try evaluate(v, scope) }
            return .object(o)
        case .getattr(let base, let name):
            return try getAttribute(try evaluate(base, scope), name)
        case .getitem(let base, let index):
            return try getItem(try evaluate(base, scope), try evaluate(index, scope))
        case .slice(let base, let start, let stop, let step):
            let v = try evaluate(base, scope)
            return try slice(
                v, try start.map { try evaluate($0, scope) }, try stop.map { try evaluate($0, scope) },
                try step.map { try evaluate($0, scope) })
        case .call(let callee, let args):
            let (positional, keyword) = try evaluateArguments(args, scope)
            if case .getattr(let base, let name) = callee {
                let object = try evaluate(base, scope)
                if case .undefined(let hint) = object { throw TemplateError.undefined(hint) }
                if let result = try callMethod(object, name, positional, keyword) { return result }
                return try invoke(try getAttribute(object, name), positional, keyword)
            }
            return try invoke(try evaluate(callee, scope), positional, keyword)
        case .filter(let base, let name, let args):
            return try applyFilter(name, try evaluate(base, scope), args, scope)
        case .test(let base, let name, let args, let negated):
            let (positional, keyword) = try evaluateArguments(args, scope)
            let result = try applyTest(name, try evaluate(base, scope), positional, keyword)
            return .bool(result != negated)
        case .unary(let op, let operand):
            let v = try evaluate(operand, scope)
            switch op {
            case "not": return .bool(!v.isTruthy)
            case "-":
                switch v {
                case .int(let i): return .int(-i)
                case .double(let d): return .double(-d)
                case .bool(let b): return .int(b ? -1 : 0)
                case .undefined(let hint): throw TemplateError.undefined(hint)
                default: throw TemplateError.runtime("bad operand type for unary -: '\(v.typeName)'")
                }
            default:
                if v.number == nil { throw TemplateError.runtime("bad operand type for unary +: '\(v.typeName)'") }
                return v
            }
        case .binary(let op, let l, let r):
            let a = try evaluate(l, scope)
            switch op {
            case "and": return a.isTruthy ? try evaluate(r, scope) : a
            case "or": return a.isTruthy ? a : try evaluate(r, scope)
            default: return try binaryOperation(op, a, try evaluate(r, scope))
            }
        case .compare(let first, let ops):
            var left = try evaluate(first, scope)
            for (op, e) in ops {
                let right = try evaluate(e, scope)
                if !(try compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let test, let then, let otherwise):
            if try evaluate(test, scope).isTruthy { return try evaluate(then, scope) }
            return try otherwise.map { try evaluate($0, scope) }
                ?? .undefined("the inline if-expression evaluated to false and no else section was defined")
        }
    }

    func evaluateArguments(_ args: Arguments, _ scope: Scope) throws -> ([JinjaValue], JinjaObject) {
        var positional = try args.positional.map { try evaluate($0, scope) }
        var keyword = JinjaObject()
        for (k, e) in args.keyword { keyword[k] = try evaluate(e, scope) }
        if let star = args.starArgs { positional += try iterate(try evaluate(star, scope)) }
        if let star = args.starKwargs {
            guard case .object(let o) = try evaluate(star, scope) else {
                throw TemplateError.runtime("argument after ** must be a mapping")
            }
            for (k, v) in o { keyword[k] = v }
        }
        return (positional, keyword)
    }

    func invoke(_ f: JinjaValue, _ args: [JinjaValue], _ kwargs: JinjaObject) throws -> JinjaValue {
        switch f {
        case .callable(let c): return try c.call(args, kwargs)
        case .undefined(let hint): throw TemplateError.undefined(hint)
        default: throw TemplateError.runtime("'\(f.typeName)' object is not callable")
        }
    }

    // MARK: - Attribute and item access

    func getAttribute(_ v: JinjaValue, _ name: String) throws -> JinjaValue {
        switch v {
        case .undefined(let hint): throw TemplateError.undefined(hint)
        case .object(let o):
            return o[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .namespace(let ns):
            return ns.attributes[name] ?? .undefined("'Namespace object' has no attribute '\(name)'")
        default:
            return .undefined("'\(v.typeName) object' has no attribute '\(name)'")
        }
    }

    func getItem(_ v: JinjaValue, _ index: JinjaValue) throws -> JinjaValue {
        switch (v, index) {
        case (.undefined(let hint), _): throw TemplateError.undefined(hint)
        case (.object(let o), _):
            return o[index.str] ?? .undefined("'dict object' has no attribute \(index.repr)")
        case (.namespace(let ns), _):
            return ns.attributes[index.str] ?? .undefined("'Namespace object' has no attribute \(index.repr)")
        case (.array(let a), _), (.tuple(let a), _):
            guard let i = index.integer else { break }
            let k = i < 0 ? i + a.count : i
            return a.indices.contains(k) ? a[k] : .undefined("'list object' has no element \(i)")
        case (.string(let s), _):
            guard let i = index.integer else { break }
            let scalars = Array(s.unicodeScalars)
            let k = i < 0 ? i + scalars.count : i
            return scalars.indices.contains(k)
                ? .string(String(scalars[k])) : .undefined("'str object' has no element \(i)")
        default: break
        }
        if case .string(let name) = index { return try getAttribute(v, name) }
        return .undefined("'\(v.typeName) object' has no element \(index.repr)")
    }

    private func slice(_ v: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws
        -> JinjaValue
    {
        func bound(_ x: JinjaValue?) throws -> Int? {
            guard let x, !x.isNone else { return nil }
            guard let i = x.integer else {
                throw TemplateError.runtime("slice indices must be integers or None")
            }
            return i
        }
        let step = try bound(step) ?? 1
        guard step != 0 else { throw TemplateError.runtime("slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ dflt: Int) -> Int {
                guard var i else { return dflt }
                if i < 0 { i += count }
                return step > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
            }
            let lo = clamp(try bound(start), step > 0 ? 0 : count - 1)
            let hi = clamp(try bound(stop), step > 0 ? count : -1)
            return Array(stride(from: lo, to: hi, by: step))
        }
        switch v {
        case .array(let a): return .array(try indices(a.count).map { a[$0] })
        case .tuple(let a): return .tuple(try indices(a.count).map { a[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            return .string(String(String.UnicodeScalarView(try indices(scalars.count).map { scalars[$0] })))
        case .undefined(let hint): throw TemplateError.undefined(hint)
        default: throw TemplateError.runtime("'\(v.typeName)' object is not subscriptable")
        }
    }

    /// Python iteration: lists, dict keys, string characters; Undefined iterates as empty.
    func iterate(_ v: JinjaValue) throws -> [JinjaValue] {
        switch v {
        case .undefined: return []
        case .array(let a), .tuple(let a), .iterator(let a): return a
        case .object(let o): return o.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        default: throw TemplateError.runtime("'\(v.typeName)' object is not iterable")
        }
    }

    // MARK: - Operators

    private func binaryOperation(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
        if op == "~" { return .string(a.str + b.str) }
        if case .undefined(let hint) = a { throw TemplateError.undefined(hint) }
        if case .undefined(let hint) = b { throw TemplateError.undefined(hint) }
        let unsupported = TemplateError.runtime(
            "unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .array(let x), .array(let y)): return .array(x + y)
        case ("+", .tuple(let x), .tuple(let y)): return .tuple(x + y)
        case ("*", .string(let x), _) where b.integer != nil:
            return .string(String(repeating: x, count: max(0, b.integer!)))
        case ("*", _, .string(let y)) where a.integer != nil:
            return .string(String(repeating: y, count: max(0, a.integer!)))
        case ("*", .array(let x), _) where b.integer != nil:
            return .array(Array(repeating: x, count: max(0, b.integer!)).flatMap { $0 })
        case ("*", .tuple(let x), _) where b.integer != nil:
            return .tuple(Array(repeating: x, count: max(0, b.integer!)).flatMap { $0 })
        case ("*", _, .tuple(let y)) where a.integer != nil:
            return .tuple(Array(repeating: y, count: max(0, a.integer!)).flatMap { $0 })
        case ("*", _, .array(let y)) where a.integer != nil:
            return .array(Array(repeating: y, count: max(0, a.integer!)).flatMap { $0 })
        case ("%", .string(let fmt), _):
            return .string(try pythonPercentFormat(fmt, b))
        default: break
        }
        if let x = a.integer, let y = b.integer {
            switch op {
            case "+": return try checked(x.addingReportingOverflow(y))
            case "-": return try checked(x.subtractingReportingOverflow(y))
            case "*": return try checked(x.multipliedReportingOverflow(by: y))
            case "/":
                guard y != 0 else { throw TemplateError.runtime("division by zero") }
                return .double(Double(x) / Double(y))
            case "//":
                guard y != 0 else { throw TemplateError.runtime("integer division or modulo by zero") }
                let q = x / y
                return .int((x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q)
            case "%":
                guard y != 0 else { throw TemplateError.runtime("integer division or modulo by zero") }
                let r = x % y
                return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            case "**":
                if y < 0 {
                    guard x != 0 else { throw TemplateError.runtime("0.0 cannot be raised to a negative power") }
                    return .double(pow(Double(x), Double(y)))
                }
                var result = 1
                for _ in 0..<y { result = try checked(result.multipliedReportingOverflow(by: x)).integer! }
                return .int(result)
            default: break
            }
        }
        guard let x = a.number, let y = b.number else { throw unsupported }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw TemplateError.runtime("float division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw TemplateError.runtime("float floor division by zero") }
            // CPython's float_floor_div: floor of (x - fmod(x, y)) / y, so 1 // 0.1 == 9.0.
            let mod = fmod(x, y)
            var div = (x - mod) / y
            if mod != 0 && (y < 0) != (mod < 0) { div -= 1 }
            var floored = div.rounded(.down)
            if div - floored > 0.5 { floored += 1 }
            return .double(div == 0 ? (x / y < 0 ? -0.0 : 0.0) : floored)
        case "%":
            guard y != 0 else { throw TemplateError.runtime("float modulo") }
            let r = fmod(x, y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case "**":
            if x == 0 && y < 0 { throw TemplateError.runtime("0.0 cannot be raised to a negative power") }
            return .double(pow(x, y))
        default: throw unsupported
        }
    }

    private func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
        if r.overflow { throw TemplateError.runtime("integer overflow") }
        return .int(r.partialValue)
    }

    private func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        switch op {
        case "==": return a.pyEquals(b)
        case "!=": return !a.pyEquals(b)
        case "in": return try contains(b, a)
        case "notin": return !(try contains(b, a))
        default:
            if case .undefined(let hint) = a { throw TemplateError.undefined(hint) }
            if case .undefined(let hint) = b { throw TemplateError.undefined(hint) }
            let c = try a.pyCompare(b)
            switch op {
            case "<": return c < 0
            case "<=": return c <= 0
            case ">": return c > 0
            default: return c >= 0
            }
        }
    }

    func contains(_ container: JinjaValue, _ item: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let sub) = item else {
                throw TemplateError.runtime("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return findScalars(Array(s.unicodeScalars), Array(sub.unicodeScalars)) != nil
        case .array(let a), .tuple(let a), .iterator(let a): return a.contains { $0.pyEquals(item) }
        case .object(let o):
            if item.elements != nil && item.typeName == "list" || item.typeName == "dict" {
                throw TemplateError.runtime("unhashable type: '\(item.typeName)'")
            }
            return o[item.str] != nil && item.typeName == "str"
        case .namespace(let ns): return ns.attributes[item.str] != nil
        case .undefined: return false
        default: throw TemplateError.runtime("argument of type '\(container.typeName)' is not iterable")
        }
    }
}
