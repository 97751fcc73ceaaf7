// A checkpoint folder `r1 generate/chat` runs directly (config.json as transformers writes it, generation_config.json,
// the tokenizer files, model.safetensors in f32) plus the training state that makes a resumed run bit-identical:
// optimizer.safetensors (AdamW moments under `exp_avg.NAME` / `exp_avg_sq.NAME`) and trainer_state.json.
import Foundation
import R1Formats

/// Where a run stands between steps.
public struct TrainerState: Sendable, Equatable, Codable {
    public var step: Int = 0
    /// TrainRandom's state after the last step (data shuffling).
    public var rngState: UInt64 = 0
    public var epoch: Int = 0
    /// Next example of the current epoch's order.
    public var position: Int = 0
    /// The current epoch's example order.
    public var order: [Int] = []
    public var tokensSeen: Int = 0

    public init() {}
}

public enum Checkpoint {
    static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json",
                                 "merges.txt", "chat_template.jinja"]

    /// Writes the model folder; `tokenizerFrom` is a folder (or a tokenizer.json) whose tokenizer files are copied.
    public static func saveModel(layout: ParameterLayout, parameters: FlatBuffer, to folder: String,
                                 tokenizerFrom: String?) throws {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TrainError("\(folder): cannot create the checkpoint folder: \(error.localizedDescription)")
        }
        let dir = URL(fileURLWithPath: folder)
        var writer = SafetensorsWriter()
        writer.metadata = ["format": "pt"]
        for t in layout.tensors { try writer.add(t.name, shape: t.shape, values: layout.values(t, in: parameters)) }
        try writer.write(to: dir.appendingPathComponent("model.safetensors").path)
        let s = layout.shape
        try writeJSON(s.configJSON(), to: dir.appendingPathComponent("config.json"))
        var generation: [String: Any] = ["do_sample": true, "temperature": 0.6, "top_p": 0.95]
        if let b = s.bosTokenId { generation["bos_token_id"] = b }
        if let e = s.eosTokenId { generation["eos_token_id"] = e }
        try writeJSON(generation, to: dir.appendingPathComponent("generation_config.json"))
        if let source = tokenizerFrom {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: source, isDirectory: &isDir) else { throw TrainError("\(source): no such tokenizer file or folder") }
            let srcDir = isDir.boolValue ? URL(fileURLWithPath: source) : URL(fileURLWithPath: source).deletingLastPathComponent()
            for name in tokenizerFiles {
                let from = srcDir.appendingPathComponent(name), to = dir.appendingPathComponent(name)
                guard fm.fileExists(atPath: from.path), from.standardizedFileURL != to.standardizedFileURL else { continue }
                try? fm.removeItem(at: to)
                do { try fm.copyItem(at: from, to: to) } catch {
                    throw TrainError("\(from.path): cannot copy to \(to.path): \(error.localizedDescription)")
                }
            }
        }
    }

    /// Writes the optimizer moments and the trainer state beside the model.
    public static func saveState(optimizer: AdamW, state: TrainerState, to folder: String) throws {
        let dir = URL(fileURLWithPath: folder)
        var writer = SafetensorsWriter()
        for t in optimizer.layout.tensors {
            try writer.add("exp_avg." + t.name, shape: t.shape, values: optimizer.layout.values(t, in: optimizer.m))
            try writer.add("exp_avg_sq." + t.name, shape: t.shape, values: optimizer.layout.values(t, in: optimizer.v))
        }
        try writer.write(to: dir.appendingPathComponent("optimizer.safetensors").path)
        var st = state
        st.step = optimizer.step
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try enc.encode(st).write(to: dir.appendingPathComponent("trainer_state.json"), options: .atomic) } catch {
            throw TrainError("\(folder): cannot write trainer_state.json: \(error.localizedDescription)")
        }
    }

    /// Reads the optimizer moments and trainer state written by `saveState` into `optimizer`.
    public static func loadState(into optimizer: AdamW, from folder: String) throws -> TrainerState {
        let dir = URL(fileURLWithPath: folder)
        let statePath = dir.appendingPathComponent("trainer_state.json").path
        guard let data = FileManager.default.contents(atPath: statePath) else {
            throw TrainError("\(folder): no trainer_state.json (not a resumable checkpoint)")
        }
        let state: TrainerState
        do { state = try JSONDecoder().decode(TrainerState.self, from: data) } catch {
            throw TrainError("\(statePath): malformed: \(error)")
        }
        let store = try SafetensorsFile(path: dir.appendingPathComponent("optimizer.safetensors").path)
        for t in optimizer.layout.tensors {
            for (prefix, buffer) in [("exp_avg.", optimizer.m), ("exp_avg_sq.", optimizer.v)] {
                let view = try store.requireTensor(prefix + t.name)
                guard view.shape == t.shape, view.type == .f32 else {
                    throw TrainError("\(store.path): '\(prefix + t.name)' is \(view.type) \(view.shape), expected f32 \(t.shape)")
                }
                let dst = buffer.pointer + t.offset
                for i in 0..<t.count { dst[i] = view.data.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            }
        }
        optimizer.step = state.step
        return state
    }

    static func writeJSON(_ object: [String: Any], to url: URL) throws {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: url, options: .atomic)
        } catch {
            throw TrainError("\(url.path): cannot write: \(error.localizedDescription)")
        }
    }
}
