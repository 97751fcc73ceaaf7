// `r1 train grpo --config FILE`: the GRPO run's settings, JSON or YAML (ConfigFile's format), snake_case keys.
// Names and defaults follow TRL's GRPOConfig (trl 1.16) where it has the setting: beta 0, epsilon 0.2,
// epsilon_high = epsilon, loss_type "dapo" (here `token`), scale_rewards on, num_iterations (here updates_per_step) 1.
import Foundation
import R1Eval
import R1Formats

public struct GRPOConfig: Sendable, Codable {
    /// The policy to start from: a checkpoint folder (config.json + safetensors + tokenizer), e.g. an SFT output.
    public var model: String
    /// The output folder: checkpoints, metrics.jsonl, samples.txt, grpo.svg.
    public var output: String
    /// `arithmetic` or `countdown` (R1Eval's built-in task sets).
    public var task: String
    /// Difficulties of the task's built-in problems, taken in turn; may be empty when `questions` gives problems.
    public var difficulty: [Int]
    /// Question files (`r1 eval run FILE`'s layouts; a custom one needs `question_field` and `answer_field`), taken in
    /// turn with the difficulties, each in a seeded order drawn anew every pass (GRPOProblems).
    public var questions: [String] = []
    public var questionField: String?
    public var answerField: String?
    /// Files whose questions are never drawn (held-out sets), read like `questions`.
    public var exclude: [String] = []
    /// The seed training problems are drawn from; never the eval seed 0.
    public var trainSeed: UInt64 = 1
    /// GRPO steps (each: rollouts, then `updatesPerStep` optimizer steps); the learning-rate schedule spans them.
    public var steps: Int
    /// A time budget: the run ends after the step that brings its wall-clock seconds (rollouts and updates, summed
    /// over resumes) to at least this, or at `steps`, whichever comes first; for a comparison at equal compute (a
    /// distillation control given the seconds the distillation took). nil: no budget.
    public var maxSeconds: Double?
    public var promptsPerStep: Int = 8
    /// G: completions per prompt.
    public var groupSize: Int = 8
    public var maxNewTokens: Int = 256
    public var temperature: Double = 1.0
    public var topP: Double = 1.0
    public var learningRate: Double = 1e-6
    public var warmupSteps: Int = 0
    public var minLrRatio: Double = 0.1
    public var schedule: String = "constant"
    public var weightDecay: Double = 0.0
    public var maxGradNorm: Double = 1.0
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    /// KL coefficient; 0 keeps no reference model.
    public var beta: Double = 0
    public var epsilonLow: Double = 0.2
    /// DAPO's clip-higher; default epsilon_low.
    public var epsilonHigh: Double?
    public var lossType: GRPOLossType = .token
    /// Divide advantages by the group's std; default true, false for dr_grpo.
    public var scaleRewards: Bool?
    /// Drop groups whose rewards are all equal and draw more prompts (DAPO), up to `maxPromptDraws` per step.
    public var dynamicSampling: Bool = false
    public var maxPromptDraws: Int?
    public var overlongBuffer: Int = 0
    public var overlongPenalty: Double = 1.0
    public var truncatedRewardZero: Bool = false
    public var formatReward: Double = 0.1
    /// μ: optimizer steps per batch of rollouts (TRL's num_iterations).
    public var updatesPerStep: Int = 1
    /// Most tokens in one packed forward/backward.
    public var microBatchTokens: Int = 4096
    public var saveEvery: Int = 0
    /// Write a few completions to samples.txt every this many steps (0: never).
    public var sampleEvery: Int = 1
    public var seed: UInt64 = 0
    public var threads: Int?

