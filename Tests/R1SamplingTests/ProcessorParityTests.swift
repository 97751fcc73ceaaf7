// Processor parity with transformers: Tests/Fixtures/sampling/processors.json from
// scripts/fixtures/make_sampling_fixtures.py (surviving ids, renormalised probs, raw top-5 log-probs).

import Foundation
import Testing

@testable import R1Sampling

/// Probabilities and log-probs agree with transformers within this (float32 softmax, different sum order).
let parityTolerance: Float = 1e-5

struct SamplingFixture: Decodable {
    struct Case: Decodable {
        var ids: [Int]?  // nil: every token survives
        var probs: [Float]?
        var logprobs: [Float]?
    }
    struct Row: Decodable {
        var logits: [Float]
        var history: [Int]
        var cases: [String: Case]
    }
    var transformers: String
    var vocab: Int
    var rows: [Row]

    static let shared: SamplingFixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sampling/processors.json")
        let data = try! Data(contentsOf: url)
        return try! JSONDecoder().decode(SamplingFixture.self, from: data)
    }()
}

/// The surviving set equals the reference and each renormalised p is within `parityTolerance`.
func expectMatches(_ candidates: TokenCandidates, _ expected: SamplingFixture.Case, vocab: Int, _ label: String) {
    let ids = expected.ids ?? Array(0..<vocab)
    let probs = expected.probs!
    let got = candidates.distribution
    #expect(Set(got.keys) == Set(ids), "\(label): surviving ids differ")
    var worst: Float = 0
    for (id, p) in zip(ids, probs) { worst = max(worst, abs((got[id] ?? .nan) - p)) }
    #expect(worst <= parityTolerance, "\(label): max |p - p_hf| = \(worst)")
}

func runChain(_ row: SamplingFixture.Row, _ steps: [any CandidateProcessor], penalty: Float? = nil) -> TokenCandidates {
    var c = TokenCandidates(logits: row.logits)
    if let penalty {
        let p = Penalties(repetition: penalty, window: -1)  // transformers penalises the whole context
        p.apply(to: &c, counts: p.counts(in: row.history))
    }
    for step in steps { step.apply(to: &c) }
    return c
}

@Suite struct ProcessorParity {
    let fixture = SamplingFixture.shared

    @Test func fixtureNamesItsReference() {
        #expect(fixture.transformers.hasPrefix("5."))
        #expect(fixture.rows.count >= 3)
    }

    @Test func repetitionPenalty() {
        for (r, row) in fixture.rows.enumerated() {
            expectMatches(runChain(row, [Softmax()], penalty: 1.3), row.cases["repetition"]!, vocab: fixture.vocab, "row \(r)")
        }
    }

    @Test func temperature() {
        for (r, row) in fixture.rows.enumerated() {
            expectMatches(runChain(row, [Temperature(0.7), Softmax()]), row.cases["temperature"]!, vocab: fixture.vocab, "row \(r)")
        }
    }

    @Test func topK() {
        for (r, row) in fixture.rows.enumerated() {
            expectMatches(runChain(row, [TopK(50), Softmax()]), row.cases["top_k"]!, vocab: fixture.vocab, "row \(r)")
        }
    }

    @Test func topP() {
        for (r, row) in fixture.rows.enumerated() {
            expectMatches(runChain(row, [Softmax(), TopP(0.9)]), row.cases["top_p"]!, vocab: fixture.vocab, "row \(r)")
        }
    }

    @Test func minP() {
        for (r, row) in fixture.rows.enumerated() {
            expectMatches(runChain(row, [Softmax(), MinP(0.05)]), row.cases["min_p"]!, vocab: fixture.vocab, "row \(r)")
        }
    }

    /// The Sampler's own chain against generate()'s order: penalty, temperature, top-k, top-p, min-p.
    @Test func fullChainThroughSampler() throws {
        let params = SamplingParameters(
            temperature: 0.8, topK: 200, topP: 0.9, minP: 0.02, repetitionPenalty: 1.2, penaltyWindow: -1, seed: 1)
        for (r, row) in fixture.rows.enumerated() {
            let sampler = try Sampler(parameters: params)
            let c = row.logits.withUnsafeBufferPointer { sampler.process(logits: $0, history: row.history) }
            expectMatches(c, row.cases["chain"]!, vocab: fixture.vocab, "row \(r)")
            let token = sampler.sample(logits: row.logits, history: row.history).token
            #expect(c.distribution[token] != nil, "row \(r): sampled a filtered token")
        }
    }

    @Test func rawTopLogprobs() throws {
        for (r, row) in fixture.rows.enumerated() {
            let expected = row.cases["raw"]!
            let sampler = try Sampler(parameters: SamplingParameters(temperature: 0.5, topK: 3, repetitionPenalty: 2, seed: 7, logprobs: 5))
            let result = sampler.sample(logits: row.logits, history: row.history)
            #expect(result.top.map(\.id) == expected.ids!, "row \(r)")
            for (got, want) in zip(result.top, expected.logprobs!) {
                #expect(abs(got.logprob - want) <= parityTolerance, "row \(r): id \(got.id) \(got.logprob) vs \(want)")
            }
            // The chosen token's log-prob is in the raw distribution, whatever the chain did.
            let raw = row.logits.withUnsafeBufferPointer { RawDistribution($0) }
            #expect(result.logprob == raw.logprob(ofLogit: row.logits[result.token]))
        }
    }
}
