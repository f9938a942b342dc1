/// The tenant log and the logins' traces.
public protocol ActivityStore: Sendable {
    /// Keeps a login's trace (the simulation result JSON) under an id tokens refer to.
    func saveTrace(id: String, userId: String?, clientId: String, createdAt: Double, json: String) async throws
    func trace(id: String) async throws -> String?

    /// Appends to the tenant log, keeping at most `capacity` events (oldest dropped first).
    func appendLog(_ event: TenantLogEvent, capacity: Int) async throws
    /// Log events and traces of one or more logins in one write (one transaction where the
    /// store has them): the daemon batches what concurrent logins record.
    func appendRecords(_ records: [LoginRecord], logCapacity: Int) async throws
    /// Newest first; only a user's events when `userId` is given.
    func logs(userId: String?, offset: Int, limit: Int) async throws -> (events: [TenantLogEvent], total: Int)

    /// Deletes traces created before `olderThan` (seconds since 1970), then all but the newest
    /// `keepAtMost`; returns how many went. Indexed by creation time: cheap when there is
    /// nothing to delete, so the daemon can run it often.
    func pruneTraces(olderThan: Double, keepAtMost: Int) async throws -> Int
    /// Deletes log events dated before `olderThan`, then all but the newest `keepAtMost`;
    /// returns how many went.
    func pruneLogs(olderThan: Double, keepAtMost: Int) async throws -> Int
}

/// What a login leaves in the store besides the user: a tenant log event or a trace.
public enum LoginRecord: Sendable {
    case log(TenantLogEvent)
    case trace(id: String, userId: String?, clientId: String, createdAt: Double, json: String)
}

extension ActivityStore {
    /// One by one, for stores without a cheaper batch.
    public func appendRecords(_ records: [LoginRecord], logCapacity: Int) async throws {
        for record in records {
            switch record {
            case .log(let event): try await appendLog(event, capacity: logCapacity)
            case .trace(let id, let userId, let clientId, let createdAt, let json):
                try await saveTrace(id: id, userId: userId, clientId: clientId, createdAt: createdAt, json: json)
            }
        }
    }
}
