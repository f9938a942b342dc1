import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `POST /oauth/revoke`: refresh tokens (and those from before refresh-token policies).
extension OAuthService {
    /// Revokes a refresh token of the authenticated client. Unknown tokens succeed (RFC 7009).
    public func revoke(_ r: OAuthRequest) async -> Result<Void, OAuthError> {
        do throws(OAuthError) {
            let client = try authenticateClient(r)
            guard let token = r["token"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: token") }
            let hash = OpaqueToken.hash(token)
            do {
                if let record = try await pipeline.refreshToken(id: StoredRefreshToken.id(token: token)) {
                    guard record.clientId == client.clientId else { throw OAuthError(403, "invalid_request", "The token was issued to another client") }
                    try await pipeline.revokeRefreshToken(record)
                } else if let record = try await pipeline.store.refreshToken(hash: hash) {
                    guard record.clientId == client.clientId else { throw OAuthError(403, "invalid_request", "The token was issued to another client") }
                    _ = try await pipeline.store.revokeRefreshToken(hash: hash)
                }
            } catch let e as OAuthError {
                throw e
            } catch {
                throw OAuthError(500, "server_error", String(describing: error))
            }
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
