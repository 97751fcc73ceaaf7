// GRPO end to end on a tiny model: the inference engine's sampling log-probs equal the training forward's (ratio 1
// at the first step), rewards and dynamic sampling, held-out problems never drawn, a 2-step run that writes metrics,
// samples, curves and a checkpoint `r1` loads and resumes to the same parameters, and config errors that name the
// bad value.
import Foundation
import Testing
import R1Eval
import R1Formats
import R1Kernels
import R1Models
import R1Runtime
import R1Tokenizer
@testable import R1Train

/// A tiny qwen2 over the fixture tokenizer whose EOS probability is raised (a constant residual direction that the
/// head's EOS row reads), so completion lengths, and with an overlong buffer the rewards, vary inside a group.
func grpoModelFolder() throws -> String {
    let tok = try tokenizerFolder()
    defer { try? FileManager.default.removeItem(atPath: tok) }
    let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: tok))
    var shape = try ModelShape(modelType: "qwen2", vocabSize: tokenizer.vocabularySize, hiddenSize: 32, intermediateSize: 64,
                               layerCount: 2, headCount: 4, kvHeadCount: 2)
    shape.tieWordEmbeddings = false
    shape.eosTokenId = tokenizer.eosIds.first
    shape.bosTokenId = tokenizer.bosId
    let layout = ParameterLayout(shape: shape)
    let params = FlatBuffer(count: layout.count)
    layout.initialize(params, seed: 11, std: 0.1)
    let d = shape.hiddenSize
    for v in 0..<shape.vocabSize { params.pointer[layout.embedding + v * d] = 5 }
    params.pointer[layout.head + tokenizer.eosIds[0] * d] = 0.55
    let folder = tempFolder("grpo-model")
    try Checkpoint.saveModel(layout: layout, parameters: params, to: folder, tokenizerFrom: tok)
    return folder
}

func grpoConfig(model: String, output: String) -> GRPOConfig {
    var c = GRPOConfig(model: model, output: output, task: "arithmetic", difficulty: [1], steps: 2)
    c.promptsPerStep = 2
    c.groupSize = 4
    c.maxNewTokens = 8
    c.overlongBuffer = 6
    c.learningRate = 0.01
    c.beta = 0.04
    c.updatesPerStep = 2
    c.microBatchTokens = 512
    c.saveEvery = 1
    c.threads = 2
    c.seed = 5
    return c
}

@Suite struct GRPOTests {
    /// The CRITICAL check: what the engine sampled from is what the training forward scores, temperature and all.
    @Test(arguments: [(Float(1), Float(1)), (Float(0.7), Float(0.9))])
    func samplingAndTrainingLogprobsAgree(temperature: Float, topP: Float) throws {
        let folder = try grpoModelFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let loaded = try LoadedParameters(folder: folder)
        let pool = ThreadPool(threads: 2, kernels: .test)
        let model = TrainModel(layout: loaded.layout, pool: pool)
        let policy = try loaded.layout.inferenceModel(loaded.parameters)
        var rng = TrainRandom(seed: 3)
        let prompts = (0..<6).map { i in (0..<(5 + i)).map { _ in Int(rng.next() % 300) } }
        let settings = RolloutSettings(maxNewTokens: 12, temperature: temperature, topP: topP, eosIds: [loaded.layout.shape.eosTokenId!])
        let rollouts = try RolloutSampler.generate(model: policy.model, prompts: prompts, seeds: (0..<6).map { UInt64($0) },
                                                   settings: settings, pool: pool)
        #expect(rollouts.contains { !$0.truncated } && rollouts.contains { $0.truncated })
        let batch = try model.batch(rollouts.map {
            TrainSequence(ids: $0.prompt + $0.completion,
                          lossMask: [Float](repeating: 0, count: $0.prompt.count) + [Float](repeating: 1, count: $0.completion.count))
        })
        let r = model.evaluate(loaded.parameters, batch: batch, workspace: model.workspace(for: batch), temperature: temperature)
        var offset = 0, worst: Float = 0
        for ro in rollouts {
            for (k, sampled) in ro.samplingLogprobs.enumerated() {
                let trained = try #require(r.logprobs[offset + ro.prompt.count - 1 + k])
                worst = max(worst, abs(expf(trained - sampled) - 1))
            }
            offset += ro.prompt.count + ro.completion.count
        }
        #expect(worst < 1e-3, "max |ratio - 1| = \(worst)")
    }

