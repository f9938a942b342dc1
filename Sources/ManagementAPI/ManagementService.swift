import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant

/// The Management API (management-api.md), one file per resource in `Resources/`. Routes decode and encode; every
/// rule about what may be read or changed is here.
public struct ManagementService: Sendable {
    public let pipeline: LoginPipeline
    var store: any UserStore { pipeline.store }
    var tenant: Tenant { pipeline.tenant }

    public init(pipeline: LoginPipeline) { self.pipeline = pipeline }

    /// Scopes a management token may carry (the local token printed by `serve` has them all).
    public static let allScopes = [
        "read:users", "create:users", "update:users", "update:users_app_metadata", "delete:users", "read:roles",
        "read:logs", "read:rules", "create:rules", "update:rules", "delete:rules", "read:clients", "simulate:logins",
        "read:actions", "create:actions", "update:actions", "delete:actions", "read:connections", "create:user_tickets",
    ]

    /// The rate-limit decision for the client a verified token was issued to (its `azp`).
    public func rateLimit(claims: JSONValue, limiter: RateLimiter) -> RateLimiter.Decision? {
        guard let azp = claims["azp"]?.stringValue, let client = tenant.clients.first(where: { $0.clientId == azp }) else { return nil }
        return limiter.check(client)
    }

    /// Checks the bearer token (signature once) for any of `scopes`; returns its claims.
    public func authorize(_ header: String?, anyOf scopes: [String]) throws(ManagementError) -> JSONValue {
        do {
            return try pipeline.managementTokenVerifier.verify(authorizationHeader: header, anyOf: scopes)
        } catch {
            throw ManagementError(error.status, error.message, error.status == 403 ? "insufficient_scope" : "invalid_token")
        }
    }

    static func scopes(of claims: JSONValue) -> Set<String> {
        Set((claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
    }
}
