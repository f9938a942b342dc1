import AuthorTools
import Hummingbird
import JSONCore
import Logging
import LoginEngine
import ManagementAPI
import NIOCore
import OIDCProvider
import Prometheus

public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Request bodies above this size get 413.
    public var maximumBodySize: Int
    /// `Host` names answered besides loopback names, the issuer's host and the tenant's domain
    /// (`*`: any); every other name gets 421.
    public var allowedHosts: [String]
    /// A connection must deliver its first request (head and body) within this many seconds of
    /// opening, and each later request's body within this many seconds of its head, else it is
    /// closed (slow headers, endless bodies).
    public var requestReadTimeout: Double
    /// A kept-alive connection must start its next request within this many seconds of its
    /// previous answer, else it is closed.
    public var idleTimeout: Double

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maximumBodySize: Int = 1 << 20, allowedHosts: [String] = [], requestReadTimeout: Double = 30,
        idleTimeout: Double = 60
    ) {
        self.idleTimeout = idleTimeout
        self.host = host
        self.port = port
        self.maximumBodySize = maximumBodySize
        self.requestReadTimeout = requestReadTimeout
        // A daemon bound to one address answers to that address as a name.
        self.allowedHosts = allowedHosts + (["0.0.0.0", "::", ""].contains(host) ? [] : [host])
    }
}

/// The HTTP daemon: routes only. Each handler parses, calls the pipeline, and encodes.
public struct AuthsimServer: Sendable {
    public let pipeline: LoginPipeline
    public let configuration: ServerConfiguration
    let logger: Logger
    /// Where `/metrics` reads from; nil serves no metrics route.
    let metrics: PrometheusCollectorRegistry?
    /// The web console's one-time sign-in links.
    public let consoleSignIn = ConsoleSignIn()
    /// Debug mode (`serve --debug`): the script debugger's routes and coverage of single logins.
    public let debugger: LoginDebugger?

    public init(
        pipeline: LoginPipeline, configuration: ServerConfiguration, metrics: PrometheusCollectorRegistry? = nil, debugger: LoginDebugger? = nil,
        logger: Logger = Logger(label: "authsim.server")
    ) {
        self.pipeline = pipeline
        self.debugger = debugger
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// One route: method and path pattern as Hummingbird prints it (`/api/v2/users/{id}`).
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        public var method: String
        public var path: String
        public var description: String { method + " " + path }
    }

    /// Every route the daemon serves (`/metrics` only with a registry).
    public var routeTable: [Route] {
        let recorder = RouteRecorder()
        for group in routeGroups() { group.register(on: recorder) }
        return recorder.routes
    }

    func router() -> Router<AuthsimRequestContext> {
        let router = Router(context: AuthsimRequestContext.self)
        router.add(middleware: LogRequestsRedactingMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: HostCheckMiddleware(pipeline: pipeline, extra: configuration.allowedHosts))
        router.add(middleware: ForwardedForMiddleware(pipeline: pipeline))
        router.add(middleware: StoreHealthMiddleware(pipeline: pipeline))
        router.add(middleware: FramingMiddleware())
        router.add(middleware: CrossOriginMiddleware(pipeline: pipeline))
        for group in routeGroups() { router.addRoutes(group.routes) }
        return router
    }

    func routeGroups() -> [any RouteGroup] {
        let authorization = AuthorizationService(pipeline: pipeline)
        let simulation = SimulationRoutes(pipeline: pipeline, maximumBodySize: configuration.maximumBodySize, debugger: debugger)
        var groups: [any RouteGroup] = [
            HealthRoutes(pipeline: pipeline), OpenAPIRoutes(), WellKnownRoutes(pipeline: pipeline),
            simulation,
            ConsoleRoutes(pipeline: pipeline, signIn: consoleSignIn),
            OAuthRoutes(authorization: authorization, maximumBodySize: configuration.maximumBodySize),
            AuthorizeRoutes(authorization: authorization, maximumBodySize: configuration.maximumBodySize),
            ManagementRoutes(
                management: ManagementService(pipeline: pipeline), maximumBodySize: configuration.maximumBodySize,
                rateLimiter: authorization.oauth.rateLimiter),
        ]
        if let metrics { groups.insert(MetricsRoutes(registry: metrics, pipeline: pipeline), at: 0) }
        if let debugger { groups.append(DebugRoutes(debugger: debugger, simulation: simulation)) }
        return groups
    }

    /// The application on `configuration`'s address: what `run` serves, and what the in-process
    /// test harness (AuthsimTesting) drives without a socket.
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        func seconds(_ s: Double) -> TimeAmount { .nanoseconds(Int64(min(max(s.isNaN ? 0 : s, 0.001), 86_400) * 1e9)) }
        let deadline = seconds(configuration.requestReadTimeout), idle = seconds(configuration.idleTimeout)
        let router = router()
        // The scripts' `require('auth0')` reaches these same routes in process.
        attach(router)
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestReadDeadline(deadline: deadline, idle: idle)])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "authsim"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGINT/SIGTERM, then stops accepting, lets in-flight requests finish and
    /// returns. `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onListening: onListening).runService()
    }
}
