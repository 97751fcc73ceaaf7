// The engine: a loaded model, its thread pool, and the generation loop (prefill, then one token at a time),
// exposed as one AsyncThrowingStream of GenerationEvents.
import Foundation
import R1Kernels
import R1Models
import R1Sampling
import R1Tokenizer
import Synchronization

public final class Engine: @unchecked Sendable {
    public let model: LoadedModel
    public let pool: ThreadPool
    /// Tokenizer and chat template; nil when the model carries no tokenizer (then only prompt ids work).
    public let formatter: PromptFormatter?
    /// Tokens that end generation by default (the model's EOS ids).
    public var eosTokenIds: Set<Int>
    private let lock = NSLock()

    public init(model: LoadedModel, threads: Int = ThreadPool.defaultThreadCount) throws {
        self.model = model
        self.pool = ThreadPool(threads: threads)
        let hasTokenizer = model.gguf.map { $0.metadata["tokenizer.ggml.tokens"] != nil }
            ?? FileManager.default.fileExists(atPath: (model.path as NSString).appendingPathComponent("tokenizer.json"))
        formatter = hasTokenizer ? try PromptFormatter(path: model.path) : nil
        var eos = Set(model.generationConfig?.eosTokenId ?? [])
        if let g = model.gguf, let e = g.int("tokenizer.ggml.eos_token_id") { eos.insert(e) }
        if let c = model.hfConfig, let e = c.intOrList("eos_token_id") { eos.formUnion(e) }
        if let t = formatter?.tokenizer { eos.formUnion(t.eosIds) }
        self.eosTokenIds = eos
    }

    public var contextLength: Int { model.decoder.config.contextLength }
    public var vocabSize: Int { model.decoder.config.vocabSize }

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

    /// Streams the generation for `promptIds`. Cancelling the consuming task stops decoding within one token.
    public func generate(promptIds: [Int], parameters: GenerationParameters) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let cancelled = CancelFlag()
        continuation.onTermination = { _ in cancelled.set() }
        let thread = Thread { [self] in
            do {
                let stats = try self.run(promptIds: promptIds, parameters: parameters, cancelled: cancelled) { event in
                    continuation.yield(event)
                }
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
    public func run(promptIds: [Int], parameters: GenerationParameters, cancelled: CancelFlag = CancelFlag(),
                    emit: (GenerationEvent) -> Void) throws -> GenerationStats {
        try validate(promptIds: promptIds, maxTokens: parameters.maxTokens)
        let sampler = try Sampler(parameters: parameters.sampling)
        lock.lock()
        defer { lock.unlock() }
        let decoder = model.decoder
        let cache = decoder.makeCache()
        let stopIds = parameters.stopTokenIds ?? eosTokenIds
        var stats = GenerationStats()
        stats.promptTokens = promptIds.count
        var history = promptIds
        var textDecoder = formatter?.tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
        let t0 = DispatchTime.now().uptimeNanoseconds
        var logits = decoder.forward(promptIds, cache: cache, pool: pool)
        let t1 = DispatchTime.now().uptimeNanoseconds
        stats.promptSeconds = Double(t1 - t0) / 1e9
        stats.finishReason = .length
        while stats.generatedTokens < parameters.maxTokens {
            if cancelled.isSet { stats.finishReason = .cancelled; break }
            let result = logits.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, history: history) }
            stats.generatedTokens += 1
            history.append(result.token)
            let piece = textDecoder?.feed(result.token) ?? ""
            emit(.token(GeneratedToken(id: result.token, logprob: result.logprob, top: result.top, text: piece)))
            if stopIds.contains(result.token) { stats.finishReason = .stop; break }
            if stats.generatedTokens >= parameters.maxTokens { break }
            if cache.count >= cache.capacity { break }
            logits = decoder.forward([result.token], cache: cache, pool: pool)
        }
        stats.generateSeconds = Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
        return stats
    }
}

/// A flag one side sets and the decode loop polls.
public final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    public init() {}
    public func set() { value.store(true, ordering: .relaxed) }
    public var isSet: Bool { value.load(ordering: .relaxed) }
}
