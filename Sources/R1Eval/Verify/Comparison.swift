// Equality of two parsed answers, gold first, as math-verify 0.9's `sympy_expr_eq` decides it: assignments and
// equations unwrapped as the gold's form asks, structural equality, relations, sets/tuples/intervals, symbols, then
// numbers (floats rounded to 6 decimals) and symbolic equality (here: exact rationals, else evaluation at points).

enum AnswerComparison {
    static let floatRounding = 6

    static func equal(gold: MathValue, pred: MathValue) -> Bool {
        var gold = gold, pred = pred
        let goldAssignment = gold.isAssignment, predAssignment = pred.isAssignment
        let goldEquation = gold.isEquation, predEquation = pred.isEquation
        if goldAssignment, let f = gold.firstRelation, let l = gold.lastRelation {
            gold = .relation(Relation(op: .eq, lhs: f.lhs, rhs: l.rhs))
        }
        if predAssignment, let f = pred.firstRelation, let l = pred.lastRelation {
            pred = .relation(Relation(op: .eq, lhs: f.lhs, rhs: l.rhs))
        }
        if predEquation && !goldEquation {
            pred = pred.lastRelation!.rhs
        } else if goldAssignment && !predEquation {
            gold = gold.lastRelation!.rhs
        }
        if gold.isRelation, pred.isSetLike, let s = RelationSets.asSet(gold) { gold = s }

        if structurallyEqual(gold, pred) { return true }
        if gold.isRelation && pred.isRelation { return relationsEqual(gold, pred) }
        if isSetOrTuple(gold) || isSetOrTuple(pred) { return setsEqual(gold, pred) }
        if case .expr(let g) = gold, case .expr(let p) = pred {
            if case .symbol = g { return symbolsEqual(g, p) }
            if case .symbol = p { return symbolsEqual(g, p) }
            return numericEqual(g, p) || symbolicEqual(g, p)
        }
        if case .matrix(let g) = gold, case .matrix(let p) = pred {
            guard g.count == p.count, g.first?.count == p.first?.count else { return false }
            let pairs = zip(g.joined(), p.joined())
            return pairs.allSatisfy { numericEqual($0, $1) } || pairs.allSatisfy { symbolicEqual($0, $1) }
        }
        return false
    }

    private static func isSetOrTuple(_ v: MathValue) -> Bool {
        switch v { case .set, .tuple, .interval, .union: return true; default: return false }
    }

    // MARK: - structural (sympy's ==)

    static func structurallyEqual(_ a: MathValue, _ b: MathValue) -> Bool {
        switch (a, b) {
        case (.expr(let x), .expr(let y)): return exprStructurallyEqual(x, y)
        case (.set(let xs), .set(let ys)):
            return xs.allSatisfy { x in ys.contains { structurallyEqual(x, $0) } }
                && ys.allSatisfy { y in xs.contains { structurallyEqual($0, y) } }
        case (.tuple(let xs), .tuple(let ys)):
            return xs.count == ys.count && zip(xs, ys).allSatisfy { structurallyEqual($0, $1) }
        case (.interval(let l1, let h1, let lo1, let ro1), .interval(let l2, let h2, let lo2, let ro2)):
            return lo1 == lo2 && ro1 == ro2 && exprStructurallyEqual(l1, l2) && exprStructurallyEqual(h1, h2)
        case (.relation(let r), .relation(let s)):
            return r.op == s.op && structurallyEqual(r.lhs, s.lhs) && structurallyEqual(r.rhs, s.rhs)
        case (.matrix(let m), .matrix(let n)):
            return m.count == n.count && zip(m, n).allSatisfy { $0.count == $1.count && zip($0, $1).allSatisfy(exprStructurallyEqual) }
        default: return a == b
        }
    }

