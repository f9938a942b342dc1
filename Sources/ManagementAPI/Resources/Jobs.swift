import Directory
import JSONCore
import LoginEngine
import Tenant

/// `POST /api/v2/jobs/users-imports`, `GET /api/v2/jobs/{id}` and `GET /api/v2/jobs/{id}/errors`.
/// Imports run at once (the job is already `completed` when it is returned); jobs and their
/// errors are kept in the store so any daemon on it can answer.
extension ManagementService {
    public func importUsersJob(connectionId: String, document: JSONValue, upsert: Bool) async throws(ManagementError) -> JSONValue {
        guard let connection = tenant.connections.first(where: { $0.id == connectionId || $0.name == connectionId }) else {
            throw ManagementError(400, "The connection does not exist: \(connectionId)", "inexistent_connection")
        }
        guard connection.isDatabase else { throw ManagementError(400, "Users can only be imported into database connections", "invalid_body") }
        if connection.usesCustomScripts && !connection.importMode {
            throw ManagementError(400, "\(connection.name) authenticates with its own database (import mode off): users cannot be imported into it", "invalid_body")
        }
        if upsert { throw ManagementError(400, "upsert is not supported by authsim: existing users are reported as errors", "invalid_body") }
        let report = await store.importUsers(document, connection: connection.name)
        let entries = document.arrayValue ?? []
        let id = "job_" + String(randomHexID().prefix(16))
        let job: JSONValue = [
            "id": .string(id), "type": "users_import", "status": "completed", "connection_id": .string(connection.id), "connection": .string(connection.name),
            "created_at": .string(Timestamp.format(Timestamp.now())), "upsert": .bool(upsert),
            "summary": [
                "failed": .number(Double(report.problems.count)), "updated": 0, "inserted": .number(Double(report.imported.count)),
                "total": .number(Double(max(entries.count, report.imported.count + report.problems.count))),
            ],
        ]
        let errors = JSONValue.array(report.problems.map { p in
            [
                "user": p.index >= 0 && p.index < entries.count ? entries[p.index] : .null, "index": .number(Double(p.index)),
                "errors": [["code": "INVALID_USER", "message": .string(p.reason), "path": .string(p.index >= 0 ? "[\(p.index)]" : "")]],
            ]
        })
        do {
            try await store.setMetaValue("job:" + id, job.serialized())
            try await store.setMetaValue("job-errors:" + id, errors.serialized())
        } catch {
            throw ManagementError(500, "could not keep the job: \(error)", "internal_error")
        }
        return job
    }

    public func job(_ id: String) async throws(ManagementError) -> JSONValue {
        try await stored("job:" + id, id)
    }

    public func jobErrors(_ id: String) async throws(ManagementError) -> JSONValue {
        _ = try await job(id)
        return try await stored("job-errors:" + id, id)
    }

    private func stored(_ key: String, _ id: String) async throws(ManagementError) -> JSONValue {
        do {
            guard let text = try await store.metaValue(key) else { throw ManagementError(404, "The job does not exist: \(id)", "inexistent_job") }
            return try JSONValue.parse(text)
        } catch let e as ManagementError {
            throw e
        } catch {
            throw ManagementError(500, "\(error)", "internal_error")
        }
    }
}
