// `r1 train export CHECKPOINT_DIR --gguf OUT.gguf [--type f32|f16|q8_0]`: a Hugging Face folder to GGUF.
import ArgumentParser
import Foundation
import R1Train

extension GGUFExportType: ExpressibleByArgument {}

struct TrainExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Convert a checkpoint folder (Llama, Qwen2, Qwen3; safetensors) to a GGUF file llama.cpp loads.")

    @Argument(help: "A folder with config.json, safetensors and tokenizer files.")
    var checkpoint: String
    @Option(help: "The GGUF file to write.")
    var gguf: String
    @Option(help: "Type of the 2-D weights: f32, f16 or q8_0 (norms and biases stay f32).")
    var type: GGUFExportType = .f32

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkpoint, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(checkpoint) is not a folder")
        }
    }

    func run() async throws {
        let start = Date()
        try GGUFExport.export(folder: checkpoint, to: gguf, type: type)
        let size = (try? FileManager.default.attributesOfItem(atPath: gguf)[.size] as? Int) ?? 0
        Output.line("\(gguf): \(type.rawValue), \(size) bytes in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
}
