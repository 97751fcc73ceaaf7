// Structured output in the decode loop (GenerationParameters.grammar): the reasoning samples freely until `</think>`,
// then each step's logits are masked to the grammar's allowed tokens, end of sequence only once it is complete, and
// the answer ends when nothing else may follow (vLLM's structured output behind a reasoning parser). Near the token
// limit only tokens after which the grammar can still complete in the tokens left are allowed (counting a token per
// byte of the shortest completion, which single-byte tokens can always write), so a value is not cut.
import R1Constrain
import R1Sampling
import R1Tokenizer
import Synchronization

struct AnswerConstraint {
    let sequence: ConstrainedSequence
    private var mask: TokenMask
    /// Set when a token broke the grammar (a forced one; sampled ones never do): the answer ends there.
    private(set) var broken: ConstraintError?

    /// `reasoningEndToken` nil: constrained from the first token (the model does not think, or the prompt closed the
    /// thinking already).
    init(grammar: Grammar, vocabulary: Vocabulary, reasoningEndToken: Int?) {
        sequence = ConstrainedSequence(grammar: grammar, vocabulary: vocabulary, reasoningEndToken: reasoningEndToken)
        mask = TokenMask(count: vocabulary.size)
    }

    var isConstraining: Bool { sequence.isConstraining }

    /// Whether the answer is over: the grammar is complete with nothing left to add, or it was broken.
    var mustEnd: Bool { broken != nil || sequence.mustEnd }

    mutating func accept(_ token: Int) {
        guard broken == nil else { return }
        do { try sequence.accept(token: token) } catch { broken = error }
    }

    /// Samples the next token: unmasked while reasoning (the sampler sees exactly the model's logits, so the reasoning
    /// is what an unconstrained run with the same seed writes); masked afterwards, `logits` overwritten. `budget`:
    /// the tokens this sequence may still generate, this one included.
    mutating func sample(logits: inout [Float], sampler: Sampler, history: [Int], budget: Int) -> SampleResult {
        guard sequence.allowedTokens(into: &mask) else {
            return logits.withUnsafeBufferPointer { sampler.sample(logits: $0, history: history) }
        }
        mask.apply(to: &logits)
        var result = logits.withUnsafeBufferPointer { sampler.sample(logits: $0, history: history) }
        if !sequence.fits(token: result.token, within: budget) {
            // Running out of tokens (or the draw hit a masked token's underflowed weight): keep to the tokens that
            // still let the value complete, when there are any.
            var narrow = mask
            _ = sequence.allowedTokens(into: &narrow, within: budget)
            if narrow.allowedCount > 0 {
                narrow.apply(to: &logits)
                result = logits.withUnsafeBufferPointer { sampler.sample(logits: $0, history: history) }
            }
            let allowed = narrow.allowedCount > 0 ? narrow : mask
            if !allowed.contains(result.token), let first = allowed.allowed.first {
                result.token = first  // every allowed weight underflowed and the draw fell outside the mask
            }
        }
        return result
    }
}

extension Engine {
    /// The vocabulary as token bytes for grammar masks: built once per engine (a trie over every token) and shared by
    /// every constrained sequence. Added tokens are never allowed inside a value; the engine's EOS ids end it.
    public func constraintVocabulary() throws -> Vocabulary {
        try vocabularyCache.withLock { cached in
            if let v = cached { return v }
            guard let tokenizer = formatter?.tokenizer else {
                throw GenerationError("structured output needs the model's tokenizer, and this model has none")
            }
            let tokens = (0..<tokenizer.vocabularySize).map { tokenizer.bytes(of: $0) }
            let v = Vocabulary(tokens: tokens, excluded: Set(tokenizer.addedTokens.map(\.id)),
                               endOfSequence: eosTokenIds.sorted())
            cached = v
            return v
        }
    }
}
