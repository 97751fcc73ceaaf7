// Structured output through Engine and BatchScheduler: the reasoning before </think> is token for token what an
// unconstrained run with the same seed writes, the answer after it is a sentence of the grammar, and it completes
// within the token limit.
import Foundation
import R1Constrain
import R1Kernels
import R1Models
@testable import R1Runtime
import Testing

/// Logits drawn from a hash of the history: at temperature 1 every token has a fair chance, so the grammar does all
/// the work. `closeAt`: after this many tokens past the prompt's <think>, </think> gets almost all the mass.
final class NoiseModel: LanguageModel, @unchecked Sendable {
    let vocabSize = 320
    let contextLength = 4096
    let closeAt: Int?

    init(closeAt: Int? = nil) { self.closeAt = closeAt }

    func validate(cacheType: KVCacheType) throws {}
    func makeCache(capacity: Int?, type: KVCacheType) -> ScriptedCache { ScriptedCache(capacity: capacity ?? contextLength) }
    func makeWorkspace() {}

    func forward(_ segments: [Segment<ScriptedCache>], workspace: Void, pool: ThreadPool) -> [[Float]] {
        segments.map { s in
            s.cache.tokens += s.tokens
            return s.logits == .none ? [] : logits(after: s.cache.tokens)
        }
    }

    func logits(after history: [Int]) -> [Float] {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in history { h = (h ^ UInt64(t)) &* 0x100_0000_01b3 }
        var l = [Float](repeating: 0, count: vocabSize)
        for i in l.indices {
            h = h &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            l[i] = Float(h >> 40) / Float(1 << 24) * 4 - 2
        }
        l[Fixture.eos] = -4  // long enough reasoning to compare
        if let closeAt, let open = history.lastIndex(of: Fixture.think), history.count - open - 1 == closeAt {
            l[Fixture.endThink] = 30
        }
        return l
    }
}

