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

/// `/api/v2/attack-protection/brute-force-protection` and `/suspicious-ip-throttling`: the
/// settings as the tenant has them, and changes to them, kept where the tenant keeps its files
/// (deploy-cli's `attack-protection/<name>.json`, which wins over `tenant.json`).
extension ManagementService {
    /// The settings documents the API serves, by path name.
    public enum AttackProtectionDocument: String, Sendable, CaseIterable {
        case bruteForce = "brute-force-protection"
        case suspiciousIPThrottling = "suspicious-ip-throttling"

        var file: String { "attack-protection/\(rawValue).json" }
        var fields: Set<String> {
            switch self {
            case .bruteForce: AttackProtectionSettings.BruteForce.fields
            case .suspiciousIPThrottling: AttackProtectionSettings.SuspiciousIPThrottling.fields
            }
        }

        func current(_ settings: AttackProtectionSettings) -> JSONValue {
            switch self {
            case .bruteForce: settings.bruteForce.json
            case .suspiciousIPThrottling: settings.suspiciousIPThrottling.json
            }
        }

        /// The normalized document of `v`, or the reason it is refused.
        func validated(_ v: JSONValue) throws(TenantError) -> JSONValue {
            switch self {
            case .bruteForce: try AttackProtectionSettings.BruteForce.parse(v, file: "body").json
            case .suspiciousIPThrottling: try AttackProtectionSettings.SuspiciousIPThrottling.parse(v, file: "body").json
            }
        }
    }

    /// `GET /attack-protection/{document}`.
    public func attackProtection(_ document: AttackProtectionDocument) -> JSONValue {
        document.current(tenant.settings.attackProtection)
    }

    /// `PATCH /attack-protection/{document}`: the fields given replace the current ones (a
    /// `stage` given replaces only the stages it names); unknown fields and invalid values are
    /// refused with 400 and change nothing.
    public func patchAttackProtection(_ document: AttackProtectionDocument, _ body: JSONValue) async throws(ManagementError) -> JSONValue {
        guard let patch = body.objectValue else { throw ManagementError(400, "Payload validation error: the body must be a JSON object", "invalid_body") }
        if let unknown = patch.keys.sorted().first(where: { !document.fields.contains($0) }) {
            throw ManagementError(400, "Payload validation error: 'Additional properties not allowed: \(unknown.prefix(100))'", "invalid_body")
        }
        var updated: JSONValue = .null
        try await applyChange(what: "attack protection setting") { (current: Tenant) throws(ManagementError) -> [String: String?] in
            guard var merged = document.current(current.settings.attackProtection).objectValue else { return [:] }
            for (key, value) in patch {
                if key == "stage", let stages = value.objectValue, var existing = merged["stage"]?.objectValue {
                    for (name, stage) in stages {
                        if let given = stage.objectValue, var old = existing[name]?.objectValue {
                            for (k, v) in given { old[k == "rates" ? "rate" : k] = v }
                            existing[name] = .object(old)
                        } else {
                            existing[name] = stage
                        }
                    }
                    merged["stage"] = .object(existing)
                } else {
                    merged[key] = value
                }
            }
            do throws(TenantError) { updated = try document.validated(.object(merged)) } catch {
                throw ManagementError(400, "Payload validation error: \(error.message)", "invalid_body")
            }
            return [document.file: updated.serialized(pretty: true) + "\n"]
        }
        return updated
    }
}
