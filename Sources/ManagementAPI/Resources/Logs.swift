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
        let page = try intParameter(p, "page", default: 0)
        let perPage = try intParameter(p, "per_page", default: 50)
        guard page >= 0, perPage >= 0, perPage <= 100 else { throw ManagementError(400, "per_page must be between 0 and 100", "invalid_query_string") }
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
                events = Array(all.dropFirst(page * perPage).prefix(perPage))
            } else {
                (events, total) = try await store.logs(userId: userId, offset: page * perPage, limit: perPage)
            }
            let list = JSONValue.array(events.map(\.json))
            if p["include_totals"] == "true" {
                return ["start": .number(Double(page * perPage)), "limit": .number(Double(perPage)), "length": .number(Double(events.count)), "total": .number(Double(total)), "logs": list]
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
