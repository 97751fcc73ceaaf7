// Small templates probing one behaviour each (whitespace control, loops, namespace, slicing, tojson, Undefined,
// Python printing, filters, tests, methods, macros, syntax errors), each compared with jinja2's render in
// Tests/Fixtures/chat-templates/snippets.json.
import Foundation
import Testing

@testable import R1Tokenizer

private struct Snippet: CustomTestStringConvertible, Sendable {
    let index: Int
    let template: String
    let output: String?
    let errorType: String?
    let errorMessage: String?
    let errorLine: Int?
    var testDescription: String { "#\(index) \(template.debugDescription.prefix(60))" }
}

private let snippetFile: (vars: JinjaObject, cases: [Snippet]) = {
    guard case .object(let m)? = try? TemplateFixtures.json("snippets.json"),
        case .object(let vars)? = m["vars"], case .array(let cases)? = m["cases"]
    else { return (JinjaObject(), []) }
    return (vars, cases.enumerated().map { i, c in
        guard case .object(let o) = c else { fatalError("bad snippet") }
        var error: JinjaObject? = nil
        if case .object(let e)? = o["error"] { error = e }
        return Snippet(
            index: i, template: o["template"]!.str, output: o["output"]?.str, errorType: error?["type"]?.str,
            errorMessage: error?["message"]?.str, errorLine: error?["lineno"]?.integer)
    })
}()

@Test func snippetsLoaded() { #expect(snippetFile.cases.count > 100) }

@Test(arguments: snippetFile.cases)
private func snippetMatchesJinja2(_ snippet: Snippet) {
    let result = Result { try ChatTemplate(snippet.template).render(variables: snippetFile.vars) }
    switch result {
    case .success(let rendered):
        if let expected = snippet.output {
            #expect(Array(rendered.utf8) == Array(expected.utf8), "\(firstDifference(rendered, expected))")
        } else {
            Issue.record("rendered \(rendered.debugDescription), jinja2 raised \(snippet.errorType!): \(snippet.errorMessage!)")
        }
    case .failure(let error):
        guard let errorType = snippet.errorType else {
            Issue.record("threw \(error), jinja2 rendered \(snippet.output!.debugDescription)")
            return
        }
        let e = error as? TemplateError
        switch errorType {
        case "TemplateSyntaxError":
            #expect(e?.kind == .syntax)
            #expect(e?.message.hasPrefix("chat template line \(snippet.errorLine!): ") == true, "\(error)")
        case "TemplateError":
            #expect(e == TemplateError(kind: .raised, message: snippet.errorMessage!))
        case "UndefinedError":
            #expect(e?.kind == .undefined, "\(error)")
        default:
            #expect(e?.kind == .runtime, "\(error)")
        }
    }
}