    @Test func rewardsCheckTheAnswerAndTheFormat() throws {
        let problem = EvalProblem(id: "p", question: "What is 2 + 3?", check: .math(gold: "5"))
        var c = GRPORewardConfig()
        c.formatReward = 0.1
        c.maxNewTokens = 100
        let good = GRPORewards.score(problem, text: "<think>\n2 + 3 = 5\n</think>\nThe answer is \\boxed{5}.", length: 20,
                                     truncated: false, config: c)
        #expect(good.correct && good.wellFormed && abs(good.total - 1.1) < 1e-12)
        let wrong = GRPORewards.score(problem, text: "<think>\n2 + 3 = 6\n</think>\n\\boxed{6}", length: 20, truncated: false, config: c)
        #expect(!wrong.correct && wrong.wellFormed && abs(wrong.total - 0.1) < 1e-12)
        let unformatted = GRPORewards.score(problem, text: "\\boxed{5}", length: 5, truncated: false, config: c)
        #expect(unformatted.correct && !unformatted.wellFormed && unformatted.total == 1)
        for bad in ["<think>\n</think> 5", "<think>x</think>", "<think>a</think> b </think> c", "no think </think> 5", "<think>a"] {
            #expect(!GRPORewards.format(bad), "\(bad)")
        }
        c.truncatedRewardZero = true
        #expect(GRPORewards.score(problem, text: "<think>x</think> \\boxed{5}", length: 100, truncated: true, config: c).total == 0)
        c.truncatedRewardZero = false
        c.overlongBuffer = 20
        let long = GRPORewards.score(problem, text: "<think>x</think> \\boxed{5}", length: 90, truncated: false, config: c)
        #expect(abs(long.total - (1 + 0.1 - 0.5)) < 1e-12)
    }

