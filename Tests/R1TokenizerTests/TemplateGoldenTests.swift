// Renders every case in Tests/Fixtures/chat-templates/cases.json and compares byte for byte with the output of
// transformers' apply_chat_template path (scripts/fixtures/make_template_goldens.py).
import Foundation
import Testing

@testable import R1Tokenizer

enum TemplateFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/chat-templates").standardizedFileURL

    static func json(_ relative: String) throws -> JinjaValue {
        try JinjaValue(json: Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func text(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: root.appendingPathComponent(relative)), as: UTF8.self)
    }

    static let templateNames: [String] = {
        let dir = root.appendingPathComponent("templates")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".jinja") }.sorted()
    }()
}

private func field(_ v: JinjaValue, _ key: String) -> JinjaValue {
    if case .object(let o) = v { return o[key] ?? .none }
    return .none
}

@Test(arguments: TemplateFixtures.templateNames)
func templateMatchesGoldens(_ templateName: String) throws {
    let manifest = try TemplateFixtures.json("cases.json")
    guard case .array(let cases) = field(manifest, "cases") else { Issue.record("no cases"); return }
    let bos = field(manifest, "bos_token").str
    let eos = field(manifest, "eos_token").str
    let template = try ChatTemplate(TemplateFixtures.text("templates/" + templateName))
    var checked = 0
    for c in cases where field(c, "template").str == templateName {
        let name = field(c, "name").str
        let request = try TemplateFixtures.json("conversations/" + field(c, "conversation").str)
        guard case .object(var body) = request, case .object(let extra) = field(c, "extra") else {
            Issue.record("\(name): malformed case")
            continue
        }
        for (k, v) in extra { body[k] = v }
        let addGenerationPrompt = field(c, "add_generation_prompt").isTruthy
        let result = Result { try template.render(request: .object(body), addGenerationPrompt: addGenerationPrompt,
                                                  bosToken: bos, eosToken: eos) }
        checked += 1
        switch (result, field(c, "error")) {
        case (.success(let rendered), .none):
            let expected = try TemplateFixtures.text("goldens/" + field(c, "output").str)
            if Array(rendered.utf8) != Array(expected.utf8) {
                Issue.record("\(name): render differs\n\(firstDifference(rendered, expected))")
            }
        case (.success, let error):
            Issue.record("\(name): rendered, but jinja2 raised \(field(error, "type").str): \(field(error, "message").str)")
        case (.failure(let error), .none):
            Issue.record("\(name): threw \(error), jinja2 rendered")
        case (.failure(let error), let expected):
            // raise_exception messages must match exactly; other errors must be of the same kind.
            let e = error as? TemplateError
            switch field(expected, "type").str {
            case "TemplateError":
                #expect(e == TemplateError(kind: .raised, message: field(expected, "message").str), "\(name)")
            case "UndefinedError": #expect(e?.kind == .undefined, "\(name): \(error)")
            default: #expect(e?.kind == .runtime, "\(name): \(error)")
            }
        }
    }
    #expect(checked > 0)
}

func firstDifference(_ a: String, _ b: String) -> String {
    let x = Array(a.unicodeScalars)
    let y = Array(b.unicodeScalars)
    var i = 0
    while i < x.count, i < y.count, x[i] == y[i] { i += 1 }
    func around(_ s: [Unicode.Scalar]) -> String {
        let lo = max(0, i - 40)
        let hi = min(s.count, i + 40)
        return String(String.UnicodeScalarView(s[lo..<hi])).debugDescription
    }
    return "at scalar \(i): swift \(around(x))\n        jinja2 \(around(y))"
}
