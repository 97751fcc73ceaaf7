// `r1 train sft --config FILE`: the run's settings, JSON or YAML (ConfigFile's format), snake_case keys.
import Foundation
import R1Formats

public struct SFTConfig: Sendable, Codable {
    /// A new model's shape (when `model` is nil).
    public struct Shape: Sendable, Codable {
        public var modelType: String?  // default qwen2
        /// Default: the tokenizer's vocabulary size.
        public var vocabSize: Int?
        public var hiddenSize: Int
        public var intermediateSize: Int
        public var numHiddenLayers: Int
        public var numAttentionHeads: Int
        public var numKeyValueHeads: Int?
        public var headDim: Int?
        public var tieWordEmbeddings: Bool?
        public var ropeTheta: Double?
        public var maxPositionEmbeddings: Int?
    }

    /// A checkpoint folder to start from.
    public var model: String?
    public var shape: Shape?
    /// A folder with tokenizer.json (+ tokenizer_config.json with the chat template), or a tokenizer.json; default model.
    public var tokenizer: String?
    /// JSONL of conversations.
    public var data: String
    public var evalData: String?
    /// The output folder: checkpoints, metrics.jsonl, loss.svg.
    public var output: String
    public var steps: Int
    public var batchSize: Int = 8
    /// Longest sequence (longer conversations are cut) and the packed micro-batch size.
    public var seqLen: Int = 512
    public var microBatchTokens: Int?
    public var learningRate: Double = 3e-4
    public var warmupSteps: Int = 0
    public var minLrRatio: Double = 0.1
    public var schedule: String = "cosine"
    public var weightDecay: Double = 0.1
    public var maxGradNorm: Double = 1.0
    public var beta1: Double = 0.9
    public var beta2: Double = 0.95
    public var evalEvery: Int = 0
    public var saveEvery: Int = 0
    public var seed: UInt64 = 0
    public var threads: Int?
    public var initStd: Double = 0.02
    /// 1: positions 0, 1, 2, ... Above 1: each training sequence of n tokens takes n increasing positions drawn at
    /// random below L, L uniform in n...stretch·n (randomised positions, Ruoss et al. 2023), so no fixed distance
    /// between two tokens can be learned; inference keeps 0, 1, 2, ...
    public var positionStretch: Double = 1

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, shape, tokenizer, data, evalData, output, steps, batchSize, seqLen, microBatchTokens, learningRate
        case warmupSteps, minLrRatio, schedule, weightDecay, maxGradNorm, beta1, beta2, evalEvery, saveEvery, seed
        case threads, initStd, positionStretch
    }

    /// Keys left out keep the defaults above.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        shape = try c.decodeIfPresent(Shape.self, forKey: .shape)
        tokenizer = try c.decodeIfPresent(String.self, forKey: .tokenizer)
        data = try c.decode(String.self, forKey: .data)
        evalData = try c.decodeIfPresent(String.self, forKey: .evalData)
        output = try c.decode(String.self, forKey: .output)
        steps = try c.decode(Int.self, forKey: .steps)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        seqLen = try c.decodeIfPresent(Int.self, forKey: .seqLen) ?? seqLen
        microBatchTokens = try c.decodeIfPresent(Int.self, forKey: .microBatchTokens)
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? learningRate
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? warmupSteps
        minLrRatio = try c.decodeIfPresent(Double.self, forKey: .minLrRatio) ?? minLrRatio
        schedule = try c.decodeIfPresent(String.self, forKey: .schedule) ?? schedule
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? weightDecay
        maxGradNorm = try c.decodeIfPresent(Double.self, forKey: .maxGradNorm) ?? maxGradNorm
        beta1 = try c.decodeIfPresent(Double.self, forKey: .beta1) ?? beta1
        beta2 = try c.decodeIfPresent(Double.self, forKey: .beta2) ?? beta2
        evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery) ?? evalEvery
        saveEvery = try c.decodeIfPresent(Int.self, forKey: .saveEvery) ?? saveEvery
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        initStd = try c.decodeIfPresent(Double.self, forKey: .initStd) ?? initStd
        positionStretch = try c.decodeIfPresent(Double.self, forKey: .positionStretch) ?? positionStretch
    }

    public static func load(path: String) throws -> SFTConfig {
        let config = try ConfigFile.decode(SFTConfig.self, path: path, keys: CodingKeys.allCases.map(\.rawValue))
        try config.validate(source: path)
        return config
    }

    public func validate(source: String) throws {
        if (model == nil) == (shape == nil) { throw TrainError("\(source): give exactly one of 'model' and 'shape'") }
        guard steps > 0 else { throw TrainError("\(source): steps must be positive, got \(steps)") }
        guard seqLen > 1 else { throw TrainError("\(source): seq_len must be at least 2, got \(seqLen)") }
        guard evalEvery >= 0, saveEvery >= 0 else { throw TrainError("\(source): eval_every and save_every must be >= 0") }
        guard OptimizerConfig.Decay(rawValue: schedule) != nil else {
            throw TrainError("\(source): schedule '\(schedule)' is not one of cosine, linear, constant")
        }
        guard positionStretch.isFinite, positionStretch >= 1 else {
            throw TrainError("\(source): position_stretch must be at least 1, got \(positionStretch)")
        }
        if let t = threads, t <= 0 { throw TrainError("\(source): threads must be positive, got \(t)") }
        try trainerConfig.validate()
    }

    public var trainerConfig: TrainerConfig {
        var c = TrainerConfig()
        c.batchSize = batchSize
        c.microBatchTokens = microBatchTokens ?? max(seqLen, 2048)
        c.seed = seed
        c.positionStretch = positionStretch
        c.optimizer.learningRate = learningRate
        c.optimizer.beta1 = beta1
        c.optimizer.beta2 = beta2
        c.optimizer.weightDecay = weightDecay
        c.optimizer.maxGradNorm = maxGradNorm
        c.optimizer.warmupSteps = warmupSteps
        c.optimizer.totalSteps = steps
        c.optimizer.minLearningRateRatio = minLrRatio
        c.optimizer.decay = OptimizerConfig.Decay(rawValue: schedule) ?? .cosine
        return c
    }
}
