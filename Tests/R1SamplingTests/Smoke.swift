import Testing
@testable import R1Sampling

@Test func R1SamplingLoads() { #expect(true) }
