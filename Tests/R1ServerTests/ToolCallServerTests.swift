// Tools through the HTTP API against a scripted backend: `tools` reach the template, the model's calls come back as
// OpenAI `tool_calls` (whole and as streamed deltas, finish_reason "tool_calls") and Ollama `message.tool_calls`,
// tool results round-trip in history, `tool_choice` none / required / named, malformed calls as content.
import Foundation
import Hummingbird
import HummingbirdTesting
import R1Constrain
import R1Runtime
@testable import R1Server
import R1Tokenizer
import Testing

private let r1Call = ["I'll check.", "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_", "weather\n```json\n{\"city\": ",
                      "\"Paris\"}\n```<｜tool▁call▁end｜>", "\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>search\n```json\n{}\n```",
                      "<｜tool▁call▁end｜><｜tool▁calls▁end｜>"]

private let weatherTool = #"{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["c","f"]}},"required":["city"]}}}"#
private let searchTool = #"{"type":"function","function":{"name":"search","parameters":{"type":"object","properties":{}}}}"#

private func toolBody(_ extra: String = "") -> String {
    #"{"messages":[{"role":"user","content":"Weather in Paris?"}],"tools":[\#(weatherTool),\#(searchTool)]\#(extra)}"#
}

private func object(_ v: Any?) -> [String: Any] { v as? [String: Any] ?? [:] }

