// In-process tests of the HTTP API against a scripted backend (app.test(.router)): response and chunk shapes,
// reasoning_content, errors in OpenAI's shape, the queue's 429, Ollama's NDJSON and /metrics.
import Foundation
import Hummingbird
import HummingbirdTesting
import R1Runtime
@testable import R1Server
import Testing

func json(_ buffer: ByteBuffer) throws -> [String: Any] {
    let data = Data(buffer.readableBytesView)
    let value = try JSONSerialization.jsonObject(with: data)
    guard let object = value as? [String: Any] else { throw TestFailure("not an object: \(String(decoding: data, as: UTF8.self))") }
    return object
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The JSON objects of an SSE body, and whether it ended with [DONE].
func events(_ buffer: ByteBuffer) throws -> (chunks: [[String: Any]], done: Bool) {
    let text = String(buffer: buffer)
    var chunks: [[String: Any]] = []
    var done = false
    for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
        #expect(block.hasPrefix("data: "))
        let payload = String(block.dropFirst(6))
        if payload == "[DONE]" { done = true; continue }
        #expect(!done, "data after [DONE]")
        chunks.append(try json(ByteBuffer(string: payload)))
    }
    return (chunks, done)
}

func post(_ client: some TestClientProtocol, _ uri: String, _ body: String) async throws -> TestResponse {
    try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
}

func app(_ backend: ScriptedBackend, configuration: ServerConfiguration = .init()) -> some ApplicationProtocol {
    Application(router: buildRouter(backend: backend, configuration: configuration))
}

let hello = #"{"model":"r1-test","messages":[{"role":"user","content":"What is 2+2?"}]}"#

