import Directory
import Foundation
import JSONCore
import LoginEngine
import Tokens
import Tenant

/// The Management API (management-api.md), one file per resource in `Resources/`. Routes decode and encode; every
/// rule about what may be read or changed is here.
public struct ManagementService: Sendable {
    public let pipeline: LoginPipeline
    var store: any DataStore { pipeline.store }
    var tenant: Tenant { pipeline.tenant }

    public init(pipeline: LoginPipeline) { self.pipeline = pipeline }

    /// Scopes a management token may carry (the local token printed by `serve` has them all).
    public static let allScopes = [
        "read:users", "create:users", "update:users", "update:users_app_metadata", "delete:users", "read:roles",
        "read:logs", "read:rules", "create:rules", "update:rules", "delete:rules", "read:clients", "simulate:logins",
        "read:actions", "create:actions", "update:actions", "delete:actions", "read:connections", "create:user_tickets",
        "get:anomaly_block", "delete:anomaly_block", "read:attack_protection", "update:attack_protection",
        "read:sessions", "delete:sessions", "read:refresh_tokens", "delete:refresh_tokens", "read:authentication_methods", "delete:authentication_methods",
        "read:organizations", "create:organizations", "update:organizations", "delete:organizations", "read:organization_members",
        "create:organization_members", "delete:organization_members", "read:organization_member_roles", "create:organization_member_roles",
        "delete:organization_member_roles", "read:organization_connections", "create:organization_connections", "update:organization_connections",
        "delete:organization_connections", "read:organization_invitations", "create:organization_invitations", "delete:organization_invitations",
    ]

    /// The rate-limit decision for the client a verified token was issued to (its `azp`).
    public func rateLimit(claims: JSONValue, limiter: RateLimiter) -> RateLimiter.Decision? {
        guard let azp = claims["azp"]?.stringValue, let client = tenant.clients.first(where: { $0.clientId == azp }) else { return nil }
        return limiter.check(client)
    }

    /// Auth0's end-user scopes: what a token a user got at login (audience: the Management API)
    /// may use, and only on that user.
    public static let currentUserScopes: Set<String> = [
        "read:current_user", "update:current_user_metadata", "create:current_user_metadata", "delete:current_user_metadata",
        "update:current_user_identities",
    ]

    /// Checks the bearer token (signature once) and returns its claims. A client's token
    /// (client credentials, the daemon's local and console tokens) needs one of `scopes`; a
    /// user's token needs one of `currentUser` (end-user scopes) and `subject` (the user the
    /// route reads or changes) to be its own `sub`. Whatever scopes a rule wrote into a user's
    /// token, nothing else is open to it.
    public func authorize(_ header: String?, anyOf scopes: [String], currentUser: [String] = [], subject: String? = nil) throws(ManagementError) -> JSONValue {
        let verified: VerifiedTokens.Entry
        do {
            verified = try pipeline.managementTokenVerifier.verifiedToken(authorizationHeader: header, anyOf: scopes + currentUser)
        } catch {
            throw ManagementError(error.status, error.message, error.status == 403 ? "insufficient_scope" : "invalid_token")
        }
        let claims = verified.claims
        let granted = try usableScopes(claims, tokenScopes: verified.scopes)
        if Self.isClientToken(claims) {
            guard scopes.contains(where: granted.contains) else {
                throw ManagementError(403, "Insufficient scope, expected any of: \(scopes.joined(separator: ","))", "insufficient_scope")
            }
        } else {
            let userScopes = currentUser.filter { Self.currentUserScopes.contains($0) && granted.contains($0) }
            guard !userScopes.isEmpty else {
                throw ManagementError(
                    403, "A user's token may use only its own user's end-user scopes (\(Self.currentUserScopes.sorted().joined(separator: ", "))) on this endpoint",
                    "insufficient_scope")
            }
            guard let subject, subject == claims["sub"]?.stringValue else {
                throw ManagementError(403, "A user's token may read or change only its own user", "insufficient_scope")
            }
        }
        return claims
    }

    /// The scopes a token may use now: a client token's own (`tokenScopes`) as far as its
    /// client's grant still allows them (`grantedNow`), a user's token's own.
    func usableScopes(_ claims: JSONValue, tokenScopes: Set<String>) throws(ManagementError) -> Set<String> {
        guard Self.isClientToken(claims) else { return tokenScopes }
        return tokenScopes.intersection(try grantedNow(claims, scopes: tokenScopes))
    }

    /// The scopes a client token may still use: what the client's grant for the Management API
    /// allows now (a grant narrowed or removed after the token was issued narrows or refuses
    /// it; a deleted client's tokens are refused). The daemon's own tokens (`serve`'s local
    /// token, console sessions) are not issued on a grant and keep their scopes.
    func grantedNow(_ claims: JSONValue, scopes: Set<String>) throws(ManagementError) -> Set<String> {
        let azp = claims["azp"]?.stringValue ?? ""
        let tenantClient = tenant.clients.contains { $0.clientId == azp }
        if Self.localClients.contains(azp) && !tenantClient { return scopes }
        guard tenantClient else {
            throw ManagementError(401, "The client this token was issued to no longer exists", "invalid_token")
        }
        let audience = claims["aud"]?.stringValue ?? claims["aud"]?.arrayValue?.first?.stringValue ?? tenant.settings.managementAudience
        guard let grant = tenant.clientGrant(clientId: azp, audience: audience) else {
            throw ManagementError(403, "The client's grant for the Management API was removed after this token was issued", "insufficient_scope")
        }
        return Set(grant.scope)
    }

    /// The `azp` of the daemon's own Management tokens (`serve`'s local token, console
    /// sessions, the rules' `auth0.accessToken`).
    static let localClients = Client.reservedIDs

    /// A token issued to a client (`gty` client-credentials, which scripts cannot set, and a
    /// `<client>@clients` subject), not to a user.
    public static func isClientToken(_ claims: JSONValue) -> Bool {
        claims["gty"]?.stringValue == "client-credentials" && claims["sub"]?.stringValue?.hasSuffix("@clients") == true
    }

    static func scopes(of claims: JSONValue) -> Set<String> {
        Set(ScopeList.split(claims["scope"]?.stringValue ?? ""))
    }
}
