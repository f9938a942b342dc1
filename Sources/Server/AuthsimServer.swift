import OIDCProvider
import ManagementAPI
import Hummingbird
import JSONCore
import Logging
import NIOCore
import LoginEngine
import Prometheus

public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Request bodies above this size get 413.
    public var maximumBodySize: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, maximumBodySize: Int = 1 << 20) {
        self.host = host
        self.port = port
        self.maximumBodySize = maximumBodySize
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

    public init(pipeline: LoginPipeline, configuration: ServerConfiguration, metrics: PrometheusCollectorRegistry? = nil, logger: Logger = Logger(label: "authsim.server")) {
        self.pipeline = pipeline
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: MetricsMiddleware())
        if let metrics { MetricsRoutes(registry: metrics, pipeline: pipeline).register(on: router) }
        HealthRoutes(pipeline: pipeline).register(on: router)
        OpenAPIRoutes().register(on: router)
        WellKnownRoutes(pipeline: pipeline).register(on: router)
        SimulationRoutes(pipeline: pipeline, maximumBodySize: configuration.maximumBodySize).register(on: router)
        ConsoleRoutes(pipeline: pipeline, signIn: consoleSignIn).register(on: router)
        let authorization = AuthorizationService(pipeline: pipeline)
        OAuthRoutes(authorization: authorization, maximumBodySize: configuration.maximumBodySize).register(on: router)
        AuthorizeRoutes(authorization: authorization, maximumBodySize: configuration.maximumBodySize).register(on: router)
        ManagementRoutes(management: ManagementService(pipeline: pipeline), maximumBodySize: configuration.maximumBodySize, rateLimiter: authorization.oauth.rateLimiter)
            .register(on: router)
        return router
    }

    /// Serves until SIGINT/SIGTERM, then stops accepting, lets in-flight requests finish and
    /// returns. `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "authsim"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService()
    }
}