@Suite struct ChatCompletionTests {
    @Test func nonStreamingShape() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", hello)
            #expect(r.status == .ok)
            let o = try json(r.body)
            #expect((o["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(o["object"] as? String == "chat.completion")
            #expect(o["model"] as? String == "r1-test")
            #expect(o["created"] is Int)
            let choice = try #require((o["choices"] as? [[String: Any]])?.first)
            #expect(choice["index"] as? Int == 0)
            #expect(choice["finish_reason"] as? String == "stop")
            #expect(choice["logprobs"] is NSNull)
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            #expect(message["content"] as? String == "The answer is 4.")
            #expect(message["reasoning_content"] as? String == "Let me think.")
            let usage = try #require(o["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 5)
            #expect(usage["total_tokens"] as? Int == (usage["prompt_tokens"] as! Int) + 5)
            let details = try #require(usage["completion_tokens_details"] as? [String: Any])
            #expect(details["reasoning_tokens"] as? Int == 3, "the reasoning and its closing </think>")
        }
    }

    @Test func streamingChunks() async throws {
        let body = #"{"messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"#
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", body)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/event-stream")
            let (chunks, done) = try events(r.body)
            #expect(done)
            let ids = Set(chunks.compactMap { $0["id"] as? String })
            #expect(ids.count == 1 && ids.first!.hasPrefix("chatcmpl-"))
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            let choices = chunks.map { ($0["choices"] as? [[String: Any]]) ?? [] }
            let first = try #require(choices.first?.first?["delta"] as? [String: Any])
            #expect(first["role"] as? String == "assistant")
            var reasoning = "", content = ""
            for c in choices.dropFirst() {
                guard let delta = c.first?["delta"] as? [String: Any] else { continue }
                #expect(delta["role"] == nil)
                reasoning += delta["reasoning_content"] as? String ?? ""
                content += delta["content"] as? String ?? ""
            }
            #expect(reasoning == "Let me think.")
            #expect(content == "The answer is 4.")
            // the last choice chunk has finish_reason, then a usage chunk with no choices
            let finishing = chunks[chunks.count - 2]
            #expect((finishing["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
            #expect(chunks.dropLast().allSatisfy { $0["usage"] is NSNull })
            let last = try #require(chunks.last)
            #expect((last["choices"] as? [Any])?.isEmpty == true)
            let usage = try #require(last["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 5)
        }
    }

    /// n choices: each its own generation, indexed 0..<n, usage summed over them (the prompt counted once).
    @Test func severalChoices() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", #"{"messages":[{"role":"user","content":"hi"}],"n":3,"seed":7}"#)
            #expect(r.status == .ok)
            let o = try json(r.body)
            let choices = try #require(o["choices"] as? [[String: Any]])
            #expect(choices.map { $0["index"] as? Int } == [0, 1, 2])
            for c in choices { #expect((c["message"] as? [String: Any])?["content"] as? String == "The answer is 4.") }
            let usage = try #require(o["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 15)
            #expect(usage["total_tokens"] as? Int == (usage["prompt_tokens"] as! Int) + 15)

            let body = #"{"messages":[{"role":"user","content":"hi"}],"n":2,"stream":true,"stream_options":{"include_usage":true}}"#
            let (chunks, done) = try events(try await post(client, "/v1/chat/completions", body).body)
            #expect(done)
            var content = ["", ""], finishes = [0, 0]
            for c in chunks {
                guard let choice = (c["choices"] as? [[String: Any]])?.first, let i = choice["index"] as? Int else { continue }
                content[i] += (choice["delta"] as? [String: Any])?["content"] as? String ?? ""
                if choice["finish_reason"] is String { finishes[i] += 1 }
            }
            #expect(content == ["The answer is 4.", "The answer is 4."])
            #expect(finishes == [1, 1])
            #expect(((chunks.last?["usage"] as? [String: Any])?["completion_tokens"] as? Int) == 10)

            let t = try json(try await post(client, "/v1/completions", #"{"prompt":"Once","n":2}"#).body)
            #expect((t["choices"] as? [[String: Any]])?.map { $0["index"] as? Int } == [0, 1])
        }
    }

    @Test func streamingWithoutUsageHasNoUsageKey() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", #"{"messages":[{"role":"user","content":"hi"}],"stream":true}"#)
            let (chunks, done) = try events(r.body)
            #expect(done)
            #expect(chunks.allSatisfy { $0["usage"] == nil })
            #expect(chunks.allSatisfy { ($0["choices"] as? [Any])?.count == 1 })
        }
    }

    @Test func reasoningFieldRenamed() async throws {
        let config = ServerConfiguration(reasoningField: "reasoning")
        try await app(ScriptedBackend(), configuration: config).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", hello)
            let message = try #require(((try json(r.body))["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
            #expect(message["reasoning"] as? String == "Let me think.")
            #expect(message["reasoning_content"] == nil)
        }
    }

    @Test func parametersReachTheBackend() async throws {
        let backend = ScriptedBackend()
        let body = #"{"messages":[{"role":"system","content":"Be brief."},{"role":"assistant","content":"4","reasoning_content":"secret"},{"role":"user","content":[{"type":"text","text":"again"}]}],"max_completion_tokens":3,"temperature":0,"top_p":0.5,"seed":7,"stop":"END","thinking_budget":100,"presence_penalty":0.5,"frequency_penalty":0.25,"logit_bias":{"1":2}}"#
        try await app(backend).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", body)
            #expect(r.status == .ok)
            let o = try json(r.body)
            #expect((o["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")
        }
        let request = try #require(backend.lastRequest.withLock { $0 })
        #expect(request.parameters.maxTokens == 3)
        #expect(request.parameters.sampling.temperature == 0)
        #expect(request.parameters.sampling.topP == 0.5)
        #expect(request.parameters.sampling.seed == 7)
        #expect(request.parameters.sampling.presencePenalty == 0.5)
        #expect(request.parameters.sampling.frequencyPenalty == 0.25)
        #expect(request.parameters.stop == ["END"])
        #expect(request.thinkingBudget == 100)
        guard case .chat(let messages, _) = request.prompt else { Issue.record("not a chat"); return }
        #expect(messages.count == 3)
        guard case .object(let assistant) = messages[1] else { Issue.record("not an object"); return }
        #expect(assistant["reasoning_content"] == nil, "reasoning sent back in history is dropped")
        guard case .object(let user) = messages[2], case .string(let text)? = user["content"] else { Issue.record("no text"); return }
        #expect(text == "again")
    }

    @Test func logprobs() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", #"{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":1}"#)
            let choice = try #require((try json(r.body))["choices"] as? [[String: Any]]).first!
            let content = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
            #expect(content.count == 5)
            #expect(content[0]["token"] as? String == "t0")
            #expect(content[0]["logprob"] as? Double == -0.5)
            #expect((content[0]["top_logprobs"] as? [Any])?.count == 1)
        }
    }
}

