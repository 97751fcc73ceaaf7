// Continuous batching: the batched decode step equals single-sequence decoding on every tiny architecture, and
// concurrent requests through the scheduler each get their own greedy continuation and the same post-processing.
import Foundation
import R1Kernels
import R1Models
import Testing
@testable import R1Runtime

/// One decode token per cache in one step; logits (n, vocab).
func decodeStep(_ d: Decoder, _ tokens: [Int], _ caches: [KVCache], _ ws: DecoderWorkspace, _ pool: ThreadPool) -> [Float] {
    d.forward(zip(tokens, caches).map { Segment(tokens: [$0], cache: $1) }, workspace: ws, pool: pool).flatMap { $0 }
}

@Suite struct BatchTests {
    static let models = ["qwen2-tiny", "qwen3-tiny", "llama-tiny", "qwen2-tiny-tied-linear",
                         "qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf", "qwen2-tiny-gguf/qwen2-tiny-f16.gguf"]

    @Test(arguments: models)
    func batchedLogitsEqualSingleSequence(_ name: String) throws {
        let m = try ModelLoader.load(path: Fixture.model(name))
        let pool = ThreadPool(threads: 2, kernels: .test)
        let decoder = try #require(m.decoder)
        let ws = decoder.makeWorkspace()
        let prompts = [[1, 2, 3, 4, 5, 6, 7], [40, 41], [100, 7, 9, 200, 13]]
        let next = [11, 12, 13]
        // Reference: each sequence alone.
        var expected: [[Float]] = []
        for (p, t) in zip(prompts, next) {
            let cache = decoder.makeCache()
            _ = decoder.forward(p, cache: cache, workspace: ws, pool: pool)
            expected.append(decoder.forward([t], cache: cache, workspace: ws, pool: pool))
        }
        let caches = prompts.map { p in
            let c = decoder.makeCache()
            _ = decoder.forward(p, cache: c, workspace: ws, pool: pool)
            return c
        }
        let batched = decodeStep(decoder, next, caches, ws, pool)
        let v = decoder.config.vocabSize
        var worst: Float = 0
        for i in 0..<prompts.count {
            for j in 0..<v { worst = max(worst, abs(batched[i * v + j] - expected[i][j])) }
            #expect(caches[i].count == prompts[i].count + 1)
        }
        #expect(worst <= 1e-5, "max |batched - single| = \(worst)")
        // A second step continues from the batched caches exactly like single decoding.
        let again = decodeStep(decoder, [5, 6, 7], caches, ws, pool)
        for (i, (p, t)) in zip(prompts, next).enumerated() {
            let cache = decoder.makeCache()
            _ = decoder.forward(p + [t], cache: cache, workspace: ws, pool: pool)
            let one = decoder.forward([[5, 6, 7][i]], cache: cache, workspace: ws, pool: pool)
            for j in 0..<v { #expect(abs(again[i * v + j] - one[j]) <= 1e-4) }
        }
    }

    /// A step mixing a decode token, a prompt chunk without logits and a prompt's final chunk equals one forward
    /// per sequence, and the caches continue alike.
    @Test(arguments: ["qwen2-tiny", "qwen3-tiny", "qwen2-tiny-gguf/qwen2-tiny-q8_0.gguf"])
    func mixedPrefillAndDecodeStepEqualsSingleSequence(_ name: String) throws {
        let m = try ModelLoader.load(path: Fixture.model(name))
        let pool = ThreadPool(threads: 2, kernels: .test)
        let decoder = try #require(m.decoder)
        let ws = decoder.makeWorkspace()
        let v = decoder.config.vocabSize
        let a = decoder.makeCache(), b = decoder.makeCache(), c = decoder.makeCache()
        _ = decoder.forward([1, 2, 3, 4], cache: a, workspace: ws, pool: pool)      // a decodes one token
        _ = decoder.forward([9, 8], cache: c, workspace: ws, pool: pool)            // c has read part of its prompt
        let out = decoder.forward([
            Segment(tokens: [5], cache: a),
            Segment(tokens: [30, 31, 32, 33, 34], cache: b, logits: .none),
            Segment(tokens: [7, 6, 5], cache: c),
        ], workspace: ws, pool: pool)
        #expect(out[1].isEmpty && out[0].count == v && out[2].count == v)
        #expect(a.count == 5 && b.count == 5 && c.count == 5)
        let expected = [[1, 2, 3, 4, 5], [30, 31, 32, 33, 34], [9, 8, 7, 6, 5]].map { p in
            decoder.forward(p, cache: decoder.makeCache(), workspace: ws, pool: pool)
        }
        for i in [0, 2] {
            let worst = zip(out[i], expected[i]).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4, "segment \(i): max |batched - single| = \(worst)")
        }
        // every cache continues like a single sequence's
        let next = decodeStep(decoder, [11, 12, 13], [a, b, c], ws, pool)
        for (i, p) in [[1, 2, 3, 4, 5], [30, 31, 32, 33, 34], [9, 8, 7, 6, 5]].enumerated() {
            let one = decoder.forward(p + [11 + i], cache: decoder.makeCache(), workspace: ws, pool: pool)
            let worst = (0..<v).map { abs(next[i * v + $0] - one[$0]) }.max()!
            #expect(worst <= 1e-4, "sequence \(i) after the mixed step: \(worst)")
        }
    }

