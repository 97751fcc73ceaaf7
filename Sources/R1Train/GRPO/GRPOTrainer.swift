// One GRPO step, as TRL's GRPOTrainer with the whole generation batch in one optimizer step per iteration: draw
// prompts, sample G completions each from the current parameters (RolloutSampler over an in-memory inference model),
// score them (GRPORewards), drop uniform groups when dynamic sampling is on (DAPO), compute group advantages, then μ
// times: forward at temperature T, GRPOObjective's ∂loss/∂logp, backward, AdamW. Old log-probs are the detached
// current ones when μ = 1 (ratio exactly 1) and a forward before the first update otherwise; the reference model's
// log-probs are computed only when β > 0.
import Foundation
import R1Eval
import R1Formats
import R1Kernels
import R1Models
import R1Runtime
import R1Tokenizer

/// Where a GRPO run stands between steps; with the parameters and AdamW moments it decides the rest of the run.
public struct GRPOState: Sendable, Codable, Equatable {
    public var step = 0
    /// Training problems drawn so far (held-out ones skipped included).
    public var problemCursor = 0
    /// TrainRandom's state: each completion's sampler seed is its next draw.
    public var rngState: UInt64 = 0
    /// Wall-clock seconds of the steps so far (rollouts and updates), summed over resumed runs: what `max_seconds`
    /// budgets. Absent in checkpoints written before it was kept (read as 0).
    public var seconds: Double = 0
    public init() {}

    enum CodingKeys: String, CodingKey { case step, problemCursor, rngState, seconds }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        step = try c.decode(Int.self, forKey: .step)
        problemCursor = try c.decode(Int.self, forKey: .problemCursor)
        rngState = try c.decode(UInt64.self, forKey: .rngState)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds) ?? 0
    }
}

/// One scored completion.
public struct GRPOCompletion: Sendable {
    public var problem: EvalProblem
    public var rollout: Rollout
    /// What the reward read: the response text with the `<think>\n` the prompt opened.
    public var text: String
    public var reward: GRPOReward
    public var advantage: Double
}

public struct GRPOStepResult: Sendable {
    public var step = 0
    public var loss = 0.0, gradNorm = 0.0, learningRate = 0.0
    public var rewardMean = 0.0, rewardStd = 0.0, accuracy = 0.0, formatRate = 0.0
    public var kl = 0.0, clipLow = 0.0, clipHigh = 0.0, entropy = 0.0
    public var meanLength = 0.0, maxLength = 0, truncatedFraction = 0.0
    public var rolloutSeconds = 0.0, updateSeconds = 0.0
    public var generatedTokens = 0, trainedTokens = 0
    public var promptsDrawn = 0, groupsKept = 0, groupsDropped = 0
    /// max |log p_train - log p_sampling| over the step's completion tokens at the first iteration (the engines agree).
    public var logprobDiffMax = 0.0
    /// Every completion sampled this step, kept groups first.
    public var completions: [GRPOCompletion] = []
}

public final class GRPOTrainer: @unchecked Sendable {
    public let model: TrainModel
    public let parameters: FlatBuffer
    public let grads: FlatBuffer
    public let optimizer: AdamW
    /// The starting policy's parameters (kept only when β > 0).
    public let reference: FlatBuffer?
    public let config: GRPOConfig
    public let problems: GRPOProblems
    public let formatter: PromptFormatter
    public private(set) var state: GRPOState
    private var workspace: Activations?

