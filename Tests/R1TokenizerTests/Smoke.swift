import Testing
@testable import R1Tokenizer

@Test func R1TokenizerLoads() { #expect(true) }