@Suite struct ToolCallServerTests {
    @Test func nonStreamingCalls() async throws {
        let backend = ScriptedBackend(answer: r1Call)
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", toolBody())
            #expect(r.status == .ok)
            let choice = try #require((try json(r.body))["choices"] as? [[String: Any]]).first!
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let message = object(choice["message"])
            #expect(message["content"] as? String == "I'll check.")
            let calls = try #require(message["tool_calls"] as? [[String: Any]])
            #expect(calls.count == 2)
            #expect((calls[0]["id"] as? String)?.hasPrefix("call_") == true)
            #expect(calls[0]["id"] as? String != calls[1]["id"] as? String)
            #expect(calls[0]["type"] as? String == "function")
            #expect(object(calls[0]["function"])["name"] as? String == "get_weather")
            #expect(object(calls[0]["function"])["arguments"] as? String == #"{"city": "Paris"}"#)
            #expect(object(calls[1]["function"])["name"] as? String == "search")
            #expect(object(calls[1]["function"])["arguments"] as? String == "{}")
        }
        // the tools reached the template in the client's key order
        let request = try #require(backend.lastRequest.withLock { $0 })
        guard case .chat(_, let tools) = request.prompt else { Issue.record("not a chat"); return }
        #expect(tools.count == 2)
        #expect(tools.first?.jsonText == (try JinjaValue(jsonString: weatherTool)).jsonText)
        #expect(tools.first?.jsonText.contains(#"{"type": "object", "properties": {"city""#) == true)
    }

    @Test func onlyCallsGiveNullContent() async throws {
        let backend = ScriptedBackend(answer: Array(r1Call.dropFirst()))
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", toolBody())
            let message = object(try #require((try json(r.body))["choices"] as? [[String: Any]]).first!["message"])
            #expect(message["content"] is NSNull)
            #expect((message["tool_calls"] as? [Any])?.count == 2)
        }
    }

    @Test func streamedDeltas() async throws {
        try await app(ScriptedBackend(answer: r1Call)).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", toolBody(#","stream":true"#))
            let (chunks, done) = try events(r.body)
            #expect(done)
            var content = "", finish: [String] = []
            var calls: [Int: (id: String, name: String, arguments: String)] = [:]
            var firstDeltaOf: [Int: [String: Any]] = [:]
            for c in chunks {
                guard let choice = (c["choices"] as? [[String: Any]])?.first else { continue }
                if let f = choice["finish_reason"] as? String { finish.append(f) }
                let delta = object(choice["delta"])
                content += delta["content"] as? String ?? ""
                for d in delta["tool_calls"] as? [[String: Any]] ?? [] {
                    let i = try #require(d["index"] as? Int)
                    if firstDeltaOf[i] == nil { firstDeltaOf[i] = d }
                    var entry = calls[i] ?? ("", "", "")
                    if let id = d["id"] as? String { entry.id += id }
                    let f = object(d["function"])
                    entry.name += f["name"] as? String ?? ""
                    entry.arguments += f["arguments"] as? String ?? ""
                    calls[i] = entry
                }
            }
            #expect(content == "I'll check.")
            #expect(finish == ["tool_calls"])
            #expect(calls.keys.sorted() == [0, 1])
            #expect(calls[0]?.name == "get_weather" && calls[0]?.arguments == #"{"city": "Paris"}"#)
            #expect(calls[1]?.name == "search" && calls[1]?.arguments == "{}")
            #expect(calls[0]?.id.hasPrefix("call_") == true)
            // the first delta of a call carries its id, type and name (OpenAI's shape)
            #expect(firstDeltaOf[0]?["type"] as? String == "function")
            #expect(object(firstDeltaOf[1]?["function"])["name"] as? String == "search")
        }
    }

    @Test func malformedCallIsContent() async throws {
        let broken = ["<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": "]
        for stream in [false, true] {
            try await app(ScriptedBackend(answer: broken)).test(.router) { client in
                let r = try await post(client, "/v1/chat/completions", toolBody(stream ? #","stream":true"# : ""))
                #expect(r.status == .ok)
                var content = "", finish = ""
                if stream {
                    for c in try events(r.body).chunks {
                        guard let choice = (c["choices"] as? [[String: Any]])?.first else { continue }
                        #expect(object(choice["delta"])["tool_calls"] == nil)
                        content += object(choice["delta"])["content"] as? String ?? ""
                        finish += choice["finish_reason"] as? String ?? ""
                    }
                } else {
                    let choice = try #require((try json(r.body))["choices"] as? [[String: Any]]).first!
                    content = object(choice["message"])["content"] as? String ?? ""
                    finish = choice["finish_reason"] as? String ?? ""
                    #expect(object(choice["message"])["tool_calls"] == nil)
                }
                #expect(content == broken.joined())
                #expect(finish == "stop")
            }
        }
    }

    @Test func toolChoiceNone() async throws {
        let backend = ScriptedBackend(answer: r1Call)
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", toolBody(#","tool_choice":"none""#))
            let choice = try #require((try json(r.body))["choices"] as? [[String: Any]]).first!
            #expect(object(choice["message"])["content"] as? String == r1Call.joined())
            #expect(object(choice["message"])["tool_calls"] == nil)
            #expect(choice["finish_reason"] as? String == "stop")
        }
        let request = try #require(backend.lastRequest.withLock { $0 })
        guard case .chat(_, let tools) = request.prompt else { Issue.record("not a chat"); return }
        #expect(tools.isEmpty, "tool_choice none offers no tools")
    }

    @Test func toolChoiceErrors() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            for (extra, param) in [
                (#","tool_choice":"required","response_format":{"type":"json_object"}"#, "tool_choice"),
                (#","tool_choice":{"type":"function","function":{"name":"nope"}}"#, "tool_choice"),
                (#","tool_choice":"sometimes""#, "tool_choice"),
            ] {
                let r = try await post(client, "/v1/chat/completions", toolBody(extra))
                #expect(r.status == .badRequest, "\(extra)")
                #expect(object(try json(r.body)["error"])["param"] as? String == param, "\(extra)")
            }
            for (tools, param) in [(#""x""#, "tools"), (#"[{"type":"retrieval"}]"#, "tools[0].type"),
                                   (#"[{"type":"function","function":{}}]"#, "tools[0].function.name"),
                                   (#"[{"type":"function","function":{"name":"f","parameters":[]}}]"#, "tools[0].function.parameters")] {
                let body = #"{"messages":[{"role":"user","content":"x"}],"tools":\#(tools)}"#
                let r = try await post(client, "/v1/chat/completions", body)
                #expect(r.status == .badRequest, "\(tools)")
                #expect(object(try json(r.body)["error"])["param"] as? String == param, "\(tools)")
            }
        }
    }

    /// A named function: the answer is constrained to its parameters' schema and comes back as that call.
    @Test func namedFunctionIsConstrained() async throws {
        let backend = ScriptedBackend(answer: ["{\"city\": ", "\"Paris\"}"])
        let named = #","tool_choice":{"type":"function","function":{"name":"get_weather"}}"#
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", toolBody(named))
            #expect(r.status == .ok)
            let message = object(try #require((try json(r.body))["choices"] as? [[String: Any]]).first!["message"])
            #expect(message["content"] is NSNull)
            let calls = try #require(message["tool_calls"] as? [[String: Any]])
            #expect(object(calls.first?["function"])["name"] as? String == "get_weather")
            #expect(object(calls.first?["function"])["arguments"] as? String == #"{"city": "Paris"}"#)

            let (chunks, _) = try events(try await post(client, "/v1/chat/completions", toolBody(named + #","stream":true"#)).body)
            var name = "", arguments = "", ids = Set<String>()
            for c in chunks {
                for d in object((c["choices"] as? [[String: Any]])?.first?["delta"])["tool_calls"] as? [[String: Any]] ?? [] {
                    if let id = d["id"] as? String { ids.insert(id) }
                    name += object(d["function"])["name"] as? String ?? ""
                    arguments += object(d["function"])["arguments"] as? String ?? ""
                }
            }
            #expect(name == "get_weather" && arguments == #"{"city": "Paris"}"# && ids.count == 1)
        }
        #expect(backend.lastRequest.withLock { $0?.parameters.grammar } != nil, "the answer is constrained")
    }

    /// "required": the answer is constrained to one call of one of the tools in the template's format (here
    /// DeepSeek R1's), arguments by each function's schema, and comes back as that call.
    @Test func requiredToolChoiceIsConstrainedToOneCall() async throws {
        let answer = ["<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": ",
                      "\"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"]
        let backend = ScriptedBackend(answer: answer)
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", toolBody(#","tool_choice":"required""#))
            #expect(r.status == .ok)
            let choice = try #require((try json(r.body))["choices"] as? [[String: Any]]).first!
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let calls = try #require(object(choice["message"])["tool_calls"] as? [[String: Any]])
            #expect(calls.count == 1)
            #expect(object(calls.first?["function"])["name"] as? String == "get_weather")
            #expect(object(calls.first?["function"])["arguments"] as? String == #"{"city": "Paris"}"#)
        }
        let request = try #require(backend.lastRequest.withLock { $0 })
        guard case .chat(_, let tools) = request.prompt else { Issue.record("not a chat"); return }
        #expect(tools.count == 2, "the tools are offered to the template")
        let grammar = try #require(request.parameters.grammar)
        #expect(grammar.accepts(answer.joined()))
        let call = { (name: String, args: String) in
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>\(name)\n```json\n\(args)\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
        }
        #expect(grammar.accepts(call("search", "{}")))
        #expect(grammar.accepts(call("get_weather", #"{"city": "Oslo", "unit": "c"}"#)))
        #expect(!grammar.accepts(call("get_weather", #"{"unit": "c"}"#)), "city is required")
        #expect(!grammar.accepts(call("get_weather", #"{"city": "Oslo", "unit": "k"}"#)), "unit is an enum")
        #expect(!grammar.accepts(call("send_mail", "{}")), "only the given tools")
        #expect(!grammar.accepts("I'll check." + call("search", "{}")), "a call, nothing before it")
        #expect(!grammar.accepts(call("search", "{}") + call("search", "{}")), "one call")
        #expect(grammar.acceptsPrefix(answer[0]))
    }

    /// The other formats' call text: Hermes' `<tool_call>` object and Llama 3's bare object, each parsed back.
    @Test func requiredCallTextParsesBackInEachFormat() throws {
        var request = ToolRequest()
        request.tools = [try JinjaValue(jsonString: weatherTool), try JinjaValue(jsonString: searchTool)]
        request.choice = .required
        for format in ToolCallFormat.allCases {
            guard case .toolCall(let calls)? = try FieldReader.requiredCall(request, format: format) else {
                Issue.record("no call grammar for \(format)"); continue
            }
            let grammar = try ResponseFormat.grammar(oneCallOf: calls)
            let text = calls[0].prefix + #"{"city": "Paris"}"# + calls[0].suffix
            #expect(grammar.accepts(text), "\(format): \(text)")
            let parsed = ToolCallParser.parse(text, format: format)
            #expect(parsed.calls == [ToolCall(name: "get_weather", arguments: #"{"city": "Paris"}"#)], "\(format): \(parsed)")
            #expect(parsed.content.isEmpty, "\(format)")
        }
    }

    /// A tool result in history: the assistant's calls (content null, key order kept) and the tool message reach the template.
    @Test func toolResultsRoundTrip() async throws {
        let backend = ScriptedBackend()
        let body = #"{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"sunny"}],"tools":[\#(weatherTool)]}"#
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", body)
            #expect(r.status == .ok)
        }
        let request = try #require(backend.lastRequest.withLock { $0 })
        guard case .chat(let messages, _) = request.prompt, messages.count == 3,
              case .object(let assistant) = messages[1], case .object(let tool) = messages[2] else {
            Issue.record("messages lost"); return
        }
        #expect(assistant["content"]?.isNone == true)
        #expect(assistant["tool_calls"]?.jsonText == #"[{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]"#)
        #expect(tool["tool_call_id"]?.jsonText == #""call_1""#)
        #expect(tool["role"]?.jsonText == #""tool""#)
    }

    @Test func ollamaToolCalls() async throws {
        let hermes = ["<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}\n</tool_call>"]
        let body = #"{"model":"r1-test","messages":[{"role":"user","content":"Weather?"}],"tools":[\#(weatherTool)],"stream":false}"#
        try await app(ScriptedBackend(answer: hermes, toolCallFormat: .hermes)).test(.router) { client in
            let r = try await post(client, "/api/chat", body)
            #expect(r.status == .ok)
            let text = String(buffer: r.body)
            #expect(text.contains(#""arguments":{"city":"Paris","unit":"c"}"#), "an object, in the model's key order")
            let message = object(try json(r.body)["message"])
            #expect(message["content"] as? String == "")
            let calls = try #require(message["tool_calls"] as? [[String: Any]])
            #expect(object(calls.first?["function"])["name"] as? String == "get_weather")

            let streamed = try await post(client, "/api/chat", body.replacingOccurrences(of: #""stream":false"#, with: #""stream":true"#))
            let lines = String(buffer: streamed.body).split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let withCalls = lines.compactMap { object($0?["message"])["tool_calls"] as? [[String: Any]] }
            #expect(withCalls.count == 1)
            #expect(object(object(withCalls.first?.first)["function"])["arguments"] as? [String: String] == ["city": "Paris", "unit": "c"])
            #expect(lines.last??["done"] as? Bool == true)
        }
    }
}
