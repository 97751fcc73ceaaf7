// Turns a MODEL argument into files on disk: `default` where R1DefaultModel finds it; a path as is; a Hugging Face
// reference from the cache, pulled first when missing (never with HF_HUB_OFFLINE=1); an Ollama name from its store,
// run in place. Several local readings of one text are an error that lists them.
import Foundation
import R1DefaultModel

public struct ResolvedModel: Sendable {
    public enum Source: Sendable {
        case builtinDefault
        case path
        case huggingFace(repo: String, commit: String)
        case ollama(OllamaModel)
    }

    public let reference: String
    /// One file or folder; the parts in order for a split GGUF.
    public let paths: [String]
    public let source: Source

    public var path: String { paths[0] }

    /// The `params` layer of an Ollama model: sampling defaults under the user's flags.
    public var ollamaParams: OllamaParams? {
        if case .ollama(let m) = source { return m.params }
        return nil
    }
}

public struct ModelResolver: Sendable {
    public let cache: HFCache
    public let ollama: OllamaStore
    public let offline: Bool
    let environment: [String: String]

    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        environment = env
        cache = HFCache(environment: env)
        ollama = OllamaStore(environment: env)
        offline = ["1", "ON", "YES", "TRUE"].contains((env["HF_HUB_OFFLINE"] ?? "").uppercased())
    }

    /// The built-in default model's file or folder (`$R1_DEFAULT_MODEL` of this resolver's environment first).
    public func defaultModelPath() throws -> String { try DefaultModel.locate(environment: environment) }

    /// Resolves from disk only; nil when a Hugging Face reading could be pulled. Throws for ambiguity and for
    /// references nothing can satisfy.
    public func resolveLocal(_ text: String) throws -> ResolvedModel? {
        let readings = try ModelReference.readings(text)
        if readings == [.builtinDefault] {
            return ResolvedModel(reference: text, paths: [try defaultModelPath()], source: .builtinDefault)
        }
        var found: [(ModelReference, ResolvedModel)] = []
        for r in readings {
            if case .path(let p) = r {
                guard FileManager.default.fileExists(atPath: p) else { throw HubError.notFound(text, tried: [p]) }
                return ResolvedModel(reference: text, paths: [p], source: .path)
            }
            if let m = try local(r, text: text) { found.append((r, m)) }
        }
        // hf.co/ORG/REPO:QUANT pulled by Ollama and by huggingface_hub is the same file: either will do.
        let hfPrefixed = ModelReference.hubPrefixes.contains { text.lowercased().hasPrefix($0) }
        if found.count > 1 && !hfPrefixed {
            throw HubError.ambiguous(text, readings: found.map { "\($0.0) (\($0.1.path))" })
        }
        if let f = found.first { return f.1 }
        let pullable = readings.contains { if case .huggingFace = $0 { true } else { false } }
        if pullable && !offline { return nil }
        var tried: [String] = []
        for r in readings {
            switch r {
            case .huggingFace(let repo, let rev, _): tried.append("\(cache.repoFolder(repo)) (revision \(rev))")
            case .ollama(let n): tried.append(ollama.manifestPath(n))
            case .path(let p): tried.append(p)
            case .builtinDefault: break
            }
        }
        if pullable { throw HubError.offline(text) }
        throw HubError.notFound(text, tried: tried)
    }

    /// Resolves, pulling a Hugging Face reference into the cache when it is not there.
    public func resolve(_ text: String, progress: DownloadProgress = DownloadProgress()) async throws -> ResolvedModel {
        if let m = try resolveLocal(text) { return m }
        guard case .huggingFace(let repo, let revision, let quant)? = try ModelReference.readings(text).first(where: {
            if case .huggingFace = $0 { true } else { false }
        }) else { throw HubError.notFound(text, tried: []) }
        let client = HubClient(environment: environment)
        let pull = HubPull(client: client, cache: cache, progress: progress)
        do {
            let snap = try await pull.pull(repo, revision: revision, select: { try Self.selectFiles($0.map(\.path), quant: quant, repo: repo) })
            await client.shutdown()
            guard let m = try fromSnapshot(repo, commit: snap.commit, quant: quant, text: text) else {
                throw HubError.noModelFiles(repo: repo, files: snap.files)
            }
            return m
        } catch {
            await client.shutdown()
            throw error
        }
    }

    // MARK: - Readings on disk

    func local(_ r: ModelReference, text: String) throws -> ResolvedModel? {
        switch r {
        case .path, .builtinDefault:
            return nil
        case .huggingFace(let repo, let revision, let quant):
            guard let commit = cache.commit(repo, revision: revision) else { return nil }
            return try fromSnapshot(repo, commit: commit, quant: quant, text: text)
        case .ollama(let n):
            guard ollama.has(n) else { return nil }
            let m = try ollama.model(n)
            return ResolvedModel(reference: text, paths: [m.modelBlob], source: .ollama(m))
        }
    }

    /// The model in a cached snapshot: safetensors folder, or the GGUF for `quant`; nil when its files are missing.
    func fromSnapshot(_ repo: String, commit: String, quant: String?, text: String) throws -> ResolvedModel? {
        let files = cache.snapshotFiles(repo, commit: commit)
        let folder = cache.snapshotFolder(repo, commit: commit)
        let source = ResolvedModel.Source.huggingFace(repo: repo, commit: commit)
        if quant == nil && Self.isSafetensorsModel(files) {
            return ResolvedModel(reference: text, paths: [folder], source: source)
        }
        guard files.contains(where: { $0.lowercased().hasSuffix(".gguf") }) else { return nil }
        do {
            let g = try GGUFSelection.pick(files, quant: quant, repo: repo)
            return ResolvedModel(reference: text, paths: g.parts.map { folder + "/" + $0 }, source: source)
        } catch HubError.noQuantMatch(_, _, _) {
            return nil  // another quant of the repository is cached; this one may be pulled
        }
    }

    static func isSafetensorsModel(_ files: [String]) -> Bool {
        files.contains("config.json") && files.contains { $0.hasSuffix(".safetensors") }
    }

    /// What to download for a reference: the GGUF parts for a quant; else the safetensors model's files (other
    /// weight formats left out); else the default GGUF.
    public static func selectFiles(_ files: [String], quant: String?, repo: String) throws -> [String] {
        if quant == nil && isSafetensorsModel(files) {
            let skip = [".bin", ".pth", ".pt", ".h5", ".msgpack", ".onnx", ".ot", ".gguf", ".tflite", ".mlmodel", ".npz", ".ckpt"]
            return files.filter { f in
                !skip.contains { f.lowercased().hasSuffix($0) } && !f.hasPrefix("original/") && !f.contains("/onnx/")
            }
        }
        guard files.contains(where: { $0.lowercased().hasSuffix(".gguf") }) else {
            if let q = quant { throw HubError.noQuantMatch(repo: repo, quant: q, ggufs: []) }
            throw HubError.noModelFiles(repo: repo, files: files)
        }
        return try GGUFSelection.pick(files, quant: quant, repo: repo).parts
    }
}
