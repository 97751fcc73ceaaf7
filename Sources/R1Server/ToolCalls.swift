// Tools on the chat endpoints: `tools` and `tool_choice` read from a request (OpenAI's and Ollama's shapes), the
// model's calls split from its answer (R1Runtime's ToolCallParser) and written back as OpenAI `tool_calls`
// (whole, or as streamed deltas) and Ollama `message.tool_calls` (arguments as an object).
import Foundation
import R1Formats
import R1Constrain
import R1Runtime
import R1Tokenizer
import Synchronization

/// OpenAI's `tool_choice`.
public enum ToolChoice: Sendable, Equatable {
    /// Tools are not offered to the model; what it writes is content.
    case none
    /// The model may call the tools it is offered.
    case auto
    /// The model must call one of the tools: its answer is constrained to one call in the template's format, the
    /// arguments following that function's `parameters` schema.
    case required
    /// The model must call this function: its answer is constrained to the function's arguments (vLLM's way).
    case function(String)
}

/// The tools a chat request offers, in the template's shape (key order kept, as `tojson` prints it).
public struct ToolRequest: Sendable {
    public var tools: [JinjaValue] = []
    public var choice: ToolChoice = .auto

    /// Whether the template gets `tools` and the answer is parsed for calls.
    public var isActive: Bool { !tools.isEmpty && choice != .none }
}

extension FieldReader {
    /// `tools` (an array of `{"type": "function", "function": {"name", "description", "parameters"}}`) and
    /// `tool_choice`, the tools in the key order the client sent. "required" and a named function constrain the
    /// answer (`requiredCall`, `forcedArguments`).
    func toolRequest() throws(APIError) -> ToolRequest {
        var request = ToolRequest()
        if let value = present("tools") {
            guard let list = value.array else { throw typeError("tools", "an array of tool objects") }
            for (i, tool) in list.enumerated() {
                let param = "tools[\(i)]"
                guard let o = tool.object else { throw APIError.invalid("Invalid type for '\(param)': expected an object.", param: param) }
                let type = o["type"]?.string ?? "function"
                guard type == "function" else {
                    throw APIError.invalid("Invalid value for '\(param).type': '\(type)'. Supported values are: 'function'.",
                                           param: "\(param).type", code: "invalid_value")
                }
                guard let f = o["function"]?.object else {
                    throw APIError.invalid("'\(param).function' is required and must be an object.", param: "\(param).function")
                }
                guard let name = f["name"]?.string, !name.isEmpty else {
                    throw APIError.invalid("'\(param).function.name' is required and must be a non-empty string.",
                                           param: "\(param).function.name")
                }
                if let p = f["parameters"], p.object == nil {
                    throw APIError.invalid("Invalid type for '\(param).function.parameters': expected a JSON Schema object.",
                                           param: "\(param).function.parameters", code: "invalid_type")
                }
                request.tools.append(JinjaValue(tool))
            }
        }
        if let choice = present("tool_choice") {
            if let s = choice.string {
                switch s {
                case "none": request.choice = .none
                case "auto": request.choice = .auto
                case "required": request.choice = .required
                default:
                    throw rangeError("tool_choice", "'\(s)'. Supported values are: 'none', 'auto', 'required' or a function object.")
                }
            } else if let o = choice.object, let name = o["function"]?.object?["name"]?.string {
                guard request.tools.contains(where: { Self.toolName($0) == name }) else {
                    throw rangeError("tool_choice", "no tool named '\(name)' is in 'tools'.")
                }
                request.choice = .function(name)
            } else {
                throw typeError("tool_choice", "'none', 'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}")
            }
            if request.tools.isEmpty, request.choice != .none, request.choice != .auto {
                throw APIError.invalid("'tool_choice' needs 'tools'.", param: "tool_choice")
            }
        }
        return request
    }

    /// For a named `tool_choice`: the function's `parameters` schema, in the client's key order.
    func forcedArguments(_ request: ToolRequest) throws(APIError) -> OutputFormat? {
        guard case .function(let name) = request.choice,
              let tool = request.tools.first(where: { Self.toolName($0) == name }) else { return nil }
        guard case .object(let o) = tool, case .object(let f)? = o["function"], let parameters = f["parameters"] else {
            return .toolArguments(nil, function: name)
        }
        do { return .toolArguments(try SchemaJSON.parse(parameters.jsonText), function: name) } catch {
            throw APIError.invalid("tools['\(name)'].parameters could not be read: \(error.message)", param: "tools")
        }
    }

