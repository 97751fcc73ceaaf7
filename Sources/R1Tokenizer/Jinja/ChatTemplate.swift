// A Hugging Face chat template, rendered as transformers 5.x `apply_chat_template(..., tokenize=False)` does:
// jinja2 ImmutableSandboxedEnvironment(trim_blocks, lstrip_blocks, loopcontrols) plus transformers' globals.
import Foundation

/// A template that failed to parse or render. `message` is one line.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The template text is malformed.
        case syntax
        /// jinja2 would raise UndefinedError (an operation on an undefined value).
        case undefined
        /// The template called `raise_exception(message)`.
        case raised
        /// Any other error jinja2 or Python would raise while rendering.
        case runtime
    }

    public let kind: Kind
    public let message: String

    public var description: String { message }

    static func syntax(line: Int, _ message: String) -> TemplateError {
        TemplateError(kind: .syntax, message: "chat template line \(line): \(message)")
    }
    static func undefined(_ hint: String) -> TemplateError { TemplateError(kind: .undefined, message: hint) }
    static func raised(_ message: String) -> TemplateError { TemplateError(kind: .raised, message: message) }
    static func runtime(_ message: String) -> TemplateError { TemplateError(kind: .runtime, message: message) }
}

public struct ChatTemplate: Sendable {
    private let nodes: [Node]
    /// The template's text, as given.
    public let source: String

    /// Parses `source` once; throws a `.syntax` TemplateError naming the line.
    public init(_ source: String) throws {
        nodes = try JinjaParser.parse(source)
        self.source = source
    }

    /// Renders a conversation.
    ///
    /// As transformers 5.x does before rendering, keys whose value is `none` are dropped from each message, and a
    /// message's reasoning (`reasoning_content`, `thinking` or `reasoning`) is also exposed under `thinking` and
    /// `reasoning_content`. `tools` and `documents` are `none` unless `extra` sets them; `extra` carries any other
    /// template variable (`enable_thinking`, `thinking`, ...). `keepingNone` keeps `none` values (transformers 4's
    /// behaviour, which the January 2025 R1 templates need to print a call whose content is null).
    public func render(
        messages: [JinjaValue], addGenerationPrompt: Bool = false, bosToken: String? = nil, eosToken: String? = nil,
        extra: [String: JinjaValue] = [:], keepingNone: Bool = false
    ) throws -> String {
        let scope = Scope(parent: nil)
        JinjaGlobals.install(in: scope)
        if let bosToken { scope.vars["bos_token"] = .string(bosToken) }
        if let eosToken { scope.vars["eos_token"] = .string(eosToken) }
        for (k, v) in extra { scope.vars[k] = v }
        scope.vars["messages"] = .array(messages.map { Self.normalize($0, keepingNone: keepingNone) })
        scope.vars["tools"] = extra["tools"] ?? JinjaValue.none
        scope.vars["documents"] = extra["documents"] ?? JinjaValue.none
        scope.vars["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try Interpreter().render(nodes, in: scope)
    }

    /// Renders with exactly these variables (plus the globals), with no chat-specific defaults.
    func render(variables: JinjaObject) throws -> String {
        let scope = Scope(parent: nil)
        JinjaGlobals.install(in: scope)
        for (k, v) in variables { scope.vars[k] = v }
        return try Interpreter().render(nodes, in: scope)
    }

    /// Renders an OpenAI-style request body: `messages` plus any other top-level keys (`tools`, ...) as variables.
    public func render(
        request: JinjaValue, addGenerationPrompt: Bool = false, bosToken: String? = nil, eosToken: String? = nil
    ) throws -> String {
        guard case .object(let body) = request, case .array(let messages)? = body["messages"] else {
            throw TemplateError.runtime("request must be an object with a 'messages' array")
        }
        var extra: [String: JinjaValue] = [:]
        for (k, v) in body where k != "messages" { extra[k] = v }
        return try render(messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
                          eosToken: eosToken, extra: extra)
    }

    /// transformers' `_normalize_chat_messages` (drop `None` values) then `_alias_reasoning_fields`.
    static func normalize(_ message: JinjaValue, keepingNone: Bool = false) -> JinjaValue {
        guard case .object(let m) = message else { return message }
        var kept = JinjaObject()
        for (k, v) in m where keepingNone || !v.isNone { kept[k] = v }
        guard let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap({ kept[$0] }).first
        else { return .object(kept) }
        // {"thinking": reasoning, **message, "reasoning_content": reasoning}
        var aliased = JinjaObject()
        aliased["thinking"] = reasoning
        for (k, v) in kept { aliased[k] = v }
        aliased["reasoning_content"] = reasoning
        return .object(aliased)
    }
}
