// response_format (OpenAI) and format (Ollama) become the grammar the generation runs under; a bad schema is a 400
// naming the keyword and its path; tool_choice that needs tool calls is a clear 400; and through the real engine on
// the tiny model a json_schema answer is JSON that fits the schema.
import Foundation
import Hummingbird
import HummingbirdTesting
import R1Constrain
import R1Models
import R1Runtime
@testable import R1Server
import Testing

@Suite struct StructuredOutputServerTests {
    static let schema = #"{"type":"object","properties":{"n":{"type":"integer","minimum":0,"maximum":9}},"required":["n"],"additionalProperties":false}"#

    func grammarOf(_ body: String, uri: String = "/v1/chat/completions") async throws -> Grammar? {
        let backend = ScriptedBackend()
        try await app(backend).test(.router) { client in
            let r = try await post(client, uri, body)
            #expect(r.status == .ok, "\(String(buffer: r.body))")
        }
        return backend.lastRequest.withLock { $0?.parameters.grammar }
    }

    func errorOf(_ body: String, uri: String = "/v1/chat/completions") async throws -> (HTTPResponse.Status, [String: Any]) {
        let (status, text) = try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, uri, body)
            return (r.status, String(buffer: r.body))
        }
        return (status, try json(ByteBuffer(string: text)))
    }

    @Test func openAIResponseFormats() async throws {
        let user = #""messages":[{"role":"user","content":"x"}]"#
        let object = try #require(try await grammarOf(#"{\#(user),"response_format":{"type":"json_object"}}"#))
        #expect(object.accepts(#"{"a": [1, 2]}"#) && !object.accepts("[1]"))
        let schema = try #require(try await grammarOf(
            #"{\#(user),"response_format":{"type":"json_schema","json_schema":{"name":"n","strict":true,"schema":\#(Self.schema)}}}"#))
        #expect(schema.accepts(#"{"n":7}"#) && !schema.accepts(#"{"n":17}"#) && !schema.accepts(#"{"m":1}"#))
        #expect(try await grammarOf(#"{\#(user),"response_format":{"type":"text"}}"#) == nil)
        #expect(try await grammarOf(#"{\#(user)}"#) == nil)
        // streaming and legacy completions take it too
        #expect(try await grammarOf(#"{\#(user),"stream":true,"response_format":{"type":"json_object"}}"#) != nil)
        #expect(try await grammarOf(#"{"prompt":"x","response_format":{"type":"json_object"}}"#, uri: "/v1/completions") != nil)
    }

    @Test func ollamaFormats() async throws {
        let user = #""messages":[{"role":"user","content":"x"}],"stream":false"#
        let json = try #require(try await grammarOf(#"{\#(user),"format":"json"}"#, uri: "/api/chat"))
        #expect(json.accepts("{}"))
        let schema = try #require(try await grammarOf(#"{\#(user),"format":\#(Self.schema)}"#, uri: "/api/chat"))
        #expect(schema.accepts(#"{"n":3}"#) && !schema.accepts("{}"))
        let (status, body) = try await errorOf(#"{\#(user),"format":"yaml"}"#, uri: "/api/chat")
        #expect(status == .badRequest)
        #expect((body["error"] as? String)?.contains("format") == true)
    }

    @Test func badSchemasAreNamed400s() async throws {
        func rf(_ schema: String) -> String {
            #"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":\#(schema)}}}"#
        }
        let cases: [(String, String)] = [
            (rf(#"{"type":"object","properties":{"a":{"type":"string","not":{"const":"x"}}}}"#), "'not'"),
            (rf(#"{"type":"object","properties":{"a":{"type":"strin"}}}"#), "strin"),
            (rf(##"{"$ref":"#/$defs/missing"}"##), "missing"),
            (rf(#"{"type":"string","pattern":"(unclosed"}"#), "pattern"),
            (#"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"s"}}}"#, "schema"),
            (#"{"messages":[{"role":"user","content":"x"}],"response_format":"json"}"#, "response_format"),
        ]
        for (body, needle) in cases {
            let (status, o) = try await errorOf(body)
            #expect(status == .badRequest, "\(body)")
            let error = try #require(o["error"] as? [String: Any], "\(body)")
            #expect(error["param"] as? String == "response_format", "\(body)")
            let message = error["message"] as? String ?? ""
            #expect(message.contains(needle), "\(message)")
        }
        let (_, nested) = try await errorOf(rf(#"{"type":"object","properties":{"a":{"type":"array","items":{"patternProperties":{}}}}}"#))
        let message = (nested["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("patternProperties") && message.contains("items"), "\(message)")
    }

    @Test func requiredToolChoiceCannotTakeAResponseFormat() async throws {
        let tools = #""tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]"#
        let rf = #""response_format":{"type":"json_object"}"#
        let (status, o) = try await errorOf(#"{"messages":[{"role":"user","content":"x"}],\#(tools),\#(rf),"tool_choice":"required"}"#)
        #expect(status == .badRequest)
        let error = o["error"] as? [String: Any]
        #expect(error?["param"] as? String == "tool_choice")
        #expect((error?["message"] as? String)?.contains("response_format") == true)
    }

    @Test func sameSchemaCompilesOnce() throws {
        let cache = GrammarCache()
        let format = OutputFormat.openAI(try SchemaJSON.parse(#"{"type":"json_schema","json_schema":{"name":"n","schema":\#(Self.schema)}}"#))
        let a = try cache.grammar(format, style: .openAI)
        let b = try cache.grammar(format, style: .openAI)
        #expect(a != nil && a === b && cache.count == 1)
    }

    @Test func engineAnswersWithSchemaJSON() async throws {
        let engine = try Engine(model: ModelLoader.load(path: EngineBackendTests.tiny, contextLength: 256), threads: 1)
        let backend = EngineBackend(engine: engine, modelName: "tiny", parallel: 2, queueCapacity: 4,
                                    defaultSampling: .init(temperature: 1))
        let router = buildRouter(backend: backend)
        try await Application(router: router).test(.router) { client in
            for (i, budget) in [0, 3].enumerated() {
                let body = #"{"messages":[{"role":"user","content":"x"}],"n":3,"seed":\#(i),"max_tokens":120,"thinking_budget":\#(budget),"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":\#(Self.schema)}}}"#
                let r = try await client.execute(uri: "/v1/chat/completions", method: .post,
                                                 headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                #expect(r.status == .ok)
                let choices = try #require(try json(r.body)["choices"] as? [[String: Any]])
                #expect(choices.count == 3)
                for c in choices {
                    let content = try #require((c["message"] as? [String: Any])?["content"] as? String)
                    let value = try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any]
                    let n = try #require(value?["n"] as? Int, "\(content)")
                    #expect((0...9).contains(n) && value?.count == 1, "\(content)")
                    #expect(c["finish_reason"] as? String == "stop")
                }
            }
        }
    }
}
