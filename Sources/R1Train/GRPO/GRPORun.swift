// `r1 train grpo`: a GRPO run from a GRPOConfig: load the policy (and, when β > 0, a frozen reference copy), run the
// steps with a progress line, metrics appended to OUTPUT/metrics.jsonl, sampled completions in OUTPUT/samples.txt,
// reward / accuracy / length curves in OUTPUT/grpo.svg, checkpoints every save_every steps and at the end
// (resumable; loadable by `r1 run/chat/eval run` like SFT outputs).
import Foundation
import R1Formats
import R1Kernels
import R1Runtime

public enum GRPORun {
    /// Completions per step written to samples.txt.
    static let samplesPerStep = 4

    public static func run(_ config: GRPOConfig, resume: String? = nil, kernels: KernelPolicy = .best,
                           progress: (String) -> Void) throws {
        let fm = FileManager.default
        let formatter: PromptFormatter
        do { formatter = try PromptFormatter(path: config.model) } catch { throw TrainError("\(config.model): \(error)") }
        let pool = ThreadPool(threads: config.threads ?? ThreadPool.defaultThreadCount, kernels: kernels)
        let reference = config.beta > 0 ? try LoadedParameters(folder: config.model).parameters : nil
        let trainer: GRPOTrainer
        if let resume {
            trainer = try GRPOTrainer.resume(from: resume, reference: reference, formatter: formatter, config: config, pool: pool)
            progress("resumed from \(resume) at step \(trainer.state.step)")
        } else {
            let loaded = try LoadedParameters(folder: config.model)
            trainer = try GRPOTrainer(model: TrainModel(layout: loaded.layout, pool: pool), parameters: loaded.parameters,
                                      reference: reference, formatter: formatter, config: config)
        }
        do { try fm.createDirectory(atPath: config.output, withIntermediateDirectories: true) } catch {
            throw TrainError("\(config.output): cannot create the output folder: \(error.localizedDescription)")
        }
        let out = URL(fileURLWithPath: config.output)
        let metricsURL = out.appendingPathComponent("metrics.jsonl"), samplesURL = out.appendingPathComponent("samples.txt")
        var curves: [String: [(step: Int, value: Double)]] = [:]
        let plotted = ["reward_mean", "accuracy", "completion_length_mean"]
        // Earlier metrics of a resumed run stay in the file (later ones are dropped) and on the curves.
        if resume != nil, let old = try? String(contentsOf: metricsURL, encoding: .utf8) {
            var keptLines: [String] = []
            for line in old.split(separator: "\n") {
                guard let v = try? JSONValue.parse(Data(line.utf8)), let step = v["step"]?.int, step <= trainer.state.step else { continue }
                keptLines.append(String(line))
                for key in plotted { if let x = v[key]?.double { curves[key, default: []].append((step, x)) } }
            }
            try? (keptLines.map { $0 + "\n" }.joined()).write(to: metricsURL, atomically: true, encoding: .utf8)
        } else {
            try? fm.removeItem(at: metricsURL)
            try? fm.removeItem(at: samplesURL)
        }
        var sources = config.difficulty.isEmpty ? [] : ["difficulty " + config.difficulty.map(String.init).joined(separator: ",")]
        sources += trainer.problems.files.map { "\($0.path) (\($0.problems.count) problems)" }
        progress("model \(trainer.model.shape.modelType): \(trainer.model.layout.count) parameters; task \(config.taskSet): " +
                 sources.joined(separator: ", ") + (sources.count > 1 ? " in turn" : "") + "; \(config.promptsPerStep) prompts × " +
                 "\(config.groupSize) completions per step" + (config.beta > 0 ? "; KL β \(config.beta)" : ""))
        let start = Date()
        let firstStep = trainer.state.step
        if let budget = config.maxSeconds {
            progress(String(format: "time budget %.0f s (%.0f s spent)", budget, trainer.state.seconds))
        }
        while trainer.state.step < config.steps && !budgetSpent(trainer.state, config) {
            let r = try trainer.step()
            let elapsed = Date().timeIntervalSince(start)
            var eta = elapsed / Double(r.step - firstStep) * Double(config.steps - r.step)
            if let budget = config.maxSeconds { eta = min(eta, max(0, budget - trainer.state.seconds)) }
            let rolloutRate = Double(r.generatedTokens) / max(r.rolloutSeconds, 1e-9)
            let updateRate = Double(r.trainedTokens) / max(r.updateSeconds, 1e-9)
            let fields: [(String, JSONOut)] = [
                ("step", .int(r.step)), ("reward_mean", .double(r.rewardMean)), ("reward_std", .double(r.rewardStd)),
                ("accuracy", .double(r.accuracy)), ("format_rate", .double(r.formatRate)), ("kl", .double(r.kl)),
                ("clip_low", .double(r.clipLow)), ("clip_high", .double(r.clipHigh)), ("entropy", .double(r.entropy)),
                ("completion_length_mean", .double(r.meanLength)), ("completion_length_max", .int(r.maxLength)),
                ("truncated_fraction", .double(r.truncatedFraction)), ("loss", .double(r.loss)), ("grad_norm", .double(r.gradNorm)),
                ("lr", .double(r.learningRate)), ("prompts_drawn", .int(r.promptsDrawn)), ("groups_kept", .int(r.groupsKept)),
                ("groups_dropped", .int(r.groupsDropped)), ("logprob_diff_max", .double(r.logprobDiffMax)),
                ("rollout_s", .double(r.rolloutSeconds)), ("update_s", .double(r.updateSeconds)),
                ("rollout_tokens_per_s", .double(rolloutRate.rounded())), ("update_tokens_per_s", .double(updateRate.rounded())),
                ("elapsed_s", .double(elapsed)), ("trained_s", .double(trainer.state.seconds)),
            ]
            try SFTRun.appendLine(JSONOut.object(fields).text, to: metricsURL)
            curves["reward_mean", default: []].append((r.step, r.rewardMean))
            curves["accuracy", default: []].append((r.step, r.accuracy))
            curves["completion_length_mean", default: []].append((r.step, r.meanLength))
            progress(String(format: "step %d/%d  reward %.3f±%.3f  acc %.3f  fmt %.2f  kl %.4f  clip %.3f/%.3f  ent %.2f  len %.0f/%d  trunc %.2f  " +
                                "rollout %.1fs (%.0f tok/s)  update %.1fs (%.0f tok/s)  ETA ",
                            r.step, config.steps, r.rewardMean, r.rewardStd, r.accuracy, r.formatRate, r.kl, r.clipLow, r.clipHigh,
                            r.entropy, r.meanLength, r.maxLength, r.truncatedFraction, r.rolloutSeconds, rolloutRate,
                            r.updateSeconds, updateRate) + SFTRun.duration(eta) +
                     (r.groupsDropped > 0 ? "  dropped \(r.groupsDropped) uniform groups" : "") +
                     (r.groupsKept == 0 ? "  (no informative group: no update)" : ""))
            if config.sampleEvery > 0, r.step % config.sampleEvery == 0 {
                try SFTRun.appendLine(samples(r), to: samplesURL)
            }
            if config.saveEvery > 0, r.step % config.saveEvery == 0, r.step != config.steps, !budgetSpent(trainer.state, config) {
                try trainer.save(to: out.appendingPathComponent("checkpoint-\(r.step)").path, tokenizerFrom: config.model)
                try writeCurves(curves, keys: plotted, to: out)
            }
        }
        if trainer.state.step < config.steps, let budget = config.maxSeconds {
            progress(String(format: "time budget of %.0f s reached after %.1f s, at step %d of %d", budget, trainer.state.seconds,
                            trainer.state.step, config.steps))
        }
        try trainer.save(to: config.output, tokenizerFrom: config.model)
        try writeCurves(curves, keys: plotted, to: out)
        progress("saved \(config.output) (step \(trainer.state.step))")
    }