    /// A fresh run from `parameters` (state nil), or a resumed one (`optimizer` and `state` loaded).
    public init(model: TrainModel, parameters: FlatBuffer, reference: FlatBuffer?, formatter: PromptFormatter, config: GRPOConfig,
                optimizer: AdamW? = nil, state: GRPOState? = nil) throws {
        guard formatter.tokenizer.vocabularySize <= model.shape.vocabSize else {
            throw TrainError("the tokenizer has \(formatter.tokenizer.vocabularySize) tokens, the model's vocab_size is \(model.shape.vocabSize)")
        }
        guard !formatter.tokenizer.eosIds.isEmpty else { throw TrainError("the tokenizer has no EOS token (completions could not end)") }
        if config.beta > 0, reference == nil { throw TrainError("beta \(config.beta) > 0 needs the reference model's parameters") }
        self.model = model
        self.parameters = parameters
        self.reference = config.beta > 0 ? reference : nil
        self.formatter = formatter
        self.config = config
        problems = try config.problems()
        grads = FlatBuffer(count: model.layout.count)
        self.optimizer = optimizer ?? AdamW(config: config.optimizerConfig, layout: model.layout)
        if let state { self.state = state } else {
            var s = GRPOState()
            s.rngState = config.seed
            self.state = s
        }
    }

    // MARK: - rollouts

    /// The chat prompt of `problem`: the model's template with the generation prompt (R1's opens `<think>\n`).
    func prompt(for problem: EvalProblem) throws -> PromptFormatter.Prompt {
        try formatter.chatPrompt(messages: [PromptFormatter.userMessage(EvalPrompt.userMessage(for: problem))])
    }

    /// `count` new problems, G completions each, scored; advantages are filled in later.
    func sampleGroups(count: Int, policy: LoadedModel) throws -> [[GRPOCompletion]] {
        var problemsDrawn: [EvalProblem] = [], prompts: [PromptFormatter.Prompt] = []
        for _ in 0..<count {
            let p = try problems.next(cursor: &state.problemCursor)
            problemsDrawn.append(p)
            prompts.append(try prompt(for: p))
        }
        var rng = TrainRandom(seed: state.rngState)
        var ids: [[Int]] = [], seeds: [UInt64] = []
        for p in prompts {
            for _ in 0..<config.groupSize {
                ids.append(p.ids)
                seeds.append(rng.next())
            }
        }
        state.rngState = rng.state
        let eos = Set(formatter.tokenizer.eosIds)
        let settings = RolloutSettings(maxNewTokens: config.maxNewTokens, temperature: Float(config.temperature),
                                       topP: Float(config.topP), eosIds: eos)
        let rollouts = try RolloutSampler.generate(model: policy.model, prompts: ids, seeds: seeds, settings: settings, pool: model.pool)
        return (0..<count).map { g in
            (0..<config.groupSize).map { k in
                let r = rollouts[g * config.groupSize + k]
                let body = r.completion.last.map { eos.contains($0) } == true ? Array(r.completion.dropLast()) : r.completion
                let text = (prompts[g].opensThinking ? "<think>\n" : "") + formatter.tokenizer.decode(body, skipSpecialTokens: true)
                let reward = GRPORewards.score(problemsDrawn[g], text: text, length: r.completion.count, truncated: r.truncated,
                                               config: config.rewards)
                return GRPOCompletion(problem: problemsDrawn[g], rollout: r, text: text, reward: reward, advantage: 0)
            }
        }
    }

    // MARK: - the step

    public func step() throws -> GRPOStepResult {
        var result = GRPOStepResult()
        let t0 = Date()
        let policy = try model.layout.inferenceModel(parameters)
        var kept: [[GRPOCompletion]] = [], dropped: [[GRPOCompletion]] = []
        while kept.count < config.promptsPerStep {
            let want = config.promptsPerStep - kept.count
            let budget = config.dynamicSampling ? config.effectiveMaxPromptDraws - result.promptsDrawn : want
            let count = min(want, budget)
            guard count > 0 else { break }
            result.promptsDrawn += count
            for group in try sampleGroups(count: count, policy: policy) {
                let rewards = group.map(\.reward.total)
                if config.dynamicSampling, rewards.allSatisfy({ $0 == rewards[0] }) { dropped.append(group) } else { kept.append(group) }
            }
            if !config.dynamicSampling { break }
        }
        result.rolloutSeconds = Date().timeIntervalSince(t0)
        let rewards = kept.flatMap { $0.map(\.reward.total) }
        if !rewards.isEmpty {
            let adv = GRPOObjective.advantages(rewards: rewards, groupSize: config.groupSize, scale: config.effectiveScaleRewards)
            for g in kept.indices { for k in kept[g].indices { kept[g][k].advantage = adv[g * config.groupSize + k] } }
        }
        let batch = kept.flatMap { $0 }
        result.completions = batch + dropped.flatMap { $0 }
        result.groupsKept = kept.count
        result.groupsDropped = dropped.count

        let t1 = Date()
        if !batch.isEmpty { try update(batch, into: &result) }
        result.updateSeconds = Date().timeIntervalSince(t1)
        state.seconds += Date().timeIntervalSince(t0)
        state.step += 1
        result.step = state.step
        summarize(&result)
        return result
    }

