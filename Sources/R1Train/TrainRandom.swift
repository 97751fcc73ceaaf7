// The training engine's seeded generator (initialisation, data shuffling): SplitMix64, whose whole state is one
// UInt64, so a checkpoint saves it and a resumed run continues the same stream (Steele, Lea & Flood 2014).
import Foundation

public struct TrainRandom: RandomNumberGenerator, Sendable, Equatable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1] from the top 24 bits.
    public mutating func nextUnitFloat() -> Float { Float((next() >> 40) + 1) / Float(1 << 24) }

    /// Standard normal (Box-Muller, one value per call).
    public mutating func nextNormal() -> Float {
        let u1 = Double(nextUnitFloat()), u2 = Double(nextUnitFloat())
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
