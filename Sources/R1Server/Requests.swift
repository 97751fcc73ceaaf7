// Request bodies of /v1/chat/completions, /v1/completions and /api/chat, read from JSON with OpenAI's rules:
// unknown fields are ignored, a field of the wrong type or out of range is a 400 naming it.
import Foundation
import R1Formats
import R1Runtime
import R1Sampling
import R1Tokenizer

/// What the three endpoints share once parsed.
public struct GenerationOptions: Sendable {
    public var maxTokens: Int?
    public var sampling: SamplingParameters
    public var stop: [String] = []
    public var thinkingBudget: Int?
    public var logprobs = false
    public var topLogprobs = 0
    public var stream = false
    public var includeUsage = false
    /// Choices to generate for the prompt (OpenAI's `n`), each its own sequence in the batch.
    public var n = 1
    /// Structured output: the answer after the reasoning follows this schema / JSON grammar.
    public var format: OutputFormat? = nil
    /// Whether the prompt may start from the server's shared prompt cache (llama.cpp's `cache_prompt`; default true).
    public var cachePrompt = true
    /// Variables for the chat template (`chat_template_kwargs`, e.g. enable_thinking), beside messages and tools.
    public var templateKwargs: [String: JinjaValue] = [:]
}

/// OpenAI's `reasoning_effort` as thinking budgets: R1 has no effort levels, so the levels cap the reasoning as
/// Ollama's think levels do (OllamaCommon.thinkBudgets); "none" and "minimal" skip thinking (budget 0).
let reasoningEffortBudgets: [String: Int?] = ["none": 0, "minimal": 0].merging(OllamaCommon.thinkBudgets) { a, _ in a }

public struct ChatCompletionRequest: Sendable {
    public var model: String?
    public var messages: [JinjaValue]
    public var options: GenerationOptions
    public var tools = ToolRequest()
}

public struct CompletionRequest: Sendable {
    public var model: String?
    public var prompt: String
    public var options: GenerationOptions
}

/// A typed view over a JSON object that throws 400s naming the field.
struct FieldReader {
    let object: JSONObject
    var prefix = ""

