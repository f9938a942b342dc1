import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSONCore
import LoginEngine
import ManagementAPI
import NIOCore
import Prometheus
import ScriptRuntime
import Server

/// The whole application — every route, the real engine, a real SQLite store, real signing keys
/// and the JavaScriptCore runtime — on a tenant directory, driven in-process: requests go
/// through the router (HummingbirdTesting's router mode) without a socket or a process, or
/// (`listening`) over real HTTP on a loopback port of the test process. Tests that need a real
/// process (signals, start-up, two daemons, the CLI) keep spawning one.
public final class AuthsimTestApp: Sendable {
    /// The issuer the application runs under (what `aud`/`iss` and links carry).
    public static let issuer = "http://authsim.test/"

    public let pipeline: LoginPipeline
    public let server: AuthsimServer
    /// The SQLite file of this application's store (its own, in a temporary folder, removed
    /// with the application).
    public let storePath: String

    /// What the application logged.
    public let log: AuthsimTestLog
    let folder: String

    init(pipeline: LoginPipeline, server: AuthsimServer, storePath: String, folder: String, log: AuthsimTestLog) {
        self.pipeline = pipeline
        self.server = server
        self.storePath = storePath
        self.folder = folder
        self.log = log
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// Opens `tenantDirectory` (seeded users included) on a new store, as `authsim serve` does;
    /// `metrics` serves `/metrics` from that registry.
    /// `issuer`: what tokens are issued under and links carry; `port`: where `listening` serves it.
    public static func open(
        tenantDirectory: String, runtime: ScriptRuntime, maximumBodySize: Int = 1 << 20, modulePaths: [String] = [],
        metrics: PrometheusCollectorRegistry? = nil, allowedHosts: [String] = [], issuer: String = issuer, port: Int = 0
    ) async throws -> AuthsimTestApp {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-app-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let storePath = folder + "/authsim.sqlite"
        let log = AuthsimTestLog()
        let pipeline = try await LoginPipeline.open(
            tenantDirectory: tenantDirectory, storePath: storePath, runtime: runtime, issuer: issuer, modulePaths: modulePaths,
            logger: log.logger(label: "authsim.pipeline"))
        let server = AuthsimServer(
            pipeline: pipeline, configuration: ServerConfiguration(port: port, maximumBodySize: maximumBodySize, allowedHosts: allowedHosts), metrics: metrics,
            logger: log.logger(label: "authsim.server"))
        return AuthsimTestApp(pipeline: pipeline, server: server, storePath: storePath, folder: folder, log: log)
    }

    /// The application listening on a free loopback port of this process, as `authsim serve
    /// --port 0` would serve it (issuer `http://127.0.0.1:PORT/` unless `issuer` or the tenant's
    /// `authsim.issuer` says otherwise), for tests that need real HTTP: a browser's redirects and
    /// cookies, raw requests, header and body limits. Without `runtime`, it runs on a runtime of
    /// its own (2 workers, as the tests' daemons), shut down by `stop()`.
    public static func listening(
        tenantDirectory: String, runtime: ScriptRuntime? = nil, issuer: String? = nil, maximumBodySize: Int = 1 << 20, modulePaths: [String] = [],
        allowedHosts: [String] = []
    ) async throws -> AuthsimListeningApp {
        let reservation = try FreePort.reserve(host: "127.0.0.1")
        let own = runtime == nil ? ScriptRuntime(configuration: RuntimeConfiguration(workers: 2)) : nil
        do {
            let app = try await open(
                tenantDirectory: tenantDirectory, runtime: runtime ?? own!, maximumBodySize: maximumBodySize, modulePaths: modulePaths,
                allowedHosts: allowedHosts,
                issuer: AuthsimServer.issuer(explicit: issuer, tenantDirectory: tenantDirectory, host: "127.0.0.1", port: reservation.port),
                port: reservation.port)
            let token = try app.managementToken()
            let listener = try await LocalListener.start(app.server, reservation: reservation)
            return AuthsimListeningApp(app: app, listener: listener, token: token, ownRuntime: own)
        } catch {
            own?.shutdown()
            throw error
        }
    }

    /// A Management API token signed by the tenant's key (as the one `serve` writes).
    public func managementToken(scopes: [String] = ManagementService.allScopes) throws -> String {
        try pipeline.localManagementToken(scopes: scopes)
    }

    /// Runs `body` with a client of the application.
    public func test<Value: Sendable>(_ body: @Sendable (AuthsimTestClient) async throws -> Value) async throws -> Value {
        try await server.application().test(.router) { client in try await body(AuthsimTestClient(client: client)) }
    }
}

/// The application of `AuthsimTestApp.listening`: real HTTP on a loopback port, no process.
public final class AuthsimListeningApp: Sendable {
    public let app: AuthsimTestApp
    /// `http://127.0.0.1:PORT` (no trailing slash).
    public let base: URL
    /// A Management API token with every scope (as the one `serve` writes to its file).
    public let token: String
    let listener: LocalListener
    let ownRuntime: ScriptRuntime?

