import Testing
@testable import R1Models

@Test func R1ModelsLoads() { #expect(true) }
