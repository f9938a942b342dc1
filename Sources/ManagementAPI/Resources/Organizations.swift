import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/organizations`: the organizations themselves are tenant files (saved like rules, to the
/// tenant directory or the store); their enabled connections are part of that file; members,
/// member roles and invitations are kept in the store.
extension ManagementService {
    static let organizationNotFound = ManagementError(404, "No organization found by that id or name", "inexistent_organization")

    func organizationJSON(_ o: Organization) -> JSONValue {
        var out: [String: JSONValue] = ["id": .string(o.id), "name": .string(o.name), "display_name": .string(o.displayName)]
        if let b = o.branding { out["branding"] = b }
        if !o.metadata.isEmpty { out["metadata"] = .object(o.metadata.mapValues(JSONValue.string)) }
        return .object(out)
    }

    func organization(_ id: String, in tenant: Tenant? = nil) throws(ManagementError) -> Organization {
        guard let o = (tenant ?? self.tenant).organizations.first(where: { $0.id == id }) else { throw Self.organizationNotFound }
        return o
    }

    /// A list in Auth0's paging: checkpoint paging with `from`/`take` (`{<key>, next}`, `next`
    /// while more remain; the cursor is opaque to callers), else the page alone, or `{<key>,
    /// start, limit, total}` with `include_totals`.
    func paged(_ items: [JSONValue], key: String, _ p: [String: String]) throws(ManagementError) -> JSONValue {
        if p["from"] != nil || p["take"] != nil {
            let take = try intParameter(p, "take", default: 50)
            guard (1...100).contains(take) else { throw ManagementError(400, "Query validation error: 'take' must be between 1 and 100", "invalid_query_string") }
            var start = 0
            if let from = p["from"], !from.isEmpty {
                guard let n = Int(from), n >= 0 else { throw ManagementError(400, "Query validation error: 'from' is not a checkpoint this API gave", "invalid_query_string") }
                start = n
            }
            let page = Array(items.dropFirst(start).prefix(take))
            var out: [String: JSONValue] = [key: .array(page)]
            if start + page.count < items.count { out["next"] = .string(String(start + page.count)) }
            return .object(out)
        }
        let (_, perPage, offset) = try paging(p, limit: Int.max / 2)
        let page = Array(items.dropFirst(offset).prefix(perPage))
        guard p["include_totals"] == "true" else { return .array(page) }
        return [key: .array(page), "start": .number(Double(offset)), "limit": .number(Double(perPage)), "total": .number(Double(items.count))]
    }

    public func listOrganizations(_ p: [String: String]) throws(ManagementError) -> JSONValue {
        try paged(tenant.organizations.sorted { $0.name < $1.name }.map(organizationJSON), key: "organizations", p)
    }

    public func getOrganization(_ id: String) throws(ManagementError) -> JSONValue { organizationJSON(try organization(id)) }

    public func organizationByName(_ name: String) throws(ManagementError) -> JSONValue {
        guard let o = tenant.organizations.first(where: { $0.name == name }) else { throw Self.organizationNotFound }
        return organizationJSON(o)
    }

    static let organizationFields: Set<String> = ["name", "display_name", "branding", "metadata", "enabled_connections"]

    /// `POST /organizations` (existing nil) and `PATCH /organizations/{id}`.
    public func saveOrganization(_ body: JSONValue, existing id: String?) async throws(ManagementError) -> JSONValue {
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !Self.organizationFields.contains($0) || (id != nil && $0 == "enabled_connections") }) {
            throw .invalidBody("Additional properties not allowed: \(extra)")
        }
        var savedId = ""
        try await applyChange(what: "organization") { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            var org: Organization
            if let id {
                org = try organization(id, in: tenant)
            } else {
                guard let name = o["name"]?.stringValue else { throw .invalidBody("Missing required property: name") }
                org = Organization(id: "org_" + Self.randomID(16), name: name)
                org.file = "organizations/\(name).json"
                if let enabled = o["enabled_connections"] {
                    guard let list = enabled.arrayValue else { throw .invalidBody("enabled_connections must be an array") }
                    for item in list { try applyEnabledConnection(&org, item, in: tenant, creating: true) }
                }
            }
            if let v = o["name"] {
                guard let name = v.stringValue else { throw .invalidBody("name must be a string") }
                org.name = name
            }
            if let problem = Organization.nameProblem(org.name) { throw .invalidBody(problem) }
            if tenant.organizations.contains(where: { $0.name == org.name && $0.id != org.id }) {
                throw ManagementError(409, "An organization with this name already exists.", "conflict")
            }
            if let v = o["display_name"] {
                guard let text = v.stringValue, (1...255).contains(text.count) else { throw .invalidBody("display_name must be a string of 1 to 255 characters") }
                org.displayName = text
            } else if id == nil {
                org.displayName = org.name
            }
            if let v = o["branding"] {
                guard v.isNull || v.objectValue != nil else { throw .invalidBody("branding must be an object") }
                org.branding = v.isNull ? nil : v
            }
            if let v = o["metadata"] {
                guard v.isNull || v.objectValue != nil else { throw .invalidBody("metadata must be an object") }
                // Keys given replace, null removes (as Auth0 updates organization metadata).
                var metadata = id == nil ? [:] : org.metadata
                for (k, value) in v.objectValue ?? [:] {
                    if value.isNull { metadata.removeValue(forKey: k); continue }
                    guard let text = value.stringValue, text.count <= 255 else { throw .invalidBody("metadata values must be strings of at most 255 characters") }
                    metadata[k] = text
                }
                if v.isNull { metadata = [:] }
                guard metadata.count <= 25 else { throw .invalidBody("metadata may have at most 25 properties") }
                org.metadata = metadata
            }
            savedId = org.id
            // The file is named after the organization: a rename moves it. A file of that name
            // that is not this organization's (another one's, or one the loader skipped) is not
            // overwritten.
            let file = "organizations/\(org.name).json"
            if file != org.file, tenant.organizations.contains(where: { $0.file == file }) || tenant.unsimulatedFiles[file] != nil {
                throw ManagementError(409, "The file \(file) already exists in the tenant.", "conflict")
            }
            var files: [String: String?] = [file: org.fileText]
            if id != nil, org.file != file { files[org.file] = .some(nil) }
            return files
        }
        return organizationJSON(try organization(savedId))
    }

    public func deleteOrganization(_ id: String) async throws(ManagementError) {
        try await applyChange(what: "organization") { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            let gone: String? = nil
            return [try organization(id, in: tenant).file: gone]
        }
        do { try await pipeline.forgetOrganization(id) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }

    static func randomID(_ length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    // MARK: - Enabled connections

    func enabledConnectionJSON(_ e: Organization.EnabledConnection) -> JSONValue {
        let c = tenant.connection(named: e.name)
        return [
            "connection_id": .string(c?.id ?? e.name), "assign_membership_on_login": .bool(e.assignMembershipOnLogin),
            "show_as_button": .bool(e.showAsButton), "is_signup_enabled": .bool(e.isSignupEnabled),
            "connection": ["name": .string(e.name), "strategy": .string(c?.strategy ?? "")],
        ]
    }

    /// Adds (creating) or changes one enabled connection from a body item.
    func applyEnabledConnection(_ org: inout Organization, _ item: JSONValue, in tenant: Tenant, creating: Bool, connectionId: String? = nil) throws(ManagementError) {
        guard case .object(let o) = item else { throw .invalidBody("an enabled connection must be an object") }
        let allowed: Set<String> = creating ? ["connection_id", "assign_membership_on_login", "show_as_button", "is_signup_enabled"] : ["assign_membership_on_login", "show_as_button", "is_signup_enabled"]
        if let extra = o.keys.sorted().first(where: { !allowed.contains($0) }) { throw .invalidBody("Additional properties not allowed: \(extra)") }
        guard let ref = connectionId ?? o["connection_id"]?.stringValue else { throw .invalidBody("Missing required property: connection_id") }
        guard let connection = tenant.connection(named: ref) else { throw ManagementError(404, "The connection does not exist", "inexistent_connection") }
        for key in ["assign_membership_on_login", "show_as_button", "is_signup_enabled"] where o[key] != nil && o[key]?.boolValue == nil {
            throw .invalidBody("\(key) must be a boolean")
        }
        let index = org.connections.firstIndex { $0.name == connection.name }
        if creating, index != nil { throw ManagementError(409, "The connection is already enabled for this organization", "conflict") }
        if !creating, index == nil { throw ManagementError(404, "The connection is not enabled for this organization", "inexistent_connection") }
        var e = index.map { org.connections[$0] } ?? Organization.EnabledConnection(name: connection.name)
        if let v = o["assign_membership_on_login"]?.boolValue { e.assignMembershipOnLogin = v }
        if let v = o["show_as_button"]?.boolValue { e.showAsButton = v }
        if let v = o["is_signup_enabled"]?.boolValue { e.isSignupEnabled = v }
        if e.isSignupEnabled, !e.assignMembershipOnLogin || !connection.isDatabase {
            throw .invalidBody("is_signup_enabled needs assign_membership_on_login, on a database connection")
        }
        if let index { org.connections[index] = e } else { org.connections.append(e) }
    }

    public func organizationConnections(_ id: String, _ p: [String: String]) throws(ManagementError) -> JSONValue {
        try paged(try organization(id).connections.map(enabledConnectionJSON), key: "enabled_connections", p)
    }

    public func organizationConnection(_ id: String, connectionId: String) throws(ManagementError) -> JSONValue {
        let org = try organization(id)
        guard let c = tenant.connection(named: connectionId), let e = org.connection(c.name) else {
            throw ManagementError(404, "The connection is not enabled for this organization", "inexistent_connection")
        }
        return enabledConnectionJSON(e)
    }

    /// `POST …/enabled_connections` (connectionId nil), `PATCH` and `DELETE …/enabled_connections/{id}`.
    public func changeOrganizationConnection(_ id: String, connectionId: String?, body: JSONValue?, delete: Bool = false) async throws(ManagementError) -> JSONValue? {
        var name = ""
        try await applyChange(what: "organization") { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            var org = try organization(id, in: tenant)
            if delete {
                guard let c = connectionId.flatMap(tenant.connection(named:)), org.connection(c.name) != nil else {
                    throw ManagementError(404, "The connection is not enabled for this organization", "inexistent_connection")
                }
                org.connections.removeAll { $0.name == c.name }
            } else {
                try applyEnabledConnection(&org, body ?? [:], in: tenant, creating: connectionId == nil, connectionId: connectionId)
                let ref = connectionId ?? body?["connection_id"]?.stringValue ?? ""
                name = tenant.connection(named: ref)?.name ?? ref
            }
            return [org.file: org.fileText]
        }
        guard !delete, let e = try organization(id).connection(name) else { return nil }
        return enabledConnectionJSON(e)
    }

    // MARK: - Members

    public func organizationMembers(_ id: String, _ p: [String: String]) async throws(ManagementError) -> JSONValue {
        let org = try organization(id)
        let withRoles = (p["fields"] ?? "").split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "roles" }
        var out: [JSONValue] = []
        do {
            for m in try await pipeline.members(organization: org.id) {
                let u = try await store.user(id: m.userId)
                var item: [String: JSONValue] = [
                    "user_id": .string(m.userId), "email": u?.email.map(JSONValue.string) ?? .null,
                    "picture": u?.json["picture"] ?? .null, "name": u?.json["name"] ?? .null,
                ]
                if withRoles { item["roles"] = .array(m.roles.map(roleReference)) }
                out.append(.object(item))
            }
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        return try paged(out, key: "members", p)
    }

    func roleReference(_ name: String) -> JSONValue {
        let role = tenant.roles.first { $0.name == name }
        return ["id": role.map { .string($0.id) } ?? .null, "name": .string(name)]
    }

    /// `POST`/`DELETE /organizations/{id}/members` with `{"members": ["auth0|…"]}`.
    public func changeOrganizationMembers(_ id: String, _ body: JSONValue, add: Bool) async throws(ManagementError) {
        let org = try organization(id)
        guard let ids = body["members"]?.arrayValue?.compactMap(\.stringValue), !ids.isEmpty, ids.count == body["members"]?.arrayValue?.count else {
            throw .invalidBody("Missing required property: members (a non-empty array of user ids)")
        }
        // Each id is a store read and write: a call changes a bounded number of members.
        guard ids.count <= Self.maximumIdsPerCall else { throw .invalidBody("members may list at most \(Self.maximumIdsPerCall) user ids") }
        if add { for u in ids { _ = try await existing(u) } }
        do {
            if add {
                try await pipeline.addMembers(organization: org.id, userIds: ids)
            } else {
                try await pipeline.removeMembers(organization: org.id, userIds: ids)
            }
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }

    public func organizationMemberRoles(_ id: String, userId: String, _ p: [String: String]) async throws(ManagementError) -> JSONValue {
        let org = try organization(id)
        let member: OrganizationMember?
        do { member = try await pipeline.member(organization: org.id, userId: userId) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        guard let member else { throw ManagementError(404, "The user is not a member of the organization", "inexistent_member") }
        let roles: [JSONValue] = member.roles.map { name in
            let role = tenant.roles.first { $0.name == name }
            return ["id": .string(role?.id ?? name), "name": .string(name), "description": .string(role?.description ?? "")]
        }
        return try paged(roles, key: "roles", p)
    }

    /// `POST`/`DELETE /organizations/{id}/members/{user_id}/roles` with `{"roles": ["rol_…"]}`.
    public func changeOrganizationMemberRoles(_ id: String, userId: String, _ body: JSONValue, assign: Bool) async throws(ManagementError) {
        let org = try organization(id)
        let names = try roleNames(body)
        let changed: Bool
        do { changed = try await pipeline.changeMemberRoles(organization: org.id, userId: userId, roles: names, assign: assign) } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
        guard changed else { throw ManagementError(404, "The user is not a member of the organization", "inexistent_member") }
    }

    /// `GET /users/{id}/organizations`.
    public func userOrganizations(_ userId: String, _ p: [String: String]) async throws(ManagementError) -> JSONValue {
        _ = try await existing(userId)
        let orgs: [Organization]
        do { orgs = try await pipeline.organizations(userId: userId) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        return try paged(orgs.map(organizationJSON), key: "organizations", p)
    }

    // MARK: - Invitations

    func invitationJSON(_ i: OrganizationInvitation) -> JSONValue {
        var out: [String: JSONValue] = [
            "id": .string(i.id), "organization_id": .string(i.organizationId), "inviter": ["name": .string(i.inviterName)],
            "invitee": ["email": .string(i.inviteeEmail)], "invitation_url": .string(i.invitationURL), "ticket_id": .string(i.ticketId),
            "client_id": .string(i.clientId), "created_at": .string(Timestamp.format(i.createdAt)), "expires_at": .string(Timestamp.format(i.expiresAt)),
            "roles": .array(i.roles.map { name in tenant.roles.first { $0.name == name }.map { .string($0.id) } ?? .string(name) }),
            "app_metadata": .object(i.appMetadata), "user_metadata": .object(i.userMetadata),
        ]
        if let c = i.connectionId { out["connection_id"] = .string(c) }
        return .object(out)
    }

    public func organizationInvitations(_ id: String, _ p: [String: String]) async throws(ManagementError) -> JSONValue {
        let org = try organization(id)
        let list: [OrganizationInvitation]
        do { list = try await pipeline.invitations(organization: org.id) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        return try paged(list.map(invitationJSON), key: "invitations", p)
    }

    public func organizationInvitation(_ id: String, invitationId: String) async throws(ManagementError) -> JSONValue {
        let org = try organization(id)
        let found: OrganizationInvitation?
        do { found = try await pipeline.invitation(organization: org.id, id: invitationId) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        guard let found else { throw ManagementError(404, "The invitation does not exist", "inexistent_invitation") }
        return invitationJSON(found)
    }

    public func deleteOrganizationInvitation(_ id: String, invitationId: String) async throws(ManagementError) {
        let org = try organization(id)
        let gone: Bool
        do { gone = try await pipeline.deleteInvitation(organization: org.id, id: invitationId) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        guard gone else { throw ManagementError(404, "The invitation does not exist", "inexistent_invitation") }
    }

    static let invitationFields: Set<String> = [
        "inviter", "invitee", "client_id", "connection_id", "app_metadata", "user_metadata", "ttl_sec", "roles", "send_invitation_email",
    ]

    /// `POST /organizations/{id}/invitations`: the invitation URL is the client's
    /// `initiate_login_uri` (its first callback when it has none) with `invitation`,
    /// `organization` and `organization_name`; the "email" is printed to the daemon log.
    public func createOrganizationInvitation(_ id: String, _ body: JSONValue) async throws(ManagementError) -> JSONValue {
        let org = try organization(id)
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !Self.invitationFields.contains($0) }) { throw .invalidBody("Additional properties not allowed: \(extra)") }
        guard let inviter = o["inviter"]?["name"]?.stringValue, !inviter.isEmpty else { throw .invalidBody("Missing required property: inviter.name") }
        guard let email = o["invitee"]?["email"]?.stringValue, email.contains("@"), email.count <= 254 else {
            throw .invalidBody("Missing required property: invitee.email (an email address)")
        }
        guard let clientId = o["client_id"]?.stringValue, let client = tenant.clients.first(where: { $0.clientId == clientId }) else {
            throw .invalidBody("client_id must name an application of the tenant")
        }
        var connectionId: String?
        if let ref = o["connection_id"] {
            guard let text = ref.stringValue, let c = tenant.connection(named: text), org.connection(c.name) != nil else {
                throw .invalidBody("connection_id must name a connection enabled for the organization")
            }
            connectionId = c.id
        }
        var ttl = OrganizationInvitation.defaultLifetime
        if let t = o["ttl_sec"] {
            guard let n = t.intValue, n >= 0, Double(n) <= OrganizationInvitation.maximumLifetime else {
                throw .invalidBody("ttl_sec must be an integer from 0 to \(Int(OrganizationInvitation.maximumLifetime)) (0: the default, 7 days)")
            }
            if n > 0 { ttl = Double(n) }
        }
        for key in ["app_metadata", "user_metadata"] where o[key] != nil && o[key]?.objectValue == nil { throw .invalidBody("\(key) must be an object") }
        let roles = o["roles"] == nil ? [] : try roleNames(["roles": o["roles"]!])
        guard let base = client.raw["initiate_login_uri"]?.stringValue ?? client.callbacks.first else {
            throw .invalidBody("the application has no initiate_login_uri (nor a callback URL) to send the invitee to")
        }
        let now = Timestamp.now()
        let ticket = Self.randomID(32)
        let query = [("invitation", ticket), ("organization", org.id), ("organization_name", org.name)]
            .map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }.joined(separator: "&")
        let invitation = OrganizationInvitation(
            id: "uinv_" + Self.randomID(16), ticketId: ticket, organizationId: org.id, inviterName: inviter, inviteeEmail: email, clientId: clientId,
            connectionId: connectionId, appMetadata: o["app_metadata"]?.objectValue ?? [:], userMetadata: o["user_metadata"]?.objectValue ?? [:], roles: roles,
            createdAt: now, expiresAt: now + ttl, invitationURL: base + (base.contains("?") ? "&" : "?") + query)
        do { try await pipeline.saveInvitation(invitation) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        if o["send_invitation_email"]?.boolValue ?? true {
            pipeline.logger.notice("invitation email to \(email): \(inviter) invited you to join \(org.displayName): \(invitation.invitationURL)")
        }
        return invitationJSON(invitation)
    }
}
