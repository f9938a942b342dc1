import Directory
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// What the PostgreSQL store has seen of the server's health: the failures that mean writes
/// cannot be kept now (the disk full or another resource exhausted, a read-only database, the
/// server shut down or the connection lost), counted for `failedWrites` and reported by
/// `storageProblem` until a write succeeds again (a read proves nothing: a read-only or full
/// database still answers them). The daemon answers 503 for a request
/// during which one happened (as for the SQLite store's full disk), never a success it did
/// not keep.
final class PostgresHealth: Sendable {
    struct State {
        var count = 0
        var last: String?
        var current: String?
    }
    let state = Mutex(State())

    func succeeded() {
        state.withLock { if $0.current != nil { $0.current = nil } }
    }

    func failed(_ error: any Error) {
        guard let problem = Self.problem(error) else { return }
        state.withLock {
            $0.count += 1
            $0.last = problem
            $0.current = problem
        }
    }

    /// The storage problem `error` means, or nil for an error of the request itself (a
    /// constraint, a missing row, bad input).
    static func problem(_ error: any Error) -> String? {
        let e = PostgresUserStore.unwrap(error)
        guard let p = e as? PSQLError else { return nil }
        if let state = p.serverInfo?[.sqlState] {
            let message = p.serverInfo?[.message] ?? ""
            if state.hasPrefix("53") { return "PostgreSQL is out of resources (\(state): \(message)): writes are refused until it has room" }
            if state.hasPrefix("58") { return "PostgreSQL cannot read or write its files (\(state): \(message))" }
            if state == "25006" { return "PostgreSQL refuses writes: the database is read-only (\(message))" }
            if state.hasPrefix("57P") || state.hasPrefix("08") { return "PostgreSQL shut down or dropped the connection (\(state): \(message))" }
            return nil
        }
        switch p.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return "the connection to PostgreSQL was lost (\(p.code))"
        default:
            return nil
        }
    }
}

/// The store's `PostgresClient`, with every statement's failure seen by `PostgresHealth`.
struct ObservedClient: Sendable {
    let pool: PostgresClient
    let health: PostgresHealth

    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        do {
            let rows = try await pool.query(query, logger: logger)
            if !Self.isRead(query) { health.succeeded() }
            return rows
        } catch {
            health.failed(error)
            throw error
        }
    }

    /// A statement that only reads (its success says nothing about writes).
    static func isRead(_ query: PostgresQuery) -> Bool {
        query.sql.drop(while: \.isWhitespace).prefix(6).uppercased() == "SELECT"
    }

    func withTransaction<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            let result = try await pool.withTransaction(logger: logger) { c in try await body(c) }
            health.succeeded()
            return result
        } catch {
            health.failed(error)
            throw error
        }
    }

    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            let result = try await pool.withConnection { c in try await body(c) }
            health.succeeded()
            return result
        } catch {
            health.failed(error)
            throw error
        }
    }
}
