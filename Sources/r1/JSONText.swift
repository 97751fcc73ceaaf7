// Minimal ordered JSON writing for the CLI's documented output shapes (key order is part of the contract).
import Foundation

enum JSONText {
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func number(_ x: Double) -> String {
        if x.isNaN || x.isInfinite { return x < 0 ? "-1e308" : "1e308" }
        return "\(x)"
    }

    static func number(_ x: Float) -> String {
        if x.isNaN || x.isInfinite { return x < 0 ? "-1e38" : "1e38" }
        return "\(x)"
    }

    static func ints(_ xs: [Int]) -> String { "[" + xs.map(String.init).joined(separator: ",") + "]" }

    /// {"k":v,...} from pre-rendered values, in the given order.
    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
