import ArgumentParser
import AuthorTools
import Directory
import Foundation
import LoginEngine
import ManagementAPI
import PostgresStore
import ScriptRuntime
import Server
import Tenant

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: JWKS, health and the simulation API over HTTP on the tenant.",
        discussion: """
            On start it prints the URL it listens on, writes a Management API token for local use
            (all management scopes, simulate:logins included; valid for the tenant's management
            token lifetime, 1 h by default, and renewed in the file at half of it) to
            <store directory>/management-token, and prints a one-time sign-in link to the web
            console (/console). SIGINT/SIGTERM stop it gracefully; SIGHUP reloads the tenant.
            """)

    @OptionGroup var tenantOptions: TenantOptions

    @Option(name: .long, help: "Port to listen on (0 picks a free one).") var port: Int = 8080
    @Option(name: .long, help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(name: .long, help: "Issuer URL of tokens (default: the tenant's authsim.issuer, else http://HOST:PORT/).") var issuer: String?
    @Option(name: .long, help: "Script worker threads (default: one per core).") var workers: Int?
    @Option(name: .long, help: "Largest accepted request body, in bytes.") var maxBodyBytes: Int = 1 << 20
    @Option(
        name: .customLong("allowed-host"),
        help: "A Host name to answer besides loopback names, the issuer's host and the tenant's domain (repeatable; '*' answers any).")
    var allowedHosts: [String] = []
    @Option(name: .long, help: "Seconds a new connection has to send its first whole request, and any request its body after its headers; then it is closed.")
    var requestReadTimeout: Double = 30
    @Option(name: .long, help: "Seconds a kept-alive connection may wait after an answer before sending its next request's headers; then it is closed.")
    var idleTimeout: Double = 60
    @Flag(name: .long, help: "Run the tenant's tests (tests/) at start and after every change, printing what changed in the results.") var watch = false
    @Flag(
        name: .long,
        help: "Debug mode: the console's script debugger and coverage of single logins (loopback only; every debug URL carries a random token printed at start).")
    var debug = false

    func run() async throws {
        if debug, !Self.isLoopback(host) {
            throw CommandFailure("--debug listens on loopback only (--host 127.0.0.1): a paused login shows its secrets, and debug URLs are its only lock")
        }
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount))
        // The issuer must be known before the pipeline exists, so port 0 is resolved to a free
        // port here rather than by the listener. The port stays bound (not listening) until just
        // before the server binds it: found and released at once, another process could take it
        // while the tenant loads (seen: "Address already in use" with --port 0).
        let reservation: FreePort.Reservation?
        do { reservation = self.port == 0 ? try FreePort.reserve(host: host) : nil } catch { throw CommandFailure(error) }
        let port = reservation?.port ?? self.port
        let pipeline: LoginPipeline
        do {
            pipeline = try await LoginPipeline.open(
                tenantDirectory: tenantOptions.tenant, store: try await StoreLocation.open(tenantOptions.storePath), runtime: runtime,
                issuer: AuthsimServer.issuer(explicit: issuer, tenantDirectory: tenantOptions.tenant, host: host, port: port),
                modulePaths: tenantOptions.modules, tenantChanges: tenantOptions.changesTarget)
        } catch {
            throw CommandFailure(error)
        }
        // Published sample secrets are for a daemon only this machine can reach.
        let sampleClients = pipeline.tenant.clientsWithSampleSecrets
        if !sampleClients.isEmpty, !Self.isLoopback(host), !pipeline.tenant.settings.sample {
            throw CommandFailure(
                "refusing to listen on \(host): clients \(sampleClients.joined(separator: ", ")) use client secrets published in authsim's samples, which anyone can use to get tokens; change them, listen on 127.0.0.1, or say \"authsim\": {\"sample\": true} in tenant.json")
        }
        if !StoreLocation.isPostgres(tenantOptions.storePath) {
            for warning in SQLiteUserStore.permissionWarnings(path: tenantOptions.storePath) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        }
        if !FileManager.default.fileExists(atPath: tenantOptions.dataDirectory) {
            try? FileManager.default.createDirectory(atPath: tenantOptions.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let tokenFile = (tenantOptions.dataDirectory as NSString).appendingPathComponent("management-token")
        do { try Self.writeToken(pipeline, to: tokenFile) } catch {
            FileHandle.standardError.write(Data("warning: \(error) (the Management API needs a client-credentials token then)\n".utf8))
        }
        // Management tokens are short-lived: the file always holds one with at least half its life left.
        let renewer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(pipeline.tenant.settings.managementTokenLifetime / 2))
                if Task.isCancelled { break }
                do { try Self.writeToken(pipeline, to: tokenFile) } catch { pipeline.logger.error("could not renew \(tokenFile): \(error)") }
            }
        }
        defer { renewer.cancel() }
        // Traces and log events are kept for the tenant's retention only (age and count).
        let pruner = Task { await StorePruner(pipeline: pipeline).run() }
        defer { pruner.cancel() }

        // Debug mode: the inspector of JavaScriptCore connects to a relay in this process; the
        // debugged logins run on runtimes of their own, never on the daemon's workers.
        let debugger: LoginDebugger?
        if debug {
            do { debugger = try await LoginDebugger.start(pipeline: pipeline) } catch { throw CommandFailure(String(describing: error)) }
        } else {
            debugger = nil
        }
        let server = AuthsimServer(
            pipeline: pipeline, configuration: ServerConfiguration(
                host: host, port: port, maximumBodySize: maxBodyBytes, allowedHosts: allowedHosts, requestReadTimeout: requestReadTimeout,
                idleTimeout: idleTimeout),
            metrics: AuthsimServer.bootstrapMetrics(), debugger: debugger)
        let tenantName = pipeline.tenant.name
        let storePath = StoreLocation.isPostgres(tenantOptions.storePath) ? "PostgreSQL" : tenantOptions.storePath
        // Edits to the tenant directory take effect for the next login.
        let reloader: Task<Void, Never>
        if watch {
            let session = TestSession(tenant: tenantOptions.tenant, paths: [], filter: nil)
            let testsDir = session.roots
            reloader = Task {
                guard FileManager.default.fileExists(atPath: testsDir[0]), let first = try? await session.run(pipeline) else {
                    printJSON("watch: no tests in \(testsDir[0])")
                    await HotReloader(pipeline: pipeline).run()
                    return
                }
                printJSON((["tests:"] + first.fileErrors.map { "error: \($0)" } + first.report()).joined(separator: "\n"))
                await session.watch(pipeline, from: first, brokenMessage: "the tenant does not load (still serving the last good revision)")
            }
        } else {
            reloader = Task { await HotReloader(pipeline: pipeline).run() }
        }
        defer { reloader.cancel() }
        // SIGHUP reloads the tenant now (as daemons do), instead of ending the process.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            Task {
                do {
                    let changed = try await pipeline.reload()
                    pipeline.logger.info("SIGHUP: tenant reloaded (\(changed ? "new" : "unchanged") revision \(pipeline.tenant.revision))")
                } catch {
                    pipeline.logger.error("SIGHUP: tenant reload failed, still serving revision \(pipeline.tenant.revision): \(error)")
                }
            }
        }
        hangup.resume()
        defer { hangup.cancel() }
        reservation?.release()
        try await server.run { boundPort in
            let base = "http://\(host):\(boundPort)"
            printJSON("""
                authsim listening on \(base) (tenant \(tenantName), \(pipeline.rulesRunner.rules.count) rules, store \(storePath))
                issuer: \(pipeline.tenant.settings.effectiveIssuer)
                Management token (valid \(Self.duration(pipeline.tenant.settings.managementTokenLifetime)), renewed every \(Self.duration(pipeline.tenant.settings.managementTokenLifetime / 2))) written to \(tokenFile)
                Console: \(base)\(server.consoleSignIn.link())\(debugger.map { "&debug=" + $0.token } ?? "")  (one-time sign-in link)\(debugger.map { "\nDebug mode: script debugger and coverage on; debug URLs: \(base)/debug/\($0.token)/ (loopback only)" } ?? "")
                Try:
                  curl -s \(base)/healthz
                  curl -s -H "Authorization: Bearer $(cat \(tokenFile))" -d '{"user": "ann@example.com"}' \(base)/api/authsim/simulate
                """)
        }
        runtime.shutdown()
    }

    /// A fresh local token in `file`, readable by its owner only from the moment it exists, put
    /// in place at once (several daemons may share the data directory).
    static func writeToken(_ pipeline: LoginPipeline, to file: String) throws {
        let token = try pipeline.localManagementToken(scopes: ManagementService.allScopes)
        let temporary = file + ".\(getpid()).\(UUID().uuidString.prefix(8))"
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else { throw CommandFailure("could not write \(file): \(String(cString: strerror(errno)))") }
        let bytes = Array((token + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, file) == 0 else {
            unlink(temporary)
            throw CommandFailure("could not write \(file)")
        }
    }

    /// An address only this machine reaches.
    static func isLoopback(_ host: String) -> Bool {
        // An address, not a name that merely starts like one (127.example.com).
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        return host == "localhost" || host == "::1"
    }

    static func duration(_ seconds: Double) -> String {
        seconds.truncatingRemainder(dividingBy: 3600) == 0 ? "\(Int(seconds / 3600)) h" : "\(Int(seconds / 60)) min"
    }
}
