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
    public func render(messages: [JinjaValue], addGenerationPrompt: Bool = true, extra: [String: JinjaValue] = [:]) throws -> String {
        do {
            return try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                       bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken, extra: extra)
        } catch {
            throw GenerationError("chat template: \(error)")
        }
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
