// Picking a GGUF from a repository's file list by quant tag, as Ollama does for hf.co/ORG/REPO:QUANT: the file whose
// name carries the tag (case-insensitive), Q4_K_M when no tag is given; split files -0000k-of-0000N.gguf as one.
import Foundation

/// One GGUF model of a repository: one file, or the parts of a split file in order.
public struct GGUFGroup: Sendable, Equatable {
    public let parts: [String]
    public var name: String { parts[0] }
}

public enum GGUFSelection {
    public static let defaultQuant = "Q4_K_M"

    /// The GGUF models among `files`, split parts gathered (incomplete splits are left out).
    public static func groups(_ files: [String]) -> [GGUFGroup] {
        var single: [String] = []
        var splits: [String: [(Int, Int, String)]] = [:]
        for f in files where f.lowercased().hasSuffix(".gguf") {
            if let s = splitPart(f) { splits[s.stem, default: []].append((s.index, s.count, f)) } else { single.append(f) }
        }
        var out = single.map { GGUFGroup(parts: [$0]) }
        for (_, parts) in splits {
            let sorted = parts.sorted { $0.0 < $1.0 }
            let count = sorted[0].1
            guard sorted.count == count, sorted.enumerated().allSatisfy({ $0.offset + 1 == $0.element.0 && $0.element.1 == count })
            else { continue }
            out.append(GGUFGroup(parts: sorted.map(\.2)))
        }
        return out.sorted { $0.name < $1.name }
    }

    /// `stem-00001-of-00003.gguf` -> (stem, 1, 3).
    static func splitPart(_ file: String) -> (stem: String, index: Int, count: Int)? {
        let base = file.dropLast(5)  // ".gguf"
        let comps = base.split(separator: "-")
        guard comps.count >= 4, comps[comps.count - 2].lowercased() == "of",
              let i = Int(comps[comps.count - 3]), let n = Int(comps[comps.count - 1]),
              comps[comps.count - 3].count == 5, i >= 1, i <= n else { return nil }
        return (comps.dropLast(3).joined(separator: "-"), i, n)
    }

    /// True when `path`'s words (split at `-`, `.`, `/`) contain `tag`'s words in a row, ignoring case: Q4_K_M matches
    /// `Model-Q4_K_M.gguf` and `Q4_K_M/Model-Q4_K_M-00001-of-00002.gguf` but not `Model-Q4_K_M_L.gguf` or `IQ4_K_M`.
    public static func carries(_ path: String, tag: String) -> Bool {
        let words = { (s: String) in s.lowercased().split(whereSeparator: { $0 == "-" || $0 == "." || $0 == "/" }) }
        let p = words(path), t = words(tag)
        guard !t.isEmpty, p.count >= t.count else { return false }
        return (0...(p.count - t.count)).contains { i in Array(p[i..<i + t.count]) == t }
    }

    /// The group for `quant` (nil: Q4_K_M where present, else the only one). Errors list what exists.
    public static func pick(_ files: [String], quant: String?, repo: String) throws -> GGUFGroup {
        let all = groups(files)
        if let q = quant {
            let matches = all.filter { carries($0.name, tag: q) }
            if matches.count == 1 { return matches[0] }
            if matches.isEmpty { throw HubError.noQuantMatch(repo: repo, quant: q, ggufs: all.map(\.name)) }
            throw HubError.ambiguous("\(repo):\(q)", readings: matches.map(\.name))
        }
        let preferred = all.filter { carries($0.name, tag: defaultQuant) }
        if preferred.count == 1 { return preferred[0] }
        if all.count == 1 { return all[0] }
        if all.isEmpty { throw HubError.noModelFiles(repo: repo, files: files) }
        throw HubError.ambiguous(repo, readings: (preferred.isEmpty ? all : preferred).map { "\(repo):\(quantTag($0.name) ?? $0.name)" })
    }

    /// The quant tag a file name carries (Q4_K_M, IQ2_XXS, F16, BF16, ...), for listings.
    public static func quantTag(_ name: String) -> String? {
        let base = ((name as NSString).lastPathComponent as NSString).deletingPathExtension
        let words = base.split(whereSeparator: { $0 == "-" || $0 == "." })
        for w in words.reversed() {
            let u = w.uppercased()
            if ["F32", "F16", "BF16"].contains(u) { return u }
            if (u.hasPrefix("Q") || u.hasPrefix("IQ") || u.hasPrefix("TQ")), u.contains(where: \.isNumber), u.count <= 10 { return u }
        }
        return nil
    }
}
