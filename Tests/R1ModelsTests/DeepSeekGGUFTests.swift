// DeepSeek from GGUF `deepseek2` files (make_deepseek_gguf.py), beyond greedyParity (which runs their references):
// both layouts give the HF checkpoint's logits, the metadata decides V2 / V3, q compression and MTP blocks, experts
// are slices of the mapped 3-D tensors in their stored type, and bad files are one-line errors naming the value.
import Foundation
import Testing
import R1Formats
import R1Kernels
import R1Models

private func path(_ file: String) -> String { fixturesRoot.appendingPathComponent(file).path }

private func logits(_ m: DeepSeekModel) -> [Float] {
    let pool = ThreadPool(threads: 2, kernels: .test)
    let cache = m.makeCache(capacity: 32), ws = m.makeWorkspace()
    var out = m.forward([316, 5, 77, 150, 9, 42, 260, 3], cache: cache, allLogits: true, workspace: ws, pool: pool)
    for id in [12, 200] { out += m.forward([id], cache: cache, workspace: ws, pool: pool) }
    return out
}

/// The same F32 weights through the GGUF (either layout) and the HF folder: only float summation order differs.
@Test(arguments: [("dsv3-tiny-gguf/dsv3-tiny-f32.gguf", "dsv3-tiny", "deepseek_v3", true),
                  ("dsv2-tiny-gguf/dsv2-tiny-f32-kvb-mtp.gguf", "dsv2-tiny", "deepseek_v2", false)])
func ggufLayoutsEqualTheHFCheckpoint(_ file: String, _ hf: String, _ arch: String, _ split: Bool) throws {
    let g = try ModelLoader.load(path: path(file), contextLength: 64)
    let h = try ModelLoader.load(path: path(hf), contextLength: 64)
    #expect(g.architecture.name == arch && g.format == .gguf)
    let gm = try #require(g.model as? DeepSeekModel), hm = try #require(h.model as? DeepSeekModel)
    #expect(gm.config.router == hm.config.router, "\(file): \(gm.config.router) vs \(hm.config.router)")
    #expect(gm.config.attention.qLoraRank == hm.config.attention.qLoraRank && gm.config.layerCount == hm.config.layerCount)
    let isSplit: Bool
    if case .split = gm.weights.layers[0].attention.kvB { isSplit = true } else { isSplit = false }
    #expect(isSplit == split, "\(file): attn_k_b/attn_v_b \(split ? "expected" : "not expected")")
    for path in AttentionPath.allCases {
        let a = logits(gm.with(attention: path)), b = logits(hm.with(attention: path))
        let worst = zip(a, b).map { abs($0 - $1) }.max()!
        #expect(a.count == b.count && worst <= 1e-4, "\(file) (\(path)): max |GGUF - HF| \(worst)")
    }
}

@Test func olderLayoutCarriesAnMTPBlockThatPlainDecodingSkips() throws {
    let g = try ModelLoader.load(path: path("dsv2-tiny-gguf/dsv2-tiny-f32-kvb-mtp.gguf"))
    let m = try #require(g.model as? DeepSeekModel)
    // block_count 4, nextn_predict_layers 1: three decoder layers and one MTP block, loaded
    #expect(g.gguf?.int("deepseek2.block_count") == 4 && m.config.layerCount == 3 && m.weights.nextn.count == 1)
    #expect(m.weights.nextn[0].ehProj.rows == 48 && m.weights.nextn[0].ehProj.cols == 96)
    #expect(m.makeCache().layers == 3)
    // no q_lora_rank key: no q compression, read from the metadata at any layer count
    #expect(m.config.attention.qLoraRank == 0 && m.weights.layers[0].attention.qA == nil)
}

@Test func quantizedExpertsAreSlicesOfTheMappedTensor() throws {
    let g = try ModelLoader.load(path: path("dsv3-q8-gguf/dsv3-q-q8_0.gguf"))
    let file = try #require(g.gguf)
    let m = try #require(g.model as? DeepSeekModel)
    guard case .experts(let moe) = m.weights.layers[1].mlp else { Issue.record("layer 1 has no experts"); return }
    for (slot, pick) in [("ffn_gate_exps", \FeedForwardWeights.gate), ("ffn_up_exps", \.up), ("ffn_down_exps", \.down)] {
        let info = try #require(file.tensor(named: "blk.1.\(slot).weight"))
        #expect(info.type == .q8_0 && info.shape.first == moe.experts.count, "\(slot): \(info.type) \(info.shape)")
        let base = file.data(for: info).baseAddress!
        for (e, f) in moe.experts.enumerated() {
            let w = try #require(f[keyPath: pick].matrix)
            #expect(w.type == .q8_0 && w.data == base + e * w.rows * w.rowBytes, "\(slot) expert \(e) is not its slice")
        }
    }
    #expect(m.config.router.scoring == .sigmoid && m.config.router.groups == 4 && m.config.router.topkGroups == 2)
    // YaRN: yarn_log_multiplier 0.1 · mscale_all_dim 1 -> softmax scale (0.1 ln 4 + 1)² / sqrt(48)
    let mscale = 0.1 * log(4.0) + 1
    #expect(abs(Double(m.config.softmaxScale) - mscale * mscale / 48.0.squareRoot()) < 1e-6)
}

