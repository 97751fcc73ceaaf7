// Compiled grammars kept by their source text, so a second request with the same schema or GBNF reuses the automaton
// and every token mask it has built. Bounded: the least recently used grammar leaves first.
import Synchronization

public final class GrammarCache: Sendable {
    public let capacity: Int
    private let entries = Mutex<[String: (grammar: Grammar, used: Int)]>([:])
    private let clock = Atomic<Int>(0)

    public init(capacity: Int = 32) { self.capacity = max(1, capacity) }

    /// The grammar cached under `key`, else `make()`'s (cached when not nil). Errors are not cached.
    public func grammar(_ key: String, make: () throws(ConstraintError) -> Grammar?) throws(ConstraintError) -> Grammar? {
        let now = clock.add(1, ordering: .relaxed).newValue
        if let hit = entries.withLock({ entries -> Grammar? in
            guard let e = entries[key] else { return nil }
            entries[key]!.used = now
            return e.grammar
        }) { return hit }
        guard let grammar = try make() else { return nil }
        entries.withLock { entries in
            if entries.count >= capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
                entries[oldest] = nil
            }
            entries[key] = (grammar, now)
        }
        return grammar
    }

    /// OpenAI's `response_format`, cached by its JSON text.
    public func grammar(openAI format: SchemaJSON) throws(ConstraintError) -> Grammar? {
        try grammar("openai " + format.text) { () throws(ConstraintError) in try ResponseFormat.grammar(openAI: format) }
    }

    /// Ollama's `format`, cached by its JSON text.
    public func grammar(ollama format: SchemaJSON) throws(ConstraintError) -> Grammar? {
        try grammar("ollama " + format.text) { () throws(ConstraintError) in try ResponseFormat.grammar(ollama: format) }
    }

    public var count: Int { entries.withLock { $0.count } }
}