@Suite struct ErrorTests {
    func expectError(_ body: String, status: HTTPResponse.Status, param: String?, uri: String = "/v1/chat/completions",
                     backend: ScriptedBackend = ScriptedBackend()) async throws {
        try await app(backend).test(.router) { client in
            let r = try await post(client, uri, body)
            #expect(r.status == status, "\(body)")
            let error = try #require((try json(r.body))["error"] as? [String: Any], "\(body)")
            #expect(error["message"] is String)
            #expect(error["type"] is String)
            #expect(error.keys.contains("code"))
            if let param { #expect(error["param"] as? String == param, "\(body)") } else { #expect(error["param"] is NSNull) }
            // the server keeps serving
            let ok = try await post(client, "/v1/chat/completions", hello)
            #expect(ok.status == .ok)
        }
    }

    @Test func malformedJSON() async throws {
        try await expectError(#"{"messages": [ "#, status: .badRequest, param: nil)
        try await expectError("", status: .badRequest, param: nil)
        try await expectError("[1,2]", status: .badRequest, param: nil)
    }

    @Test func wrongTypes() async throws {
        try await expectError(#"{"messages":"hi"}"#, status: .badRequest, param: "messages")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#, status: .badRequest, param: "temperature")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"max_tokens":"10"}"#, status: .badRequest, param: "max_tokens")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"stream":"yes"}"#, status: .badRequest, param: "stream")
        try await expectError(#"{"messages":[{"role":"user","content":42}]}"#, status: .badRequest, param: "messages[0].content")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"stop":[1]}"#, status: .badRequest, param: "stop")
    }

    @Test func badMessages() async throws {
        try await expectError(#"{"model":"r1-test"}"#, status: .badRequest, param: "messages")
        try await expectError(#"{"messages":[]}"#, status: .badRequest, param: "messages")
        try await expectError(#"{"messages":[{"role":"wizard","content":"x"}]}"#, status: .badRequest, param: "messages[0].role")
        try await expectError(#"{"messages":[{"content":"x"}]}"#, status: .badRequest, param: "messages[0].role")
    }

    @Test func badValues() async throws {
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"max_tokens":0}"#, status: .badRequest, param: "max_tokens")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":-5}"#, status: .badRequest, param: "max_completion_tokens")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"temperature":3}"#, status: .badRequest, param: "temperature")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"n":0}"#, status: .badRequest, param: "n")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"n":17}"#, status: .badRequest, param: "n")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"top_logprobs":3}"#, status: .badRequest, param: "top_logprobs")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"tools":[],"tool_choice":"required"}"#, status: .badRequest, param: "tool_choice")
        try await expectError(#"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}"#, status: .badRequest, param: "response_format")
    }

    @Test func promptLongerThanContext() async throws {
        let long = Array(repeating: "word", count: 100).joined(separator: " ")
        try await expectError(#"{"messages":[{"role":"user","content":"\#(long)"}]}"#, status: .badRequest, param: "messages")
    }

    @Test func unknownModel() async throws {
        try await expectError(#"{"model":"gpt-4","messages":[{"role":"user","content":"x"}]}"#, status: .notFound, param: "model")
    }

    @Test func unknownRouteIsJSON() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(r.status == .notFound)
            #expect((try json(r.body))["error"] is [String: Any])
        }
    }

    @Test func fullQueueIs429WithRetryAfter() async throws {
        let backend = ScriptedBackend(delay: .milliseconds(100), slots: 1, queue: 1)
        try await app(backend).test(.router) { client in
            // hold the slot and the queue place with two streaming requests that are not read yet
            async let a = post(client, "/v1/chat/completions", hello)
            async let b = post(client, "/v1/chat/completions", hello)
            try await Task.sleep(for: .milliseconds(150))
            let r = try await post(client, "/v1/chat/completions", hello)
            #expect(r.status == .tooManyRequests)
            #expect(r.headers[.retryAfter] == "3")
            let error = try #require((try json(r.body))["error"] as? [String: Any])
            #expect(error["type"] as? String == "rate_limit_error")
            let (ra, rb) = try await (a, b)
            #expect(ra.status == .ok && rb.status == .ok)
            #expect(backend.load.running == 0 && backend.load.waiting == 0)
        }
    }
}

@Suite struct OtherEndpointTests {
    @Test func modelsAndHealth() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            let m = try json(try await client.execute(uri: "/v1/models", method: .get).body)
            #expect(m["object"] as? String == "list")
            let data = try #require(m["data"] as? [[String: Any]])
            #expect(data.first?["id"] as? String == "r1-test")
            #expect(data.first?["object"] as? String == "model")
            let h = try await client.execute(uri: "/health", method: .get)
            #expect(h.status == .ok)
            #expect((try json(h.body))["status"] as? String == "ok")
        }
    }

    @Test func completions() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, "/v1/completions", #"{"prompt":"Once upon","max_tokens":20}"#)
            #expect(r.status == .ok)
            let o = try json(r.body)
            #expect(o["object"] as? String == "text_completion")
            #expect((o["id"] as? String)?.hasPrefix("cmpl-") == true)
            let choice = try #require((o["choices"] as? [[String: Any]])?.first)
            #expect(choice["text"] as? String == "Let me think.The answer is 4.")
            let s = try await post(client, "/v1/completions", #"{"prompt":"Once upon","stream":true}"#)
            let (chunks, done) = try events(s.body)
            #expect(done)
            #expect(chunks.allSatisfy { $0["object"] as? String == "text_completion" })
            let bad = try await post(client, "/v1/completions", #"{"prompt":5}"#)
            #expect(bad.status == .badRequest)
        }
    }

    @Test func ollamaChat() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            let r = try await post(client, "/api/chat", #"{"model":"r1-test","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(r.status == .ok)
            let lines = String(buffer: r.body).split(separator: "\n").map { try! json(ByteBuffer(string: String($0))) }
            #expect(lines.dropLast().allSatisfy { $0["done"] as? Bool == false })
            let last = try #require(lines.last)
            #expect(last["done"] as? Bool == true)
            #expect(last["eval_count"] as? Int == 5)
            #expect(last["prompt_eval_count"] is Int)
            let thinking = lines.compactMap { ($0["message"] as? [String: Any])?["thinking"] as? String }.joined()
            let content = lines.compactMap { ($0["message"] as? [String: Any])?["content"] as? String }.joined()
            #expect(thinking == "Let me think.")
            #expect(content == "The answer is 4.")

            let one = try json(try await post(client, "/api/chat", #"{"messages":[{"role":"user","content":"hi"}],"stream":false}"#).body)
            #expect((one["message"] as? [String: Any])?["thinking"] as? String == "Let me think.")
            let e = try await post(client, "/api/chat", #"{"messages":[]}"#)
            #expect(e.status == .badRequest)
            #expect((try json(e.body))["error"] is String)
        }
    }

    @Test func metricsText() async throws {
        try await app(ScriptedBackend()).test(.router) { client in
            _ = try await post(client, "/v1/chat/completions", hello)
            _ = try await post(client, "/v1/chat/completions", #"{"messages":[]}"#)
            let r = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: r.body)
            #expect(text.contains(#"r1_requests_total{route="/v1/chat/completions",status="200"} 1"#))
            #expect(text.contains(#"r1_requests_total{route="/v1/chat/completions",status="400"} 1"#))
            #expect(text.contains("r1_completion_tokens_total 5"))
            #expect(text.contains("r1_queue_depth 0"))
            #expect(text.contains("r1_time_to_first_token_seconds_count 1"))
            #expect(text.contains("r1_decode_tokens_per_second_count 1"))
        }
    }

    @Test func timeoutEndsWithLength() async throws {
        let backend = ScriptedBackend(delay: .milliseconds(200))
        let config = ServerConfiguration(requestTimeout: 0.5)
        try await app(backend, configuration: config).test(.router) { client in
            let r = try await post(client, "/v1/chat/completions", hello)
            #expect(r.status == .ok)
            let choice = try #require(((try json(r.body))["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "length")
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(backend.cancellations.load(ordering: .relaxed) == 1)
        #expect(backend.load.running == 0)
    }
}

@Suite struct AdmissionGateTests {
    @Test func queueBoundAndCancelledWaiterLeaves() async throws {
        let gate = AdmissionGate(slots: 1, queueCapacity: 1)
        let a = try #require(gate.admit())
        let b = try #require(gate.admit())
        #expect(gate.admit() == nil, "slot and queue are full")
        try await gate.acquire(a)
        let waiter = Task { try await gate.acquire(b) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(gate.load == BackendLoad(running: 1, waiting: 1, slots: 1, queueCapacity: 1))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.load.waiting == 0)
        let c = try #require(gate.admit(), "the cancelled waiter's place is free again")
        let next = Task { try await gate.acquire(c) }
        gate.release()
        try await next.value
        #expect(gate.load.running == 1 && gate.load.waiting == 0)
        gate.release()
        #expect(gate.load.running == 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DisconnectTests {
    /// Opens a TCP connection to 127.0.0.1:port, sends `request`, reads the response head, and closes.
    func sendAndHangUp(port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect failed") }
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, buffer.count, 0)
        return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
    }

    // Streaming here; scripts/server/e2e.py also hangs up on a non-streaming request against `r1 serve`.
    @Test func clientThatLeavesStopsItsGeneration() async throws {
        let backend = ScriptedBackend(reasoning: Array(repeating: "step ", count: 40), delay: .milliseconds(50))
        try await app(backend).test(.live) { client in
            let port = try #require(client.port)
            let body = #"{"messages":[{"role":"user","content":"hi"}],"stream":true}"#
            let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let head = try sendAndHangUp(port: port, request)
            #expect(head.hasPrefix("HTTP/1.1 200"))
            // the whole generation takes 2.1 s; the hang-up must end it well before
            let t0 = ContinuousClock.now
            for _ in 0..<60 where backend.cancellations.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(25)) }
            #expect(backend.cancellations.load(ordering: .relaxed) == 1)
            #expect(ContinuousClock.now - t0 < .seconds(1))
            try await Task.sleep(for: .milliseconds(100))
            #expect(backend.load.running == 0 && backend.load.waiting == 0)
            // and the server keeps serving
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }
}
