import Foundation
import JSONCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` of the daemon in the middle of 2,000 concurrent metadata PATCHes and logins: after
/// a restart on the same store every acknowledged write is there and the store is sound.
@Suite(.serialized) struct CrashConsistencyTests {
    /// Kill/restart cycles on one store: 1 in `make test`, AUTHSIM_SOAK_ROUNDS under `make soak`
    /// (every cycle must keep the writes acknowledged in all the cycles before it).
    static var cycles: Int { ProcessInfo.processInfo.environment["AUTHSIM_SOAK_ROUNDS"].flatMap(Int.init) ?? 1 }

    @Test(arguments: ["sqlite", "postgres"])
    func acknowledgedWritesSurviveKillNine(_ kind: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-crash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store: String
        if kind == "postgres" {
            guard let base = ProcessInfo.processInfo.environment["AUTHSIM_TEST_POSTGRES"] else {
                Issue.record("AUTHSIM_TEST_POSTGRES is not set: run `make test` (it starts a PostgreSQL cluster)")
                return
            }
            store = base + (base.contains("?") ? "&" : "?") + "schema=crash_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        } else {
            store = dir + "/authsim.sqlite"
        }
        let users = ["auth0%7C5f7c8ec7c33c6c004bbafe82", "auth0%7C5f7c8ec7c33c6c004bbafe83"]
        let acknowledged = Acknowledged()
        var operations = 0
        for cycle in 0..<Self.cycles {
            let d = try await Daemon.start(store: store)
            let oauth = OAuthTests()
            let killed = Acknowledged()
            let before = acknowledged.count
            try await withThrowingTaskGroup(of: Void.self) { group in
                // 64 clients share 2,000 operations: every other one a PATCH with a key of its own.
                let next = Acknowledged()
                for _ in 0..<64 {
                    group.addTask {
                        while true {
                            let i = next.take()
                            if i >= 2000 { return }
                            if i % 2 == 0 {
                                let key = "w\(cycle)_\(i)"
                                let user = users[(i / 2) % 2]
                                guard let (status, _) = try? await d.request("api/v2/users/\(user)", method: "PATCH", body: Data(#"{"user_metadata": {"\#(key)": \#(i)}}"#.utf8), token: d.token) else { continue }
                                if status == 200 { acknowledged.add(user + " " + key) }
                            } else {
                                _ = try? await oauth.passwordGrant(d, user: i % 4 == 1 ? "ann@example.com" : "bob@example.com", scope: "openid")
                            }
                        }
                    }
                }
                // The crash, once a good part of the writes is acknowledged.
                group.addTask {
                    while acknowledged.count < before + 300 { try await Task.sleep(for: .milliseconds(5)) }
                    kill(d.process.processIdentifier, SIGKILL)
                    killed.add("yes")
                }
                try await group.waitForAll()
            }
            operations += 2000
            d.process.waitUntilExit()
            #expect(killed.count == 1)
            #expect(d.process.terminationReason == .uncaughtSignal, "the daemon was killed, not stopped")
            #expect(acknowledged.count - before >= 300)
            let integrity = try integrityCheck(kind, store)
            #expect(integrity == "ok", "\(integrity)")

            // Every acknowledged key, of this cycle and the ones before, through a restarted daemon.
            let again = try await Daemon.start(store: store)
            defer { again.terminate() }
            var present: Set<String> = []
            for user in users {
                let (status, profile) = try await again.request("api/v2/users/\(user)", token: again.token)
                #expect(status == 200)
                for key in (profile["user_metadata"]?.objectValue ?? [:]).keys where key.hasPrefix("w") { present.insert(user + " " + key) }
            }
            let missing = acknowledged.items.filter { !present.contains($0) }
            #expect(missing.isEmpty, "\(missing.count) acknowledged writes were lost, e.g. \(missing.prefix(3))")
            #expect(await again.stop() == 0)
        }
        print("crash consistency (\(kind)): \(Self.cycles) kill -9 cycles, \(operations) operations sent, \(acknowledged.count) writes acknowledged and verified")
    }

    /// SQLite's `PRAGMA integrity_check`; on PostgreSQL, `pg_amcheck` over the store's schema
    /// (indexes and heap), which prints nothing when all is well.
    func integrityCheck(_ kind: String, _ store: String) throws -> String {
        let check = Process()
        if kind == "postgres" {
            let url = String(store[..<(store.range(of: "?schema=") ?? store.range(of: "&schema="))!.lowerBound])
            let schema = String(store[store.range(of: "schema=")!.upperBound...])
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
            let bin = versions.compactMap(Int.init).max().map { "/usr/lib/postgresql/\($0)/bin/pg_amcheck" } ?? "/usr/bin/pg_amcheck"
            check.executableURL = URL(fileURLWithPath: bin)
            let c = URLComponents(string: url)
            check.arguments = [
                "--install-missing", "--heapallindexed", "--schema", schema, "-h", c?.host ?? "127.0.0.1", "-p", String(c?.port ?? 5432),
                "-U", c?.user ?? "postgres", String((c?.path ?? "/postgres").dropFirst()),
            ]
        } else {
            check.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            check.arguments = [store, "PRAGMA integrity_check;"]
        }
        let out = Pipe()
        check.standardOutput = out
        check.standardError = out
        try check.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        check.waitUntilExit()
        if kind == "postgres" {
            // Corruption is reported as lines of its own; NOTICEs (e.g. amcheck already installed) are not.
            let findings = text.split(separator: "\n").filter { !$0.hasPrefix("NOTICE:") }
            return check.terminationStatus == 0 && findings.isEmpty ? "ok" : "pg_amcheck exit \(check.terminationStatus): \(text)"
        }
        return text
    }
}

/// A thread-safe counter and list for the crash test's clients.
final class Acknowledged: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    private var counter = 0
    func add(_ s: String) { lock.withLock { list.append(s) } }
    var items: [String] { lock.withLock { list } }
    var count: Int { lock.withLock { list.count } }
    func take() -> Int { lock.withLock { defer { counter += 1 }; return counter } }
}

/// A rule that loops on bare `await`s gives the JavaScriptCore watchdog nothing to stop (its
/// clock restarts at every microtask): the daemon fails that login at the deadline plus a grace
/// period, replaces the worker, and keeps serving.
@Suite(.serialized) struct StuckWorkerTests {
    @Test func anAwaitLoopCostsAWorkerNotTheDaemon() async throws {
        var f = TenantDirectory()
        f.rules["await-loop"] = "async function (user, context, callback) { if (context.request.query.stuck) { for (;;) await null; } callback(null, user, context); }"
        let tenant = try f.write(flowTimeoutSeconds: 1)
        let d = try await Daemon.start(extraArguments: ["--tenant", tenant])
        defer { d.terminate() }
        func simulate(stuck: Bool) async throws -> (Int, JSONValue) {
            try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "ann@example.com"\#(stuck ? #", "request": {"query": {"stuck": "1"}}"# : "")}"#.utf8), token: d.token)
        }
        #expect(try await simulate(stuck: false).1["outcome"] == "allowed")
        let started = Date()
        let (status, stuck) = try await simulate(stuck: true)
        #expect(status == 200)
        #expect(stuck["outcome"] == "error")
        #expect(stuck["error"]?["error_description"]?.stringValue?.contains("time exceeded") == true)
        #expect(Date().timeIntervalSince(started) < 30)
        for _ in 0..<6 { #expect(try await simulate(stuck: false).1["outcome"] == "allowed") }
        let (_, health) = try await d.request("healthz")
        #expect(health["lostWorkers"] == 1)
        #expect(await d.stop() == 0)
    }
}

/// A minimal tenant directory: the sample tenant's clients and users with the given rules.
struct TenantDirectory {
    var rules: [String: String] = [:]

    func write(flowTimeoutSeconds: Int) throws -> String {
        let dir = try sampleTenantCopy()
        let fm = FileManager.default
        try fm.removeItem(atPath: dir + "/rules")
        try fm.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        try fm.removeItem(atPath: dir + "/triggers")
        for (name, source) in rules { try source.write(toFile: dir + "/rules/\(name).js", atomically: true, encoding: .utf8) }
        try #"{"friendly_name": "stuck", "default_audience": "https://api.example.com", "authsim": {"domain": "stuck.authsim.local", "flow_timeout_seconds": \#(flowTimeoutSeconds)}}"#
            .write(toFile: dir + "/tenant.json", atomically: true, encoding: .utf8)
        return dir
    }
}
