// Per-scalar class bits for the pre-tokenizer regexes: one bit per Unicode general category plus White_Space,
// matching what Oniguruma (used by Hugging Face `tokenizers`) means by \p{L}, \p{N}, \p{M}, \p{P}, \p{S}, \s.

/// A bit set over general categories (bits 0-29) and White_Space (bit 30).
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt32
    init(rawValue: UInt32) { self.rawValue = rawValue }

    static let lu = ScalarClass(rawValue: 1 << 0)
    static let ll = ScalarClass(rawValue: 1 << 1)
    static let lt = ScalarClass(rawValue: 1 << 2)
    static let lm = ScalarClass(rawValue: 1 << 3)
    static let lo = ScalarClass(rawValue: 1 << 4)
    static let mn = ScalarClass(rawValue: 1 << 5)
    static let mc = ScalarClass(rawValue: 1 << 6)
    static let me = ScalarClass(rawValue: 1 << 7)
    static let nd = ScalarClass(rawValue: 1 << 8)
    static let nl = ScalarClass(rawValue: 1 << 9)
    static let no = ScalarClass(rawValue: 1 << 10)
    static let pc = ScalarClass(rawValue: 1 << 11)
    static let pd = ScalarClass(rawValue: 1 << 12)
    static let ps = ScalarClass(rawValue: 1 << 13)
    static let pe = ScalarClass(rawValue: 1 << 14)
    static let pi = ScalarClass(rawValue: 1 << 15)
    static let pf = ScalarClass(rawValue: 1 << 16)
    static let po = ScalarClass(rawValue: 1 << 17)
    static let sm = ScalarClass(rawValue: 1 << 18)
    static let sc = ScalarClass(rawValue: 1 << 19)
    static let sk = ScalarClass(rawValue: 1 << 20)
    static let so = ScalarClass(rawValue: 1 << 21)
    static let zs = ScalarClass(rawValue: 1 << 22)
    static let zl = ScalarClass(rawValue: 1 << 23)
    static let zp = ScalarClass(rawValue: 1 << 24)
    static let cc = ScalarClass(rawValue: 1 << 25)
    static let cf = ScalarClass(rawValue: 1 << 26)
    static let cs = ScalarClass(rawValue: 1 << 27)
    static let co = ScalarClass(rawValue: 1 << 28)
    static let cn = ScalarClass(rawValue: 1 << 29)
    static let whiteSpace = ScalarClass(rawValue: 1 << 30)

    static let letter: ScalarClass = [.lu, .ll, .lt, .lm, .lo]
    static let mark: ScalarClass = [.mn, .mc, .me]
    static let number: ScalarClass = [.nd, .nl, .no]
    static let punctuation: ScalarClass = [.pc, .pd, .ps, .pe, .pi, .pf, .po]
    static let symbol: ScalarClass = [.sm, .sc, .sk, .so]
    static let separator: ScalarClass = [.zs, .zl, .zp]
    static let other: ScalarClass = [.cc, .cf, .cs, .co, .cn]
    /// `\w` as Oniguruma reads it: letters, marks, numbers, connector punctuation.
    static let word: ScalarClass = [.letter, .mark, .number, .pc]

    /// The class named in `\p{...}` (one- or two-letter category names, `Alpha`-style names unsupported).
    init?(propertyName name: String) {
        let table: [String: ScalarClass] = [
            "L": .letter, "Lu": .lu, "Ll": .ll, "Lt": .lt, "Lm": .lm, "Lo": .lo, "M": .mark, "Mn": .mn, "Mc": .mc,
            "Me": .me, "N": .number, "Nd": .nd, "Nl": .nl, "No": .no, "P": .punctuation, "Pc": .pc, "Pd": .pd,
            "Ps": .ps, "Pe": .pe, "Pi": .pi, "Pf": .pf, "Po": .po, "S": .symbol, "Sm": .sm, "Sc": .sc, "Sk": .sk,
            "So": .so, "Z": .separator, "Zs": .zs, "Zl": .zl, "Zp": .zp, "C": .other, "Cc": .cc, "Cf": .cf,
            "Cs": .cs, "Co": .co, "Cn": .cn, "Letter": .letter, "Mark": .mark, "Number": .number,
            "Punctuation": .punctuation, "Symbol": .symbol, "Separator": .separator, "Other": .other,
            "White_Space": .whiteSpace, "Space": .whiteSpace,
        ]
        guard let value = table[name] else { return nil }
        self = value
    }
}

// MARK: - Lookup

/// Class bits of every scalar in planes 0 and 1 (BMP, emoji), computed once from the standard library's tables.
private let classTable: [UInt32] = {
    var table = [UInt32](repeating: 0, count: 0x20000)
    for value in 0..<0x20000 {
        table[value] = computeClassBits(UInt32(value))
    }
    return table
}()

@inline(__always)
func classBits(_ value: UInt32) -> UInt32 {
    if value < 0x20000 {
        return classTable.withUnsafeBufferPointer { $0[Int(value)] }
    }
    return computeClassBits(value)
}

