// `r1 generate --cache-type f32` end to end against every fixture reference made in f32 (transformers, and llama.cpp's
// F32/F16 GGUF runs with an F32 KV cache): the same greedy ids, top-1 log-probs within 2e-3.
import Foundation
import Testing

struct CLIReference: Decodable {
    struct LP: Decodable { let id: Int; let logprob: Double }
    let reference: String
    let model: String
    let prompt_ids: [Int]
    let greedy_ids: [Int]
    let top_logprobs: [[LP]]
}

/// "case/file" of every reference whose run was f32 end to end (quantized GGUFs compare against llama.cpp's own
/// quantized activations, with the wider tolerances ParityTests documents).
func f32ReferenceFiles() -> [String] {
    let fm = FileManager.default
    let cases = (try? fm.contentsOfDirectory(atPath: modelsRoot.path)) ?? []
    return cases.sorted().flatMap { c in
        ((try? fm.contentsOfDirectory(atPath: modelsRoot.appendingPathComponent(c).path)) ?? [])
            .filter { $0.hasPrefix("reference") && $0.hasSuffix(".json") }.sorted().map { "\(c)/\($0)" }
    }.filter { f in
        guard let data = try? Data(contentsOf: modelsRoot.appendingPathComponent(f)),
              let ref = try? JSONDecoder().decode(CLIReference.self, from: data) else { return false }
        return ref.reference.hasPrefix("transformers") || ref.model.hasSuffix("-f32.gguf") || ref.model.hasSuffix("-f16.gguf")
    }
}

@Test(arguments: f32ReferenceFiles())
func cliWithF32CacheMatchesTheReference(_ file: String) throws {
    let url = modelsRoot.appendingPathComponent(file)
    let ref = try JSONDecoder().decode(CLIReference.self, from: Data(contentsOf: url))
    let model = url.deletingLastPathComponent().appendingPathComponent(ref.model).standardizedFileURL.path
    let r = try runR1(["generate", model, "--prompt-ids", ref.prompt_ids.map(String.init).joined(separator: ","),
                       "--max-tokens", String(ref.greedy_ids.count), "--temperature", "0", "--logprobs", "5",
                       "--cache-type", "f32", "--context", "256", "--threads", "2", "--json"], timeout: 120)
    #expect(r.status == 0, "\(file): \(r.stderr)")
    let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let ids = try #require(obj["ids"] as? [Int])
    let top = try #require(obj["top_logprobs"] as? [[[String: Any]]])
    // the CLI stops at an EOS the reference ran through; every step it made must match
    #expect(!ids.isEmpty && ids == Array(ref.greedy_ids.prefix(ids.count)), "\(file): \(ids) vs \(ref.greedy_ids)")
    var worst = 0.0
    for (step, expected) in zip(top, ref.top_logprobs) {
        let want = expected[0]
        let got = try #require(step.first { $0["id"] as? Int == want.id }?["logprob"] as? Double,
                               "\(file): reference top token \(want.id) not in the CLI's top 5")
        worst = max(worst, abs(got - want.logprob))
    }
    #expect(worst <= 2e-3, "\(file): max |top-1 log-prob - reference| = \(worst)")
}
