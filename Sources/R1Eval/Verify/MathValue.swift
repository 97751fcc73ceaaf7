// What a parsed answer is: scalar expressions (sympy's Expr as latex2sympy2_extended builds them) and the structures
// math-verify compares (finite sets, tuples, intervals, unions, matrices, relations and their chains).

indirect enum MathExpr: Hashable, Sendable {
    /// An exact integer or rational literal (sympy Integer / Rational).
    case number(ExactRational)
    /// A decimal literal (sympy Float); `text` is the literal as written.
    case float(Double, text: String)
    case symbol(String)
    case pi, e, infinity
    case add([MathExpr])
    case mul([MathExpr])
    case pow(MathExpr, MathExpr)
    /// sin, cos, tan, log (argument, base), exp, abs, factorial, floor, ceil, ...
    case function(String, [MathExpr])
    /// "X%": X times an unevaluated 1/100, which math-verify detects.
    case percent(MathExpr)

    static func integer(_ v: Int) -> MathExpr { .number(ExactRational(v)) }
    static func neg(_ x: MathExpr) -> MathExpr {
        switch x {
        case .number(let r): return .number(r.negated())
        case .float(let d, let t): return .float(-d, text: t.hasPrefix("-") ? String(t.dropFirst()) : "-" + t)
        default: return .mul([.integer(-1), x])
        }
    }

    var isAtomicNumber: Bool {
        switch self { case .number, .float: return true; default: return false }
    }
    var isFloat: Bool { if case .float = self { return true }; return false }
    var isIntegerLiteral: Bool { if case .number(let r) = self { return r.isInteger }; return false }
    /// The value under a percent marker (math-verify's `get_pct_val`), or self.
    var percentStripped: MathExpr { if case .percent(let x) = self { return x }; return self }

    var freeSymbols: Set<String> {
        switch self {
        case .symbol(let s): return [s]
        case .add(let xs), .mul(let xs), .function(_, let xs): return xs.reduce(into: []) { $0.formUnion($1.freeSymbols) }
        case .pow(let a, let b): return a.freeSymbols.union(b.freeSymbols)
        case .percent(let x): return x.freeSymbols
        default: return []
        }
    }

    /// True for a symbol, or a product/power made only of symbols (latex2sympy's `is_expr_of_only_symbols`).
    var isOnlySymbols: Bool {
        switch self {
        case .symbol: return true
        case .mul(let xs): return !xs.isEmpty && xs.allSatisfy(\.isOnlySymbols)
        case .pow(let b, let ex): return b.isOnlySymbols && ex == .integer(-1)
        case .function(_, let xs): return !xs.isEmpty && xs.allSatisfy(\.isOnlySymbols)
        default: return false
        }
    }
}

enum RelationOp: String, Hashable, Sendable {
    case eq = "=", ne = "\\ne", lt = "<", le = "\\le", gt = ">", ge = "\\ge"
    var flipped: RelationOp {
        switch self { case .lt: return .gt; case .gt: return .lt; case .le: return .ge; case .ge: return .le; default: return self }
    }
}

struct Relation: Hashable, Sendable {
    var op: RelationOp
    var lhs: MathValue
    var rhs: MathValue
}

indirect enum MathValue: Hashable, Sendable {
    case expr(MathExpr)
    case relation(Relation)
    /// A chain such as 1 < x < 2 (latex2sympy's And with its unsorted arguments).
    case and([Relation])
    /// A finite set; elements in written order (math-verify reads `_unsorted_args` in places).
    case set([MathValue])
    case tuple([MathValue])
    case interval(lo: MathExpr, hi: MathExpr, leftOpen: Bool, rightOpen: Bool)
    case union([MathValue])
    case matrix([[MathExpr]])

    var isRelation: Bool {
        switch self { case .relation: return true; case .and(let rs): return !rs.isEmpty; default: return false }
    }
    var isEquation: Bool {
        switch self {
        case .relation(let r): return r.op == .eq
        case .and(let rs): return !rs.isEmpty && rs.allSatisfy { $0.op == .eq }
        default: return false
        }
    }
    /// `a = 1`: an equation whose left side is made only of symbols.
    var isAssignment: Bool {
        switch self {
        case .relation(let r): return r.op == .eq && r.lhs.isOnlySymbols
        case .and(let rs): return !rs.isEmpty && rs.allSatisfy { $0.op == .eq } && rs[0].lhs.isOnlySymbols
        default: return false
        }
    }
    var isOnlySymbols: Bool {
        switch self {
        case .expr(let e): return e.isOnlySymbols
        case .tuple(let xs): return !xs.isEmpty && xs.allSatisfy(\.isOnlySymbols)
        default: return false
        }
    }
    var isSetLike: Bool {
        switch self { case .set, .interval, .union: return true; default: return false }
    }
    var firstRelation: Relation? {
        switch self { case .relation(let r): return r; case .and(let rs): return rs.first; default: return nil }
    }
    var lastRelation: Relation? {
        switch self { case .relation(let r): return r; case .and(let rs): return rs.last; default: return nil }
    }
}
