import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `GET /userinfo`.
extension OAuthService {
    /// Profile claims by the token's scope, plus the custom claims the ID token of the same
    /// login carried.
    public func userinfo(authorizationHeader: String?) async -> Result<JSONValue, OAuthError> {
        let settings = tenant.settings
        let verifier = AccessTokenVerifier(
            keys: pipeline.issuer.keys, issuer: settings.effectiveIssuer, audience: settings.effectiveIssuer + "userinfo",
            acceptSimulated: settings.acceptSimulatedTokens)
        let claims: JSONValue
        do {
            claims = try verifier.verify(authorizationHeader: authorizationHeader, requiredScope: "openid")
        } catch {
            return .failure(OAuthError(401, "invalid_token", error.message))
        }
        guard let sub = claims["sub"]?.stringValue else { return .failure(OAuthError(401, "invalid_token", "token has no subject")) }
        do {
            guard let user = try await pipeline.store.user(id: sub) else { return .failure(OAuthError(401, "invalid_token", "user no longer exists")) }
            let scopes = Set(ScopeList.split(claims["scope"]?.stringValue ?? ""))
            let profile = user.json
            var out: [String: JSONValue] = ["sub": .string(sub)]
            if scopes.contains("profile") {
                for k in ["name", "nickname", "given_name", "family_name", "picture", "updated_at", "locale"] { if let v = profile[k] { out[k] = v } }
            }
            if scopes.contains("email") { for k in ["email", "email_verified"] { if let v = profile[k] { out[k] = v } } }
            if scopes.contains("phone") {
                if let v = profile["phone_number"] { out["phone_number"] = v }
                if let v = profile["phone_verified"] { out["phone_number_verified"] = v }
            }
            if let jti = claims["jti"]?.stringValue, let text = try await pipeline.store.trace(id: jti), let trace = try? JSONValue.parse(text) {
                let idClaims = trace["idToken"]?["claims"]?.objectValue ?? [:]
                for k in (trace["claimSources"]?["idToken"]?.objectValue ?? [:]).keys { if let v = idClaims[k] { out[k] = v } }
            }
            return .success(.object(out))
        } catch {
            return .failure(OAuthError(500, "server_error", String(describing: error)))
        }
    }
}
