// Sampling settings for one sequence and their validation; names and meanings follow llama.cpp / OpenAI / transformers.

/// How to turn one step's logits into a token. Every field's "off" value is its default.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 = greedy (argmax of the penalised logits, ties to the lowest id).
    public var temperature: Float = 1
    /// Keep the `topK` best tokens; 0 = off.
    public var topK: Int = 0
    /// Nucleus: keep the smallest best-first prefix with mass >= `topP`; 1 = off.
    public var topP: Float = 1
    /// Keep tokens with p >= minP * p(best); 0 = off.
    public var minP: Float = 0
    /// HF / llama.cpp: logit > 0 ? logit / penalty : logit * penalty, once per token in the window; 1 = off.
    public var repetitionPenalty: Float = 1
    /// OpenAI: logit -= presencePenalty when the token occurs in the window.
    public var presencePenalty: Float = 0
    /// OpenAI: logit -= frequencyPenalty * occurrences in the window.
    public var frequencyPenalty: Float = 0
    /// The last N history tokens the penalties look at (llama.cpp `repeat_last_n`); -1 = whole history, 0 = none.
    public var penaltyWindow: Int = 64
    /// nil = a seed drawn from the system generator.
    public var seed: UInt64? = nil
    /// How many best alternatives of the raw distribution to report per step (0 ... 20).
    public var logprobs: Int = 0
    /// OpenAI's logit_bias: added to a token's logit before the penalties and the chain (-100 bans it, 100 all but
    /// forces it); ids outside the vocabulary are ignored here (the server refuses them).
    public var logitBias: [Int: Float] = [:]

    public init(
        temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
        repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
        penaltyWindow: Int = 64, seed: UInt64? = nil, logprobs: Int = 0
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.penaltyWindow = penaltyWindow
        self.seed = seed
        self.logprobs = logprobs
    }

    /// Temperature 0, everything else off.
    public static let greedy = SamplingParameters(temperature: 0)

    public static let maxLogprobs = 20

    /// Throws `SamplingError.invalidParameter` naming the first bad value.
    public func validate() throws(SamplingError) {
        func fail(_ message: String) -> SamplingError { .invalidParameter(message) }
        guard temperature >= 0, temperature.isFinite else {  // also rejects NaN
            throw fail("temperature must be >= 0, got \(temperature)")
        }
        guard topK >= 0 else { throw fail("topK must be >= 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw fail("topP must be in (0, 1], got \(topP)") }
        guard minP >= 0, minP <= 1 else { throw fail("minP must be in [0, 1], got \(minP)") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw fail("repetitionPenalty must be > 0, got \(repetitionPenalty)")
        }
        guard presencePenalty.isFinite else { throw fail("presencePenalty must be finite, got \(presencePenalty)") }
        guard frequencyPenalty.isFinite else { throw fail("frequencyPenalty must be finite, got \(frequencyPenalty)") }
        guard penaltyWindow >= -1 else { throw fail("penaltyWindow must be >= -1, got \(penaltyWindow)") }
        if let (id, b) = logitBias.first(where: { !$0.value.isFinite || $0.key < 0 }) {
            throw fail("logitBias must map token ids >= 0 to finite values, got \(id): \(b)")
        }
        guard logprobs >= 0, logprobs <= Self.maxLogprobs else {
            throw fail("logprobs must be in 0...\(Self.maxLogprobs), got \(logprobs)")
        }
    }
}

public enum SamplingError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidParameter(String)

    public var description: String {
        switch self {
        case .invalidParameter(let message): "invalid sampling parameter: \(message)"
        }
    }
}
