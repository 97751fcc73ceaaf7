// GGUF export against llama.cpp: tensors bit for bit with convert_hf_to_gguf.py's files (Tests/Fixtures/models/
// *-gguf), greedy ids and log-probs with llama.cpp's run on our own exports (Tests/Fixtures/export, written by
// scripts/fixtures/make_export_fixtures.py), and r1 on the export against r1 on the folder.
import Foundation
import R1Formats
import R1Kernels
import R1Models
import R1Tokenizer
import Testing
@testable import R1Train

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

private final class TempFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokgguf-export-\(UUID().uuidString)")
    init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

private func export(_ folderCase: String, _ type: GGUFExportType, into tmp: TempFolder) throws -> String {
    let out = tmp.path("\(folderCase)-\(type.rawValue).gguf")
    try GGUFExport.export(folder: fixtures.appendingPathComponent("models/\(folderCase)").path, to: out, type: type)
    return out
}

private struct LlamaReference: Decodable {
    struct LP: Decodable { let id: Int; let logprob: Double }
    let reference: String
    let prompt_ids: [Int]
    let greedy_ids: [Int]
    let top_logprobs: [[LP]]
}

/// Greedy decoding with an F32 cache: the ids and each step's log-probabilities.
private func greedy(_ model: LoadedModel, prompt: [Int], steps: Int) -> (ids: [Int], logprobs: [[Float]]) {
    let decoder = model.decoder!, vocab = decoder.config.vocabSize
    let pool = ThreadPool(threads: 2, kernels: .test)
    let cache = decoder.makeCache(type: .f32)
    let workspace = decoder.makeWorkspace()
    var logits = Array(decoder.forward(prompt, cache: cache, workspace: workspace, pool: pool).suffix(vocab))
    var ids: [Int] = [], all: [[Float]] = []
    for _ in 0..<steps {
        let m: Float = logits.max()!
        let sum: Double = logits.reduce(0.0) { (acc: Double, x: Float) in acc + exp(Double(x - m)) }
        let lse: Float = m + Float(log(sum))
        let lp: [Float] = logits.map { $0 - lse }
        let best = lp.indices.max { lp[$0] < lp[$1] || (lp[$0] == lp[$1] && $0 > $1) }!
        ids.append(best)
        all.append(lp)
        logits = decoder.forward([best], cache: cache, workspace: workspace, pool: pool)
    }
    return (ids, all)
}