// MARK: - bad files

/// A GGUF's tensors with one hidden.
private final class Hiding: TensorStore, @unchecked Sendable {
    let base: GGUFModelFiles
    let hidden: String?
    init(_ base: GGUFModelFiles, hiding: String?) { self.base = base; hidden = hiding }
    var tensorNames: [String] { base.tensorNames.filter { $0 != hidden } }
    func tensor(_ name: String) -> TensorView? { name == hidden ? nil : base.tensor(name) }
    func requireTensor(_ name: String) throws -> TensorView {
        if name == hidden { throw FormatError(base.metadataFile.path, "tensor '\(name)' not found") }
        return try base.requireTensor(name)
    }
}

private func ggufError(_ file: String, hiding: String? = nil, _ edit: (inout [String: GGUFValue]) -> Void = { _ in }) -> String {
    do {
        let store = try GGUFModelFiles(path: path(file))
        var metadata = store.metadataFile.metadata
        edit(&metadata)
        _ = try DeepSeekModel.buildGGUF(metadata: metadata, store: Hiding(store, hiding: hiding), path: path(file))
        return "loaded"
    } catch {
        return "\(error)"
    }
}

@Test func badDeepSeekGGUFsAreOneLineErrorsNamingTheValue() throws {
    let f = "dsv3-tiny-gguf/dsv3-tiny-f32.gguf"
    #expect(ggufError(f) == "loaded")
    let gating = ggufError(f) { $0["deepseek2.expert_gating_func"] = .uint32(4) }
    #expect(gating.contains("deepseek2.expert_gating_func 4 is not supported"), "\(gating)")
    let count = ggufError(f) { $0["deepseek2.expert_count"] = .uint32(12) }
    #expect(count.contains("blk.1.ffn_gate_exps.weight") && count.contains("expected [12, 16, 48]")
            && count.contains("deepseek2.expert_count 12"), "\(count)")
    let used = ggufError(f) { $0["deepseek2.expert_used_count"] = .uint32(9) }
    #expect(used.contains("deepseek2.expert_used_count 9 must be between 1 and deepseek2.expert_count 8"), "\(used)")
    let groups = ggufError(f) { $0["deepseek2.expert_group_count"] = .uint32(3) }
    #expect(groups.contains("deepseek2.expert_group_count 3 does not divide deepseek2.expert_count 8"), "\(groups)")
    let missing = ggufError(f, hiding: "blk.2.ffn_up_exps.weight")
    #expect(missing.contains("blk.2.ffn_up_exps.weight") && missing.contains("not found"), "\(missing)")
    let kb = ggufError(f, hiding: "blk.0.attn_v_b.weight")
    #expect(kb.contains("blk.0.attn_v_b.weight") && kb.contains("not found"), "\(kb)")
    let noKey = ggufError(f) { $0["deepseek2.attention.kv_lora_rank"] = nil }
    #expect(noKey.contains("deepseek2.attention.kv_lora_rank missing"), "\(noKey)")
    let mtp = ggufError(f) { $0["deepseek2.nextn_predict_layers"] = .uint32(1) }
    #expect(mtp.contains("blk.2.nextn.eh_proj.weight") && mtp.contains("not found"), "\(mtp)")
    for e in [gating, count, used, groups, missing, kb, noKey, mtp] { #expect(!e.contains("\n"), "\(e)") }
}

@Test func truncatedDeepSeekGGUFIsAOneLineError() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path("dsv3-tiny-gguf/dsv3-tiny-f32.gguf")))
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("dsv3-truncated-\(getpid()).gguf")
    try data.prefix(data.count - 1000).write(to: tmp)
    defer { try? FileManager.default.removeItem(at: tmp) }
    do {
        _ = try ModelLoader.load(path: tmp.path)
        Issue.record("a truncated file loaded")
    } catch {
        let e = "\(error)"
        #expect(e.contains("past end of file") && !e.contains("\n"), "\(e)")
    }
}

