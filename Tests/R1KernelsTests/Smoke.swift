import Testing
@testable import R1Kernels

@Test func R1KernelsLoads() { #expect(true) }
