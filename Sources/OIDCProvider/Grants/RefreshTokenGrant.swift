import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The `refresh_token` grant.
extension OAuthService {
    func refreshToken(_ r: OAuthRequest, client: Client) async throws(OAuthError) -> JSONValue {
        guard let token = r["refresh_token"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: refresh_token") }
        let record: RefreshTokenRecord?
        do { record = try await pipeline.store.refreshToken(hash: OpaqueToken.hash(token)) } catch {
            throw OAuthError(500, "server_error", String(describing: error))
        }
        guard let record, !record.revoked, record.clientId == client.clientId else {
            throw OAuthError(403, "invalid_grant", "Unknown or invalid refresh token.")
        }
        // A narrower scope may be asked for, never a wider one.
        var scope = record.scope
        if let asked = r["scope"] {
            let granted = Set(record.scope.split(separator: " "))
            guard Set(asked.split(separator: " ")).isSubset(of: granted) else {
                throw OAuthError(403, "invalid_scope", "The requested scope exceeds the refresh token's scope")
            }
            scope = asked
        }
        let result: SimulationResult
        do {
            result = try await pipeline.refresh(userId: record.userId, client: client, audience: record.audience, scope: scope, ip: r.ip)
        } catch {
            throw OAuthError(403, "invalid_grant", error.description)
        }
        return try await tokenResponse(result, client: client, scope: scope, audience: record.audience, issueRefreshToken: false)
    }
}
