// Python `re` patterns run on ICU (NSRegularExpression): math-verify's extraction and normalization are regex
// tables, ported here verbatim; this converts the syntax the two disagree on and gives re.sub / finditer.
import Foundation

struct PyRegex: @unchecked Sendable {
    let regex: NSRegularExpression

    /// `pattern` in Python syntax; a pattern ICU rejects is our bug, not the user's.
    init(_ pattern: String, dotAll: Bool = false) {
        do {
            regex = try NSRegularExpression(pattern: Self.icu(pattern), options: dotAll ? [.dotMatchesLineSeparators] : [])
        } catch {
            preconditionFailure("bad ported regex \(pattern): \(error)")
        }
    }

    /// `(?P<name>` becomes `(?<name>`; literal braces (Python leaves `{` that starts no quantifier literal) escaped.
    static func icu(_ p: String) -> String {
        let chars = Array(p.replacingOccurrences(of: "(?P<", with: "(?<"))
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count {
                out.append(c); out.append(chars[i + 1]); i += 2; continue
            }
            if c == "{" {
                if let j = chars[(i + 1)...].firstIndex(of: "}"),
                   String(chars[(i + 1)..<j]).range(of: #"^\d+(,\d*)?$"#, options: .regularExpression) != nil {
                    out += String(chars[i...j]); i = j + 1; continue
                }
                out += "\\{"
            } else if c == "}" {
                out += "\\}"
            } else {
                out.append(c)
            }
            i += 1
        }
        return out
    }

    func matches(_ s: String) -> [NSTextCheckingResult] {
        regex.matches(in: s, range: NSRange(location: 0, length: (s as NSString).length))
    }

    func firstMatch(_ s: String) -> NSTextCheckingResult? {
        regex.firstMatch(in: s, range: NSRange(location: 0, length: (s as NSString).length))
    }

    /// re.sub with a function of the match.
    func sub(_ s: String, _ replacement: (NSTextCheckingResult, NSString) -> String) -> String {
        let ns = s as NSString
        var out = ""
        var last = 0
        for m in matches(s) {
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            out += replacement(m, ns)
            last = m.range.location + m.range.length
        }
        return out + ns.substring(from: last)
    }

    /// re.sub with a Python template: `\1`, `\2` are groups, other text literal.
    func sub(_ s: String, template: String) -> String {
        sub(s) { m, ns in
            var out = ""
            var chars = Array(template)[...]
            while let c = chars.popFirst() {
                if c == "\\", let d = chars.first, let k = d.wholeNumberValue {
                    chars.removeFirst()
                    let r = m.range(at: k)
                    if r.location != NSNotFound { out += ns.substring(with: r) }
                } else if c == "\\", chars.first == "\\" {
                    chars.removeFirst(); out.append("\\")
                } else {
                    out.append(c)
                }
            }
            return out
        }
    }
}

extension NSTextCheckingResult {
    func group(_ name: String, in s: NSString) -> String? {
        let r = range(withName: name)
        return r.location == NSNotFound ? nil : s.substring(with: r)
    }
}
