// The engine: a model, its tokenizer and template, and the generation loop (prefill, then one token at a time),
// exposed as one AsyncThrowingStream of GenerationEvents. Keeps the last sequence's cache and reuses its longest
// common prefix with the next prompt, so a conversation only recomputes its new tail.
import Foundation
import R1Constrain
import R1Formats
import R1Kernels
import R1Models
import R1Sampling
import R1Tokenizer
import Synchronization

public final class Engine: @unchecked Sendable {
    public let model: any LanguageModel
    /// The checkpoint, when the engine was loaded from one.
    public let loaded: LoadedModel?
    /// Tokenizer and chat template; nil when the model carries no tokenizer (then only prompt ids work).
    public let formatter: PromptFormatter?
    /// Sampling defaults and EOS ids shipped with the model.
    public let generationConfig: GenerationConfig?
    /// Tokens that end generation by default (the model's EOS ids).
    public var eosTokenIds: Set<Int>
    /// The threads forward passes run on, shared with a BatchScheduler over this engine (one caller at a time).
    let pool: ThreadPool
    private let poolLock = NSLock()
    /// The element type of every cache the engine and its schedulers make.
    public let cacheType: KVCacheType
    private let lock = NSLock()
    private var slot: (any SequenceSlot)?
    private var cachedIds: [Int] = []
    /// The vocabulary grammar masks are computed over (`constraintVocabulary()`), built on first use.
    let vocabularyCache = Mutex<Vocabulary?>(nil)

    public convenience init(model: LoadedModel, threads: Int = ThreadPool.defaultThreadCount,
                            cacheType: KVCacheType = .f16, kernels: KernelPolicy = .best) throws {
        let hasTokenizer = model.gguf.map { $0.metadata["tokenizer.ggml.tokens"] != nil }
            ?? FileManager.default.fileExists(atPath: (model.path as NSString).appendingPathComponent("tokenizer.json"))
        try model.model.validate(cacheType: cacheType)
        let formatter = hasTokenizer ? try PromptFormatter(path: model.path) : nil
        var eos = Set(model.generationConfig?.eosTokenId ?? [])
        if let g = model.gguf, let e = g.int("tokenizer.ggml.eos_token_id") { eos.insert(e) }
        if let c = model.hfConfig, let e = c.intOrList("eos_token_id") { eos.formUnion(e) }
        self.init(model: model.model, loaded: model, formatter: formatter, eosTokenIds: eos,
                  generationConfig: model.generationConfig, pool: ThreadPool(threads: threads, kernels: kernels),
                  cacheType: cacheType)
    }

    /// An engine over any model (tests use a scripted one); the tokenizer's EOS ids are added to `eosTokenIds`.
    public init(model: any LanguageModel, loaded: LoadedModel? = nil, formatter: PromptFormatter?,
                eosTokenIds: Set<Int> = [], generationConfig: GenerationConfig? = nil,
                pool: ThreadPool = ThreadPool(threads: 1), cacheType: KVCacheType = .f16) {
        self.model = model
        self.pool = pool
        self.cacheType = cacheType
        self.loaded = loaded
        self.formatter = formatter
        self.generationConfig = generationConfig
        self.eosTokenIds = eosTokenIds.union(formatter?.tokenizer.eosIds ?? [])
    }

    public var contextLength: Int { model.contextLength }

    /// Runs `body` on the engine's thread pool, excluding every other caller (the engine's own loop, a scheduler).
    public func withPool<R>(_ body: (ThreadPool) throws -> R) rethrows -> R {
        poolLock.lock()
        defer { poolLock.unlock() }
        return try body(pool)
    }
    public var vocabSize: Int { model.vocabSize }

    // MARK: - prompts

    /// The prompt ids a request runs with. A thinking budget of 0 closes thinking in the prompt
    /// (`<think>\n\n</think>\n\n`).
    public func prepare(_ request: GenerationRequest, parameters: GenerationParameters) throws -> PreparedPrompt {
        var prompt: PreparedPrompt
        switch request {
        case .chat(let messages, let extra):
            guard let f = formatter else { throw GenerationError("the model has no tokenizer; give prompt ids") }
            let p = try f.chatPrompt(messages: messages, extra: extra)
            if parameters.thinkingBudget == 0 && p.opensThinking {
                return PreparedPrompt(ids: f.tokenizer.encode(p.text + "\n</think>\n\n"), opensThinking: false)
            }
            prompt = PreparedPrompt(ids: p.ids, opensThinking: p.opensThinking)
        case .text(let text):
            guard let f = formatter else { throw GenerationError("the model has no tokenizer; give prompt ids") }
            let ids = f.rawPrompt(text).ids
            prompt = PreparedPrompt(ids: ids, opensThinking: opensThinking(ids))
        case .promptIds(let ids):
            prompt = PreparedPrompt(ids: ids, opensThinking: opensThinking(ids))
        case .prepared(let p):
            return p
        }
        if parameters.thinkingBudget == 0 && prompt.opensThinking, let t = formatter?.tokenizer {
            prompt.ids += t.encode("\n</think>\n\n")
            prompt.opensThinking = false
        }
        return prompt
    }

