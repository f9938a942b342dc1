import AuthsimTesting
import Foundation
import JSONCore
import LoginEngine
import Testing
import Tokens

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs blocking work (process start-up, pipes) on its own thread.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread { c.resume(with: Result { try body() }) }.start()
    }
}

/// The real daemon (`authsim serve`) on a free loopback port, driven over HTTP.
/// A copy of the sample tenant in a temporary folder, for tests that change it (rules written
/// through the API, the legacy database's tables written by custom-database scripts).
func sampleTenantCopy() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-tenant-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for item in ["tenant.json", "geoip.json", "rules", "rules-configs", "clients", "client-grants", "connections", "database-connections", "resource-servers", "roles", "users", "actions", "triggers", "legacy-db", "organizations"] {
        try FileManager.default.copyItem(atPath: CLITests.root.appendingPathComponent(item).path, toPath: dir + "/" + item)
    }
    return dir
}

/// What the HTTP tests drive: the real daemon in a process of its own (`Daemon`), or the
/// application listening on a loopback port of the test process (`AuthsimListeningApp`).
protocol HTTPDaemon: Sendable {
    var base: URL { get }
    /// A Management API token with every scope.
    var token: String { get }
    /// What it has logged so far.
    var logText: String { get }
    /// Stops it without waiting (for `defer`).
    func terminate()
}

extension HTTPDaemon {
    func request(_ path: String, method: String = "GET", body: Data? = nil, token: String? = nil) async throws -> (Int, JSONValue) {
        try await Daemon.send(base: base, path, method: method, body: body, token: token)
    }
}

extension AuthsimListeningApp: HTTPDaemon {
    var logText: String { app.log.text }
    func terminate() { Task { await stop() } }
    /// A new one-time sign-in link of the console (as the one `serve` prints at start).
    func newConsoleLink() -> String { base.absoluteString + app.server.consoleSignIn.link() }
}

/// The sample tenant (or `tenant`) served on a loopback port of the test process, as
/// `authsim serve --port 0` serves it: for HTTP tests that need no process of their own.
func listeningApp(tenant: String = CLITests.root.path, issuer: String? = nil) async throws -> AuthsimListeningApp {
    try await AuthsimTestApp.listening(tenantDirectory: tenant, issuer: issuer)
}

final class Daemon: HTTPDaemon, @unchecked Sendable {
    let process = Process()
    let base: URL
    let token: String
    let storeDir: String
    /// The console's one-time sign-in link printed at start.
    let consoleLink: String?
    private let output = Pipe()

    /// The daemon's standard error (its logs).
    var logPath: String { storeDir + "/daemon.log" }
    var logText: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// `store`: a PostgreSQL URL (default: a new SQLite file in the daemon's folder).
    init(extraArguments: [String] = [], store: String? = nil) throws {
        storeDir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-daemon-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: storeDir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: storeDir + "/daemon.log", contents: nil)
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["serve", "--port", "0", "--store", store ?? storeDir + "/authsim.sqlite", "--workers", "2"] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["AUTHSIM_DATA_DIR"] = storeDir
        process.environment = environment
        process.currentDirectoryURL = CLITests.root
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: storeDir + "/daemon.log")
        try process.run()
        // Wait for the "listening on" line: as soon as it comes, within a deadline generous
        // enough for a loaded machine (a start took over 30 s once while a build ran beside the
        // tests: signing-key generation and the first contexts compete for the two cores).
        var seen = ""
        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(180)
        while !seen.contains("Console:"), Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }  // it ended: its log says why
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = seen.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else {
            process.terminate()
            let log = (try? String(contentsOfFile: storeDir + "/daemon.log", encoding: .utf8)) ?? ""
            throw DaemonError(message: "daemon did not start: \(seen) \(log.suffix(2000))")
        }
        base = URL(string: String(seen[range]))!
        consoleLink = seen.range(of: #"Console: \S+"#, options: .regularExpression).map { String(seen[$0].dropFirst("Console: ".count)) }
        // `serve` writes the token beside a SQLite store, else in AUTHSIM_DATA_DIR (storeDir here).
        let tokenDir = store.flatMap { $0.hasPrefix("postgres") ? nil : ($0 as NSString).deletingLastPathComponent } ?? storeDir
        token = try String(contentsOfFile: tokenDir + "/management-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct DaemonError: Error { let message: String }

    /// Starts the daemon on a thread of its own: waiting for it must not hold one of the few
    /// cooperative threads that the script runtime's host calls also need.
    static func start(extraArguments: [String] = [], store: String? = nil) async throws -> Daemon {
        try await offThePool { try Daemon(extraArguments: extraArguments, store: store) }
    }

    static func send(base: URL, _ path: String, method: String, body: Data?, token: String?) async throws -> (Int, JSONValue) {
        // Built as text: appendingPathComponent would escape the query and %-encoded ids.
        var r = URLRequest(url: URL(string: base.absoluteString + "/" + path)!)
        r.httpMethod = method
        r.httpBody = body
        if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: r)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .string(String(decoding: data, as: UTF8.self)))
    }

    /// SIGTERM, then the exit status; the wait happens off the cooperative pool, which the
    /// script runtime's host calls in this same test process need.
    func stop() async -> Int32 {
        (try? await offThePool { [self] () -> Int32 in
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }) ?? -1
    }

    /// SIGTERM without waiting (for `defer`).
    func terminate() {
        if process.isRunning { process.terminate() }
    }
}

