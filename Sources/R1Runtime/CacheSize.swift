// An amount of KV cache as a user writes it on the command line: bytes with a unit suffix ("4GiB", "512MB",
// "1.5G"; binary and decimal units as in `numfmt`) or positions ("32768tokens").
import Foundation

public enum CacheSize: Sendable, Equatable, CustomStringConvertible {
    case bytes(Int)
    case tokens(Int)

    /// Parses "4GiB", "4G" (= GiB), "4GB" (10^9), "512MiB", "1024KiB", "123" (bytes), "32768tokens".
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasSuffix("tokens") || t.hasSuffix("token") {
            let number = t.hasSuffix("tokens") ? t.dropLast(6) : t.dropLast(5)
            guard let n = Int(number.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw GenerationError("'\(text)' is not a number of tokens (like 32768tokens)")
            }
            self = .tokens(n)
            return
        }
        let units: [(String, Double)] = [("kib", 0x1p10), ("mib", 0x1p20), ("gib", 0x1p30), ("tib", 0x1p40),
                                         ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12),
                                         ("k", 0x1p10), ("m", 0x1p20), ("g", 0x1p30), ("t", 0x1p40), ("b", 1)]
        var number = Substring(t), scale = 1.0
        if let (suffix, s) = units.first(where: { t.hasSuffix($0.0) }) {
            number = t.dropLast(suffix.count)
            scale = s
        }
        guard let v = Double(number.trimmingCharacters(in: .whitespaces)), v >= 0, v.isFinite, v * scale < 0x1p62 else {
            throw GenerationError("'\(text)' is not a size (like 4GiB, 512MiB or 32768tokens)")
        }
        self = .bytes(Int(v * scale))
    }

    /// Positions this size holds at `positionBytes` per position.
    public func tokens(positionBytes: Int) -> Int {
        switch self {
        case .tokens(let n): return n
        case .bytes(let n): return positionBytes > 0 ? n / positionBytes : 0
        }
    }

    public var description: String {
        switch self {
        case .tokens(let n): return "\(n) tokens"
        case .bytes(let n): return n >= 1 << 30 ? String(format: "%.2f GiB", Double(n) / 0x1p30) : String(format: "%.0f MiB", Double(n) / 0x1p20)
        }
    }
}
