// Writing GBNF: literals and classes escaped so GBNFParser reads back exactly the scalars given.

enum GBNFText {
    static func literal(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { escape($0.value, extra: [0x22]) }.joined() + "\""
    }

    static func charClass(_ ranges: [ClosedRange<UInt32>]) -> String {
        if ranges.isEmpty { return "[^\\x00-\\U0010FFFF]" }
        let special: Set<UInt32> = [0x5D, 0x5E, 0x2D, 0x5B]
        return "[" + ranges.map { r in
            r.count == 1 ? escape(r.lowerBound, extra: special)
                : escape(r.lowerBound, extra: special) + "-" + escape(r.upperBound, extra: special)
        }.joined() + "]"
    }

    private static func escape(_ scalar: UInt32, extra: Set<UInt32>) -> String {
        switch scalar {
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case _ where extra.contains(scalar): return "\\" + String(Unicode.Scalar(scalar)!)
        case 0..<0x20, 0x7F: return "\\x" + hex(scalar, 2)
        case 0x80..<0xA0, 0xD800...0xDFFF: return "\\u" + hex(scalar, 4)
        case 0x10000...: return "\\U" + hex(scalar, 8)
        default: return String(Unicode.Scalar(scalar)!)
        }
    }

    private static func hex(_ v: UInt32, _ digits: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
