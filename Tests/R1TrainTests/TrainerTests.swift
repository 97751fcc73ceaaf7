// The training loop: a run saved and resumed repeats the straight run bit for bit; a fixed seed repeats exactly;
// chat data masks exactly the assistant's tokens; `SFTRun` writes a checkpoint `r1`'s loader runs, metrics and a curve.
import Foundation
import Testing
import R1Formats
import R1Kernels
import R1Models
import R1Tokenizer
import R1Train

func tinyShape() throws -> ModelShape {
    var s = try ModelShape(modelType: "qwen2", vocabSize: 64, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                           headCount: 4, kvHeadCount: 2)
    s.tieWordEmbeddings = true
    return s
}

func tinyExamples(count: Int, seed: UInt64) -> [TrainSequence] {
    var rng = TrainRandom(seed: seed)
    return (0..<count).map { i in
        let n = 5 + i % 7
        let ids = (0..<n).map { _ in Int(rng.next() % 64) }
        return TrainSequence(ids: ids, lossMask: (0..<n).map { $0 < 2 ? 0 : 1 })
    }
}

func tempFolder(_ name: String) -> String {
    let p = FileManager.default.temporaryDirectory.appendingPathComponent("r1-train-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.removeItem(atPath: p)
    return p
}

@Suite struct TrainerTests {
    func config() -> TrainerConfig {
        var c = TrainerConfig()
        c.batchSize = 5
        c.microBatchTokens = 24  // several packed micro-batches per step
        c.seed = 7
        c.optimizer.learningRate = 1e-2
        c.optimizer.warmupSteps = 2
        c.optimizer.totalSteps = 8
        return c
    }

    func fresh(pool: ThreadPool) throws -> Trainer {
        let layout = ParameterLayout(shape: try tinyShape())
        let params = FlatBuffer(count: layout.count)
        layout.initialize(params, seed: 3, std: 0.1)
        return try Trainer(model: TrainModel(layout: layout, pool: pool), parameters: params,
                           examples: tinyExamples(count: 13, seed: 1), config: config())
    }

    @Test func resumedRunIsBitIdentical() throws {
        let pool = ThreadPool(threads: 2, kernels: .test)
        let straight = try fresh(pool: pool)
        var losses: [Double] = []
        for _ in 0..<8 { losses.append(try straight.step().loss) }
        #expect(losses.last! < losses.first!)

        let first = try fresh(pool: pool)
        for _ in 0..<3 { _ = try first.step() }
        let folder = tempFolder("resume")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try first.save(to: folder, tokenizerFrom: nil)
        let resumed = try Trainer.resume(from: folder, examples: tinyExamples(count: 13, seed: 1), config: config(), pool: pool)
        #expect(resumed.state.step == 3)
        var after: [Double] = []
        for _ in 3..<8 { after.append(try resumed.step().loss) }
        #expect(after == Array(losses[3...]))
        #expect(resumed.parameters.array == straight.parameters.array)
        #expect(resumed.optimizer.m.array == straight.optimizer.m.array)
    }

    @Test func sameSeedSameRunAnyThreadCount() throws {
        let a = try fresh(pool: ThreadPool(threads: 1, kernels: .test)), b = try fresh(pool: ThreadPool(threads: 3, kernels: .test))
        for _ in 0..<3 {
            _ = try a.step()
            _ = try b.step()
        }
        #expect(a.parameters.array == b.parameters.array)
    }

    @Test func badInputIsNamed() throws {
        let model = TrainModel(layout: ParameterLayout(shape: try tinyShape()), pool: ThreadPool(threads: 1, kernels: .test))
        #expect(throws: TrainError.self) { try model.batch([TrainSequence(ids: [1, 64])]) }
        #expect(throws: TrainError.self) { try model.batch([TrainSequence(ids: [1, 2], lossMask: [1])]) }
        #expect(throws: TrainError.self) { try model.batch([]) }
        #expect(throws: TrainError.self) { try ModelShape(modelType: "gpt2", vocabSize: 8, hiddenSize: 8, intermediateSize: 8,
                                                          layerCount: 1, headCount: 2, kvHeadCount: 2) }
        #expect(throws: TrainError.self) { try ModelShape(modelType: "qwen2", vocabSize: 8, hiddenSize: 8, intermediateSize: 8,
                                                          layerCount: 1, headCount: 3, kvHeadCount: 2) }
    }
}

// MARK: - randomised positions (SFTConfig.position_stretch)

