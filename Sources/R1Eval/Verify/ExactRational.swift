// Exact rational numbers for the answer checker's algebra: Int128 numerator and denominator, every operation
// checked for overflow (nil on overflow; the caller then falls back to floating point, as sympy would not need to).

struct ExactRational: Hashable, Sendable, Comparable, CustomStringConvertible {
    let numerator: Int128
    let denominator: Int128  // > 0, gcd(numerator, denominator) == 1

    init(_ value: Int) { numerator = Int128(value); denominator = 1 }
    init(integer: Int128) { numerator = integer; denominator = 1 }

    /// nil when the denominator is zero.
    init?(_ n: Int128, _ d: Int128) {
        guard d != 0, n != Int128.min, d != Int128.min else { return nil }
        let g = Self.gcd(n.magnitude, d.magnitude)
        let sign: Int128 = d < 0 ? -1 : 1
        numerator = sign * n / Int128(g)
        denominator = sign * d / Int128(g)
    }

    /// Parses "123", "-4.25", ".5"; nil for anything else or too many digits.
    init?(decimal text: String) {
        var s = Substring(text)
        var negative = false
        if s.first == "-" { negative = true; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let intPart = parts[0], fracPart = parts.count > 1 ? parts[1] : ""
        guard !(intPart.isEmpty && fracPart.isEmpty),
              intPart.allSatisfy(\.isASCIIDigit), fracPart.allSatisfy(\.isASCIIDigit) else { return nil }
        let digits = (intPart + fracPart).drop { $0 == "0" }
        guard digits.count <= 36, fracPart.count <= 36 else { return nil }
        var n: Int128 = 0
        for c in digits { n = n * 10 + Int128(c.wholeNumberValue!) }
        var d: Int128 = 1
        for _ in 0..<fracPart.count { d *= 10 }
        self.init(negative ? -n : n, d)
    }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a == 0 ? 1 : a
    }

    static let zero = ExactRational(0), one = ExactRational(1)

    var isInteger: Bool { denominator == 1 }
    var isZero: Bool { numerator == 0 }
    var doubleValue: Double { Double(numerator) / Double(denominator) }
    var description: String { isInteger ? "\(numerator)" : "\(numerator)/\(denominator)" }

    static func < (a: Self, b: Self) -> Bool { a.doubleValue < b.doubleValue }

    func adding(_ o: Self) -> Self? {
        guard let ad = Self.mul(numerator, o.denominator), let bc = Self.mul(o.numerator, denominator),
              let den = Self.mul(denominator, o.denominator) else { return nil }
        let (sum, overflow) = ad.addingReportingOverflow(bc)
        return overflow ? nil : Self(sum, den)
    }
    func negated() -> Self { Self(-numerator, denominator)! }
    func multiplied(by o: Self) -> Self? {
        guard let n = Self.mul(numerator, o.numerator), let d = Self.mul(denominator, o.denominator) else { return nil }
        return Self(n, d)
    }
    func reciprocal() -> Self? { Self(denominator, numerator) }
    func power(_ k: Int) -> Self? {
        if k < 0 { return reciprocal()?.power(-k) }
        var result = Self.one, base = self, e = k
        while e > 0 {
            if e & 1 == 1 { guard let r = result.multiplied(by: base) else { return nil }; result = r }
            e >>= 1
            if e > 0 { guard let b = base.multiplied(by: base) else { return nil }; base = b }
        }
        return result
    }

    private static func mul(_ a: Int128, _ b: Int128) -> Int128? {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : p
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