/// Scalars the standard library (Unicode 17) assigns but Oniguruma in `tokenizers` 0.23 (Unicode 16) does not;
/// they must read as unassigned (Cn) to split like the reference.
private let unassignedInReference: [ClosedRange<UInt32>] = [
    0x88F...0x88F, 0xC5C...0xC5C, 0xCDC...0xCDC, 0x1ACF...0x1ADD, 0x1AE0...0x1AEB, 0x20C1...0x20C1, 0x2B96...0x2B96,
    0xA7CE...0xA7CF, 0xA7D2...0xA7D2, 0xA7D4...0xA7D4, 0xA7F1...0xA7F1, 0xFBC3...0xFBD2, 0xFD90...0xFD91,
    0xFDC8...0xFDCE, 0x10940...0x10959, 0x10EC5...0x10EC7, 0x10ED0...0x10ED8, 0x10EFA...0x10EFB, 0x11B60...0x11B67,
    0x11DB0...0x11DDB, 0x11DE0...0x11DE9, 0x16EA0...0x16EB8, 0x16EBB...0x16ED3, 0x16FF2...0x16FF6, 0x187F8...0x187FF,
    0x18D09...0x18D1E, 0x18D80...0x18DF2, 0x1CCFA...0x1CCFC, 0x1CEBA...0x1CED0, 0x1CEE0...0x1CEF0, 0x1E6C0...0x1E6DE,
    0x1E6E0...0x1E6F5, 0x1E6FE...0x1E6FF, 0x1F6D8...0x1F6D8, 0x1F777...0x1F77A, 0x1F8D0...0x1F8D8, 0x1FA54...0x1FA57,
    0x1FA8A...0x1FA8A, 0x1FA8E...0x1FA8E, 0x1FAC8...0x1FAC8, 0x1FACD...0x1FACD, 0x1FAEA...0x1FAEA, 0x1FAEF...0x1FAEF,
    0x1FBFA...0x1FBFA, 0x2B73A...0x2B73F, 0x2CEA2...0x2CEAD, 0x323B0...0x33479,
]

@_optimize(speed)
private func computeClassBits(_ value: UInt32) -> UInt32 {
    guard let scalar = Unicode.Scalar(value) else { return ScalarClass.cs.rawValue }
    if value >= 0x88F && unassignedInReference.contains(where: { $0.contains(value) }) {
        return ScalarClass.cn.rawValue
    }
    let properties = scalar.properties
    var bits: UInt32
    switch properties.generalCategory {
    case .uppercaseLetter: bits = ScalarClass.lu.rawValue
    case .lowercaseLetter: bits = ScalarClass.ll.rawValue
    case .titlecaseLetter: bits = ScalarClass.lt.rawValue
    case .modifierLetter: bits = ScalarClass.lm.rawValue
    case .otherLetter: bits = ScalarClass.lo.rawValue
    case .nonspacingMark: bits = ScalarClass.mn.rawValue
    case .spacingMark: bits = ScalarClass.mc.rawValue
    case .enclosingMark: bits = ScalarClass.me.rawValue
    case .decimalNumber: bits = ScalarClass.nd.rawValue
    case .letterNumber: bits = ScalarClass.nl.rawValue
    case .otherNumber: bits = ScalarClass.no.rawValue
    case .connectorPunctuation: bits = ScalarClass.pc.rawValue
    case .dashPunctuation: bits = ScalarClass.pd.rawValue
    case .openPunctuation: bits = ScalarClass.ps.rawValue
    case .closePunctuation: bits = ScalarClass.pe.rawValue
    case .initialPunctuation: bits = ScalarClass.pi.rawValue
    case .finalPunctuation: bits = ScalarClass.pf.rawValue
    case .otherPunctuation: bits = ScalarClass.po.rawValue
    case .mathSymbol: bits = ScalarClass.sm.rawValue
    case .currencySymbol: bits = ScalarClass.sc.rawValue
    case .modifierSymbol: bits = ScalarClass.sk.rawValue
    case .otherSymbol: bits = ScalarClass.so.rawValue
    case .spaceSeparator: bits = ScalarClass.zs.rawValue
    case .lineSeparator: bits = ScalarClass.zl.rawValue
    case .paragraphSeparator: bits = ScalarClass.zp.rawValue
    case .control: bits = ScalarClass.cc.rawValue
    case .format: bits = ScalarClass.cf.rawValue
    case .surrogate: bits = ScalarClass.cs.rawValue
    case .privateUse: bits = ScalarClass.co.rawValue
    case .unassigned: bits = ScalarClass.cn.rawValue
    @unknown default: bits = ScalarClass.cn.rawValue
    }
    if properties.isWhitespace { bits |= ScalarClass.whiteSpace.rawValue }
    return bits
}

/// Simple case folding for `(?i:...)` literals: ASCII, plus the folds onto ASCII letters (long s, Kelvin sign).
func caseFold(_ value: UInt32) -> UInt32 {
    if value < 0x80 {
        return (value >= 0x41 && value <= 0x5A) ? value + 0x20 : value
    }
    switch value {
    case 0x17F: return 0x73  // ſ -> s
    case 0x212A: return 0x6B  // Kelvin sign -> k
    case 0x212B: return 0xE5  // Angstrom sign -> å
    default: break
    }
    guard let scalar = Unicode.Scalar(value) else { return value }
    let lower = scalar.properties.lowercaseMapping.unicodeScalars
    if lower.count == 1, let first = lower.first { return first.value }
    return value
}
