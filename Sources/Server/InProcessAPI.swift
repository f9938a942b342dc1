import HTTPTypes
import Hummingbird
import Logging
import LoginEngine
import NIOCore
import Synchronization

/// The daemon's routes answering the scripts' `require('auth0')` in process: a request goes
/// through the same router (middlewares, token checks, scopes) as one from the network, with no
/// socket (its client address is the engine's default, 127.0.0.1).
struct InProcessAPI<Responder: HTTPResponder>: TenantAPI where Responder.Context == AuthsimRequestContext {
    let responder: Responder
    let logger: Logger

    func send(_ request: TenantAPIRequest) async -> TenantAPIResponse {
        var fields = HTTPFields()
        for (name, value) in request.headers {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        if let body = request.body { fields[.contentLength] = String(body.count) }
        let head = HTTPRequest(method: HTTPRequest.Method(request.method) ?? .get, scheme: "http", authority: "localhost", path: request.path, headerFields: fields)
        let body = request.body.map { RequestBody(buffer: ByteBuffer(bytes: $0)) } ?? RequestBody(buffer: ByteBuffer())
        let context = AuthsimRequestContext(inProcess: logger)
        let response: Response
        do { response = try await responder.respond(to: Request(head: head, body: body), context: context) } catch {
            let status = (error as? HTTPResponseError)?.status ?? .internalServerError
            return TenantAPIResponse(status: status.code, body: Array(#"{"statusCode":\#(status.code),"error":"\#(status.reasonPhrase)","message":"\#(status.reasonPhrase)"}"#.utf8))
        }
        let collected = Collector()
        do { try await response.body.write(collected) } catch { return TenantAPIResponse(status: 500, body: []) }
        return TenantAPIResponse(status: response.status.code, body: collected.bytes.withLock { $0 })
    }

    /// A response body, gathered.
    final class Collector: ResponseBodyWriter, Sendable {
        let bytes = Mutex<[UInt8]>([])
        func write(_ buffer: ByteBuffer) async throws { bytes.withLock { $0 += buffer.readableBytesView } }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

/// A context source for requests made in process (no channel).
struct InProcessSource: RequestContextSource {
    let logger: Logger
}

extension AuthsimRequestContext {
    init(inProcess logger: Logger) {
        self.coreContext = .init(source: InProcessSource(logger: logger))
        self.remoteAddress = nil
    }
}

extension AuthsimServer {
    /// Attaches this server's routes to its pipeline for `require('auth0')` (in process), built
    /// on the first call: the CLI's one-shot commands (and the test harness) do it, and most of
    /// their logins never call the API. The daemon attaches the router it serves.
    public func attachInProcessAPI() {
        let server = self
        pipeline.attach(api: LazyTenantAPI { InProcessAPI(responder: server.router().buildResponder(), logger: server.scriptsAPILogger) })
    }

    func attach(_ router: Router<AuthsimRequestContext>) {
        pipeline.attach(api: InProcessAPI(responder: router.buildResponder(), logger: scriptsAPILogger))
    }

    /// The server's logger, its lines marked as the scripts' calls (`api=scripts`).
    var scriptsAPILogger: Logger {
        var logger = logger
        logger[metadataKey: "api"] = "scripts"
        return logger
    }
}

/// A tenant API made when a script first calls it (building every route costs about a
/// millisecond, a noticeable part of a one-shot `authsim simulate`).
final class LazyTenantAPI: TenantAPI {
    let make: @Sendable () -> any TenantAPI
    let made = Mutex<(any TenantAPI)?>(nil)

    init(_ make: @escaping @Sendable () -> any TenantAPI) { self.make = make }

    func send(_ request: TenantAPIRequest) async -> TenantAPIResponse {
        let api = made.withLock { made in
            if let made { return made }
            let api = make()
            made = api
            return api
        }
        return await api.send(request)
    }
}
