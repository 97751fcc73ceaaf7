// The built-in default model: where `DefaultModel.locate` looks (environment, resource bundle, installed share
// folder), its errors, `default` through the reference resolver and in the catalog, and the shipped folder itself.
import Foundation
import Testing
import R1DefaultModel
@testable import R1Hub

@Suite struct DefaultModelTests {
    let tiny = Fixtures.root + "/models/qwen2-tiny"

    /// A folder that looks like a model (config.json only).
    func fakeModel(_ path: String) throws {
        try put(path + "/config.json", #"{"model_type": "qwen2"}"#)
    }

    @Test func environmentComesFirst() throws {
        let dir = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try fakeModel(dir + "/swift-r1_R1DefaultModel.resources/DefaultModel")
        let env = ["R1_DEFAULT_MODEL": tiny]
        #expect(try DefaultModel.locate(environment: env, executableDirectories: [dir]) == tiny)
        let gguf = Fixtures.tinyGGUF  // a file is fine too
        #expect(try DefaultModel.locate(environment: ["R1_DEFAULT_MODEL": gguf], executableDirectories: []) == gguf)
    }

    @Test func badEnvironmentIsAClearError() throws {
        let dir = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try fakeModel(dir + "/swift-r1_R1DefaultModel.resources/DefaultModel")
        // A bad value is an error, never a silent fall back to the bundle.
        #expect(throws: DefaultModelError.badEnvironment(path: "/no/such/model", problem: "no such file or folder")) {
            try DefaultModel.locate(environment: ["R1_DEFAULT_MODEL": "/no/such/model"], executableDirectories: [dir])
        }
        do {
            _ = try DefaultModel.locate(environment: ["R1_DEFAULT_MODEL": dir], executableDirectories: [])
            Issue.record("no error")
        } catch let e as DefaultModelError {
            #expect(e.description.contains("R1_DEFAULT_MODEL=\(dir)") && e.description.contains("without config.json"))
        }
    }

    @Test func bundleBesideTheExecutable() throws {
        let dir = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bin = dir + "/bin"
        try fakeModel(dir + "/share/swift-r1/default-model")
        #expect(try DefaultModel.locate(environment: [:], executableDirectories: [bin]) == dir + "/share/swift-r1/default-model")
        // The resource bundle wins over the installed copy.
        try fakeModel(bin + "/swift-r1_R1DefaultModel.resources/DefaultModel")
        #expect(try DefaultModel.locate(environment: ["R1_DEFAULT_MODEL": ""], executableDirectories: [bin])
                == bin + "/swift-r1_R1DefaultModel.resources/DefaultModel")
    }

    @Test func notFoundNamesEveryPlace() throws {
        let dir = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/swift-r1_R1DefaultModel.resources/DefaultModel",
                                                withIntermediateDirectories: true)  // empty: not a model
        do {
            _ = try DefaultModel.locate(environment: [:], executableDirectories: [dir + "/bin"])
            Issue.record("no error")
        } catch let e as DefaultModelError {
            guard case .notFound(let tried) = e else { Issue.record("\(e)"); return }
            #expect(tried.contains(dir + "/bin/swift-r1_R1DefaultModel.resources/DefaultModel"))
            #expect(tried.contains(dir + "/share/swift-r1/default-model"))
            for t in tried { #expect(e.description.contains(t)) }
            #expect(e.description.contains("R1_DEFAULT_MODEL"))
        }
    }

    /// The folder shipped in the resource bundle beside this test binary: the Hugging Face layout, R1's chat template.
    @Test func shippedModel() throws {
        let path = try DefaultModel.locate(environment: [:])
        #expect(path.hasSuffix("/DefaultModel"))
        for file in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            #expect(FileManager.default.fileExists(atPath: path + "/" + file), "\(file)")
        }
        let config = try String(contentsOfFile: path + "/config.json", encoding: .utf8)
        #expect(config.contains("\"qwen2\""))
        let tokenizerConfig = try String(contentsOfFile: path + "/tokenizer_config.json", encoding: .utf8)
        #expect(tokenizerConfig.contains("<｜Assistant｜><think>"))
    }

    @Test func defaultIsAReference() throws {
        #expect(try ModelReference.readings("default") == [.builtinDefault])
        #expect(try ModelReference.readings(" default ") == [.builtinDefault])
        #expect(try ModelReference.readings("./default") == [.path("./default")])
        #expect(try ModelReference.readings("default:latest") == [.ollama(OllamaName("default:latest")!)])
        let home = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let env = ["R1_DEFAULT_MODEL": tiny, "HF_HOME": home + "/hf", "OLLAMA_MODELS": home + "/ollama", "HF_HUB_OFFLINE": "1"]
        let m = try #require(try ModelResolver(environment: env).resolveLocal("default"))
        #expect(m.paths == [tiny])
        guard case .builtinDefault = m.source else { Issue.record("source \(m.source)"); return }
        #expect(throws: DefaultModelError.self) {
            try ModelResolver(environment: ["R1_DEFAULT_MODEL": "/no/such/model"]).resolveLocal("default")
        }
    }

    @Test func catalogListsTheDefaultFirst() throws {
        let entries = ModelCatalog.entries(cache: HFCache(root: "/nonexistent"), ollama: OllamaStore(root: "/nonexistent"),
                                           builtinDefault: tiny)
        let e = try #require(entries.first)
        #expect(e.reference == "default" && e.source == "builtin" && e.path == tiny)
        #expect(e.format == "safetensors" && e.architecture == "qwen2" && e.size > 400_000)
    }
}
