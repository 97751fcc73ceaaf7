// A recursive-descent parser from normalized LaTeX to MathValue, following latex2sympy2_extended 1.x (PS.g4 and
// latex2sympy2.py) on the forms answers take: numbers, + − × ÷, implicit products, \frac (mixed numbers), \sqrt,
// powers, functions, π, ∞, percent, degrees; comma lists as sets, intervals, tuples, \{…\}, ∪, matrices, relations.

struct LatexParser {
    private var tokens: [LatexToken]
    private var pos = 0
    private let source: String

    /// Plain-expression mode (sympy's parse_expr on "1/2", "3*4", "2**10"): no implicit products, no commands,
    /// and quotients left unevaluated as parse_expr(evaluate=False) leaves them.
    private let plain: Bool
    private let complexSymbols: Bool
    static let maxNesting = 64

    private init(_ source: String, plain: Bool = false) throws(LatexParseError) {
        self.source = source
        self.plain = plain
        complexSymbols = !plain && Self.complexPattern.firstMatch(source) != nil
        tokens = try LatexLexer.tokens(source)
        // recursion follows nesting: refuse what no answer needs rather than exhaust the stack
        var depth = 0
        for t in tokens {
            if t == .punct("(") || t == .punct("[") || t == .punct("{") || t == .command("{") { depth += 1 }
            if t == .punct(")") || t == .punct("]") || t == .punct("}") || t == .command("}") { depth -= 1 }
            guard depth <= Self.maxNesting else { throw LatexParseError("brackets nested deeper than \(Self.maxNesting)") }
        }
        if plain {
            guard !tokens.contains(where: { if case .command = $0 { return true }; return false }) else {
                throw LatexParseError("'\(source)' is not a Python expression")
            }
            var merged: [LatexToken] = []
            for t in tokens {
                if t == .punct("*"), merged.last == .punct("*") { merged[merged.count - 1] = .punct("^") } else { merged.append(t) }
            }
            tokens = merged
        }
    }

    /// A plain expression as sympy's parse_expr reads it (after math-verify turns ^ into **).
    static func parsePlain(_ text: String) throws(LatexParseError) -> MathExpr {
        var p = try LatexParser(text, plain: true)
        guard !p.tokens.isEmpty else { throw LatexParseError("nothing to parse") }
        let e = try p.parseAdditive()
        guard p.pos == p.tokens.count else { throw LatexParseError("unexpected \(p.peek.map { "\($0)" } ?? "end") in '\(text)'") }
        return e
    }

