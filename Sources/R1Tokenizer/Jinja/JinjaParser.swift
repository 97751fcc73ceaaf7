// Tokens -> syntax tree, following jinja2's parser.py: the same statement set and operator precedence
// (condexpr < or < and < not < compare < +- < ~ < */ // % < ** < unary < postfix, filters and tests).

struct JinjaParser {
    private let tokens: [Token]
    private var i = 0

    static func parse(_ source: String) throws -> [Node] {
        var p = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let (body, end) = try p.statements(until: [])
        assert(end == nil)
        return body
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    // MARK: - Token stream

    private var current: Token { tokens[i] }
    private var peekNext: Token { tokens[min(i + 1, tokens.count - 1)] }

    private mutating func advance() { if i < tokens.count - 1 { i += 1 } }

    private func fail(_ expected: String, _ token: Token? = nil) -> TemplateError {
        let t = token ?? current
        return .syntax(line: t.line, "expected \(expected), found \(t.describe)")
    }

    private func isName(_ n: String) -> Bool { current.kind == .name(n) }
    private func isOp(_ o: String) -> Bool { current.kind == .op(o) }

    private mutating func skip(name n: String) -> Bool {
        if isName(n) { advance(); return true }
        return false
    }

    private mutating func skip(op o: String) -> Bool {
        if isOp(o) { advance(); return true }
        return false
    }

    private mutating func expect(op o: String) throws {
        guard skip(op: o) else { throw fail("'\(o)'") }
    }

    private mutating func expect(name n: String) throws {
        guard skip(name: n) else { throw fail("'\(n)'") }
    }

    private mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw fail("end of statement '%}'") }
        advance()
    }

    private mutating func identifier() throws -> String {
        guard case .name(let n) = current.kind else { throw fail("a name") }
        advance()
        return n
    }

    // MARK: - Statements

    /// Parses nodes until a `{% name %}` whose name is in `ends`; consumes that name and returns it.
    private mutating func statements(until ends: [String]) throws -> ([Node], String?) {
        var body: [Node] = []
        while true {
            switch current.kind {
            case .text(let t):
                body.append(.text(t))
                advance()
            case .variableBegin:
                advance()
                body.append(.output(try tuple()))
                guard current.kind == .variableEnd else { throw fail("end of print statement '}}'") }
                advance()
            case .blockBegin:
                advance()
                if case .name(let n) = current.kind, ends.contains(n) {
                    advance()
                    return (body, n)
                }
                body.append(try statement(ends))
            case .end:
                if ends.isEmpty { return (body, nil) }
                let names = ends.map { "'\($0)'" }.joined(separator: " or ")
                throw fail(names)
            default:
                throw fail("template text or a tag")
            }
        }
    }

    private mutating func statement(_ enclosingEnds: [String]) throws -> Node {
        let tagToken = current
        guard case .name(let keyword) = current.kind else { throw fail("a statement name") }
        advance()
        switch keyword {
        case "if": return try ifStatement()
        case "for": return try forStatement(line: tagToken.line)
        case "set": return try setStatement()
        case "macro": return try macroStatement()
        case "call": return try callStatement()
        case "filter":
            let filters = try filterChain()
            try expectBlockEnd()
            let (body, _) = try statements(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters: filters, body: body)
        case "with":
            var assignments: [(String, Expr)] = []
            while current.kind != .blockEnd {
                if !assignments.isEmpty { try expect(op: ",") }
                let n = try identifier()
                try expect(op: "=")
                assignments.append((n, try expression()))
            }
            try expectBlockEnd()
            let (body, _) = try statements(until: ["endwith"])
            try expectBlockEnd()
            return .with(assignments, body: body)
        case "generation":
            // transformers' AssistantTracker tag: renders its body unchanged.
            try expectBlockEnd()
            let (body, _) = try statements(until: ["endgeneration"])
            try expectBlockEnd()
            return .block(body)
        case "block":
            // Without `extends` a block renders in place; `{% endblock name %}` may repeat the name.
            let name = try identifier()
            if skip(name: "scoped") || skip(name: "required") {}
            try expectBlockEnd()
            let (body, _) = try statements(until: ["endblock"])
            if case .name(let n) = current.kind, n == name { advance() }
            try expectBlockEnd()
            return .block(body)
        case "break", "continue":
            try expectBlockEnd()
            return keyword == "break" ? .loopBreak : .loopContinue
        default:
            if enclosingEnds.isEmpty {
                throw TemplateError.syntax(line: tagToken.line, "unknown tag '\(keyword)'")
            }
            let names = enclosingEnds.map { "'\($0)'" }.joined(separator: " or ")
            throw TemplateError.syntax(line: tagToken.line, "expected \(names), found '\(keyword)'")
        }
    }

    private mutating func ifStatement() throws -> Node {
        var branches: [(Expr, [Node])] = []
        var condition = try tuple(withCondexpr: false)
        while true {
            try expectBlockEnd()
            let (body, end) = try statements(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try tuple(withCondexpr: false)
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try statements(until: ["endif"])
                try expectBlockEnd()
                return .ifChain(branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .ifChain(branches, otherwise: [])
            }
        }
    }

    private mutating func forStatement(line: Int) throws -> Node {
        let target = try assignTarget(allowAttribute: false)
        try expect(name: "in")
        let iterable = try tuple(withCondexpr: false, extraEnds: ["recursive"])
        var condition: Expr? = nil
        if skip(name: "if") { condition = try expression() }
        if isName("recursive") {
            throw TemplateError.syntax(line: current.line, "recursive loops are not supported")
        }
        try expectBlockEnd()
        let (body, end) = try statements(until: ["endfor", "else"])
        var otherwise: [Node] = []
        if end == "else" {
            try expectBlockEnd()
            (otherwise, _) = try statements(until: ["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(ForLoop(target: target, iterable: iterable, condition: condition, body: body,
                                otherwise: otherwise, line: line))
    }

    private mutating func setStatement() throws -> Node {
        let target = try assignTarget(allowAttribute: true)
        if skip(op: "=") {
            let value = try tuple()
            try expectBlockEnd()
            return .set(target, value)
        }
        let filters = skip(op: "|") ? try filterChain() : []
        try expectBlockEnd()
        let (body, _) = try statements(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(target, filters: filters, body: body)
    }

    private mutating func assignTarget(allowAttribute: Bool) throws -> AssignTarget {
        let parenthesized = skip(op: "(")
        let first = try identifier()
        if allowAttribute, !parenthesized, skip(op: ".") {
            return .attribute(first, try identifier())
        }
        var names = [first]
        var sawComma = false
        while skip(op: ",") {
            sawComma = true
            if case .name(let n) = current.kind, n != "in" {
                names.append(n)
                advance()
            } else {
                break
            }
        }
        if parenthesized { try expect(op: ")") }
        return sawComma || parenthesized && names.count > 1 ? .names(names) : .name(first)
    }

    private mutating func macroSignature() throws -> [(String, Expr?)] {
        var params: [(String, Expr?)] = []
        try expect(op: "(")
        while !skip(op: ")") {
            if !params.isEmpty { try expect(op: ",") }
            if skip(op: ")") { break }
            let n = try identifier()
            params.append((n, skip(op: "=") ? try expression() : nil))
        }
        return params
    }

    private mutating func macroStatement() throws -> Node {
        let name = try identifier()
        let params = try macroSignature()
        try expectBlockEnd()
        let (body, _) = try statements(until: ["endmacro"])
        try expectBlockEnd()
        return .macro(Macro(name: name, parameters: params, body: body))
    }

    private mutating func callStatement() throws -> Node {
        let params = isOp("(") ? try macroSignature() : []
        let call = try expression()
        guard case .call = call else { throw fail("a call expression") }
        try expectBlockEnd()
        let (body, _) = try statements(until: ["endcall"])
        try expectBlockEnd()
        return .callBlock(call: call, caller: Macro(name: "caller", parameters: params, body: body))
    }

    private mutating func filterChain() throws -> [(String, Arguments)] {
        var filters: [(String, Arguments)] = []
        repeat {
            let name = try dottedName()
            filters.append((name, isOp("(") ? try callArguments() : Arguments()))
        } while skip(op: "|")
        return filters
    }

    // MARK: - Expressions

    /// A comma-separated list becomes a tuple (a list here); a single expression stays itself.
    private mutating func tuple(withCondexpr: Bool = true, extraEnds: Set<String> = [], explicitParens: Bool = false)
        throws -> Expr
    {
        var items: [Expr] = []
        var sawComma = false
        while true {
            if !items.isEmpty {
                guard skip(op: ",") else { break }
                sawComma = true
            }
            if tupleEnds(extraEnds) { break }
            items.append(withCondexpr ? try expression() : try orExpr())
        }
        if !sawComma {
            if let only = items.first { return only }
            if !explicitParens { throw fail("an expression") }
        }
        return .tuple(items)
    }

    private func tupleEnds(_ extra: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .end: return true
        case .op(let o): return o == ")" || o == "]" || o == "}"
        case .name(let n): return extra.contains(n)
        default: return false
        }
    }

    mutating func expression() throws -> Expr {
        var e = try orExpr()
        while skip(name: "if") {
            let test = try orExpr()
            let otherwise: Expr? = skip(name: "else") ? try expression() : nil
            e = .conditional(test: test, then: e, otherwise: otherwise)
        }
        return e
    }

    private mutating func orExpr() throws -> Expr {
        var e = try andExpr()
        while skip(name: "or") { e = .binary("or", e, try andExpr()) }
        return e
    }

    private mutating func andExpr() throws -> Expr {
        var e = try notExpr()
        while skip(name: "and") { e = .binary("and", e, try notExpr()) }
        return e
    }

    private mutating func notExpr() throws -> Expr {
        if skip(name: "not") { return .unary("not", try notExpr()) }
        return try compare()
    }

    private mutating func compare() throws -> Expr {
        let first = try math1()
        var ops: [(String, Expr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                advance()
                ops.append((o, try math1()))
            } else if skip(name: "in") {
                ops.append(("in", try math1()))
            } else if isName("not"), peekNext.kind == .name("in") {
                advance()
                advance()
                ops.append(("notin", try math1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : .compare(first, ops)
    }

    private mutating func math1() throws -> Expr {
        var e = try concat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            advance()
            e = .binary(o, e, try concat())
        }
        return e
    }

    private mutating func concat() throws -> Expr {
        var e = try math2()
        while skip(op: "~") { e = .binary("~", e, try math2()) }
        return e
    }

    private mutating func math2() throws -> Expr {
        var e = try power()
        while case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) {
            advance()
            e = .binary(o, e, try power())
        }
        return e
    }

    private mutating func power() throws -> Expr {
        var e = try unary()
        while skip(op: "**") { e = .binary("**", e, try unary()) }
        return e
    }

    private mutating func unary(withFilter: Bool = true) throws -> Expr {
        var e: Expr
        if skip(op: "-") {
            e = .unary("-", try unary(withFilter: false))
        } else if skip(op: "+") {
            e = .unary("+", try unary(withFilter: false))
        } else {
            e = try primary()
        }
        e = try postfix(e)
        if withFilter { e = try filterExpr(e) }
        return e
    }

    private mutating func primary() throws -> Expr {
        let t = current
        switch t.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(var s):
            advance()
            while case .string(let more) = current.kind {
                s += more
                advance()
            }
            return .literal(.string(s))
        case .integer(let n):
            advance()
            return .literal(.int(n))
        case .float(let d):
            advance()
            return .literal(.double(d))
        case .op("("):
            advance()
            let e = try tuple(explicitParens: true)
            try expect(op: ")")
            return e
        case .op("["):
            advance()
            var items: [Expr] = []
            while !skip(op: "]") {
                if !items.isEmpty { try expect(op: ",") }
                if skip(op: "]") { break }
                items.append(try expression())
            }
            return .list(items)
        case .op("{"):
            advance()
            var pairs: [(Expr, Expr)] = []
            while !skip(op: "}") {
                if !pairs.isEmpty { try expect(op: ",") }
                if skip(op: "}") { break }
                let k = try expression()
                try expect(op: ":")
                pairs.append((k, try expression()))
            }
            return .dict(pairs)
        default:
            throw fail("an expression")
        }
    }

    private mutating func postfix(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if skip(op: ".") {
                switch current.kind {
                case .name(let n):
                    advance()
                    e = .getattr(e, n)
                case .integer(let n):
                    advance()
                    e = .getitem(e, .literal(.int(n)))
                default:
                    throw fail("an attribute name")
                }
            } else if skip(op: "[") {
                e = try subscriptExpr(e)
            } else if isOp("(") {
                e = .call(e, try callArguments())
            } else {
                return e
            }
        }
    }

    private mutating func subscriptExpr(_ base: Expr) throws -> Expr {
        var start: Expr? = nil
        if !isOp(":") {
            start = try expression()
            if skip(op: "]") { return .getitem(base, start!) }
            if isOp(",") { throw fail("']' (tuple subscripts are not supported)") }
        }
        try expect(op: ":")
        var stop: Expr? = nil
        var step: Expr? = nil
        if !isOp("]"), !isOp(":") { stop = try expression() }
        if skip(op: ":"), !isOp("]") { step = try expression() }
        try expect(op: "]")
        return .slice(base, start: start, stop: stop, step: step)
    }

    private mutating func callArguments() throws -> Arguments {
        try expect(op: "(")
        var args = Arguments()
        var first = true
        while !skip(op: ")") {
            if !first {
                try expect(op: ",")
                if skip(op: ")") { break }
            }
            first = false
            if skip(op: "**") {
                args.starKwargs = try expression()
            } else if skip(op: "*") {
                args.starArgs = try expression()
            } else if case .name(let n) = current.kind, peekNext.kind == .op("=") {
                advance()
                advance()
                args.keyword.append((n, try expression()))
            } else {
                args.positional.append(try expression())
            }
        }
        return args
    }

    private mutating func dottedName() throws -> String {
        var name = try identifier()
        while skip(op: ".") { name += "." + (try identifier()) }
        return name
    }

    private mutating func filterExpr(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if skip(op: "|") {
                let name = try dottedName()
                e = .filter(e, name: name, isOp("(") ? try callArguments() : Arguments())
            } else if skip(name: "is") {
                let negated = skip(name: "not")
                let name = try dottedName()
                var args = Arguments()
                if isOp("(") {
                    args = try callArguments()
                } else if startsTestArgument() {
                    args.positional = [try postfix(try primary())]
                }
                e = .test(e, name: name, args, negated: negated)
            } else if isOp("(") {
                e = .call(e, try callArguments())
            } else {
                return e
            }
        }
    }

    /// jinja2 accepts one unparenthesised argument after a test name (`x is divisibleby 3`).
    private func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and", "is", "if", "in", "not"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "[" || o == "{"
        default: return false
        }
    }
}
