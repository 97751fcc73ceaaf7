// `r1` with no arguments: a short generation on the built-in default model. Until the project ships its own small
// reasoning model, that is the tiny random-weight Qwen2 the fixture scripts make (it proves the engine, not the prose).
import ArgumentParser
import Foundation

struct DefaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the built-in default model.")

    /// The committed fixture model, located from this source file at build time.
    static var defaultModelPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/models/qwen2-tiny").path
    }

    func run() async throws {
        let path = Self.defaultModelPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("the built-in default model is missing at \(path); run scripts/fixtures/make_models.py")
        }
        Output.line("r1: built-in default model \(path) (tiny random weights)")
        let cmd = try GenerateCommand.parse([path, "--prompt-ids", "1,2,3,4,5", "--max-tokens", "16", "--temperature", "0"])
        try await cmd.run()
    }
}
