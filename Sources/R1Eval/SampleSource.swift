// Where samples come from: the local engine (batched through R1Runtime's BatchScheduler) or an OpenAI-compatible
// endpoint (EndpointClient). Either way one call is one seeded sample of one user message.
import Foundation
import R1Formats
import R1Runtime
import R1Sampling

/// Sampling settings of a run (R1's recommendation by default: temperature 0.6, top-p 0.95).
public struct EvalSampling: Sendable, Equatable {
    public var temperature: Float = 0.6
    public var topP: Float = 0.95
    public var maxTokens: Int = 32768
    public init(temperature: Float = 0.6, topP: Float = 0.95, maxTokens: Int = 32768) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
    }

    /// The sampling fields of a run's identity in a results file (`r1 eval run`, `r1 train distill`): a rerun with
    /// the same fields resumes, another is refused. The order and spelling are part of existing files.
    public func identityFields(seed: UInt64) -> [(String, JSONOut)] {
        [("temperature", .double(Double(temperature))), ("top_p", .double(Double(topP))), ("max_tokens", .int(maxTokens)),
         ("seed", .string(String(seed)))]
    }
}

/// One generated answer.
public struct GeneratedSample: Sendable, Equatable {
    public var reasoning: String
    public var content: String
    public var reasoningTokens: Int
    public var answerTokens: Int
    /// "stop" or "length".
    public var finishReason: String
    /// What the engine generated before the reasoning/answer split (local samples only; not in results files).
    public var tokens: GeneratedTokens?

    public init(reasoning: String, content: String, reasoningTokens: Int, answerTokens: Int, finishReason: String,
                tokens: GeneratedTokens? = nil) {
        self.reasoning = reasoning
        self.content = content
        self.reasoningTokens = reasoningTokens
        self.answerTokens = answerTokens
        self.finishReason = finishReason
        self.tokens = tokens
    }
}

/// Every generated id (sampled and forced, the stop token included) and their text as the tokens spell it (special
/// tokens other than `<think>` / `</think>` give none): the text after the prompt, before the split trims whitespace
/// around the tags and drops them.
public struct GeneratedTokens: Sendable, Equatable {
    public var ids: [Int]
    public var text: String
    /// Ids the runtime inserted (the thinking budget's or the loop guard's closing), not sampled.
    public var forced: Int

    public init(ids: [Int], text: String, forced: Int) {
        self.ids = ids
        self.text = text
        self.forced = forced
    }
}

public protocol SampleSource: Sendable {
    /// Where samples come from, for the report ("local: PATH", "endpoint: URL (model)").
    var label: String { get }
    func sample(userMessage: String, seed: UInt64, sampling: EvalSampling) async throws -> GeneratedSample
    /// Frees what the source holds (HTTP connections, the scheduler's thread).
    func shutdown() async
}

/// The local engine through the BatchScheduler: up to `concurrency` sequences share every decode step. Settings the
/// run does not name (top-k, min-p, repetition penalty) come from the model's generation_config, as `r1 serve` does.
public final class LocalSource: SampleSource {
    public let engine: Engine
    public let label: String
    private let scheduler: BatchScheduler

    public init(engine: Engine, label: String, concurrency: Int) throws {
        guard engine.formatter != nil else { throw EvalError("\(label): the model has no tokenizer, so it cannot take questions") }
        self.engine = engine
        self.label = label
        scheduler = BatchScheduler(engine: engine, configuration: .init(maxBatch: max(1, concurrency), maxQueue: max(1, concurrency) * 4 + 8))
    }

    deinit { scheduler.shutdown() }

    public func shutdown() async { scheduler.shutdown() }

    public func sample(userMessage: String, seed: UInt64, sampling: EvalSampling) async throws -> GeneratedSample {
        let g = engine.generationConfig
        var p = SamplingParameters()
        p.temperature = sampling.temperature
        p.topP = sampling.topP
        p.topK = g?.topK ?? 0
        p.minP = g?.minP.map(Float.init) ?? 0
        p.repetitionPenalty = g?.repetitionPenalty.map(Float.init) ?? 1
        p.seed = seed
        let request = GenerationRequest.chat(messages: [PromptFormatter.userMessage(userMessage)])
        var parameters = GenerationParameters(maxTokens: sampling.maxTokens, sampling: p)
        // the context bounds the completion, as the server does
        let promptTokens = try engine.prepare(request, parameters: parameters).ids.count
        parameters.maxTokens = max(1, min(parameters.maxTokens, engine.contextLength - promptTokens))
        var reasoning = "", content = ""
        var stats = GenerationStats()
        var tokens = GeneratedTokens(ids: [], text: "", forced: 0)
        for try await event in scheduler.generate(request, parameters: parameters) {
            switch event {
            case .reasoning(let s): reasoning += s
            case .content(let s): content += s
            case .done(let s): stats = s
            case .token(let t):
                tokens.ids.append(t.id)
                tokens.text += t.text
                if t.forced { tokens.forced += 1 }
            }
        }
        return GeneratedSample(reasoning: reasoning, content: content, reasoningTokens: stats.reasoningTokens,
                               answerTokens: stats.contentTokens,
                               finishReason: stats.finishReason == .stop ? "stop" : stats.finishReason.rawValue, tokens: tokens)
    }
}
