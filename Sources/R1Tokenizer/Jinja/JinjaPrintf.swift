// Python's printf-style `format % args` (also the `format` filter): %s %r %d %i %f %e %g %x %o %c with flags,
// width, precision and %(name)s keys, after CPython's Objects/unicodeobject.c.
import Foundation

func pythonPercentFormat(_ format: String, _ arg: JinjaValue) throws -> String {
    var positional: [JinjaValue]
    var mapping: JinjaObject? = nil
    switch arg {
    case .tuple(let a): positional = a
    case .object(let o): positional = [arg]; mapping = o
    default: positional = [arg]
    }
    // A single list or dict argument may go unused without error, as in Python.
    let strictCount: Bool
    switch arg {
    case .tuple: strictCount = true
    case .array, .object: strictCount = false
    default: strictCount = true
    }
    var next = 0
    func take() throws -> JinjaValue {
        guard next < positional.count else { throw TemplateError.runtime("not enough arguments for format string") }
        next += 1
        return positional[next - 1]
    }

    let f = Array(format.unicodeScalars)
    var out = ""
    var i = 0
    var usedMapping = false
    while i < f.count {
        guard f[i] == "%" else {
            out.unicodeScalars.append(f[i])
            i += 1
            continue
        }
        i += 1
        guard i < f.count else { throw TemplateError.runtime("incomplete format") }
        var keyed: JinjaValue? = nil
        if f[i] == "(" {
            guard let close = f[i...].firstIndex(of: ")") else { throw TemplateError.runtime("incomplete format key") }
            let key = String(String.UnicodeScalarView(f[(i + 1)..<close]))
            guard let mapping else { throw TemplateError.runtime("format requires a mapping") }
            guard let v = mapping[key] else { throw TemplateError.runtime("KeyError: '\(key)'") }
            keyed = v
            usedMapping = true
            i = close + 1
        }
        var flags = Set<Unicode.Scalar>()
        while i < f.count, "-+ #0".unicodeScalars.contains(f[i]) {
            flags.insert(f[i])
            i += 1
        }
        func number() throws -> Int? {
            if i < f.count, f[i] == "*" {
                i += 1
                guard let n = try take().integer else { throw TemplateError.runtime("* wants int") }
                return n
            }
            var n: Int? = nil
            while i < f.count, let d = Int(String(f[i])), f[i].isASCII {
                n = (n ?? 0) * 10 + d
                i += 1
            }
            return n
        }
        var width = try number() ?? 0
        if width < 0 {
            flags.insert("-")
            width = -width
        }
        var precision: Int? = nil
        if i < f.count, f[i] == "." {
            i += 1
            precision = try number() ?? 0
        }
        while i < f.count, "hlL".unicodeScalars.contains(f[i]) { i += 1 }
        guard i < f.count else { throw TemplateError.runtime("incomplete format") }
        let conversion = f[i]
        i += 1
        if conversion == "%" {
            out += "%"
            continue
        }
        let value = try keyed ?? take()
        var body: String
        var numeric = false
        switch conversion {
        case "s", "r", "a":
            body = conversion == "s" ? value.str : value.repr
            if let precision { body = String(String.UnicodeScalarView(body.unicodeScalars.prefix(precision))) }
        case "d", "i", "u", "x", "X", "o":
            guard let n = try integerValue(value, conversion) else {
                throw TemplateError.runtime("%\(conversion) format: a real number is required, not \(value.typeName)")
            }
            numeric = true
            let radix = conversion == "x" || conversion == "X" ? 16 : conversion == "o" ? 8 : 10
            var digits = String(n.magnitude, radix: radix, uppercase: conversion == "X")
            if let precision, digits.count < precision {
                digits = String(repeating: "0", count: precision - digits.count) + digits
            }
            if flags.contains("#"), radix != 10 { digits = (radix == 16 ? "0" + String(conversion) : "0o") + digits }
            body = sign(n < 0, flags) + digits
        case "f", "F", "e", "E", "g", "G":
            guard let x = value.number else {
                throw TemplateError.runtime("must be real number, not \(value.typeName)")
            }
            numeric = true
            let spec = "%" + (flags.contains("#") ? "#" : "") + ".\(precision ?? 6)" + String(conversion)
            let text = String(format: spec, abs(x))
            body = sign(x < 0 || (x == 0 && x.sign == .minus), flags) + text
        case "c":
            if let n = value.integer, let u = Unicode.Scalar(UInt32(max(0, n))) {
                body = String(u)
            } else if case .string(let s) = value, s.unicodeScalars.count == 1 {
                body = s
            } else {
                throw TemplateError.runtime("%c requires an int or a unicode character")
            }
        default:
            throw TemplateError.runtime("unsupported format character '\(conversion)'")
        }
        let length = body.unicodeScalars.count
        if length < width {
            let pad = width - length
            if flags.contains("-") {
                body += String(repeating: " ", count: pad)
            } else if numeric && flags.contains("0") {
                // Zeros go after the sign and any 0x prefix.
                var prefixLength = 0
                let scalars = Array(body.unicodeScalars)
                if let first = scalars.first, first == "-" || first == "+" || first == " " { prefixLength = 1 }
                if flags.contains("#"), scalars.count > prefixLength + 1, scalars[prefixLength] == "0",
                    "xXo".unicodeScalars.contains(scalars[prefixLength + 1])
                {
                    prefixLength += 2
                }
                body = String(String.UnicodeScalarView(scalars[0..<prefixLength])) + String(repeating: "0", count: pad)
                    + String(String.UnicodeScalarView(scalars[prefixLength...]))
            } else {
                body = String(repeating: " ", count: pad) + body
            }
        }
        out += body
    }
    if strictCount && !usedMapping && next < positional.count {
        throw TemplateError.runtime("not all arguments converted during string formatting")
    }
    return out
}

private func integerValue(_ v: JinjaValue, _ conversion: Unicode.Scalar) throws -> Int? {
    switch v {
    case .int(let i): return i
    case .bool(let b): return b ? 1 : 0
    case .double(let d):
        // %x and %o refuse floats in Python 3; %d truncates them.
        if "xXo".unicodeScalars.contains(conversion) {
            throw TemplateError.runtime("%\(conversion) format: an integer is required, not float")
        }
        guard d.isFinite else { throw TemplateError.runtime("cannot convert float \(d) to integer") }
        return Int(d.rounded(.towardZero))
    default: return nil
    }
}

private func sign(_ negative: Bool, _ flags: Set<Unicode.Scalar>) -> String {
    negative ? "-" : flags.contains("+") ? "+" : flags.contains(" ") ? " " : ""
}
