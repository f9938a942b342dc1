import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// A user's membership of an organization, with the roles assigned to the user in it.
public struct OrganizationMember: KeptValue, Equatable {
    public var organizationId: String
    public var userId: String
    /// Role names (the tenant's roles; ids are derived from them).
    public var roles: [String]
    public var createdAt: Double
}

/// An invitation to an organization (`POST /organizations/{id}/invitations`): the invitee opens
/// the application's login URL with `invitation=<ticketId>&organization=<org_id>`; logging in or
/// signing up with the invited email makes them a member with the invitation's roles, once.
public struct OrganizationInvitation: KeptValue, Equatable {
    /// `uinv_…`, what the Management API names it by.
    public var id: String
    /// What travels in the invitation URL and comes back as `/authorize`'s `invitation`.
    public var ticketId: String
    public var organizationId: String
    public var inviterName: String
    public var inviteeEmail: String
    public var clientId: String
    public var connectionId: String?
    public var appMetadata: [String: JSONValue]
    public var userMetadata: [String: JSONValue]
    public var roles: [String]
    public var createdAt: Double
    public var expiresAt: Double
    public var invitationURL: String

    public init(
        id: String, ticketId: String, organizationId: String, inviterName: String, inviteeEmail: String, clientId: String, connectionId: String?,
        appMetadata: [String: JSONValue], userMetadata: [String: JSONValue], roles: [String], createdAt: Double, expiresAt: Double, invitationURL: String
    ) {
        (self.id, self.ticketId, self.organizationId, self.inviterName, self.inviteeEmail) = (id, ticketId, organizationId, inviterName, inviteeEmail)
        (self.clientId, self.connectionId, self.appMetadata, self.userMetadata, self.roles) = (clientId, connectionId, appMetadata, userMetadata, roles)
        (self.createdAt, self.expiresAt, self.invitationURL) = (createdAt, expiresAt, invitationURL)
    }

    /// Auth0's default and largest lifetime: 7 and 30 days.
    public static let defaultLifetime: Double = 7 * 86_400
    public static let maximumLifetime: Double = 30 * 86_400
}

/// Why an organization login is refused (the login's `access_denied` or `invalid_request`).
public struct OrganizationRefusal: Error, Sendable, Equatable {
    public var error: String
    public var description: String
}

/// Members and invitations: kept in the store's values (members until removed, invitations until
/// they expire or are accepted), owned by their organization so its members can be listed;
/// every daemon on the store sees them. The organizations themselves are tenant files.
extension LoginPipeline {
    static let memberPrefix = "orgmember:"
    static let invitationPrefix = "orginvite:"

    static func organizationOwner(_ orgId: String) -> String { "org:" + orgId }
    static func memberKey(_ orgId: String, _ userId: String) -> String { memberPrefix + orgId + ":" + userId }

    public func member(organization orgId: String, userId: String) async throws -> OrganizationMember? {
        try await kept(Self.memberKey(orgId, userId))
    }

    /// An organization's members, by user id.
    public func members(organization orgId: String) async throws -> [OrganizationMember] {
        let values: [OrganizationMember] = try await owned(Self.organizationOwner(orgId), prefix: Self.memberPrefix + orgId + ":")
        return values.sorted { $0.userId < $1.userId }
    }

    /// The organizations a user is a member of (each organization of the tenant looked up: a
    /// tenant has few).
    public func organizations(userId: String) async throws -> [Organization] {
        var out: [Organization] = []
        for org in tenant.organizations where try await member(organization: org.id, userId: userId) != nil { out.append(org) }
        return out
    }

    /// Makes users members (those already members keep their roles); returns who was added.
    @discardableResult
    public func addMembers(organization orgId: String, userIds: [String], roles: [String] = []) async throws -> [String] {
        var added: [String] = []
        let now = Timestamp.now()
        for userId in userIds {
            let new = try await store.modifyEphemeral(Self.memberKey(orgId, userId), now: now, owner: Self.organizationOwner(orgId)) { text -> (value: (String, expires: Double)?, result: Bool) in
                if var existing = OrganizationMember(keptText: text) {
                    for r in roles where !existing.roles.contains(r) { existing.roles.append(r) }
                    return ((try existing.keptText(), Self.forever), false)
                }
                let member = OrganizationMember(organizationId: orgId, userId: userId, roles: roles, createdAt: now)
                return ((try member.keptText(), Self.forever), true)
            }
            if new { added.append(userId) }
        }
        return added
    }

    public func removeMembers(organization orgId: String, userIds: [String]) async throws {
        for userId in userIds { _ = try await store.takeEphemeral(Self.memberKey(orgId, userId), now: Timestamp.now()) }
    }

    /// Assigns (or removes) roles of a member; false when the user is not a member.
    public func changeMemberRoles(organization orgId: String, userId: String, roles: [String], assign: Bool) async throws -> Bool {
        try await store.modifyEphemeral(Self.memberKey(orgId, userId), now: Timestamp.now(), owner: Self.organizationOwner(orgId)) { text -> (value: (String, expires: Double)?, result: Bool) in
            guard var m = OrganizationMember(keptText: text) else { return (nil, false) }
            if assign {
                for r in roles where !m.roles.contains(r) { m.roles.append(r) }
            } else {
                m.roles.removeAll { roles.contains($0) }
            }
            return ((try m.keptText(), Self.forever), true)
        }
    }

