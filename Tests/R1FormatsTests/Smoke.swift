import Testing
@testable import R1Formats

@Test func R1FormatsLoads() { #expect(true) }