    /// The μ optimizer steps on one batch of scored completions.
    func update(_ batch: [GRPOCompletion], into result: inout GRPOStepResult) throws {
        let seqs = batch.map { c -> TrainSequence in
            let p = c.rollout.prompt.count, n = c.rollout.completion.count
            return TrainSequence(ids: c.rollout.prompt + c.rollout.completion,
                                 lossMask: [Float](repeating: 0, count: p) + [Float](repeating: 1, count: n))
        }
        // micro-batches of whole sequences, as index ranges into `batch`
        var ranges: [Range<Int>] = [], start = 0, tokens = 0
        for (i, s) in seqs.enumerated() {
            if tokens + s.ids.count > config.microBatchTokens, i > start {
                ranges.append(start..<i)
                start = i
                tokens = 0
            }
            tokens += s.ids.count
        }
        ranges.append(start..<seqs.count)
        let micro = try ranges.map { try model.batch(Array(seqs[$0])) }
        let totalTokens = batch.reduce(0) { $0 + $1.rollout.completion.count }
        let totals = (sequences: batch.count, tokens: totalTokens)
        let temperature = Float(config.temperature)
        result.trainedTokens = seqs.reduce(0) { $0 + $1.ids.count } * config.updatesPerStep

        /// Each completion's per-token log-probs in a forward result over micro-batch `m`.
        func completionLogprobs(_ r: ForwardResult, _ m: Int) -> [[Double]] {
            var offset = 0
            return ranges[m].map { i in
                let p = batch[i].rollout.prompt.count, n = batch[i].rollout.completion.count
                defer { offset += p + n }
                return (0..<n).map { Double(r.logprobs[offset + p - 1 + $0]!) }
            }
        }
        func logprobs(_ params: FlatBuffer) -> [[[Double]]] {
            micro.indices.map { m in
                let ws = model.workspace(for: micro[m], reusing: workspace)
                workspace = ws
                return completionLogprobs(model.evaluate(params, batch: micro[m], workspace: ws, temperature: temperature), m)
            }
        }
        let old = config.updatesPerStep > 1 ? logprobs(parameters) : nil
        let ref = reference.map { logprobs($0) }

        var entropySum = 0.0, klSum = 0.0, lowSum = 0.0, highSum = 0.0, lossSum = 0.0, normSum = 0.0
        for iteration in 0..<config.updatesPerStep {
            grads.zero()
            for m in micro.indices {
                let ws = model.workspace(for: micro[m], reusing: workspace)
                workspace = ws
                _ = model.logprobGradient(parameters, grads: grads, batch: micro[m], workspace: ws, temperature: temperature) { r in
                    let logp = completionLogprobs(r, m)
                    let members = ranges[m].map { batch[$0] }
                    if iteration == 0 {
                        var offset = 0
                        for (c, row) in zip(members, logp) {
                            for (a, b) in zip(row, c.rollout.samplingLogprobs) {
                                result.logprobDiffMax = max(result.logprobDiffMax, abs(a - Double(b)))
                            }
                            let p = c.rollout.prompt.count
                            for k in 0..<row.count { entropySum += Double(r.entropies[offset + p - 1 + k]!) }
                            offset += p + row.count
                        }
                    }
                    let o = config.objective.evaluate(logp: logp, old: old?[m], ref: ref?[m], advantages: members.map(\.advantage),
                                                      totals: totals)
                    lossSum += o.loss
                    let share = Double(o.tokens) / Double(max(1, totalTokens))
                    klSum += o.klMean * share
                    lowSum += o.clipLow * share
                    highSum += o.clipHigh * share
                    return o.gradient.flatMap { $0.map(Float.init) }
                }
            }
            let (norm, lr) = optimizer.update(parameters, grads: grads, pool: model.pool)
            guard norm.isFinite else { throw TrainError("step \(state.step + 1): the gradient norm is \(norm) (diverged; lower the learning rate)") }
            normSum += norm
            result.learningRate = lr
        }
        let mu = Double(config.updatesPerStep)
        result.loss = lossSum / mu
        result.gradNorm = normSum / mu
        result.kl = klSum / mu
        result.clipLow = lowSum / mu
        result.clipHigh = highSum / mu
        result.entropy = entropySum / Double(max(1, totalTokens))
    }

