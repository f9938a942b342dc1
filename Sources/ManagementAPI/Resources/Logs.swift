import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/logs` and `/api/v2/users/{id}/logs`.
extension ManagementService {
    /// `GET /logs` and `GET /users/{id}/logs`: newest first, `page`/`per_page`, `include_totals`.
    public func logs(userId: String?, _ p: [String: String]) async throws(ManagementError) -> JSONValue {
        if let userId { _ = try await existing(userId) }
        let (_, perPage, offset) = try paging(p)
        // `q` uses the users' query language on the events' fields (`type:s`, `client_id:…`, ranges on `date`).
        var query: UserQuery?
        if let q = p["q"], !q.isEmpty {
            do { query = try UserQuery.parse(q) } catch {
                throw ManagementError(400, "Query validation error: \(error)", "invalid_query_string")
            }
        }
        do {
            var events: [TenantLogEvent]
            var total: Int
            if let query {
                let all = try await store.logs(userId: userId, offset: 0, limit: 1_000_000).events.filter { query.matches($0.json) }
                total = all.count
                events = Array(all.dropFirst(offset).prefix(perPage))
            } else {
                (events, total) = try await store.logs(userId: userId, offset: offset, limit: perPage)
            }
            let list = JSONValue.array(events.map(\.json))
            if p["include_totals"] == "true" {
                return ["start": .number(Double(offset)), "limit": .number(Double(perPage)), "length": .number(Double(events.count)), "total": .number(Double(total)), "logs": list]
            }
            return list
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }

    /// `sapi`/`fapi` for each Management API call.
    public func recordCall(method: String, path: String, status: Int, ip: String?, userAgent: String?) async {
        let ok = status < 400
        await pipeline.log(TenantLogEvent(
            type: ok ? "sapi" : "fapi", description: "\(method) /api/v2/\(path) → \(status)", ip: ip, userAgent: userAgent,
            details: ["method": .string(method), "path": .string(path), "status": .number(Double(status))]))
    }
}
