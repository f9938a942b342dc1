import Foundation
import JSONCore
import Tenant

/// Checks bearer tokens for the daemon's own APIs: RS256 signature by the tenant's keys, issuer,
/// audience, expiry and scopes. Failures carry the HTTP status Auth0 uses.
public struct AccessTokenVerifier: Sendable {
    public let keys: SigningKeys
    public let issuer: String
    /// A token is accepted when one of its audiences is one of these.
    public let audiences: [String]
    /// Tokens a simulation minted (`ClaimFilter.simulatedMarker`) are refused unless this is on.
    public let acceptSimulated: Bool

    public init(keys: SigningKeys, issuer: String, audience: String, acceptSimulated: Bool = false) {
        self.init(keys: keys, issuer: issuer, audiences: [audience], acceptSimulated: acceptSimulated)
    }

    public init(keys: SigningKeys, issuer: String, audiences: [String], acceptSimulated: Bool = false) {
        self.keys = keys
        self.issuer = issuer
        self.audiences = audiences
        self.acceptSimulated = acceptSimulated
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
        try verifiedToken(authorizationHeader: authorizationHeader, anyOf: requiredScopes, now: now).claims
    }

    /// The same, with the token's scopes as a set (split once per token, see `VerifiedTokens`).
    public func verifiedToken(authorizationHeader: String?, anyOf requiredScopes: [String], now: Double = Timestamp.now()) throws(Failure) -> VerifiedTokens.Entry {
        guard let header = authorizationHeader, header.prefix(7).lowercased() == "bearer " else {
            throw Failure(status: 401, message: "Missing authentication", errorCode: "missing_authentication")
        }
        let token = String(header.dropFirst(7))
        let verified: VerifiedTokens.Entry
        let remembered = keys.verifiedTokens.entry(of: token)
        if let remembered {
            verified = remembered
        } else {
            let decoded: JWT.Decoded
            do { decoded = try JWT.decode(token) } catch {
                throw Failure(status: 401, message: "Bad audience or malformed token: \(error)", errorCode: "invalid_token")
            }
            if case .failure(let e) = JWT.verifyRS256(decoded, keys: keys) {
                throw Failure(status: 401, message: "Invalid token signature: \(e)", errorCode: "invalid_signature")
            }
            verified = VerifiedTokens.Entry(claims: decoded.claims)
        }
        let claims = verified.claims
        guard claims["iss"]?.stringValue == issuer else {
            throw Failure(status: 401, message: "Invalid token issuer (expected \(issuer))", errorCode: "invalid_token")
        }
        let tokenAudiences = claims["aud"]?.arrayValue?.compactMap(\.stringValue) ?? [claims["aud"]?.stringValue].compactMap { $0 }
        guard tokenAudiences.contains(where: audiences.contains) else {
            throw Failure(
                status: 401, message: "Bad audience: \(tokenAudiences.joined(separator: " ")) (expected \(audiences.joined(separator: " or ")))",
                errorCode: "invalid_audience")
        }
        if !acceptSimulated, claims[ClaimFilter.simulatedMarker] != nil {
            throw Failure(
                status: 401,
                message: "The token was minted by a simulation (any user, no credentials) and is not accepted here; set authsim.accept_simulated_tokens in tenant.json to accept such tokens",
                errorCode: "invalid_token")
        }
        guard let exp = claims["exp"]?.doubleValue, exp > now else {
            throw Failure(status: 401, message: "Expired token", errorCode: "token_expired")
        }
        // A token for this verifier, signed, current: worth remembering (not a stranger's
        // token that merely carries a valid signature, nor an expired one).
        if remembered == nil { keys.verifiedTokens.remember(token, verified) }
        guard requiredScopes.contains(where: verified.scopes.contains) else {
            throw Failure(status: 403, message: "Insufficient scope, expected any of: \(requiredScopes.joined(separator: ","))", errorCode: "insufficient_scope")
        }
        return verified
    }
}
