// The public surface of ChatTemplate and JinjaValue: JSON input with key order, errors, message normalisation.
import Foundation
import R1Formats
import Testing

@testable import R1Tokenizer

@Test func jsonKeepsKeyOrderAndNumberKinds() throws {
    let v = try JinjaValue(jsonString: #"{"z": 1, "a": [1.0, 2, -3e2, true, null], "m": "\u00e9\ud83d\ude00\n", "b": {}}"#)
    guard case .object(let o) = v else { Issue.record("not an object"); return }
    #expect(o.keys == ["z", "a", "m", "b"])
    #expect(o["a"]!.repr == "[1.0, 2, -300.0, True, None]")
    #expect(o["m"]!.str == "é😀\n")
    #expect(try pythonJSONDumps(v) == #"{"z": 1, "a": [1.0, 2, -300.0, true, null], "m": "é😀\n", "b": {}}"#)
    #expect(throws: TemplateError.self) { try JinjaValue(jsonString: "{\"a\": }") }
}

@Test func jsonValuesConvertInOrder() throws {
    let json = try JSONValue.parse(Data(#"{"role": "user", "n": 3, "x": 1.5, "ok": true, "none": null, "a": [1, {"z": 0, "b": 1}]}"#.utf8))
    guard case .object(let o) = JinjaValue(json) else { Issue.record("not an object"); return }
    #expect(o.keys == ["role", "n", "x", "ok", "none", "a"])
    #expect(o["n"]!.pyEquals(3) && o["x"]!.pyEquals(1.5) && o["ok"]!.pyEquals(true) && o["none"]!.isNone)
    #expect(try pythonJSONDumps(o["a"]!) == #"[1, {"z": 0, "b": 1}]"#)
    // A repeated key keeps its first place and its last value, as Python's json.loads does.
    #expect(try pythonJSONDumps(JinjaValue(jsonString: #"{"a": 1, "b": 2, "a": 3}"#)) == #"{"a": 3, "b": 2}"#)
    // Nesting is bounded: a hostile body is an error, not a stack overflow.
    #expect(throws: TemplateError.self) { try JinjaValue(jsonString: String(repeating: "[", count: 100_000)) }
}

@Test func syntaxErrorNamesTheLine() {
    #expect(throws: TemplateError(kind: .syntax,
                                  message: "chat template line 3: expected 'elif' or 'else' or 'endif', found end of template")) {
        try ChatTemplate("a\nb\n{% if x %}c")
    }
    #expect(throws: TemplateError(kind: .syntax, message: "chat template line 2: expected 'endfor' or 'else', found 'endif'")) {
        try ChatTemplate("{% for x in y %}\n{% endif %}")
    }
    #expect(throws: TemplateError(kind: .syntax, message: "chat template line 1: unknown tag 'foo'")) {
        try ChatTemplate("{% foo %}")
    }
}

@Test func raiseExceptionCarriesTheMessage() throws {
    let t = try ChatTemplate("{% for m in messages %}{% if m.role not in ['user'] %}{{ raise_exception('bad role: ' + m.role) }}{% endif %}{% endfor %}")
    #expect(throws: TemplateError(kind: .raised, message: "bad role: robot")) {
        try t.render(messages: [["role": "robot", "content": "x"]])
    }
}

@Test func messagesAreNormalisedLikeTransformers() throws {
    let t = try ChatTemplate("{% for m in messages %}{{ m|tojson }}|{{ m.content is defined }}\n{% endfor %}{{ tools }}{{ documents }}")
    let out = try t.render(messages: [
        ["role": "assistant", "content": nil, "reasoning": "why"],
        ["role": "user", "content": "hi"],
    ])
    #expect(out == """
        {"thinking": "why", "role": "assistant", "reasoning": "why", "reasoning_content": "why"}|False
        {"role": "user", "content": "hi"}|True
        NoneNone
        """)
}

@Test func requestBodyVariablesAndSpecialTokens() throws {
    let t = try ChatTemplate("{{ bos_token }}{{ tools|length }}{{ enable_thinking }}{{ add_generation_prompt }}{{ eos_token }}")
    let body = try JinjaValue(jsonString: #"{"messages": [], "tools": [{"type": "function"}], "enable_thinking": false}"#)
    #expect(try t.render(request: body, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>") == "<s>1FalseTrue</s>")
}

@Test func strftimeNowFormatsTheCurrentDate() throws {
    let year = Calendar.current.component(.year, from: Date())
    let t = try ChatTemplate("{{ strftime_now('%Y') }}")
    #expect(try t.render(messages: []) == String(year))
}

@Test func templatesRenderConcurrently() async throws {
    let t = try ChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}")
    try await withThrowingTaskGroup(of: String.self) { group in
        for i in 0..<8 { group.addTask { try t.render(messages: [["content": .string("x\(i)")]]) } }
        var seen: Set<String> = []
        for try await s in group { seen.insert(s) }
        #expect(seen.count == 8)
    }
}

@Test func tokenizerConfigSuppliesTemplateAndSpecialTokens() throws {
    let root = TemplateFixtures.root.appendingPathComponent("tokenizer-configs")
    let r1 = try ChatTemplateConfig(tokenizerConfig: Data(contentsOf: root.appendingPathComponent("r1-distill-qwen-1.5b.json")))
    #expect(r1.bosToken == "<｜begin▁of▁sentence｜>" && r1.eosToken == "<｜end▁of▁sentence｜>")
    let fromFile = try ChatTemplate(TemplateFixtures.text("templates/deepseek-r1-distill-2025-01.jinja"))
    let messages: [JinjaValue] = [["role": "system", "content": "S"], ["role": "user", "content": "Hi"]]
    let rendered = try r1.template().render(messages: messages, addGenerationPrompt: true, bosToken: r1.bosToken)
    #expect(rendered == "<｜begin▁of▁sentence｜>S<｜User｜>Hi<｜Assistant｜>")
    #expect(rendered == (try fromFile.render(messages: messages, addGenerationPrompt: true, bosToken: r1.bosToken)))

    // DeepSeek-V3's config stores tokens as AddedToken objects and has no template.
    let v3 = try ChatTemplateConfig(tokenizerConfig: Data(contentsOf: root.appendingPathComponent("deepseek-v3.json")))
    #expect(v3.bosToken == "<｜begin▁of▁sentence｜>" && v3.eosToken == "<｜end▁of▁sentence｜>")
    #expect(throws: TemplateError.self) { try v3.template() }
}

@Test func namedTemplatesFollowTransformersChoice() throws {
    let json = #"{"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}"#
    let config = try ChatTemplateConfig(tokenizerConfig: Data(json.utf8))
    #expect(try config.template().render(messages: []) == "D")
    #expect(try config.template(withTools: true).render(messages: []) == "T")
    #expect(try config.template(named: "default", withTools: true).render(messages: []) == "D")
}
