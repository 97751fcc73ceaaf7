// The scheduler's KV memory budget, in blocks of positions: requests wait for memory as for a slot, a sequence that
// needs a block when none is left is preempted and recomputed (same tokens as without a budget), one that could
// not fit even alone ends with "length" and a reason, and a prompt larger than the budget is refused up front.
import Foundation
import R1Models
import Testing
@testable import R1Runtime

@Suite struct KVBudgetTests {
    /// A model whose next token depends on the history, so a recomputed sequence must continue exactly.
    static func model() -> ScriptedModel {
        ScriptedModel(contextLength: 4096) { h in 40 + (h.reduce(0, &+) % 13) }
    }

    static let parameters = greedy(maxTokens: 25) { $0.loopGuard = nil }
    static let prompts = [Array(1...10), Array(21...30), Array(51...60)]

    func run(_ scheduler: BatchScheduler, _ prompts: [[Int]], _ parameters: GenerationParameters) async throws -> [Outcome] {
        try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            for (i, p) in prompts.enumerated() {
                let stream = scheduler.generate(.promptIds(p), parameters: parameters)
                group.addTask { (i, try await collect(stream)) }
            }
            var out = [Outcome](repeating: Outcome(), count: prompts.count)
            for try await (i, o) in group { out[i] = o }
            return out
        }
    }

    @Test func preemptedSequencesAreRecomputedAndFinishAlike() async throws {
        let free = BatchScheduler(engine: scriptedEngine(Self.model()), configuration: .init(maxBatch: 4))
        defer { free.shutdown() }
        let expected = try await run(free, Self.prompts, Self.parameters)
        for shared in [nil, PrefixCache(capacity: .tokens(1024), blockTokens: 16)] as [PrefixCache?] {
            // 4 blocks of 16: the three fit while each holds one block; growing to two each needs 6
            let tight = BatchScheduler(engine: scriptedEngine(Self.model()),
                                       configuration: .init(maxBatch: 4, prefillChunk: 8, promptCache: shared,
                                                            kvBudget: .tokens(64), blockTokens: 16))
            defer { tight.shutdown() }
            let got = try await run(tight, Self.prompts, Self.parameters)
            for (i, (g, e)) in zip(got, expected).enumerated() {
                #expect(g.ids == e.ids, "request \(i)")
                #expect(g.stats.finishReason == .length && g.stats.finishDetail == nil)
            }
            #expect(tight.memory.preemptions > 0)
            #expect(tight.memory.budgetBlocks == 4)
            #expect(try await waitUntil { tight.memory.usedBlocks == 0 })
        }
    }

    @Test func aSequenceTooLongForTheWholeBudgetEndsWithAReason() async throws {
        let scheduler = BatchScheduler(engine: scriptedEngine(Self.model()),
                                       configuration: .init(kvBudget: .tokens(32), blockTokens: 16))
        defer { scheduler.shutdown() }
        let o = try await collect(scheduler.generate(.promptIds(Array(1...10)), parameters: greedy(maxTokens: 100) { $0.loopGuard = nil }))
        #expect(o.stats.finishReason == .length)
        #expect(o.stats.finishDetail?.contains("KV memory budget") == true)
        #expect(o.ids.count == 32 - 10 + 1)  // positions 0..<32 hold the prompt and 22 fed tokens; the 23rd is sampled
        await #expect(throws: GenerationError.self) {
            _ = try await collect(scheduler.generate(.promptIds(Array(1...40)), parameters: greedy()))
        }
        #expect(scheduler.maxSequenceTokens == 32)
    }

    @Test func budgetInBytesUsesTheModelsPositionSize() throws {
        // the scripted cache keeps one Int per position: 8 bytes
        let scheduler = BatchScheduler(engine: scriptedEngine(Self.model()),
                                       configuration: .init(kvBudget: .bytes(8 * 16 * 5), blockTokens: 16))
        defer { scheduler.shutdown() }
        #expect(scheduler.memory.budgetBlocks == 5)
        #expect(scheduler.memory.positionBytes == 8)
    }
}
