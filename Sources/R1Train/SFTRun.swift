// Supervised fine-tuning from an SFTConfig: load or create the model, render the chat data, run the steps with a
// progress line (tokens/s, ETA), metrics appended to OUTPUT/metrics.jsonl, evaluation every N steps, the loss curves
// in OUTPUT/loss.svg, checkpoints every N steps and at the end (resumable with `resume`).
import Foundation
import R1Formats
import R1Kernels
import R1Tokenizer

public enum SFTRun {
    /// Runs (or, with `resume`, continues) the training `config` describes; `progress` receives each status line.
    public static func run(_ config: SFTConfig, resume: String? = nil, kernels: KernelPolicy = .best,
                           progress: (String) -> Void) throws {
        let fm = FileManager.default
        let tokenizerPath = config.tokenizer ?? config.model
        guard let tokenizerPath else { throw TrainError("a new model needs 'tokenizer' (a folder with tokenizer.json)") }
        let tokenizer = try loadTokenizer(tokenizerPath)
        guard let source = tokenizer.chatTemplate else {
            throw TrainError("\(tokenizerPath): no chat template (tokenizer_config.json 'chat_template')")
        }
        let template: ChatTemplate
        do { template = try ChatTemplate(source) } catch { throw TrainError("\(tokenizerPath): chat template: \(error)") }
        let train = try ChatData.load(path: config.data, tokenizer: tokenizer, template: template, maxTokens: config.seqLen)
        let eval = try config.evalData.map { try ChatData.load(path: $0, tokenizer: tokenizer, template: template, maxTokens: config.seqLen) }
        let pool = ThreadPool(threads: config.threads ?? ThreadPool.defaultThreadCount, kernels: kernels)
        let trainerConfig = config.trainerConfig

        let trainer: Trainer
        if let resume {
            trainer = try Trainer.resume(from: resume, examples: train, config: trainerConfig, pool: pool)
            progress("resumed from \(resume) at step \(trainer.state.step)")
        } else if let path = config.model {
            let loaded = try LoadedParameters(folder: path)
            trainer = try Trainer(model: TrainModel(layout: loaded.layout, pool: pool), parameters: loaded.parameters,
                                  examples: train, config: trainerConfig)
        } else {
            let s = config.shape!
            var shape = try ModelShape(modelType: s.modelType ?? "qwen2", vocabSize: s.vocabSize ?? tokenizer.vocabularySize,
                                       hiddenSize: s.hiddenSize, intermediateSize: s.intermediateSize,
                                       layerCount: s.numHiddenLayers, headCount: s.numAttentionHeads,
                                       kvHeadCount: s.numKeyValueHeads ?? s.numAttentionHeads, headDim: s.headDim)
            if let t = s.tieWordEmbeddings { shape.tieWordEmbeddings = t }
            if let r = s.ropeTheta { shape.ropeTheta = r }
            shape.maxPositionEmbeddings = s.maxPositionEmbeddings ?? max(config.seqLen, 2048)
            shape.bosTokenId = tokenizer.bosId
            shape.eosTokenId = tokenizer.eosIds.first
            try shape.validate()
            let layout = ParameterLayout(shape: shape)
            let params = FlatBuffer(count: layout.count)
            layout.initialize(params, seed: config.seed, std: Float(config.initStd))
            trainer = try Trainer(model: TrainModel(layout: layout, pool: pool), parameters: params, examples: train,
                                  config: trainerConfig)
        }
        let vocab = trainer.model.shape.vocabSize
        guard tokenizer.vocabularySize <= vocab else {
            throw TrainError("\(tokenizerPath): the tokenizer has \(tokenizer.vocabularySize) tokens, the model's vocab_size is \(vocab)")
        }
        do { try fm.createDirectory(atPath: config.output, withIntermediateDirectories: true) } catch {
            throw TrainError("\(config.output): cannot create the output folder: \(error.localizedDescription)")
        }
        let out = URL(fileURLWithPath: config.output)
        let metricsURL = out.appendingPathComponent("metrics.jsonl")
        var curve: [(step: Int, loss: Double)] = [], evalCurve: [(step: Int, loss: Double)] = []
        // Earlier metrics of a resumed run stay in the file and on the curve.
        if resume != nil, let old = try? String(contentsOf: metricsURL, encoding: .utf8) {
            for line in old.split(separator: "\n") {
                guard let v = try? JSONValue.parse(Data(line.utf8)), let step = v["step"]?.int,
                      step <= trainer.state.step else { continue }
                if let l = v["loss"]?.double { curve.append((step, l)) }
                if let l = v["eval_loss"]?.double { evalCurve.append((step, l)) }
            }
        } else {
            try? fm.removeItem(at: metricsURL)
        }
        let params = trainer.model.layout.count
        progress("model \(trainer.model.shape.modelType): \(params) parameters; \(train.count) training conversations" +
                 (eval.map { ", \($0.count) held out" } ?? ""))
        let start = Date()
        let firstStep = trainer.state.step
        var tokensThisRun = 0
        while trainer.state.step < config.steps {
            let r = try trainer.step()
            tokensThisRun += r.tokens
            let elapsed = Date().timeIntervalSince(start)
            let perSecond = Double(tokensThisRun) / max(elapsed, 1e-9)
            let eta = elapsed / Double(r.step - firstStep) * Double(config.steps - r.step)
            curve.append((r.step, r.loss))
            var fields: [(String, JSONOut)] = [("step", .int(r.step)), ("loss", .double(r.loss)), ("lr", .double(r.learningRate)),
                                               ("grad_norm", .double(r.gradNorm)), ("tokens", .int(r.tokens)),
                                               ("tokens_per_s", .double(perSecond.rounded())), ("elapsed_s", .double(elapsed))]
            var line = String(format: "step %d/%d  loss %.4f  lr %.2e  gnorm %.3f  %.0f tok/s  ETA ", r.step, config.steps,
                              r.loss, r.learningRate, r.gradNorm, perSecond) + duration(eta)
            if let eval, config.evalEvery > 0, r.step % config.evalEvery == 0 || r.step == config.steps {
                let l = try trainer.evaluate(eval)
                evalCurve.append((r.step, l))
                fields.append(("eval_loss", .double(l)))
                line += String(format: "  eval %.4f", l)
            }
            progress(line)
            try appendLine(JSONOut.object(fields).text, to: metricsURL)
            if config.saveEvery > 0, r.step % config.saveEvery == 0, r.step != config.steps {
                try trainer.save(to: out.appendingPathComponent("checkpoint-\(r.step)").path, tokenizerFrom: tokenizerPath)
                try writeCurve(curve, evalCurve, to: out)
            }
        }
        try trainer.save(to: config.output, tokenizerFrom: tokenizerPath)
        try writeCurve(curve, evalCurve, to: out)
        progress("saved \(config.output) (step \(trainer.state.step))")
    }

