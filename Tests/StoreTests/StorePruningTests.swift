import Foundation
import JSONCore
import PostgresNIO
import Testing

@testable import Directory
@testable import PostgresStore

/// Traces and log events are pruned by age, then by count, on every store. Times are passed in:
/// nothing here waits or depends on the clock.
@Suite struct StorePruningTests {
    func saveTraces(_ store: any DataStore, _ times: ClosedRange<Int>) async throws {
        for t in times {
            try await store.saveTrace(id: "t\(t)", userId: "auth0|x", clientId: "c", createdAt: Double(t), json: #"{"n":\#(t)}"#)
        }
    }

    func kept(_ store: any DataStore, _ times: ClosedRange<Int>) async throws -> [Int] {
        var out: [Int] = []
        for t in times where try await store.trace(id: "t\(t)") != nil { out.append(t) }
        return out
    }

    @Test(arguments: Backend.allCases) func tracesGoByAgeThenByCount(_ backend: Backend) async throws {
        let store = try await backend.open()
        try await saveTraces(store, 100...109)

        // Older than 103: 100, 101, 102 go; 103 itself stays.
        #expect(try await store.pruneTraces(olderThan: 103, keepAtMost: 1000) == 3)
        #expect(try await kept(store, 100...109) == Array(103...109))
        // Nothing left to delete is no error and deletes nothing.
        #expect(try await store.pruneTraces(olderThan: 103, keepAtMost: 7) == 0)

        // The count bound keeps the newest.
        #expect(try await store.pruneTraces(olderThan: 0, keepAtMost: 4) == 3)
        #expect(try await kept(store, 100...109) == [106, 107, 108, 109])

        // Both bounds in one call: the age bound first, then the count.
        try await saveTraces(store, 110...112)
        #expect(try await store.pruneTraces(olderThan: 107, keepAtMost: 3) == 4)
        #expect(try await kept(store, 100...112) == [110, 111, 112])

        #expect(try await store.pruneTraces(olderThan: 0, keepAtMost: 0) == 3)
        #expect(try await kept(store, 100...112) == [])
    }

    @Test(arguments: Backend.allCases) func logEventsGoByTheirDateThenByCount(_ backend: Backend) async throws {
        let store = try await backend.open()
        // Dated out of insertion order: the age bound follows the event's date, not its position.
        let dates = [1000.0, 1003, 1001, 1005, 1002, 1004, 1006, 1007]
        for d in dates {
            try await store.appendLog(TenantLogEvent(type: "s", description: "at \(Int(d))", date: d), capacity: 1000)
        }
        #expect(try await store.pruneLogs(olderThan: 1003, keepAtMost: 1000) == 3)
        let (left, total) = try await store.logs(userId: nil, offset: 0, limit: 100)
        #expect(total == 5)
        #expect(Set(left.map(\.date)) == [1003, 1004, 1005, 1006, 1007])

        // The count bound keeps the newest written (the log's own order).
        #expect(try await store.pruneLogs(olderThan: 0, keepAtMost: 2) == 3)
        #expect(try await store.logs(userId: nil, offset: 0, limit: 100).events.map(\.description) == ["at 1007", "at 1006"])
        #expect(try await store.pruneLogs(olderThan: 0, keepAtMost: 2) == 0)
    }

    /// A store made before log events had their own time column gets it from their JSON date.
    @Test(arguments: Backend.allCases) func theMigrationDatesExistingLogEvents(_ backend: Backend) async throws {
        let name = UUID().uuidString
        var store = try await backend.open(name)
        let old = Timestamp.parse("2026-01-01T00:00:00.000Z")!
        // A NUL and a lookalike date in a string must not confuse reading the date.
        try await store.appendLog(TenantLogEvent(type: "s", description: "old \u{0} \"date\":\"2027-01-01T00:00:00.000Z\"", date: old), capacity: 1000)
        try await store.appendLog(TenantLogEvent(type: "s", description: "new", date: old + 30 * 86400), capacity: 1000)
        try await store.saveTrace(id: "t", userId: nil, clientId: "c", createdAt: old, json: "{}")

        // Back to the schema before the migration: no time column, no indexes, not applied.
        switch backend {
        case .sqlite:
            let sqlite = try #require(store as? SQLiteUserStore)
            try await sqlite.pool.write { db in
                try db.execute(
                    sql: """
                        DROP INDEX logs_created; DROP INDEX traces_created; ALTER TABLE logs DROP COLUMN created_at;
                        DELETE FROM grdb_migrations WHERE identifier = 'v8-prune-by-age';
                        """)
            }
        case .postgres:
            let pg = try #require(store as? PostgresUserStore)
            for sql in [
                "DROP INDEX logs_created", "DROP INDEX traces_created", "ALTER TABLE logs DROP COLUMN created_at",
                "DELETE FROM authsim_schema WHERE version = 6",
            ] {
                try await pg.client.query(PostgresQuery(unsafeSQL: sql), logger: pg.logger)
            }
        }
        store = try await backend.open(name)

        // The old event is dated from its JSON: it goes by age, the newer one stays.
        #expect(try await store.pruneLogs(olderThan: old + 86400, keepAtMost: 1000) == 1)
        #expect(try await store.logs(userId: nil, offset: 0, limit: 10).events.map(\.description) == ["new"])
        #expect(try await store.pruneTraces(olderThan: old + 1, keepAtMost: 1000) == 1)
    }
}