    /// Whether the run has had its `max_seconds`.
    static func budgetSpent(_ state: GRPOState, _ config: GRPOConfig) -> Bool {
        config.maxSeconds.map { state.seconds >= $0 } ?? false
    }

    static func samples(_ r: GRPOStepResult) -> String {
        var text = "=== step \(r.step)\n"
        for c in r.completions.prefix(samplesPerStep) {
            text += String(format: "--- %@  reward %.3f  advantage %.3f  correct %@  %d tokens%@\n", c.problem.id, c.reward.total,
                           c.advantage, c.reward.correct ? "yes" : "no", c.rollout.completion.count, c.rollout.truncated ? " (truncated)" : "")
            text += c.problem.question + "\n>>>\n" + c.text + "\n"
        }
        return text
    }

    static func writeCurves(_ curves: [String: [(step: Int, value: Double)]], keys: [String], to out: URL) throws {
        let svg = LossCurve.panels(keys.map { LossCurve.Series(name: $0, points: curves[$0] ?? []) }, title: "GRPO: \(out.lastPathComponent)")
        do { try Data(svg.utf8).write(to: out.appendingPathComponent("grpo.svg"), options: .atomic) } catch {
            throw TrainError("\(out.path)/grpo.svg: cannot write: \(error.localizedDescription)")
        }
    }
}