    static func body(_ data: Data) throws(APIError) -> FieldReader {
        guard !data.isEmpty else { throw APIError.invalid("The request body is empty; expected a JSON object.") }
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw APIError.invalid("The request body is not valid JSON (\(error.description)).", code: "invalid_json")
        }
        guard let object = value.object else { throw APIError.invalid("The request body must be a JSON object.") }
        return FieldReader(object: object)
    }

    func present(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    func typeError(_ key: String, _ expected: String) -> APIError {
        .invalid("Invalid type for '\(prefix)\(key)': expected \(expected).", param: prefix + key, code: "invalid_type")
    }

    func rangeError(_ key: String, _ message: String) -> APIError {
        .invalid("Invalid value for '\(prefix)\(key)': \(message)", param: prefix + key, code: "invalid_value")
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v.string else { throw typeError(key, "a string") }
        return s
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = present(key) else { return nil }
        guard let b = v.bool else { throw typeError(key, "a boolean") }
        return b
    }

    func int(_ key: String) throws(APIError) -> Int? {
        guard let v = present(key) else { return nil }
        guard case .int(let i) = v else {
            if case .double(let d) = v, let i = Int(exactly: d) { return i }
            throw typeError(key, "an integer")
        }
        return i
    }

    func number(_ key: String) throws(APIError) -> Double? {
        guard let v = present(key) else { return nil }
        guard let d = v.double else { throw typeError(key, "a number") }
        return d
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Float? {
        guard let d = try number(key) else { return nil }
        guard range.contains(d) else { throw rangeError(key, "\(d) is outside \(range.lowerBound)...\(range.upperBound).") }
        return Float(d)
    }

    func object(_ key: String) throws(APIError) -> FieldReader? {
        guard let v = present(key) else { return nil }
        guard let o = v.object else { throw typeError(key, "an object") }
        return FieldReader(object: o, prefix: prefix + key + ".")
    }

    /// `stop`: a string or a list of strings.
    func stopList(_ key: String) throws(APIError) -> [String] {
        guard let v = present(key) else { return [] }
        if let s = v.string { return [s] }
        guard let a = v.array else { throw typeError(key, "a string or an array of strings") }
        var out: [String] = []
        for e in a {
            guard let s = e.string else { throw typeError(key, "a string or an array of strings") }
            out.append(s)
        }
        guard out.count <= 16 else { throw rangeError(key, "at most 16 stop sequences.") }
        return out.filter { !$0.isEmpty }
    }
}

// MARK: - OpenAI

extension FieldReader {
    /// The OpenAI sampling and length fields shared by chat and completions.
    func openAIOptions(defaults: SamplingParameters) throws(APIError) -> GenerationOptions {
        var sampling = defaults
        if let t = try number("temperature", in: 0...2) { sampling.temperature = t }
        if let p = try number("top_p", in: 0...1) {
            guard p > 0 else { throw rangeError("top_p", "must be greater than 0.") }
            sampling.topP = p
        }
        if let k = try int("top_k") {
            guard k >= 0 || k == -1 else { throw rangeError("top_k", "must be >= 0 (or -1 for off).") }
            sampling.topK = max(0, k)
        }
        if let m = try number("min_p", in: 0...1) { sampling.minP = m }
        if let r = try number("repetition_penalty", in: 0.01...10) { sampling.repetitionPenalty = r }
        if let p = try number("presence_penalty", in: -2...2) { sampling.presencePenalty = p }
        if let f = try number("frequency_penalty", in: -2...2) { sampling.frequencyPenalty = f }
        if let s = try int("seed") { sampling.seed = UInt64(bitPattern: Int64(s)) }
        var o = GenerationOptions(sampling: sampling)
        for key in ["max_completion_tokens", "max_tokens"] {
            if let m = try int(key) {
                guard m > 0 else { throw rangeError(key, "\(m) is less than the minimum of 1.") }
                o.maxTokens = m
                break
            }
        }
        if let n = try int("n") {
            guard (1...16).contains(n) else { throw rangeError("n", "\(n) is out of range: n must be between 1 and 16.") }
            o.n = n
        }
        o.stop = try stopList("stop")
        if let effort = try string("reasoning_effort") {
            guard let budget = reasoningEffortBudgets[effort] else {
                throw rangeError("reasoning_effort", "'\(effort)' is not one of \(reasoningEffortBudgets.keys.sorted().joined(separator: ", ")).")
            }
            o.thinkingBudget = budget
        }
        if let b = try int("thinking_budget") {  // an explicit budget wins over reasoning_effort
            guard b >= 0 else { throw rangeError("thinking_budget", "must be >= 0.") }
            o.thinkingBudget = b
        }
        if let bias = try object("logit_bias") {
            for (key, value) in bias.object {
                guard let id = Int(key), id >= 0 else { throw bias.typeError(key, "a token id (a non-negative integer) as the key") }
                guard let b = value.double, (-100...100).contains(b) else {
                    throw bias.rangeError(key, "the bias must be a number in -100...100.")
                }
                sampling.logitBias[id] = Float(b)
            }
            o.sampling = sampling
        }
        o.stream = try bool("stream") ?? false
        o.cachePrompt = try bool("cache_prompt") ?? true
        if let so = try object("stream_options") {
            guard o.stream else {
                throw APIError.invalid("'stream_options' is only allowed when 'stream' is true.", param: "stream_options")
            }
            o.includeUsage = try so.bool("include_usage") ?? false
        }
        return o
    }

    func checkModel(_ known: String) throws(APIError) -> String? {
        guard let m = try string("model") else { return nil }
        guard m == known else {
            throw APIError(.notFound, "The model '\(m)' does not exist. This server serves '\(known)'.",
                           param: "model", code: "model_not_found")
        }
        return m
    }
}

extension ChatCompletionRequest {
    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    public static func parse(_ data: Data, modelName: String, defaults: SamplingParameters) throws(APIError) -> ChatCompletionRequest {
        let r = try FieldReader.body(data)
        let model = try r.checkModel(modelName)
        var options = try r.openAIOptions(defaults: defaults)
        options.format = try r.outputFormat("response_format", body: data).map(OutputFormat.openAI)
        if let lp = try r.bool("logprobs") { options.logprobs = lp }
        if let top = try r.int("top_logprobs") {
            guard (0...SamplingParameters.maxLogprobs).contains(top) else {
                throw r.rangeError("top_logprobs", "must be in 0...\(SamplingParameters.maxLogprobs).")
            }
            guard options.logprobs else {
                throw APIError.invalid("'top_logprobs' needs 'logprobs' set to true.", param: "top_logprobs")
            }
            options.topLogprobs = top
        }
        let messages = try parseMessages(r.present("messages"))
        if let kwargs = try r.object("chat_template_kwargs") {
            for (key, value) in kwargs.object {
                guard key != "messages", key != "tools" else {
                    throw kwargs.rangeError(key, "'\(key)' comes from the request itself, not chat_template_kwargs.")
                }
                options.templateKwargs[key] = JinjaValue(value)
            }
        }
        let tools = try r.toolRequest()
        if let forced = try r.forcedArguments(tools) {
            guard options.format == nil else {
                throw APIError.invalid("'response_format' and a named 'tool_choice' cannot be combined.", param: "tool_choice")
            }
            options.format = forced
        }
        return ChatCompletionRequest(model: model, messages: messages, options: options, tools: tools)
    }

    /// Messages as the chat template sees them: `developer` becomes `system`, content parts are joined,
    /// `reasoning_content` / `reasoning` / `thinking` sent back in history are dropped (as DeepSeek's API does).
    /// Assistant `tool_calls` and a tool result's `tool_call_id` / `tool_name` are kept for the template, the calls
    /// in the key order the client sent.
    static func parseMessages(_ value: JSONValue?, style: APIError.Style = .openAI) throws(APIError) -> [JinjaValue] {
        func fail(_ message: String, _ param: String) -> APIError {
            var e = APIError.invalid(message, param: param)
            e.style = style
            return e
        }
        guard let value else { throw fail("'messages' is required and must be a non-empty array.", "messages") }
        guard let list = value.array else { throw fail("Invalid type for 'messages': expected an array.", "messages") }
        guard !list.isEmpty else { throw fail("'messages' must contain at least one message.", "messages") }
        var out: [JinjaValue] = []
        for (i, m) in list.enumerated() {
            let param = "messages[\(i)]"
            guard let o = m.object else { throw fail("Invalid type for '\(param)': expected an object.", param) }
            guard let roleValue = o["role"] else { throw fail("'\(param).role' is required.", "\(param).role") }
            guard let role = roleValue.string else { throw fail("Invalid type for '\(param).role': expected a string.", "\(param).role") }
            guard roles.contains(role) else {
                throw fail("Invalid value for '\(param).role': '\(role)'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", "\(param).role")
            }
            var content: JinjaValue = .string("")
            switch o["content"] {
            case nil, .null?:
                guard role == "assistant" else { throw fail("'\(param).content' is required for role '\(role)'.", "\(param).content") }
                content = .none
            case .string(let s)?:
                content = .string(s)
            case .array(let parts)?:
                var text = ""
                for (j, p) in parts.enumerated() {
                    let pp = "\(param).content[\(j)]"
                    guard let po = p.object else { throw fail("Invalid type for '\(pp)': expected an object.", pp) }
                    let type = po["type"]?.string ?? "text"
                    guard type == "text" else {
                        throw fail("Content parts of type '\(type)' are not supported: this model reads text only.", "\(pp).type")
                    }
                    guard let t = po["text"]?.string else { throw fail("'\(pp).text' must be a string.", "\(pp).text") }
                    text += t
                }
                content = .string(text)
            default:
                throw fail("Invalid type for '\(param).content': expected a string or an array of content parts.", "\(param).content")
            }
            var message = JinjaObject()
            message["role"] = .string(role == "developer" ? "system" : role)
            message["content"] = content
            for key in ["name", "tool_call_id", "tool_name"] { if let s = o[key]?.string { message[key] = .string(s) } }
            if let calls = o["tool_calls"], calls.array != nil {
                message["tool_calls"] = Self.typedCalls(JinjaValue(calls))
            }
            out.append(.object(message))
        }
        return out
    }
}

extension ChatCompletionRequest {
    /// Calls as OpenAI writes them: Ollama's clients leave out `"type": "function"`, which DeepSeek's templates print.
    static func typedCalls(_ calls: JinjaValue) -> JinjaValue {
        guard case .array(let list) = calls else { return calls }
        return .array(list.map { call in
            guard case .object(let c) = call, c["type"] == nil else { return call }
            var typed = JinjaObject()
            for (k, v) in c {
                if k == "function" { typed["type"] = .string("function") }
                typed[k] = v
            }
            if typed["type"] == nil { typed["type"] = .string("function") }
            return .object(typed)
        })
    }
}

extension CompletionRequest {
    public static func parse(_ data: Data, modelName: String, defaults: SamplingParameters) throws(APIError) -> CompletionRequest {
        let r = try FieldReader.body(data)
        let model = try r.checkModel(modelName)
        var options = try r.openAIOptions(defaults: defaults)
        if options.maxTokens == nil { options.maxTokens = 16 }  // OpenAI's default for completions
        options.format = try r.outputFormat("response_format", body: data).map(OutputFormat.openAI)
        if let lp = try r.int("logprobs") {
            guard (0...SamplingParameters.maxLogprobs).contains(lp) else { throw r.rangeError("logprobs", "must be in 0...\(SamplingParameters.maxLogprobs).") }
            options.logprobs = true
            options.topLogprobs = lp
        }
        if try r.bool("echo") == true {
            throw APIError.invalid("'echo' is not supported.", param: "echo", code: "unsupported_value")
        }
        let prompt: String
        switch r.present("prompt") {
        case .string(let s)?: prompt = s
        case .array(let a)? where a.count == 1 && a[0].string != nil: prompt = a[0].string!
        case .array?: throw APIError.invalid("Only one prompt per request is supported.", param: "prompt", code: "unsupported_value")
        case nil: throw APIError.invalid("'prompt' is required.", param: "prompt")
        default: throw r.typeError("prompt", "a string")
        }
        guard !prompt.isEmpty else { throw APIError.invalid("'prompt' must not be empty.", param: "prompt") }
        return CompletionRequest(model: model, prompt: prompt, options: options)
    }
}

// MARK: - Ollama

public struct OllamaChatRequest: Sendable {
    public var common: OllamaCommon
    public var messages: [JinjaValue]
    public var model: String? { common.model }
    public var options: GenerationOptions { common.options }
    public var think: Bool? { common.think }
    public var tools = ToolRequest()

    public static func parse(_ data: Data, modelName: String, defaults: SamplingParameters,
                             contextLength: Int = .max) throws(APIError) -> OllamaChatRequest {
        do throws(APIError) {
            let r = try FieldReader.body(data)
            let common = try OllamaCommon.parse(r, body: data, modelName: modelName, defaults: defaults, contextLength: contextLength)
            let messages = try ChatCompletionRequest.parseMessages(r.present("messages"), style: .ollama)
            return OllamaChatRequest(common: common, messages: messages, tools: try r.toolRequest())
        } catch {
            var e = error
            e.style = .ollama
            throw e
        }
    }
}

