import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant

/// `/api/v2/user-blocks` (brute-force protection's blocks, by user or by identifier) and
/// `/api/v2/anomaly/blocks/ips/{ip}` (suspicious-IP throttling).
extension ManagementService {
    func blocksJSON(_ blocks: [AttackProtection.Block]) -> JSONValue {
        ["blocked_for": .array(blocks.map { b in
            ["identifier": .string(b.identifier), "ip": b.ip.map(JSONValue.string) ?? .null, "connection": .string(b.connection)]
        })]
    }

    func identifiers(_ query: [String: String]) throws(ManagementError) -> [String] {
        guard let identifier = query["identifier"], !identifier.isEmpty else {
            throw ManagementError(400, "Query validation error: identifier is required (an email, username or phone number)", "invalid_query_string")
        }
        return [identifier]
    }

    /// `GET /user-blocks/{id}`: the user's blocks (by its email, username and phone number).
    public func userBlocks(_ id: String) async throws(ManagementError) -> JSONValue {
        let user = try await existing(id)
        do { return blocksJSON(try await pipeline.attackProtection.blocks(identifiers: user.loginIdentifiers)) } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
    }

    /// `GET /user-blocks?identifier=`.
    public func userBlocks(query: [String: String]) async throws(ManagementError) -> JSONValue {
        let ids = try identifiers(query)
        do { return blocksJSON(try await pipeline.attackProtection.blocks(identifiers: ids)) } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
    }

    /// `DELETE /user-blocks/{id}`.
    public func unblockUser(_ id: String) async throws(ManagementError) {
        let user = try await existing(id)
        do { try await pipeline.attackProtection.unblock(identifiers: user.loginIdentifiers) } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
    }

    /// `DELETE /user-blocks?identifier=`.
    public func unblockIdentifier(query: [String: String]) async throws(ManagementError) {
        let ids = try identifiers(query)
        do { try await pipeline.attackProtection.unblock(identifiers: ids) } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
    }

    /// `GET /anomaly/blocks/ips/{ip}`: true when throttled (the route answers 200), false (404).
    public func ipBlocked(_ ip: String) async throws(ManagementError) -> Bool {
        guard IPRange(ip) != nil, !ip.contains("/") else { throw ManagementError(400, "Path validation error: '\(ip.prefix(64))' is not an IP address", "invalid_uri") }
        do { return try await pipeline.attackProtection.ipBlocked(ip, settings: tenant.settings.attackProtection.suspiciousIPThrottling) } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
    }

    /// `DELETE /anomaly/blocks/ips/{ip}`.
    public func unblockIP(_ ip: String) async throws(ManagementError) {
        guard IPRange(ip) != nil, !ip.contains("/") else { throw ManagementError(400, "Path validation error: '\(ip.prefix(64))' is not an IP address", "invalid_uri") }
        do { try await pipeline.attackProtection.unblockIP(ip) } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
    }
}
