// Request bodies of Ollama's /api/chat and /api/generate, read as Ollama's server reads them: `options` (sampling,
// num_predict, num_ctx, stop), `stream` (on unless false), `think` (true/false or "low"/"medium"/"high"), `keep_alive`
// (a duration such as "5m" or "1h30m", seconds as a number, negative = forever). A field of the wrong type or out of
// range is a 400 naming it; a field asking for what this server cannot do (images, a custom template, `suffix`,
// `context`) is a 400 saying so, never ignored.
import Foundation
import R1Formats
import R1Runtime
import R1Sampling
import R1Tokenizer

/// What /api/chat and /api/generate share once parsed.
public struct OllamaCommon: Sendable {
    public var model: String?
    public var options: GenerationOptions
    /// nil when the request leaves `think` out (the model's default: R1 thinks).
    public var think: Bool?
    /// The context the request asks for (`options.num_ctx`); the server's context when larger or absent.
    public var contextLength: Int
    /// Seconds to keep the model loaded after the request; nil = the server's default; negative = forever.
    public var keepAlive: Double?

    /// Thinking budgets for Ollama's effort levels: R1 has no levels, so "low" and "medium" cap the reasoning
    /// (the runtime closes `</think>` at the budget) and "high" leaves it unbounded.
    public static let thinkBudgets: [String: Int?] = ["low": 1024, "medium": 4096, "high": nil]

    static func parse(_ r: FieldReader, body: Data, modelName: String, defaults: SamplingParameters,
                      contextLength: Int) throws(APIError) -> OllamaCommon {
        let model = try r.string("model")
        if let m = model, m != modelName, m.split(separator: ":").first.map(String.init) != modelName {
            throw APIError(.notFound, "model '\(m)' not found", param: "model", code: "model_not_found")
        }
        var sampling = defaults
        var o = GenerationOptions(sampling: sampling)
        var context = contextLength
        if let opts = try r.object("options") {
            if let t = try opts.number("temperature", in: 0...2) { sampling.temperature = t }
            if let p = try opts.number("top_p", in: 0...1), p > 0 { sampling.topP = p }
            if let k = try opts.int("top_k") { sampling.topK = max(0, k) }
            if let m = try opts.number("min_p", in: 0...1) { sampling.minP = m }
            if let r = try opts.number("repeat_penalty", in: 0.01...10) { sampling.repetitionPenalty = r }
            if let p = try opts.number("presence_penalty", in: -2...2) { sampling.presencePenalty = p }
            if let f = try opts.number("frequency_penalty", in: -2...2) { sampling.frequencyPenalty = f }
            if let s = try opts.int("seed") { sampling.seed = UInt64(bitPattern: Int64(s)) }
            if let n = try opts.int("num_predict"), n > 0 { o.maxTokens = n }  // -1 / -2: until the context ends
            if let n = try opts.int("num_ctx") {
                guard n > 0 else { throw opts.rangeError("num_ctx", "must be positive, got \(n).") }
                context = min(n, contextLength)
            }
            o.stop = try opts.stopList("stop")
        }
        o.sampling = sampling
        o.stream = try r.bool("stream") ?? true  // Ollama streams unless told not to
        o.format = try r.outputFormat("format", body: body).map(OutputFormat.ollama)
        var think: Bool?
        switch r.present("think") {
        case nil: break
        case .bool(let b)?:
            think = b
            if !b { o.thinkingBudget = 0 }
        case .string(let level)?:
            guard let budget = thinkBudgets[level] else {
                throw r.rangeError("think", "'\(level)' is not one of true, false, \"low\", \"medium\", \"high\".")
            }
            think = true
            o.thinkingBudget = budget
        default:
            throw r.typeError("think", "a boolean or \"low\", \"medium\", \"high\"")
        }
        return OllamaCommon(model: model, options: o, think: think, contextLength: context,
                            keepAlive: try keepAlive(r))
    }

    /// `keep_alive`: a number of seconds, or a Go duration ("5m", "1h30m", "300ms", "-1").
    static func keepAlive(_ r: FieldReader) throws(APIError) -> Double? {
        switch r.present("keep_alive") {
        case nil: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        case .string(let s)?:
            guard let seconds = duration(s) else {
                throw r.rangeError("keep_alive", "'\(s)' is not a duration (such as \"5m\", \"1h30m\" or \"-1\").")
            }
            return seconds
        default: throw r.typeError("keep_alive", "a duration string or a number of seconds")
        }
    }

    /// A Go duration string in seconds ("1h30m", "2.5s", "-1m"); a bare number is seconds.
    static func duration(_ text: String) -> Double? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if let n = Double(s) { return n }
        var sign = 1.0
        if s.first == "-" { sign = -1; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("h", 3600), ("m", 60), ("s", 1)]
        var total = 0.0, any = false
        while !s.isEmpty {
            let digits = s.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            s = s.dropFirst(digits.count)
            guard let (unit, scale) = units.first(where: { s.hasPrefix($0.0) }) else { return nil }
            s = s.dropFirst(unit.count)
            total += value * scale
            any = true
        }
        return any ? sign * total : nil
    }
}

public struct OllamaGenerateRequest: Sendable {
    public var common: OllamaCommon
    /// The prompt as given; empty asks only to load the model (Ollama answers done with reason "load").
    public var prompt: String
    public var system: String?
    /// The prompt is sent as is, without the chat template.
    public var raw: Bool

    /// The prompt as the backend takes it: raw text, or a system and a user message through the template.
    public var input: PromptInput {
        if raw { return .text(prompt) }
        var messages: [JinjaValue] = []
        if let system, !system.isEmpty {
            var m = JinjaObject()
            m["role"] = .string("system")
            m["content"] = .string(system)
            messages.append(.object(m))
        }
        var m = JinjaObject()
        m["role"] = .string("user")
        m["content"] = .string(prompt)
        messages.append(.object(m))
        return .chat(messages: messages)
    }

    public static func parse(_ data: Data, modelName: String, defaults: SamplingParameters,
                             contextLength: Int) throws(APIError) -> OllamaGenerateRequest {
        do throws(APIError) {
            let r = try FieldReader.body(data)
            let common = try OllamaCommon.parse(r, body: data, modelName: modelName, defaults: defaults, contextLength: contextLength)
            if let images = r.present("images") {
                guard images.array?.isEmpty == true else {
                    throw APIError.invalid("'images' are not supported: this model reads text only.", param: "images",
                                           code: "unsupported_value")
                }
            }
            if let t = try r.string("template"), !t.isEmpty {
                throw APIError.invalid("A request 'template' is not supported: prompts use the model's chat template (or 'raw': true).",
                                       param: "template", code: "unsupported_value")
            }
            if let s = try r.string("suffix"), !s.isEmpty {
                throw APIError.invalid("'suffix' (fill-in-the-middle) is not supported by this server.", param: "suffix",
                                       code: "unsupported_value")
            }
            if let c = r.present("context"), c.array?.isEmpty != true {
                throw APIError.invalid("'context' (the ids of an earlier /api/generate) is not supported; send the conversation to /api/chat.",
                                       param: "context", code: "unsupported_value")
            }
            return OllamaGenerateRequest(common: common, prompt: try r.string("prompt") ?? "", system: try r.string("system"),
                                         raw: try r.bool("raw") ?? false)
        } catch {
            var e = error
            e.style = .ollama
            throw e
        }
    }
}
