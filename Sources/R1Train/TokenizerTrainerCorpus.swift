// Corpus files for the tokenizer trainer: plain text one line per sequence, newline kept (as `tokenizers`'
// `train(files)` reads them), or JSONL: a string, {"text": ...}, {"messages": [{"content": ...}, ...]} or
// {"prompt": ..., "completion": ...} per line.
import Foundation
import R1Formats

public enum TokenizerCorpus {
    /// The sequences of every file in order.
    public static func documents(paths: [String]) throws -> [String] {
        guard !paths.isEmpty else { throw TokenizerTrainerError.badCorpus("no corpus files given") }
        var out: [String] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TokenizerTrainerError.badCorpus("\(path): cannot read the file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw TokenizerTrainerError.badCorpus("\(path): not UTF-8 text")
            }
            out += path.hasSuffix(".jsonl") ? try jsonlDocuments(text, path: path) : linesKeepingEnds(text)
        }
        return out
    }

    static func linesKeepingEnds(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            current.unicodeScalars.append(scalar)
            if scalar == "\n" {
                lines.append(current)
                current = ""
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    static func jsonlDocuments(_ text: String, path: String) throws -> [String] {
        var out: [String] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let where_ = "\(path):\(n + 1)"
            let value: JSONValue
            do {
                value = try JSONValue.parse(Data(line.utf8))
            } catch {
                throw TokenizerTrainerError.badCorpus("\(where_): not JSON (\(error))")
            }
            if let string = value.string {
                out.append(string)
            } else if let text = value["text"]?.string {
                out.append(text)
            } else if let messages = value["messages"]?.array {
                for (m, message) in messages.enumerated() {
                    guard let content = message["content"]?.string else {
                        throw TokenizerTrainerError.badCorpus("\(where_): messages[\(m)] has no string \"content\"")
                    }
                    out.append(content)
                }
            } else if let completion = value["completion"]?.string {
                // prompt-completion (TRL's format): a string prompt and a string completion
                if let prompt = value["prompt"]?.string { out.append(prompt) }
                out.append(completion)
            } else {
                throw TokenizerTrainerError.badCorpus(
                    "\(where_): expected a JSON string or an object with \"text\", \"messages\" or \"completion\"")
            }
        }
        return out
    }
}
