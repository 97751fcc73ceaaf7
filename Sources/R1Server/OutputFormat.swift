// Structured-output fields of a request: OpenAI's `response_format` and Ollama's `format`, kept in document order
// (a schema's property order is the order the model writes them) and compiled through the service's GrammarCache.
// A malformed or unsupported schema is a 400 naming the keyword and its path; nothing is silently dropped.
import Foundation
import R1Constrain

/// What a request asked the answer to be.
public enum OutputFormat: Sendable, Equatable {
    case openAI(SchemaJSON)
    case ollama(SchemaJSON)
    /// `tool_choice` naming a function: the answer is its arguments, following its `parameters` schema.
    case toolArguments(SchemaJSON?, function: String)
    /// `tool_choice: "required"`: one call of one of these functions, in the template's tool-call text.
    case toolCall([ResponseFormat.CallShape])

    var param: String {
        switch self {
        case .openAI: "response_format"
        case .ollama: "format"
        case .toolArguments, .toolCall: "tool_choice"
        }
    }
}

extension FieldReader {
    /// The field `key` of the body as order-preserving JSON, or nil when absent or null. `body` is parsed a second
    /// time only when the field is there (the shared reader keeps objects as dictionaries).
    func outputFormat(_ key: String, body: Data) throws(APIError) -> SchemaJSON? {
        guard present(key) != nil else { return nil }
        let value: SchemaJSON?
        do { value = try SchemaJSON.parse(String(decoding: body, as: UTF8.self))[key] } catch {
            throw APIError.invalid("'\(prefix)\(key)' could not be read: \(error.message)", param: prefix + key, code: "invalid_value")
        }
        return value
    }
}

extension GrammarCache {
    /// The grammar `format` asks for (nil: plain text), or the 400 that names what is wrong with it.
    func grammar(_ format: OutputFormat?, style: APIError.Style) throws(APIError) -> Grammar? {
        guard let format else { return nil }
        do {
            switch format {
            case .openAI(let json): return try grammar(openAI: json)
            case .ollama(let json): return try grammar(ollama: json)
            case .toolArguments(let json, let name):
                return try grammar("tool " + name + " " + (json?.text ?? "")) { () throws(ConstraintError) in
                    try ResponseFormat.grammar(toolParameters: json, function: name)
                }
            case .toolCall(let calls):
                let key = calls.map { $0.prefix + "\u{0}" + ($0.parameters?.text ?? "") + "\u{0}" + $0.suffix }.joined(separator: "\u{1}")
                return try grammar("toolcall " + key) { () throws(ConstraintError) in try ResponseFormat.grammar(oneCallOf: calls) }
            }
        } catch {
            var e = APIError.invalid("Invalid '\(format.param)': \(error.message)", param: format.param, code: "invalid_schema")
            e.style = style
            throw e
        }
    }
}
