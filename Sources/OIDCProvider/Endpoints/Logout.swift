import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `GET /v2/logout` (Auth0's) and `GET|POST /oidc/logout` (OpenID Connect RP-Initiated Logout):
/// the browser's login session ends for every daemon, and the clients that took part and ask
/// for it get a back-channel logout token. Logging out leaves refresh tokens alone, as in Auth0;
/// revoking a session (Management API, `api.session.revoke`) revokes them.
extension AuthorizationService {
    /// Where a logout sends the browser.
    public enum LogoutStep: Sendable, Equatable {
        case redirect(String)
        /// No return address was asked for: a "logged out" page.
        case page
        /// A request that cannot be honoured safely (an unknown client, an unregistered return
        /// address, a forged `id_token_hint`): an error page, and the session is left as it was.
        case invalid(String)
    }

    /// `/v2/logout`: `returnTo` must be an allowed logout URL of `client_id` (or of any client).
    public func logout(sessionCookie: String?, returnTo: String?, clientId: String?) async -> String? {
        await endBrowserSession(sessionCookie)
        guard let returnTo else { return nil }
        let clients = clientId.map { id in pipeline.tenant.clients.filter { $0.clientId == id } } ?? pipeline.tenant.clients
        return clients.contains { $0.allowedLogoutURLs.contains(returnTo) } ? returnTo : nil
    }

    /// `/oidc/logout`: `id_token_hint` (an ID token of this tenant, expired or not),
    /// `client_id`, `post_logout_redirect_uri` (an allowed logout URL of that client), `state`
    /// (returned), `logout_hint` (a session id). Ends the browser's session; without a cookie,
    /// the session the hint's `sid` (or `logout_hint`) names, when it is the hint's user's.
    public func oidcLogout(_ q: [String: String], sessionCookie: String?) async -> LogoutStep {
        let tenant = pipeline.tenant
        var hint: JSONValue?
        if let text = q["id_token_hint"], !text.isEmpty {
            guard let decoded = try? JWT.decode(text), Self.isIDToken(decoded, tenant: tenant, keys: pipeline.issuer.keys) else {
                return .invalid("The id_token_hint is not an ID token issued by this tenant.")
            }
            hint = decoded.claims
        }
        let audience = hint?["aud"]?.stringValue ?? hint?["aud"]?.arrayValue?.first?.stringValue
        if let id = q["client_id"], let audience, id != audience {
            return .invalid("The client_id \(id) does not match the audience of the id_token_hint.")
        }
        let clientId = q["client_id"] ?? audience
        let client = clientId.flatMap { id in tenant.clients.first { $0.clientId == id } }
        if let clientId, client == nil { return .invalid("Unknown client: \(clientId)") }
        if let target = q["post_logout_redirect_uri"] {
            guard let client else { return .invalid("post_logout_redirect_uri needs client_id or id_token_hint to name the application.") }
            guard client.allowedLogoutURLs.contains(target) else {
                return .invalid("The post_logout_redirect_uri \(target) is not in the Allowed Logout URLs of \(client.name).")
            }
        }
        let subject = hint?["sub"]?.stringValue
        if let cookie = sessionCookie, let current = try? await pipeline.session(id: LoginSession.id(cookie: cookie)) {
            if let subject, subject != current.userId {
                return .invalid("The id_token_hint names another user than the one logged in here; nobody was logged out.")
            }
            await endBrowserSession(cookie)
        } else if let sid = q["logout_hint"] ?? hint?["sid"]?.stringValue, let subject,
            let named = try? await pipeline.session(id: sid), named.userId == subject
        {
            _ = try? await pipeline.endSession(id: named.id, revokeRefreshTokens: false, reason: "oidc logout")
        }
        guard let target = q["post_logout_redirect_uri"] else { return .page }
        guard let state = q["state"] else { return .redirect(target) }
        return .redirect(target + (target.contains("?") ? "&" : "?") + "state=" + Self.percentEncode(state))
    }

    /// An ID token of this tenant: its issuer, signed with its keys (HS256 ones with their
    /// client's secret), not an access or logout token. Expiry does not matter for a hint.
    static func isIDToken(_ t: JWT.Decoded, tenant: Tenant, keys: SigningKeys) -> Bool {
        guard t.claims["iss"]?.stringValue == tenant.settings.effectiveIssuer, t.claims["events"] == nil,
            !["at+jwt", "logout+jwt"].contains(t.header["typ"]?.stringValue?.lowercased() ?? "")
        else { return false }
        if t.header["alg"]?.stringValue == "HS256" {
            guard let aud = t.claims["aud"]?.stringValue, let secret = tenant.clients.first(where: { $0.clientId == aud })?.clientSecret else { return false }
            return hs256Matches(t, secret: secret)
        }
        if case .success = JWT.verifyRS256(t, keys: keys) { return true }
        return false
    }

    static func hs256Matches(_ t: JWT.Decoded, secret: String) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(t.signature, authenticating: Data(t.signingInput.utf8), using: SymmetricKey(data: Data(secret.utf8)))
    }

    func endBrowserSession(_ cookie: String?) async {
        guard let cookie else { return }
        do { try await pipeline.endSession(id: LoginSession.id(cookie: cookie), revokeRefreshTokens: false, reason: "logout") } catch {
            pipeline.logger.error("could not end a session at logout: \(error)")
        }
    }
}
