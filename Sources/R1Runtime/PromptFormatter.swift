// From chat messages to prompt ids: the model's tokenizer and chat template (or the family's built-in one),
// rendered like transformers' apply_chat_template, plus R1's rule that generation starts inside `<think>`.
import Foundation
import R1Formats
import R1Models
import R1Tokenizer

public struct PromptFormatter: Sendable {
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// Where the template came from: "model" or the built-in family template's name.
    public let templateOrigin: String
    /// The `<think>` token, when the vocabulary has one.
    public let thinkId: Int?
    /// How the template shows the model its tool calls; nil when it shows none.
    public let toolCallFormat: ToolCallFormat?

    /// Loads the tokenizer and template of `path`: a `.gguf` file, a model folder, or a `tokenizer.json`.
    public init(path: String) throws {
        let (tokenizer, source, origin) = try Self.load(path: path)
        self.tokenizer = tokenizer
        do {
            template = try ChatTemplate(source ?? BuiltinTemplates.deepseekR1)
        } catch {
            throw GenerationError("\(path): \(error)")
        }
        templateOrigin = source == nil ? "built-in deepseek-r1" : origin
        thinkId = tokenizer.id(for: "<think>")
        toolCallFormat = ToolCallFormat.detect(template: source ?? BuiltinTemplates.deepseekR1)
    }

    /// The tokenizer alone (no template), for `r1 tokenize`.
    public static func tokenizer(path: String) throws -> Tokenizer { try load(path: path).0 }

    private static func load(path: String) throws -> (Tokenizer, String?, String) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw GenerationError("\(path): no such file or folder")
        }
        do {
            if isDir.boolValue {
                let json = URL(fileURLWithPath: path).appendingPathComponent("tokenizer.json")
                guard FileManager.default.fileExists(atPath: json.path) else {
                    throw GenerationError("\(path): no tokenizer.json in the model folder")
                }
                let t = try Tokenizer(directory: URL(fileURLWithPath: path))
                return (t, t.chatTemplate, "model")
            }
            if path.hasSuffix(".json") {
                let url = URL(fileURLWithPath: path)
                let config = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
                let t = try Tokenizer(tokenizerJSON: Data(contentsOf: url),
                                      tokenizerConfigJSON: try? Data(contentsOf: config))
                return (t, t.chatTemplate, "model")
            }
            let gguf = try GGUFFile(path: path)
            return (try Tokenizer(gguf: gguf), gguf.string("tokenizer.chat_template"), "model")
        } catch let e as GenerationError {
            throw e
        } catch let e as FormatError {
            throw GenerationError(e.description)
        } catch {
            throw GenerationError("\(path): \(error)")
        }
    }

    /// The template's text for `messages`, exactly as apply_chat_template(tokenize=False) gives it.
    ///
    /// Assistant `tool_calls` are rendered with their arguments as objects, the shape transformers documents (and vLLM
    /// passes; Llama 3.1's and Qwen's templates `tojson` them). Templates that concatenate them as text (DeepSeek's)
    /// fail on an object, and are rendered again with the arguments as JSON text, the client's own where it sent text.
    /// A call with null content (OpenAI's) is then tried with the null kept (January 2025 R1 templates print calls only
    /// then; transformers 5 drops nulls, so it cannot) and as `""` (R1-0528's reads every assistant's content).
    public func render(messages: [JinjaValue], addGenerationPrompt: Bool = true, extra: [String: JinjaValue] = [:]) throws -> String {
        try Self.render(template, messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: tokenizer.bosToken,
                        eosToken: tokenizer.eosToken, extra: extra)
    }

    /// `render(messages:...)` with any template and special tokens.
    public static func render(_ template: ChatTemplate, messages: [JinjaValue], addGenerationPrompt: Bool, bosToken: String?,
                              eosToken: String?, extra: [String: JinjaValue] = [:]) throws -> String {
        func run(_ messages: [JinjaValue], keepingNone: Bool = false) throws -> String {
            try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                bosToken: bosToken, eosToken: eosToken, extra: extra, keepingNone: keepingNone)
        }
        do {
            return try run(messages.map { Self.toolArguments($0, asText: false) })
        } catch {
            let asText = messages.map { Self.toolArguments($0, asText: true) }
            if let text = try? run(asText) { return text }
            if messages.contains(where: Self.hasToolCalls) {
                if let text = try? run(asText, keepingNone: true) { return text }
                if let text = try? run(messages.map { Self.toolArguments($0, asText: true, emptyContent: true) }) { return text }
            }
            throw GenerationError("chat template: \(error)")
        }
    }

    static func hasToolCalls(_ message: JinjaValue) -> Bool {
        guard case .object(let m) = message, case .array(let calls)? = m["tool_calls"] else { return false }
        return !calls.isEmpty
    }

    /// A message whose `tool_calls[].function.arguments` are objects (text that parses as one is parsed) or text.
    /// `emptyContent` gives a call without content `""`: R1-0528's template reads the content of every assistant
    /// message, and transformers drops a null one.
    static func toolArguments(_ message: JinjaValue, asText: Bool, emptyContent: Bool = false) -> JinjaValue {
        guard case .object(var m) = message, case .array(let calls)? = m["tool_calls"] else { return message }
        if emptyContent, m["content"]?.isNone ?? true { m["content"] = .string("") }
        m["tool_calls"] = .array(calls.map { call in
            guard case .object(var c) = call, case .object(var f)? = c["function"], let args = f["arguments"] else { return call }
            switch (args, asText) {
            case (.string(let s), false):
                if case .object(let o)? = try? JinjaValue(jsonString: s) { f["arguments"] = .object(o) }
            case (.object, true): f["arguments"] = .string(args.jsonText)
            default: break
            }
            c["function"] = .object(f)
            return .object(c)
        })
        return .object(m)
    }

    /// A rendered chat prompt ready to run: text, ids, and whether generation starts inside `<think>`.
    public struct Prompt: Sendable {
        public var text: String
        public var ids: [Int]
        public var opensThinking: Bool
    }

    /// Renders and tokenizes a chat. The template renders `bos_token` itself, so no BOS is added again. When the
    /// generation prompt leaves thinking closed but unopened (January 2025 R1 templates end with `<｜Assistant｜>`),
    /// `<think>\n` is appended so the model always reasons, as DeepSeek recommends.
    public func chatPrompt(messages: [JinjaValue], extra: [String: JinjaValue] = [:]) throws -> Prompt {
        var text = try render(messages: messages, addGenerationPrompt: true, extra: extra)
        let tail = text.suffix(16).trimmingCharacters(in: .whitespacesAndNewlines)
        if thinkId != nil, !tail.hasSuffix("<think>"), !tail.hasSuffix("</think>") {
            text += "<think>\n"
        }
        let opens = text.suffix(16).trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("<think>")
        return Prompt(text: text, ids: tokenizer.encode(text, addSpecialTokens: false), opensThinking: opens)
    }

    /// A prompt used as is (`--raw`): BOS added as the tokenizer config says.
    public func rawPrompt(_ text: String) -> Prompt {
        Prompt(text: text, ids: tokenizer.encode(text, addSpecialTokens: true), opensThinking: false)
    }

    /// One user message.
    public static func userMessage(_ text: String) -> JinjaValue {
        var m = JinjaObject()
        m["role"] = .string("user")
        m["content"] = .string(text)
        return .object(m)
    }
}
