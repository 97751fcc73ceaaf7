// Evaluating a MathExpr: exactly over the rationals where it is rational (sympy's automatic evaluation of 2+3, 6/4,
// 2^10, 5!), and numerically in Double with symbols bound to fixed points (the checker's stand-in for simplify).

enum ExactEvaluator {
    /// The exact rational value, or nil when the expression is irrational, symbolic, a float, or overflows.
    static func value(_ x: MathExpr) -> ExactRational? {
        switch x {
        case .number(let r): return r
        case .percent(let v): return value(v)?.multiplied(by: ExactRational(1, 100)!)
        case .add(let xs):
            var sum = ExactRational.zero
            for t in xs { guard let v = value(t), let s = sum.adding(v) else { return nil }; sum = s }
            return sum
        case .mul(let xs):
            var product = ExactRational.one
            for t in xs { guard let v = value(t), let p = product.multiplied(by: v) else { return nil }; product = p }
            return product
        case .pow(let b, let e):
            guard let e = value(e), let b = value(b) else { return nil }
            if e.isInteger, abs(e.numerator) <= 4096 {
                if b.isZero && e.numerator < 0 { return nil }
                return b.power(Int(e.numerator))
            }
            // perfect roots: 4^(1/2) = 2, 8^(2/3) = 4
            guard e.denominator <= 16, b.numerator >= 0,
                  let n = exactRoot(b.numerator, Int(e.denominator)), let d = exactRoot(b.denominator, Int(e.denominator)),
                  let root = ExactRational(n, d), abs(e.numerator) <= 4096 else { return nil }
            if root.isZero && e.numerator < 0 { return nil }
            return root.power(Int(e.numerator))
        case .function(let name, let args):
            let vs = args.map(value)
            guard vs.allSatisfy({ $0 != nil }) else { return nil }
            let v = vs.map { $0! }
            switch (name, v.count) {
            case ("factorial", 1):
                guard v[0].isInteger, v[0].numerator >= 0, v[0].numerator <= 33 else { return nil }
                return (1...max(1, Int(v[0].numerator))).reduce(Optional(ExactRational.one)) { $0?.multiplied(by: ExactRational($1)) }
            case ("binomial", 2):
                guard v[0].isInteger, v[1].isInteger, v[1].numerator >= 0, v[1].numerator <= 60 else { return nil }
                if v[1].numerator > v[0].numerator && v[0].numerator >= 0 { return .zero }
                var r = ExactRational.one
                for i in 0..<Int(v[1].numerator) {
                    guard let m = r.multiplied(by: ExactRational(integer: v[0].numerator - Int128(i))),
                          let q = m.multiplied(by: ExactRational(1, Int128(i + 1))!) else { return nil }
                    r = q
                }
                return r
            case ("abs", 1): return v[0].numerator < 0 ? v[0].negated() : v[0]
            case ("floor", 1):
                let q = v[0].numerator / v[0].denominator
                return ExactRational(integer: v[0].numerator < 0 && !v[0].isInteger ? q - 1 : q)
            case ("ceiling", 1):
                let q = v[0].numerator / v[0].denominator
                return ExactRational(integer: v[0].numerator > 0 && !v[0].isInteger ? q + 1 : q)
            default: return nil
            }
        default: return nil
        }
    }

    private static func exactRoot(_ n: Int128, _ k: Int) -> Int128? {
        if n < 2 { return n }
        let guess = Int128((Double(n).squareRootIfTwo(k)).rounded())
        for c in [guess - 1, guess, guess + 1] where c >= 0 {
            var p: Int128 = 1
            var overflow = false
            for _ in 0..<k { let r = p.multipliedReportingOverflow(by: c); p = r.partialValue; overflow = overflow || r.overflow }
            if !overflow && p == n { return c }
        }
        return nil
    }
}

private extension Double {
    func squareRootIfTwo(_ k: Int) -> Double { k == 2 ? squareRoot() : Foundation.pow(self, 1.0 / Double(k)) }
}

enum NumericEvaluator {
    /// The value with no symbols bound (nil when there is a symbol or the value is undefined).
    static func real(_ x: MathExpr) -> Double? {
        let v = evaluate(x, [:])
        return v.flatMap { $0.isNaN ? nil : $0 }
    }

    /// The value with the given symbol bindings; nil for an unbound symbol; NaN where undefined.
    static func evaluate(_ x: MathExpr, _ env: [String: Double]) -> Double? {
        switch x {
        case .number(let r): return r.doubleValue
        case .float(let d, _): return d
        case .symbol(let s): return env[s]
        case .pi: return Double.pi
        case .e: return M_E
        case .infinity: return .infinity
        case .percent(let v): return evaluate(v, env).map { $0 / 100 }
        case .add(let xs):
            var s = 0.0
            for t in xs { guard let v = evaluate(t, env) else { return nil }; s += v }
            return s
        case .mul(let xs):
            var p = 1.0
            for t in xs { guard let v = evaluate(t, env) else { return nil }; p *= v }
            return p
        case .pow(let b, let e):
            guard let bv = evaluate(b, env), let ev = evaluate(e, env) else { return nil }
            if bv < 0, ev != ev.rounded(), case .number(let r) = e.percentStripped, r.denominator % 2 == 1 {
                // real odd roots of negatives, as sympy's real_root would give: (-8)^(1/3) = -2
                let m = Foundation.pow(-bv, ev)
                return r.numerator % 2 == 0 ? m : -m
            }
            if bv == 0 && ev < 0 { return .nan }  // 1/0 is sympy's zoo, equal to nothing
            return Foundation.pow(bv, ev)
        case .function(let name, let args):
            var v: [Double] = []
            for a in args { guard let d = evaluate(a, env) else { return nil }; v.append(d) }
            return apply(name, v)
        }
    }

    private static func apply(_ name: String, _ v: [Double]) -> Double {
        if name.hasPrefix("f:") {
            // an undefined function f(x): some fixed smooth function, the same for the same name
            let h = Double(name.unicodeScalars.reduce(7) { ($0 &* 31 &+ Int($1.value)) % 1009 }) / 97
            return v.enumerated().reduce(h) { $0 + sin(Double($1.offset + 1) * 1.37 * $1.element + h) }
        }
        switch (name, v.count) {
        case ("sin", 1): return sin(v[0])
        case ("cos", 1): return cos(v[0])
        case ("tan", 1): return tan(v[0])
        case ("cot", 1): return 1 / tan(v[0])
        case ("sec", 1): return 1 / cos(v[0])
        case ("csc", 1): return 1 / sin(v[0])
        case ("asin", 1): return asin(v[0])
        case ("acos", 1): return acos(v[0])
        case ("atan", 1): return atan(v[0])
        case ("sinh", 1): return sinh(v[0])
        case ("cosh", 1): return cosh(v[0])
        case ("tanh", 1): return tanh(v[0])
        case ("log", 2): return log(v[0]) / log(v[1])
        case ("abs", 1): return abs(v[0])
        case ("floor", 1): return v[0].rounded(.down)
        case ("ceiling", 1): return v[0].rounded(.up)
        case ("factorial", 1): return v[0] < 0 ? .nan : tgamma(v[0] + 1)
        case ("binomial", 2): return tgamma(v[0] + 1) / (tgamma(v[1] + 1) * tgamma(v[0] - v[1] + 1))
        case ("max", _): return v.max() ?? .nan
        case ("min", _): return v.min() ?? .nan
        default: return .nan
        }
    }
}

import Foundation
