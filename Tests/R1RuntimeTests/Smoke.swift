import Testing
@testable import R1Runtime

@Test func R1RuntimeLoads() { #expect(true) }
