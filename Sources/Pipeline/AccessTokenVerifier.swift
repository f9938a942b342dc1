import Foundation
import JSONCore
import Tenant

/// Checks bearer tokens for the daemon's own APIs: RS256 signature by the tenant's keys, issuer,
/// audience, expiry and scopes. Failures carry the HTTP status Auth0 uses.
public struct AccessTokenVerifier: Sendable {
    public let keys: SigningKeys
    public let issuer: String
    public let audience: String

    public init(keys: SigningKeys, issuer: String, audience: String) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
    }

    public struct Failure: Error, Sendable, Equatable {
        /// 401 for a missing or invalid token, 403 for a valid token without the scope.
        public var status: Int
        public var message: String
        public var errorCode: String
    }

    /// Verifies `Authorization: Bearer <jwt>` and returns the token's claims.
    public func verify(authorizationHeader: String?, requiredScope: String, now: Double = Timestamp.now()) throws(Failure) -> JSONValue {
        try verify(authorizationHeader: authorizationHeader, anyOf: [requiredScope], now: now)
    }

    /// The same, accepting a token that has any of `scopes` (the signature is checked once).
    public func verify(authorizationHeader: String?, anyOf requiredScopes: [String], now: Double = Timestamp.now()) throws(Failure) -> JSONValue {
        guard let header = authorizationHeader, header.lowercased().hasPrefix("bearer ") else {
            throw Failure(status: 401, message: "Missing authentication", errorCode: "missing_authentication")
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let decoded: JWT.Decoded
        do { decoded = try JWT.decode(token) } catch {
            throw Failure(status: 401, message: "Bad audience or malformed token: \(error)", errorCode: "invalid_token")
        }
        if case .failure(let e) = JWT.verifyRS256(decoded, jwks: keys.jwks) {
            throw Failure(status: 401, message: "Invalid token signature: \(e)", errorCode: "invalid_signature")
        }
        let claims = decoded.claims
        guard claims["iss"]?.stringValue == issuer else {
            throw Failure(status: 401, message: "Invalid token issuer (expected \(issuer))", errorCode: "invalid_token")
        }
        let audiences = claims["aud"]?.arrayValue?.compactMap(\.stringValue) ?? [claims["aud"]?.stringValue].compactMap { $0 }
        guard audiences.contains(audience) else {
            throw Failure(status: 401, message: "Bad audience: \(audiences.joined(separator: " ")) (expected \(audience))", errorCode: "invalid_audience")
        }
        guard let exp = claims["exp"]?.doubleValue, exp > now else {
            throw Failure(status: 401, message: "Expired token", errorCode: "token_expired")
        }
        let scopes = (claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init)
        guard requiredScopes.contains(where: scopes.contains) else {
            throw Failure(status: 403, message: "Insufficient scope, expected any of: \(requiredScopes.joined(separator: ","))", errorCode: "insufficient_scope")
        }
        return claims
    }
}

extension LoginPipeline {
    /// Verifies tokens for the Management API audience of this tenant.
    public var managementTokenVerifier: AccessTokenVerifier {
        AccessTokenVerifier(keys: issuer.keys, issuer: tenant.settings.effectiveIssuer, audience: tenant.settings.managementAudience)
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
            return try consoleSession(scopes: (claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
        } catch {
            throw AccessTokenVerifier.Failure(status: 500, message: "could not sign a token: \(error)", errorCode: "server_error")
        }
    }
}