private let personSchema = #"""
    {"type": "object", "properties": {"name": {"type": "string", "maxLength": 6}, "age": {"type": "integer",
     "minimum": 0, "maximum": 120}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3}},
     "required": ["name", "age", "tags"], "additionalProperties": false}
    """#

private func sampled(seed: UInt64, maxTokens: Int = 200, budget: Int? = nil, grammar: Grammar? = nil) -> GenerationParameters {
    var p = GenerationParameters(maxTokens: maxTokens, sampling: .init(temperature: 1, seed: seed), thinkingBudget: budget,
                                 loopGuard: nil)
    p.grammar = grammar
    return p
}

private let thinkingPrompt = Fixture.ids("What is 2+2?") + [Fixture.think]

/// The ids up to and including </think>.
private func reasoningIds(_ o: Outcome) -> [Int] {
    guard let end = o.ids.firstIndex(of: Fixture.endThink) else { return o.ids }
    return Array(o.ids[...end])
}

@Test func reasoningMatchesUnconstrainedRunWithSameSeed() async throws {
    let grammar = try Grammar(jsonSchema: SchemaJSON.parse(personSchema))
    for (closeAt, budget) in [(9, nil), (nil, 14)] as [(Int?, Int?)] {  // the model closes / the budget closes
        for seed: UInt64 in [1, 2, 3] {
            let engine = Engine(model: NoiseModel(closeAt: closeAt), formatter: Fixture.formatter, eosTokenIds: [Fixture.eos])
            let free = try await collect(engine.generate(.promptIds(thinkingPrompt), parameters: sampled(seed: seed, budget: budget)))
            let bound = try await collect(engine.generate(.promptIds(thinkingPrompt),
                                                          parameters: sampled(seed: seed, budget: budget, grammar: grammar)))
            #expect(bound.ids.contains(Fixture.endThink))
            let reasoning = reasoningIds(bound)
            #expect(reasoning.count > 1)
            #expect(Array(free.ids.prefix(reasoning.count)) == reasoning, "seed \(seed)")
            #expect(bound.reasoning == free.reasoning.prefix(bound.reasoning.count) || bound.stats.budgetHit)
            #expect(grammar.accepts(bound.content), "\(bound.content.debugDescription)")
            #expect(bound.stats.finishReason == .stop)
            let json = try JSONSerialization.jsonObject(with: Data(bound.content.utf8)) as? [String: Any]
            #expect(json?["tags"] is [Any])
        }
    }
}

@Test func promptWithoutThinkingIsConstrainedFromTheFirstToken() async throws {
    let grammar = try Grammar(gbnf: #"root ::= "[" [0-9]+ ("," [0-9]+)* "]""#)
    let engine = Engine(model: NoiseModel(), formatter: Fixture.formatter, eosTokenIds: [Fixture.eos])
    for seed: UInt64 in 0..<6 {
        let o = try await collect(engine.generate(.promptIds(Fixture.ids("List:")), parameters: sampled(seed: seed, grammar: grammar)))
        #expect(o.reasoning.isEmpty)
        #expect(grammar.accepts(o.content), "\(o.content.debugDescription)")
        #expect(o.stats.finishReason == .stop)
    }
    // a thinking budget of 0 closes thinking in the prompt: constrained from the first token too
    let budget0 = try await collect(engine.generate(.promptIds(thinkingPrompt), parameters: sampled(seed: 9, budget: 0, grammar: grammar)))
    #expect(grammar.accepts(budget0.content) && budget0.stats.reasoningTokens == 0)
}

@Test func valueCompletesWithinTheTokenLimit() async throws {
    // random tokens never close a string on their own: near the limit only completable tokens are left
    let grammar = try Grammar(jsonSchema: SchemaJSON.parse(#"{"type": "array", "items": {"type": "string"}, "minItems": 2}"#))
    let engine = Engine(model: NoiseModel(), formatter: Fixture.formatter, eosTokenIds: [Fixture.eos])
    for (seed, limit) in [(UInt64(1), 12), (2, 20), (3, 40)] {
        let o = try await collect(engine.generate(.promptIds(Fixture.ids("Go")), parameters: sampled(seed: seed, maxTokens: limit, grammar: grammar)))
        #expect(grammar.accepts(o.content), "\(o.content.debugDescription)")
        #expect(o.stats.generatedTokens <= limit)
    }
}

@Test func batchedSequencesAreConstrainedAfterTheirOwnReasoning() async throws {
    let grammar = try Grammar(jsonSchema: SchemaJSON.parse(personSchema))
    let engine = Engine(model: NoiseModel(closeAt: 7), formatter: Fixture.formatter, eosTokenIds: [Fixture.eos])
    let scheduler = BatchScheduler(engine: engine, configuration: .init(maxBatch: 4))
    defer { scheduler.shutdown() }
    let seeds: [UInt64] = [11, 12, 13, 14, 15, 16]
    let outcomes = try await withThrowingTaskGroup(of: (Int, Outcome, Outcome).self) { group in
        for (i, seed) in seeds.enumerated() {
            group.addTask {
                let free = try await collect(scheduler.generate(.promptIds(thinkingPrompt), parameters: sampled(seed: seed)))
                let bound = try await collect(scheduler.generate(.promptIds(thinkingPrompt), parameters: sampled(seed: seed, grammar: grammar)))
                return (i, free, bound)
            }
        }
        var out: [(Int, Outcome, Outcome)] = []
        for try await r in group { out.append(r) }
        return out
    }
    #expect(outcomes.count == seeds.count)
    for (i, free, bound) in outcomes {
        let reasoning = reasoningIds(bound)
        #expect(reasoning.last == Fixture.endThink)
        #expect(Array(free.ids.prefix(reasoning.count)) == reasoning, "sequence \(i)")
        #expect(grammar.accepts(bound.content), "\(bound.content.debugDescription)")
        #expect(bound.stats.finishReason == .stop)
    }
}

@Test func constrainedGenerationWithoutTokenizerIsAnError() async throws {
    let engine = Engine(model: NoiseModel(), formatter: nil, eosTokenIds: [Fixture.eos])
    await #expect(throws: GenerationError.self) {
        _ = try await collect(engine.generate(.promptIds([1, 2, 3]), parameters: sampled(seed: 1, grammar: Grammar.jsonObject())))
    }
}
