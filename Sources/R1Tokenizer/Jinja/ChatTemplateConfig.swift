// The chat parts of a Hugging Face tokenizer_config.json: `chat_template` (one template, or named ones such as
// "default" and "tool_use") and the bos/eos tokens templates print, chosen as transformers' get_chat_template does.
import Foundation

public struct ChatTemplateConfig: Sendable {
    /// Templates by name; a single unnamed template is stored as "default".
    public let templates: [String: ChatTemplate]
    public let bosToken: String?
    public let eosToken: String?

    /// Parses `tokenizer_config.json`. A config without `chat_template` gives no templates (not an error here).
    public init(tokenizerConfig data: Data) throws {
        guard case .object(let config) = try JinjaValue(json: data) else {
            throw TemplateError.runtime("tokenizer_config.json is not a JSON object")
        }
        var templates: [String: ChatTemplate] = [:]
        switch config["chat_template"] {
        case .string(let source)?:
            templates["default"] = try ChatTemplate(source)
        case .array(let named)?:
            for entry in named {
                guard case .object(let o) = entry, case .string(let name)? = o["name"],
                    case .string(let source)? = o["template"]
                else { throw TemplateError.runtime("chat_template entries need 'name' and 'template' strings") }
                templates[name] = try ChatTemplate(source)
            }
        default: break
        }
        self.templates = templates
        bosToken = Self.token(config["bos_token"])
        eosToken = Self.token(config["eos_token"])
    }

    /// The template `apply_chat_template` would use: `name` if given, else "tool_use" when tools are passed and
    /// present, else "default".
    public func template(named name: String? = nil, withTools: Bool = false) throws -> ChatTemplate {
        let key = name ?? (withTools && templates["tool_use"] != nil ? "tool_use" : "default")
        guard let t = templates[key] else {
            throw TemplateError.runtime(
                templates.isEmpty
                    ? "tokenizer_config.json has no chat_template"
                    : "no chat template named '\(key)' (have: \(templates.keys.sorted().joined(separator: ", ")))")
        }
        return t
    }

    /// A special token is either a string or an AddedToken object with `content`.
    private static func token(_ v: JinjaValue?) -> String? {
        switch v {
        case .string(let s)?: s
        case .object(let o)?: o["content"].flatMap { if case .string(let s) = $0 { s } else { nil } }
        default: nil
        }
    }
}
