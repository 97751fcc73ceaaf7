// Token masks on a small hand-made vocabulary, where every allowed set can be written down.
import Testing
@testable import R1Constrain

private let pieces = ["{", "}", "\"", "\"a", "a", "b", "ab\"", "\":", ":", "1", "12", " ", "<special>", "é", "\u{E9}\"", "<eos>"]

private func vocabulary() -> Vocabulary {
    var tokens = pieces.map { Array($0.utf8) }
    tokens[13] = [0xC3]  // the first byte of é alone
    tokens.append([0xA9])  // its continuation byte alone (id 16)
    return Vocabulary(tokens: tokens, excluded: [12], endOfSequence: [15])
}

@Test func masksFollowTheGrammarAcrossTokens() throws {
    let g = try Grammar(gbnf: #"root ::= "{" "\"" [a-z\u00e9]+ "\":" [0-9]+ "}""#)
    let m = TokenMatcher(grammar: g, vocabulary: vocabulary())
    #expect(m.allowedTokens().allowed == [0])
    try m.accept(token: 0)
    #expect(m.allowedTokens().allowed == [2, 3])  // `"` and `"a` (a token spanning two grammar symbols)
    try m.accept(token: 3)
    // more letters, the first byte of é, and tokens that end inside the closing `":` literal (`"`, `ab"`, `é"`)
    #expect(m.allowedTokens().allowed == [2, 4, 5, 6, 7, 13, 14])
    try m.accept(token: 13)
    #expect(m.allowedTokens().allowed == [16])  // only the continuation byte completes é
    try m.accept(token: 16)
    try m.accept(token: 7)
    #expect(m.allowedTokens().allowed == [9, 10])
    #expect(!m.isComplete)
    #expect(throws: ConstraintError.self) { try m.accept(token: 15) }  // EOS before the grammar completes
    #expect(throws: ConstraintError.self) { try m.accept(token: 12) }  // special tokens never inside the value
    try m.accept(token: 10)
    try m.accept(token: 1)
    #expect(m.isComplete && m.mustEnd)
    #expect(m.allowedTokens().allowed == [15])
    try m.accept(token: 15)
    #expect(m.isFinished && m.allowedTokens().allowed.isEmpty)
    m.reset()
    #expect(m.allowedTokens().allowed == [0])
}

@Test func eosSharesTheMaskWithContinuationsWhenComplete() throws {
    let g = try Grammar(gbnf: #"root ::= [0-9]+"#)
    let m = TokenMatcher(grammar: g, vocabulary: vocabulary())
    try m.accept(token: 9)
    #expect(m.allowedTokens().allowed == [9, 10, 15])
    #expect(m.distanceToComplete(after: 10) == 0)
    #expect(m.distanceToComplete(after: 4) == nil)
}
