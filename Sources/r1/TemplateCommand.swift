// `r1 template MODEL --messages F.json [--no-generation-prompt] [--set KEY=JSON]...`: the rendered prompt, exactly.
import ArgumentParser
import Foundation
import R1DefaultModel
import R1Runtime
import R1Tokenizer

struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "template", abstract: "Render the chat template.")

    @Argument(help: modelArgumentHelp)
    var model: String = DefaultModel.name
    @Option(help: "A JSON file {\"messages\": [...], \"tools\": [...]} as the OpenAI API takes them.")
    var messages: String
    @Flag(name: .customLong("no-generation-prompt"), help: "Leave out the assistant's generation prompt.")
    var noGenerationPrompt = false
    @Option(name: .customLong("set"), help: "A template variable as KEY=JSON (repeatable), e.g. enable_thinking=false.")
    var variables: [String] = []

    func run() async throws {
        let formatter = try PromptFormatter(path: try resolveModelPath(model))
        guard let data = FileManager.default.contents(atPath: messages) else { throw CLIError("\(messages): cannot read") }
        let body: JinjaValue
        do { body = try JinjaValue(json: data) } catch { throw CLIError("\(messages): \(error)") }
        guard case .object(let object) = body, case .array(let list)? = object["messages"] else {
            throw CLIError("\(messages): expected an object with a \"messages\" array")
        }
        var extra: [String: JinjaValue] = [:]
        for (k, v) in object where k != "messages" { extra[k] = v }
        for item in variables {
            guard let eq = item.firstIndex(of: "=") else { throw CLIError("--set \(item): expected KEY=JSON") }
            let key = String(item[..<eq]), value = String(item[item.index(after: eq)...])
            do { extra[key] = try JinjaValue(json: Data(value.utf8)) } catch { throw CLIError("--set \(key): '\(value)' is not JSON") }
        }
        Output.write(try formatter.render(messages: list, addGenerationPrompt: !noGenerationPrompt, extra: extra))
    }
}
