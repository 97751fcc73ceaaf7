// The training step, as llm.c's loop: take the next batch of examples (a seeded shuffle per epoch), pack them into
// micro-batches of at most `microBatchTokens` tokens, forward + backward each into one gradient normalised by the
// step's term count (gradient accumulation), then clip and AdamW. Everything that decides the next step lives in
// `state`, the optimizer and the parameters, so a run saved and resumed repeats bit-identically.
import Foundation
import R1Kernels

public struct TrainerConfig: Sendable {
    /// Examples per optimizer step.
    public var batchSize: Int = 8
    /// Most tokens in one packed micro-batch (the workspace grows to it).
    public var microBatchTokens: Int = 2048
    public var seed: UInt64 = 0
    /// Randomised positions (SFTConfig.positionStretch); 1: none.
    public var positionStretch: Double = 1
    public var optimizer = OptimizerConfig()

    public init() {}

    public func validate() throws {
        guard batchSize > 0 else { throw TrainError("batch size must be positive, got \(batchSize)") }
        guard microBatchTokens > 1 else { throw TrainError("micro-batch tokens must be at least 2, got \(microBatchTokens)") }
        try optimizer.validate()
    }
}

public struct StepResult: Sendable {
    public let step: Int
    public let loss: Double
    public let gradNorm: Double
    public let learningRate: Double
    public let tokens: Int
    public let terms: Int
}

public final class Trainer: @unchecked Sendable {
    public let model: TrainModel
    public let parameters: FlatBuffer
    public let grads: FlatBuffer
    public let optimizer: AdamW
    public let config: TrainerConfig
    public private(set) var state: TrainerState
    let examples: [TrainSequence]
    private var workspace: Activations?

    /// A fresh run (state nil) or a resumed one (state from `Checkpoint.loadState`, the optimizer already loaded).
    public init(model: TrainModel, parameters: FlatBuffer, examples: [TrainSequence], config: TrainerConfig,
                optimizer: AdamW? = nil, state: TrainerState? = nil) throws {
        try config.validate()
        guard !examples.isEmpty else { throw TrainError("no training examples") }
        for (i, e) in examples.enumerated() where e.ids.count > config.microBatchTokens {
            throw TrainError("example \(i) has \(e.ids.count) tokens, more than the \(config.microBatchTokens) of a micro-batch")
        }
        self.model = model
        self.parameters = parameters
        self.examples = examples
        self.config = config
        grads = FlatBuffer(count: model.layout.count)
        self.optimizer = optimizer ?? AdamW(config: config.optimizer, layout: model.layout)
        if let s = state {
            guard s.order.isEmpty || s.order.count == examples.count, s.position <= s.order.count else {
                throw TrainError("the checkpoint's data order has \(s.order.count) examples, the data has \(examples.count)")
            }
            self.state = s
        } else {
            var s = TrainerState()
            s.rngState = config.seed
            self.state = s
        }
    }

    /// Continues the run saved in `folder` by `save(to:)`: its parameters, AdamW moments, step and data position.
    public static func resume(from folder: String, examples: [TrainSequence], config: TrainerConfig, pool: ThreadPool) throws -> Trainer {
        let loaded = try LoadedParameters(folder: folder)
        let model = TrainModel(layout: loaded.layout, pool: pool)
        let optimizer = AdamW(config: config.optimizer, layout: loaded.layout)
        let state = try Checkpoint.loadState(into: optimizer, from: folder)
        return try Trainer(model: model, parameters: loaded.parameters, examples: examples, config: config,
                           optimizer: optimizer, state: state)
    }

    /// The next `batchSize` example indices, reshuffling at each epoch's end.
    func nextIndices() -> [Int] {
        var out: [Int] = []
        while out.count < config.batchSize {
            if state.position >= state.order.count {
                if !state.order.isEmpty { state.epoch += 1 }
                var rng = TrainRandom(seed: state.rngState)
                var order = Array(0..<examples.count)
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                state.rngState = rng.state
                state.order = order
                state.position = 0
            }
            out.append(state.order[state.position])
            state.position += 1
        }
        return out
    }

