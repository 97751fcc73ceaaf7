// The InferenceBackend over one R1Runtime Engine: chat template and tokenizer, then the runtime's BatchScheduler
// (continuous batching: up to `parallel` sequences share every decode step) behind a bounded admission queue.
import Foundation
import R1Runtime
import R1Sampling
import R1Tokenizer
import Synchronization

public final class EngineBackend: InferenceBackend {
    public let engine: Engine
    public let modelName: String
    private let gate: AdmissionGate
    private let scheduler: BatchScheduler
    /// Seconds one generation took, averaged, for Retry-After.
    private let averageSeconds = Mutex<Double>(5)

    public let defaultSampling: SamplingParameters

    /// `defaultSampling`: what requests that leave a value out get (the CLI passes flags, then generation_config).
    /// `parallel` sequences run at once; `queueCapacity` more wait, and beyond that requests get a 429.
    public let served: ServedModel

    /// The prompt cache shared by every request (nil: off).
    public let promptCache: PrefixCache?

    /// `served` describes the model to Ollama's clients (default: from the engine, no digest). `promptCache`: where
    /// finished requests leave their keys and values for the next ones' common prefixes (nil: every prompt is read
    /// in full).
    public init(engine: Engine, modelName: String, parallel: Int = 1, queueCapacity: Int, defaultSampling: SamplingParameters,
                served: ServedModel? = nil, promptCache: PrefixCache? = nil, kvMemory: CacheSize? = nil) {
        self.promptCache = promptCache
        self.engine = engine
        self.modelName = modelName
        self.served = served ?? .describing(engine, name: modelName, parameters: "", digest: { "" })
        self.defaultSampling = defaultSampling
        let slots = max(1, parallel)
        self.gate = AdmissionGate(slots: slots, queueCapacity: queueCapacity)
        // The gate admits at most `slots` at a time, so the scheduler's own queue never fills.
        self.scheduler = BatchScheduler(engine: engine, configuration: .init(maxBatch: slots, maxQueue: slots + 1,
                                                                                promptCache: promptCache, kvBudget: kvMemory))
    }

    deinit { scheduler.shutdown() }

    public var contextLength: Int { engine.contextLength }
    public var toolCallFormat: ToolCallFormat { engine.formatter?.toolCallFormat ?? .fallback }
    public var load: BackendLoad {
        var load = gate.load
        let m = scheduler.memory
        let blockBytes = m.blockTokens * m.positionBytes
        var caches = CacheFigures(kvBudgetBytes: m.budgetBlocks.map { $0 * blockBytes })
        caches.kvUsedBytes = m.usedBlocks * blockBytes
        caches.preemptions = m.preemptions
        if let s = promptCache?.statistics {
            var p = CacheFigures.PromptCacheFigures()
            (p.bytes, p.lookups, p.hits, p.hitTokens, p.evictedBlocks) = (s.bytes, s.lookups, s.hits, s.hitTokens, s.evictedBlocks)
            caches.promptCache = p
        }
        load.caches = caches
        return load
    }
    /// The KV budget and what the running sequences hold.
    public var memory: BatchScheduler.Memory { scheduler.memory }


    public func tokenText(_ id: Int) -> String {
        engine.formatter?.tokenizer.decode([id]) ?? String(id)
    }

    public func generate(_ request: ServerGenerationRequest) throws -> GenerationHandle {
        guard engine.formatter != nil else {
            throw BackendError.unsupported("the model has no tokenizer, so it cannot take text prompts")
        }
        // prepared once, as the CLI prepares it: the budget-0 close and whether it opens thinking travel with the ids
        let prompt: PreparedPrompt
        var budget = GenerationParameters()
        budget.thinkingBudget = request.thinkingBudget
        switch request.prompt {
        case .chat(let messages, let tools):
            var extra = request.templateKwargs
            if !tools.isEmpty { extra["tools"] = .array(tools) }
            do { prompt = try engine.prepare(.chat(messages: messages, extra: extra), parameters: budget) } catch {
                throw BackendError.invalid("\(error)", param: "messages")
            }
        case .text(let text):
            prompt = try engine.prepare(.text(text), parameters: budget)
        }
        guard !prompt.ids.isEmpty else { throw BackendError.invalid("the prompt is empty", param: "prompt") }
        guard prompt.ids.count < contextLength else {
            throw BackendError.promptTooLong(promptTokens: prompt.ids.count, contextLength: contextLength)
        }
        if let most = scheduler.maxSequenceTokens, prompt.ids.count >= most {
            throw BackendError.invalid("the prompt has \(prompt.ids.count) tokens; the server's KV memory budget (--kv-memory) holds \(most) positions per sequence", param: "messages")
        }
        var parameters = request.parameters
        // the context bounds the completion: OpenAI-compatible servers cut at the context with finish_reason "length"
        parameters.maxTokens = min(parameters.maxTokens, contextLength - prompt.ids.count)
        if let bad = parameters.sampling.logitBias.keys.first(where: { $0 >= engine.vocabSize }) {
            throw BackendError.invalid("logit_bias names token \(bad), outside the vocabulary (0..<\(engine.vocabSize))",
                                       param: "logit_bias")
        }
        do { try parameters.sampling.validate() } catch {
            throw BackendError.invalid("\(error)", param: nil)
        }
        parameters.thinkingBudget = request.thinkingBudget
        guard let ticket = gate.admit() else {
            let load = gate.load
            let wait = averageSeconds.withLock { $0 } * Double(load.waiting + load.running) / Double(load.slots)
            throw BackendError.overloaded(retryAfter: max(1, Int(wait.rounded(.up))))
        }
        let ids = prompt.ids
        let (events, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let task = Task { [self] in
            do {
                try await self.gate.acquire(ticket)
            } catch {
                continuation.finish(throwing: error)
                return
            }
            let start = ContinuousClock.now
            defer {
                self.gate.release()
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                self.averageSeconds.withLock { $0 = 0.8 * $0 + 0.2 * seconds }
            }
            do {
                for try await event in self.scheduler.generate(.prepared(prompt), parameters: parameters) {
                    continuation.yield(event)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return GenerationHandle(promptTokens: ids.count, opensThinking: prompt.opensThinking, events: events)
    }
}
