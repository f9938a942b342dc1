import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// Client authentication at the token endpoint: client_secret_post, client_secret_basic, public clients.
extension OAuthService {
    /// client_secret_basic, client_secret_post, or none for public clients.
    func authenticateClient(_ r: OAuthRequest, secretRequired: Bool = false) throws(OAuthError) -> Client {
        let id = r.basicCredentials?.id ?? r["client_id"]
        guard let id else { throw OAuthError(401, "invalid_client", "Missing client_id") }
        guard let client = tenant.clients.first(where: { $0.clientId == id }) else {
            throw OAuthError(401, "invalid_client", "Unknown client \(id)")
        }
        if let origin = r.origin, !client.allowsOrigin(origin) {
            throw OAuthError(403, "access_denied", "Origin \(origin) is not allowed for \(client.name): add it to its Allowed Web Origins (web_origins)")
        }
        let secret = r.basicCredentials?.secret ?? r["client_secret"]
        if client.isPublic && !secretRequired { return client }
        guard let expected = client.clientSecret, let secret else {
            throw OAuthError(401, "invalid_client", "Client authentication is required for \(client.name)")
        }
        guard OpaqueToken.constantTimeEquals(secret, expected) else {
            throw OAuthError(401, "invalid_client", "Invalid client credentials")
        }
        return client
    }
}