    /// math-verify's should_treat_as_complex: such texts get non-real symbols.
    private static let complexPattern = PyRegex(
        #"\\mathbb\{C\}|\\i\b|\bi\b|\\text\{i\}|\\mathrm\{i\}|\\imath\b|\\det|\\operatorname\{tr\}|\\operatorname\{rank\}|\\text\{rank\}|\\arg\{|\\Re\{|\\Im\{|\\operatorname\{Re\}|\\operatorname\{Im\}|\\text\{Re\}|\\text\{Im\}"#)

    /// The whole input as one value; throws when any of it is left unparsed.
    static func parse(_ latex: String) throws(LatexParseError) -> MathValue {
        if let n = thousandsNumber(latex) { return .expr(n) }
        var p = try LatexParser(latex)
        guard !p.tokens.isEmpty else { throw LatexParseError("nothing to parse") }
        let value = try p.parseTop()
        guard p.pos == p.tokens.count else { throw LatexParseError("unexpected \(p.peek.map { "\($0)" } ?? "end") in '\(latex)'") }
        return value
    }

    /// "1,234" or "-12,345.5" alone is a number with thousands separators, not a set (latex2sympy's comma_number_regex).
    private static func thousandsNumber(_ s: String) -> MathExpr? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard t.range(of: #"^-?\d{1,3}(,\d{3})+(\.\d+)?$"#, options: .regularExpression) != nil else { return nil }
        return numberExpr(t.replacingOccurrences(of: ",", with: ""))
    }

    static func numberExpr(_ text: String) -> MathExpr? {
        if text.contains(".") {
            guard let d = Double(text.hasPrefix(".") ? "0" + text : text) else { return nil }
            return .float(d, text: text)
        }
        if let r = ExactRational(decimal: text) { return .number(r) }
        return Double(text).map { .float($0, text: text) }
    }

    // MARK: - token helpers

    private var peek: LatexToken? { pos < tokens.count ? tokens[pos] : nil }
    private func peek(_ k: Int) -> LatexToken? { pos + k < tokens.count ? tokens[pos + k] : nil }
    private mutating func next() -> LatexToken? {
        guard let t = peek else { return nil }
        pos += 1
        return t
    }
    private mutating func accept(_ t: LatexToken) -> Bool {
        if peek == t { pos += 1; return true }
        return false
    }
    private mutating func expect(_ t: LatexToken) throws(LatexParseError) {
        guard accept(t) else { throw LatexParseError("expected \(t) at token \(pos) of '\(source)'") }
    }
    private func isCommand(_ names: Set<String>) -> Bool {
        if case .command(let c) = peek { return names.contains(c) }
        return false
    }

    // MARK: - lists, sets and relations

    private mutating func parseTop() throws(LatexParseError) -> MathValue {
        let groups = try parseElementGroups(until: [])
        return Self.setOrTuple(groups)
    }

    /// Elements separated by commas, groups separated by semicolons, up to one of `closers` (not consumed).
    private mutating func parseElementGroups(until closers: [LatexToken]) throws(LatexParseError) -> [[MathValue]] {
        var groups: [[MathValue]] = [[]]
        while true {
            groups[groups.count - 1].append(contentsOf: try parseElement())
            if accept(.punct(",")) { continue }
            if accept(.punct(";")) { groups.append([]); continue }
            if peek == nil || closers.contains(peek!) { return groups }
            throw LatexParseError("unexpected \(peek!) at token \(pos) of '\(source)'")
        }
    }

    /// latex2sympy's convert_elements_to_set_or_tuple.
    private static func setOrTuple(_ groups: [[MathValue]]) -> MathValue {
        if groups.count == 1 { return groups[0].count == 1 ? groups[0][0] : .set(groups[0]) }
        if groups.allSatisfy({ $0.count == 1 }) { return .set(groups.map { $0[0] }) }
        return .set(groups.map { .tuple($0) })
    }

    /// One element; `\pm x` gives two.
    private mutating func parseElement() throws(LatexParseError) -> [MathValue] {
        if accept(.command("pm")) {
            let x = try parseAdditive()
            return [.expr(.neg(x)), .expr(x)]
        }
        let start = pos
        if let lhs = try? parseAdditive(), accept(.command("pm")) {
            let rhs = try parseAdditive()
            return [.expr(.add([lhs, rhs])), .expr(.add([lhs, .neg(rhs)]))]
        }
        pos = start
        return [try parseRelation()]
    }

    private mutating func relationOp() -> RelationOp? {
        switch peek {
        case .punct("="): pos += 1; return .eq
        case .punct("!") where peek(1) == .punct("="): pos += 2; return .ne
        case .punct("<"): pos += 1; return accept(.punct("=")) ? .le : .lt
        case .punct(">"): pos += 1; return accept(.punct("=")) ? .ge : .gt
        case .command(let c):
            let ops: [String: RelationOp] = ["le": .le, "leq": .le, "leqslant": .le, "ge": .ge, "geq": .ge,
                                             "geqslant": .ge, "lt": .lt, "gt": .gt, "ne": .ne, "neq": .ne, "in": .eq]
            if let op = ops[c] { pos += 1; return op }
            return nil
        default: return nil
        }
    }

    private mutating func parseRelation() throws(LatexParseError) -> MathValue {
        var lhs = try parseSetExpr()
        var chain: [Relation] = []
        while true {
            if accept(.command("approx")) {
                let rhs = try parseSetExpr()
                if chain.isEmpty, lhs.isOnlySymbols { lhs = rhs }
                continue
            }
            guard let op = relationOp() else { break }
            if chain.isEmpty, case .interval(let lo, let hi, true, true) = lhs, lo.isOnlySymbols, hi.isOnlySymbols {
                lhs = .tuple([.expr(lo), .expr(hi)])  // (p, q) = (3, 2): a tuple of unknowns, not an interval
            }
            let rhs = try parseSetExpr()
            chain.append(Relation(op: op, lhs: chain.last?.rhs ?? lhs, rhs: rhs))
        }
        if chain.isEmpty { return lhs }
        return chain.count == 1 ? .relation(chain[0]) : .and(chain)
    }

    private mutating func parseSetExpr() throws(LatexParseError) -> MathValue {
        var parts = [try parseSetAtom()]
        while isCommand(["cup"]) {
            pos += 1
            parts.append(try parseSetAtom())
        }
        if parts.count == 1 { return parts[0] }
        return .union(parts.map { if case .tuple(let xs) = $0 { return .set(xs) }; return $0 })
    }

    private mutating func parseSetAtom() throws(LatexParseError) -> MathValue {
        for (open, close) in [(LatexToken.command("{"), LatexToken.command("}")), (.punct("{"), .punct("}"))] where accept(open) {
            if accept(close) { return .set([]) }
            let groups = try parseElementGroups(until: [close])
            try expect(close)
            return .set(groups.flatMap { $0 })
        }
        if accept(.command("emptyset")) || accept(.command("varnothing")) { return .set([]) }
        if accept(.command("pm")) {
            let x = try parseAdditive()
            return .set([.expr(.neg(x)), .expr(x)])
        }
        if let m = try parseMatrixExpression() { return .matrix(m) }
        if peek == .punct("(") || peek == .punct("[") {
            let start = pos
            if let v = try? parseBracketList() { return v }
            pos = start
        }
        return .expr(try parseAdditive())
    }

    /// `(a, b]`, `(a, b, c)`; fails (for backtracking) when the brackets hold one element.
    private mutating func parseBracketList() throws(LatexParseError) -> MathValue {
        let open = next()!
        let groups = try parseElementGroups(until: [.punct(")"), .punct("]")])
        guard let close = next() else { throw LatexParseError("'\(source)' leaves a bracket open") }
        let elements = groups.flatMap { $0 }
        guard elements.count >= 2 else { throw LatexParseError("a bracket with one element is a group") }
        if elements.count == 2, case .expr(let lo) = elements[0], case .expr(let hi) = elements[1] {
            let leftOpen = open == .punct("("), rightOpen = close == .punct(")")
            if let l = NumericEvaluator.real(lo), let h = NumericEvaluator.real(hi),
               (leftOpen && rightOpen && h <= l) || (!leftOpen && !rightOpen && h < l) {
                return .tuple(elements)
            }
            return .interval(lo: lo, hi: hi, leftOpen: leftOpen, rightOpen: rightOpen)
        }
        return .tuple(elements)
    }

    // MARK: - expressions

    mutating func parseAdditive() throws(LatexParseError) -> MathExpr {
        var terms = [try parseMultiplicative()]
        while true {
            if accept(.punct("+")) { terms.append(try parseMultiplicative()) }
            else if accept(.punct("-")) { terms.append(.neg(try parseMultiplicative())) }
            else { break }
        }
        return terms.count == 1 ? terms[0] : .add(terms)
    }

    private static let productCommands: Set<String> = ["cdot", "times", "ast"]
    private static let divisionCommands: Set<String> = ["div", "over"]

    private mutating func parseMultiplicative() throws(LatexParseError) -> MathExpr {
        var factors = [try parseUnary()]
        while true {
            if accept(.punct("*")) || isCommand(Self.productCommands) && next() != nil {
                factors.append(try parseUnary())
            } else if accept(.punct("/")) || accept(.punct(":")) || isCommand(Self.divisionCommands) && next() != nil {
                let d = try parseUnary()
                let n = factors.count == 1 ? factors[0] : .mul(factors)
                factors = [plain ? .mul([n, .pow(d, .integer(-1))]) : Self.divide(n, d)]
            } else if startsFactor {
                let f = try parsePostfix()
                // 2\frac{1}{2} is the mixed number 5/2 (interpret_as_mixed_fractions)
                if factors.count == 1, case .number(let w) = factors[0], w.isInteger, case .number(let fr) = f,
                   !fr.isInteger, tokens[pos - 1] == .punct("}"), let sum = w.adding(w.numerator < 0 ? fr.negated() : fr) {
                    factors = [.number(sum)]
                } else {
                    factors.append(f)
                }
            } else {
                break
            }
        }
        return factors.count == 1 ? factors[0] : .mul(factors)
    }

    static func divide(_ n: MathExpr, _ d: MathExpr) -> MathExpr {
        if case .number(let a) = n, case .number(let b) = d, a.isInteger, b.isInteger, let q = ExactRational(a.numerator, b.numerator) {
            return .number(q)
        }
        return .mul([n, .pow(d, .integer(-1))])
    }

    private var startsFactor: Bool {
        if plain { return false }
        switch peek {
        case .number, .letter: return true
        case .punct(let c): return c == "("
        case .command(let c): return !Self.nonFactorCommands.contains(c)
        default: return false
        }
    }
    private static let nonFactorCommands: Set<String> = [
        "cdot", "times", "ast", "div", "over", "cup", "cap", "pm", "mp", "le", "leq", "leqslant", "ge", "geq",
        "geqslant", "lt", "gt", "ne", "neq", "in", "approx", "}", "rangle", "rfloor", "rceil", "\\", "end", "circ",
        "%", "to", "rightarrow", "implies", "vert", "rvert", "|", "setminus",
    ]

    private mutating func parseUnary() throws(LatexParseError) -> MathExpr {
        if accept(.punct("-")) { return .neg(try parseUnary()) }
        if accept(.punct("+")) { return try parseUnary() }
        return try parsePostfix()
    }

    private mutating func parsePostfix() throws(LatexParseError) -> MathExpr {
        var x = try parsePower()
        while true {
            if peek == .punct("!"), peek(1) != .punct("=") { pos += 1; x = .function("factorial", [x]) }
            else if accept(.command("%")) || accept(.punct("%")) { x = .percent(x) }
            else if accept(.punct("'")) { x = .symbol(Self.name(of: x) + "'") }
            else { return x }
        }
    }

    private static func name(of x: MathExpr) -> String {
        if case .symbol(let s) = x { return s }
        return "\(x)"
    }

    private mutating func parsePower() throws(LatexParseError) -> MathExpr {
        let base = try parsePrimary()
        return try parseExponents(base)
    }

    private mutating func parseExponents(_ base: MathExpr) throws(LatexParseError) -> MathExpr {
        var base = base
        while accept(.punct("^")) {
            if accept(.command("circ")) || accept(.command("degree")) { continue }
            if peek == .punct("{"), peek(1) == .command("circ"), peek(2) == .punct("}") { pos += 3; continue }
            if peek == .punct("{"), peek(1) == .command("prime") || peek(1) == .punct("'") {
                pos += 1
                while peek != .punct("}"), peek != nil { pos += 1 }
                try expect(.punct("}"))
                base = .symbol(Self.name(of: base) + "'")
                continue
            }
            let exponent = try parseScriptArgument()
            base = .pow(base, exponent)
        }
        return base
    }

    /// `{expr}` or one token (a digit, letter or command) after ^ or _.
    private mutating func parseScriptArgument() throws(LatexParseError) -> MathExpr {
        if accept(.punct("{")) {
            let e = try parseAdditive()
            try expect(.punct("}"))
            return e
        }
        if plain { return try parseUnary() }  // Python's ** binds its right operand as a unary expression
        if accept(.punct("-")) { return .neg(try parseScriptArgument()) }
        return try parsePrimary()  // a whole number: x^23 is x to the 23rd, as PS.g4's NUMBER token reads it
    }

    // MARK: - atoms

    static let greek: Set<String> = [
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa",
        "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma",
        "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
    ]
    static let functions: [String: String] = [
        "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc", "arcsin": "asin",
        "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "exp": "exp", "ln": "ln",
        "log": "log", "lg": "log10", "det": "det", "gcd": "gcd", "lcm": "lcm", "max": "max", "min": "min",
    ]
    static let textCommands: Set<String> = ["text", "mbox", "textrm", "mathrm", "textbf", "mathbf", "textit", "mathit",
                                            "operatorname", "mathbb", "mathcal", "boldsymbol", "bm"]

    private mutating func parsePrimary() throws(LatexParseError) -> MathExpr {
        guard let t = next() else { throw LatexParseError("'\(source)' ends where a value is expected") }
        switch t {
        case .number(let s):
            guard let n = Self.numberExpr(s.hasSuffix(".") ? s + "0" : s) else { throw LatexParseError("bad number \(s)") }
            return n
        case .letter(let c):
            if c == "e" || c == "E" { return .e }
            let symbol = try parseSubscript(symbolName(String(c)))
            if !plain, case .symbol(let f) = symbol, let args = functionArguments() { return .function("f:" + f, args) }
            return symbol
        case .punct("("): return try closeGroup(.punct(")"))
        case .punct("["): return try closeGroup(.punct("]"))
        case .punct("{"): return try closeGroup(.punct("}"))
        case .punct("|"): return .function("abs", [try closeGroup(.punct("|"))])
        case .command(let c): return try parseCommand(c)
        default: throw LatexParseError("unexpected \(t) at token \(pos - 1) of '\(source)'")
        }
    }

    /// `f(x)`, `g(a, b)`: a letter applied to symbols is an undefined function (a product otherwise: x(x+1)).
    private mutating func functionArguments() -> [MathExpr]? {
        guard peek == .punct("(") else { return nil }
        var k = pos + 1
        var args: [MathExpr] = []
        while k + 1 < tokens.count, case .letter(let c) = tokens[k] {
            args.append(.symbol(symbolName(String(c))))
            if tokens[k + 1] == .punct(")") { pos = k + 2; return args }
            guard tokens[k + 1] == .punct(",") else { return nil }
            k += 2
        }
        return nil
    }

    /// Symbols are lowercased (lowercase_symbols); in a text math-verify reads as complex, sympy's symbols are not
    /// real and so differ from the real ones of another text: a suffix keeps them apart here.
    private func symbolName(_ s: String) -> String { complexSymbols ? s.lowercased() + "\u{2102}" : s.lowercased() }

    private mutating func closeGroup(_ closer: LatexToken) throws(LatexParseError) -> MathExpr {
        let e = try parseAdditive()
        try expect(closer)
        return e
    }

    private mutating func parseSubscript(_ name: String) throws(LatexParseError) -> MathExpr {
        guard accept(.punct("_")) else { return .symbol(name) }
        if accept(.punct("{")) {
            var text = ""
            var depth = 0
            while let t = peek, !(t == .punct("}") && depth == 0) {
                if t == .punct("{") { depth += 1 } else if t == .punct("}") { depth -= 1 }
                text += Self.render(t)
                pos += 1
            }
            try expect(.punct("}"))
            return .symbol(text.count > 1 ? "\(name)_{\(text)}" : "\(name)_\(text)")
        }
        guard let t = next() else { throw LatexParseError("'\(source)' ends after _") }
        let sub = Self.render(t)
        return .symbol(sub.count > 1 ? "\(name)_{\(sub)}" : "\(name)_\(sub)")
    }

    private static func render(_ t: LatexToken) -> String {
        switch t {
        case .number(let s): return s
        case .letter(let c): return String(c)
        case .command(let c): return "\\" + c
        case .punct(let c): return String(c)
        }
    }

    /// The raw text of a braced argument (for \text{...}).
    private mutating func rawBraced() throws(LatexParseError) -> String {
        try expect(.punct("{"))
        var text = ""
        var depth = 0
        while let t = peek, !(t == .punct("}") && depth == 0) {
            if t == .punct("{") { depth += 1 } else if t == .punct("}") { depth -= 1 }
            text += Self.render(t)
            pos += 1
        }
        try expect(.punct("}"))
        return text
    }

    private mutating func braced() throws(LatexParseError) -> MathExpr {
        if peek == .punct("{") { pos += 1; return try closeGroup(.punct("}")) }
        return try parsePrimary()
    }

    private mutating func parseCommand(_ c: String) throws(LatexParseError) -> MathExpr {
        switch c {
        case "pi": return .pi
        case "infty", "infin": return .infinity
        case "frac", "dfrac", "tfrac", "cfrac":
            let n = try braced(), d = try braced()
            return Self.divide(n, d)
        case "binom", "dbinom", "tbinom", "choose":
            let n = try braced(), k = try braced()
            return .function("binomial", [n, k])
        case "sqrt":
            var index: MathExpr? = nil
            if accept(.punct("[")) { index = try closeGroup(.punct("]")) }
            let radicand = try braced()
            return .pow(radicand, Self.divide(.integer(1), index ?? .integer(2)))
        case "{":
            let groups = try parseElementGroups(until: [.command("}")])
            try expect(.command("}"))
            guard groups.count == 1, groups[0].count == 1, case .expr(let e) = groups[0][0] else {
                throw LatexParseError("a set inside an expression")
            }
            return e
        case "lfloor": return .function("floor", [try closeGroup(.command("rfloor"))])
        case "lceil": return .function("ceiling", [try closeGroup(.command("rceil"))])
        case "vert", "lvert", "|": return .function("abs", [try closeGroup(.command(c == "lvert" ? "rvert" : c))])
        case "$": return try parsePrimary()
        case "begin": return try parseEnvironment()
        case "overline", "bar", "vec", "hat", "tilde", "widetilde", "overrightarrow":
            return .symbol("\(c)_{\(try rawBraced())}")
        default: break
        }
        if Self.textCommands.contains(c) {
            let text = try rawBraced()
            if c == "mathbb" || c == "mathcal" { return .symbol(symbolName(text)) }
            let cleaned = text.filter { $0 != "(" && $0 != ")" }.trimmingCharacters(in: .whitespaces)
            guard !cleaned.isEmpty else { throw LatexParseError("empty \\\(c){}") }
            return .symbol(symbolName(cleaned))
        }
        if Self.greek.contains(c) { return try parseSubscript(symbolName(c)) }
        if let f = Self.functions[c] { return try parseFunction(f) }
        throw LatexParseError("unknown command \\\(c) in '\(source)'")
    }

    private mutating func parseFunction(_ name: String) throws(LatexParseError) -> MathExpr {
        var base: MathExpr? = nil
        if name == "log", accept(.punct("_")) { base = try parseScriptArgument() }
        var power: MathExpr? = nil
        if accept(.punct("^")) { power = try parseScriptArgument() }
        var args: [MathExpr]
        if peek == .punct("(") {
            pos += 1
            args = [try parseAdditive()]
            while accept(.punct(",")) { args.append(try parseAdditive()) }
            try expect(.punct(")"))
        } else if peek == .punct("{") {
            args = [try braced()]
        } else {
            args = [try parsePower()]
        }
        var f: MathExpr
        switch name {
        case "log": f = .function("log", [args[0], base ?? .integer(10)])  // latex2sympy: \\log is base 10
        case "ln": f = .function("log", [args[0], .e])
        case "log10": f = .function("log", [args[0], .integer(10)])
        case "exp": f = .pow(.e, args[0])
        default: f = .function(name, args)
        }
        if let power { f = .pow(f, power) }
        return f
    }

    private mutating func parseEnvironment() throws(LatexParseError) -> MathExpr {
        let env = try rawBraced()
        throw LatexParseError("environment \(env) inside an expression")
    }

    /// Matrices, optionally in brackets, with + and products between them (sympy evaluates them on doit).
    private mutating func parseMatrixExpression() throws(LatexParseError) -> [[MathExpr]]? {
        let start = pos
        var wrapped: LatexToken? = nil
        if peek == .punct("[") || peek == .punct("("), peek(1) == .command("begin") {
            wrapped = peek == .punct("[") ? .punct("]") : .punct(")")
            pos += 1
        }
        guard var m = try parseMatrix() else { pos = start; return nil }
        if let wrapped { try expect(wrapped) }
        while true {
            if peek == .punct("+"), peek(1) == .command("begin") {
                pos += 1
                guard let n = try parseMatrix(), n.count == m.count, n[0].count == m[0].count else {
                    throw LatexParseError("matrix sizes differ in a sum")
                }
                m = zip(m, n).map { zip($0, $1).map { .add([$0, $1]) } }
            } else if peek == .command("begin") || (isCommand(["cdot", "times"]) && peek(1) == .command("begin")) {
                if peek != .command("begin") { pos += 1 }
                guard let n = try parseMatrix(), m[0].count == n.count else { throw LatexParseError("matrix sizes differ in a product") }
                m = m.map { row in (0..<n[0].count).map { j in .add(row.indices.map { k in .mul([row[k], n[k][j]]) }) } }
            } else {
                return m
            }
        }
    }

    /// `\begin{pmatrix} a & b \\ c & d \end{pmatrix}` and the bmatrix, matrix, vmatrix, array forms.
    mutating func parseMatrix() throws(LatexParseError) -> [[MathExpr]]? {
        guard peek == .command("begin") else { return nil }
        let start = pos
        pos += 1
        guard let env = try? rawBraced(), env.hasSuffix("matrix") || env == "array" else { pos = start; return nil }
        if env == "array" { _ = try rawBraced() }
        var rows: [[MathExpr]] = [[]]
        while true {
            rows[rows.count - 1].append(try parseAdditive())
            if accept(.punct("&")) { continue }
            if accept(.command("\\")) {
                if peek == .command("end") { break }
                rows.append([])
                continue
            }
            break
        }
        try expect(.command("end"))
        _ = try rawBraced()
        guard rows.allSatisfy({ $0.count == rows[0].count }) else { throw LatexParseError("ragged matrix rows") }
        return rows
    }
}
