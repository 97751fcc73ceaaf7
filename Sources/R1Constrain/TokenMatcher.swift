// One sequence's position in a grammar: which tokens may come next, and the step a sampled token makes.
// The compiled grammar and vocabulary are shared; a matcher is one state number, so make one per sequence.

public final class TokenMatcher {
    public let grammar: Grammar
    public let vocabulary: Vocabulary
    private var state: Int32
    private let initialState: Int32
    /// Set once an end-of-sequence token was accepted.
    public private(set) var isFinished = false

    /// The automaton state (for tests).
    var currentState: Int32 { state }

    public init(grammar: Grammar, vocabulary: Vocabulary) {
        self.grammar = grammar
        self.vocabulary = vocabulary
        initialState = grammar.shared.withLock { $0.automaton.initialState }
        state = initialState
    }

    /// Whether the text so far is a complete sentence (end of sequence is allowed now).
    public var isComplete: Bool { isFinished || grammar.shared.withLock { $0.automaton.accepting[Int(state)] } }

    /// Whether nothing but end of sequence can follow.
    public var mustEnd: Bool { isFinished || grammar.shared.withLock { $0.automaton.terminal[Int(state)] } }

    /// Writes the tokens allowed next into `mask` (sized to the vocabulary).
    public func allowedTokens(into mask: inout TokenMask) {
        if mask.count != vocabulary.size { mask = TokenMask(count: vocabulary.size) }
        if isFinished { mask.removeAll(); return }
        let state = self.state
        let vocabulary = self.vocabulary
        mask.setWords(grammar.shared.withLock { $0.mask(state, vocabulary) })
    }

    /// The allowed tokens that still let the grammar complete when at most `budget` tokens may follow, this one and
    /// end of sequence included (each byte of the shortest completion is one single-byte token at worst).
    public func allowedTokens(into mask: inout TokenMask, within budget: Int) {
        if mask.count != vocabulary.size { mask = TokenMask(count: vocabulary.size) }
        if isFinished || budget < 1 { mask.removeAll(); return }
        let state = self.state
        let vocabulary = self.vocabulary
        mask.setWords(grammar.shared.withLock { $0.mask(state, vocabulary, maxDistance: budget - 2) })
    }

    /// Whether `token` is allowed and leaves the grammar completable within `budget` tokens (it included).
    public func fits(token: Int, within budget: Int) -> Bool {
        if vocabulary.endOfSequence.contains(token) { return !isFinished && isComplete && budget >= 1 }
        guard let d = distanceToComplete(after: token) else { return false }
        return d <= budget - 2
    }

    public func allowedTokens() -> TokenMask {
        var mask = TokenMask(count: vocabulary.size)
        allowedTokens(into: &mask)
        return mask
    }

    /// Advances by `token`; an error names the token when the grammar does not allow it here.
    public func accept(token: Int) throws(ConstraintError) {
        guard !isFinished else { throw ConstraintError("token \(token) after the constrained value ended") }
        guard token >= 0 && token < vocabulary.size else {
            throw ConstraintError("token \(token) is outside the vocabulary of \(vocabulary.size)")
        }
        if vocabulary.endOfSequence.contains(token) {
            guard isComplete else { throw ConstraintError("end-of-sequence token \(token) before the grammar is complete") }
            isFinished = true
            return
        }
        guard !vocabulary.excluded.contains(token) else { throw ConstraintError("special token \(token) inside a constrained value") }
        let bytes = vocabulary.tokens[token]
        let next = grammar.shared.withLock { $0.automaton.step(state, bytes: bytes) }
        guard next != GrammarAutomaton.dead, !bytes.isEmpty else {
            throw ConstraintError("token \(token) (\(String(decoding: bytes, as: UTF8.self).debugDescription)) does not fit the grammar here")
        }
        state = next
    }

    /// The fewest bytes that would complete the grammar after `token` (nil: not allowed), for samplers that steer
    /// toward an end.
    public func distanceToComplete(after token: Int) -> Int? {
        guard token >= 0 && token < vocabulary.size, !vocabulary.excluded.contains(token) else { return nil }
        if vocabulary.endOfSequence.contains(token) { return isComplete ? 0 : nil }
        let bytes = vocabulary.tokens[token]
        let state = self.state
        return grammar.shared.withLock { shared in
            let next = shared.automaton.step(state, bytes: bytes)
            return next == GrammarAutomaton.dead ? nil : shared.automaton.distanceToAccept(next)
        }
    }

    /// Back to the start of the grammar.
    public func reset() {
        state = initialState
        isFinished = false
    }
}
