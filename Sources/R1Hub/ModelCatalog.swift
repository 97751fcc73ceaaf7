// The models on this machine for `r1 list`: the built-in default, every snapshot of the Hugging Face cache (a safetensors model, or each
// GGUF) and every model of Ollama's store, with size, format, architecture and quant.
import Foundation
import R1DefaultModel
import R1Formats

public struct CatalogEntry: Sendable, Equatable {
    public let reference: String
    public let source: String  // "builtin", "huggingface" or "ollama"
    public let path: String
    public let size: Int
    public let format: String  // "gguf" or "safetensors"
    public let architecture: String?
    public let quant: String?
}

public enum ModelCatalog {
    /// llama.cpp's `llama_ftype` numbers (general.file_type) by name.
    static let fileTypes: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
        12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
        19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
        26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
        36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
    ]

    /// `builtinDefault`: the built-in model's path (`ModelResolver.defaultModelPath()`), listed first as `default`.
    public static func entries(cache: HFCache, ollama: OllamaStore, builtinDefault: String? = nil) -> [CatalogEntry] {
        (builtinDefault.map { [builtin($0)] } ?? []) + huggingFace(cache) + ollamaModels(ollama)
    }

    /// The built-in default model: a folder, or a .gguf file when R1_DEFAULT_MODEL names one.
    static func builtin(_ path: String) -> CatalogEntry {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return safetensors(reference: DefaultModel.name, source: "builtin", folder: path, files: files)
        }
        let (arch, type) = ggufSummary(path)
        return CatalogEntry(reference: DefaultModel.name, source: "builtin", path: path, size: fileSize(path), format: "gguf",
                            architecture: arch, quant: type)
    }

    /// A safetensors folder: architecture and dtype from its config.json, size of all its files.
    static func safetensors(reference: String, source: String, folder: String, files: [String]) -> CatalogEntry {
        let config = (try? JSONValue.load(path: folder + "/config.json"))
        let arch = config?["model_type"]?.string ?? config?["architectures"]?.array?.first?.string
        let dtype = (config?["torch_dtype"] ?? config?["dtype"])?.string
        return CatalogEntry(reference: reference, source: source, path: folder,
                            size: files.reduce(0) { $0 + fileSize(folder + "/" + $1) },
                            format: "safetensors", architecture: arch, quant: dtype)
    }

    static func huggingFace(_ cache: HFCache) -> [CatalogEntry] {
        var out: [CatalogEntry] = []
        for repo in cache.repos() {
            let refs = cache.refs(repo)
            let snapshots = (try? FileManager.default.contentsOfDirectory(atPath: cache.repoFolder(repo) + "/snapshots")) ?? []
            for commit in snapshots.sorted() {
                let names = refs.filter { $0.value == commit }.keys.sorted()
                let suffix = names.contains("main") ? "" : "@" + (names.first ?? commit)
                let folder = cache.snapshotFolder(repo, commit: commit)
                let files = cache.snapshotFiles(repo, commit: commit)
                if ModelResolver.isSafetensorsModel(files) {
                    out.append(safetensors(reference: repo + suffix, source: "huggingface", folder: folder, files: files))
                }
                for g in GGUFSelection.groups(files) {
                    let paths = g.parts.map { folder + "/" + $0 }
                    let (arch, type) = ggufSummary(paths[0])
                    let tag = GGUFSelection.quantTag(g.name) ?? type
                    out.append(CatalogEntry(reference: repo + (tag.map { ":" + $0 } ?? "") + suffix, source: "huggingface",
                                            path: paths[0], size: paths.reduce(0) { $0 + fileSize($1) }, format: "gguf",
                                            architecture: arch, quant: type ?? tag))
                }
            }
        }
        return out
    }

    static func ollamaModels(_ store: OllamaStore) -> [CatalogEntry] {
        store.models().compactMap { n in
            guard let m = try? store.model(n) else { return nil }
            let (arch, type) = ggufSummary(m.modelBlob)
            return CatalogEntry(reference: n.description, source: "ollama", path: m.modelBlob, size: fileSize(m.modelBlob),
                                format: "gguf", architecture: arch, quant: type)
        }
    }

    /// general.architecture and the file type's name, from the GGUF header.
    static func ggufSummary(_ path: String) -> (String?, String?) {
        guard let f = try? GGUFFile(path: path) else { return (nil, nil) }
        return (f.architecture, f.int("general.file_type").map { fileTypes[$0] ?? "type \($0)" })
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