    /// Equal as sympy's automatic evaluation leaves them: the same exact value, or the same tree.
    static func exprStructurallyEqual(_ x: MathExpr, _ y: MathExpr) -> Bool {
        if x.isPercent != y.isPercent { return x == y }
        if let a = ExactEvaluator.value(x), let b = ExactEvaluator.value(y) { return a == b }
        if case .float(let a, _) = x, case .float(let b, _) = y { return a == b }
        return x == y
    }

    // MARK: - numbers

    /// math-verify's sympy_numeric_eq for scalars.
    static func numericEqual(_ a: MathExpr, _ b: MathExpr) -> Bool {
        if a.percentStripped.isAtomicNumber || b.percentStripped.isAtomicNumber {
            if a.percentStripped.isFloat || b.percentStripped.isFloat {
                guard let x = NumericEvaluator.real(a), let y = NumericEvaluator.real(b), x.isFinite, y.isFinite else { return false }
                return rounded(x) == rounded(y)
            }
            if a.percentStripped.isIntegerLiteral && b.percentStripped.isIntegerLiteral {
                return a.percentStripped == b.percentStripped
            }
            if let x = ExactEvaluator.value(a), let y = ExactEvaluator.value(b) { return x == y }
            return false
        }
        guard let x = NumericEvaluator.real(a), let y = NumericEvaluator.real(b) else { return false }
        if x.isInfinite || y.isInfinite { return x == y }
        return abs(x - y) <= 1e-13 * max(1, abs(x), abs(y))
    }

    private static func rounded(_ x: Double) -> Double {
        let scale = 1e6
        return (x * scale).rounded(.toNearestOrEven) / scale
    }

    /// simplify(a - b) == 0: exact when both are rational, else equal values at several points for the symbols.
    static func symbolicEqual(_ a: MathExpr, _ b: MathExpr) -> Bool {
        if let x = ExactEvaluator.value(a), let y = ExactEvaluator.value(b) { return x == y }
        // sympy's floats do not cancel against rationals unless the arithmetic comes out exactly: 7/12.0 ≠ 7/12
        let tolerance = a.containsFloat || b.containsFloat ? 0 : 1e-10
        let symbols = a.freeSymbols.union(b.freeSymbols).sorted()
        var checked = 0
        for point in 0..<4 {
            var env: [String: Double] = [:]
            for (k, s) in symbols.enumerated() { env[s] = samplePoint(point, k) }
            guard let x = NumericEvaluator.evaluate(a, env), let y = NumericEvaluator.evaluate(b, env) else { return false }
            if x.isNaN && y.isNaN { continue }
            if x.isInfinite || y.isInfinite {
                guard x == y, symbols.isEmpty else { return false }
                checked += 1
                continue
            }
            guard abs(x - y) <= tolerance * max(1, abs(x), abs(y)) else { return false }
            checked += 1
            if symbols.isEmpty { break }
        }
        return checked > 0
    }

    private static func samplePoint(_ point: Int, _ k: Int) -> Double {
        let bases: [Double] = [0.7310585786, 1.6180339887, 2.2360679775, 1.3247179572]
        return bases[point] + Double(k) * 0.5772156649 * Double(point + 1)
    }

    // MARK: - symbols

    private static func symbolsEqual(_ g: MathExpr, _ p: MathExpr) -> Bool {
        if case .symbol(let s) = g, s.lowercased() == "e", p == .e { return true }
        if case .symbol(let s) = p, s.lowercased() == "e", g == .e { return true }
        if case .symbol(let s) = g, case .mul(let xs) = p, let joined = concatenated(xs) { return s.lowercased() == joined }
        if case .symbol(let s) = p, case .mul(let xs) = g, let joined = concatenated(xs) { return s.lowercased() == joined }
        return g == p
    }

    private static func concatenated(_ xs: [MathExpr]) -> String? {
        var out = ""
        for x in xs {
            switch x {
            case .symbol(let s): out += s
            case .e: out += "e"
            default: return nil
            }
        }
        return out.lowercased()
    }

