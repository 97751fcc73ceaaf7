// Sampler behaviour without a reference library: greedy, seeding, empirical frequencies, penalties, log-probs.

import Foundation
import Testing

@testable import R1Sampling

/// Empirical frequencies over `draws` samples match the target within this (max abs diff; 20k draws give
/// a standard error of at most 0.0035, so 0.01 is about 3 sigma).
let frequencyTolerance = 0.01

/// Deterministic pseudo-random logits for tests (N(0, scale)-ish from the sampler's own generator).
func randomLogits(_ n: Int, seed: UInt64, scale: Float = 3) -> [Float] {
    var g = Xoshiro256StarStar(seed: seed)
    return (0..<n).map { _ in
        let u = (0..<4).reduce(0.0) { acc, _ in acc + g.nextUnitDouble() }  // Irwin-Hall, mean 2, var 1/3
        return Float((u - 2) * 1.732) * scale
    }
}

func frequencies(_ params: SamplingParameters, logits: [Float], draws: Int) throws -> [Double] {
    let sampler = try Sampler(parameters: params)
    var counts = [Int](repeating: 0, count: logits.count)
    for _ in 0..<draws { counts[sampler.sample(logits: logits, history: [Int]()).token] += 1 }
    return counts.map { Double($0) / Double(draws) }
}

func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

@Suite struct SamplerBehaviour {
    // MARK: - Greedy

