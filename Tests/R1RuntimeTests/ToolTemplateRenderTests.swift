// PromptFormatter.render with tool calls in history, against the transformers goldens of
// Tests/Fixtures/chat-templates (scripts/fixtures/make_template_goldens.py): arguments reach each template in the
// shape it renders (objects, or the client's text for DeepSeek's templates), byte for byte where transformers renders.
import Foundation
import Testing

@testable import R1Runtime
import R1Tokenizer

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../Fixtures/chat-templates").standardizedFileURL

private func fixture(_ path: String) throws -> String {
    String(decoding: try Data(contentsOf: root.appendingPathComponent(path)), as: UTF8.self)
}

private func render(_ template: String, _ conversation: String, generationPrompt: Bool = true) throws -> String {
    guard case .object(let body) = try JinjaValue(jsonString: try fixture("conversations/\(conversation).json")),
          case .array(let messages)? = body["messages"] else { throw GenerationError("bad conversation") }
    let extra: [String: JinjaValue] = body["tools"].map { ["tools": $0] } ?? [:]
    return try PromptFormatter.render(try ChatTemplate(try fixture("templates/\(template).jinja")), messages: messages,
                                      addGenerationPrompt: generationPrompt, bosToken: "<｜begin▁of▁sentence｜>",
                                      eosToken: "<｜end▁of▁sentence｜>", extra: extra)
}

/// DeepSeek's templates concatenate the arguments: OpenAI's text arguments render exactly as transformers renders them.
@Test(arguments: ["deepseek-r1-distill-2025-01", "deepseek-r1-distill-qwen-32b", "deepseek-r1-0528", "deepseek-v3.1"])
func deepseekTemplatesKeepArgumentText(_ template: String) throws {
    for conversation in ["tools-string-args", "tools-parallel"] {
        let expected = try fixture("goldens/\(template).\(conversation).gen.base.out")
        #expect(try render(template, conversation) == expected, "\(conversation)")
    }
}

/// Templates that `tojson` the arguments get objects: text arguments render as the object form transformers renders.
@Test(arguments: ["qwen2.5-tools", "qwen3-thinking", "hermes-tool-use"])
func jsonTemplatesGetObjects(_ template: String) throws {
    let rendered = try render(template, "tools-string-args")
    #expect(rendered.contains(#""arguments": {"city": "Paris"}"#), "\(rendered)")
    #expect(!rendered.contains(#"\"city\""#))
}

@Test func llamaTemplateGetsObjects() throws {
    let rendered = try render("llama3.1-tools", "tools-string-args")
    #expect(rendered.contains(#"{"name": "get_weather", "parameters": {"city": "Paris"}}"#), "\(rendered)")
}

/// R1-0528 reads `content` of a call without one (transformers raises on OpenAI's `content: null`): rendered as `""`.
@Test func r1_0528CallWithoutContent() throws {
    let rendered = try render("deepseek-r1-0528", "tools-object-args")
    #expect(rendered.contains("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\", \"unit\": \"celsius\", \"days\": 2}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"))
}

/// The January 2025 R1 template prints a call only when its content is null, which transformers 5 drops: kept here.
@Test func januaryR1CallWithNullContent() throws {
    let rendered = try render("deepseek-r1-distill-2025-01", "tools-object-args")
    #expect(rendered.contains("<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\", \"unit\": \"celsius\", \"days\": 2}\n```<｜tool▁call▁end｜>"))
}