    /// Whether `ids` end inside an open `<think>` (the tag, then only whitespace).
    func opensThinking(_ ids: [Int]) -> Bool {
        guard let f = formatter, f.thinkId != nil, ids.allSatisfy({ $0 >= 0 && $0 < f.tokenizer.vocabularySize }) else { return false }
        let tail = f.tokenizer.decode(Array(ids.suffix(8))).trimmingCharacters(in: .whitespacesAndNewlines)
        return tail.hasSuffix(ThinkSplitter.open)
    }

    /// Checks a prompt against the vocabulary and the context before any work is done.
    public func validate(promptIds: [Int], maxTokens: Int) throws {
        guard !promptIds.isEmpty else { throw GenerationError("the prompt is empty") }
        if let bad = promptIds.first(where: { $0 < 0 || $0 >= vocabSize }) {
            throw GenerationError("prompt token id \(bad) is outside the vocabulary (0..<\(vocabSize))")
        }
        guard promptIds.count < contextLength else {
            throw GenerationError("the prompt has \(promptIds.count) tokens, more than the context length \(contextLength) allows (at least one more token is needed to generate)")
        }
        guard maxTokens > 0 else { throw GenerationError("max tokens must be positive, got \(maxTokens)") }
    }

    // MARK: - generation

    /// Streams the generation for `request`. Cancelling the consuming task stops decoding within one token.
    public func generate(_ request: GenerationRequest, parameters: GenerationParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let cancelled = CancelFlag()
        continuation.onTermination = { _ in cancelled.set() }
        let thread = Thread { [self] in
            do {
                let stats = try self.run(request, parameters: parameters, cancelled: cancelled) { continuation.yield($0) }
                continuation.yield(.done(stats))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return stream
    }

    /// The generation loop, synchronous; `emit` receives every event but `.done`, whose stats are returned.
    func run(_ request: GenerationRequest, parameters: GenerationParameters, cancelled: CancelFlag,
             emit: (GenerationEvent) -> Void) throws -> GenerationStats {
        let prompt = try prepare(request, parameters: parameters)
        try validate(promptIds: prompt.ids, maxTokens: parameters.maxTokens)
        let sampler: Sampler
        do { sampler = try Sampler(parameters: parameters.sampling) } catch { throw GenerationError(error.description) }
        let vocabulary = parameters.grammar == nil ? nil : try constraintVocabulary()
        lock.lock()
        defer { lock.unlock() }
        let (slot, reused) = acquireSlot(for: prompt.ids, reuse: parameters.reusePromptCache)
        var proc = SequenceProcessor(parameters: parameters, tokenizer: formatter?.tokenizer, prompt: prompt,
                                     eosIds: eosTokenIds, contextLeft: slot.cache.capacity - prompt.ids.count,
                                     vocabulary: vocabulary)
        let t0 = DispatchTime.now().uptimeNanoseconds
        var logits = withPool { slot.forward(Array(prompt.ids[reused...]), pool: $0) }
        cachedIds = prompt.ids
        proc.startDecoding(promptSeconds: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, reused: reused)
        while true {
            if cancelled.isSet { proc.finish(.cancelled, emit: emit); break }
            guard let result = proc.sample(logits: &logits, sampler: sampler) else { proc.finish(.stop, emit: emit); break }
            guard case .feed(let ids) = proc.accept(result, emit: emit) else { break }
            logits = withPool { slot.forward(ids, pool: $0) }
            cachedIds += ids
        }
        var stats = proc.stats
        stats.seed = sampler.seed
        return stats
    }

    /// The kept sequence, its cache cut to its longest common prefix with `ids` (at least one prompt token is left
    /// to run).
    private func acquireSlot(for ids: [Int], reuse: Bool) -> (any SequenceSlot, Int) {
        let s = slot ?? makeSlot(model, cacheType: cacheType)
        slot = s
        let c = s.cache
        var common = 0
        if reuse {
            let limit = min(ids.count - 1, cachedIds.count, c.count)
            while common < limit && ids[common] == cachedIds[common] { common += 1 }
        }
        c.truncate(to: common)
        cachedIds = Array(cachedIds.prefix(common))
        return (s, common)
    }

    /// Drops the kept cache (the next generation starts from scratch).
    public func resetCache() {
        lock.lock()
        defer { lock.unlock() }
        slot?.cache.truncate(to: 0)
        cachedIds = []
    }
}

/// A flag one side sets and the decode loop polls.
public final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    public init() {}
    public func set() { value.store(true, ordering: .relaxed) }
    public var isSet: Bool { value.load(ordering: .relaxed) }
}
