// The public vocabulary of generation: parameters in, events out. New options go into GenerationParameters,
// never into a new `generate` overload.
import R1Sampling

public struct GenerationParameters: Sendable {
    /// Most tokens to generate.
    public var maxTokens: Int = 512
    public var sampling = SamplingParameters()
    /// Strings that end generation; never emitted.
    public var stop: [String] = []
    /// Token ids that end generation; nil means the model's EOS ids.
    public var stopTokenIds: Set<Int>? = nil

    public init(maxTokens: Int = 512, sampling: SamplingParameters = SamplingParameters(), stop: [String] = [],
                stopTokenIds: Set<Int>? = nil) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.stopTokenIds = stopTokenIds
    }
}

public enum FinishReason: String, Sendable, Codable {
    case stop, length, cancelled
}

/// One generated token with its log-probabilities in the model's raw distribution.
public struct GeneratedToken: Sendable {
    public var id: Int
    public var logprob: Float
    public var top: [TokenLogprob]
    /// The text this token completes (UTF-8 held back until whole; special tokens such as EOS give "").
    public var text: String
}

public struct GenerationStats: Sendable {
    public var promptTokens = 0
    public var promptSeconds = 0.0
    public var generatedTokens = 0
    public var generateSeconds = 0.0
    public var finishReason: FinishReason = .length
    public init() {}
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
    public var generateTokensPerSecond: Double { generateSeconds > 0 ? Double(generatedTokens) / generateSeconds : 0 }
}

public enum GenerationEvent: Sendable {
    /// A sampled token (always emitted, before its text).
    case token(GeneratedToken)
    /// Text of the chain of thought.
    case reasoning(String)
    /// Text of the answer.
    case content(String)
    case done(GenerationStats)
}

/// A generation error: one line naming the bad value.
public struct GenerationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
