// The training engine's seeded generator (initialisation, data shuffling): R1Sampling's SplitMix64, whose whole
// state is one UInt64, so a checkpoint saves it and a resumed run continues the same stream.
import Foundation
import R1Sampling

public struct TrainRandom: RandomNumberGenerator, Sendable, Equatable {
    private var mix: SplitMix64
    /// `TrainRandom(seed: state)` continues this stream.
    public var state: UInt64 { mix.state }

    public init(seed: UInt64) { mix = SplitMix64(seed: seed) }

    public mutating func next() -> UInt64 { mix.next() }

    /// Uniform in (0, 1] from the top 24 bits.
    public mutating func nextUnitFloat() -> Float { Float((next() >> 40) + 1) / Float(1 << 24) }

    /// Standard normal (Box-Muller, one value per call).
    public mutating func nextNormal() -> Float {
        let u1 = Double(nextUnitFloat()), u2 = Double(nextUnitFloat())
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