@Suite struct PositionStretchTests {
    @Test func drawnPositionsIncreaseAndStayInRange() {
        var rng = TrainRandom(seed: 5)
        var spans: Set<Int> = []
        for n in [1, 2, 7, 40] {
            for _ in 0..<200 {
                let p = Trainer.stretchedPositions(count: n, stretch: 3, limit: 1 << 20, rng: &rng)
                #expect(p.count == n)
                #expect(p.first! >= 0)
                #expect(zip(p, p.dropFirst()).allSatisfy { $0 < $1 })
                #expect(p.last! < 3 * n)
                spans.insert(p.last! - p.first!)
            }
        }
        #expect(spans.count > 20)  // not always 0, 1, 2, ...
        // The model's limit caps the range; at the limit the positions are 0..<n.
        for _ in 0..<50 { #expect(Trainer.stretchedPositions(count: 9, stretch: 4, limit: 12, rng: &rng).last! < 12) }
        #expect(Trainer.stretchedPositions(count: 9, stretch: 4, limit: 9, rng: &rng) == Array(0..<9))
        #expect(Trainer.stretchedPositions(count: 9, stretch: 1, limit: 100, rng: &rng) == Array(0..<9))
    }

    @Test func explicitPositionsAreCheckedAndUsed() throws {
        let model = TrainModel(layout: ParameterLayout(shape: try tinyShape()), pool: ThreadPool(threads: 1, kernels: .test))
        #expect(throws: TrainError.self) { try model.batch([TrainSequence(ids: [1, 2, 3], positions: [0, 1])]) }
        #expect(throws: TrainError.self) { try model.batch([TrainSequence(ids: [1, 2, 3], positions: [0, 2, 2])]) }
        #expect(throws: TrainError.self) { try model.batch([TrainSequence(ids: [1, 2], positions: [-1, 0])]) }
        let b = try model.batch([TrainSequence(ids: [1, 2, 3], positions: [4, 9, 30]), TrainSequence(ids: [5, 6])])
        #expect(b.positions == [4, 9, 30, 0, 1])
    }

    /// RoPE scores depend on distances only: the same gaps from another start give the same loss.
    @Test func shiftedPositionsGiveTheSameLoss() throws {
        let layout = ParameterLayout(shape: try tinyShape())
        let params = FlatBuffer(count: layout.count)
        layout.initialize(params, seed: 3, std: 0.2)
        let model = TrainModel(layout: layout, pool: ThreadPool(threads: 1, kernels: .test))
        let ids = [3, 17, 40, 2, 9, 33, 61, 5]
        func loss(_ p: [Int]?) throws -> Double {
            let b = try model.batch([TrainSequence(ids: ids, positions: p)])
            return model.evaluate(params, batch: b, workspace: model.workspace(for: b)).lossSum
        }
        let gaps = [0, 1, 4, 5, 9, 10, 20, 21]
        let base = try loss(gaps), shifted = try loss(gaps.map { $0 + 37 })
        #expect(abs(base - shifted) < 1e-4 * abs(base))
        #expect(try loss(nil) == loss(Array(0..<ids.count)))
        #expect(abs(base - (try loss(nil))) > 1e-4)  // the gaps do change what the model computes
    }

    @Test func stretchedRunResumesBitIdentically() throws {
        let pool = ThreadPool(threads: 2, kernels: .test)
        var config = TrainerTests().config()
        config.positionStretch = 3
        func fresh(_ config: TrainerConfig) throws -> Trainer {
            let layout = ParameterLayout(shape: try tinyShape())
            let params = FlatBuffer(count: layout.count)
            layout.initialize(params, seed: 3, std: 0.1)
            return try Trainer(model: TrainModel(layout: layout, pool: pool), parameters: params,
                               examples: tinyExamples(count: 13, seed: 1), config: config)
        }
        let straight = try fresh(config)
        for _ in 0..<6 { _ = try straight.step() }
        let first = try fresh(config)
        for _ in 0..<2 { _ = try first.step() }
        let folder = tempFolder("stretch")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try first.save(to: folder, tokenizerFrom: nil)
        let resumed = try Trainer.resume(from: folder, examples: tinyExamples(count: 13, seed: 1), config: config, pool: pool)
        for _ in 2..<6 { _ = try resumed.step() }
        let same = resumed.parameters.array == straight.parameters.array  // (a Bool: a failure prints no arrays)
        #expect(same)
        var plain = config
        plain.positionStretch = 1
        let unstretched = try fresh(plain)
        for _ in 0..<6 { _ = try unstretched.step() }
        let moved = unstretched.parameters.array != straight.parameters.array  // the positions changed the run
        #expect(moved)
    }
}

// MARK: - chat data and the SFT run

let modelFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/models")

/// R1's turn markers in a short template (the fixture tokenizer has <｜begin▁of▁sentence｜> and <｜end▁of▁sentence｜>).
let miniTemplate = """
{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}User: {{ m['content'] }}
{% elif m['role'] == 'assistant' %}Assistant: {{ m['content'] }}{{ eos_token }}
{% endif %}{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}
"""

/// A tokenizer folder: the qwen2-tiny fixture's tokenizer.json with `miniTemplate`.
func tokenizerFolder() throws -> String {
    let folder = tempFolder("tok")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: modelFixtures.appendingPathComponent("qwen2-tiny/tokenizer.json").path,
                                     toPath: folder + "/tokenizer.json")
    let config: [String: Any] = ["chat_template": miniTemplate, "bos_token": "<｜begin▁of▁sentence｜>",
                                 "eos_token": "<｜end▁of▁sentence｜>"]
    try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder + "/tokenizer_config.json"))
    return folder
}

