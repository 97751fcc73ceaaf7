// A compiled grammar: its rules over bytes plus the lazily built automaton and token-mask cache every sequence
// using it shares (behind one Mutex), so the second sequence in a given state pays a dictionary lookup.
import Synchronization

public final class Grammar: Sendable {
    /// The grammar as GBNF (what a JSON Schema or regex was translated to).
    public let gbnf: String
    let shared: Mutex<SharedState>

    struct SharedState: Sendable {
        var automaton: GrammarAutomaton
        var masks: [Int64: [UInt64]] = [:]
        var maskBytes = 0
    }

    /// Cached masks above this many bytes are dropped (all at once) before the next is stored.
    static let maskCacheBytes = 64 << 20

    public init(gbnf: String, root: String = "root") throws(ConstraintError) {
        self.gbnf = gbnf
        let rules = try GrammarCompiler.compile(gbnf, root: root)
        shared = Mutex(SharedState(automaton: GrammarAutomaton(rules: rules)))
    }

    /// A grammar for the strings that match `regex` in full (JSON Schema's ECMA-262 subset).
    public convenience init(regex: String) throws(ConstraintError) {
        try self.init(gbnf: "root ::= " + RegexTranslator.translate(regex, jsonString: false))
    }

    /// Any JSON object, as OpenAI's `{"type": "json_object"}` and Ollama's `format: "json"` ask.
    public static func jsonObject() -> Grammar {
        try! Grammar(jsonSchema: #"{"type": "object"}"#)
    }

    /// Whether `text` is a complete sentence of the grammar.
    public func accepts(_ text: String) -> Bool {
        shared.withLock { $0.automaton.accepts(text.utf8) }
    }

    /// Whether `text` can be continued to a sentence of the grammar.
    public func acceptsPrefix(_ text: String) -> Bool {
        shared.withLock { state in
            state.automaton.step(state.automaton.initialState, bytes: text.utf8) != GrammarAutomaton.dead
        }
    }

    /// Automaton states built so far (a cost figure for benches).
    public var automatonStates: Int { shared.withLock { $0.automaton.stateCount } }
}

extension Grammar.SharedState {
    /// The allowed-token bits in `state` for `vocabulary`: one preorder walk of its trie, cached per state.
    mutating func mask(_ state: Int32, _ vocabulary: Vocabulary) -> [UInt64] {
        let key = Int64(vocabulary.identity) << 32 | Int64(state)
        if let cached = masks[key] { return cached }
        let words = walk(state, vocabulary, maxDistance: nil)
        let size = words.count * 8
        if maskBytes + size > Grammar.maskCacheBytes { masks.removeAll(); maskBytes = 0 }
        masks[key] = words
        maskBytes += size
        return words
    }

    /// The allowed tokens after which a sentence is at most `maxDistance` bytes away (end of sequence when `state`
    /// accepts): what a sequence about to run out of tokens may still write. Not cached (only the last steps ask).
    mutating func mask(_ state: Int32, _ vocabulary: Vocabulary, maxDistance: Int) -> [UInt64] {
        walk(state, vocabulary, maxDistance: maxDistance)
    }

    /// The mask of `state` from the checked reference walk, uncached (tests compare the fast walk against it).
    mutating func referenceMask(_ state: Int32, _ vocabulary: Vocabulary) -> [UInt64] {
        walk(state, vocabulary, maxDistance: nil, reference: true)
    }

    private mutating func walk(_ state: Int32, _ vocabulary: Vocabulary, maxDistance: Int?, reference: Bool = false) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: (vocabulary.size + 63) / 64)
        if automaton.accepting[Int(state)] {
            for id in vocabulary.endOfSequence where id >= 0 && id < vocabulary.size { words[id >> 6] |= 1 << UInt64(id & 63) }
        }
        if automaton.terminal[Int(state)] || (maxDistance ?? 0) < 0 { return words }
        if maxDistance != nil || reference {
            referenceWalk(state, vocabulary, maxDistance: maxDistance, into: &words)
        } else {
            fastWalk(state, vocabulary, into: &words)
        }
        return words
    }

    /// The preorder trie walk on raw pointers: one table load per trie node whose transition is known; an unknown one
    /// leaves the inner loop to build it (which may grow the table) and the walk resumes at the same node.
    private mutating func fastWalk(_ state: Int32, _ vocabulary: Vocabulary, into words: inout [UInt64]) {
        let n = vocabulary.trieNodeCount
        let stateAt = UnsafeMutablePointer<Int32>.allocate(capacity: vocabulary.maxDepth + 1)
        defer { stateAt.deallocate() }
        stateAt[0] = state
        let duplicates = vocabulary.duplicateTokens
        words.withUnsafeMutableBufferPointer { words in
        vocabulary.trieBytes.withUnsafeBufferPointer { bytes in
        vocabulary.trieDepths.withUnsafeBufferPointer { depths in
        vocabulary.trieSkips.withUnsafeBufferPointer { skips in
        vocabulary.trieTokens.withUnsafeBufferPointer { tokens in
        vocabulary.trieHasDuplicates.withUnsafeBufferPointer { hasDuplicates in
            var i = 0
            while i < n {
                // Runs until the walk ends or meets a transition not built yet.
                let stalled: Bool = automaton.withTransitions { table in
                    while i < n {
                        let depth = Int(depths[i])
                        let next = table[Int(stateAt[depth &- 1]) &* 256 &+ Int(bytes[i])]
                        if next == GrammarAutomaton.unknown { return true }
                        if next == GrammarAutomaton.dead { i = Int(skips[i]); continue }
                        stateAt[depth] = next
                        let token = tokens[i]
                        if token >= 0 {
                            words[Int(token) &>> 6] |= 1 &<< UInt64(token & 63)
                            if hasDuplicates[i], let more = duplicates[Int32(i)] {
                                for t in more { words[Int(t) &>> 6] |= 1 &<< UInt64(t & 63) }
                            }
                        }
                        i &+= 1
                    }
                    return false
                }
                if stalled {
                    _ = automaton.computeStep(stateAt[Int(depths[i]) - 1], bytes[i])
                }
            }
        }}}}}}
    }

    /// The same walk on checked arrays, with the distance bound (and the reference the fast walk is tested against).
    mutating func referenceWalk(_ state: Int32, _ vocabulary: Vocabulary, maxDistance: Int?, into words: inout [UInt64]) {
        var stateAt = [Int32](repeating: 0, count: vocabulary.maxDepth + 1)
        stateAt[0] = state
        let n = vocabulary.trieNodeCount
        var i = 0
        while i < n {
            let depth = Int(vocabulary.trieDepths[i])
            let next = automaton.step(stateAt[depth - 1], vocabulary.trieBytes[i])
            if next == GrammarAutomaton.dead { i = Int(vocabulary.trieSkips[i]); continue }
            stateAt[depth] = next
            let token = vocabulary.trieTokens[i]
            if token >= 0, maxDistance.map({ automaton.distanceToAccept(next) <= $0 }) ?? true {
                words[Int(token) >> 6] |= 1 << UInt64(token & 63)
                for t in vocabulary.duplicateTokens[Int32(i)] ?? [] { words[Int(t) >> 6] |= 1 << UInt64(t & 63) }
            }
            i += 1
        }
    }
}
