// EndpointSource over real HTTP against a tiny scripted server (raw sockets): retries on 503 and on 429 with
// Retry-After, no retry on 400, a timeout, and giving up on a refused connection.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import R1Eval
import Synchronization
import Testing

final class RequestLog: Sendable {
    let list = Mutex<[String]>([])
}

/// Answers each connection with the next scripted (status, body, delay); the last one repeats.
final class ScriptedHTTPServer: @unchecked Sendable {
    let port: UInt16
    let requests: RequestLog
    private let fd: Int32

    init(_ replies: [(status: Int, body: String, delay: Double)]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw TestFailure("cannot listen") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
        let listener = fd
        let requests = RequestLog()
        self.requests = requests
        Thread.detachNewThread {
            var i = 0
            while true {
                let c = accept(listener, nil, nil)
                if c < 0 { return }
                let reply = replies[min(i, replies.count - 1)]
                i += 1
                var buffer = [UInt8](repeating: 0, count: 65536)
                var got = [UInt8]()
                // read the head and the Content-Length body
                while true {
                    let n = read(c, &buffer, buffer.count)
                    if n <= 0 { break }
                    got += buffer[0..<n]
                    let text = String(decoding: got, as: UTF8.self)
                    if let r = text.range(of: "\r\n\r\n") {
                        let head = text[..<r.lowerBound].lowercased()
                        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                            .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                        if text.utf8.count - text[..<r.upperBound].utf8.count >= length { break }
                    }
                }
                requests.list.withLock { $0.append(String(decoding: got, as: UTF8.self)) }
                if reply.delay > 0 { usleep(UInt32(reply.delay * 1_000_000)) }
                let extra = reply.status == 429 ? "Retry-After: 1\r\n" : ""
                let response = "HTTP/1.1 \(reply.status) X\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(reply.body.utf8.count)\r\nConnection: close\r\n\r\n\(reply.body)"
                _ = response.withCString { write(c, $0, strlen($0)) }
                close(c)
            }
        }
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

@Suite struct EndpointRetryTests {
    static let ok = #"{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","reasoning_content":"r","content":"\\boxed{4}"}}],"usage":{"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":1}}}"#
    static let models = #"{"object":"list","data":[{"id":"served-model","object":"model"}]}"#

    @Test func retriesOn503And429ThenSucceeds() async throws {
        let server = try ScriptedHTTPServer([(200, Self.models, 0), (503, "{}", 0), (429, "{}", 0), (200, Self.ok, 0)])
        let source = try await EndpointSource.connect(base: "http://127.0.0.1:\(server.port)/v1", modelName: nil, apiKey: "k")
        #expect(source.modelName == "served-model")
        let start = ContinuousClock.now
        let s = try await source.sample(userMessage: "2+2?", seed: 5, sampling: EvalSampling(temperature: 0.6, topP: 0.95, maxTokens: 100))
        await source.shutdown()
        #expect(s.content == "\\boxed{4}" && s.reasoning == "r" && s.reasoningTokens == 1 && s.answerTokens == 2)
        #expect(ContinuousClock.now - start >= .seconds(1), "Retry-After: 1 was honoured")
        let requests = server.requests.list.withLock { $0 }
        #expect(requests.count == 4)
        let last = try #require(requests.last)
        #expect(last.hasPrefix("POST /v1/chat/completions"))
        #expect(last.lowercased().contains("authorization: bearer k"))
        #expect(last.contains(#""seed":5"#) && last.contains(#""max_tokens":100"#) && last.contains(#""model":"served-model""#))
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let server = try ScriptedHTTPServer([(400, #"{"error":{"message":"bad"}}"#, 0)])
        let source = try await EndpointSource.connect(base: "http://127.0.0.1:\(server.port)", modelName: "m", apiKey: nil)
        await #expect(throws: EvalError.self) { try await source.sample(userMessage: "x", seed: 0, sampling: EvalSampling()) }
        await source.shutdown()
        #expect(server.requests.list.withLock { $0.count } == 1)
    }

    @Test func timeoutsAndRefusedConnectionsGiveUp() async throws {
        let server = try ScriptedHTTPServer([(200, Self.ok, 3)])
        let slow = try await EndpointSource.connect(base: "http://127.0.0.1:\(server.port)", modelName: "m", apiKey: nil,
                                                    timeout: .milliseconds(500), maxAttempts: 2)
        let start = ContinuousClock.now
        do {
            _ = try await slow.sample(userMessage: "x", seed: 0, sampling: EvalSampling())
            Issue.record("no timeout")
        } catch {
            #expect("\(error)".contains("gave up after 2 attempts"), "\(error)")
        }
        #expect(ContinuousClock.now - start >= .milliseconds(900), "two attempts of 0.5 s and a 0.5 s backoff")
        // no upper bound on the wall time: under the parallel suite on 2 cores the backoff's sleep itself is late
        await slow.shutdown()

        let refused = try await EndpointSource.connect(base: "http://127.0.0.1:1", modelName: "m", apiKey: nil,
                                                       timeout: .seconds(1), maxAttempts: 2)
        await #expect(throws: EvalError.self) { try await refused.sample(userMessage: "x", seed: 0, sampling: EvalSampling()) }
        await refused.shutdown()
        #expect(throws: EvalError.self) { try EvalDataset.parse(Data(), path: "x") }
        await #expect(throws: EvalError.self) { try await EndpointSource.connect(base: "ftp://x", modelName: "m", apiKey: nil) }
    }
}
