import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/roles` and a user's roles.
extension ManagementService {
    func roleJSON(_ r: Role) -> JSONValue { ["id": .string(r.id), "name": .string(r.name), "description": .string(r.description)] }

    /// `GET /roles`: `page`, `per_page`, `include_totals` (→ `{roles, start, limit, total}`).
    public func listRoles(_ p: [String: String] = [:]) throws(ManagementError) -> JSONValue { try paged(tenant.roles.map(roleJSON), key: "roles", p) }

    /// `GET /roles/{id}` (by id, or by name as the tenant files name roles).
    public func role(_ id: String) throws(ManagementError) -> JSONValue {
        guard let role = tenant.roles.first(where: { $0.id == id || $0.name == id }) else {
            throw ManagementError(404, "The role does not exist.", "inexistent_role")
        }
        return roleJSON(role)
    }

    /// `GET /users/{id}/permissions`: what the user's roles grant, each with the roles it comes
    /// from (`sources`), as Auth0 lists them.
    public func userPermissions(_ id: String) async throws(ManagementError) -> JSONValue {
        _ = try await existing(id)
        let names: [String]
        do { names = try await store.roles(userId: id) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        var out: [String: (permission: String, api: String, sources: [JSONValue])] = [:]
        for role in tenant.roles where names.contains(role.name) {
            for p in role.permissions {
                let key = p.resourceServer + " " + p.permission
                var entry = out[key] ?? (p.permission, p.resourceServer, [])
                entry.sources.append(["source_id": .string(role.id), "source_name": .string(role.name), "source_type": "ROLE"])
                out[key] = entry
            }
        }
        return .array(out.keys.sorted().compactMap { key in
            guard let e = out[key] else { return nil }
            let api = tenant.resourceServer(identifier: e.api)
            return [
                "permission_name": .string(e.permission), "description": .string(""), "resource_server_identifier": .string(e.api),
                "resource_server_name": .string(api?.name ?? e.api), "sources": .array(e.sources),
            ]
        })
    }

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
        let names = try roleNames(body)
        do {
            if assign { try await store.assignRoles(userId: id, roles: names) } else { try await store.removeRoles(userId: id, roles: names) }
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }

    /// Most ids one call may list (`members`, `roles`): each is work in the store.
    static let maximumIdsPerCall = 100

    /// The names of the roles a body's `roles` (ids, or names) refers to; unknown ones refused.
    func roleNames(_ body: JSONValue) throws(ManagementError) -> [String] {
        guard let ids = body["roles"]?.arrayValue?.compactMap(\.stringValue), !ids.isEmpty, ids.count == body["roles"]?.arrayValue?.count else {
            throw .invalidBody("Missing required property: roles (a non-empty array of role ids)")
        }
        guard ids.count <= Self.maximumIdsPerCall else { throw .invalidBody("roles may list at most \(Self.maximumIdsPerCall) role ids") }
        var names: [String] = []
        for rid in ids {
            guard let role = tenant.roles.first(where: { $0.id == rid || $0.name == rid }) else {
                throw ManagementError(404, "The role does not exist: \(rid)", "inexistent_role")
            }
            if !names.contains(role.name) { names.append(role.name) }
        }
        return names
    }
}
