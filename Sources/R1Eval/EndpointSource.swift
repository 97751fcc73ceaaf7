// Samples from an OpenAI-compatible endpoint (/v1/chat/completions, non-streaming) with AsyncHTTPClient: retries with
// exponential backoff (Retry-After honoured) on 429, 5xx and connection errors, a per-request timeout. Reasoning comes
// as `reasoning_content` (DeepSeek, r1 serve), `reasoning` (vLLM, Ollama's /v1) or `<think>...</think>` in content.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import R1Formats

public final class EndpointSource: SampleSource {
    public let url: String
    public let modelName: String
    public let apiKey: String?
    public let timeout: Duration
    public let maxAttempts: Int
    public var label: String { "endpoint \(url) (model \(modelName))" }
    private let client: HTTPClient

    /// `base`: the server (`http://host:port`), its `/v1`, or the full `/v1/chat/completions` URL. `modelName` nil asks
    /// the endpoint's `/v1/models` for its first model.
    public static func connect(base: String, modelName: String?, apiKey: String?, timeout: Duration = .seconds(600),
                               maxAttempts: Int = 6) async throws -> EndpointSource {
        guard let u = URL(string: base), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
            throw EvalError("--endpoint: '\(base)' is not an http(s) URL")
        }
        var root = base
        while root.hasSuffix("/") { root.removeLast() }
        for suffix in ["/chat/completions", "/v1"] where root.hasSuffix(suffix) { root.removeLast(suffix.count) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let source = EndpointSource(url: root + "/v1/chat/completions", modelName: modelName ?? "", apiKey: apiKey,
                                    timeout: timeout, maxAttempts: maxAttempts, client: client)
        if modelName == nil {
            do {
                let models = try await source.send(url: root + "/v1/models", method: .GET, body: nil)
                guard let first = models["data"]?.array?.first?["id"]?.string else {
                    throw EvalError("\(root)/v1/models lists no model; give --model-name")
                }
                return EndpointSource(url: source.url, modelName: first, apiKey: apiKey, timeout: timeout,
                                      maxAttempts: maxAttempts, client: client)
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
        return source
    }

    private init(url: String, modelName: String, apiKey: String?, timeout: Duration, maxAttempts: Int, client: HTTPClient) {
        self.url = url
        self.modelName = modelName
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.client = client
    }

    public func shutdown() async { try? await client.shutdown() }

    public func sample(userMessage: String, seed: UInt64, sampling: EvalSampling) async throws -> GeneratedSample {
        let body = JSONOut.object([
            ("model", .string(modelName)),
            ("messages", .array([.object([("role", .string("user")), ("content", .string(userMessage))])])),
            ("temperature", .double(Double(sampling.temperature))), ("top_p", .double(Double(sampling.topP))),
            ("max_tokens", .int(sampling.maxTokens)), ("seed", .int(Int(bitPattern: UInt(seed)))),
            ("n", .int(1)), ("stream", .bool(false)),
        ])
        let response = try await send(url: url, method: .POST, body: body.text)
        return try Self.parseCompletion(response, url: url)
    }

    /// The sample in a chat.completion object.
    static func parseCompletion(_ o: JSONValue, url: String) throws -> GeneratedSample {
        guard let choice = o["choices"]?.array?.first, let message = choice["message"] else {
            throw EvalError("\(url): the response has no choices[0].message: \(String(o.description.prefix(200)))")
        }
        var content = message["content"]?.string ?? ""
        var reasoning = message["reasoning_content"]?.string ?? message["reasoning"]?.string ?? ""
        if reasoning.isEmpty { (reasoning, content) = splitThink(content) }
        let finish = choice["finish_reason"]?.string ?? "stop"
        let usage = o["usage"]
        let completion = usage?["completion_tokens"]?.int
        var reasoningTokens = usage?["completion_tokens_details"]?["reasoning_tokens"]?.int
        if reasoningTokens == nil, let c = completion {
            // no breakdown: split the completion's tokens by the texts' lengths
            let total = reasoning.count + content.count
            reasoningTokens = total == 0 ? 0 : Int((Double(c) * Double(reasoning.count) / Double(total)).rounded())
        }
        let r = reasoningTokens ?? 0
        return GeneratedSample(reasoning: reasoning, content: content, reasoningTokens: r,
                               answerTokens: max(0, (completion ?? r) - r), finishReason: finish)
    }

    /// `<think>reasoning</think>answer` in one text (the opening tag may be in the prompt): (reasoning, answer). An
    /// unclosed `<think>` makes everything reasoning.
    public static func splitThink(_ text: String) -> (reasoning: String, content: String) {
        var t = Substring(text)
        let leading = t.prefix(while: { $0.isWhitespace })
        let opened = t.dropFirst(leading.count).hasPrefix("<think>")
        if opened { t = t.dropFirst(leading.count + "<think>".count) }
        if let close = t.range(of: "</think>") {
            return (String(t[..<close.lowerBound]), String(t[close.upperBound...]).trimmingLeadingWhitespace())
        }
        return opened ? (String(t), "") : ("", text)
    }

    // MARK: - HTTP with retries

    func send(url: String, method: HTTPMethod, body: String?) async throws -> JSONValue {
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Content-Type", value: "application/json")
            if let k = apiKey { request.headers.add(name: "Authorization", value: "Bearer \(k)") }
            if let b = body { request.body = .bytes(ByteBuffer(string: b)) }
            var wait = min(60, 0.5 * pow(2, Double(attempt - 1)))
            var failure: String
            do {
                let (response, text) = try await exchange(request)
                let status = response.status.code
                if status == 200 {
                    do { return try JSONValue.parse(Data(text.utf8)) } catch {
                        throw EvalError("\(url): the response is not JSON (\(error)): \(text.prefix(200))")
                    }
                }
                failure = "HTTP \(status): \(text.prefix(300))"
                guard status == 429 || status >= 500 else { throw EvalError("\(url): \(failure)") }
                if let ra = response.headers.first(name: "Retry-After"), let s = Double(ra) { wait = min(120, max(wait, s)) }
            } catch let e as EvalError {
                throw e
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failure = "\(error)"  // connection refused or reset, timeout
            }
            guard attempt < maxAttempts else { throw EvalError("\(url): gave up after \(attempt) attempts: \(failure)") }
            try await Task.sleep(for: .seconds(wait))
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        let limit: Duration
        var description: String { "no complete response within \(limit)" }
    }

    /// One request and its whole body, within `timeout` from the first byte sent to the last byte read (the
    /// client's own deadline covers only the response head).
    private func exchange(_ request: HTTPClientRequest) async throws -> (HTTPClientResponse, String) {
        let client = self.client, limit = timeout
        return try await withThrowingTaskGroup(of: (HTTPClientResponse, String)?.self) { group in
            group.addTask {
                let response = try await client.execute(request, timeout: .milliseconds(Int64(limit / .milliseconds(1))))
                let bytes = try await response.body.collect(upTo: 64 << 20)
                return (response, String(buffer: bytes))
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw Timeout(limit: limit) }
            return result
        }
    }
}

extension String {
    func trimmingLeadingWhitespace() -> String { String(drop(while: { $0.isWhitespace })) }
}