    /// For `tool_choice: "required"`: one call of one of the tools, written as `format` writes a call (the template's
    /// markers as text), each function's arguments following its `parameters` schema.
    static func requiredCall(_ request: ToolRequest, format: ToolCallFormat) throws(APIError) -> OutputFormat? {
        guard request.choice == .required else { return nil }
        var calls: [ResponseFormat.CallShape] = []
        for tool in request.tools {
            guard let name = toolName(tool) else { continue }
            var parameters: SchemaJSON?
            if case .object(let o) = tool, case .object(let f)? = o["function"], let p = f["parameters"] {
                do { parameters = try SchemaJSON.parse(p.jsonText) } catch {
                    throw APIError.invalid("tools['\(name)'].parameters could not be read: \(error.message)", param: "tools")
                }
            }
            let (prefix, suffix) = callText(name: name, format: format)
            calls.append(ResponseFormat.CallShape(name: name, prefix: prefix, parameters: parameters, suffix: suffix))
        }
        return .toolCall(calls)
    }

    /// The text around a call's arguments in `format`: DeepSeek R1's section with one call (its template's
    /// `function<｜tool▁sep｜>NAME` and a json fence), Hermes' `<tool_call>` object, Llama 3's bare object.
    static func callText(name: String, format: ToolCallFormat) -> (prefix: String, suffix: String) {
        typealias P = ToolCallParser
        switch format {
        case .deepseek:
            return (P.callsBegin + P.callBegin + "function" + P.sep + name + "\n```json\n", "\n```" + P.callEnd + P.callsEnd)
        case .hermes:
            return (P.hermesOpen + "\n{\"name\": " + SchemaJSON.quote(name) + ", \"arguments\": ", "}\n" + P.hermesClose)
        case .llama3:
            return ("{\"name\": " + SchemaJSON.quote(name) + ", \"parameters\": ", "}")
        }
    }

    static func toolName(_ tool: JinjaValue) -> String? {
        guard case .object(let o) = tool, case .object(let f)? = o["function"], case .string(let n)? = f["name"] else { return nil }
        return n
    }
}

// MARK: - Calls in responses

/// A parsed call with the id the response gives it.
struct IdentifiedToolCall: Sendable {
    var id: String
    var call: ToolCall

    init(id: String = "call_" + OpenAIController.randomId(), _ call: ToolCall) {
        self.call = call
        self.id = id
    }

    /// `{"id", "type": "function", "function": {"name", "arguments": "<JSON text>"}}`.
    var openAI: JSONOut {
        .object([("id", .string(id)), ("type", .string("function")),
                 ("function", .object([("name", .string(call.name)), ("arguments", .string(call.arguments))]))])
    }

    /// The streamed deltas of call `index`: id, type and name with empty arguments, then the arguments.
    func openAIDeltas(index: Int) -> [JSONOut] {
        [.object([("index", .int(index)), ("id", .string(id)), ("type", .string("function")),
                  ("function", .object([("name", .string(call.name)), ("arguments", .string(""))]))]),
         .object([("index", .int(index)), ("function", .object([("arguments", .string(call.arguments))]))])]
    }

    /// Ollama's `{"function": {"name", "arguments": {...}}}` (arguments as an object, key order kept).
    var ollama: JSONOut {
        let arguments = (try? JinjaValue(jsonString: call.arguments)).map(JSONOut.init(jinja:)) ?? .object([])
        return .object([("function", .object([("name", .string(call.name)), ("arguments", arguments)]))])
    }
}

/// One tool-call parser per choice, fed from the concurrent choice tasks of a streaming response.
final class ToolCallSplitter: Sendable {
    private let parsers: Mutex<[ToolCallParser]>

    init(format: ToolCallFormat, choices: Int) {
        parsers = Mutex(Array(repeating: ToolCallParser(format: format), count: choices))
    }

    func feed(_ choice: Int, _ text: String) -> [ToolCallEvent] {
        parsers.withLock { $0[choice].feed(text) }
    }

    func finish(_ choice: Int) -> [ToolCallEvent] {
        parsers.withLock { $0[choice].finish() }
    }

    func calls(_ choice: Int) -> Int {
        parsers.withLock { $0[choice].callCount }
    }
}

extension ToolCallFormat {
    /// What a backend whose template teaches no format is parsed as: Hermes' `<tool_call>`, the most common.
    static let fallback = ToolCallFormat.hermes
}

extension JSONOut {
    /// JSON values from an order-keeping parse.
    init(jinja: JinjaValue) {
        switch jinja {
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a), .tuple(let a), .iterator(let a): self = .array(a.map(JSONOut.init(jinja:)))
        case .object(let o): self = .object(o.map { ($0.key, JSONOut(jinja: $0.value)) })
        default: self = .null
        }
    }
}
