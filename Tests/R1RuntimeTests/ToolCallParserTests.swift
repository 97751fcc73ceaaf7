// ToolCallParser on every format it reads: whole answers, the same answers split at every UTF-8 scalar boundary
// (each split must give the same content and calls), and malformed calls, which must come back as content.
import Testing

@testable import R1Runtime

struct ToolParserCase: Sendable, CustomStringConvertible {
    var name: String
    var format: ToolCallFormat
    var text: String
    var content: String
    var calls: [ToolCall]
    var description: String { name }
}

private func call(_ name: String, _ arguments: String) -> ToolCall { ToolCall(name: name, arguments: arguments) }

private let weatherArgs = #"{"city": "Paris", "unit": "celsius"}"#

let toolParserCases: [ToolParserCase] = [
    // DeepSeek R1 (0528): type, sep, name, fenced JSON
    ToolParserCase(name: "r1 one call", format: .deepseek,
         text: "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n\(weatherArgs)\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
         content: "", calls: [call("get_weather", weatherArgs)]),
    ToolParserCase(name: "r1 two calls with text before", format: .deepseek,
         text: "Let me check. 天气\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"東京\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>search\n```json\n{\"query\": \"news {x}\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
         content: "Let me check. 天气\n\n",
         calls: [call("get_weather", #"{"city": "東京"}"#), call("search", #"{"query": "news {x}"}"#)]),
    // DeepSeek V3.1: name, sep, bare JSON
    ToolParserCase(name: "v3.1 one call", format: .deepseek,
         text: "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\":\"Paris\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
         content: "", calls: [call("get_weather", #"{"city":"Paris"}"#)]),
    ToolParserCase(name: "v3.1 two calls, text after", format: .deepseek,
         text: "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>a<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁call▁begin｜>b<｜tool▁sep｜>{\"k\": [1, {\"z\": null}]}<｜tool▁call▁end｜><｜tool▁calls▁end｜>\nDone.",
         content: "\nDone.", calls: [call("a", "{}"), call("b", #"{"k": [1, {"z": null}]}"#)]),
    ToolParserCase(name: "deepseek call without section opener", format: .deepseek,
         text: "<｜tool▁call▁begin｜>f<｜tool▁sep｜>{\"a\": 1}<｜tool▁call▁end｜>",
         content: "", calls: [call("f", #"{"a": 1}"#)]),
    ToolParserCase(name: "deepseek plain answer with a lookalike", format: .deepseek,
         text: "Use <｜tool and <｜ or <b> tags; 1 < 2.", content: "Use <｜tool and <｜ or <b> tags; 1 < 2.", calls: []),
    // Qwen / Hermes
    ToolParserCase(name: "hermes one call", format: .hermes,
         text: "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>",
         content: "", calls: [call("get_weather", weatherArgs)]),
    ToolParserCase(name: "hermes parallel calls, text before", format: .hermes,
         text: "I'll look.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"arguments\": {\"q\": \"</x>\"}, \"name\": \"b\"}\n</tool_call>",
         content: "I'll look.\n", calls: [call("a", "{}"), call("b", #"{"q": "</x>"}"#)]),
    ToolParserCase(name: "hermes arguments as a string", format: .hermes,
         text: "<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"x\\\": 2}\"}</tool_call>",
         content: "", calls: [call("f", #"{"x": 2}"#)]),
    ToolParserCase(name: "hermes unclosed at the end is still a call", format: .hermes,
         text: "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n",
         content: "", calls: [call("f", #"{"x": 1}"#)]),
    ToolParserCase(name: "hermes plain answer", format: .hermes,
         text: "<tool> is not <tool_call, and {\"name\": 1} is JSON.", content: "<tool> is not <tool_call, and {\"name\": 1} is JSON.", calls: []),
    // Llama 3
    ToolParserCase(name: "llama json call", format: .llama3,
         text: "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}",
         content: "", calls: [call("get_weather", weatherArgs)]),
    ToolParserCase(name: "llama python tag, two calls", format: .llama3,
         text: "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"s\": \"}{\"}}; {\"name\": \"b\", \"arguments\": {}}",
         content: "", calls: [call("a", #"{"s": "}{"}"#), call("b", "{}")]),
    ToolParserCase(name: "llama plain answer", format: .llama3,
         text: "  The answer is {x}.", content: "  The answer is {x}.", calls: []),
    ToolParserCase(name: "llama JSON that is not a call", format: .llama3,
         text: "{\"answer\": 4}", content: "{\"answer\": 4}", calls: []),
    // malformed: back as content, byte for byte
    ToolParserCase(name: "deepseek unclosed call", format: .deepseek,
         text: "Hi <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{\"a\":",
         content: "Hi <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{\"a\":", calls: []),
    ToolParserCase(name: "deepseek bad JSON, then a good call", format: .deepseek,
         text: "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{oops}<｜tool▁call▁end｜><｜tool▁call▁begin｜>g<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
         content: "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{oops}<｜tool▁call▁end｜>", calls: [call("g", "{}")]),
    ToolParserCase(name: "deepseek no separator", format: .deepseek,
         text: "<｜tool▁call▁begin｜>f {}<｜tool▁call▁end｜> ok",
         content: "<｜tool▁call▁begin｜>f {}<｜tool▁call▁end｜> ok", calls: []),
    ToolParserCase(name: "deepseek empty section", format: .deepseek,
         text: "<｜tool▁calls▁begin｜> <｜tool▁calls▁end｜>", content: "<｜tool▁calls▁begin｜> <｜tool▁calls▁end｜>", calls: []),
    ToolParserCase(name: "deepseek section followed by text", format: .deepseek,
         text: "<｜tool▁calls▁begin｜>oops", content: "<｜tool▁calls▁begin｜>oops", calls: []),
    ToolParserCase(name: "deepseek nested begin", format: .deepseek,
         text: "<｜tool▁call▁begin｜>f<｜tool▁sep｜><｜tool▁call▁begin｜>g<｜tool▁sep｜>{}<｜tool▁call▁end｜>",
         content: "<｜tool▁call▁begin｜>f<｜tool▁sep｜>", calls: [call("g", "{}")]),
    ToolParserCase(name: "hermes array arguments", format: .hermes,
         text: "<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>",
         content: "<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>", calls: []),
    ToolParserCase(name: "hermes not JSON", format: .hermes,
         text: "<tool_call>get_weather(Paris)</tool_call> sorry", content: "<tool_call>get_weather(Paris)</tool_call> sorry", calls: []),
    ToolParserCase(name: "hermes no name", format: .hermes,
         text: "<tool_call>{\"arguments\": {}}</tool_call>", content: "<tool_call>{\"arguments\": {}}</tool_call>", calls: []),
    ToolParserCase(name: "hermes unclosed garbage", format: .hermes,
         text: "a <tool_call>{\"name\": \"f\"", content: "a <tool_call>{\"name\": \"f\"", calls: []),
    ToolParserCase(name: "hermes reopened", format: .hermes,
         text: "<tool_call>{\"na<tool_call>{\"name\": \"f\"}</tool_call>", content: "<tool_call>{\"na", calls: [call("f", "{}")]),
    ToolParserCase(name: "llama unclosed JSON", format: .llama3,
         text: "<|python_tag|>{\"name\": \"f\", \"parameters\": {", content: "<|python_tag|>{\"name\": \"f\", \"parameters\": {", calls: []),
    ToolParserCase(name: "llama call then text", format: .llama3,
         text: "{\"name\": \"f\", \"parameters\": {}} and more", content: " and more", calls: [call("f", "{}")]),
    ToolParserCase(name: "llama call, semicolon, garbage", format: .llama3,
         text: "{\"name\": \"f\", \"parameters\": {}}; nope", content: "; nope", calls: [call("f", "{}")]),
]

@Test(arguments: toolParserCases)
func toolCallsWholeText(_ c: ToolParserCase) {
    let (content, calls) = ToolCallParser.parse(c.text, format: c.format)
    #expect(content == c.content)
    #expect(calls == c.calls)
}

/// Every split of the text in two at a scalar boundary, and the text one scalar at a time.
@Test(arguments: toolParserCases)
func toolCallsEverySplit(_ c: ToolParserCase) {
    let scalars = Array(c.text.unicodeScalars)
    func run(_ pieces: [String]) -> (String, [ToolCall]) {
        var p = ToolCallParser(format: c.format)
        var content = ""
        var calls: [ToolCall] = []
        for e in pieces.flatMap({ p.feed($0) }) + p.finish() {
            switch e {
            case .content(let s): content += s
            case .call(let call): calls.append(call)
            }
        }
        return (content, calls)
    }
    for cut in 0...scalars.count {
        let a = String(String.UnicodeScalarView(scalars[..<cut])), b = String(String.UnicodeScalarView(scalars[cut...]))
        let (content, calls) = run([a, b])
        #expect(content == c.content, "cut at \(cut)")
        #expect(calls == c.calls, "cut at \(cut)")
    }
    let (content, calls) = run(scalars.map { String($0) })
    #expect(content == c.content)
    #expect(calls == c.calls)
}

@Test func contentIsNotHeldLongerThanNeeded() {
    var p = ToolCallParser(format: .deepseek)
    #expect(p.feed("Hello <") == [.content("Hello ")])
    #expect(p.feed("b> world") == [.content("<b> world")])
    var h = ToolCallParser(format: .hermes)
    #expect(h.feed("x <tool_") == [.content("x ")])
    #expect(h.feed("call>{\"name\": \"f\", \"arguments\": {}}") == [])
    #expect(h.feed("</tool_call>") == [.call(ToolCall(name: "f", arguments: "{}"))])
    var l = ToolCallParser(format: .llama3)
    #expect(l.feed("  ") == [])
    #expect(l.feed("Sure") == [.content("  Sure")])
}

@Test func formatFromTemplate() {
    #expect(ToolCallFormat.detect(template: "{{'<｜tool▁call▁begin｜>' + name}}") == .deepseek)
    #expect(ToolCallFormat.detect(template: "{{- '<tool_call>\\n' }}") == .hermes)
    #expect(ToolCallFormat.detect(template: "{{- '\"parameters\": ' }}") == .llama3)
    #expect(ToolCallFormat.detect(template: "{{ messages }}") == nil)
}