/// Q8_0 experts and attention against transformers on the same weights dequantized: the engine quantizes activations
/// to Q8_0 before each product (as llama.cpp, greedyParity's reference for quantized files), transformers keeps them
/// in f32, so one prefill's top-1 log-probs differ by the activation rounding only (quantized tolerance, 0.1). The
/// naive path: it expands kv_b in f32 as transformers does, where the absorbed path also quantizes q_nope and the
/// attended latent for the Q8_0 k_b / v_b products, as llama.cpp (measured 0.24 from transformers at one position,
/// llama.cpp's own distance; greedyParity holds it to reference-llamacpp-q8_0.json).
@Test func q8ExpertsTrackTransformersOnDequantizedWeights() throws {
    let url = fixturesRoot.appendingPathComponent("dsv3-q8-gguf/transformers-dequantized-q8_0.json")
    let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    let loaded = try #require(try ModelLoader.load(path: path("dsv3-q8-gguf/dsv3-q-q8_0.gguf"), contextLength: 64).model as? DeepSeekModel)
    let m = loaded.with(attention: .naive)  // kv_b in f32 as transformers; the absorbed path follows llama.cpp (greedyParity)
    let pool = ThreadPool(threads: 2, kernels: .test)
    let seq = ref.prompt_ids + ref.greedy_ids.dropLast()
    let lg = m.forward(seq, cache: m.makeCache(capacity: 64), allLogits: true, workspace: m.makeWorkspace(), pool: pool)
    var worst: Float = 0, argmaxEqual = 0
    let rows = (ref.prompt_top_logprobs ?? []) + ref.top_logprobs.dropFirst()
    for (i, expected) in rows.enumerated() {
        let lp = logSoftmax(lg[(i * m.vocabSize)..<((i + 1) * m.vocabSize)])
        worst = max(worst, abs(lp[expected[0].id] - Float(expected[0].logprob)))
        if lp.indices.max(by: { lp[$0] < lp[$1] }) == expected[0].id { argmaxEqual += 1 }
    }
    #expect(worst <= 0.1, "max |top-1 logprob - transformers on dequantized weights| \(worst)")
    print("dsv3-q-q8_0 vs transformers on its dequantized weights: max |dlogprob| \(worst), argmax equal at \(argmaxEqual)/\(rows.count)")
}

// MARK: - latent cache types

/// An f16 latent cache holds half the bytes and gives the f32 cache's logits to the rounding of its rows (measured
/// 9.5e-4); q8_0 is refused by name. Both attention paths read the same converted rows, but a layer's input differs
/// between them by float summation order (~1e-6), which can flip one f16 rounding of a stored latent, so with an f16
/// cache they agree to the f16 bound (measured 3.0e-4), not to naiveAbsorbedTolerance as with f32 (naiveEqualsAbsorbed).
@Test func f16LatentCacheHalvesTheBytesAndKeepsTheLogits() throws {
    let m = try #require(try ModelLoader.load(path: path("dsv3-tiny"), contextLength: 64).model as? DeepSeekModel)
    let pool = ThreadPool(threads: 2, kernels: .test)
    #expect(m.makeCache(capacity: 10, type: .f16).byteCount * 2 == m.makeCache(capacity: 10, type: .f32).byteCount)
    func run(_ model: DeepSeekModel, _ type: KVCacheType) -> [Float] {
        let cache = model.makeCache(capacity: 32, type: type), ws = model.makeWorkspace()
        var out = model.forward([316, 5, 77, 150, 9, 42, 260, 3], cache: cache, allLogits: true, workspace: ws, pool: pool)
        for id in [12, 200, 7] { out += model.forward([id], cache: cache, workspace: ws, pool: pool) }
        return out
    }
    let f32 = run(m, .f32), f16 = run(m, .f16), naive16 = run(m.with(attention: .naive), .f16)
    let worst = zip(f32, f16).map { abs($0 - $1) }.max()!, paths = zip(f16, naive16).map { abs($0 - $1) }.max()!
    #expect(worst > 0 && worst <= 2e-2, "max |f16 cache - f32 cache| \(worst)")
    #expect(paths <= 2e-2, "f16 cache: max |naive - absorbed| \(paths)")
    print("dsv3-tiny: f16 latent cache vs f32: max |dlogit| \(worst)")
    #expect(throws: ModelError.self) { try m.validate(cacheType: .q8_0) }
    do { try m.validate(cacheType: .q8_0) } catch { #expect("\(error)".contains("f32 or f16, not q8_0")) }
}
