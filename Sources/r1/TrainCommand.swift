// `r1 train grad MODEL --ids ... [--loss-mask ...] --out GRADS.safetensors [--json]` and `r1 train sft --config FILE`:
// thin wrappers over R1Train.
import ArgumentParser
import Foundation
import R1Formats
import R1Kernels
import R1Train

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train models: gradients, supervised fine-tuning, GRPO, distillation data.",
        subcommands: [TrainGradCommand.self, TrainSFTCommand.self, TrainGRPOCommand.self, TrainTokenizerCommand.self,
                      TrainExportCommand.self, TrainBenchCommand.self, TrainDataCommand.self, TrainDistillCommand.self])
}

/// Runs `body`, turning R1Train's and R1Formats' errors into one-line CLI errors.
func trainErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as TrainError { throw CLIError(e.description) } catch let e as FormatError {
        throw CLIError(e.description)
    }
}

struct TrainGradCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "The gradient of the mean next-token cross-entropy of one sequence, for every parameter.",
        discussion: """
            As transformers' `labels`: the logits at t predict id t+1, and that term counts where the mask at t+1 is 1 \
            (the mask has one entry per id). Writes every gradient under the checkpoint's tensor names.
            """)

    @Argument(help: "A checkpoint folder (config.json + safetensors; llama, qwen2, qwen3; f32, f16 or bf16).")
    var model: String
    @Option(help: "Comma-separated token ids.")
    var ids: String
    @Option(name: .customLong("loss-mask"), help: "Comma-separated 0/1, one per id (default: all 1).")
    var lossMask: String?
    @Option(help: "Comma-separated per-token loss weights, one per id (default: all 1).")
    var weights: String?
    @Option(help: "Where to write the gradients (.safetensors, f32).")
    var out: String
    @Option(help: "Threads (default: all cores).")
    var threads: Int?
    @OptionGroup var kernelOptions: KernelOptions
    @Flag(help: "Print a JSON object.")
    var json = false

    func validate() throws {
        if let t = threads, t <= 0 { throw ValidationError("--threads must be positive, got \(t)") }
    }

    func run() async throws {
        let idList = try parseIds(ids, flag: "--ids")
        guard idList.count >= 2 else { throw CLIError("--ids: need at least 2 ids for a next-token loss, got \(idList.count)") }
        let mask = try lossMask.map { try parseFloats($0, flag: "--loss-mask", count: idList.count) }
        let w = try weights.map { try parseFloats($0, flag: "--weights", count: idList.count) }
        try trainErrors {
            let loaded = try LoadedParameters(folder: model)
            let pool = ThreadPool(threads: threads ?? ThreadPool.defaultThreadCount, kernels: try kernelOptions.policy())
            let m = TrainModel(layout: loaded.layout, pool: pool)
            let batch = try m.batch([TrainSequence(ids: idList, lossMask: mask, weights: w)])
            guard batch.termCount > 0 else { throw CLIError("--loss-mask: no term counts (the mask is 0 at every id after the first)") }
            let grads = FlatBuffer(count: loaded.layout.count)
            let start = Date()
            let r = m.lossAndGradient(loaded.parameters, grads: grads, batch: batch, workspace: m.workspace(for: batch))
            let seconds = Date().timeIntervalSince(start)
            var writer = SafetensorsWriter()
            writer.metadata = ["format": "pt"]
            for t in loaded.layout.tensors { try writer.add(t.name, shape: t.shape, values: loaded.layout.values(t, in: grads)) }
            try writer.write(to: out)
            if json {
                Output.line(JSONOut.object([("loss", .double(r.meanLoss)), ("terms", .int(r.termCount)),
                                            ("tokens", .int(idList.count)), ("tensors", .int(loaded.layout.tensors.count)),
                                            ("out", .string(out)), ("seconds", .double(seconds))]).text)
            } else {
                Output.line(String(format: "loss %.6f over %d terms; %d gradient tensors written to ", r.meanLoss, r.termCount,
                                   loaded.layout.tensors.count) + out)
            }
        }
    }
}

struct TrainSFTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft", abstract: "Supervised fine-tuning on chat conversations (loss on the assistant's tokens).")

    @Option(help: "A .json or .yaml config (model or shape, tokenizer, data, output, steps, batch_size, seq_len, ...).")
    var config: String
    @Option(help: "Continue from a checkpoint folder this command saved.")
    var resume: String?
    @OptionGroup var kernelOptions: KernelOptions

    func run() async throws {
        let kernels = try kernelOptions.policy()
        try trainErrors {
            try SFTRun.run(try SFTConfig.load(path: config), resume: resume, kernels: kernels) { Output.error($0 + "\n") }
        }
    }
}