    static func loadTokenizer(_ path: String) throws -> Tokenizer {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw TrainError("\(path): no such tokenizer") }
        do {
            if isDir.boolValue { return try Tokenizer(directory: URL(fileURLWithPath: path)) }
            let url = URL(fileURLWithPath: path)
            let config = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
            return try Tokenizer(tokenizerJSON: Data(contentsOf: url), tokenizerConfigJSON: try? Data(contentsOf: config))
        } catch {
            throw TrainError("\(path): cannot load the tokenizer: \(error)")
        }
    }

    static func writeCurve(_ train: [(step: Int, loss: Double)], _ eval: [(step: Int, loss: Double)], to out: URL) throws {
        let svg = LossCurve.svg(train: train, eval: eval, title: "loss: \(out.lastPathComponent)")
        do { try Data(svg.utf8).write(to: out.appendingPathComponent("loss.svg"), options: .atomic) } catch {
            throw TrainError("\(out.path)/loss.svg: cannot write: \(error.localizedDescription)")
        }
    }

    static func appendLine(_ line: String, to url: URL) throws {
        let data = Data((line + "\n").utf8)
        if let h = try? FileHandle(forWritingTo: url) {
            defer { try? h.close() }
            h.seekToEndOfFile()
            h.write(data)
        } else {
            do { try data.write(to: url) } catch { throw TrainError("\(url.path): cannot write: \(error.localizedDescription)") }
        }
    }

    static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
    }
}
