// What every generating endpoint shares: admission through the backend (refusals become APIErrors), the
// event loop with its deadline, metrics, and bodies that stop generating when the client goes away.
import Foundation
import R1Formats
import Hummingbird
import NIOCore
import R1Constrain
import R1Runtime

struct GenerationService: Sendable {
    let backend: any InferenceBackend
    let metrics: ServerMetrics
    let configuration: ServerConfiguration
    /// Compiled response formats, by their JSON text (a repeated schema costs a lookup).
    var grammars = GrammarCache()

    struct Started: Sendable {
        var handle: GenerationHandle
        var start: ContinuousClock.Instant
    }

    /// Admits a generation or throws the 4xx / 429 the backend's refusal maps to.
    func start(_ prompt: PromptInput, _ options: GenerationOptions, defaultMaxTokens: Int, style: APIError.Style = .openAI) throws(APIError) -> Started {
        var parameters = GenerationParameters(maxTokens: options.maxTokens ?? defaultMaxTokens, sampling: options.sampling, stop: options.stop)
        parameters.sampling.logprobs = options.logprobs ? max(options.topLogprobs, 0) : 0
        parameters.grammar = try grammars.grammar(options.format, style: style)
        parameters.reusePromptCache = options.cachePrompt
        var request = ServerGenerationRequest(prompt: prompt, parameters: parameters, thinkingBudget: options.thinkingBudget,
                                              timeout: configuration.requestTimeout)
        request.templateKwargs = options.templateKwargs
        let start = ContinuousClock.now
        do {
            return Started(handle: try backend.generate(request), start: start)
        } catch let e as BackendError {
            if case .overloaded = e { metrics.rejectedOverloaded() }
            var error = APIError(e)
            error.style = style
            throw error
        } catch {
            var e = APIError(.internalServerError, "\(error)", type: "server_error")
            e.style = style
            throw e
        }
    }

    /// Admits `options.n` generations of one prompt (choice i seeded seed + i when a seed is given). When one is
    /// refused, the ones already admitted are dropped (dropping a handle's stream cancels it) and the refusal thrown.
    func startChoices(_ prompt: PromptInput, _ options: GenerationOptions, defaultMaxTokens: Int,
                      style: APIError.Style = .openAI) throws(APIError) -> [Started] {
        var started: [Started] = []
        for i in 0..<max(1, options.n) {
            var o = options
            if let seed = o.sampling.seed { o.sampling.seed = seed &+ UInt64(i) }
            started.append(try start(prompt, o, defaultMaxTokens: defaultMaxTokens, style: style))
        }
        return started
    }

    /// Runs every choice at once (they decode in one batch): `onText(choice, delta, tokens)` as text comes,
    /// `onFinish(choice, accumulated)` as each ends. Returns the accumulators in choice order.
    func runChoices(_ choices: [Started], keepTokens: Bool,
                    onText: @escaping @Sendable (Int, TextDelta, ArraySlice<GeneratedToken>) async -> Void = { _, _, _ in },
                    onFinish: @escaping @Sendable (Int, GenerationAccumulator) async -> Void = { _, _ in })
        async throws -> [GenerationAccumulator]
    {
        if choices.count == 1 {
            let acc = try await run(choices[0], keepTokens: keepTokens) { await onText(0, $0, $1) }
            await onFinish(0, acc)
            return [acc]
        }
        return try await withThrowingTaskGroup(of: (Int, GenerationAccumulator).self) { group in
            for (i, c) in choices.enumerated() {
                group.addTask {
                    let acc = try await run(c, keepTokens: keepTokens) { await onText(i, $0, $1) }
                    await onFinish(i, acc)
                    return (i, acc)
                }
            }
            var out = [GenerationAccumulator?](repeating: nil, count: choices.count)
            for try await (i, acc) in group { out[i] = acc }
            return out.map { $0! }
        }
    }

    /// Runs a started generation to its end, calling `onText` with each piece of text and the tokens since the last.
    func run(_ started: Started, keepTokens: Bool,
             onText: (TextDelta, ArraySlice<GeneratedToken>) async -> Void) async throws -> GenerationAccumulator {
        var acc = GenerationAccumulator(keepTokens: keepTokens)
        var firstToken: Double?
        var sentTokens = 0
        var failure: (any Error)?
        do {
            for try await event in EventStreams.limited(started.handle.events, seconds: configuration.requestTimeout) {
                if case .token = event, firstToken == nil { firstToken = (ContinuousClock.now - started.start) / .seconds(1) }
                let delta = acc.consume(event)
                if !delta.isEmpty {
                    await onText(delta, acc.tokens[sentTokens...])
                    sentTokens = acc.tokens.count
                }
            }
        } catch is GenerationTimeout {
            acc.timedOut = true
        } catch {
            failure = error
        }
        let cancelled = Task.isCancelled || acc.timedOut
        let decodeRate: Double? = acc.stats.map(\.generateTokensPerSecond)
        metrics.generation(promptTokens: started.handle.promptTokens, completionTokens: acc.completionTokens,
                           reasoningTokens: acc.reasoningTokens, timeToFirstToken: firstToken,
                           decodeTokensPerSecond: decodeRate, cancelled: cancelled)
        if let failure { throw failure }
        if Task.isCancelled { throw CancellationError() }
        return acc
    }

    /// A streaming body fed by `produce` in its own task; the task is cancelled when the client disconnects
    /// (the channel closes) or a write fails, which cancels the generation.
    static func streamingBody(channel: (any Channel)?,
                              produce: @escaping @Sendable (AsyncStream<ByteBuffer>.Continuation) async -> Void) -> ResponseBody {
        ResponseBody { writer in
            let (chunks, sink) = AsyncStream<ByteBuffer>.makeStream()
            let producer = Task {
                await produce(sink)
                sink.finish()
            }
            let unwatch = await HangUpHandler.watch(channel) { producer.cancel() }
            defer { unwatch() }
            do {
                for await chunk in chunks { try await writer.write(chunk) }
                try await writer.finish(nil)
            } catch {
                producer.cancel()
                throw error
            }
        }
    }

    /// Runs `body` in a task that is cancelled when the client disconnects.
    static func cancellingOnDisconnect<T: Sendable>(_ channel: (any Channel)?, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let unwatch = await HangUpHandler.watch(channel) { task.cancel() }
        defer { unwatch() }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }

    func logprobsJSON(_ tokens: ArraySlice<GeneratedToken>) -> JSONOut {
        func entry(_ text: String, _ logprob: Float) -> [(String, JSONOut)] {
            [("token", .string(text)), ("logprob", .double(Double(logprob))), ("bytes", .array(text.utf8.map { .int(Int($0)) }))]
        }
        let content: [JSONOut] = tokens.map { t in
            let text = backend.tokenText(t.id)
            return .object(entry(text, t.logprob) + [("top_logprobs", .array(t.top.map { .object(entry(backend.tokenText($0.id), $0.logprob)) }))])
        }
        return .object([("content", .array(content)), ("refusal", .null)])
    }
}
