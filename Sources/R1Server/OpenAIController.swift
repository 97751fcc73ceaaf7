// OpenAI's API: POST /v1/chat/completions (DeepSeek's reasoning_content), POST /v1/completions, GET /v1/models.
import Foundation
import R1Formats
import Hummingbird
import R1Runtime
import Synchronization

struct OpenAIController: Sendable {
    let service: GenerationService
    var backend: any InferenceBackend { service.backend }
    var reasoningField: String { service.configuration.reasoningField }

    func addRoutes(to group: RouterGroup<ServerRequestContext>) {
        group.post("chat/completions", use: chatCompletions)
        group.post("completions", use: completions)
        group.get("models", use: models)
        group.get("models/{id}", use: model)
    }

    // MARK: - /v1/models

    var modelObject: JSONOut {
        .object([("id", .string(backend.modelName)), ("object", .string("model")), ("created", .int(service.configuration.startedAt)),
                 ("owned_by", .string("r1")), ("max_model_len", .int(backend.contextLength))])
    }

    func models(_ request: Request, context: ServerRequestContext) async throws -> Response {
        .json(.object([("object", .string("list")), ("data", .array([modelObject]))]))
    }

    func model(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard id == backend.modelName else {
            throw APIError(.notFound, "The model '\(id)' does not exist.", param: "model", code: "model_not_found")
        }
        return .json(modelObject)
    }

    // MARK: - /v1/chat/completions