    @Test func concurrentRequestsGetTheirOwnGreedyContinuation() async throws {
        let loaded = try ModelLoader.load(path: Fixture.model("qwen2-tiny"))
        let engine = try Engine(model: loaded, threads: 2, kernels: .test)
        let prompts = ["What is 2+2?", "Name a colour.", "Tell me a long story about a fox.", "hi"]
        let parameters = greedy(maxTokens: 20) { $0.reusePromptCache = false; $0.thinkingBudget = 6 }
        var expected: [[Int]] = []
        for p in prompts {
            expected.append(try await collect(engine.generate(.chat(messages: [PromptFormatter.userMessage(p)]), parameters: parameters)).ids)
        }
        let scheduler = BatchScheduler(engine: engine, configuration: .init(maxBatch: 3, maxQueue: 8, prefillChunk: 16))
        defer { scheduler.shutdown() }
        let results = try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            for (i, p) in prompts.enumerated() {
                let stream = scheduler.generate(.chat(messages: [PromptFormatter.userMessage(p)]), parameters: parameters)
                group.addTask { (i, try await collect(stream)) }
            }
            var out = [Outcome](repeating: Outcome(), count: prompts.count)
            for try await (i, o) in group { out[i] = o }
            return out
        }
        for (i, o) in results.enumerated() {
            #expect(o.ids == expected[i], "request \(i)")
            #expect(o.stats.budgetHit)
            #expect(o.stats.finishReason == .length)
        }
    }

    @Test func schedulerSharesThePostProcessing() async throws {
        let script = Fixture.ids("r") + [Fixture.endThink] + Fixture.ids("\n\nans STOP x") + [Fixture.eos]
        let engine = scriptedEngine(ScriptedModel(script: script))
        let scheduler = BatchScheduler(engine: engine)
        defer { scheduler.shutdown() }
        let o = try await collect(scheduler.generate(.promptIds(openPrompt), parameters: greedy { $0.stop = ["STOP"] }))
        #expect(o.reasoning == "r")
        #expect(o.content == "ans ")
        #expect(o.stats.stopString == "STOP")
        let b = try await collect(scheduler.generate(.promptIds(openPrompt), parameters: greedy(maxTokens: 100) {
            $0.thinkingBudget = 0
        }))
        #expect(b.reasoning == "")
    }

    @Test func queueFullAndCancellation() async throws {
        let model = ScriptedModel(contextLength: 1 << 40, delay: 0.005) { _ in Fixture.ids("a").first! }
        let engine = scriptedEngine(model)
        let scheduler = BatchScheduler(engine: engine, configuration: .init(maxBatch: 1, maxQueue: 1, prefillChunk: 4))
        defer { scheduler.shutdown() }
        let long = greedy(maxTokens: Int.max) { $0.loopGuard = nil }
        let first = scheduler.generate(.promptIds(openPrompt), parameters: long)
        let firstTask = Task { try await collect(first) }
        #expect(try await waitUntil { scheduler.load.running == 1 })
        let second = scheduler.generate(.promptIds(openPrompt), parameters: long)   // waits in the queue
        let third = scheduler.generate(.promptIds(openPrompt), parameters: long)    // refused
        await #expect(throws: SchedulerError.queueFull(limit: 1)) { _ = try await collect(third) }
        let secondTask = Task { try await collect(second) }
        try await Task.sleep(for: .milliseconds(50))
        firstTask.cancel()
        // The freed slot goes to the queued request; the cancelled one stops running at once.
        #expect(try await waitUntil { scheduler.load.queued == 0 })
        #expect(scheduler.load == .init(running: 1, queued: 0))
        secondTask.cancel()
        #expect(try await waitUntil { scheduler.load.running == 0 })
        #expect(scheduler.load == .init(running: 0, queued: 0))
        let calls = model.calls.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(50))
        #expect(model.calls.load(ordering: .relaxed) == calls)
        _ = await firstTask.result
        _ = await secondTask.result
    }

    @Test func cancelledWhileQueued() async throws {
        let model = ScriptedModel(contextLength: 1 << 40, delay: 0.005) { _ in Fixture.ids("a").first! }
        let scheduler = BatchScheduler(engine: scriptedEngine(model), configuration: .init(maxBatch: 1, maxQueue: 4))
        defer { scheduler.shutdown() }
        let long = greedy(maxTokens: Int.max) { $0.loopGuard = nil }
        // Submitted here, not inside the Tasks: a Task may wait for a thread of the cooperative pool while other
        // tests run long synchronous work on it; the scheduler admits from its own thread.
        let first = scheduler.generate(.promptIds(openPrompt), parameters: long)
        let running = Task { try await collect(first) }
        #expect(try await waitUntil { scheduler.load.running == 1 })
        let second = scheduler.generate(.promptIds(openPrompt), parameters: long)
        let queued = Task { try await collect(second) }
        #expect(try await waitUntil { scheduler.load.queued == 1 })
        queued.cancel()
        #expect(try await waitUntil { scheduler.load.queued == 0 })
        #expect(scheduler.load == .init(running: 1, queued: 0))
        running.cancel()
        #expect(try await waitUntil { scheduler.load.running == 0 })
        #expect(scheduler.load == .init(running: 0, queued: 0))
        _ = await queued.result
        _ = await running.result
    }

    @Test func badRequestsFailTheirStream() async throws {
        let scheduler = BatchScheduler(engine: scriptedEngine(ScriptedModel(script: [Fixture.eos])))
        defer { scheduler.shutdown() }
        await #expect(throws: GenerationError.self) { _ = try await collect(scheduler.generate(.promptIds([999]), parameters: greedy())) }
        await #expect(throws: GenerationError.self) { _ = try await collect(scheduler.generate(.promptIds([]), parameters: greedy())) }
    }
}