    /// The eval set the held-out problems come from (`r1 eval run`'s default) and how many of them.
    public static let evalSeed: UInt64 = 0
    public static let heldOutCount = 1000

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, output, task, difficulty, questions, questionField, answerField, exclude, trainSeed, steps, maxSeconds
        case promptsPerStep, groupSize, maxNewTokens, temperature, topP
        case learningRate, warmupSteps, minLrRatio, schedule, weightDecay, maxGradNorm, beta1, beta2, beta, epsilonLow
        case epsilonHigh, lossType, scaleRewards, dynamicSampling, maxPromptDraws, overlongBuffer, overlongPenalty
        case truncatedRewardZero, formatReward, updatesPerStep, microBatchTokens, saveEvery, sampleEvery, seed, threads
    }

    public init(model: String, output: String, task: String, difficulty: [Int], steps: Int) {
        self.model = model
        self.output = output
        self.task = task
        self.difficulty = difficulty
        self.steps = steps
    }

    /// Keys left out keep the defaults above.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func opt<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? fallback }
        model = try c.decode(String.self, forKey: .model)
        output = try c.decode(String.self, forKey: .output)
        task = try c.decode(String.self, forKey: .task)
        /// One value or a list of them.
        func list<T: Decodable>(_ key: CodingKeys) throws -> [T] {
            if let one = try? c.decode(T.self, forKey: key) { return [one] }
            return try opt(key, [T]())
        }
        difficulty = try list(.difficulty)
        questions = try list(.questions)
        questionField = try c.decodeIfPresent(String.self, forKey: .questionField)
        answerField = try c.decodeIfPresent(String.self, forKey: .answerField)
        exclude = try list(.exclude)
        steps = try c.decode(Int.self, forKey: .steps)
        maxSeconds = try c.decodeIfPresent(Double.self, forKey: .maxSeconds)
        trainSeed = try opt(.trainSeed, trainSeed)
        promptsPerStep = try opt(.promptsPerStep, promptsPerStep)
        groupSize = try opt(.groupSize, groupSize)
        maxNewTokens = try opt(.maxNewTokens, maxNewTokens)
        temperature = try opt(.temperature, temperature)
        topP = try opt(.topP, topP)
        learningRate = try opt(.learningRate, learningRate)
        warmupSteps = try opt(.warmupSteps, warmupSteps)
        minLrRatio = try opt(.minLrRatio, minLrRatio)
        schedule = try opt(.schedule, schedule)
        weightDecay = try opt(.weightDecay, weightDecay)
        maxGradNorm = try opt(.maxGradNorm, maxGradNorm)
        beta1 = try opt(.beta1, beta1)
        beta2 = try opt(.beta2, beta2)
        beta = try opt(.beta, beta)
        epsilonLow = try opt(.epsilonLow, epsilonLow)
        epsilonHigh = try c.decodeIfPresent(Double.self, forKey: .epsilonHigh)
        if let name = try c.decodeIfPresent(String.self, forKey: .lossType) {
            guard let t = GRPOLossType(rawValue: name) else {
                throw TrainError("loss_type '\(name)' is not one of \(GRPOLossType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            lossType = t
        }
        scaleRewards = try c.decodeIfPresent(Bool.self, forKey: .scaleRewards)
        dynamicSampling = try opt(.dynamicSampling, dynamicSampling)
        maxPromptDraws = try c.decodeIfPresent(Int.self, forKey: .maxPromptDraws)
        overlongBuffer = try opt(.overlongBuffer, overlongBuffer)
        overlongPenalty = try opt(.overlongPenalty, overlongPenalty)
        truncatedRewardZero = try opt(.truncatedRewardZero, truncatedRewardZero)
        formatReward = try opt(.formatReward, formatReward)
        updatesPerStep = try opt(.updatesPerStep, updatesPerStep)
        microBatchTokens = try opt(.microBatchTokens, microBatchTokens)
        saveEvery = try opt(.saveEvery, saveEvery)
        sampleEvery = try opt(.sampleEvery, sampleEvery)
        seed = try opt(.seed, seed)
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
    }

    public static func load(path: String) throws -> GRPOConfig {
        let config = try ConfigFile.decode(GRPOConfig.self, path: path, keys: CodingKeys.allCases.map(\.rawValue))
        try config.validate(source: path)
        return config
    }

    public var effectiveEpsilonHigh: Double { epsilonHigh ?? epsilonLow }
    public var effectiveScaleRewards: Bool { scaleRewards ?? (lossType != .drGRPO) }
    public var effectiveMaxPromptDraws: Int { maxPromptDraws ?? 4 * promptsPerStep }
    /// R1Eval's name of the task set.
    public var taskSet: String { "builtin:" + task }
    /// The fields of custom question files, when named.
    public var questionFields: EvalDataset.Fields? {
        guard let q = questionField, let a = answerField else { return nil }
        return EvalDataset.Fields(question: q, answer: a)
    }

    /// The training problems this config draws from.
    public func problems() throws -> GRPOProblems {
        let excluded: Set<String>
        do { excluded = try EvalDataset.questions(inFiles: exclude, fields: questionFields) } catch { throw TrainError("exclude: \(error)") }
        return try GRPOProblems(task: taskSet, difficulties: difficulty, seed: trainSeed, evalSeed: GRPOConfig.evalSeed,
                                heldOutCount: GRPOConfig.heldOutCount, questions: questions, fields: questionFields, excluded: excluded)
    }

    /// Every field's range, each error naming the key and the bad value.
    public func validate(source: String) throws {
        func fail(_ message: String) -> TrainError { TrainError("\(source): \(message)") }
        guard ["arithmetic", "countdown"].contains(task) else { throw fail("task '\(task)' is not one of arithmetic, countdown") }
        guard !difficulty.isEmpty || !questions.isEmpty else { throw fail("difficulty: give at least one (or questions)") }
        guard (questionField == nil) == (answerField == nil) else {
            throw fail("question_field and answer_field go together (got only \(questionField == nil ? "answer_field" : "question_field"))")
        }
        for (key, paths) in [("questions", questions), ("exclude", exclude)] where paths.contains(where: \.isEmpty) {
            throw fail("\(key): an empty file name")
        }
        for d in difficulty where !(1...10).contains(d) { throw fail("difficulty \(d) is out of range 1...10") }
        guard trainSeed != GRPOConfig.evalSeed else {
            throw fail("train_seed \(trainSeed) is the eval seed (its problems are held out); pick another")
        }
        for (name, v) in [("steps", steps), ("prompts_per_step", promptsPerStep), ("max_new_tokens", maxNewTokens),
                          ("updates_per_step", updatesPerStep)] where v <= 0 {
            throw fail("\(name) must be positive, got \(v)")
        }
        if let m = maxSeconds, !(m > 0 && m.isFinite) { throw fail("max_seconds must be a positive number of seconds, got \(m)") }
        guard groupSize >= 2 else { throw fail("group_size must be at least 2 (advantages compare a group), got \(groupSize)") }
        guard temperature > 0, temperature.isFinite else { throw fail("temperature must be > 0, got \(temperature)") }
        guard topP > 0, topP <= 1 else { throw fail("top_p must be in (0, 1], got \(topP)") }
        guard learningRate > 0, learningRate.isFinite else { throw fail("learning_rate must be positive, got \(learningRate)") }
        guard warmupSteps >= 0 else { throw fail("warmup_steps must be >= 0, got \(warmupSteps)") }
        guard OptimizerConfig.Decay(rawValue: schedule) != nil else {
            throw fail("schedule '\(schedule)' is not one of cosine, linear, constant")
        }
        guard beta >= 0, beta.isFinite else { throw fail("beta must be >= 0, got \(beta)") }
        guard epsilonLow >= 0, epsilonLow < 1 else { throw fail("epsilon_low must be in [0, 1), got \(epsilonLow)") }
        if let e = epsilonHigh, !(e >= 0 && e.isFinite) { throw fail("epsilon_high must be >= 0, got \(e)") }
        if let m = maxPromptDraws, m < promptsPerStep {
            throw fail("max_prompt_draws \(m) is less than prompts_per_step \(promptsPerStep)")
        }
        guard overlongBuffer >= 0, overlongBuffer < maxNewTokens else {
            throw fail("overlong_buffer must be in 0..<max_new_tokens (\(maxNewTokens)), got \(overlongBuffer)")
        }
        guard overlongPenalty >= 0, overlongPenalty.isFinite else { throw fail("overlong_penalty must be >= 0, got \(overlongPenalty)") }
        guard formatReward >= 0, formatReward.isFinite else { throw fail("format_reward must be >= 0, got \(formatReward)") }
        guard saveEvery >= 0 else { throw fail("save_every must be >= 0, got \(saveEvery)") }
        guard sampleEvery >= 0 else { throw fail("sample_every must be >= 0, got \(sampleEvery)") }
        guard microBatchTokens > maxNewTokens else {
            throw fail("micro_batch_tokens \(microBatchTokens) must exceed max_new_tokens \(maxNewTokens) (a prompt and its completion)")
        }
        if let t = threads, t <= 0 { throw fail("threads must be positive, got \(t)") }
        try optimizerConfig.validate()
    }

    public var optimizerConfig: OptimizerConfig {
        var c = OptimizerConfig()
        c.learningRate = learningRate
        c.beta1 = beta1
        c.beta2 = beta2
        c.weightDecay = weightDecay
        c.maxGradNorm = maxGradNorm
        c.warmupSteps = warmupSteps
        c.totalSteps = steps * updatesPerStep
        c.minLearningRateRatio = minLrRatio
        c.decay = OptimizerConfig.Decay(rawValue: schedule) ?? .constant
        return c
    }

    public var objective: GRPOObjective {
        GRPOObjective(lossType: lossType, epsilonLow: epsilonLow, epsilonHigh: effectiveEpsilonHigh, beta: beta,
                      maxNewTokens: maxNewTokens)
    }

    public var rewards: GRPORewardConfig {
        var r = GRPORewardConfig()
        r.formatReward = formatReward
        r.overlongBuffer = overlongBuffer
        r.overlongPenalty = overlongPenalty
        r.truncatedRewardZero = truncatedRewardZero
        r.maxNewTokens = maxNewTokens
        return r
    }
}
