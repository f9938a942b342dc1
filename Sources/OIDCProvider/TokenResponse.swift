import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The token endpoint's answer: tokens, scope, expiry, a refresh token when asked for.
extension OAuthService {
    /// Turns a login result into the token response, or its OAuth error.
    func tokenResponse(
        _ result: SimulationResult, client: Client, scope: String, audience: String?, refreshToken: RefreshTokenIssue = .new(sessionId: nil), request r: OAuthRequest? = nil
    ) async throws(OAuthError) -> JSONValue {
        // Every grant: a login that still needs a second factor gets `mfa_required`, never tokens.
        if let requirement = result.mfa, result.outcome == .allowed || result.outcome == .redirect {
            throw await mfaRequired(result, requirement: requirement, client: client, audience: audience, scope: scope)
        }
        switch result.outcome {
        case .allowed: break
        case .denied, .redirect, .error:
            let e = result.error ?? FlowError("access_denied", "login failed")
            if e.kind == .userBlocked { throw OAuthError(403, "invalid_grant", e.description) }
            switch e.error {
            case "invalid_grant": throw OAuthError(403, "invalid_grant", e.description)
            case "invalid_request": throw OAuthError(400, "invalid_request", e.description)
            case "unauthorized": throw OAuthError(401, "unauthorized", e.description)
            case "interaction_required": throw OAuthError(400, "interaction_required", e.description)
            case "server_error": throw OAuthError(500, "server_error", e.description)
            case "temporarily_unavailable": throw OAuthError(503, "temporarily_unavailable", e.description)
            case "too_many_attempts": throw OAuthError(429, "too_many_attempts", e.description)
            default: throw OAuthError(403, e.error, e.description)
            }
        }
        guard let id = result.idToken, let at = result.accessToken else { throw OAuthError(500, "server_error", "no tokens were issued") }
        return try await tokenResponse(
            idToken: id, accessToken: at, userId: result.user["user_id"]?.stringValue, client: client, scope: scope, audience: audience, refreshToken: refreshToken, request: r)
    }

    /// Which refresh token a token response carries.
    enum RefreshTokenIssue {
        /// A new one (a new family) when `offline_access` was asked and is allowed.
        case new(sessionId: String?)
        /// This one (a refresh grant's successor), or none.
        case given(String?)
    }

    /// The token response for a login's tokens (a refresh token too with `offline_access`, when
    /// the client may use the refresh grant and the API allows offline access).
    func tokenResponse(
        idToken id: IssuedToken, accessToken at: IssuedToken, userId: String?, client: Client, scope: String, audience: String?,
        refreshToken: RefreshTokenIssue = .new(sessionId: nil), request r: OAuthRequest? = nil
    ) async throws(OAuthError) -> JSONValue {
        var out: [String: JSONValue] = ["token_type": "Bearer"]
        out["access_token"] = .string(at.jwt ?? at.opaque ?? "")
        out["expires_in"] = .number(at.claims["exp"]?.doubleValue.map { max(0, $0 - Timestamp.now().rounded(.down)) } ?? 86400)
        out["scope"] = at.claims["scope"] ?? .string(scope)
        let scopes = Set(ScopeList.split(scope))
        if scopes.contains("openid"), let jwt = id.jwt { out["id_token"] = .string(jwt) }
        switch refreshToken {
        case .given(let token): if let token { out["refresh_token"] = .string(token) }
        case .new(let sessionId):
            // The Management API (and an API's `allow_offline_access` off) gets none, as in Auth0.
            let api = audience.flatMap { tenant.resourceServer(identifier: $0) }
            let offline = api.map(\.allowsOfflineAccess) ?? (audience == nil || audience == tenant.settings.effectiveIssuer + "userinfo")
            guard scopes.contains("offline_access"), client.allowedGrantTypes.contains("refresh_token"), offline, let userId else { break }
            do {
                let issued = try await pipeline.issueRefreshToken(
                    userId: userId, client: client, audience: audience, scope: scope, sessionId: sessionId, ip: r?.ip, userAgent: r?.userAgent,
                    organization: id.claims["org_id"]?.stringValue ?? at.claims["org_id"]?.stringValue)
                out["refresh_token"] = .string(issued.token)
            } catch {
                throw OAuthError(500, "server_error", String(describing: error))
            }
        }
        return .object(out)
    }
}
