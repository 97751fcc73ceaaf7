// The pre-tokenizer splits llama.cpp writes by hand instead of running a regex (src/unicode.cpp,
// unicode_regex_split_custom_kimi_k2 and _afmoe, llama.cpp 0c1e57098bba): same pieces, written from their behaviour.

/// A split step with no regex behind it; each takes one piece (a scalar range) and appends its sub-pieces in order.
enum HandWrittenSplit: Sendable {
    /// Kimi K2 (tokenization_kimi.py's tiktoken pattern as llama.cpp runs it): Han runs; letter words excluding Han
    /// with one optional leading non-letter, non-digit and a case-insensitive English contraction; digits in threes;
    /// ` ?` punctuation runs with trailing newlines; whitespace as GPT-4's pattern splits it.
    case kimiK2
    /// AFMoE (Arcee Trinity): digit runs cut so the leading group holds `count % 3` digits and the rest come in
    /// threes; llama.cpp's cut leaves the text before a run inside the run's first group (the later regexes split
    /// most of it off again, not a format character such as U+200D, which stays in the digits' word).
    case afmoeDigits

    func split(_ range: Range<Int>, in text: ScalarText, into out: inout [Range<Int>]) {
        switch self {
        case .kimiK2: splitKimiK2(range, text, &out)
        case .afmoeDigits: splitAFMoEDigits(range, text, &out)
        }
    }
}

// MARK: - Scalar tests (llama.cpp's flags: \p{L}, \p{N}, \s; Han by its block list)

private let letterBits = ScalarClass.letter.rawValue
private let numberBits = ScalarClass.number.rawValue
private let spaceBits = ScalarClass.whiteSpace.rawValue

/// The CJK ideograph blocks llama.cpp's unicode_cpt_is_han lists (unified, extensions A-F, compatibility).
@inline(__always)
func isHan(_ v: UInt32) -> Bool {
    (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
        || (0x2A700...0x2EBEF).contains(v) || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
}

/// A cursor over one piece: reads past either end give "no scalar" (llama.cpp's OUT_OF_RANGE, flags 0).
private struct Piece {
    let text: ScalarText
    let range: Range<Int>
    func scalar(_ i: Int) -> UInt32? { range.contains(i) ? text.scalars[i] : nil }
    func bits(_ i: Int) -> UInt32 { range.contains(i) ? text.bits[i] : 0 }
    func isLetter(_ i: Int) -> Bool { bits(i) & letterBits != 0 }
    func isNumber(_ i: Int) -> Bool { bits(i) & numberBits != 0 }
    func isSpace(_ i: Int) -> Bool { bits(i) & spaceBits != 0 }
    func isNonHanLetter(_ i: Int) -> Bool { isLetter(i) && !isHan(text.scalars[i]) }
    func isNewline(_ i: Int) -> Bool { scalar(i) == 0x0A || scalar(i) == 0x0D }
    /// ASCII-folded scalar (the contraction letters have no non-ASCII capitals).
    func lower(_ i: Int) -> UInt32? { scalar(i).map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 } }
}

/// Collects pieces: each `cut(at:)` closes the piece from the previous cut, empty ones dropped.
private struct Cutter {
    var last: Int
    var out: [Range<Int>]
    mutating func cut(at end: Int) {
        if end > last { out.append(last..<end) }
        last = end
    }
}

// MARK: - Kimi K2

private func splitKimiK2(_ range: Range<Int>, _ text: ScalarText, _ out: inout [Range<Int>]) {
    let p = Piece(text: text, range: range)
    var c = Cutter(last: range.lowerBound, out: [])
    var pos = range.lowerBound
    while pos < range.upperBound {
        let cpt = text.scalars[pos]
        // [\p{Han}]+
        if isHan(cpt) {
            while let s = p.scalar(pos), isHan(s) { pos += 1 }
            c.cut(at: pos)
            continue
        }
        // [^\r\n\p{L}\p{N}]? then letters other than Han, then an optional contraction.
        let leads = !(p.isNewline(pos) || p.isLetter(pos) || p.isNumber(pos))
        if p.isNonHanLetter(pos) || (leads && p.isNonHanLetter(pos + 1)) {
            if leads { pos += 1 }
            while p.isNonHanLetter(pos) { pos += 1 }
            if p.scalar(pos) == 0x27, pos + 1 < range.upperBound, let next = p.lower(pos + 1) {
                if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 {  // 's 't 'm 'd
                    pos += 2
                } else if pos + 2 < range.upperBound, let after = p.lower(pos + 2),
                          (next == 0x72 && after == 0x65) || (next == 0x76 && after == 0x65) || (next == 0x6C && after == 0x6C) {
                    pos += 3  // 're 've 'll
                }
            }
            c.cut(at: pos)
            continue
        }
        // \p{N}{1,3}
        if p.isNumber(pos) {
            var start = pos
            while p.isNumber(pos) {
                pos += 1
                if pos - start == 3 {
                    c.cut(at: pos)
                    start = pos
                }
            }
            c.cut(at: pos)
            continue
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let first = cpt == 0x20 ? pos + 1 : pos
        if p.scalar(first) != nil && !(p.isSpace(first) || p.isLetter(first) || p.isNumber(first)) {
            pos = first
            while p.scalar(pos) != nil && !(p.isSpace(pos) || p.isLetter(pos) || p.isNumber(pos)) { pos += 1 }
            while p.isNewline(pos) { pos += 1 }
            c.cut(at: pos)
            continue
        }
        // \s*[\r\n]+ | \s+(?!\S) | \s+
        var spaces = 0
        var lastNewlineEnd = -1
        while p.isSpace(pos + spaces) {
            if p.isNewline(pos + spaces) { lastNewlineEnd = pos + spaces + 1 }
            spaces += 1
        }
        if lastNewlineEnd >= 0 {
            pos = lastNewlineEnd
        } else if spaces > 1 && p.scalar(pos + spaces) != nil {
            pos += spaces - 1
        } else if spaces > 0 {
            pos += spaces
        } else {
            pos += 1  // nothing matches: one scalar alone
        }
        c.cut(at: pos)
    }
    out += c.out
}

// MARK: - AFMoE digits

private func splitAFMoEDigits(_ range: Range<Int>, _ text: ScalarText, _ out: inout [Range<Int>]) {
    let p = Piece(text: text, range: range)
    var c = Cutter(last: range.lowerBound, out: [])
    var pos = range.lowerBound
    while pos < range.upperBound {
        guard p.isNumber(pos) else {
            pos += 1
            continue
        }
        let start = pos
        while p.isNumber(pos) { pos += 1 }
        var end = start + (pos - start) % 3
        if end > start { c.cut(at: end) }  // the leading one or two digits, with what preceded them since the last cut
        while end < pos {
            end += 3
            c.cut(at: end)
        }
    }
    c.cut(at: range.upperBound)
    out += c.out
}