    /// Greedy packing in order: a micro-batch closes when the next example would pass `microBatchTokens`.
    static func pack(_ seqs: [TrainSequence], maxTokens: Int) -> [[TrainSequence]] {
        var out: [[TrainSequence]] = [], cur: [TrainSequence] = [], n = 0
        for s in seqs {
            if n + s.ids.count > maxTokens, !cur.isEmpty {
                out.append(cur)
                cur = []
                n = 0
            }
            cur.append(s)
            n += s.ids.count
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// `count` increasing positions drawn uniformly below L, L uniform in count...stretch·count (at most `limit`).
    public static func stretchedPositions(count n: Int, stretch: Double, limit: Int, rng: inout TrainRandom) -> [Int] {
        let top = max(n, min(limit, Int((Double(n) * stretch).rounded(.down))))
        let L = n + Int(rng.next() % UInt64(top - n + 1))
        if L == n { return Array(0..<n) }
        // Floyd's sampling of n distinct values below L, then sorted.
        var chosen = Set<Int>()
        for j in (L - n)..<L {
            let t = Int(rng.next() % UInt64(j + 1))
            chosen.insert(chosen.contains(t) ? j : t)
        }
        return chosen.sorted()
    }

    /// One optimizer step.
    public func step() throws -> StepResult {
        var seqs = nextIndices().map { examples[$0] }
        if config.positionStretch > 1 {
            // Drawn from the step number, so a resumed run draws the same positions.
            var rng = TrainRandom(seed: config.seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(optimizer.step + 1))
            for i in seqs.indices {
                seqs[i].positions = Trainer.stretchedPositions(count: seqs[i].ids.count, stretch: config.positionStretch,
                                                               limit: model.shape.maxPositionEmbeddings, rng: &rng)
            }
        }
        let batches = try Trainer.pack(seqs, maxTokens: config.microBatchTokens).map { try model.batch($0) }
        let terms = batches.reduce(0) { $0 + $1.termCount }
        let tokens = batches.reduce(0) { $0 + $1.tokenCount }
        grads.zero()
        var lossSum = 0.0
        for b in batches where b.termCount > 0 {
            let ws = model.workspace(for: b, reusing: workspace)
            workspace = ws
            lossSum += model.lossAndGradient(parameters, grads: grads, batch: b, workspace: ws, normalizer: Double(terms)).lossSum
        }
        let (norm, lr) = optimizer.update(parameters, grads: grads, pool: model.pool)
        guard norm.isFinite else { throw TrainError("step \(optimizer.step): the gradient norm is \(norm) (diverged; lower the learning rate)") }
        state.step = optimizer.step
        state.tokensSeen += tokens
        return StepResult(step: optimizer.step, loss: terms == 0 ? 0 : lossSum / Double(terms), gradNorm: norm,
                          learningRate: lr, tokens: tokens, terms: terms)
    }

    /// Mean loss over every counted term of `examples` (no gradients).
    public func evaluate(_ examples: [TrainSequence]) throws -> Double {
        var sum = 0.0, terms = 0
        for group in Trainer.pack(examples, maxTokens: config.microBatchTokens) {
            let b = try model.batch(group)
            guard b.termCount > 0 else { continue }
            let ws = model.workspace(for: b, reusing: workspace)
            workspace = ws
            let r = model.evaluate(parameters, batch: b, workspace: ws)
            sum += r.lossSum
            terms += r.termCount
        }
        return terms == 0 ? 0 : sum / Double(terms)
    }

    /// Saves a checkpoint folder that `r1 chat` runs and `resume` continues from.
    public func save(to folder: String, tokenizerFrom: String?) throws {
        try Checkpoint.saveModel(layout: model.layout, parameters: parameters, to: folder, tokenizerFrom: tokenizerFrom)
        try Checkpoint.saveState(optimizer: optimizer, state: state, to: folder)
    }
}
