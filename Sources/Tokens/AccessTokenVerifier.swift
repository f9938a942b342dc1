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

        public init(status: Int, message: String, errorCode: String) {
            self.status = status
            self.message = message
            self.errorCode = errorCode
        }
    }

    /// Verifies `Authorization: Bearer <jwt>` and returns the token's claims.
    public func verify(authorizationHeader: String?, requiredScope: String, now: Double = Timestamp.now()) throws(Failure) -> JSONValue {
        try verify(authorizationHeader: authorizationHeader, anyOf: [requiredScope], now: now)
    }

    /// The same, accepting a token that has any of `scopes` (the signature is checked once).
    public func verify(authorizationHeader: String?, anyOf requiredScopes: [String], now: Double = Timestamp.now()) throws(Failure) -> JSONValue {
        guard let header = authorizationHeader, header.prefix(7).lowercased() == "bearer " else {
            throw Failure(status: 401, message: "Missing authentication", errorCode: "missing_authentication")
        }
        let token = String(header.dropFirst(7))
        let decoded: JWT.Decoded
        do { decoded = try JWT.decode(token) } catch {
            throw Failure(status: 401, message: "Bad audience or malformed token: \(error)", errorCode: "invalid_token")
        }
        if case .failure(let e) = JWT.verifyRS256(decoded, keys: keys) {
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
