// Errors of model references, the Hugging Face cache and Hub, and Ollama's store: each one line with the cause and
// what to do.
import Foundation

public enum HubError: Error, CustomStringConvertible, Equatable, Sendable {
    case badReference(String, reason: String)
    case ambiguous(String, readings: [String])
    case notFound(String, tried: [String])
    case unauthorized(repo: String, status: Int, url: String)
    case repoNotFound(repo: String, revision: String)
    case fileNotFound(repo: String, file: String)
    case noQuantMatch(repo: String, quant: String, ggufs: [String])
    case noModelFiles(repo: String, files: [String])
    case http(url: String, status: Int)
    case unreachable(url: String, reason: String)
    case interrupted(file: String, received: Int, expected: Int)
    case checksumMismatch(file: String, expected: String, actual: String)
    case sizeMismatch(file: String, expected: Int, actual: Int)
    case diskFull(path: String, needed: Int?)
    case io(path: String, reason: String)
    case offline(String)
    case missingBlob(manifest: String, blob: String)
    case badManifest(path: String, reason: String)

    public var description: String {
        switch self {
        case .badReference(let r, let why):
            return "'\(r)' is not a model reference: \(why)"
        case .ambiguous(let r, let readings):
            return "'\(r)' is ambiguous; it could be \(readings.joined(separator: " or ")); give a path or a prefixed reference"
        case .notFound(let r, let tried):
            return "model '\(r)' not found; looked for \(tried.joined(separator: ", "))"
        case .unauthorized(let repo, let status, let url):
            return "\(repo): HTTP \(status) from \(url): the repository is gated or private; accept its terms on the Hub and set HF_TOKEN (or run `hf auth login`)"
        case .repoNotFound(let repo, let rev):
            return "\(repo): repository or revision '\(rev)' not found on the Hub (HTTP 404); check the name, or set HF_TOKEN if it is private"
        case .fileNotFound(let repo, let file):
            return "\(repo): file '\(file)' not found on the Hub (HTTP 404)"
        case .noQuantMatch(let repo, let quant, let ggufs):
            return ggufs.isEmpty
                ? "\(repo): no GGUF file carries the quant tag '\(quant)', and the repository has no GGUF files"
                : "\(repo): no GGUF file carries the quant tag '\(quant)'; the GGUF files are: \(ggufs.joined(separator: ", "))"
        case .noModelFiles(let repo, let files):
            return "\(repo): neither config.json with safetensors nor a GGUF file in the repository (files: \(files.prefix(20).joined(separator: ", ")))"
        case .http(let url, let status):
            return "HTTP \(status) from \(url)"
        case .unreachable(let url, let why):
            return "cannot reach \(url): \(why); check the network or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache only"
        case .interrupted(let file, let got, let want):
            return "\(file): the transfer stopped after \(got) of \(want) bytes; run the command again to resume"
        case .checksumMismatch(let file, let want, let got):
            return "\(file): sha256 \(got) does not match the Hub's \(want); the bad download was deleted, run the command again"
        case .sizeMismatch(let file, let want, let got):
            return "\(file): received \(got) bytes, the Hub announced \(want); the bad download was deleted, run the command again"
        case .diskFull(let path, let needed):
            return "no space left on the device holding \(path)" + (needed.map { " (\($0) bytes needed)" } ?? "")
                + "; free some space or point HF_HUB_CACHE elsewhere"
        case .io(let path, let why):
            return "\(path): \(why)"
        case .offline(let what):
            return "\(what) is not in the local cache and HF_HUB_OFFLINE=1 forbids downloading it; unset HF_HUB_OFFLINE or run `r1 pull` online"
        case .missingBlob(let manifest, let blob):
            return "Ollama manifest \(manifest) points at the missing blob \(blob); run `ollama pull` again for this model"
        case .badManifest(let path, let why):
            return "Ollama manifest \(path): \(why)"
        }
    }
}