    /// Reward and length statistics over every completion sampled this step.
    func summarize(_ r: inout GRPOStepResult) {
        let all = r.completions
        guard !all.isEmpty else { return }
        let n = Double(all.count)
        let rewards = all.map(\.reward.total)
        r.rewardMean = rewards.reduce(0, +) / n
        r.rewardStd = all.count > 1 ? (rewards.reduce(0) { $0 + ($1 - r.rewardMean) * ($1 - r.rewardMean) } / (n - 1)).squareRoot() : 0
        r.accuracy = Double(all.filter(\.reward.correct).count) / n
        r.formatRate = Double(all.filter(\.reward.wellFormed).count) / n
        let lengths = all.map(\.rollout.completion.count)
        r.generatedTokens = lengths.reduce(0, +)
        r.meanLength = Double(r.generatedTokens) / n
        r.maxLength = lengths.max() ?? 0
        r.truncatedFraction = Double(all.filter(\.rollout.truncated).count) / n
    }

    // MARK: - checkpoints

    /// A folder `r1 run/chat/eval run` load (config.json, model.safetensors, tokenizer files) that `resume` continues.
    public func save(to folder: String, tokenizerFrom: String) throws {
        try Checkpoint.saveModel(layout: model.layout, parameters: parameters, to: folder, tokenizerFrom: tokenizerFrom)
        var trainer = TrainerState()
        trainer.step = optimizer.step
        try Checkpoint.saveState(optimizer: optimizer, state: trainer, to: folder)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try enc.encode(state).write(to: URL(fileURLWithPath: folder).appendingPathComponent("grpo_state.json"), options: .atomic) } catch {
            throw TrainError("\(folder): cannot write grpo_state.json: \(error.localizedDescription)")
        }
    }

    /// Continues the run saved in `folder`: its parameters, AdamW moments, step, problem cursor and sampler RNG.
    public static func resume(from folder: String, reference: FlatBuffer?, formatter: PromptFormatter, config: GRPOConfig,
                              pool: ThreadPool) throws -> GRPOTrainer {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("grpo_state.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainError("\(folder): no grpo_state.json (not a GRPO checkpoint)")
        }
        let state: GRPOState
        do { state = try JSONDecoder().decode(GRPOState.self, from: data) } catch { throw TrainError("\(path): malformed: \(error)") }
        let loaded = try LoadedParameters(folder: folder)
        let optimizer = AdamW(config: config.optimizerConfig, layout: loaded.layout)
        _ = try Checkpoint.loadState(into: optimizer, from: folder)
        return try GRPOTrainer(model: TrainModel(layout: loaded.layout, pool: pool), parameters: loaded.parameters,
                               reference: reference, formatter: formatter, config: config, optimizer: optimizer, state: state)
    }
}
