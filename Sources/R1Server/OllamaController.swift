// Ollama's chat API: POST /api/chat with `think` and `tools`, answering message.thinking, message.content and
// message.tool_calls, as newline-delimited JSON when streaming (Ollama's default) with a last `done: true` line.
import Foundation
import R1Formats
import Hummingbird
import R1Runtime

struct OllamaController: Sendable {
    let service: GenerationService
    var backend: any InferenceBackend { service.backend }

    func addRoutes(to group: RouterGroup<ServerRequestContext>) {
        group.post("chat", use: chat)
        group.get("tags", use: tags)
        group.get("version", use: { _, _ in Response.json(.object([("version", .string("0.6.0"))])) })
    }

    func tags(_ request: Request, context: ServerRequestContext) async throws -> Response {
        .json(.object([("models", .array([.object([
            ("name", .string(backend.modelName)), ("model", .string(backend.modelName)),
            ("modified_at", .string(Self.timestamp())), ("size", .int(0)),
        ])]))]))
    }

    func chat(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let body: Data
        do { body = try await context.body(request) } catch var e as APIError { e.style = .ollama; throw e }
        let chat = try OllamaChatRequest.parse(body, modelName: backend.modelName, defaults: backend.defaultSampling)
        let options = chat.options
        let toolFormat: ToolCallFormat? = chat.tools.isActive ? backend.toolCallFormat : nil
        let started = try service.start(.chat(messages: chat.messages, tools: chat.tools.isActive ? chat.tools.tools : []),
                                        options, defaultMaxTokens: backend.contextLength, style: .ollama)
        let model = chat.model ?? backend.modelName
        let showThinking = chat.think != false
        let service = self.service

        @Sendable func line(_ message: [(String, JSONOut)], done: Bool, extra: [(String, JSONOut)] = []) -> JSONOut {
            .object([("model", .string(model)), ("created_at", .string(Self.timestamp())),
                     ("message", .object([("role", .string("assistant"))] + message)), ("done", .bool(done))] + extra)
        }
        @Sendable func final(_ acc: GenerationAccumulator) -> [(String, JSONOut)] {
            let s = acc.stats
            let total = Int64((ContinuousClock.now - started.start) / .nanoseconds(1))
            return [
                ("done_reason", .string(acc.finishReason)), ("total_duration", .int(Int(total))), ("load_duration", .int(0)),
                ("prompt_eval_count", .int(started.handle.promptTokens)),
                ("prompt_eval_duration", .int(Int((s?.promptSeconds ?? 0) * 1e9))),
                ("eval_count", .int(acc.completionTokens)), ("eval_duration", .int(Int((s?.generateSeconds ?? 0) * 1e9))),
            ]
        }

        if !options.stream {
            let acc = try await GenerationService.cancellingOnDisconnect(context.channel) {
                try await service.run(started, keepTokens: false) { _, _ in }
            }
            var (content, calls) = (acc.content, [ToolCall]())
            if let toolFormat { (content, calls) = ToolCallParser.parse(acc.content, format: toolFormat) }
            var message: [(String, JSONOut)] = [("content", .string(content))]
            if showThinking, !acc.reasoning.isEmpty { message.append(("thinking", .string(acc.reasoning))) }
            if !calls.isEmpty { message.append(("tool_calls", .array(calls.map { IdentifiedToolCall($0).ollama }))) }
            return .json(line(message, done: true, extra: final(acc)))
        }
        let stream = GenerationService.streamingBody(channel: context.channel) { sink in
            func send(_ json: JSONOut) { sink.yield(ByteBuffer(string: json.text + "\n")) }
            var parser = toolFormat.map { ToolCallParser(format: $0) }
            func answer(_ events: [ToolCallEvent]) {
                for event in events {
                    switch event {
                    case .content(let text): send(line([("content", .string(text))], done: false))
                    case .call(let call):
                        send(line([("content", .string("")), ("tool_calls", .array([IdentifiedToolCall(call).ollama]))], done: false))
                    }
                }
            }
            do {
                let acc = try await service.run(started, keepTokens: false) { delta, _ in
                    if showThinking, !delta.reasoning.isEmpty {
                        send(line([("content", .string("")), ("thinking", .string(delta.reasoning))], done: false))
                    }
                    if !delta.content.isEmpty { answer(parser?.feed(delta.content) ?? [.content(delta.content)]) }
                }
                if parser != nil { answer(parser!.finish()) }
                send(line([("content", .string(""))], done: true, extra: final(acc)))
            } catch is CancellationError {
                return
            } catch {
                send(.object([("error", .string("generation failed: \(error)"))]))
            }
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: stream)
    }

    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }
}