    @Test func heldOutProblemsAreNeverDrawn() throws {
        let heldOut = Set(try BuiltinTasks.problems(named: "builtin:arithmetic", seed: 0, difficulty: 1, count: 1000).map(\.question))
        let train = try GRPOProblems(task: "builtin:arithmetic", difficulties: [1], seed: 1)
        var cursor = 0
        for _ in 0..<300 { #expect(!heldOut.contains(try train.next(cursor: &cursor).question)) }
        #expect(cursor > 300)  // difficulty 1 repeats questions across seeds: some were skipped
        // the eval seed itself: its first 1000 are all skipped
        let same = try GRPOProblems(task: "builtin:arithmetic", difficulties: [1], seed: 0)
        cursor = 0
        let first = try same.next(cursor: &cursor)
        #expect(cursor > 1000 && !heldOut.contains(first.question))
    }

    @Test func dynamicSamplingDropsUniformGroupsAndDrawsMore() throws {
        let folder = try grpoModelFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var c = grpoConfig(model: folder, output: tempFolder("unused"))
        c.dynamicSampling = true
        c.promptsPerStep = 3
        c.maxPromptDraws = 8
        c.updatesPerStep = 1
        let loaded = try LoadedParameters(folder: folder)
        let trainer = try GRPOTrainer(model: TrainModel(layout: loaded.layout, pool: ThreadPool(threads: 2, kernels: .test)),
                                      parameters: loaded.parameters, reference: LoadedParameters(folder: folder).parameters,
                                      formatter: .init(path: folder), config: c)
        let r = try trainer.step()
        #expect(r.completions.count == r.promptsDrawn * c.groupSize)
        #expect(r.groupsKept <= c.promptsPerStep && r.promptsDrawn <= 8 && r.groupsKept + r.groupsDropped == r.promptsDrawn)
        #expect(r.groupsKept > 0)
        for (g, start) in stride(from: 0, to: r.completions.count, by: c.groupSize).enumerated() {
            let rewards = r.completions[start..<(start + c.groupSize)].map(\.reward.total)
            #expect((g < r.groupsKept) == (Set(rewards).count > 1), "group \(g): \(rewards)")
        }
        if r.groupsKept < c.promptsPerStep { #expect(r.promptsDrawn == 8) }
        if r.groupsDropped > 0 { #expect(r.promptsDrawn > c.promptsPerStep) }
        #expect(r.logprobDiffMax < 1e-3)
    }

    @Test func runWritesMetricsAndACheckpointThatResumesToTheSameParameters() throws {
        let model = try grpoModelFolder()
        let out = tempFolder("grpo-run"), out2 = tempFolder("grpo-resumed")
        defer { for p in [model, out, out2] { try? FileManager.default.removeItem(atPath: p) } }
        var lines: [String] = []
        try GRPORun.run(grpoConfig(model: model, output: out)) { lines.append($0) }
        #expect(lines.contains { $0.hasPrefix("step 2/2") && $0.contains("reward") && $0.contains("tok/s") })
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 2)
        let first = try JSONValue.parse(Data(metrics[0].utf8))
        for key in ["reward_mean", "reward_std", "accuracy", "format_rate", "kl", "clip_low", "clip_high", "entropy",
                    "completion_length_mean", "completion_length_max", "truncated_fraction", "rollout_s", "update_s",
                    "rollout_tokens_per_s", "logprob_diff_max"] {
            #expect(first[key] != nil, "metrics lack \(key)")
        }
        #expect((first["logprob_diff_max"]?.double ?? 1) < 1e-3)
        #expect((first["reward_std"]?.double ?? 0) > 0)  // lengths vary, so the overlong punishment does
        #expect(try String(contentsOfFile: out + "/samples.txt", encoding: .utf8).contains("=== step 2"))
        #expect(try String(contentsOfFile: out + "/grpo.svg", encoding: .utf8).contains("<polyline"))
        // loadable like an SFT output
        let loaded = try ModelLoader.load(path: out)
        #expect(loaded.architecture.name == "qwen2")
        #expect(FileManager.default.fileExists(atPath: out + "/tokenizer.json"))
        let trained = try LoadedParameters(folder: out).parameters.array
        #expect(trained != (try LoadedParameters(folder: model).parameters.array))
        // resume from step 1 into another folder: the same parameters at step 2
        var c2 = grpoConfig(model: model, output: out2)
        c2.saveEvery = 0
        try GRPORun.run(c2, resume: out + "/checkpoint-1") { lines.append($0) }
        #expect(try LoadedParameters(folder: out2).parameters.array == trained)
    }

    @Test func aTimeBudgetEndsTheRunAndCarriesOverAResume() throws {
        let model = try grpoModelFolder()
        let out = tempFolder("grpo-budget")
        defer { for p in [model, out] { try? FileManager.default.removeItem(atPath: p) } }
        var c = grpoConfig(model: model, output: out)
        c.steps = 5
        c.maxSeconds = 1e-6  // spent by the first step
        var lines: [String] = []
        try GRPORun.run(c) { lines.append($0) }
        #expect(lines.contains { $0.hasPrefix("time budget of 0 s reached") && $0.contains("at step 1 of 5") }, "\(lines)")
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 1)
        let trained = try JSONValue.parse(Data(metrics[0].utf8))["trained_s"]?.double ?? 0
        #expect(trained > 0)
        let state = try JSONDecoder().decode(GRPOState.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/grpo_state.json")))
        #expect(state.step == 1 && state.seconds == trained)
        // Resumed with a larger budget: the seconds add up, and the run goes on to `steps`.
        c.steps = 2
        c.maxSeconds = 1e6
        try GRPORun.run(c, resume: out) { _ in }
        let after = try JSONDecoder().decode(GRPOState.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/grpo_state.json")))
        #expect(after.step == 2 && after.seconds > state.seconds)
        // A checkpoint from before the seconds were kept reads as 0 seconds spent.
        let old = try JSONDecoder().decode(GRPOState.self, from: Data(#"{"step": 3, "problemCursor": 24, "rngState": 7}"#.utf8))
        #expect(old.step == 3 && old.seconds == 0)
    }

    @Test func configErrorsNameTheBadValue() throws {
        let path = tempFolder("grpo-config") + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let base = "model: m\noutput: o\ntask: arithmetic\ndifficulty: [1, 2]\nsteps: 3\n"
        try base.write(toFile: path, atomically: true, encoding: .utf8)
        let ok = try GRPOConfig.load(path: path)
        #expect(ok.difficulty == [1, 2] && ok.trainSeed == 1 && ok.effectiveEpsilonHigh == 0.2 && ok.lossType == .token)
        for (extra, needle) in [("train_seed: 0", "train_seed 0"), ("task: chess", "task 'chess'"), ("loss_type: ppo", "'ppo'"),
                                ("epsilon_low: 1.5", "1.5"), ("group_size: 1", "group_size"), ("top_p: 0", "top_p"),
                                ("temperature: 0", "temperature"), ("beta: -1", "beta"), ("stepz: 3", "'stepz'"),
                                ("max_prompt_draws: 1\nprompts_per_step: 4", "max_prompt_draws 1"),
                                ("overlong_buffer: 300", "overlong_buffer"), ("schedule: wavy", "'wavy'"),
                                ("updates_per_step: 0", "updates_per_step"), ("steps: x", "'steps'"),
                                ("max_seconds: 0", "max_seconds must be a positive"), ("max_seconds: -3", "got -3.0")] {
            var text = base + extra + "\n"
            if extra.hasPrefix("task:") { text = text.replacingOccurrences(of: "task: arithmetic\n", with: "") }
            if extra.hasPrefix("steps:") { text = text.replacingOccurrences(of: "steps: 3\n", with: "") }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let e = #expect(throws: TrainError.self) { try GRPOConfig.load(path: path) }
            #expect(e?.description.contains(needle) == true, "\(extra): \(e?.description ?? "no error")")
        }
        try "model: m\noutput: o\ntask: countdown\ndifficulty: 12\nsteps: 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect((#expect(throws: TrainError.self) { try GRPOConfig.load(path: path) })?.description.contains("difficulty 12") == true)
        try "output: o\ntask: countdown\ndifficulty: 1\nsteps: 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect((#expect(throws: TrainError.self) { try GRPOConfig.load(path: path) })?.description.contains("'model'") == true)
    }
}