    func chatCompletions(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let data = try await context.body(request)
        let chat = try ChatCompletionRequest.parse(data, modelName: backend.modelName, defaults: backend.defaultSampling)
        var requested = chat.options
        // "required": the answer is constrained to one call in the template's format, then parsed as calls are
        if let call = try FieldReader.requiredCall(chat.tools, format: backend.toolCallFormat) {
            guard requested.format == nil else {
                throw APIError.invalid("'response_format' and tool_choice 'required' cannot be combined.", param: "tool_choice")
            }
            requested.format = call
        }
        let options = requested
        // a named function: the constrained answer is that call's arguments; otherwise calls are parsed from the answer
        let forced: String? = if case .function(let name) = chat.tools.choice { name } else { nil }
        let toolFormat: ToolCallFormat? = chat.tools.isActive && forced == nil ? backend.toolCallFormat : nil
        let started = try service.startChoices(.chat(messages: chat.messages, tools: chat.tools.isActive ? chat.tools.tools : []),
                                               options, defaultMaxTokens: backend.contextLength)
        let id = "chatcmpl-" + Self.randomId()
        let created = Int(Date().timeIntervalSince1970)
        let model = backend.modelName
        let field = reasoningField
        let service = self.service

        /// The prompt counted once, completion and reasoning tokens summed over the choices (as OpenAI bills n).
        @Sendable func usage(_ accs: [GenerationAccumulator]) -> JSONOut {
            let prompt = started[0].handle.promptTokens
            let completion = accs.reduce(0) { $0 + $1.completionTokens }
            return .object([
                ("prompt_tokens", .int(prompt)), ("completion_tokens", .int(completion)),
                ("total_tokens", .int(prompt + completion)),
                ("prompt_tokens_details", .object([("cached_tokens", .int(cachedTokens(accs)))])),
                ("completion_tokens_details", .object([("reasoning_tokens", .int(accs.reduce(0) { $0 + $1.reasoningTokens }))])),
            ])
        }

        if !options.stream {
            let accs = try await GenerationService.cancellingOnDisconnect(context.channel) {
                try await service.runChoices(started, keepTokens: options.logprobs)
            }
            let choices: [JSONOut] = accs.enumerated().map { i, acc in
                var (content, calls) = (acc.content, [IdentifiedToolCall]())
                if let toolFormat {
                    let parsed = ToolCallParser.parse(acc.content, format: toolFormat)
                    (content, calls) = (parsed.content, parsed.calls.map { IdentifiedToolCall($0) })
                } else if let forced {
                    let arguments = acc.content.trimmingCharacters(in: .whitespacesAndNewlines)
                    (content, calls) = ("", [IdentifiedToolCall(ToolCall(name: forced, arguments: arguments))])
                }
                var message: [(String, JSONOut)] = [
                    ("role", .string("assistant")), ("content", calls.isEmpty || !content.isEmpty ? .string(content) : .null),
                ]
                message.append((field, acc.reasoning.isEmpty ? .null : .string(acc.reasoning)))
                if !calls.isEmpty { message.append(("tool_calls", .array(calls.map(\.openAI)))) }
                var fields: [(String, JSONOut)] = [
                    ("index", .int(i)), ("message", .object(message)),
                    ("logprobs", options.logprobs ? service.logprobsJSON(acc.tokens[...]) : .null),
                    ("finish_reason", .string(forced != nil ? acc.finishReason : Self.finishReason(acc, calls: calls.count))),
                ]
                // why a "length" came early (the KV memory budget), beside OpenAI's fields as vLLM's stop_reason is
                if let detail = acc.stats?.finishDetail { fields.append(("finish_detail", .string(detail))) }
                return .object(fields)
            }
            return .json(.object([
                ("id", .string(id)), ("object", .string("chat.completion")), ("created", .int(created)), ("model", .string(model)),
                ("choices", .array(choices)), ("usage", usage(accs)), ("system_fingerprint", .null),
            ]))
        }

        @Sendable func chunk(_ index: Int, _ delta: [(String, JSONOut)], finish: String? = nil, logprobs: JSONOut = .null,
                             includeUsage: Bool) -> JSONOut {
            var fields: [(String, JSONOut)] = [
                ("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .int(created)),
                ("model", .string(model)), ("system_fingerprint", .null),
                ("choices", .array([.object([("index", .int(index)), ("delta", .object(delta)), ("logprobs", logprobs),
                                             ("finish_reason", finish.map(JSONOut.string) ?? .null)])])),
            ]
            if includeUsage { fields.append(("usage", .null)) }
            return .object(fields)
        }
        let body = GenerationService.streamingBody(channel: context.channel) { sink in
            @Sendable func send(_ json: JSONOut) { sink.yield(ByteBuffer(string: "data: \(json.text)\n\n")) }
            let withUsage = options.includeUsage
            for i in started.indices {
                send(chunk(i, [("role", .string("assistant")), ("content", .string(""))], includeUsage: withUsage))
            }
            let splitter = toolFormat.map { ToolCallSplitter(format: $0, choices: started.count) }
            // a named function streams its arguments as they come, under one call id per choice
            let forcedIds = started.indices.map { _ in "call_" + Self.randomId() }
            let forcedStarted = Mutex([Bool](repeating: false, count: started.count))
            /// Content and calls of choice `i` (calls numbered from `firstIndex`); logprobs ride on the first chunk.
            @Sendable func sendAnswer(_ i: Int, _ events: [ToolCallEvent], firstIndex: Int, logprobs: JSONOut) {
                var lp = logprobs, index = firstIndex
                for event in events {
                    switch event {
                    case .content(let text):
                        send(chunk(i, [("content", .string(text))], logprobs: lp, includeUsage: withUsage))
                    case .call(let call):
                        for delta in IdentifiedToolCall(call).openAIDeltas(index: index) {
                            send(chunk(i, [("tool_calls", .array([delta]))], logprobs: lp, includeUsage: withUsage))
                            lp = .null
                        }
                        index += 1
                    }
                    lp = .null
                }
            }
            @Sendable func answer(_ i: Int, _ events: [ToolCallEvent], logprobs: JSONOut) {
                let calls = events.reduce(0) { if case .call = $1 { $0 + 1 } else { $0 } }
                sendAnswer(i, events, firstIndex: (splitter?.calls(i) ?? 0) - calls, logprobs: logprobs)
            }
            do {
                let accs = try await service.runChoices(started, keepTokens: options.logprobs, onText: { i, delta, tokens in
                    if !delta.reasoning.isEmpty { send(chunk(i, [(field, .string(delta.reasoning))], includeUsage: withUsage)) }
                    if !delta.content.isEmpty {
                        let lp = options.logprobs ? service.logprobsJSON(tokens) : .null
                        if let forced {
                            if !forcedStarted.withLock({ s in defer { s[i] = true }; return s[i] }) {
                                let head = IdentifiedToolCall(id: forcedIds[i], ToolCall(name: forced, arguments: "")).openAIDeltas(index: 0)[0]
                                send(chunk(i, [("tool_calls", .array([head]))], includeUsage: withUsage))
                            }
                            let part: JSONOut = .object([("index", .int(0)), ("function", .object([("arguments", .string(delta.content))]))])
                            send(chunk(i, [("tool_calls", .array([part]))], logprobs: lp, includeUsage: withUsage))
                        } else {
                            answer(i, splitter?.feed(i, delta.content) ?? [.content(delta.content)], logprobs: lp)
                        }
                    }
                }, onFinish: { i, acc in
                    if let splitter { answer(i, splitter.finish(i), logprobs: .null) }
                    send(chunk(i, [], finish: Self.finishReason(acc, calls: splitter?.calls(i) ?? 0), includeUsage: withUsage))
                })
                if withUsage {
                    send(.object([("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .int(created)),
                                  ("model", .string(model)), ("system_fingerprint", .null), ("choices", .array([])), ("usage", usage(accs))]))
                }
            } catch is CancellationError {
                return
            } catch {
                send(APIError(.internalServerError, "generation failed: \(error)", type: "server_error").body)
            }
            sink.yield(ByteBuffer(string: "data: [DONE]\n\n"))
        }
        return Response(status: .ok, headers: Self.sseHeaders, body: body)
    }

    // MARK: - /v1/completions

    func completions(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let data = try await context.body(request)
        let completion = try CompletionRequest.parse(data, modelName: backend.modelName, defaults: backend.defaultSampling)
        let options = completion.options
        let started = try service.startChoices(.text(completion.prompt), options, defaultMaxTokens: 16)
        let id = "cmpl-" + Self.randomId()
        let created = Int(Date().timeIntervalSince1970)
        let model = backend.modelName
        let service = self.service
        @Sendable func usageOf(_ accs: [GenerationAccumulator]) -> JSONOut {
            let prompt = started[0].handle.promptTokens, completion = accs.reduce(0) { $0 + $1.completionTokens }
            return .object([("prompt_tokens", .int(prompt)), ("completion_tokens", .int(completion)),
                            ("total_tokens", .int(prompt + completion)),
                            ("prompt_tokens_details", .object([("cached_tokens", .int(cachedTokens(accs)))]))])
        }
        @Sendable func legacyLogprobs(_ tokens: ArraySlice<GeneratedToken>) -> JSONOut {
            guard options.logprobs else { return .null }
            return .object([
                ("tokens", .array(tokens.map { .string(service.backend.tokenText($0.id)) })),
                ("token_logprobs", .array(tokens.map { .double(Double($0.logprob)) })),
                ("top_logprobs", .array(tokens.map { t in .object(t.top.map { (service.backend.tokenText($0.id), .double(Double($0.logprob))) }) })),
            ])
        }
        @Sendable func choice(_ i: Int, text: String, finish: String?, logprobs: JSONOut) -> JSONOut {
            .object([("index", .int(i)), ("text", .string(text)), ("logprobs", logprobs),
                     ("finish_reason", finish.map(JSONOut.string) ?? .null)])
        }
        @Sendable func object(_ choices: [JSONOut], usage: JSONOut?) -> JSONOut {
            var fields: [(String, JSONOut)] = [
                ("id", .string(id)), ("object", .string("text_completion")), ("created", .int(created)), ("model", .string(model)),
                ("choices", .array(choices)),
            ]
            if let usage { fields.append(("usage", usage)) }
            return .object(fields)
        }
        // raw completions have no thinking split: the text is everything the model wrote
        if !options.stream {
            let accs = try await GenerationService.cancellingOnDisconnect(context.channel) {
                try await service.runChoices(started, keepTokens: options.logprobs)
            }
            let choices = accs.enumerated().map { i, acc in
                choice(i, text: acc.reasoning + acc.content, finish: acc.finishReason, logprobs: legacyLogprobs(acc.tokens[...]))
            }
            return .json(object(choices, usage: usageOf(accs)))
        }
        let body = GenerationService.streamingBody(channel: context.channel) { sink in
            @Sendable func send(_ json: JSONOut) { sink.yield(ByteBuffer(string: "data: \(json.text)\n\n")) }
            do {
                let accs = try await service.runChoices(started, keepTokens: options.logprobs, onText: { i, delta, tokens in
                    send(object([choice(i, text: delta.reasoning + delta.content, finish: nil, logprobs: legacyLogprobs(tokens))], usage: nil))
                }, onFinish: { i, acc in
                    send(object([choice(i, text: "", finish: acc.finishReason, logprobs: .null)], usage: nil))
                })
                if options.includeUsage { send(object([], usage: usageOf(accs))) }
            } catch is CancellationError {
                return
            } catch {
                send(APIError(.internalServerError, "generation failed: \(error)", type: "server_error").body)
            }
            sink.yield(ByteBuffer(string: "data: [DONE]\n\n"))
        }
        return Response(status: .ok, headers: Self.sseHeaders, body: body)
    }

    /// "tool_calls" when the model stopped by itself after calling tools (OpenAI's rule), else the runtime's reason.
    static func finishReason(_ acc: GenerationAccumulator, calls: Int) -> String {
        let reason = acc.finishReason
        return calls > 0 && reason == "stop" ? "tool_calls" : reason
    }

    static let sseHeaders: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]

    static func randomId() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<24).map { _ in alphabet.randomElement()! })
    }
}

extension Response {
    static func json(_ value: JSONOut, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }
}

/// Prompt tokens read from the shared prompt cache (OpenAI's usage.prompt_tokens_details.cached_tokens): the first
/// choice's, as the prompt is counted once.
func cachedTokens(_ accs: [GenerationAccumulator]) -> Int { accs.first?.stats?.promptTokensReused ?? 0 }
