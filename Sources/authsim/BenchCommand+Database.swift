import Foundation
import JSONCore
import LoginEngine
import ScriptRuntime

extension Bench {
    /// "Your own database" through the real driver: `examples/postgres-users` (Auth0's PostgreSQL
    /// templates) on a database made for the run in the given cluster, one user signed up
    /// through `create`, then password logins (`login.js`: `pg`'s protocol over the runtime's
    /// sockets, one query, bcrypt cost 10) at `2 × cores` concurrency: logins/s, p50, p99.
    func databaseFigures(postgres: String, scratch: String) async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let example = URL(fileURLWithPath: tenant).appendingPathComponent("examples/postgres-users").path
        guard FileManager.default.fileExists(atPath: example + "/tenant.json") else {
            print("\n(no examples/postgres-users beside the tenant: the custom-database figure is skipped)")
            return
        }
        let name = "bench_db_" + UUID().uuidString.prefix(8).lowercased()
        try psql(postgres, "CREATE DATABASE \(name)")
        let url = postgres.replacingOccurrences(of: #"/[^/?]*(\?.*)?$"#, with: "/" + name, options: .regularExpression)
        try psql(url, try String(contentsOfFile: example + "/schema.sql", encoding: .utf8))
        let dir = scratch + "/postgres-users"
        try FileManager.default.copyItem(atPath: example, toPath: dir)
        let config = dir + "/database-connections/postgres-users/database.json"
        try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: #""POSTGRES_URL": "[^"]*""#, with: "\"POSTGRES_URL\": \"\(url)\"", options: .regularExpression)
            .write(toFile: config, atomically: true, encoding: .utf8)

        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: cores))
        let pipeline = try await LoginPipeline.open(tenantDirectory: dir, storePath: scratch + "/postgres-users.sqlite", runtime: runtime)
        do {
            _ = try await pipeline.signup(
                clientId: "pgExampleAppClientId0000000000", connection: "postgres-users", email: "bench@example.com", password: "Passw0rd!", ip: nil, userAgent: nil)
        } catch { throw CommandFailure("sign-up through create.js failed: \(error)") }
        var r0 = SimulationRequest(user: .stored("bench@example.com"))
        r0.connection = "postgres-users"
        let request = r0
        let first = try await pipeline.login(username: "bench@example.com", password: "Passw0rd!", request: request)
        guard first.outcome == .allowed else { throw CommandFailure("custom-database login failed: \(first.error?.description ?? "")") }

        let (rate, p50, p99) = try await latencies(clients: cores * 2, seconds: seconds) {
            let r = try await pipeline.login(username: "bench@example.com", password: "Passw0rd!", request: request)
            guard r.outcome == .allowed else { throw CommandFailure("custom-database login failed: \(r.error?.description ?? "")") }
        }
        runtime.shutdown()
        print("")
        print("Custom-database logins (Auth0's PostgreSQL login template, pg over the runtime's sockets, bcrypt cost 10, \(cores * 2) concurrent):")
        print("  \(fmt(rate)) logins/s   p50 \(fmt(p50)) ms   p99 \(fmt(p99)) ms")
        benchFigures.add("custom-database logins (PostgreSQL template)", rate, "/s")
        benchFigures.add("custom-database login p50", p50, "ms")
        benchFigures.add("custom-database login p99", p99, "ms")
    }

    private func psql(_ url: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        p.arguments = [url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CommandFailure("psql failed (\(p.terminationStatus)) on: \(sql.prefix(60))") }
    }
}
