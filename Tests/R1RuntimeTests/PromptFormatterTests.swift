// Chat prompts for R1: exactly one BOS, and generation always starts inside <think> (the January 2025 template
// stops at <｜Assistant｜>; the later one already opens <think>\n and must not get a second one).
import Foundation
import Testing
import R1Runtime
import R1Tokenizer

let tokenizerRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

@Test func januaryTemplateGetsThinkOpened() throws {
    let path = tokenizerRoot.appendingPathComponent("tokenizers/r1-distill-qwen-1.5b/tokenizer.json").path
    let f = try PromptFormatter(path: path)
    #expect(f.templateOrigin == "model")
    let p = try f.chatPrompt(messages: [PromptFormatter.userMessage("What is 2+2?")])
    #expect(p.text == "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\n")
    #expect(p.ids.first == 151646 && p.ids.filter { $0 == 151646 }.count == 1)
    #expect(Array(p.ids.suffix(3)) == [151645, 151648, 198])
    #expect(p.opensThinking)
    // The plain render (what apply_chat_template gives) is untouched.
    #expect(try f.render(messages: [PromptFormatter.userMessage("What is 2+2?")]).hasSuffix("<｜Assistant｜>"))
}

@Test func laterTemplateIsNotOpenedTwice() throws {
    let f = try PromptFormatter(path: tokenizerRoot.appendingPathComponent("models/qwen2-tiny").path)
    #expect(f.templateOrigin == "built-in deepseek-r1")
    let p = try f.chatPrompt(messages: [PromptFormatter.userMessage("hi")])
    #expect(p.text.hasSuffix("<｜Assistant｜><think>\n") && !p.text.hasSuffix("<think>\n<think>\n"))
    #expect(p.ids.filter { $0 == 316 }.count == 1 && p.ids.first == 316)
    #expect(p.opensThinking)
}

@Test func rawPromptAddsBosOnce() throws {
    let f = try PromptFormatter(path: tokenizerRoot.appendingPathComponent("models/qwen2-tiny").path)
    let p = f.rawPrompt("hello")
    #expect(p.ids.first == 316 && p.ids.filter { $0 == 316 }.count == 1)
}

@Test func brokenTemplateIsAnErrorNamingTheLine() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("r1-tpl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let src = tokenizerRoot.appendingPathComponent("models/qwen2-tiny")
    try FileManager.default.copyItem(at: src.appendingPathComponent("tokenizer.json"), to: dir.appendingPathComponent("tokenizer.json"))
    let config = #"{"bos_token": "<｜begin▁of▁sentence｜>", "chat_template": "{% for m in messages %}\n{{ m.content }\n{% endfor %}"}"#
    try Data(config.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
    #expect { try PromptFormatter(path: dir.path) } throws: { "\($0)".contains("line 2") }
}
