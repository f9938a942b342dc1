import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

extension LoginPipeline {
    /// Verifies tokens for the Management API audience of this tenant.
    public var managementTokenVerifier: AccessTokenVerifier {
        let settings = tenant.settings
        return AccessTokenVerifier(
            keys: issuer.keys, issuer: settings.effectiveIssuer, audiences: tenant.managementAudiences,
            acceptSimulated: settings.acceptSimulatedTokens)
    }

    /// A Management API token for local use (written by `authsim serve`, or a console session's),
    /// signed by the tenant key; `lifetime` defaults to the tenant's management token lifetime,
    /// `client` names who it was made for (`azp`).
    public func localManagementToken(scopes: [String], lifetime: Double? = nil, client: String = "authsim-local") throws -> String {
        let lifetime = lifetime ?? tenant.settings.managementTokenLifetime
        let iat = Timestamp.now().rounded(.down)
        let claims: JSONValue = [
            "iss": .string(tenant.settings.effectiveIssuer), "sub": .string(client + "@clients"),
            "aud": .string(tenant.settings.managementAudience), "iat": .number(iat), "exp": .number(iat + lifetime),
            "scope": .string(scopes.joined(separator: " ")), "gty": "client-credentials", "azp": .string(client),
        ]
        return try JWT.signRS256(claims: claims, key: issuer.keys.current)
    }

    /// The `azp` of web console sessions.
    static let consoleClient = "authsim-console"

    /// A web console session: a management token with every scope, for the tenant's management
    /// token lifetime.
    public func consoleSession() throws -> (token: String, lifetime: Double) {
        try consoleSession(scopes: ManagementService.allScopes)
    }

    func consoleSession(scopes: [String]) throws -> (token: String, lifetime: Double) {
        let lifetime = tenant.settings.managementTokenLifetime
        return (try localManagementToken(scopes: scopes, lifetime: lifetime, client: Self.consoleClient), lifetime)
    }

    /// Trades a console session's token, still valid, for a fresh one with the same scopes (the
    /// console does it at half the lifetime). Other tokens are refused: they cannot buy a longer
    /// life or more scopes here.
    public func renewConsoleSession(authorizationHeader: String?) throws(AccessTokenVerifier.Failure) -> (token: String, lifetime: Double) {
        let claims = try managementTokenVerifier.verify(authorizationHeader: authorizationHeader, anyOf: ManagementService.allScopes)
        guard claims["azp"]?.stringValue == Self.consoleClient else {
            throw AccessTokenVerifier.Failure(status: 403, message: "Only console session tokens are renewed", errorCode: "insufficient_scope")
        }
        do {
            return try consoleSession(scopes: ScopeList.split(claims["scope"]?.stringValue ?? ""))
        } catch {
            throw AccessTokenVerifier.Failure(status: 500, message: "could not sign a token: \(error)", errorCode: "server_error")
        }
    }
}
