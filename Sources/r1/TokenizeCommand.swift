// `r1 tokenize [TOKENIZER] (--text T | --file F.jsonl) [--bos] [--json]` and `r1 detokenize [TOKENIZER] --ids 1,2,3`.
import ArgumentParser
import Foundation
import R1DefaultModel
import R1Formats
import R1Runtime
import R1Tokenizer

struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Text to token ids.")

    @Argument(help: "A MODEL as other commands take it (default: `default`), or a tokenizer.json.")
    var tokenizer: String = DefaultModel.name
    @Option(help: "Text to encode.")
    var text: String?
    @Option(help: "A file with one JSON string per line; writes one JSON array of ids per line.")
    var file: String?
    @Flag(help: "Add BOS (and EOS) as the model's tokenizer config says.")
    var bos = false
    @Flag(help: "Print a JSON array.")
    var json = false

    func validate() throws {
        if (text == nil) == (file == nil) { throw ValidationError("give exactly one of --text and --file") }
    }

    func run() async throws {
        let t = try PromptFormatter.tokenizer(path: try resolveModelPath(tokenizer))
        if let text {
            let ids = t.encode(text, addSpecialTokens: bos)
            Output.line(json ? JSONOut.ints(ids).text : ids.map(String.init).joined(separator: ","))
            return
        }
        let path = file!
        guard let data = FileManager.default.contents(atPath: path), let body = String(data: data, encoding: .utf8) else {
            throw CLIError("\(path): cannot read the file as UTF-8")
        }
        var out = ""
        for (n, line) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let s = try? JSONDecoder().decode(String.self, from: Data(line.utf8)) else {
                throw CLIError("\(path):\(n + 1): not a JSON string")
            }
            out += JSONOut.ints(t.encode(s, addSpecialTokens: bos)).text + "\n"
        }
        Output.write(out)
    }
}

struct DetokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "detokenize", abstract: "Token ids to text.")

    @Argument(help: "A MODEL as other commands take it (default: `default`), or a tokenizer.json.")
    var tokenizer: String = DefaultModel.name
    @Option(help: "Comma-separated token ids.")
    var ids: String
    @Flag(name: .customLong("skip-special"), help: "Leave out special tokens.")
    var skipSpecial = false

    func run() async throws {
        let t = try PromptFormatter.tokenizer(path: try resolveModelPath(tokenizer))
        let list = try parseIds(ids, flag: "--ids")
        if let bad = list.first(where: { t.tokenString($0) == nil }) {
            throw CLIError("--ids: token id \(bad) is outside the vocabulary (0..<\(t.vocabularySize))")
        }
        Output.write(t.decode(list, skipSpecialTokens: skipSpecial))
    }
}
