import ArgumentParser
import AsyncHTTPClient
import Directory
import Foundation
import JSONCore
import LoginEngine
import ManagementAPI
import NIOCore
import PostgresStore
import ScriptRuntime
import Server
import Tenant
import Tokens


/// `make bench`: figures for the pipeline, printed; never asserted.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the login pipeline on the tenant's rules and print the figures.",
        discussion: """
            Reports: in-process pipeline executions per second per worker (inline user, no store
            writes) without signing and with RS256 signing of both tokens, microseconds per rule
            (against the same tenant with no rules), the Node vm comparison, the RS256 signing
            bound, HTTP figures (simulations at 1, 16 and 64 connections with p50/p99), the wall
            time of cold `authsim simulate` processes, resident memory after many simulations, and
            Management API PATCH/search figures with many users on SQLite (and PostgreSQL with
            --postgres). Ends with a summary table; --json FILE writes the figures.
            """)

    @Option(name: .long, help: "The tenant directory.") var tenant: String = "."
    @Option(name: .long, help: "Seconds per measurement.") var seconds: Double = 3
    @Option(name: .long, help: "Cold process runs.") var coldRuns: Int = 10
    @Option(name: .long, help: "The user (email) whose profile the inline simulations use.") var user: String = "ann@example.com"
    @Option(name: .long, help: "Also write the figures as JSON to this file.") var json: String?
    @Option(name: .long, help: "The Node vm comparison runner (default bench/node-vm-rules.js).") var nodeRunner: String?
    @Option(name: .long, help: "Simulations between the two resident-memory readings (0 skips).") var memorySimulations: Int = 1_000_000
    @Option(name: .long, help: "Users in the Management API PATCH/search figures (0 skips).") var users: Int = 100_000
    @Option(name: .long, help: "A PostgreSQL URL: the PATCH/search figures also run on PostgreSQL, and custom-database logins run against it (make bench starts a cluster).") var postgres: String?
    @Option(name: .long, help: "Only these parts, comma-separated: flow (in-process), http, simulations (over HTTP), cold (processes), pipeline (those four), database (custom-database logins, with --postgres), memory, scale.") var only: String?

    /// `pipeline` stands for its parts: `flow` (in-process), `http` (endpoints, password logins,
    /// the script environment), `simulations` (HTTP simulations by connections) and `cold`.
    func runs(_ part: String) -> Bool {
        guard let only else { return true }
        let parts = Set(only.split(separator: ",").map(String.init))
        return parts.contains(part) || (["flow", "http", "simulations", "cold"].contains(part) && parts.contains("pipeline"))
    }

    func run() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { Self.removeScratch(scratch) }

        let tenantModel: Tenant
        do { tenantModel = try TenantLoader.load(directory: tenant) } catch { throw CommandFailure(error) }
        let ruleCount = tenantModel.loginRules.count
        print("authsim bench — tenant \(tenantModel.name), \(ruleCount) enabled rule(s), \(cores) core(s), \(Int(seconds)) s per figure")

        // An inline profile of the user after a first login, so the flow is the steady state
        // (no first-login write) and nothing touches the store.
        let setup = try await LoginPipeline.open(tenantDirectory: tenant, storePath: scratch + "/setup.sqlite", runtime: ScriptRuntime(configuration: RuntimeConfiguration(workers: 1)))
        _ = try await setup.simulate(SimulationRequest(user: .stored(user)))
        let profile = try await setup.simulate(SimulationRequest(user: .stored(user))).user
        let request = SimulationRequest(user: .inline(profile))

        // The workers' time per job in the last `measure`, and how much of it put the shared
        // built-ins back.
        var lastJobCost: JobCost?
        func measure(workers: Int, concurrency: Int, sign: Bool, tenantDir: String, request: SimulationRequest = request) async throws -> Double {
            let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: workers))
            defer { runtime.shutdown() }
            let p = try await LoginPipeline.open(tenantDirectory: tenantDir, storePath: scratch + "/\(UUID().uuidString).sqlite", runtime: runtime)
            // Warm up: compile on every worker, let the JIT settle.
            for _ in 0..<2000 { _ = try await p.simulate(request, signTokens: sign) }
            let before = runtime.statistics
            let rate = try await throughput(concurrency: concurrency, seconds: seconds) {
                let r = try await p.simulate(request, signTokens: sign)
                guard r.outcome == .allowed else { throw CommandFailure("bench flow was \(r.outcome.rawValue): \(r.error?.description ?? "")") }
            }
            lastJobCost = JobCost(before, runtime.statistics)
            return rate
        }

        // A copy of the tenant without rules: the fixed cost of a flow.
        let empty = scratch + "/empty-tenant"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        for item in ["tenant.json", "clients", "resource-servers", "database-connections", "geoip.json", "rules-configs"] {
            let src = (tenant as NSString).appendingPathComponent(item)
            if FileManager.default.fileExists(atPath: src) { try FileManager.default.copyItem(atPath: src, toPath: empty + "/" + item) }
        }

        if runs("flow") {
            // The runtime alone: a job that returns its input, to separate dispatch from pipeline work.
            let echo = ScriptProgram(id: "bench-echo", files: [ScriptFile(name: "echo.js", source: "function echo(s) { return s; }")])
            let echoRuntime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
            let echoInput = String(repeating: "x", count: 2000)
            for _ in 0..<2000 { _ = try await echoRuntime.run(ScriptJob(program: echo, entry: "echo", input: echoInput)) }
            let echoBefore = echoRuntime.statistics
            let echoRate = try await throughput(concurrency: 2, seconds: seconds) {
                _ = try await echoRuntime.run(ScriptJob(program: echo, entry: "echo", input: echoInput))
            }
            let echoCost = JobCost(echoBefore, echoRuntime.statistics)
            echoRuntime.shutdown()
            print("")
            print("Runtime job round trip (2 KB string in and out, 1 worker): \(fmt(echoRate)) jobs/s (\(fmt(1e6 / echoRate)) µs each)")
            print("  worker time per job \(fmt(echoCost.worker)) µs, of which putting the shared built-ins back \(fmt(echoCost.putBack)) µs")
            benchFigures.add("echo job, worker time per job", echoCost.worker, "µs")
            benchFigures.add("echo job, put-back per job", echoCost.putBack, "µs")

            let oneWorker = try await measure(workers: 1, concurrency: 2, sign: false, tenantDir: tenant)
            let flowCost = lastJobCost
            let noRules = try await measure(workers: 1, concurrency: 2, sign: false, tenantDir: empty)
            let allWorkers = try await measure(workers: cores, concurrency: cores * 2, sign: false, tenantDir: tenant)
            print("")
            print("Pipeline without signing (inline user, \(ruleCount) rules):")
            print("  1 worker:              \(fmt(oneWorker)) executions/s  (\(fmt(1e6 / oneWorker)) µs each)")
            // (A tenant without rules runs no job in this flow.)
            if let flowCost, flowCost.jobs > 0 {
                print("    the worker's time per job: \(fmt(flowCost.worker)) µs, of which putting the shared built-ins back \(fmt(flowCost.putBack)) µs")
                benchFigures.add("pipeline, 1 worker, \(ruleCount) rules: worker time per job", flowCost.worker, "µs")
                benchFigures.add("pipeline, 1 worker, \(ruleCount) rules: put-back per job", flowCost.putBack, "µs")
            }
            print("  \(cores) workers:             \(fmt(allWorkers)) executions/s  (\(fmt(allWorkers / Double(cores))) per worker)")
            print("  same flow, no rules:   \(fmt(noRules)) executions/s  (\(fmt(1e6 / noRules)) µs each)")
            if ruleCount > 0 {
                print("  per rule:              \(fmt((1e6 / oneWorker - 1e6 / noRules) / Double(ruleCount))) µs")
                benchFigures.add("per-rule overhead", (1e6 / oneWorker - 1e6 / noRules) / Double(ruleCount), "µs")
            }
            benchFigures.add("pipeline, 1 worker, \(ruleCount) rules, no signing", oneWorker, "/s")
            benchFigures.add("pipeline, \(cores) workers, \(ruleCount) rules, no signing", allWorkers, "/s")
            benchFigures.add("pipeline, 1 worker, no rules", noRules, "/s")
            nodeComparison(profile: profile, authsimRate: oneWorker, scratch: scratch)
            // The same flow with the tenant's post-login actions instead of its rules (e.g. the ports).
            let actionNames = tenantModel.actions.filter { $0.supportedTriggers.contains("post-login") }.map(\.name)
            if !actionNames.isEmpty {
                var withActions = request
                withActions.rules = []
                withActions.actions = actionNames
                let actionsRate = try await measure(workers: 1, concurrency: 2, sign: false, tenantDir: tenant, request: withActions)
                print("  \(actionNames.count) actions, no rules:  \(fmt(actionsRate)) executions/s  (\(fmt(1e6 / actionsRate)) µs each, \(fmt((1e6 / actionsRate - 1e6 / noRules) / Double(actionNames.count))) µs per action)")
            }

            // The RS256 bound: signing two tokens, nothing else, on all cores.
            let signBound = try await signingBound(setup.issuer.keys)
            let signed = try await measure(workers: cores, concurrency: cores * 2, sign: true, tenantDir: tenant)
            print("")
            print("With RS256 signing of ID and access token:")
            print("  signing bound (2 signatures, \(cores) cores): \(fmt(signBound)) pairs/s")
            print("  pipeline with signing (\(cores) workers):     \(fmt(signed)) executions/s  (\(fmt(signBound / signed)) × the bound's time)")
            benchFigures.add("RS256 signing bound (2 signatures)", signBound, "/s")
            benchFigures.add("pipeline with RS256 signing, \(cores) workers", signed, "/s")
        }
        if runs("http") || runs("simulations") { try await httpFigures(scratch: scratch) }
        if runs("cold") {
            // Cold processes.
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
            let coldStore = scratch + "/cold.sqlite"
            var times: [Double] = []
            for i in 0...coldRuns {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: binary)
                p.arguments = ["simulate", "--tenant", tenant, "--store", coldStore, "--user", user, "--json"]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                let t0 = Date()
                try p.run()
                p.waitUntilExit()
                let dt = Date().timeIntervalSince(t0)
                guard p.terminationStatus == 0 else { throw CommandFailure("cold simulate exited \(p.terminationStatus)") }
                if i > 0 { times.append(dt * 1000) }  // the first run creates the store and the key
            }
            times.sort()
            print("")
            print("Cold `authsim simulate --json` process (existing store, \(coldRuns) runs):")
            print("  median \(fmt(times[times.count / 2])) ms, min \(fmt(times.first!)) ms, max \(fmt(times.last!)) ms")
            benchFigures.add("cold `authsim simulate` process (median)", times[times.count / 2], "ms")

        }

        if runs("database"), let postgres { try await databaseFigures(postgres: postgres, scratch: scratch) }
        if runs("memory") { try await memoryFigures(request: request, scratch: scratch) }
        if users > 0 && runs("scale") {
            try await scaleFigures(store: try SQLiteUserStore(path: scratch + "/scale.sqlite"), label: "SQLite", count: users)
            if let postgres {
                let schema = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
                try await scaleFigures(
                    store: try await StoreLocation.open(postgres + (postgres.contains("?") ? "&" : "?") + "schema=" + schema), label: "PostgreSQL", count: users)
            }
        }

        print("")
        print("Summary")
        let width = min(72, benchFigures.all.map(\.name.count).max() ?? 40)
        for row in benchFigures.all {
            print("  \(row.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(fmt(row.value).leftPad(9)) \(row.unit)")
        }
        if let json {
            let doc: JSONValue = ["tenant": .string(tenantModel.name), "cores": .number(Double(cores)), "seconds": .number(seconds), "figures": benchFigures.json]
            guard FileManager.default.createFile(atPath: json, contents: Data(doc.serialized(pretty: true).utf8)) else { throw CommandFailure("cannot write \(json)") }
            print("Figures written to \(json)")
        }
    }

    /// The scratch directory goes once the figures are printed. The pipelines' stores may still
    /// be closing then (the HTTP daemon's is released as its connections close), and a removal
    /// that meets a file a closing store removes or writes fails half-way: it is tried again
    /// for a few seconds, and a directory that stays is named rather than left silently.
    static func removeScratch(_ path: String) {
        for _ in 0..<50 {
            do {
                try FileManager.default.removeItem(atPath: path)
                return
            } catch {
                if !FileManager.default.fileExists(atPath: path) { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        FileHandle.standardError.write(Data("authsim bench: could not remove its scratch directory \(path)\n".utf8))
    }

    /// The daemon in-process on a free loopback port, driven over HTTP by 8 concurrent clients.
    func httpFigures(scratch: String) async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let reservation = try FreePort.reserve(host: "127.0.0.1")
        let port = reservation.port
        let base = "http://127.0.0.1:\(port)"
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: cores))
        let pipeline = try await LoginPipeline.open(tenantDirectory: tenant, storePath: scratch + "/http.sqlite", runtime: runtime, issuer: base + "/")
        let token = try pipeline.localManagementToken(scopes: ManagementService.allScopes)
        let server = AuthsimServer(pipeline: pipeline, configuration: ServerConfiguration(host: "127.0.0.1", port: port))
        let listener = try await LocalListener.start(server, reservation: reservation)
        let app = "client_id=sampleAppClientId00000000000000&client_secret=sample-app-client-secret-change-me"
        let m2m = "client_id=sampleManagementClientId0000000&client_secret=sample-management-secret-change-me"
        let login = try await post(base + "/oauth/token", "grant_type=password&username=ann%40example.com&password=Passw0rd%21&scope=openid&" + app)
        let accessToken = (try? JSONValue.parse(login))?["access_token"]?.stringValue ?? ""

        let daemon = BenchDaemon(port: port, pipeline: pipeline, managementToken: token, userAccessToken: accessToken, app: app, m2m: m2m)
        if runs("http") { try await endpointFigures(daemon) }
        if runs("simulations") { try await simulationFigures(daemon) }
        runtime.shutdown()
        if runs("http") { try await scriptEnvironmentFigures(base: base) }
        await listener.stop()
    }

    /// What the in-process daemon of `httpFigures` gives the HTTP figures.
    struct BenchDaemon {
        var port: Int
        var pipeline: LoginPipeline
        var managementToken: String
        var userAccessToken: String
        /// Form credentials of the sample tenant's app and machine-to-machine clients.
        var app: String
        var m2m: String
    }

    /// Endpoints at 8 keep-alive connections, and password-realm logins against the bcrypt bound.
    func endpointFigures(_ daemon: BenchDaemon) async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let cases = [
            LoadRequest(name: "GET /healthz", path: "/healthz"),
            LoadRequest(name: "GET /.well-known/jwks.json", path: "/.well-known/jwks.json"),
            LoadRequest(name: "POST /oauth/token client_credentials", method: "POST", path: "/oauth/token", body: "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.com&" + daemon.m2m),
            LoadRequest(name: "GET /userinfo", path: "/userinfo", bearer: daemon.userAccessToken),
            LoadRequest(name: "POST /api/authsim/simulate (5 rules, 2 signatures)", method: "POST", path: "/api/authsim/simulate", body: #"{"user": "bob@example.com"}"#, contentType: "application/json", bearer: daemon.managementToken),
            LoadRequest(name: "GET /api/v2/users?q=… (4 users)", path: "/api/v2/users?q=email.domain%3Aexample.com", bearer: daemon.managementToken),
        ]
        print("")
        print("HTTP over loopback (in-process daemon, \(cores) workers, 8 keep-alive connections):")
        for c in cases {
            let (rate, p50, p99, _) = try await load(c, port: daemon.port, clients: 8, seconds: min(seconds, 3))
            print("  \(c.name.padding(toLength: 52, withPad: " ", startingAt: 0)) \(fmt(rate).leftPad(7)) req/s   p50 \(fmt(p50)) ms   p99 \(fmt(p99)) ms")
            benchFigures.add("HTTP \(c.name), 8 clients", rate, "req/s")
        }
        // Password-realm logins against the bcrypt bound: cost-10 verifications on every core and
        // nothing else is as fast as password logins can possibly go.
        let hash = try PasswordHasher.hash("Passw0rd!")
        let bcryptBound = try await throughput(concurrency: cores, seconds: min(seconds, 3)) {
            guard PasswordHasher.verify("Passw0rd!", hash: hash) else { throw CommandFailure("bcrypt did not verify") }
        }
        let realm = LoadRequest(
            name: "password-realm", method: "POST", path: "/oauth/token",
            body: "grant_type=http%3A%2F%2Fauth0.com%2Foauth%2Fgrant-type%2Fpassword-realm&realm=Username-Password-Authentication&username=ann%40example.com&password=Passw0rd%21&scope=openid&" + daemon.app)
        let (realmRate, realmP50, realmP99, _) = try await load(realm, port: daemon.port, clients: 8, seconds: min(seconds, 3))
        print("")
        print("Password-realm logins (POST /oauth/token, bcrypt cost 10, 8 clients): \(fmt(realmRate)) logins/s   p50 \(fmt(realmP50)) ms   p99 \(fmt(realmP99)) ms")
        print("  bcrypt bound (verifications alone, \(cores) cores): \(fmt(bcryptBound))/s → logins reach \(fmt(realmRate / bcryptBound * 100)) % of it")
        benchFigures.add("bcrypt bound (cost 10, \(cores) cores)", bcryptBound, "/s")
        benchFigures.add("HTTP password-realm logins, 8 clients", realmRate, "/s")
        benchFigures.add("password-realm logins / bcrypt bound", realmRate / bcryptBound * 100, "%")
    }

    /// Simulations over HTTP at 1, 16 and 64 connections against the RS256 bound.
    func simulationFigures(_ daemon: BenchDaemon) async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // Simulations over HTTP at 1, 16 and 64 connections, against the RS256 bound (each
        // simulation signs an ID and an access token).
        let signBound = try await signingBound(daemon.pipeline.issuer.keys)
        let simulate = LoadRequest(name: "simulate", method: "POST", path: "/api/authsim/simulate", body: #"{"user": "bob@example.com"}"#, contentType: "application/json", bearer: daemon.managementToken)
        print("")
        print("POST /api/authsim/simulate by concurrent connections (RS256 bound \(fmt(signBound)) pairs/s on \(cores) cores):")
        // The bound's CPU time per simulation, to set the process's against: what a simulation
        // costs beyond its two signatures.
        let signingCPU = Double(cores) / signBound * 1e6
        for connections in [1, 16, 64] {
            let (rate, p50, p99, cpu) = try await load(simulate, port: daemon.port, clients: connections, seconds: seconds)
            print("  \(String(connections).leftPad(2)) connection(s): \(fmt(rate).leftPad(7)) simulations/s (\(fmt(rate / signBound * 100)) % of the bound)   p50 \(fmt(p50)) ms   p99 \(fmt(p99)) ms (\(fmt(p99 / p50)) × p50)")
            print("      CPU per simulation (daemon and load client): \(fmt(cpu)) µs, of which the two signatures \(fmt(signingCPU)) µs")
            benchFigures.add("HTTP simulations, \(connections) connection(s), CPU per simulation", cpu, "µs")
            benchFigures.add("HTTP simulations, \(connections) connection(s)", rate, "/s")
            benchFigures.add("HTTP simulations, \(connections) connection(s), % of the RS256 bound", rate / signBound * 100, "%")
            benchFigures.add("HTTP simulations, \(connections) connection(s), p50", p50, "ms")
            benchFigures.add("HTTP simulations, \(connections) connection(s), p99", p99, "ms")
            benchFigures.add("HTTP simulations, \(connections) connection(s), p99 / p50", p99 / p50, "×")
        }
    }

    /// RS256 signatures of two small tokens on every core, nothing else: how fast a flow that
    /// signs an ID and an access token could possibly go.
    func signingBound(_ keys: SigningKeys) async throws -> Double {
        let claims: JSONValue = ["sub": "auth0|bench", "aud": "bench", "iat": 1_700_000_000, "https://example.com/roles": ["admin"]]
        return try await throughput(concurrency: ProcessInfo.processInfo.activeProcessorCount, seconds: seconds) {
            _ = try JWT.signRS256(claims: claims, key: keys.current)
            _ = try JWT.signRS256(claims: claims, key: keys.current)
        }
    }

    /// `clients` loops running `op` for `seconds`: operations/s, p50 and p99 (ms).
    func latencies(clients: Int, seconds: Double, _ op: @escaping @Sendable () async throws -> Void) async throws -> (rate: Double, p50: Double, p99: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        let started = Date()
        let latencies: [Double] = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var l: [Double] = []
                    while Date() < deadline {
                        let t0 = Date()
                        try await op()
                        l.append(Date().timeIntervalSince(t0) * 1000)
                    }
                    return l
                }
            }
            return try await group.reduce([], +)
        }.sorted()
        guard !latencies.isEmpty else { throw CommandFailure("no operation finished within \(seconds) s") }
        let rate = Double(latencies.count) / Date().timeIntervalSince(started)
        return (rate, latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
    }

    func post(_ url: String, _ body: String) async throws -> String {
        var r = HTTPClientRequest(url: url)
        r.method = .POST
        r.body = .bytes(ByteBuffer(string: body))
        r.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let response = try await HTTPClient.shared.execute(r, timeout: .seconds(60))
        return String(buffer: try await response.body.collect(upTo: 16 << 20))
    }

    /// Operations per second of `op`, run by `concurrency` tasks until `seconds` have passed.
    func throughput(concurrency: Int, seconds: Double, _ op: @escaping @Sendable () async throws -> Void) async throws -> Double {
        let deadline = Date().addingTimeInterval(seconds)
        let start = Date()
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var n = 0
                    while Date() < deadline {
                        try await op()
                        n += 1
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(count) / Date().timeIntervalSince(start)
    }

    func fmt(_ v: Double) -> String {
        if v >= 100 { return String(Int(v.rounded())) }
        return String((v * 10).rounded() / 10)
    }
}