    public func invitations(organization orgId: String) async throws -> [OrganizationInvitation] {
        let values: [OrganizationInvitation] = try await owned(Self.organizationOwner(orgId), prefix: Self.invitationPrefix + orgId + ":")
        return values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func invitation(organization orgId: String, id: String) async throws -> OrganizationInvitation? {
        try await kept(Self.invitationPrefix + orgId + ":" + id)
    }

    public func saveInvitation(_ i: OrganizationInvitation) async throws {
        try await store.keep(i, at: Self.invitationPrefix + i.organizationId + ":" + i.id, expires: i.expiresAt, owner: Self.organizationOwner(i.organizationId))
    }

    /// Removes an invitation; false when there was none (or it expired).
    public func deleteInvitation(organization orgId: String, id: String) async throws -> Bool {
        try await store.takeEphemeral(Self.invitationPrefix + orgId + ":" + id, now: Timestamp.now()) != nil
    }

    /// The live invitation of an organization whose ticket is `ticket`.
    public func invitation(organization orgId: String, ticket: String) async throws -> OrganizationInvitation? {
        try await invitations(organization: orgId).first { OpaqueToken.constantTimeEquals($0.ticketId, ticket) }
    }

    /// Everything kept for an organization (its members and invitations), when it is deleted.
    public func forgetOrganization(_ orgId: String) async throws {
        let owner = Self.organizationOwner(orgId)
        for prefix in [Self.memberPrefix + orgId + ":", Self.invitationPrefix + orgId + ":"] {
            for (key, _) in try await store.ephemeralValues(owner: owner, prefix: prefix, now: Timestamp.now()) { _ = try await store.takeEphemeral(key, now: Timestamp.now()) }
        }
    }

    /// A deleted user's memberships.
    func forgetMemberships(_ userId: String) async throws {
        for org in tenant.organizations { _ = try await store.takeEphemeral(Self.memberKey(org.id, userId), now: Timestamp.now()) }
    }

    /// The organization a login is in, and the roles the user has in it, checked as Auth0 checks
    /// them before the scripts run: the organization exists, the connection is enabled for it,
    /// and the user is a member, becomes one by accepting `invitation` (the invited email's user,
    /// once) or by the connection's `assign_membership_on_login`. An inline user (a simulation's
    /// profile that is not stored) is taken as a member with the simulation's roles.
    /// `assign`: an interactive login, which `assign_membership_on_login` may make a member (a
    /// silent login or a refresh-token exchange never re-adds a member who was removed).
    func enterOrganization(_ ref: String, invitation ticket: String?, user: UserProfile, stored: Bool, connection: Connection, in tenant: Tenant, assign: Bool)
        async throws -> Result<(Organization, roles: [String], user: UserProfile), OrganizationRefusal>
    {
        var user = user
        guard let org = tenant.organization(ref), org.id == ref || tenant.organizationNamesInTokens else {
            return .failure(OrganizationRefusal(error: "invalid_request", description: "the organization '\(ref)' does not exist"))
        }
        guard let enabled = org.connection(connection.name) else {
            return .failure(OrganizationRefusal(
                error: "invalid_request", description: "the connection '\(connection.name)' is not enabled for the organization '\(org.name)'"))
        }
        guard stored else { return .success((org, [], user)) }
        // An invitation already accepted (by this login before it paused for a second factor or a
        // redirect, say) leaves the membership check below to decide.
        if let ticket, let invitation = try await invitation(organization: org.id, ticket: ticket) {
            if let only = invitation.connectionId, only != connection.id {
                return .failure(OrganizationRefusal(error: "access_denied", description: "the invitation is for another connection"))
            }
            guard let email = user.email, email.lowercased() == invitation.inviteeEmail.lowercased() else {
                return .failure(OrganizationRefusal(error: "access_denied", description: "the invitation was sent to another email address"))
            }
            // Single use: whoever takes it first accepts it.
            if try await store.takeEphemeral(Self.invitationPrefix + org.id + ":" + invitation.id, now: Timestamp.now()) != nil {
                // The invitee proved the address by following the invitation: it is verified, and
                // the invitation's metadata is merged into the profile (first level, as Auth0 merges).
                user = try await store.update(id: user.userId) { u in
                    u.emailVerified = true
                    for (k, v) in invitation.appMetadata { u.appMetadata[k] = v }
                    for (k, v) in invitation.userMetadata { u.userMetadata[k] = v }
                }
                try await addMembers(organization: org.id, userIds: [user.userId], roles: invitation.roles)
                await log(TenantLogEvent(
                    type: "sapi", description: "The invitation to organization \(org.name) was accepted", clientId: invitation.clientId, clientName: nil,
                    connection: connection.name, userId: user.userId, userName: email, ip: nil, userAgent: nil,
                    details: ["organization_id": .string(org.id), "invitation_id": .string(invitation.id)]))
            }
        }
        if let m = try await member(organization: org.id, userId: user.userId) { return .success((org, m.roles, user)) }
        if ticket != nil {
            return .failure(OrganizationRefusal(error: "access_denied", description: "the invitation is not valid (unknown, expired or already accepted)"))
        }
        if enabled.assignMembershipOnLogin, assign {
            try await addMembers(organization: org.id, userIds: [user.userId])
            return .success((org, [], user))
        }
        return .failure(OrganizationRefusal(
            error: "access_denied", description: "user '\(user.userId)' is not part of the '\(org.id)' organization"))
    }
}
