import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/roles` and a user's roles.
extension ManagementService {
    func roleJSON(_ r: Role) -> JSONValue { ["id": .string(r.id), "name": .string(r.name), "description": .string(r.description)] }

    public func listRoles() -> JSONValue { .array(tenant.roles.map(roleJSON)) }

    public func userRoles(_ id: String) async throws(ManagementError) -> JSONValue {
        _ = try await existing(id)
        do {
            let names = try await store.roles(userId: id)
            return .array(names.map { n in tenant.roles.first { $0.name == n }.map(roleJSON) ?? ["id": .null, "name": .string(n), "description": ""] })
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }

    /// `POST`/`DELETE /users/{id}/roles` with `{"roles": ["rol_…"]}`.
    public func changeRoles(_ id: String, _ body: JSONValue, assign: Bool) async throws(ManagementError) {
        _ = try await existing(id)
        guard let ids = body["roles"]?.arrayValue?.compactMap(\.stringValue), !ids.isEmpty else {
            throw .invalidBody("Missing required property: roles (a non-empty array of role ids)")
        }
        var names: [String] = []
        for rid in ids {
            guard let role = tenant.roles.first(where: { $0.id == rid || $0.name == rid }) else {
                throw ManagementError(404, "The role does not exist: \(rid)", "inexistent_role")
            }
            names.append(role.name)
        }
        do {
            if assign { try await store.assignRoles(userId: id, roles: names) } else { try await store.removeRoles(userId: id, roles: names) }
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }
}
