import Directory
import Foundation
import JSONCore
import Tenant

/// What the store keeps of past logins is bounded: each trace in size (`TraceLimiter`), and
/// traces and log events in age and number (`pruneStore`, run by `StorePruner`).
extension LoginPipeline {
    /// Stores a trace document, cut to the tenant's `trace_max_bytes` when it is bigger.
    func storeTrace(id: String, userId: String?, clientId: String, document: JSONValue) async throws {
        try await records.write([traceRecord(id: id, userId: userId, clientId: clientId, document: document).record], logCapacity: tenant.settings.logCapacity)
    }

    /// A trace document as the store keeps it: cut to the tenant's `trace_max_bytes`; and the
    /// document's whole text when it did not have to be cut.
    func traceRecord(id: String, userId: String?, clientId: String, document: JSONValue) -> (record: LoginRecord, whole: String?) {
        let outcome = TraceLimiter(limitBytes: tenant.settings.traceMaxBytes).limit(document)
        if let original = outcome.originalBytes {
            logger.warning(
                "trace \(id) cut from \(original) to \(outcome.json.utf8.count) bytes (authsim.trace_max_bytes \(tenant.settings.traceMaxBytes))")
        }
        return (.trace(id: id, userId: userId, clientId: clientId, createdAt: Timestamp.now(), json: outcome.json), outcome.wasCut ? nil : outcome.json)
    }

    /// Deletes traces and log events past the tenant's retention (age, then count) as of `now`.
    public func pruneStore(now: Double) async throws -> (traces: Int, logs: Int) {
        let s = tenant.settings
        let day = 86400.0
        let traces = try await store.pruneTraces(olderThan: now - s.traceRetentionDays * day, keepAtMost: s.traceCapacity)
        let logs = try await store.pruneLogs(olderThan: now - s.logRetentionDays * day, keepAtMost: s.logCapacity)
        return (traces, logs)
    }
}

/// The daemon's periodic pruning of traces and log events, off the request path. Every daemon on
/// a shared store runs it; the deletes are idempotent, so they need no coordination.
public struct StorePruner: Sendable {
    public let pipeline: LoginPipeline
    public let interval: Duration

    public init(pipeline: LoginPipeline, interval: Duration = .seconds(60)) {
        self.pipeline = pipeline
        self.interval = interval
    }

    /// Prunes at once, then every `interval`, until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                let (traces, logs) = try await pipeline.pruneStore(now: Timestamp.now())
                if traces + logs > 0 { pipeline.logger.info("pruned \(traces) traces and \(logs) log events") }
            } catch {
                pipeline.logger.error("could not prune traces and logs: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }
}
