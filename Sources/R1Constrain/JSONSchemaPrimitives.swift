// The fixed rules a JSON Schema grammar draws on, as llama.cpp's json-schema-to-grammar writes them (PRIMITIVE_RULES,
// SPACE_RULE: after every value up to two newlines and 20 spaces/tabs, or one space), except: exponents of at most two
// digits (every number a finite double), exact calendar dates (month lengths, leap years, no year 0000, so Python's
// `date.fromisoformat` accepts them); and integer ranges.

enum JSONSchemaPrimitives {
    /// name -> (body, rules it uses)
    static let rules: [String: (String, [String])] = [
        "space": (#"| " " | "\n"{1,2} [ \t]{0,20}"#, []),
        "boolean": (#"("true" | "false") space"#, ["space"]),
        "null": (#""null" space"#, ["space"]),
        // \u escapes never name a surrogate (a lone one is not Unicode; characters above U+FFFF are written raw)
        "char": (#"[^"\\\x7F\x00-\x1F] | [\\] (["\\/bfnrt] | "u" ([0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))"#, []),
        "string": (#""\"" char* "\"" space"#, ["char", "space"]),
        "integral-part": (#"[0] | [1-9] [0-9]{0,15}"#, []),
        "decimal-part": (#"[0-9]{1,16}"#, []),
        "number": (#"("-"? integral-part) ("." decimal-part)? ([eE] [-+]? [0-9]{1,2})? space"#,
                   ["integral-part", "decimal-part", "space"]),
        "integer": (#"("-"? integral-part) space"#, ["integral-part", "space"]),
        "value": ("object | array | string | number | boolean | null",
                  ["object", "array", "string", "number", "boolean", "null"]),
        "object": (#""{" space ( string ":" space value ("," space string ":" space value)* )? "}" space"#,
                   ["space", "string", "value"]),
        "array": (#""[" space ( value ("," space value)* )? "]" space"#, ["space", "value"]),
        "uuid": (#""\"" [0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12} "\"" space"#,
                 ["space"]),
        "date": (#"year "-" ( ("0" [13578] | "1" [02]) "-" day31 | ("0" [469] | "11") "-" day30 | "02-" day28 ) | leap-year "-02-29""#,
                 ["year", "leap-year", "day28", "day30", "day31"]),
        "year": (#"[0-9]{3} [1-9] | [0-9]{2} [1-9] "0" | [0-9] [1-9] "00" | [1-9] "000""#, []),
        "leap-year": (#"[0-9]{2} ("0" [48] | [2468] [048] | [13579] [26]) | ("0" [48] | [2468] [048] | [13579] [26]) "00""#, []),
        "day28": (#""0" [1-9] | "1" [0-9] | "2" [0-8]"#, []),
        "day30": (#"day28 | "29" | "30""#, ["day28"]),
        "day31": (#"day30 | "31""#, ["day30"]),
        "time": (#"([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,6} )? ( "Z" | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )"#,
                 []),
        "date-time": (#"date "T" time"#, ["date", "time"]),
        "date-string": (#""\"" date "\"" space"#, ["date", "space"]),
        "time-string": (#""\"" time "\"" space"#, ["time", "space"]),
        "date-time-string": (#""\"" date-time "\"" space"#, ["date-time", "space"]),
    ]

    // MARK: - Integer ranges

    /// A GBNF expression for the integers in [lo, hi] (nil: unbounded), written without leading zeros or "-0";
    /// unbounded sides stop at 16 digits, as llama.cpp's integral-part does.
    static func integerRange(lo: Int?, hi: Int?) -> String? {
        var alternatives: [String] = []
        if lo == nil || lo! < 0 {
            let hiNegative = min(hi ?? -1, -1)
            if lo == nil || lo! <= hiNegative {
                alternatives.append("\"-\" (" + naturalRange(from: -hiNegative, to: lo.map { -$0 }) + ")")
            }
        }
        if hi == nil || hi! >= 0 {
            let a = max(lo ?? 0, 0)
            if hi == nil || a <= hi! { alternatives.append(naturalRange(from: a, to: hi)) }
        }
        if alternatives.isEmpty { return nil }
        return "(" + alternatives.map { "(\($0))" }.joined(separator: " | ") + ")"
    }

    static let maxDigits = 16

    /// Non-negative integers in [a, b].
    static func naturalRange(from a: Int, to b: Int?) -> String {
        let digitsA = String(a).count
        guard let b else {
            var alternatives = [naturalRange(from: a, to: power(digitsA) - 1)]
            if digitsA < maxDigits { alternatives.append("[1-9] [0-9]{\(digitsA),\(maxDigits - 1)}") }
            return alternatives.joined(separator: " | ")
        }
        var alternatives: [String] = []
        for k in digitsA...String(b).count {
            let lo = max(a, k == 1 ? 0 : power(k - 1)), hi = min(b, power(k) - 1)
            if lo <= hi { alternatives.append(sameLength(Array(String(lo)), Array(String(hi)))) }
        }
        return alternatives.joined(separator: " | ")
    }

    private static func power(_ k: Int) -> Int {
        k >= 19 ? Int.max : (0..<k).reduce(1) { r, _ in r * 10 }
    }

    /// Digit strings of one length between lo and hi (both that length).
    private static func sameLength(_ lo: [Character], _ hi: [Character]) -> String {
        if lo.isEmpty { return "\"\"" }
        if lo == hi { return "\"\(String(lo))\"" }
        let n = lo.count - 1
        let x = Int(String(lo[0]))!, y = Int(String(hi[0]))!
        let rest = n == 0 ? "" : " [0-9]{\(n)}"
        if x == y { return "\"\(x)\" (" + sameLength(Array(lo.dropFirst()), Array(hi.dropFirst())) + ")" }
        let loFree = lo.dropFirst().allSatisfy { $0 == "0" }, hiFree = hi.dropFirst().allSatisfy { $0 == "9" }
        var alternatives: [String] = []
        let middleLo = loFree ? x : x + 1, middleHi = hiFree ? y : y - 1
        if !loFree { alternatives.append("\"\(x)\" (" + sameLength(Array(lo.dropFirst()), Array(repeating: "9", count: n)) + ")") }
        if middleLo <= middleHi { alternatives.append("[\(middleLo)-\(middleHi)]" + rest) }
        if !hiFree { alternatives.append("\"\(y)\" (" + sameLength(Array(repeating: "0", count: n), Array(hi.dropFirst())) + ")") }
        return alternatives.joined(separator: " | ")
    }
}
