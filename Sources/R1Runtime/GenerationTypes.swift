// The public vocabulary of generation: a request and parameters in, events out. New options go into
// GenerationParameters, never into a new `generate` overload (STYLE.md rule 11).
import R1Constrain
import R1Sampling
import R1Tokenizer

/// What to generate from.
public enum GenerationRequest: Sendable {
    /// Chat messages (OpenAI shape, as JinjaValue) rendered with the model's chat template; `extra` are template
    /// variables (`tools`, `enable_thinking`, ...).
    case chat(messages: [JinjaValue], extra: [String: JinjaValue] = [:])
    /// Text used as is (no template); BOS added as the tokenizer config says.
    case text(String)
    /// Token ids used as is (whether they open `<think>` is read from their last tokens).
    case promptIds([Int])
    /// A prompt already prepared by `Engine.prepare` (the server prepares before admission): run as is.
    case prepared(PreparedPrompt)
}

/// Ends a chain of thought that repeats itself: when the last `ngram` reasoning tokens already occurred
/// `repeats - 1` times within the last `window` reasoning tokens.
public struct LoopGuard: Sendable, Equatable {
    public var ngram: Int
    public var window: Int
    public var repeats: Int
    public init(ngram: Int = 20, window: Int = 2048, repeats: Int = 5) {
        self.ngram = ngram
        self.window = window
        self.repeats = repeats
    }
}

public struct GenerationParameters: Sendable {
    /// Most tokens to generate (forced closing tokens count too).
    public var maxTokens: Int = 512
    public var sampling = SamplingParameters()
    /// Strings that end generation; never emitted, even when split across tokens.
    public var stop: [String] = []
    /// Token ids that end generation; nil means the model's EOS ids (tokenizer, config and generation_config).
    public var stopTokenIds: Set<Int>? = nil
    /// Most reasoning tokens; then `thinkingClosing` and `</think>` are inserted and the model answers.
    /// 0 skips thinking (the prompt gets `<think>\n\n</think>\n\n`); nil is unbounded.
    public var thinkingBudget: Int? = nil
    /// The sentence inserted before `</think>` when the budget or the loop guard ends the reasoning.
    public var thinkingClosing = "\n\nI have thought about this enough; time to write the answer.\n"
    /// nil turns the loop guard off.
    public var loopGuard: LoopGuard? = LoopGuard()
    /// Reuse the engine's KV cache for the longest common prefix with the previous generation.
    public var reusePromptCache = true
    /// Structured output: the answer after the reasoning is a sentence of this grammar (`Grammar(jsonSchema:)`,
    /// `Grammar(gbnf:)`), and generation ends when it is complete. The reasoning stays free; a prompt that does not
    /// open thinking (or a thinking budget of 0) is constrained from the first token. Compile a grammar once and reuse
    /// it: its automaton and token masks are cached inside it.
    public var grammar: Grammar? = nil

    public init(maxTokens: Int = 512, sampling: SamplingParameters = SamplingParameters(), stop: [String] = [],
                stopTokenIds: Set<Int>? = nil, thinkingBudget: Int? = nil, loopGuard: LoopGuard? = LoopGuard()) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.stopTokenIds = stopTokenIds
        self.thinkingBudget = thinkingBudget
        self.loopGuard = loopGuard
    }
}

public enum FinishReason: String, Sendable, Codable {
    /// An EOS / stop token or a stop string.
    case stop
    /// maxTokens or the end of the context.
    case length
    case cancelled
}

/// One generated token with its log-probabilities in the model's raw distribution.
public struct GeneratedToken: Sendable {
    public var id: Int
    /// 0 for a forced token.
    public var logprob: Float
    public var top: [TokenLogprob]
    /// The text this token completes (UTF-8 held back until whole; special tokens such as EOS give "").
    public var text: String
    /// Inserted by the runtime (thinking budget, loop guard), not sampled.
    public var forced: Bool = false

    public init(id: Int, logprob: Float, top: [TokenLogprob], text: String, forced: Bool = false) {
        self.id = id
        self.logprob = logprob
        self.top = top
        self.text = text
        self.forced = forced
    }
}

public struct GenerationStats: Sendable {
    public var promptTokens = 0
    /// Prompt tokens whose keys and values came from the previous generation's cache.
    public var promptTokensReused = 0
    public var promptSeconds = 0.0
    /// Every generated token, forced ones included.
    public var generatedTokens = 0
    public var generateSeconds = 0.0
    /// Sampled tokens of the chain of thought (the one that closes it included).
    public var reasoningTokens = 0
    public var reasoningSeconds = 0.0
    public var contentTokens = 0
    public var contentSeconds = 0.0
    /// Tokens the runtime inserted (the closing sentence and `</think>` of the budget or loop guard); generatedTokens =
    /// reasoningTokens + contentTokens + forcedTokens.
    public var forcedTokens = 0
    public var finishReason: FinishReason = .length
    /// The stop string that ended generation, if one did.
    public var stopString: String? = nil
    /// Thinking was opened and never closed: everything generated is reasoning.
    public var answerMissing = false
    /// The thinking budget ended the reasoning.
    public var budgetHit = false
    /// The loop guard ended the reasoning.
    public var loopDetected = false
    /// The seed the sampler used.
    public var seed: UInt64 = 0
    /// Why generation ended when the reason alone does not say (a "length" at the server's KV memory budget).
    public var finishDetail: String? = nil

    public init() {}
    public var promptTokensPerSecond: Double {
        promptSeconds > 0 ? Double(promptTokens - promptTokensReused) / promptSeconds : 0
    }
    public var generateTokensPerSecond: Double { generateSeconds > 0 ? Double(generatedTokens) / generateSeconds : 0 }
}

public enum GenerationEvent: Sendable {
    /// A generated token (sampled or forced), before its text.
    case token(GeneratedToken)
    /// Text of the chain of thought (never contains the tags).
    case reasoning(String)
    /// Text of the answer (never contains the tags).
    case content(String)
    case done(GenerationStats)
}

/// A generation error: one line naming the bad value.
public struct GenerationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