    // MARK: - relations

    private static func relationsEqual(_ gold: MathValue, _ pred: MathValue) -> Bool {
        if case .and(let gs) = gold, case .and(let ps) = pred {
            return gs.count == ps.count && zip(gs, ps).allSatisfy { relationEqual($0, $1) }
        }
        guard case .relation(let g) = gold, case .relation(let p) = pred else { return false }
        return relationEqual(g, p)
    }

    private static func relationEqual(_ g: Relation, _ p: Relation) -> Bool {
        guard case .expr(let gl) = g.lhs, case .expr(let gr) = g.rhs, case .expr(let pl) = p.lhs, case .expr(let pr) = p.rhs else {
            return g.op == p.op && equal(gold: g.lhs, pred: p.lhs) && equal(gold: g.rhs, pred: p.rhs)
        }
        let gd = MathExpr.add([gl, .neg(gr)]), pd = MathExpr.add([pl, .neg(pr)])
        if g.op == p.op, exprEqual(gd, pd) { return true }
        if g.op.flipped == p.op, exprEqual(gd, .add([pr, .neg(pl)])) { return true }
        return g.op == .eq && p.op == .eq && sameSolutions(gd, pd)
    }

    /// sympy's solve-and-compare, for equations: two equations in the same unknowns whose sides' differences are
    /// proportional (2x + 4y - 3 = 0 and y = -x/2 + 3/4) have the same solutions.
    private static func sameSolutions(_ a: MathExpr, _ b: MathExpr) -> Bool {
        let symbols = a.freeSymbols
        guard !symbols.isEmpty, symbols == b.freeSymbols else { return false }
        var ratio: Double? = nil
        for point in 0..<4 {
            var env: [String: Double] = [:]
            for (k, s) in symbols.sorted().enumerated() { env[s] = samplePoint(point, k) }
            guard let x = NumericEvaluator.evaluate(a, env), let y = NumericEvaluator.evaluate(b, env),
                  x.isFinite, y.isFinite, x != 0, y != 0 else { return false }
            let r = x / y
            if let ratio, abs(r - ratio) > 1e-9 * abs(ratio) { return false }
            ratio = r
        }
        return true
    }

    private static func exprEqual(_ a: MathExpr, _ b: MathExpr) -> Bool {
        equal(gold: .expr(a), pred: .expr(b))
    }

    // MARK: - sets, tuples, intervals

    private static func setsEqual(_ gold: MathValue, _ pred: MathValue) -> Bool {
        let a = isSetOrTuple(gold) ? gold : .set([gold])
        let b = isSetOrTuple(pred) ? pred : .set([pred])
        if case .interval(let l1, let h1, let lo1, let ro1) = a, case .interval(let l2, let h2, let lo2, let ro2) = b {
            return lo1 == lo2 && ro1 == ro2 && exprEqual(l1, l2) && exprEqual(h1, h2)
        }
        if structurallyEqual(a, b) { return true }
        if case .union(let xs) = a, case .union(let ys) = b {
            return xs.count == ys.count && xs.allSatisfy { x in ys.contains { equal(gold: x, pred: $0) } }
        }
        if let ga = elements(a), let pa = elements(b) {
            guard ga.count == pa.count else { return false }
            let (gs, ps): ([MathValue], [MathValue])
            if case .set = a { (gs, ps) = (sortedElements(ga), sortedElements(pa)) }
            else if case .set = b { (gs, ps) = (ga, pa) }
            else { (gs, ps) = (ga, pa) }
            return zip(gs, ps).allSatisfy { equal(gold: $0, pred: $1) }
        }
        if case .interval(let l, let h, true, true) = a, let pa = elements(b), pa.count == 2 {
            return setsEqual(.tuple([.expr(l), .expr(h)]), b)
        }
        if case .interval(let l, let h, true, true) = b, let ga = elements(a), ga.count == 2 {
            return setsEqual(a, .tuple([.expr(l), .expr(h)]))
        }
        return false
    }

