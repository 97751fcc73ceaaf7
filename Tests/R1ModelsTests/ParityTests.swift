// Model parity: greedy continuations and log-probabilities of tiny random-weight models against the references
// the fixture scripts recorded (transformers for safetensors folders, llama.cpp for GGUF files).
import Foundation
import Testing
import R1Formats
import R1Kernels
import R1Models

struct Reference: Decodable {
    struct LP: Decodable { let id: Int; let logprob: Double }
    let reference: String
    let model: String
    let prompt_ids: [Int]
    let greedy_ids: [Int]
    let top_logprobs: [[LP]]
    let prompt_top_logprobs: [[LP]]?
}

let fixturesRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/models")

/// Every reference file under Tests/Fixtures/models, as "case/file"; `dense`: only the dense decoder's (not the
/// DeepSeek cases, "dsv*", whose latent cache has no F16/Q8_0 types yet).
func referenceFiles(dense: Bool = false) -> [String] {
    let fm = FileManager.default
    let cases = (try? fm.contentsOfDirectory(atPath: fixturesRoot.path)) ?? []
    return cases.sorted().flatMap { c in
        ((try? fm.contentsOfDirectory(atPath: fixturesRoot.appendingPathComponent(c).path)) ?? [])
            .filter { $0.hasPrefix("reference") && $0.hasSuffix(".json") }.sorted().map { "\(c)/\($0)" }
    }.filter { !dense || !$0.hasPrefix("dsv") }
}

func logSoftmax(_ x: ArraySlice<Float>) -> [Float] {
    let m = x.max()!
    let s = x.reduce(0.0) { $0 + exp(Double($1 - m)) }
    let l = Float(log(s))
    return x.map { $0 - m - l }
}



/// The references run an fp32 KV cache, so parity uses one; the default F16 cache is checked in kvCacheTypes.
@Test(arguments: referenceFiles())
func greedyParity(_ file: String) throws {
    try checkGreedyParity(file, cacheType: .f32)
}

func checkGreedyParity(_ file: String, cacheType: KVCacheType, extraTolerance: Float = 0) throws {
    let url = fixturesRoot.appendingPathComponent(file)
    let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    let modelPath = url.deletingLastPathComponent().appendingPathComponent(ref.model).standardizedFileURL.path
    let model = try ModelLoader.load(path: modelPath, contextLength: 256)
    let tolerance = logprobTolerance(model, reference: ref.reference) + extraTolerance
    try checkGreedyParity(model.model, ref, file: file, cacheType: cacheType, tolerance: tolerance)
    // MLA models: the absorbed path (the default) above, the naive one (per-head K/V, the oracle) here; on a
    // quantized file llama.cpp is the absorbed path's reference only: both quantize q_nope and the attended latent for
    // the quantized k_b / v_b products, where the naive path expands kv_b in f32 as transformers does (its reference is
    // transformers on the dequantized weights, q8ExpertsTrackTransformersOnDequantizedWeights)
    let quantizedLlamaCpp = tolerance >= 0.1 && ref.reference.hasPrefix("llama.cpp")
    if let mla = model.model as? DeepSeekModel, mla.attentionPath != .naive, !quantizedLlamaCpp {
        try checkGreedyParity(mla.with(attention: .naive), ref, file: file + " (naive MLA)", cacheType: cacheType, tolerance: tolerance)
    }
}

func checkGreedyParity<M: LanguageModel>(_ decoder: M, _ ref: Reference, file: String, cacheType: KVCacheType,
                                         tolerance: Float) throws {
    let sharedPool = ThreadPool(threads: 2, kernels: .test)
    let ws = decoder.makeWorkspace()
    let cache = decoder.makeCache(capacity: 256, type: cacheType)
    let vocab = decoder.vocabSize

    var logits = decoder.forward(ref.prompt_ids, cache: cache, allLogits: true, workspace: ws, pool: sharedPool)
    if let promptRef = ref.prompt_top_logprobs {
        for (i, expected) in promptRef.enumerated() {
            let lp = logSoftmax(logits[(i * vocab)..<((i + 1) * vocab)])
            for e in expected.prefix(1) {
                #expect(abs(lp[e.id] - Float(e.logprob)) <= tolerance, "\(file): prompt position \(i) token \(e.id)")
            }
        }
    }
    logits = Array(logits.suffix(vocab))
    var generated: [Int] = []
    for step in 0..<ref.greedy_ids.count {
        let lp = logSoftmax(logits[...])
        let best = lp.indices.max { lp[$0] < lp[$1] || (lp[$0] == lp[$1] && $0 > $1) }!
        let expectedTop = ref.top_logprobs[step][0]
        #expect(abs(lp[expectedTop.id] - Float(expectedTop.logprob)) <= tolerance,
                "\(file): step \(step) top-1 logprob \(lp[expectedTop.id]) vs \(expectedTop.logprob)")
        generated.append(best)
        if best != ref.greedy_ids[step] { break }
        logits = decoder.forward([best], cache: cache, workspace: ws, pool: sharedPool)
    }
    #expect(generated == ref.greedy_ids, "\(file) (\(ref.reference)) with a \(cacheType) cache")
}

