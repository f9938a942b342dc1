import Directory
import Foundation
import PostgresNIO
import PostgresStore
import Testing

/// The PostgreSQL store reports when the server cannot keep writes (as the SQLite store does
/// for its file and disk), against the real cluster `make test` starts: a database made
/// read-only, and every connection dropped by the server, are storage problems (the daemon
/// answers 503 for them); the store recovers by itself when the server does.
@Suite struct PostgresHealthTests {
    /// Runs `sql` as the cluster's administrator.
    static func admin(_ url: String, _ sql: String) async throws {
        guard let c = URLComponents(string: url), let host = c.host else { throw StoreTestError("bad AUTHSIM_TEST_POSTGRES") }
        let configuration = PostgresClient.Configuration(
            host: host, port: c.port ?? 5432, username: c.user ?? "postgres", password: c.password, database: "postgres", tls: .disable)
        let client = PostgresClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: sql))
        }
    }

    /// Writes `user` until it is kept or `attempts` are spent (the first write after the server
    /// dropped the pool's connections may meet a dead connection); each failure is returned.
    static func insert(_ store: any DataStore, _ u: UserProfile, attempts: Int) async -> [String] {
        var failures: [String] = []
        for _ in 0..<attempts {
            do {
                try await store.insert(u)
                return failures
            } catch {
                failures.append(String(describing: error))
            }
        }
        return failures
    }

    @Test func aReadOnlyDatabaseIsAStorageProblemUntilItIsWritableAgain() async throws {
        guard let url = ProcessInfo.processInfo.environment["AUTHSIM_TEST_POSTGRES"] else {
            throw StoreTestError("AUTHSIM_TEST_POSTGRES is not set: run `make test` (it starts a PostgreSQL cluster), or point it at a database")
        }
        // A database of its own: it is made read-only, which no other test may see.
        let database = "health_" + UUID().uuidString.lowercased().filter(\.isLetter).prefix(16)
        try await Self.admin(url, "CREATE DATABASE \(database)")
        var c = try #require(URLComponents(string: url))
        c.path = "/" + database
        let store = try await StoreLocation.open(try #require(c.string))
        let dropAll = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()"
        do {
            try await store.insert(user("auth0|before", email: "before@example.com"))
            #expect(store.storageProblem() == nil)
            let failuresBefore = store.failedWrites().count

            // Read-only from the next connection on; the server drops the pool's connections.
            try await Self.admin(url, "ALTER DATABASE \(database) SET default_transaction_read_only = on")
            try await Self.admin(url, dropAll)
            let refused = await Self.insert(store, user("auth0|during", email: "during@example.com"), attempts: 5)
            #expect(refused.count == 5, "a write was kept by a read-only database")
            let problem = try #require(store.storageProblem(), "no storage problem reported")
            #expect(problem.description.contains("read-only"), "\(problem)")
            #expect(!problem.lasting)
            #expect(store.failedWrites().count >= failuresBefore + 5, "each refusal counts: \(refused)")
            #expect(try await store.user(id: "auth0|during") == nil)
            #expect(store.storageProblem() != nil, "a read that succeeds proves nothing about writes")

            // Writable again: the next write is kept and the problem is gone.
            try await Self.admin(url, "ALTER DATABASE \(database) SET default_transaction_read_only = off")
            try await Self.admin(url, dropAll)
            let failuresAfter = await Self.insert(store, user("auth0|after", email: "after@example.com"), attempts: 5)
            #expect(failuresAfter.count < 5, "\(failuresAfter)")
            #expect(store.storageProblem() == nil)
            #expect(try await store.user(id: "auth0|after") != nil)
            let counted = store.failedWrites().count
            await #expect(throws: (any Error).self) { try await store.insert(user("auth0|after", email: "after@example.com")) }
            #expect(store.failedWrites().count == counted, "a duplicate user is the request's error, not the store's")
            #expect(store.storageProblem() == nil)
        } catch {
            try? await Self.admin(url, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
            throw error
        }
        try await Self.admin(url, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
    }
}
