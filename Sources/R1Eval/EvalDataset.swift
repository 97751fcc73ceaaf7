// Eval sets as JSONL in their usual layouts, told apart by their fields: GSM8K, MATH / MATH-500, AIME, HumanEval, or
// any file with named question and answer fields. Field names match case-insensitively (AIME 2024 uses `Problem`).
import Foundation
import R1Formats

public struct EvalDataset: Sendable {
    public enum Layout: String, Sendable {
        case gsm8k, math, aime, humanEval = "humaneval", custom
    }

    public var path: String
    public var layout: Layout
    public var problems: [EvalProblem]
    /// HumanEval's `canonical_solution` by task id, when the file has them.
    public var canonicalSolutions: [String: String] = [:]

    /// Fields chosen by the caller (`--question`, `--answer`) instead of a detected layout.
    public struct Fields: Sendable {
        public var question: String
        public var answer: String
        public init(question: String, answer: String) {
            self.question = question
            self.answer = answer
        }
    }

    public static func load(path: String, fields: Fields? = nil) throws -> EvalDataset {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError("\(path): " + (FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"))
        }
        return try parse(data, path: path, fields: fields)
    }

    public static func parse(_ data: Data, path: String, fields: Fields? = nil) throws -> EvalDataset {
        guard let text = String(data: data, encoding: .utf8) else { throw EvalError("\(path): not UTF-8 text") }
        var dataset = EvalDataset(path: path, layout: .custom, problems: [])
        var layout: Layout?
        var seen = Set<String>()
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let lineNo = n + 1
            let row: [String: JSONValue]
            do {
                guard let o = try JSONValue.parse(Data(line.utf8)).object else {
                    throw EvalError("\(path):\(lineNo): expected a JSON object")
                }
                row = Dictionary(o.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
            } catch let e as JSONParseError {
                throw EvalError("\(path):\(lineNo): not JSON: \(e)")
            }
            let current = try layout ?? detect(row, fields: fields, at: "\(path):\(lineNo)")
            layout = current
            let reader = RowReader(row: row, place: "\(path):\(lineNo)", layout: current)
            let id = reader.optionalText(["task_id", "unique_id", "id", "problem_id"]) ?? "\(path.split(separator: "/").last ?? ""):\(lineNo)"
            guard seen.insert(id).inserted else { throw EvalError("\(path):\(lineNo): duplicate problem id '\(id)'") }
            let problem: EvalProblem
            switch current {
            case .humanEval:
                let prompt = try reader.text("prompt"), test = try reader.text("test"), entry = try reader.text("entry_point")
                problem = EvalProblem(id: id, question: prompt, check: .code(prompt: prompt, test: test, entryPoint: entry))
                if let s = reader.optionalText(["canonical_solution"]) { dataset.canonicalSolutions[id] = s }
            case .gsm8k:
                let answer = try reader.text("answer")
                guard let r = answer.range(of: "####", options: .backwards) else {
                    throw EvalError("\(path):\(lineNo): field 'answer' has no '#### N' final line (GSM8K layout)")
                }
                let gold = answer[r.upperBound...].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
                problem = EvalProblem(id: id, question: try reader.text("question"), check: .math(gold: gold))
            case .math, .aime:
                let question = try reader.text("problem")
                let gold: String
                if reader.has("answer") {
                    gold = try reader.text("answer")
                } else {
                    let solution = try reader.text("solution")
                    guard let boxed = FinalAnswer.lastBoxed(in: solution) else {
                        throw EvalError("\(path):\(lineNo): field 'solution' has no \\boxed{} answer (MATH layout)")
                    }
                    gold = boxed
                }
                problem = EvalProblem(id: id, question: question, check: .math(gold: gold))
            case .custom:
                let f = fields!
                problem = EvalProblem(id: id, question: try reader.text(f.question), check: .math(gold: try reader.text(f.answer)))
            }
            dataset.problems.append(problem)
        }
        guard let found = layout else { throw EvalError("\(path): no problems (the file has no JSON lines)") }
        dataset.layout = found
        return dataset
    }

    /// The layout of a row, from its fields.
    static func detect(_ row: [String: JSONValue], fields: Fields?, at place: String) throws -> Layout {
        let keys = Set(row.keys)
        if fields != nil { return .custom }
        if keys.isSuperset(of: ["task_id", "prompt", "test", "entry_point"]) { return .humanEval }
        if keys.contains("question"), keys.contains("answer") { return .gsm8k }
        if keys.contains("problem") {
            if let a = row["answer"], a.int != nil { return .aime }
            if keys.contains("answer") || keys.contains("solution") { return .math }
            throw EvalError("\(place): missing field 'answer' or 'solution' (MATH layout: problem, answer)")
        }
        throw EvalError("\(place): cannot tell the layout from the fields \(keys.sorted()); expected GSM8K (question, answer), "
                        + "MATH (problem, answer or solution), AIME (problem, answer), HumanEval (task_id, prompt, test, "
                        + "entry_point), or give --question FIELD --answer FIELD")
    }
}

/// Reads fields of one row, with errors naming the place, the field and the layout.
private struct RowReader {
    let row: [String: JSONValue]
    let place: String
    let layout: EvalDataset.Layout

    /// A string, or a number written as text (AIME's integer answers).
    func text(_ field: String) throws -> String {
        guard let v = row[field.lowercased()], !v.isNull else {
            throw EvalError("\(place): missing field '\(field)' (\(layout.rawValue) layout)")
        }
        guard let s = Self.text(v) else { throw EvalError("\(place): field '\(field)' is \(v), not text or a number") }
        return s
    }

    func has(_ field: String) -> Bool { !(row[field]?.isNull ?? true) }

    func optionalText(_ fields: [String]) -> String? {
        for f in fields { if let v = row[f], let s = Self.text(v) { return s } }
        return nil
    }

    static func text(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        default: return nil
        }
    }
}

/// An eval error: one line naming the bad value.
public struct EvalError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