    private static func elements(_ v: MathValue) -> [MathValue]? {
        switch v {
        case .set(let xs): return deduplicated(xs)
        case .tuple(let xs): return xs
        default: return nil
        }
    }

    private static func deduplicated(_ xs: [MathValue]) -> [MathValue] {
        var out: [MathValue] = []
        for x in xs where !out.contains(where: { structurallyEqual($0, x) }) { out.append(x) }
        return out
    }

    /// sympy's `ordered(..., keys=sort_key)`: numbers by value first, then the rest by a stable textual key.
    private static func sortedElements(_ xs: [MathValue]) -> [MathValue] {
        xs.sorted { sortKey($0) < sortKey($1) }
    }

    private static func sortKey(_ v: MathValue) -> SortKey {
        switch v {
        case .expr(let e): return NumericEvaluator.real(e).map { SortKey(rank: 0, value: $0, text: "") } ?? SortKey(rank: 1, value: 0, text: "\(e)")
        case .relation(let r): return sortKey(r.rhs)
        default: return SortKey(rank: 2, value: 0, text: "\(v)")
        }
    }

    private struct SortKey: Comparable {
        var rank: Int, value: Double, text: String
        static func < (a: Self, b: Self) -> Bool { (a.rank, a.value, a.text) < (b.rank, b.value, b.text) }
    }
}

extension MathExpr {
    var isPercent: Bool { if case .percent = self { return true }; return false }
    /// A symbol or an undefined function of symbols (math-verify's unwrap_fcs makes f(x) a symbol for as_set).
    var isVariable: Bool {
        switch self {
        case .symbol: return true
        case .function(let name, let args): return name.hasPrefix("f:") && args.allSatisfy(\.isOnlySymbols)
        default: return false
        }
    }
    var containsFloat: Bool {
        switch self {
        case .float: return true
        case .add(let xs), .mul(let xs), .function(_, let xs): return xs.contains(where: \.containsFloat)
        case .pow(let a, let b): return a.containsFloat || b.containsFloat
        case .percent(let x): return x.containsFloat
        default: return false
        }
    }
}

/// `1 < x < 2` as the interval it describes, for comparing a gold relation with a predicted set.
enum RelationSets {
    static func asSet(_ v: MathValue) -> MathValue? {
        switch v {
        case .relation(let r):
            guard case .expr(let l) = r.lhs, case .expr(let rr) = r.rhs else { return nil }
            if l.isVariable, rr.freeSymbols.isEmpty { return half(r.op, bound: rr) }
            if rr.isVariable, l.freeSymbols.isEmpty { return half(r.op.flipped, bound: l) }
            return nil
        case .and(let rs) where rs.count == 2:
            guard case .interval(let a1, let b1, let lo1, let ro1)? = asSet(.relation(rs[0])),
                  case .interval(let a2, let b2, let lo2, let ro2)? = asSet(.relation(rs[1])) else { return nil }
            let lowFirst = a1 != .neg(.infinity)
            return lowFirst ? .interval(lo: a1, hi: b2, leftOpen: lo1, rightOpen: ro2) : .interval(lo: a2, hi: b1, leftOpen: lo2, rightOpen: ro1)
        default: return nil
        }
    }

    private static func half(_ op: RelationOp, bound: MathExpr) -> MathValue? {
        switch op {
        case .lt: return .interval(lo: .neg(.infinity), hi: bound, leftOpen: true, rightOpen: true)
        case .le: return .interval(lo: .neg(.infinity), hi: bound, leftOpen: true, rightOpen: false)
        case .gt: return .interval(lo: bound, hi: .infinity, leftOpen: true, rightOpen: true)
        case .ge: return .interval(lo: bound, hi: .infinity, leftOpen: false, rightOpen: true)
        default: return nil
        }
    }
}
