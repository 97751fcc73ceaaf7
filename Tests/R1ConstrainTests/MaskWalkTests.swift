// The fast trie walk (raw pointers, transitions built when the walk stalls on them) must give bit for bit the masks
// of the checked reference walk, in every state a seeded random walk through each schema visits: the masks, hence
// the tokens a seeded sampler draws from them (SampleProofTests' committed samples), are what they were before.
import Testing
@testable import R1Constrain

@Test func fastWalkMasksEqualTheReferenceWalk() throws {
    let vocabulary = try ConstrainFixtures.r1Vocabulary()
    var checked = 0
    for (index, (name, text)) in try ConstrainFixtures.files("schemas", ext: "json").enumerated() {
        let grammar = try Grammar(jsonSchema: text)
        var rng = TestRNG(state: UInt64(index + 1) * 31337)
        for _ in 0..<2 {
            let matcher = TokenMatcher(grammar: grammar, vocabulary: vocabulary)
            for _ in 0..<40 {
                let fast = matcher.allowedTokens()
                let state = matcher.currentState
                let reference = grammar.shared.withLock { $0.referenceMask(state, vocabulary) }
                #expect(fast.words == reference, "\(name): masks differ in state \(state)")
                checked += 1
                let allowed = fast.allowed.filter { !vocabulary.endOfSequence.contains($0) }
                if allowed.isEmpty || matcher.mustEnd { break }
                try matcher.accept(token: allowed[rng.below(allowed.count)])
            }
        }
    }
    #expect(checked > 500)
}
