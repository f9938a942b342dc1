import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/connections` (read-only).
extension ManagementService {
    /// `GET /api/v2/connections`: Auth0's connection shape. Script `configuration` values are
    /// secrets, so only their names are listed (Auth0 returns them encrypted).
    func connectionJSON(_ c: Connection) -> JSONValue {
        var options = c.options
        if case .object(let configuration)? = options["configuration"] {
            options["configuration"] = .object(configuration.mapValues { _ in "[redacted]" })
        }
        let enabled = c.enabledClients ?? tenant.clients.map(\.clientId)
        return [
            "id": .string(c.id), "name": .string(c.name), "strategy": .string(c.strategy), "options": .object(options),
            "enabled_clients": .array(enabled.map(JSONValue.string)), "realms": [.string(c.name)],
            "metadata": .object(c.metadata.mapValues(JSONValue.string)), "is_domain_connection": false,
        ]
    }

    public func listConnections(_ query: [String: String]) -> JSONValue {
        let strategies = query["strategy"].map { Set($0.split(separator: ",").map(String.init)) }
        return .array(tenant.connections.filter { strategies?.contains($0.strategy) ?? true }.map(connectionJSON))
    }
}
