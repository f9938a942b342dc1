import Foundation
import Hummingbird
import JSONCore
import Logging
import NIOCore

/// A real HTTP server on a loopback port for scripts' outbound calls: `/echo` answers with what
/// it received, `/redirect` sends to `/echo`, `/status/{code}` answers with that status, `/hook`
/// runs the test's `hook` before answering 200.
final class TestHTTPServer: Sendable {
    let port: Int
    private let task: Task<Void, Error>

    private init(port: Int, task: Task<Void, Error>) {
        self.port = port
        self.task = task
    }

    var base: String { "http://127.0.0.1:\(port)" }

    static func start(hook: (@Sendable () async -> Void)? = nil) async throws -> TestHTTPServer {
        let router = Router()
        router.get("/hook") { _, _ -> Response in
            await hook?()
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/echo", method: method) { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                var headers: [String: JSONValue] = [:]
                for field in request.headers { headers[field.name.canonicalName] = .string(field.value) }
                let echo: JSONValue = [
                    "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                    "query": .string(request.uri.query ?? ""), "headers": .object(headers), "body": .string(String(buffer: body)),
                ]
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: echo.serialized())))
            }
        }
        router.get("/redirect") { _, _ in Response(status: .found, headers: [.location: "/echo?from=redirect"]) }
        // The same server under another host name: credentials must not follow.
        router.get("/redirect-other-host") { request, _ -> Response in
            let port = request.head.authority?.split(separator: ":").last.map(String.init) ?? "80"
            return Response(status: .found, headers: [.location: "http://localhost:\(port)/echo?from=other-host"])
        }
        router.get("/status/{code}") { _, context -> Response in
            let code = Int(context.parameters.get("code") ?? "500") ?? 500
            return Response(status: .init(code: code), headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "status \(code)")))
        }
        let ports = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test-http")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ports.continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.run() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return TestHTTPServer(port: port, task: task)
    }

    func stop() { task.cancel() }
}

/// A TCP port that accepts connections (the kernel's backlog) and never answers.
final class SilentServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }
}