@Suite struct GGUFExportTests {
    /// The converter's files for the same folders: every tensor identical (names, order, types, shapes, bytes).
    @Test(arguments: [("qwen2-tiny", GGUFExportType.f32, "qwen2-tiny-gguf/qwen2-tiny-f32.gguf"),
                      ("qwen2-tiny", .f16, "qwen2-tiny-gguf/qwen2-tiny-f16.gguf"),
                      ("qwen2-tiny", .q8_0, "qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf"),
                      ("llama-tiny", .f32, "llama-tiny-gguf/llama-tiny-f32.gguf")])
    func tensorsEqualConvertHFToGGUF(folderCase: String, type: GGUFExportType, converted: String) throws {
        let tmp = TempFolder()
        let ours = try GGUFFile(path: try export(folderCase, type, into: tmp))
        let theirs = try GGUFFile(path: fixtures.appendingPathComponent("models/\(converted)").path)
        #expect(ours.tensors.map(\.name) == theirs.tensors.map(\.name))
        for t in theirs.tensors {
            let o = try #require(ours.tensor(named: t.name))
            #expect(o.type == t.type && o.ne == t.ne, "\(t.name)")
            #expect(Array(ours.data(for: o)) == Array(theirs.data(for: t)), "\(t.name) bytes")
        }
        // Metadata: the converter's keys and values, in its order, but for the name it derives from the folder,
        // its size label and (llama-tiny) the pre-tokenizer name make_gguf.py forced on the converter.
        let skipped: Set<String> = ["general.name", "general.size_label", "tokenizer.ggml.pre"]
        #expect(ours.metadataKeys.filter { !skipped.contains($0) } == theirs.metadataKeys.filter { !skipped.contains($0) })
        for key in theirs.metadataKeys where !skipped.contains(key) { #expect(ours[key] == theirs[key], "\(key)") }
        #expect(ours.string("tokenizer.ggml.pre") == "qwen2")  // the fixture tokenizer's Split regex is Qwen2's
    }

    static let llamaReferences: [String] = {
        let dir = fixtures.appendingPathComponent("export").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }()

    /// llama.cpp's greedy ids on the export, and its log-probs within the tolerances ParityTests uses for llama.cpp.
    @Test(arguments: llamaReferences)
    func greedyIdsEqualLlamaCpp(file: String) throws {
        #expect(Self.llamaReferences.count == 8)
        let ref = try JSONDecoder().decode(LlamaReference.self, from: Data(contentsOf: fixtures.appendingPathComponent("export/\(file)")))
        // reference-<case>-<type>.json
        let stem = file.dropFirst("reference-".count).dropLast(".json".count)
        let dash = try #require(stem.lastIndex(of: "-"))
        let type = try #require(GGUFExportType(rawValue: String(stem[stem.index(after: dash)...])))
        let tmp = TempFolder()
        let model = try ModelLoader.load(path: try export(String(stem[..<dash]), type, into: tmp), contextLength: 256)
        let run = greedy(model, prompt: ref.prompt_ids, steps: ref.greedy_ids.count)
        #expect(run.ids == ref.greedy_ids, "\(file)")
        let tolerance: Float = type == .q8_0 ? 0.1 : type == .f16 ? 2e-3 : 1e-3
        for (step, expected) in ref.top_logprobs.enumerated() where step < run.logprobs.count {
            #expect(abs(run.logprobs[step][expected[0].id] - Float(expected[0].logprob)) <= tolerance, "\(file) step \(step)")
        }
    }

    /// r1 on the F32 export against r1 on the folder: same greedy ids, every step's top-1 log-prob within 1e-4.
    @Test(arguments: ["qwen2-tiny", "llama-tiny", "qwen3-tiny", "qwen2-tiny-tied-linear", "qwen2-tiny-bf16-sharded"])
    func exportRunsLikeTheFolder(folderCase: String) throws {
        let tmp = TempFolder()
        let folder = try ModelLoader.load(path: fixtures.appendingPathComponent("models/\(folderCase)").path, contextLength: 256)
        let gguf = try ModelLoader.load(path: try export(folderCase, .f32, into: tmp), contextLength: 256)
        let prompt = [316, 147, 33, 155, 144, 14, 302, 270, 232, 157, 94, 178, 71]
        let a = greedy(folder, prompt: prompt, steps: 12), b = greedy(gguf, prompt: prompt, steps: 12)
        #expect(a.ids == b.ids, "\(folderCase)")
        for (step, id) in a.ids.enumerated() {
            #expect(abs(a.logprobs[step][id] - b.logprobs[step][id]) <= 1e-4, "\(folderCase) step \(step)")
        }
        #expect(gguf.model.vocabSize == folder.model.vocabSize)
    }

    @Test func llama3RopeFactorsMatchTheConverter() throws {
        let converted = try GGUFFile(path: fixtures.appendingPathComponent("models/llama-tiny-gguf/llama-tiny-f32.gguf").path)
        let model = try ExportedModel(config: try HFConfig(folder: fixtures.appendingPathComponent("models/llama-tiny").path),
                                      folder: fixtures.appendingPathComponent("models/llama-tiny").path)
        let expected = Array(converted.data(for: try #require(converted.tensor(named: "rope_freqs.weight"))))
        #expect(ExportedModel.bytes(model.llama3RopeFactors()) == expected)
    }

    @Test func permutationPairsRotateHalfRowsPerHead() {
        // 2 heads of 4 rows (half 2), one column: rows (h, s, j) -> (h, j, s).
        let x: [Float] = [0, 1, 2, 3, 4, 5, 6, 7]
        #expect(ExportedModel.permuteRows(x, shape: [8, 1], heads: 2) == [0, 2, 1, 3, 4, 6, 5, 7])
    }

    /// The trainer's tokenizer as tokenizer.ggml.*: padded to the model's vocab_size, R1 template, and R1Tokenizer
    /// built from the GGUF arrays encodes as the one built from tokenizer.json.
    @Test func trainedTokenizerAsGGUFVocabulary() throws {
        let dir = fixtures.appendingPathComponent("tokenizer-trainer/out")
        let vocab = try GGUFVocabulary(folder: dir.path, vocabSize: 610)
        #expect(vocab.tokens.count == 610 && vocab.pre == "qwen2")
        #expect(vocab.tokens[606...] == ["[PAD606]", "[PAD607]", "[PAD608]", "[PAD609]"])
        #expect(Array(vocab.tokenTypes[594...]) == [3, 3, 4, 4, 4, 4] + [Int32](repeating: 5, count: 10))
        #expect(vocab.bosId == 594 && vocab.eosId == 595 && vocab.padId == 595 && vocab.addBos == true)
        #expect(vocab.chatTemplate?.contains("<｜Assistant｜>") == true)
        let fromGGUF = try Tokenizer(tokens: vocab.tokens, merges: vocab.merges, tokenTypes: vocab.tokenTypes.map(Int.init),
                                     preTokenizer: vocab.pre, bosId: vocab.bosId, eosId: vocab.eosId, padId: vocab.padId,
                                     addBos: vocab.addBos ?? false, addEos: vocab.addEos ?? false)
        let fromJSON = try Tokenizer(directory: dir)
        for text in ["<｜User｜>What is 7 * 6?<｜Assistant｜><think>\n42\n</think>", "Zürich 🎉 9876543210 it's"] {
            #expect(fromGGUF.encode(text, addSpecialTokens: true) == fromJSON.encode(text, addSpecialTokens: true))
        }
        do {
            _ = try GGUFVocabulary(folder: dir.path, vocabSize: 500)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("token id 599 is outside the model's vocab_size 500"), "\(error)")
        }
    }

    @Test func badFoldersNameTheProblem() throws {
        let tmp = TempFolder()
        let folder = tmp.url.appendingPathComponent("m")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(#"{"model_type": "gpt_neox"}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        do {
            try GGUFExport.export(folder: folder.path, to: tmp.path("x.gguf"), type: .f32)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("model_type 'gpt_neox'"), "\(error)")
        }
        do {
            try GGUFExport.export(folder: tmp.path("missing"), to: tmp.path("x.gguf"), type: .f32)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("missing"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.path("x.gguf")))
    }
}