    init(app: AuthsimTestApp, listener: LocalListener, token: String, ownRuntime: ScriptRuntime?) {
        self.app = app
        self.listener = listener
        self.token = token
        self.ownRuntime = ownRuntime
        base = URL(string: "http://127.0.0.1:\(listener.port)")!
    }

    public var pipeline: LoginPipeline { app.pipeline }

    /// Stops listening (requests in flight finish), then shuts down the runtime it made; returns
    /// the error the server ended with, if any.
    @discardableResult
    public func stop() async -> (any Error)? {
        let error = await listener.stop()
        ownRuntime?.shutdown()
        return error
    }
}

/// Requests to the in-process application.
public struct AuthsimTestClient: Sendable {
    let client: any TestClientProtocol

    /// `path` as a client sends it (with its query, `%`-encoded); `body` is sent as is, with
    /// `contentType` (JSON when the body starts with `{` or `[`, else a form).
    public func send(
        _ method: HTTPRequest.Method, _ path: String, body: String? = nil, contentType: String? = nil, token: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> AuthsimTestResponse {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer " + token }
        if let body {
            let json = body.first == "{" || body.first == "["
            fields[.contentType] = contentType ?? (json ? "application/json" : "application/x-www-form-urlencoded")
        }
        for (name, value) in headers {
            guard let field = HTTPField.Name(name) else { continue }
            fields[field] = value
        }
        let uri = path.hasPrefix("/") ? path : "/" + path
        let response = try await client.executeRequest(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) })
        return AuthsimTestResponse(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
    }

    /// `send` with the method by name ("GET", "PATCH", …).
    public func send(
        _ method: String, _ path: String, body: String? = nil, contentType: String? = nil, token: String? = nil, headers: [String: String] = [:]
    ) async throws -> AuthsimTestResponse {
        guard let m = HTTPRequest.Method(method) else { throw AuthsimTestError("not an HTTP method: \(method)") }
        return try await send(m, path, body: body, contentType: contentType, token: token, headers: headers)
    }

    /// A form post (`application/x-www-form-urlencoded`).
    public func form(_ path: String, _ fields: [String: String], token: String? = nil, headers: [String: String] = [:]) async throws -> AuthsimTestResponse {
        let body = fields.sorted { $0.key < $1.key }.map { Self.formEncode($0.key) + "=" + Self.formEncode($0.value) }.joined(separator: "&")
        return try await send(.post, path, body: body, contentType: "application/x-www-form-urlencoded", token: token, headers: headers)
    }

    /// A client-credentials token of `clientId` for `audience` (the Management API's by default).
    public func clientCredentials(clientId: String, secret: String, audience: String = AuthsimTestApp.issuer + "api/v2/", scope: String? = nil) async throws -> String? {
        var fields = ["grant_type": "client_credentials", "client_id": clientId, "client_secret": secret, "audience": audience]
        if let scope { fields["scope"] = scope }
        return try await form("oauth/token", fields).json["access_token"]?.stringValue
    }

    /// `s` percent-encoded for a query or form value (everything but letters, digits and `-._~`).
    public static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

/// A request the harness could not make.
public struct AuthsimTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One response: status, headers, body.
public struct AuthsimTestResponse: Sendable {
    public var status: Int
    public var headers: HTTPFields
    public var text: String

    /// The body as JSON (`.null` when it is not JSON).
    public var json: JSONValue { (try? JSONValue.parse(text)) ?? .null }

    public func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }

    /// The `Set-Cookie` values, by cookie name.
    public var cookies: [String: String] {
        var out: [String: String] = [:]
        for field in headers where field.name == .setCookie {
            let pair = field.value.split(separator: ";", maxSplits: 1).first ?? ""
            guard let eq = pair.firstIndex(of: "=") else { continue }
            out[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return out
    }
}
