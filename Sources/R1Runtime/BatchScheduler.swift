// Continuous batching for the server: many requests, each with its own cache and sampler, advanced together by one
// batched step per iteration that also carries chunks of new requests' prompts (vLLM's chunked prefill); finished
// and cancelled ones leave at once. Per-token post-processing is Engine's SequenceProcessor.
import Foundation
import R1Constrain
import R1Models
import R1Sampling

public enum SchedulerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Too many requests are waiting; try again later (HTTP 429 / 503).
    case queueFull(limit: Int)
    case shutDown

    public var description: String {
        switch self {
        case .queueFull(let limit): "the server is busy: \(limit) requests are already waiting"
        case .shutDown: "the scheduler has shut down"
        }
    }
}

public final class BatchScheduler: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Most sequences decoding together.
        public var maxBatch: Int
        /// Most requests waiting for a slot; more get `SchedulerError.queueFull`.
        public var maxQueue: Int
        /// Most prompt tokens run per step (with the decoding sequences' tokens), so a long prompt does not stall the
        /// running sequences: larger reads prompts faster, smaller keeps the others' time between tokens short.
        public var prefillChunk: Int
        /// The prompt cache shared across requests: a new sequence starts from its longest cached prefix, and every
        /// sequence leaves its blocks there when it ends. nil: each prompt is read in full.
        public var promptCache: PrefixCache?
        /// KV memory all running sequences may hold together, counted in blocks of `blockTokens` positions: a request
        /// is admitted when its prompt's blocks (and one to grow into) fit beside the others'; a sequence that needs a
        /// block when none is left is preempted (its cache dropped, into the prompt cache when there is one, and
        /// recomputed when memory frees up) or, when it could not fit even alone, finished with "length" and a
        /// reason. nil: no budget (each sequence may fill the context).
        public var kvBudget: CacheSize?
        public var blockTokens: Int
        public init(maxBatch: Int = 8, maxQueue: Int = 64, prefillChunk: Int = 64, promptCache: PrefixCache? = nil,
                    kvBudget: CacheSize? = nil, blockTokens: Int = 16) {
            self.maxBatch = maxBatch
            self.maxQueue = maxQueue
            self.prefillChunk = prefillChunk
            self.promptCache = promptCache
            self.kvBudget = kvBudget
            self.blockTokens = max(1, blockTokens)
        }
    }

    /// A snapshot for health and metrics endpoints.
    public struct Load: Sendable, Equatable {
        public var running: Int
        public var queued: Int
    }

    /// Blocks of the KV budget (nil: no budget) and what the running sequences hold, for metrics.
    public struct Memory: Sendable, Equatable {
        public var budgetBlocks: Int?
        public var usedBlocks: Int
        public var blockTokens: Int
        public var positionBytes: Int
        /// Sequences preempted (dropped and recomputed later) so far.
        public var preemptions: Int
    }

    public let engine: Engine
    public let configuration: Configuration
    private let condition = NSCondition()
    private var queue: [Sequence] = []
    private var running: [Sequence] = []
    /// Blocks the budget allows (nil: no budget) and bytes of one position, from a probe cache of the model.
    public let budgetBlocks: Int?
    private let positionBytes: Int
    private var memoryState = Memory(budgetBlocks: nil, usedBlocks: 0, blockTokens: 16, positionBytes: 0, preemptions: 0)
    private var stopping = false
    private var thread: Thread?

    public init(engine: Engine, configuration: Configuration = Configuration()) {
        self.engine = engine
        self.configuration = configuration
        positionBytes = Self.probePositionBytes(engine.model, type: engine.cacheType)
        switch configuration.kvBudget {
        case .tokens(let n)?: budgetBlocks = n / configuration.blockTokens
        case .bytes(let n)? where positionBytes > 0: budgetBlocks = n / (positionBytes * configuration.blockTokens)
        default: budgetBlocks = nil  // no budget, or a model whose cache size per position is unknown
        }
        memoryState = Memory(budgetBlocks: budgetBlocks, usedBlocks: 0, blockTokens: configuration.blockTokens,
                             positionBytes: positionBytes, preemptions: 0)
        let t = Thread { [self] in self.loop() }  // lives until shutdown()
        t.name = "r1-batch-scheduler"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    public var load: Load { condition.withLock { Load(running: running.count, queued: queue.count) } }

    public var memory: Memory { condition.withLock { memoryState } }

    /// Most positions one sequence may hold under the budget (nil: the context bounds it).
    public var maxSequenceTokens: Int? { budgetBlocks.map { $0 * configuration.blockTokens } }

    private static func probePositionBytes<M: LanguageModel>(_ model: M, type: KVCacheType) -> Int {
        model.makeCache(capacity: 1, type: type).positionBytes
    }

    /// Blocks holding `positions` positions.
    private func blocks(_ positions: Int) -> Int { (positions + configuration.blockTokens - 1) / configuration.blockTokens }

    /// Streams one request's generation, batched with the others. Errors (bad prompt, queue full) end the stream.
    public func generate(_ request: GenerationRequest, parameters: GenerationParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let sequence: Sequence
        do {
            let prompt = try engine.prepare(request, parameters: parameters)
            try engine.validate(promptIds: prompt.ids, maxTokens: parameters.maxTokens)
            if let most = maxSequenceTokens, prompt.ids.count + 1 > most {
                throw GenerationError("the prompt has \(prompt.ids.count) tokens; the server's KV memory budget holds \(most) positions per sequence (at least one more is needed to generate)")
            }
            let sampler: Sampler
            do { sampler = try Sampler(parameters: parameters.sampling) } catch { throw GenerationError(error.description) }
            let vocabulary = parameters.grammar == nil ? nil : try engine.constraintVocabulary()
            sequence = Sequence(prompt: prompt, parameters: parameters, sampler: sampler, continuation: continuation,
                                engine: engine, vocabulary: vocabulary)
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        let cancelled = sequence.cancelled
        continuation.onTermination = { [weak self] _ in
            cancelled.set()
            self?.condition.withLock { self?.condition.signal() }
        }
        let refused: SchedulerError? = condition.withLock {
            if stopping { return .shutDown }
            if queue.count >= configuration.maxQueue { return .queueFull(limit: configuration.maxQueue) }
            queue.append(sequence)
            condition.signal()
            return nil
        }
        if let e = refused { continuation.finish(throwing: e) }
        return stream
    }

    /// Stops the loop; running and queued requests end with `.cancelled` stats.
    public func shutdown() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    // MARK: - the loop

    final class Sequence {
        let prompt: PreparedPrompt
        let sampler: Sampler
        let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
        let cancelled = CancelFlag()
        var processor: SequenceProcessor
        /// Whether it may start from the shared prompt cache.
        let reuse: Bool
        /// The ids its cache must hold before it decodes: the prompt, or after a preemption the prompt and what it
        /// had generated (recomputed).
        var pending: [Int]
        /// Positions of `pending` in the cache.
        var prefilled = 0
        /// Whether decoding started (a recomputed sequence continues where it was).
        var started = false
        /// Blocks of the KV budget it holds.
        var heldBlocks = 0
        /// Prompt positions restored from the shared prompt cache.
        var reused = 0
        /// Tokens fed after the prompt (sampled and forced), in the cache after it.
        var fed: [Int] = []
        var prefillSeconds = 0.0
        var logits: [Float]?

        init(prompt: PreparedPrompt, parameters: GenerationParameters, sampler: Sampler,
             continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation, engine: Engine,
             vocabulary: Vocabulary?) {
            self.prompt = prompt
            self.sampler = sampler
            self.continuation = continuation
            reuse = parameters.reusePromptCache
            pending = prompt.ids
            processor = SequenceProcessor(parameters: parameters, tokenizer: engine.formatter?.tokenizer, prompt: prompt,
                                          eosIds: engine.eosTokenIds, contextLeft: engine.contextLength - prompt.ids.count,
                                          vocabulary: vocabulary)
        }

        var decoding: Bool { prefilled == pending.count }

        func emit(_ e: GenerationEvent) { continuation.yield(e) }

        private var ended = false

        func end(_ reason: FinishReason, detail: String? = nil) {
            if ended { return }
            ended = true
            if !processor.finished { processor.finish(reason, emit: emit) }
            var stats = processor.stats
            if let detail { stats.finishDetail = detail }
            stats.seed = sampler.seed
            continuation.yield(.done(stats))
            continuation.finish()
        }
    }

    private func loop() { loop(engine.model) }

    /// The loop for one model type: the running sequences' caches are the model's own, kept here by sequence.
    private func loop<M: LanguageModel>(_ model: M) {
        let workspace = model.makeWorkspace()
        var caches: [ObjectIdentifier: M.Cache] = [:]
        while true {
            // Admit waiting requests, drop cancelled ones, or sleep when there is nothing to do.
            // (Streams are ended outside the lock: ending one runs its onTermination, which takes the lock.)
            let (batch, dropped, stop): ([Sequence], [Sequence], Bool) = condition.withLock {
                while !stopping && running.isEmpty && queue.isEmpty { condition.wait() }
                if stopping { return (running + queue, [], true) }
                let dropped = queue.filter { $0.cancelled.isSet }
                queue.removeAll { $0.cancelled.isSet }
                while running.count < configuration.maxBatch, let next = queue.first {
                    // memory: the prompt (or what a preempted sequence recomputes) and a block to grow into
                    if let budget = budgetBlocks {
                        let held = running.reduce(0) { $0 + $1.heldBlocks }
                        let need = blocks(next.pending.count + 1)
                        guard held + need <= budget else { break }
                        next.heldBlocks = need
                    }
                    running.append(queue.removeFirst())
                }
                memoryState.usedBlocks = running.reduce(0) { $0 + $1.heldBlocks }
                return (running, dropped, false)
            }
            for s in dropped { s.end(.cancelled) }
            if stop {
                for s in batch { s.end(.cancelled) }
                condition.withLock { running = []; queue = [] }
                return
            }
            var done: [Sequence] = [], preempted: [Sequence] = []
            var held = batch.reduce(0) { $0 + $1.heldBlocks }

            // Sample every decoding sequence (in parallel: each has its own sampler); each then feeds its next token
            // (or forced closing tokens) into this step.
            var segments: [Segment<M.Cache>] = [], owners: [(Sequence, prefill: Bool)] = []
            for s in batch where s.decoding && s.cancelled.isSet { s.end(.cancelled); done.append(s) }
            let sampling = batch.filter { $0.decoding && !$0.cancelled.isSet && $0.logits != nil }
            var results = [SampleResult?](repeating: nil, count: sampling.count)
            results.withUnsafeMutableBufferPointer { out in
                engine.withPool { pool in pool.parallelFor(sampling.count) { i in
                    let s = sampling[i]
                    var logits = s.logits!
                    s.logits = nil  // so a grammar's mask writes into the only copy
                    out[i] = s.processor.sample(logits: &logits, sampler: s.sampler)
                } }
            }
            for (s, result) in zip(sampling, results) {
                guard let result else {  // a grammar completed
                    s.end(.stop)
                    done.append(s)
                    continue
                }
                switch s.processor.accept(result, emit: s.emit) {
                case .finish:
                    s.end(s.processor.stats.finishReason)
                    done.append(s)
                case .feed(let ids):
                    s.fed += ids
                    let cache = caches[ObjectIdentifier(s)]!
                    if let budget = budgetBlocks, case let need = blocks(cache.count + ids.count), need > s.heldBlocks {
                        if held - s.heldBlocks + need > budget {
                            if need > budget {  // it could not fit even alone
                                s.end(.length, detail: "the sequence reached the server's KV memory budget (\(budget * configuration.blockTokens) positions, --kv-memory)")
                                done.append(s)
                            } else {            // recomputed once memory frees up
                                preempted.append(s)
                            }
                            continue
                        }
                        held += need - s.heldBlocks
                        s.heldBlocks = need
                    }
                    segments.append(Segment(tokens: ids, cache: cache))
                    owners.append((s, false))
                }
            }

            // Prompt chunks ride in the same step, oldest first, within the step's prompt-token budget, so a long
            // prompt is read a chunk per step while everyone else keeps decoding.
            var budget = max(1, configuration.prefillChunk)
            for s in batch where !s.decoding && !s.cancelled.isSet && budget > 0 && !preempted.contains(where: { $0 === s }) {
                let cache: M.Cache
                if let c = caches[ObjectIdentifier(s)] { cache = c } else {
                    cache = model.makeCache(capacity: nil, type: engine.cacheType)
                    caches[ObjectIdentifier(s)] = cache
                    // the longest cached prefix, leaving at least the prompt's last token to run for its logits
                    if s.reuse, let shared = configuration.promptCache {
                        s.prefilled = shared.restore(s.pending, limit: s.pending.count - 1, into: cache)
                        if !s.started { s.reused = s.prefilled }
                    }
                }
                let end = min(s.pending.count, s.prefilled + budget)
                budget -= end - s.prefilled
                segments.append(Segment(tokens: Array(s.pending[s.prefilled..<end]), cache: cache,
                                        logits: end == s.pending.count ? .last : .none))
                owners.append((s, true))
            }

            // One batched step: every projection reads the weights once for all of these tokens.
            if !segments.isEmpty {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let logits = engine.withPool { model.forward(segments, workspace: workspace, pool: $0) }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                for (k, (s, prefill)) in owners.enumerated() {
                    guard prefill else { s.logits = logits[k]; continue }
                    s.prefilled += segments[k].tokens.count
                    s.prefillSeconds += seconds
                    if s.decoding {
                        s.logits = logits[k]
                        if !s.started { s.processor.startDecoding(promptSeconds: s.prefillSeconds, reused: s.reused) }
                        s.started = true
                    }
                }
            }
            for s in batch where !s.decoding && s.cancelled.isSet && !preempted.contains(where: { $0 === s }) {
                s.end(.cancelled)
                done.append(s)
            }

            if !done.isEmpty || !preempted.isEmpty {
                let gone = Set((done + preempted).map(ObjectIdentifier.init))
                for s in done + preempted {
                    // what it read and wrote stays in the shared prompt cache for the requests after it (and for its
                    // own recomputation when preempted)
                    if let shared = configuration.promptCache, let cache = caches[ObjectIdentifier(s)] {
                        shared.store(s.prompt.ids + s.fed, from: cache)
                    }
                    s.heldBlocks = 0
                }
                for s in preempted {
                    s.pending = s.prompt.ids + s.fed
                    s.prefilled = 0
                    s.logits = nil
                }
                for id in gone { caches[id] = nil }
                condition.withLock {
                    running.removeAll { gone.contains(ObjectIdentifier($0)) }
                    queue.insert(contentsOf: preempted, at: 0)  // first in line when memory frees up
                    memoryState.preemptions += preempted.count
                    memoryState.usedBlocks = running.reduce(0) { $0 + $1.heldBlocks }
                }
            }
        }
    }
}
