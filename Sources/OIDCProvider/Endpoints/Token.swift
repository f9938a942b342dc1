import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `POST /oauth/token`: the grant named by `grant_type`.
extension AuthorizationService {
    /// The token endpoint: `authorization_code` here (this service owns the codes), every other
    /// grant in `OAuthService`.
    public func token(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        guard r["grant_type"] == "authorization_code" else { return await oauth.token(r) }
        do throws(OAuthError) {
            let client = try oauth.authenticateClient(r)
            guard client.allowedGrantTypes.contains("authorization_code") else {
                throw OAuthError(403, "unauthorized_client", "Grant type 'authorization_code' not allowed for the client.")
            }
            guard let code = r["code"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: code") }
            return .success(try await exchange(code: code, client: client, redirectURI: r["redirect_uri"], verifier: r["code_verifier"]))
        } catch {
            return .failure(error)
        }
    }
}

extension OAuthService {
    public func token(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            guard let grant = r["grant_type"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: grant_type") }
            guard Self.supportedGrants.contains(grant) else {
                throw OAuthError(400, "unsupported_grant_type", "Unsupported grant type: \(grant)")
            }
            let client = try authenticateClient(r, secretRequired: grant == "client_credentials")
            let allowed = client.allowedGrantTypes
            let grantName = grant == Self.passwordRealmGrant ? Self.passwordRealmGrant : grant
            guard allowed.contains(grantName) || (grant == Self.passwordRealmGrant && allowed.contains("password")) else {
                throw OAuthError(403, "unauthorized_client", "Grant type '\(grant)' not allowed for the client.")
            }
            switch grant {
            case "authorization_code": throw OAuthError(400, "invalid_request", "authorization_code is exchanged by the authorization service")
            case "client_credentials":
                do {
                    let body = try await clientCredentials(r, client: client)
                    await pipeline.log(TenantLogEvent(type: "seccft", description: "Client Credentials for Access Token", clientId: client.clientId, clientName: client.name, ip: r.ip, userAgent: r.userAgent, details: ["audience": .string(r["audience"] ?? tenant.settings.defaultAudience ?? "")]))
                    return .success(body)
                } catch {
                    await pipeline.log(TenantLogEvent(type: "feccft", description: error.description, clientId: client.clientId, clientName: client.name, ip: r.ip, userAgent: r.userAgent))
                    throw error
                }
            case "refresh_token": return .success(try await refreshToken(r, client: client))
            case Self.passwordlessGrant: return .success(try await passwordlessOTP(r, client: client))
            default: return .success(try await password(r, client: client, realm: grant == Self.passwordRealmGrant ? r["realm"] : nil))
            }
        } catch {
            return .failure(error)
        }
    }
}
