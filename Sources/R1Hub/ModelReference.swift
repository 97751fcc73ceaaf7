// What a MODEL argument can mean: `default` (the built-in model); a path; ORG/REPO[@REVISION] or
// [hf.co/]ORG/REPO:QUANT on the Hugging Face Hub; [HOST/][NAMESPACE/]NAME[:TAG] in Ollama's store. `readings` lists
// every meaning the text can have.
import Foundation
import R1DefaultModel

public enum ModelReference: Equatable, Sendable, CustomStringConvertible {
    /// `default`: the model R1DefaultModel ships (a file or folder named `default` is `./default`; an Ollama model
    /// named `default` is `library/default`).
    case builtinDefault
    case path(String)
    /// `quant` nil: the repository's safetensors, or its one GGUF (Q4_K_M where there are several).
    case huggingFace(repo: String, revision: String, quant: String?)
    case ollama(OllamaName)

    public var description: String {
        switch self {
        case .builtinDefault: return "the built-in default model"
        case .path(let p): return "the path \(p)"
        case .huggingFace(let repo, let rev, let q):
            return "the Hugging Face repository \(repo)" + (rev != "main" ? "@\(rev)" : "") + (q.map { " (quant \($0))" } ?? "")
        case .ollama(let n): return "the Ollama model \(n)"
        }
    }

    static let hubPrefixes = ["https://huggingface.co/", "http://huggingface.co/", "huggingface.co/", "hf.co/"]

    /// Every reading of `text`, paths first; throws when there is none.
    public static func readings(_ text: String) throws -> [ModelReference] {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { throw HubError.badReference(text, reason: "it is empty") }
        if t == DefaultModel.name { return [.builtinDefault] }
        if t.hasPrefix("/") || t.hasPrefix("./") || t.hasPrefix("../") || t.hasPrefix("~") || t == "." || t == ".."
            || t.lowercased().hasSuffix(".gguf") || t.lowercased().hasSuffix(".json") {
            return [.path(expandTilde(t))]
        }
        var out: [ModelReference] = []
        if FileManager.default.fileExists(atPath: t) { out.append(.path(t)) }
        if let prefix = hubPrefixes.first(where: { t.lowercased().hasPrefix($0) }) {
            let rest = String(t.dropFirst(prefix.count))
            guard let hf = try huggingFace(rest, original: text) else {
                throw HubError.badReference(text, reason: "expected \(prefix)ORG/REPO[:QUANT]")
            }
            out.append(hf)
            if case .huggingFace(let repo, _, let q) = hf, let n = OllamaName("hf.co/\(repo):\(q ?? "latest")") { out.append(.ollama(n)) }
            return out
        }
        if let hf = try huggingFace(t, original: text) { out.append(hf) }
        if !t.contains("@"), let n = OllamaName(t) { out.append(.ollama(n)) }
        if out.isEmpty {
            throw HubError.badReference(text, reason: "not `default`, a path that exists, ORG/REPO[@REVISION], [hf.co/]ORG/REPO:QUANT or an Ollama NAME[:TAG]")
        }
        return out
    }

    /// `ORG/REPO`, `ORG/REPO@REV`, `ORG/REPO:QUANT`; nil when the text has no single slash.
    static func huggingFace(_ s: String, original: String) throws -> ModelReference? {
        var body = Substring(s), revision = "main", quant: String?
        if let at = body.firstIndex(of: "@") {
            revision = String(body[body.index(after: at)...])
            body = body[..<at]
            guard !revision.isEmpty else { throw HubError.badReference(original, reason: "the revision after '@' is empty") }
        }
        if let colon = body.lastIndex(of: ":") {
            quant = String(body[body.index(after: colon)...])
            body = body[..<colon]
            guard !(quant ?? "").isEmpty else { throw HubError.badReference(original, reason: "the quant tag after ':' is empty") }
            if quant?.lowercased() == "latest" { quant = nil }  // Ollama's default tag: the default quant
        }
        let parts = body.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let valid = parts.allSatisfy { p in
            !p.isEmpty && p.count <= 96 && !p.hasPrefix(".") && !p.hasPrefix("-") && p.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)
            }
        }
        guard valid else { return nil }
        return .huggingFace(repo: String(body), revision: revision, quant: quant)
    }
}