/// Top-1 log-probability tolerance of greedyParity, per case (measured max |dlogprob| over prompt positions and steps):
/// - F32 weights, transformers or llama.cpp: 1e-3 (measured <= 1.2e-6: float summation order only).
/// - F16 GGUF vs llama.cpp: 2e-3 (measured 1.1e-3: llama.cpp rounds activations to f16 for F16 weights, we keep f32).
/// - quantized GGUF vs llama.cpp: 0.1 (measured q4_k_m 1.4e-6, q8_0 4.8e-7, q5_1 3.8e-3, q4_0 8.3e-3, q4_1 1.7e-2,
///   q5_0 4.1e-2, q5_k_m 6.7e-2). Our quantized matmuls equal llama.cpp's to 4e-7 on the same inputs (matmulParity),
///   but RMSNorm, SiLU·up and the attention output differ from ggml's by 1-2 ulp, and now and then such an input
///   sits on a discontinuity of the activation quantizer (q at k + 0.5, the f16 rounding of a Q8_0/Q8_1 block scale
///   d or of Q8_1's s): one flipped rounding moves the log-probs by 0.02-0.1 at that position (and at every later one
///   when it lands in a K/V row). Where that happens is chance, so the bound is the size of one such event, not the
///   luck of each file (q4_k_m and q8_0 hit none); matmulParity is the tight check of the quantized arithmetic.
func logprobTolerance(_ model: LoadedModel, reference: String) -> Float {
    let types = Set(model.tensorSummary.map(\.type))
    if !types.isSubset(of: [.f32, .f16, .bf16]) { return 0.1 }
    if types.contains(.f16) && reference.hasPrefix("llama.cpp") { return 2e-3 }
    return 1e-3
}

/// Every matmuls-*.json under Tests/Fixtures/models, as "case/file".
func matmulFiles() -> [String] {
    let fm = FileManager.default
    let cases = (try? fm.contentsOfDirectory(atPath: fixturesRoot.path)) ?? []
    return cases.sorted().flatMap { c in
        ((try? fm.contentsOfDirectory(atPath: fixturesRoot.appendingPathComponent(c).path)) ?? [])
            .filter { $0.hasPrefix("matmuls-") && $0.hasSuffix(".json") }.sorted().map { "\(c)/\($0)" }
    }
}

struct MatmulReference: Decodable {
    struct Entry: Decodable { let weight: String; let type: String; let tokens: Int; let k: Int; let n: Int; let x_offset: Int; let y_offset: Int }
    let reference: String
    let model: String
    let data: String
    let matmuls: [Entry]
}

/// The tight check under the greedy one: llama.cpp's own quantized matmuls (x recorded at its prefill, one per weight
/// type, made by make_gguf.py) through MatMul.run. Same inputs, so the activation blocks must come out identical and
/// only float summation order is left (measured <= 4e-7 of max |y|; one activation rounding flip moves y by 1e-4..1e-3).
let matmulParityTolerance: Float = 2e-6

@Test(arguments: matmulFiles())
func matmulParity(_ file: String) throws {
    let url = fixturesRoot.appendingPathComponent(file)
    let ref = try JSONDecoder().decode(MatmulReference.self, from: Data(contentsOf: url))
    let dir = url.deletingLastPathComponent()
    let gguf = try GGUFFile(path: dir.appendingPathComponent(ref.model).path)
    let blob = try Data(contentsOf: dir.appendingPathComponent(ref.data))
    let floats: [Float] = blob.withUnsafeBytes { raw in (0..<blob.count / 4).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
    let pool = ThreadPool(threads: 2, kernels: .test), scratch = MatMulScratch()
    #expect(!ref.matmuls.isEmpty)
    for m in ref.matmuls {
        let info = try #require(gguf.tensor(named: m.weight))
        #expect("\(info.type)".uppercased() == m.type && info.ne == [m.k, m.n], "\(file): \(m.weight)")
        let w = WeightMatrix(type: info.type, rows: m.n, cols: m.k, data: gguf.data(for: info).baseAddress!)
        let x = Array(floats[m.x_offset..<(m.x_offset + m.tokens * m.k)])
        let expected = floats[m.y_offset..<(m.y_offset + m.tokens * m.n)]
        var y = [Float](repeating: 0, count: m.tokens * m.n)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { MatMul.run(w, xp.baseAddress!, $0.baseAddress!, tokens: m.tokens, pool: pool, scratch: scratch) }
        }
        let scale = expected.map { abs($0) }.max()!
        let worst = zip(y, expected).map { abs($0 - $1) }.max()!
        #expect(worst <= matmulParityTolerance * scale, "\(file): \(m.weight) (\(m.type)) max |dy| \(worst / scale) of max |y|")
    }
}
