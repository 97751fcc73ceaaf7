// `r1 train grpo --config FILE [--resume DIR]`: reinforcement learning with group-relative advantages on a built-in
// task's rule-checked rewards; a thin wrapper over R1Train.GRPORun. `model:` is resolved like every MODEL argument.
import ArgumentParser
import Foundation
import R1Train

struct TrainGRPOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpo",
        abstract: "GRPO (TRL's GRPOTrainer: DAPO / Dr. GRPO losses, clip-higher, dynamic sampling) on builtin:arithmetic or builtin:countdown.",
        discussion: """
            The config (.json or .yaml) names model (a safetensors checkpoint folder, e.g. an SFT output), output, task, \
            difficulty and steps; see GRPOConfig for the rest (prompts_per_step, group_size, max_new_tokens, temperature, \
            beta, epsilon_low/high, loss_type token|sequence|dr_grpo, dynamic_sampling, updates_per_step, save_every, ...); \
            max_seconds ends the run at a time budget (summed over resumes), for a comparison at equal compute. \
            questions adds problems from question files (`r1 eval run FILE`'s layouts; question_field and answer_field \
            for a custom one), taken in turn with the difficulties; exclude names files whose questions are never drawn. \
            Writes OUTPUT/metrics.jsonl, samples.txt, grpo.svg and a checkpoint `r1 run`, `r1 chat` and `r1 eval run` load.
            """)

    @Option(help: "A .json or .yaml GRPO config.")
    var config: String
    @Option(help: "Continue from a checkpoint folder this command saved.")
    var resume: String?
    @OptionGroup var kernelOptions: KernelOptions

    func run() async throws {
        let kernels = try kernelOptions.policy()
        try trainErrors {
            var c = try GRPOConfig.load(path: config)
            c.model = try resolveModelPath(c.model)
            try GRPORun.run(c, resume: resume, kernels: kernels) { Output.error($0 + "\n") }
        }
    }
}
