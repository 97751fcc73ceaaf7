// `r1 eval verify --file PAIRS.jsonl`: math-verify's verdict for each {"gold": …, "answer": …} line, in order.
import ArgumentParser
import Foundation
import R1Eval
import R1Formats

struct EvalVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check answers against golds as math-verify does: one JSON verdict per input line.")

    @Option(help: "A JSONL file of {\"gold\": ..., \"answer\": ...} lines.")
    var file: String
    @Flag(help: "Also print the parsed structures (gold_value, answer_value).")
    var explain = false

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file), let body = String(data: data, encoding: .utf8) else {
            throw CLIError("\(file): cannot read the file as UTF-8")
        }
        var out = ""
        for (n, line) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let pair = try Self.pair(line, at: "\(file):\(n + 1)")
            let gold = MathVerify.parse(pair.gold), answer = MathVerify.parse(pair.answer)
            var fields: [(String, JSONOut)] = [
                ("correct", .bool(MathVerify.verify(gold: gold, answer: answer))),
                ("gold_parsed", .string(gold.display)),
                ("answer_parsed", .string(answer.display)),
            ]
            if explain {
                fields.append(("gold_value", gold.valueDescription.map { .string($0) } ?? .null))
                fields.append(("answer_value", answer.valueDescription.map { .string($0) } ?? .null))
            }
            let verdict = JSONOut.object(fields)
            out += verdict.text + "\n"
        }
        Output.write(out)
    }

    /// A gold or answer: a JSON string, or a number (golds such as GSM8K's are often numbers).
    private struct Field: Decodable {
        var text: String
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { text = s; return }
            if let i = try? c.decode(Int.self) { text = String(i); return }
            if let d = try? c.decode(Double.self) { text = String(d); return }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a string or a number")
        }
    }
    private struct Pair: Decodable { var gold: Field; var answer: Field }

    private static func pair(_ line: Substring, at place: String) throws -> (gold: String, answer: String) {
        do {
            let p = try JSONDecoder().decode(Pair.self, from: Data(line.utf8))
            return (p.gold.text, p.answer.text)
        } catch DecodingError.keyNotFound(let key, _) {
            throw CLIError("\(place): no \"\(key.stringValue)\" field")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context) {
            if let field = context.codingPath.first?.stringValue {
                throw CLIError("\(place): \"\(field)\" is not a string or a number")
            }
            throw CLIError("\(place): not a JSON object with string \"gold\" and \"answer\"")
        } catch {
            throw CLIError("\(place): not a JSON object with string \"gold\" and \"answer\"")
        }
    }
}
