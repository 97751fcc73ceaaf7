// OpenAI's logit_bias: added to the logits before the penalties and the chain; -100 bans a token, +100 makes it
// the greedy choice, and a bias changes sampled frequencies as softmax(logits + bias) says.
import Foundation
import Testing
@testable import R1Sampling

@Suite struct LogitBiasTests {
    @Test func banAndForceUnderGreedy() throws {
        let logits: [Float] = [0.5, 3, 1, -2, 2.9]
        var p = SamplingParameters.greedy
        #expect(try Sampler(parameters: p).sample(logits: logits, history: [Int]()).token == 1)
        p.logitBias = [1: -100]
        #expect(try Sampler(parameters: p).sample(logits: logits, history: [Int]()).token == 4)
        p.logitBias = [3: 100, 99: 5]  // an id past the vocabulary is ignored by the sampler
        let r = try Sampler(parameters: p).sample(logits: logits, history: [Int]())
        #expect(r.token == 3)
        // log-probabilities stay those of the model's raw distribution
        let raw = logits.withUnsafeBufferPointer { RawDistribution($0).logprob(ofLogit: -2) }
        #expect(abs(r.logprob - raw) < 1e-6)
    }

    @Test func biasShiftsSampledFrequencies() throws {
        let logits: [Float] = [0, 0, 0, 0]
        var p = SamplingParameters(temperature: 1, seed: 7)
        p.logitBias = [2: Float(log(3.0))]  // token 2 three times as likely: 3/6
        let f = try frequencies(p, logits: logits, draws: 20000)
        #expect(maxAbsDiff(f, [1.0 / 6, 1.0 / 6, 3.0 / 6, 1.0 / 6]) < frequencyTolerance)
    }

    @Test func badBiasIsRefused() {
        var p = SamplingParameters()
        p.logitBias = [-1: 1]
        #expect(throws: SamplingError.self) { try p.validate() }
        p.logitBias = [1: .nan]
        #expect(throws: SamplingError.self) { try p.validate() }
    }
}
