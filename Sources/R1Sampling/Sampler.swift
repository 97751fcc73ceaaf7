// Sampler: logits -> token for one sequence, through the processor chain, with its own seeded xoshiro256**.
// Reported log-probs are transformers' log_softmax of the raw logits.

import Foundation

/// One alternative of the raw distribution.
public struct TokenLogprob: Sendable, Equatable, Codable {
    public var id: Int
    /// Natural log of its probability.
    public var logprob: Float

    public init(id: Int, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }
}

public struct SampleResult: Sendable {
    public var token: Int
    /// log p(token) in the raw distribution (before penalties, temperature and filters).
    public var logprob: Float
    /// The `logprobs` best tokens of the raw distribution, best first (ties to the lower id); empty when 0.
    public var top: [TokenLogprob]
}

/// log-softmax statistics of one row of raw logits: log p(i) = (l_i - max) - logSumExp.
public struct RawDistribution: Sendable {
    public var max: Float
    /// log sum exp(l - max), summed in Double.
    public var logSumExp: Float

    public init(_ logits: UnsafeBufferPointer<Float>) {
        max = maxValue(logits)
        logSumExp = max.isFinite ? Float(Foundation.log(expSum(logits, minus: max))) : 0
    }

    public func logprob(ofLogit logit: Float) -> Float { (logit - max) - logSumExp }

    /// The `k` most likely ids with their log-probs, best first.
    public func top(_ k: Int, of logits: UnsafeBufferPointer<Float>) -> [TokenLogprob] {
        bestIndices(logits, ids: nil, k: k).map { TokenLogprob(id: $0, logprob: logprob(ofLogit: logits[$0])) }
    }
}

/// Turns logits into tokens for one sequence. Not thread-safe: one sampler per sequence.
///
/// The chain, in transformers' order (top-k and temperature commute for t > 0):
///   penalties -> temperature 0 ? argmax : top-k -> temperature -> softmax -> top-p -> min-p -> draw.
/// llama.cpp's default chain puts temperature after min-p instead, which changes what top-p and min-p see.
public final class Sampler {
    public let parameters: SamplingParameters
    /// The seed in use (drawn from the system when `parameters.seed` is nil), for reproducing a run.
    public private(set) var seed: UInt64
    private var rng: Xoshiro256StarStar
    private let penalties: Penalties
    private let chain: [any CandidateProcessor]
    private var candidates = TokenCandidates()

    public init(parameters: SamplingParameters) throws(SamplingError) {
        try parameters.validate()
        self.parameters = parameters
        seed = parameters.seed ?? UInt64.random(in: .min ... .max)
        rng = Xoshiro256StarStar(seed: seed)
        penalties = Penalties(
            repetition: parameters.repetitionPenalty, presence: parameters.presencePenalty,
            frequency: parameters.frequencyPenalty, window: parameters.penaltyWindow)
        var chain: [any CandidateProcessor] = []
        if parameters.topK > 0 { chain.append(TopK(parameters.topK)) }
        if parameters.temperature != 1 { chain.append(Temperature(parameters.temperature)) }
        chain.append(Softmax())
        if parameters.topP < 1 { chain.append(TopP(parameters.topP)) }
        if parameters.minP > 0 { chain.append(MinP(parameters.minP)) }
        self.chain = chain
    }

    /// Restart the random stream (nil = a fresh system seed).
    public func reset(seed: UInt64?) {
        self.seed = seed ?? UInt64.random(in: .min ... .max)
        rng = Xoshiro256StarStar(seed: self.seed)
    }

    /// Choose the next token. `history` is prompt + generated ids so far. `logits` are only read.
    public func sample(logits: UnsafeMutableBufferPointer<Float>, history: some Collection<Int>) -> SampleResult {
        sample(logits: UnsafeBufferPointer(logits), history: history)
    }

    public func sample(logits: [Float], history: some Collection<Int>) -> SampleResult {
        logits.withUnsafeBufferPointer { sample(logits: $0, history: history) }
    }

    public func sample(logits: UnsafeBufferPointer<Float>, history: some Collection<Int>) -> SampleResult {
        precondition(!logits.isEmpty, "sample(logits:) needs a non-empty vocabulary")
        let raw = RawDistribution(logits)
        let top = parameters.logprobs > 0 ? raw.top(parameters.logprobs, of: logits) : []

        process(logits: logits, history: history)
        let token =
            parameters.temperature == 0
            ? candidates.greedyToken()
            : candidates.draw(u: rng.nextUnitDouble())  // exactly one draw per sampled step
        return SampleResult(token: token, logprob: raw.logprob(ofLogit: logits[token]), top: top)
    }

    /// Run penalties and (unless greedy) the chain; leaves the survivors in `candidates`.
    @discardableResult
    func process(logits: UnsafeBufferPointer<Float>, history: some Collection<Int>) -> TokenCandidates {
        candidates.reset(logits: logits)
        for (id, bias) in parameters.logitBias where id < candidates.count { candidates.logits[id] += bias }
        if penalties.isActive { penalties.apply(to: &candidates, counts: penalties.counts(in: history)) }
        if parameters.temperature != 0 {
            for processor in chain { processor.apply(to: &candidates) }
        }
        return candidates
    }
}
