// What a decoder loop asks per step of one sequence: free until the reasoning ends (the `</think>` token, or from
// the first token for models that do not think and for a thinking budget of 0), then the grammar's mask, and end of
// sequence forced once nothing else can follow; as vLLM's structured output with a reasoning parser.

public final class ConstrainedSequence {
    public let matcher: TokenMatcher
    /// The token that closes the reasoning; nil when the constraint holds from the first token.
    public let reasoningEndToken: Int?
    public private(set) var isConstraining: Bool

    public init(grammar: Grammar, vocabulary: Vocabulary, reasoningEndToken: Int?) {
        matcher = TokenMatcher(grammar: grammar, vocabulary: vocabulary)
        self.reasoningEndToken = reasoningEndToken
        isConstraining = reasoningEndToken == nil
    }

    /// The allowed tokens for the next step into `mask`; false (mask untouched) while the reasoning is free.
    public func allowedTokens(into mask: inout TokenMask) -> Bool {
        guard isConstraining else { return false }
        matcher.allowedTokens(into: &mask)
        return true
    }

    /// The allowed tokens that let the value complete within `budget` more tokens (see `TokenMatcher`); false
    /// while the reasoning is free.
    public func allowedTokens(into mask: inout TokenMask, within budget: Int) -> Bool {
        guard isConstraining else { return false }
        matcher.allowedTokens(into: &mask, within: budget)
        return true
    }

    /// Whether `token` lets the value complete within `budget` tokens; always true while the reasoning is free.
    public func fits(token: Int, within budget: Int) -> Bool {
        !isConstraining || matcher.fits(token: token, within: budget)
    }

    /// Records the sampled token; an error when it breaks the grammar (a sampler that applied the mask never does).
    public func accept(token: Int) throws(ConstraintError) {
        guard isConstraining else {
            if token == reasoningEndToken { isConstraining = true }
            return
        }
        try matcher.accept(token: token)
    }

    /// Whether the answer is a complete sentence of the grammar and nothing else may follow but end of sequence.
    public var mustEnd: Bool { isConstraining && matcher.mustEnd }

    /// Forces the reasoning closed (a thinking budget ran out and the runtime wrote `</think>` itself).
    public func endReasoning() { isConstraining = true }

    public func reset() {
        matcher.reset()
        isConstraining = reasoningEndToken == nil
    }
}

extension TokenMask {
    /// Sets the logit of every token the mask does not allow to -infinity (ids past the mask's count too: a model's
    /// embedding is often padded beyond its tokenizer).
    public func apply(to logits: inout [Float]) {
        logits.withUnsafeMutableBufferPointer { apply(to: $0) }
    }

    public func apply(to logits: UnsafeMutableBufferPointer<Float>) {
        let n = min(logits.count, count)
        for w in 0..<((n + 63) / 64) {
            let word = words[w]
            if word == ~0 { continue }
            let base = w * 64, end = min(n, base + 64)
            if word == 0 {
                for id in base..<end { logits[id] = -.infinity }
            } else {
                for id in base..<end where (word >> UInt64(id - base)) & 1 == 0 { logits[id] = -.infinity }
            }
        }
        for id in n..<logits.count { logits[id] = -.infinity }
    }
}
