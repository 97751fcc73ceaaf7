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
        public init(maxBatch: Int = 8, maxQueue: Int = 64, prefillChunk: Int = 64) {
            self.maxBatch = maxBatch
            self.maxQueue = maxQueue
            self.prefillChunk = prefillChunk
        }
    }

    /// A snapshot for health and metrics endpoints.
    public struct Load: Sendable, Equatable {
        public var running: Int
        public var queued: Int
    }

    public let engine: Engine
    public let configuration: Configuration
    private let condition = NSCondition()
    private var queue: [Sequence] = []
    private var running: [Sequence] = []
    private var stopping = false
    private var thread: Thread?

    public init(engine: Engine, configuration: Configuration = Configuration()) {
        self.engine = engine
        self.configuration = configuration
        let t = Thread { [self] in self.loop() }  // lives until shutdown()
        t.name = "r1-batch-scheduler"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    public var load: Load { condition.withLock { Load(running: running.count, queued: queue.count) } }

    /// Streams one request's generation, batched with the others. Errors (bad prompt, queue full) end the stream.
    public func generate(_ request: GenerationRequest, parameters: GenerationParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let sequence: Sequence
        do {
            let prompt = try engine.prepare(request, parameters: parameters)
            try engine.validate(promptIds: prompt.ids, maxTokens: parameters.maxTokens)
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
        var prefilled = 0
        var prefillSeconds = 0.0
        var logits: [Float]?

        init(prompt: PreparedPrompt, parameters: GenerationParameters, sampler: Sampler,
             continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation, engine: Engine,
             vocabulary: Vocabulary?) {
            self.prompt = prompt
            self.sampler = sampler
            self.continuation = continuation
            processor = SequenceProcessor(parameters: parameters, tokenizer: engine.formatter?.tokenizer, prompt: prompt,
                                          eosIds: engine.eosTokenIds, contextLeft: engine.contextLength - prompt.ids.count,
                                          vocabulary: vocabulary)
        }

        var decoding: Bool { prefilled == prompt.ids.count }

        func emit(_ e: GenerationEvent) { continuation.yield(e) }

        private var ended = false

        func end(_ reason: FinishReason) {
            if ended { return }
            ended = true
            if !processor.finished { processor.finish(reason, emit: emit) }
            var stats = processor.stats
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
                while running.count < configuration.maxBatch && !queue.isEmpty { running.append(queue.removeFirst()) }
                return (running, dropped, false)
            }
            for s in dropped { s.end(.cancelled) }
            if stop {
                for s in batch { s.end(.cancelled) }
                condition.withLock { running = []; queue = [] }
                return
            }
            var done: [ObjectIdentifier] = []

            // Sample every decoding sequence (in parallel: each has its own sampler); each then feeds its next token
            // (or forced closing tokens) into this step.
            var segments: [Segment<M.Cache>] = [], owners: [(Sequence, prefill: Bool)] = []
            for s in batch where s.decoding && s.cancelled.isSet { s.end(.cancelled); done.append(ObjectIdentifier(s)) }
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
                    done.append(ObjectIdentifier(s))
                    continue
                }
                switch s.processor.accept(result, emit: s.emit) {
                case .finish:
                    s.end(s.processor.stats.finishReason)
                    done.append(ObjectIdentifier(s))
                case .feed(let ids):
                    segments.append(Segment(tokens: ids, cache: caches[ObjectIdentifier(s)]!))
                    owners.append((s, false))
                }
            }

            // Prompt chunks ride in the same step, oldest first, within the step's prompt-token budget, so a long
            // prompt is read a chunk per step while everyone else keeps decoding.
            var budget = max(1, configuration.prefillChunk)
            for s in batch where !s.decoding && !s.cancelled.isSet && budget > 0 {
                let cache = caches[ObjectIdentifier(s)] ?? model.makeCache(capacity: nil, type: engine.cacheType)
                caches[ObjectIdentifier(s)] = cache
                let end = min(s.prompt.ids.count, s.prefilled + budget)
                budget -= end - s.prefilled
                segments.append(Segment(tokens: Array(s.prompt.ids[s.prefilled..<end]), cache: cache,
                                        logits: end == s.prompt.ids.count ? .last : .none))
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
                        s.processor.startDecoding(promptSeconds: s.prefillSeconds, reused: 0)
                    }
                }
            }
            for s in batch where !s.decoding && s.cancelled.isSet { s.end(.cancelled); done.append(ObjectIdentifier(s)) }

            if !done.isEmpty {
                let gone = Set(done)
                for id in gone { caches[id] = nil }
                condition.withLock { running.removeAll { gone.contains(ObjectIdentifier($0)) } }
            }
        }
    }
}