@Suite struct SFTTests {
    @Test func assistantTokensAloneCount() throws {
        let folder = try tokenizerFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tok = try Tokenizer(directory: URL(fileURLWithPath: folder))
        let template = try ChatTemplate(miniTemplate)
        let messages: [JinjaValue] = [
            ["role": "user", "content": "What is 2+2?"], ["role": "assistant", "content": "4"],
            ["role": "user", "content": "And 3+3?"], ["role": "assistant", "content": "6"],
        ]
        let seq = try ChatData.render(messages: messages, tokenizer: tok, template: template)
        let full = try template.render(messages: messages, bosToken: tok.bosToken, eosToken: tok.eosToken)
        #expect(tok.decode(seq.ids) == full)
        let learned = zip(seq.ids, seq.lossMask!).filter { $0.1 == 1 }.map(\.0)
        #expect(tok.decode(learned) == " 4<｜end▁of▁sentence｜>\n 6<｜end▁of▁sentence｜>\n")
    }

    @Test func sftRunWritesARunnableCheckpoint() throws {
        let tok = try tokenizerFolder()
        let out = tempFolder("sft")
        let data = tempFolder("data") + ".jsonl"
        defer { for p in [tok, out, data] { try? FileManager.default.removeItem(atPath: p) } }
        var lines = ""
        for i in 0..<12 {
            lines += #"{"messages":[{"role":"user","content":"add \#(i) and 1"},{"role":"assistant","content":"\#(i + 1)"}]}"# + "\n"
        }
        try lines.write(toFile: data, atomically: true, encoding: .utf8)
        let yaml = """
        # a tiny run
        tokenizer: \(tok)
        data: \(data)
        eval_data: \(data)
        output: \(out)
        steps: 6
        batch_size: 4
        seq_len: 64
        learning_rate: 0.01
        eval_every: 3
        save_every: 3
        shape:
          model_type: qwen2
          hidden_size: 32
          intermediate_size: 64
          num_hidden_layers: 2
          num_attention_heads: 4
          num_key_value_heads: 2
        """
        let cfgPath = out + ".yaml"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try yaml.write(toFile: cfgPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: cfgPath) }
        var lines2: [String] = []
        try SFTRun.run(try SFTConfig.load(path: cfgPath)) { lines2.append($0) }
        #expect(lines2.contains { $0.contains("tok/s") && $0.contains("ETA") })
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 6)
        #expect(metrics.filter { $0.contains("eval_loss") }.count == 2)
        #expect(try String(contentsOfFile: out + "/loss.svg", encoding: .utf8).contains("<polyline"))
        // The checkpoint runs in R1Models' loader (what `r1 chat` uses) and resumes.
        let loaded = try ModelLoader.load(path: out)
        #expect(loaded.architecture.name == "qwen2")
        #expect(FileManager.default.fileExists(atPath: out + "/checkpoint-3/optimizer.safetensors"))
        #expect(FileManager.default.fileExists(atPath: out + "/tokenizer.json"))
    }

    @Test func configErrorsNameTheKey() throws {
        let path = tempFolder("bad") + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"data": "x.jsonl", "output": "o", "steps": 0, "model": "m"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TrainError.self) { try SFTConfig.load(path: path) }
        try #"{"data": "x.jsonl", "output": "o"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let e = #expect(throws: TrainError.self) { try SFTConfig.load(path: path) }
        #expect(e?.description.contains("steps") == true)
        try #"{"data": "x.jsonl", "output": "o", "steps": 5, "model": "m", "position_stretch": 0.5}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let s = #expect(throws: TrainError.self) { try SFTConfig.load(path: path) }
        #expect(s?.description.contains("position_stretch must be at least 1, got 0.5") == true)
    }
}
