import Tenant
import Hummingbird
import NIOCore

/// What every route gets besides the request: Hummingbird's core context (with the request id,
/// `id`, also in the log lines), and the connecting peer's address (or, behind a trusted
/// proxy, the client's address it reported).
public struct AuthsimRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The client's address as a trusted proxy reported it (`X-Forwarded-For`), set by
    /// `ForwardedForMiddleware` only when the peer is one of `authsim.trusted_proxies`.
    public var forwardedClientIP: String?
    /// The page's origin of a cross-origin request that `CrossOriginMiddleware` let through.
    public var crossOrigin: WebOrigin?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address ("127.0.0.1", "::1"); nil when no socket carried the request (the
    /// in-process test harness): logins and log events then record the engine's default,
    /// "127.0.0.1".
    public var clientIP: String? { forwardedClientIP ?? remoteAddress?.ipAddress }
}

/// A group of routes: one area of the API, registered on its own collection.
protocol RouteGroup: Sendable {
    func register(on routes: some RouterMethods<AuthsimRequestContext>)
}

extension RouteGroup {
    var routes: RouteCollection<AuthsimRequestContext> {
        let collection = RouteCollection(context: AuthsimRequestContext.self)
        register(on: collection)
        return collection
    }
}

/// Records what a route group registers, without serving it: the daemon's route table.
final class RouteRecorder: RouterMethods, @unchecked Sendable {
    typealias Context = AuthsimRequestContext
    private(set) var routes: [AuthsimServer.Route] = []

    @discardableResult func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        routes.append(AuthsimServer.Route(method: method.rawValue, path: path.description))
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self { self }
}
