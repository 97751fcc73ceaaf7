// The GRPO objective against TRL's formulas in PyTorch (scripts/fixtures/make_grpo_fixtures.py): advantages, loss and
// ∂loss/∂logp for each loss type, clip fractions, k3 KL, DAPO's overlong punishment; and the model's log-prob backward
// against the cross-entropy path it generalises.
import Foundation
import Testing
import R1Formats
import R1Kernels
@testable import R1Train

private let grpoFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/grpo")

private func objectiveFixture() throws -> JSONValue {
    try JSONValue.parse(Data(contentsOf: grpoFixtures.appendingPathComponent("objective.json")))
}

private func matrix(_ v: JSONValue?) -> [[Double]] { (v?.array ?? []).map { ($0.array ?? []).map { $0.double ?? .nan } } }
private func vector(_ v: JSONValue?) -> [Double] { (v?.array ?? []).map { $0.double ?? .nan } }

@Suite struct GRPOObjectiveTests {
    @Test(arguments: ["sequence", "token-clip-higher", "token-kl", "dr-grpo", "on-policy"])
    func lossAndGradientMatchTRL(_ name: String) throws {
        let root = try objectiveFixture()
        let c = try #require(root["cases"]?.array?.first { $0["name"]?.string == name })
        let lossType = try #require(GRPOLossType(rawValue: c["loss_type"]?.string ?? ""))
        let groupSize = try #require(c["group_size"]?.int)
        let adv = GRPOObjective.advantages(rewards: vector(c["rewards"]), groupSize: groupSize,
                                           scale: c["scale_rewards"]?.bool ?? true)
        let expectedAdv = vector(c["advantages"])
        #expect(adv.count == expectedAdv.count)
        for (a, e) in zip(adv, expectedAdv) { #expect(abs(a - e) < 1e-5, "advantage \(a) vs \(e)") }

        let objective = GRPOObjective(lossType: lossType, epsilonLow: c["epsilon_low"]!.double!, epsilonHigh: c["epsilon_high"]!.double!,
                                      beta: c["beta"]!.double!, maxNewTokens: c["max_new_tokens"]!.int!)
        let logp = matrix(c["logp"]), old = matrix(c["old_logp"])
        let onPolicy = name == "on-policy"
        let r = objective.evaluate(logp: logp, old: onPolicy ? nil : old, ref: matrix(c["ref_logp"]), advantages: adv)
        #expect(abs(r.loss - c["loss"]!.double!) < 1e-5, "loss \(r.loss) vs \(c["loss"]!.double!)")
        let grad = matrix(c["grad"])
        for (i, (row, expected)) in zip(r.gradient, grad).enumerated() {
            #expect(row.count == expected.count)
            for (t, (g, e)) in zip(row, expected).enumerated() { #expect(abs(g - e) < 1e-5, "grad[\(i)][\(t)] \(g) vs \(e)") }
        }
        #expect(abs(r.clipLow - c["clip_low"]!.double!) < 1e-9)
        #expect(abs(r.clipHigh - c["clip_high"]!.double!) < 1e-9)
        if objective.beta != 0 { #expect(abs(r.klMean - c["kl_mean"]!.double!) < 1e-6) }
    }

    @Test func overlongPunishmentMatchesTRL() throws {
        for c in try objectiveFixture()["overlong"]?.array ?? [] {
            let maxNew = c["max_new_tokens"]!.int!, buffer = c["buffer"]!.int!
            for (n, e) in zip((c["lengths"]?.array ?? []).map { $0.int! }, vector(c["rewards"])) where buffer > 0 || n <= maxNew {
                let got = buffer > 0 ? GRPORewards.overlongPunishment(length: n, maxNewTokens: maxNew, buffer: buffer) : 0
                #expect(abs(got - e) < 1e-12, "length \(n) of \(maxNew) (buffer \(buffer)): \(got) vs \(e)")
            }
        }
    }

    /// With ∂L/∂logp = -w per term, the log-prob backward is the weighted cross-entropy's; with a temperature the
    /// log-probs are those of logits / T.
    @Test func logprobBackwardIsCrossEntropysAtTemperatureOne() throws {
        let pool = ThreadPool(threads: 2, kernels: .test)
        let layout = ParameterLayout(shape: try tinyShape())
        let params = FlatBuffer(count: layout.count)
        layout.initialize(params, seed: 5, std: 0.2)
        let model = TrainModel(layout: layout, pool: pool)
        let seqs = tinyExamples(count: 3, seed: 9)
        let batch = try model.batch(seqs)
        let ws = model.workspace(for: batch)
        let a = FlatBuffer(count: layout.count), b = FlatBuffer(count: layout.count)
        _ = model.lossAndGradient(params, grads: a, batch: batch, workspace: ws, normalizer: 1)
        _ = model.logprobGradient(params, grads: b, batch: batch, workspace: ws, temperature: 1) { r in
            [Float](repeating: -1, count: r.termCount)
        }
        // The two paths differ only in how the logsumexp is rounded (the cross-entropy keeps it, the log-prob path takes
        // it back as z[target] - logp[target]), about one ulp that the backward carries as a relative error: bound the
        // difference relative to the gradient's scale (gradients here reach 9, where one ulp is 9.5e-7).
        let maxDiff = zip(a.array, b.array).map { abs($0 - $1) }.max()!, scale = a.array.map { abs($0) }.max()!
        #expect(maxDiff <= 1e-6 * scale, "\(maxDiff) at gradient scale \(scale)")

        // finite difference through the temperature: d/dε of Σ logp at T = 0.7 along the gradient direction
        let t: Float = 0.7
        let g = FlatBuffer(count: layout.count)
        let base = model.logprobGradient(params, grads: g, batch: batch, workspace: ws, temperature: t) { r in
            [Float](repeating: 1, count: r.termCount)
        }
        let sum0 = base.logprobs.compactMap { $0 }.reduce(0, +)
        let norm = g.array.reduce(0) { $0 + $1 * $1 }
        let eps: Float = 1e-3 / norm.squareRoot()
        let moved = FlatBuffer(count: layout.count)
        for i in 0..<layout.count { moved.pointer[i] = params.pointer[i] + eps * g.pointer[i] }
        let sum1 = model.evaluate(moved, batch: batch, workspace: ws, temperature: t).logprobs.compactMap { $0 }.reduce(0, +)
        let predicted = eps * norm
        #expect(abs((sum1 - sum0) - predicted) < 0.05 * abs(predicted), "\(sum1 - sum0) vs \(predicted)")
    }
}
