// Gradient and AdamW-trajectory parity with PyTorch on the tiny checkpoints of scripts/fixtures/make_train_fixtures.py:
// every gradient tensor within 1e-4 of that tensor's largest |gradient|, the loss within 1e-5 relative, and 20 AdamW
// steps' losses within 1e-4 relative.
import Foundation
import Testing
import R1Formats
import R1Kernels
import R1Train

let trainFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/train")

struct TrainReference: Decodable {
    struct Adam: Decodable {
        struct Row: Decodable { let ids: [Int]; let loss_mask: [Float] }
        let lr, beta1, beta2, eps, weight_decay, max_grad_norm, min_lr_ratio: Double
        let warmup_steps, steps: Int
        let schedule: String
        let batch: [Row]
        let losses: [Double]
    }
    let ids: [Int]
    let loss_mask: [Float]
    let weights: [Float]?
    let lengths: [Int]
    let loss: Double
    let logprobs: [Double]?
    let adamw: Adam?

    static func load(_ name: String) throws -> TrainReference {
        try JSONDecoder().decode(TrainReference.self, from: Data(contentsOf: trainFixtures.appendingPathComponent("\(name)/reference.json")))
    }

    /// The reference's sequences (split by `lengths`).
    var sequences: [TrainSequence] {
        var out: [TrainSequence] = []
        var at = 0
        for n in lengths {
            out.append(TrainSequence(ids: Array(ids[at..<(at + n)]), lossMask: Array(loss_mask[at..<(at + n)]),
                                     weights: weights.map { Array($0[at..<(at + n)]) }))
            at += n
        }
        return out
    }
}



@Suite struct GradientParityTests {
    @Test(arguments: ["qwen2-gqa", "llama-untied", "qwen3-tied", "qwen2-packed"])
    func gradientsMatchPyTorch(_ name: String) throws {
        let ref = try TrainReference.load(name)
        let loaded = try LoadedParameters(folder: trainFixtures.appendingPathComponent(name).path)
        let pool = ThreadPool(threads: 2, kernels: .test)  // a pool per test: parallelFor is not reentrant, tests run concurrently
        let model = TrainModel(layout: loaded.layout, pool: pool)
        let batch = try model.batch(ref.sequences)
        let grads = FlatBuffer(count: loaded.layout.count)
        let result = model.lossAndGradient(loaded.parameters, grads: grads, batch: batch, workspace: model.workspace(for: batch))
        #expect(abs(result.meanLoss - ref.loss) <= 1e-5 * abs(ref.loss), "loss \(result.meanLoss) vs \(ref.loss)")

        let expected = try SafetensorsFile(path: trainFixtures.appendingPathComponent("\(name)/grads.safetensors").path)
        #expect(Set(expected.tensorNames) == Set(loaded.layout.tensors.map(\.name)))
        for t in loaded.layout.tensors {
            let view = try expected.requireTensor(t.name)
            #expect(view.shape == t.shape, "\(t.name)")
            let want = (0..<t.count).map { view.data.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            let got = loaded.layout.values(t, in: grads)
            let scale = want.map { abs($0) }.max()!
            let worst = zip(got, want).map { abs($0 - $1) }.max()!
            #expect(scale > 0 && worst <= 1e-4 * scale, "\(name) \(t.name): max |Δ| \(worst) vs max |g| \(scale)")
        }
        if let lps = ref.logprobs {
            for (t, want) in lps.enumerated() where ref.loss_mask[t + 1] != 0 {
                let got = try #require(result.logprobs[t])
                #expect(abs(Double(got) - want) <= 1e-4, "logprob at \(t): \(got) vs \(want)")
            }
        }
    }

    @Test(arguments: ["qwen2-gqa", "llama-untied", "qwen3-tied"])
    func adamWLossesFollowPyTorch(_ name: String) throws {
        let ref = try TrainReference.load(name)
        let adam = try #require(ref.adamw)
        let loaded = try LoadedParameters(folder: trainFixtures.appendingPathComponent(name).path)
        let pool = ThreadPool(threads: 2, kernels: .test)  // a pool per test: parallelFor is not reentrant, tests run concurrently
        let model = TrainModel(layout: loaded.layout, pool: pool)
        var config = OptimizerConfig()
        config.learningRate = adam.lr
        config.beta1 = adam.beta1
        config.beta2 = adam.beta2
        config.eps = adam.eps
        config.weightDecay = adam.weight_decay
        config.maxGradNorm = adam.max_grad_norm
        config.warmupSteps = adam.warmup_steps
        config.totalSteps = adam.steps
        config.minLearningRateRatio = adam.min_lr_ratio
        config.decay = try #require(OptimizerConfig.Decay(rawValue: adam.schedule))
        let optimizer = AdamW(config: config, layout: loaded.layout)
        // Gradient accumulation: one micro-batch per sequence, normalised by the step's total term count.
        let micro = try adam.batch.map { try model.batch([TrainSequence(ids: $0.ids, lossMask: $0.loss_mask)]) }
        let total = Double(micro.reduce(0) { $0 + $1.termCount })
        let grads = FlatBuffer(count: loaded.layout.count)
        var workspace: Activations? = nil
        for step in 0..<adam.steps {
            grads.zero()
            var lossSum = 0.0
            for b in micro {
                let ws = model.workspace(for: b, reusing: workspace)
                workspace = ws
                lossSum += model.lossAndGradient(loaded.parameters, grads: grads, batch: b, workspace: ws, normalizer: total).lossSum
            }
            let loss = lossSum / total
            #expect(abs(loss - adam.losses[step]) <= 1e-4 * abs(adam.losses[step]), "\(name) step \(step): \(loss) vs \(adam.losses[step])")
            optimizer.update(loaded.parameters, grads: grads, pool: pool)
        }
    }
}