struct TrainBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Training tokens/s (forward + backward + AdamW) of a random model, and the GEMM's share of the FMA peak.")

    @Option(name: .customLong("model-type")) var modelType = "qwen2"
    @Option var vocab = 4096
    @Option var hidden = 256
    @Option var intermediate = 768
    @Option var layers = 8
    @Option var heads = 8
    @Option(name: .customLong("kv-heads")) var kvHeads = 4
    @Option(help: "Sequences per step.") var batch = 8
    @Option(help: "Tokens per sequence.") var seq = 256
    @Option(help: "Timed steps (after one warm-up step).") var steps = 5
    @Option var threads: Int?
    @OptionGroup var kernelOptions: KernelOptions
    @Flag var json = false

    func run() async throws {
        let shape = try ModelShape(modelType: modelType, vocabSize: vocab, hiddenSize: hidden, intermediateSize: intermediate,
                                   layerCount: layers, headCount: heads, kvHeadCount: kvHeads)
        let layout = ParameterLayout(shape: shape)
        let params = FlatBuffer(count: layout.count)
        layout.initialize(params, seed: 1)
        let n = threads ?? ThreadPool.defaultThreadCount
        let pool = ThreadPool(threads: n, kernels: try kernelOptions.policy())
        var rng = TrainRandom(seed: 2)
        let examples = (0..<batch).map { _ in TrainSequence(ids: (0..<seq).map { _ in Int(rng.next() % UInt64(vocab)) }) }
        var config = TrainerConfig()
        config.batchSize = batch
        config.microBatchTokens = batch * seq
        config.optimizer.totalSteps = steps + 1
        let trainer = try Trainer(model: TrainModel(layout: layout, pool: pool), parameters: params, examples: examples, config: config)
        _ = try trainer.step()
        var times: [Double] = []
        for _ in 0..<steps {
            let t0 = Date()
            _ = try trainer.step()
            times.append(Date().timeIntervalSince(t0))
        }
        let median = times.sorted()[times.count / 2]
        let tokens = Double(batch * seq)
        // GEMM alone at the MLP's shapes: forward (T, D)·(F, D)ᵀ, the same FLOPs as each backward product.
        let t = batch * seq
        let a = FlatBuffer(count: t * hidden), w = FlatBuffer(count: intermediate * hidden), c = FlatBuffer(count: t * intermediate)
        var fill = TrainRandom(seed: 3)
        for i in 0..<a.count { a.pointer[i] = fill.nextNormal() }
        let gemm = Gemm(pool: pool)
        var gemmTimes: [Double] = []
        for _ in 0..<5 {
            let t0 = Date()
            gemm.run(ta: false, tb: true, m: t, n: intermediate, k: hidden, a: a.pointer, lda: hidden, b: w.pointer, ldb: hidden,
                     beta: 0, c: c.pointer, ldc: intermediate)
            gemmTimes.append(Date().timeIntervalSince(t0))
        }
        let gemmGflops = 2 * Double(t) * Double(intermediate) * Double(hidden) / gemmTimes.min()! / 1e9
        let peak = gemm.fmaPeakGflops()
        let share = peak > 0 ? gemmGflops / peak : 0
        let params6 = 6 * Double(layout.count) * tokens / median / 1e9  // the usual 6·N·tokens estimate
        if json {
            Output.line(JSONOut.object([
                ("parameters", .int(layout.count)), ("tokens_per_step", .int(batch * seq)), ("threads", .int(n)),
                ("step_s_median", .double(median)), ("tokens_per_s", .double(tokens / median)),
                ("model_gflops", .double(params6)), ("gemm_gflops", .double(gemmGflops)), ("fma_peak_gflops", .double(peak)),
                ("gemm_share_of_peak", .double(share)), ("kernel", .int(gemm.kernel)),
                ("kernels", .string(pool.kernels.description)),
            ]).text)
        } else {
            Output.line(String(format: "%d parameters, %d tokens/step, %d threads, %@ kernels: %.0f tokens/s (step %.3f s); GEMM %.1f GFLOP/s = %.0f%% of the %.0f GFLOP/s FMA peak",
                               layout.count, batch * seq, n, pool.kernels.description, tokens / median, median, gemmGflops, 100 * share, peak))
        }
    }
}

/// Parses "0,1,0.5" into exactly `count` finite numbers, naming the first bad entry.
func parseFloats(_ text: String, flag: String, count: Int) throws -> [Float] {
    let values = try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
        let s = part.trimmingCharacters(in: .whitespaces)
        guard let v = Float(s), v.isFinite else { throw ValidationError("\(flag): '\(s)' is not a number") }
        return v
    }
    guard values.count == count else { throw ValidationError("\(flag): \(values.count) entries for \(count) ids (one per id)") }
    return values
}