    @Test func greedyIsArgmaxAndIgnoresSeed() throws {
        for s in 0..<5 {
            let logits = randomLogits(5000, seed: UInt64(s))
            let best = logits.indices.max { logits[$0] < logits[$1] }!
            for seed: UInt64 in [1, 2, 99] {
                let sampler = try Sampler(parameters: SamplingParameters(temperature: 0, topP: 0.5, seed: seed))
                for _ in 0..<3 { #expect(sampler.sample(logits: logits, history: [Int]()).token == best) }
            }
        }
    }

    @Test func greedyTiesGoToLowestId() throws {
        let sampler = try Sampler(parameters: .greedy)
        #expect(sampler.sample(logits: [1, 3, 3, 0, 3], history: [Int]()).token == 1)
        #expect(sampler.sample(logits: [-.infinity, -.infinity], history: [Int]()).token == 0)
    }

    @Test func greedySeesPenalties() throws {
        let sampler = try Sampler(parameters: SamplingParameters(temperature: 0, repetitionPenalty: 2))
        #expect(sampler.sample(logits: [1, 3, 2], history: [1]).token == 2)  // 3 / 2 = 1.5 < 2
    }

    @Test func topK1IsGreedy() throws {
        let sampler = try Sampler(parameters: SamplingParameters(temperature: 1.5, topK: 1, seed: 3))
        for s in 0..<20 {
            let logits = randomLogits(3000, seed: UInt64(100 + s), scale: 0.5)
            #expect(sampler.sample(logits: logits, history: [Int]()).token == logits.indices.max { logits[$0] < logits[$1] }!)
        }
    }

    @Test func tinyTopPAndFullMinPKeepOnlyTheBest() throws {
        for params in [SamplingParameters(topP: 1e-6, seed: 4), SamplingParameters(minP: 1, seed: 5)] {
            let sampler = try Sampler(parameters: params)
            for s in 0..<20 {
                let logits = randomLogits(3000, seed: UInt64(200 + s), scale: 0.3)
                let best = logits.indices.max { logits[$0] < logits[$1] }!
                #expect(sampler.sample(logits: logits, history: [Int]()).token == best)
            }
        }
    }

    // MARK: - Seeding

    func run(seed: UInt64, steps: Int = 200) throws -> [Int] {
        let sampler = try Sampler(parameters: SamplingParameters(
            temperature: 0.9, topK: 500, topP: 0.95, minP: 0.01, repetitionPenalty: 1.1, frequencyPenalty: 0.1, seed: seed))
        var history = [1, 2, 3]
        for step in 0..<steps {
            let logits = randomLogits(2000, seed: UInt64(step), scale: 1.5)
            history.append(sampler.sample(logits: logits, history: history).token)
        }
        return Array(history.dropFirst(3))
    }

    @Test func sameSeedSameTokens() throws {
        let a = try run(seed: 1234), b = try run(seed: 1234)
        #expect(a == b)
        #expect(Set(a).count > 10, "the sequence should not be degenerate")
    }

    @Test func differentSeedsDiffer() throws {
        let a = try run(seed: 1), b = try run(seed: 2)
        #expect(a != b)
        #expect(zip(a, b).filter { $0 != $1 }.count > 50)
    }

    @Test func resetRestartsTheStream() throws {
        let sampler = try Sampler(parameters: SamplingParameters(seed: 77))
        let logits = randomLogits(100, seed: 9, scale: 0.2)
        let first = (0..<20).map { _ in sampler.sample(logits: logits, history: [Int]()).token }
        sampler.reset(seed: 77)
        let again = (0..<20).map { _ in sampler.sample(logits: logits, history: [Int]()).token }
        #expect(first == again)
        #expect(sampler.seed == 77)
    }

    @Test func nilSeedIsDrawnAndReported() throws {
        let a = try Sampler(parameters: SamplingParameters()), b = try Sampler(parameters: SamplingParameters())
        #expect(a.seed != b.seed)
    }

    /// Pins the stream: SplitMix64 and xoshiro256** outputs from an independent Python transcription.
    @Test func generatorReferenceValues() {
        var mix = SplitMix64(seed: 0)
        #expect([mix.next(), mix.next(), mix.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var x = Xoshiro256StarStar(seed: 42)
        #expect([x.next(), x.next(), x.next(), x.next()]
            == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1, 0xECB8_AD47_03B3_60A1])
    }

    // MARK: - Frequencies

    @Test func frequenciesMatchTheDistribution() throws {
        let p = [0.5, 0.25, 0.15, 0.07, 0.03]
        let logits = p.map { Float(Foundation.log($0)) }
        let got = try frequencies(SamplingParameters(seed: 11), logits: logits, draws: 20_000)
        #expect(maxAbsDiff(got, p) < frequencyTolerance, "\(got)")
    }

    @Test func frequenciesWithTemperatureAndTopK() throws {
        let p = [0.5, 0.25, 0.15, 0.07, 0.03]
        let logits = p.map { Float(Foundation.log($0)) }
        // t = 2: p^(1/2), renormalised
        let sq = p.map { $0.squareRoot() }, z = sq.reduce(0, +)
        let hot = try frequencies(SamplingParameters(temperature: 2, seed: 12), logits: logits, draws: 20_000)
        #expect(maxAbsDiff(hot, sq.map { $0 / z }) < frequencyTolerance, "\(hot)")
        // top-k 2: {2/3, 1/3}
        let k2 = try frequencies(SamplingParameters(topK: 2, seed: 13), logits: logits, draws: 20_000)
        #expect(maxAbsDiff(k2, [2.0 / 3, 1.0 / 3, 0, 0, 0]) < frequencyTolerance, "\(k2)")
        // top-p 0.7: {0.5, 0.25} (mass before 0.15 is 0.75 >= 0.7), renormalised
        let nucleus = try frequencies(SamplingParameters(topP: 0.7, seed: 14), logits: logits, draws: 20_000)
        #expect(maxAbsDiff(nucleus, [2.0 / 3, 1.0 / 3, 0, 0, 0]) < frequencyTolerance, "\(nucleus)")
        // min-p 0.2: threshold 0.1 keeps {0.5, 0.25, 0.15}
        let m = try frequencies(SamplingParameters(minP: 0.2, seed: 15), logits: logits, draws: 20_000)
        #expect(maxAbsDiff(m, [0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0, 0]) < frequencyTolerance, "\(m)")
    }

    // MARK: - Penalties

    @Test func presenceAndFrequencyPenalties() {
        var c = TokenCandidates(logits: [1, 2, 3, -1] as [Float])
        let p = Penalties(repetition: 1, presence: 0.5, frequency: 0.25, window: -1)
        p.apply(to: &c, counts: p.counts(in: [2, 2, 2, 3, 99, -1]))  // out-of-vocabulary ids are ignored
        #expect(c.logits == [1, 2, 3 - 0.75 - 0.5, -1 - 0.25 - 0.5])
    }

    @Test func repetitionPenaltySignsAndOncePerToken() {
        var c = TokenCandidates(logits: [2, -2, 4, 0] as [Float])
        let p = Penalties(repetition: 2)
        p.apply(to: &c, counts: p.counts(in: [0, 1, 1, 1, 3]))
        #expect(c.logits == [1, -4, 4, 0])
    }

    @Test func penaltyWindowCountsOnlyTheTail() {
        let p = Penalties(repetition: 2, window: 2)
        #expect(p.counts(in: [5, 5, 6, 7]) == [6: 1, 7: 1])
        #expect(Penalties(repetition: 2, window: -1).counts(in: [5, 5, 6]) == [5: 2, 6: 1])
        #expect(Penalties(repetition: 2, window: 0).isActive == false)
        #expect(Penalties(repetition: 2, window: 10).counts(in: [5, 5]) == [5: 2])
    }

    // MARK: - Log-probs

    @Test func logprobsAreTheRawLogSoftmax() throws {
        let logits = randomLogits(4000, seed: 31)
        let m = Double(logits.max()!)
        let logZ = Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }) + m
        let sampler = try Sampler(parameters: SamplingParameters(temperature: 0.3, topK: 5, repetitionPenalty: 3, seed: 2, logprobs: 20))
        let history = Array(0..<4000)  // penalise everything: log-probs must not notice
        let result = sampler.sample(logits: logits, history: history)
        #expect(abs(Double(result.logprob) - (Double(logits[result.token]) - logZ)) < 1e-5)
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        #expect(result.top.map(\.id) == Array(order.prefix(20)))
        for t in result.top { #expect(abs(Double(t.logprob) - (Double(logits[t.id]) - logZ)) < 1e-5) }
        let none = try Sampler(parameters: SamplingParameters(seed: 1)).sample(logits: logits, history: [Int]())
        #expect(none.top.isEmpty)
    }

    @Test func logprobTiesGoToLowerId() {
        let logits: [Float] = [0, 1, 1, 1, 2]
        let top = logits.withUnsafeBufferPointer { RawDistribution($0).top(3, of: $0) }
        #expect(top.map(\.id) == [4, 1, 2])
    }

    @Test func callerLogitsAreUntouched() throws {
        var logits = randomLogits(1000, seed: 5)
        let copy = logits
        let sampler = try Sampler(parameters: SamplingParameters(temperature: 0.7, topK: 40, topP: 0.9, repetitionPenalty: 1.3, seed: 1))
        _ = logits.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, history: [1, 2, 3]) }
        #expect(logits == copy)
    }
}