@Suite(.serialized) struct DaemonTests {
    @Test func healthJWKSAndSimulationOverHTTP() async throws {
        let d = try await Daemon.start()
        let (hs, health) = try await d.request("healthz")
        #expect(hs == 200)
        #expect(health["status"] == "ok")
        #expect(health["rules"] == 5)

        let (js, jwks) = try await d.request(".well-known/jwks.json")
        #expect(js == 200)
        #expect(jwks["keys"]?.arrayValue?.first?["kty"] == "RSA")

        let body = Data(#"{"user": "ann@example.com", "request": {"ip": "203.0.113.10"}}"#.utf8)
        let (ss, result) = try await d.request("api/authsim/simulate", method: "POST", body: body, token: d.token)
        #expect(ss == 200)
        #expect(result["outcome"] == "allowed")
        #expect(result["idToken"]?["claims"]?["https://example.com/country"] == "FR")
        #expect(result["trace"]?.arrayValue?.count == 5)
        // The ID token verifies against the daemon's JWKS.
        let jwt = try #require(result["idToken"]?["jwt"]?.stringValue)
        #expect(throws: Never.self) { try JWT.verifyRS256(JWT.decode(jwt), jwks: jwks).get() }
        // The login's trace can be fetched later by the id its tokens carry.
        let traceId = try #require(result["idToken"]?["claims"]?["jti"]?.stringValue)
        let (ts, trace) = try await d.request("api/authsim/traces/" + traceId, token: d.token)
        #expect(ts == 200)
        #expect(trace["traceId"] == .string(traceId))
        #expect(trace["trace"]?.arrayValue?.count == 5)
        #expect(trace["claimSources"]?["idToken"]?["https://example.com/country"] == "geoip-country")
        let (missing, _) = try await d.request("api/authsim/traces/nope", token: d.token)
        #expect(missing == 404)
        let (noToken, _) = try await d.request("api/authsim/traces/" + traceId)
        #expect(noToken == 401)
        // `authsim token decode --jwks URL` fetches the daemon's JWKS.
        let decoded = try await CLITests().authsim(["token", "decode", jwt, "--jwks", d.base.absoluteString + "/.well-known/jwks.json", "--json"], store: d.storeDir + "/other.sqlite")
        #expect(decoded.status == 0)
        #expect(try JSONValue.parse(decoded.stdout)["signatureValid"] == true)
        // Through the proxy the environment names (here a closed port: the fetch fails), unless
        // no_proxy lists the host; an HTTP error is reported as one.
        let jwksURL = d.base.absoluteString + "/.well-known/jwks.json"
        let noProxy = ["http_proxy": "", "HTTP_PROXY": "", "https_proxy": "", "HTTPS_PROXY": "", "no_proxy": "", "NO_PROXY": ""]
        let proxied = try await CLITests().authsim(
            ["token", "decode", jwt, "--jwks", jwksURL], store: d.storeDir + "/other.sqlite", environment: noProxy.merging(["http_proxy": "http://127.0.0.1:9"]) { $1 })
        #expect(proxied.status == 1 && proxied.stderr.contains("cannot fetch"), "\(proxied.stderr)")
        let bypassed = try await CLITests().authsim(
            ["token", "decode", jwt, "--jwks", jwksURL, "--json"], store: d.storeDir + "/other.sqlite",
            environment: noProxy.merging(["http_proxy": "http://127.0.0.1:9", "no_proxy": "localhost, 127.0.0.1"]) { $1 })
        #expect(bypassed.status == 0 && (try? JSONValue.parse(bypassed.stdout)["signatureValid"]) == true, "\(bypassed.stderr)")
        let missingJWKS = try await CLITests().authsim(["token", "decode", jwt, "--jwks", d.base.absoluteString + "/nope.json"], store: d.storeDir + "/other.sqlite", environment: noProxy)
        #expect(missingJWKS.status == 1 && missingJWKS.stderr.contains("/nope.json: HTTP 404"), "\(missingJWKS.stderr)")
        #expect(await d.stop() == 0)
    }

    @Test func badInputGetsAuth0ErrorsAndTheDaemonKeepsServing() async throws {
        let d = try await Daemon.start(extraArguments: ["--max-body-bytes", "2000"])
        let (noAuth, e1) = try await d.request("api/authsim/simulate", method: "POST", body: Data("{}".utf8))
        #expect(noAuth == 401)
        #expect(e1["statusCode"] == 401)
        #expect(e1["error"] == "Unauthorized")

        let (badToken, _) = try await d.request("api/authsim/simulate", method: "POST", body: Data("{}".utf8), token: d.token + "x")
        #expect(badToken == 401)

        let (malformed, e2) = try await d.request("api/authsim/simulate", method: "POST", body: Data("{\"user\": ".utf8), token: d.token)
        #expect(malformed == 400)
        #expect(e2["message"]?.stringValue?.contains("Invalid JSON") == true)

        let (unknown, e3) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "nobody@example.com"}"#.utf8), token: d.token)
        #expect(unknown == 400)
        #expect(e3["message"]?.stringValue?.contains("nobody@example.com") == true)

        let big = Data(("{\"user\": \"" + String(repeating: "x", count: 5000) + "\"}").utf8)
        let (tooBig, e4) = try await d.request("api/authsim/simulate", method: "POST", body: big, token: d.token)
        #expect(tooBig == 413)
        #expect(e4["statusCode"] == 413)

        let (still, _) = try await d.request("healthz")
        #expect(still == 200)
        let (ok, r) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "bob@example.com"}"#.utf8), token: d.token)
        #expect(ok == 200)
        #expect(r["outcome"] == "allowed")
        #expect(await d.stop() == 0)
    }
}
