// Ollama's local model store (`$OLLAMA_MODELS`, default ~/.ollama/models), as ollama's server/manifest.go and
// types/model/name.go lay it out: manifests/HOST/NAMESPACE/NAME/TAG (a Docker v2 manifest) and blobs/sha256-HEX.
import Foundation
import R1Formats

/// `[HOST/][NAMESPACE/]NAME[:TAG]` with Ollama's defaults registry.ollama.ai, library, latest.
public struct OllamaName: Sendable, Equatable, CustomStringConvertible {
    public var host = "registry.ollama.ai"
    public var namespace = "library"
    public var name: String
    public var tag = "latest"

    public init?(_ text: String) {
        var rest = Substring(text)
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: name = parts[0]
        case 2: namespace = parts[0]; name = parts[1]
        case 3: host = parts[0]; namespace = parts[1]; name = parts[2]
        default: return nil
        }
        let ok: (String) -> Bool = { s in
            !s.isEmpty && s.utf8.count <= 80 && s.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)
            }
        }
        guard ok(host), ok(namespace), ok(name), ok(tag) else { return nil }
    }

    /// The short form Ollama prints: `NAME:TAG` in the library, `NAMESPACE/NAME:TAG` otherwise.
    public var description: String {
        let base = host != "registry.ollama.ai" ? "\(host)/\(namespace)/\(name)" : namespace != "library" ? "\(namespace)/\(name)" : name
        return base + ":" + tag
    }
}

/// Sampling defaults from a model's `params` layer (ollama's api.Options names).
public struct OllamaParams: Sendable, Equatable {
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var minP: Double?
    public var repeatPenalty: Double?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var seed: Int?
    public var numCtx: Int?
    public var numPredict: Int?
    public var stop: [String] = []

    public init() {}

    init(json: JSONObject) {
        let d: (String) -> Double? = { json[$0]?.double }
        let i: (String) -> Int? = { json[$0]?.int ?? json[$0]?.double.map { Int($0.rounded(.towardZero)) } }
        temperature = d("temperature"); topP = d("top_p"); topK = i("top_k"); minP = d("min_p")
        repeatPenalty = d("repeat_penalty"); presencePenalty = d("presence_penalty")
        frequencyPenalty = d("frequency_penalty"); seed = i("seed"); numCtx = i("num_ctx"); numPredict = i("num_predict")
        if let s = json["stop"]?.array { stop = s.compactMap(\.string) } else if let s = json["stop"]?.string { stop = [s] }
    }
}

/// One model of the store: the GGUF blob it runs, its params, its manifest.
public struct OllamaModel: Sendable {
    public let name: OllamaName
    public let manifestPath: String
    public let modelBlob: String
    public let modelSize: Int
    public let params: OllamaParams?
    public let template: String?
    public let system: String?
}

public struct OllamaStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        root = env["OLLAMA_MODELS"].flatMap { $0.isEmpty ? nil : expandTilde($0) } ?? expandTilde("~/.ollama/models")
    }

    public func manifestPath(_ n: OllamaName) -> String { "\(root)/manifests/\(n.host)/\(n.namespace)/\(n.name)/\(n.tag)" }

    /// `sha256:HEX` -> `blobs/sha256-HEX`.
    public func blobPath(digest: String) -> String { root + "/blobs/" + digest.replacingOccurrences(of: ":", with: "-") }

    public func has(_ n: OllamaName) -> Bool { FileManager.default.fileExists(atPath: manifestPath(n)) }

    /// Reads a model's manifest; the model layer's blob must exist.
    public func model(_ n: OllamaName) throws -> OllamaModel {
        let path = manifestPath(n)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HubError.notFound(n.description, tried: [path])
        }
        guard let json = try? JSONValue.parse(data), let layers = json["layers"]?.array else {
            throw HubError.badManifest(path: path, reason: "not a JSON manifest with a 'layers' list")
        }
        func layer(_ type: String) -> (digest: String, size: Int)? {
            guard let l = layers.first(where: { $0["mediaType"]?.string == "application/vnd.ollama.image." + type }),
                  let d = l["digest"]?.string else { return nil }
            return (d, l["size"]?.int ?? 0)
        }
        func text(_ type: String) throws -> String? {
            guard let l = layer(type) else { return nil }
            let p = blobPath(digest: l.digest)
            guard let d = FileManager.default.contents(atPath: p) else { throw HubError.missingBlob(manifest: path, blob: p) }
            return String(decoding: d, as: UTF8.self)
        }
        guard let m = layer("model") else {
            throw HubError.badManifest(path: path, reason: "no application/vnd.ollama.image.model layer")
        }
        guard m.digest.hasPrefix("sha256:"), m.digest.count == 71 else {
            throw HubError.badManifest(path: path, reason: "model layer digest '\(m.digest)' is not sha256:HEX")
        }
        let blob = blobPath(digest: m.digest)
        guard FileManager.default.fileExists(atPath: blob) else { throw HubError.missingBlob(manifest: path, blob: blob) }
        var params: OllamaParams?
        if let p = try text("params") {
            guard let obj = (try? JSONValue.parse(Data(p.utf8)))?.object else {
                throw HubError.badManifest(path: path, reason: "the params layer is not a JSON object")
            }
            params = OllamaParams(json: obj)
        }
        return OllamaModel(name: n, manifestPath: path, modelBlob: blob, modelSize: m.size, params: params,
                           template: try text("template"), system: try text("system"))
    }

    /// Every model in the store, sorted by name.
    public func models() -> [OllamaName] {
        let base = root + "/manifests"
        guard let e = FileManager.default.enumerator(atPath: base) else { return [] }
        var out: [OllamaName] = []
        while let p = e.nextObject() as? String {
            let parts = p.split(separator: "/")
            guard parts.count == 4, let n = OllamaName("\(parts[0])/\(parts[1])/\(parts[2]):\(parts[3])") else { continue }
            out.append(n)
        }
        return out.sorted { $0.description < $1.description }
    }
}
