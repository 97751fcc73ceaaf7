// The server's assembly, as in Hummingbird's examples: ServerConfiguration, the request context, buildRouter
// (routes, error and metrics middleware) and buildApplication.
import Foundation
import Hummingbird
import Logging
import NIOCore

public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Name of the reasoning field in OpenAI responses: DeepSeek's "reasoning_content" or vLLM's "reasoning".
    public var reasoningField = "reasoning_content"
    /// Seconds a generation may run (queue wait included) before it is stopped with finish_reason "length".
    public var requestTimeout: Double? = 600
    /// Largest request body accepted.
    public var maxBodyBytes = 16 << 20
    public var startedAt = Int(Date().timeIntervalSince1970)

    public init(host: String = "127.0.0.1", port: Int = 8080, reasoningField: String = "reasoning_content",
                requestTimeout: Double? = 600) {
        self.host = host
        self.port = port
        self.reasoningField = reasoningField
        self.requestTimeout = requestTimeout
    }
}

/// The request context: Hummingbird's core storage plus the connection's channel, whose closing cancels generation.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The largest body `body(_:)` collects: ServerConfiguration.maxBodyBytes, set by the first middleware.
    public var bodyLimit = 16 << 20
    public var maxUploadSize: Int { bodyLimit }

    /// The whole body, or a 413 in OpenAI's shape.
    func body(_ request: Request) async throws -> Data {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: maxUploadSize)
            return Data(buffer.readableBytesView)
        } catch {
            throw APIError(.contentTooLarge, "The request body is larger than \(maxUploadSize) bytes.")
        }
    }
}

/// Renders every error as OpenAI's error object (Ollama's on /api), counts requests by route and status.
struct ErrorAndMetricsMiddleware: RouterMiddleware {
    let metrics: ServerMetrics
    var bodyLimit = 16 << 20

    func handle(_ request: Request, context: ServerRequestContext,
                next: (Request, ServerRequestContext) async throws -> Response) async throws -> Response {
        let route = Self.route(request.uri.path)
        let ollama = request.uri.path.hasPrefix("/api/")
        var context = context
        context.bodyLimit = bodyLimit
        do {
            let response = try await next(request, context)
            metrics.request(route: route, status: response.status.code)
            return response
        } catch var e as APIError {
            if ollama { e.style = .ollama }
            metrics.request(route: route, status: e.status.code)
            return try e.response(from: request, context: context)
        } catch is CancellationError {
            // the client went away and its generation was stopped: nginx's 499, for the metrics only
            metrics.request(route: route, status: 499)
            return Response(status: .init(code: 499, reasonPhrase: "Client Closed Request"))
        } catch let e as HTTPError {
            var api = APIError(e.status, e.body ?? (e.status == .notFound ? "No route for \(request.method) \(request.uri.path)." : e.status.reasonPhrase),
                               code: e.status == .notFound ? "not_found" : nil)
            if ollama { api.style = .ollama }
            metrics.request(route: route, status: api.status.code)
            return try api.response(from: request, context: context)
        } catch {
            var api = APIError(.internalServerError, "internal error: \(error)", type: "server_error")
            if ollama { api.style = .ollama }
            metrics.request(route: route, status: 500)
            return try api.response(from: request, context: context)
        }
    }

    /// Known routes by name, everything else as "other" (bounded label values).
    static func route(_ path: String) -> String {
        let known = ["/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/metrics", "/api/chat", "/api/generate", "/api/show", "/api/ps", "/api/tags", "/api/version"]
        return known.contains(path) ? path : (path.hasPrefix("/v1/models/") ? "/v1/models" : "other")
    }
}

public func buildRouter(backend: any InferenceBackend, configuration: ServerConfiguration = .init(),
                        metrics: ServerMetrics = ServerMetrics()) -> Router<ServerRequestContext> {
    let router = Router(context: ServerRequestContext.self)
    router.add(middleware: ErrorAndMetricsMiddleware(metrics: metrics, bodyLimit: configuration.maxBodyBytes))
    let service = GenerationService(backend: backend, metrics: metrics, configuration: configuration)
    router.get("/health") { _, _ in
        let load = backend.load
        return Response.json(.object([
            ("status", .string("ok")), ("model", .string(backend.modelName)), ("running", .int(load.running)),
            ("waiting", .int(load.waiting)), ("slots", .int(load.slots)), ("queue_capacity", .int(load.queueCapacity)),
        ]))
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(string: metrics.render(load: backend.load))))
    }
    OpenAIController(service: service).addRoutes(to: router.group("v1"))
    OllamaController(service: service).addRoutes(to: router.group("api"))
    return router
}

public func buildApplication(backend: any InferenceBackend, configuration: ServerConfiguration,
                             logger: Logger = Logger(label: "r1.serve")) -> some ApplicationProtocol {
    let router = buildRouter(backend: backend, configuration: configuration)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "r1"),
        logger: logger)
}
