// Ollama's chat API: POST /api/chat with `think`, answering message.thinking and message.content, as
// newline-delimited JSON when streaming (Ollama's default) with a last `done: true` line carrying the counts.
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
        let started = try service.start(.chat(messages: chat.messages), options, defaultMaxTokens: backend.contextLength, style: .ollama)
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
            var message: [(String, JSONOut)] = [("content", .string(acc.content))]
            if showThinking, !acc.reasoning.isEmpty { message.append(("thinking", .string(acc.reasoning))) }
            return .json(line(message, done: true, extra: final(acc)))
        }
        let stream = GenerationService.streamingBody(channel: context.channel) { sink in
            func send(_ json: JSONOut) { sink.yield(ByteBuffer(string: json.text + "\n")) }
            do {
                let acc = try await service.run(started, keepTokens: false) { delta, _ in
                    if showThinking, !delta.reasoning.isEmpty {
                        send(line([("content", .string("")), ("thinking", .string(delta.reasoning))], done: false))
                    }
                    if !delta.content.isEmpty { send(line([("content", .string(delta.content))], done: false)) }
                }
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
