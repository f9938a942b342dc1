import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The `authorization_code` grant: a code from /authorize, its redirect URI and PKCE verifier.
extension AuthorizationService {
    /// Exchanges a code once: same client, same redirect_uri, PKCE verifier when a challenge was sent.
    func exchange(code: String, client: Client, redirectURI: String?, verifier: String?, request r: OAuthRequest? = nil) async throws(OAuthError) -> JSONValue {
        let now = Timestamp.now()
        // Taking it from the store first makes the code single-use, even across daemons.
        let stored: Code?
        do { stored = try await kept(Code.self, as: .code, id: code, take: true) } catch {
            throw OAuthError(500, "server_error", "could not read the authorization code: \(error)")
        }
        guard let c = stored, c.expires > now else {
            throw OAuthError(403, "invalid_grant", "Invalid authorization code")
        }
        guard c.clientId == client.clientId else { throw OAuthError(403, "invalid_grant", "Invalid authorization code") }
        guard redirectURI == c.redirectURI else {
            throw OAuthError(403, "invalid_grant", "redirect_uri does not match the one used to get the code")
        }
        if let challenge = c.challenge {
            guard let verifier else { throw OAuthError(403, "invalid_grant", "Missing code_verifier") }
            // /authorize accepts only S256 challenges.
            let computed = Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
            guard c.method == "S256", OpaqueToken.constantTimeEquals(computed, challenge) else {
                throw OAuthError(403, "invalid_grant", "Failed to verify code verifier")
            }
        } else if client.isPublic {
            throw OAuthError(403, "invalid_grant", "Public clients must use PKCE")
        }
        return try await oauth.tokenResponse(
            idToken: c.idToken, accessToken: c.accessToken, userId: c.userId, client: client, scope: c.scope, audience: c.audience,
            refreshToken: .new(sessionId: c.sessionId), request: r)
    }
}
