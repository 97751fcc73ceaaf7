import R1Formats
// The one error type of the server: a status plus OpenAI's error object
// ({"error":{"message","type","param","code"}}), or Ollama's {"error": "..."} on /api routes.
import Hummingbird

public struct APIError: HTTPResponseError, Sendable {
    public enum Style: Sendable { case openAI, ollama }

    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    public var headers: HTTPFields = [:]
    public var style: Style = .openAI

    public init(_ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error",
                param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(.badRequest, message, param: param, code: code)
    }

    public var body: JSONOut {
        switch style {
        case .openAI:
            .object([("error", .object([
                ("message", .string(message)), ("type", .string(type)),
                ("param", param.map(JSONOut.string) ?? .null), ("code", code.map(JSONOut.string) ?? .null),
            ]))])
        case .ollama:
            .object([("error", .string(message))])
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.text)))
    }
}

extension APIError {
    /// The response for a backend's refusal.
    init(_ error: BackendError) {
        switch error {
        case .promptTooLong(let n, let context):
            self = .invalid("This model's maximum context length is \(context) tokens. However, your messages resulted in \(n) tokens.",
                            param: "messages", code: "context_length_exceeded")
        case .overloaded(let retryAfter):
            self = APIError(.tooManyRequests, "The server is busy: every slot is generating and the queue is full. Retry after \(retryAfter) s.",
                            type: "rate_limit_error", code: "server_overloaded")
            headers[.retryAfter] = String(retryAfter)
        case .invalid(let message, let param):
            self = .invalid(message, param: param)
        case .unsupported(let message):
            self = .invalid(message, code: "unsupported")
        }
    }
}
