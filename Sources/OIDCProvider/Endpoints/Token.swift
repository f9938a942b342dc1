import Directory
import JSONCore
import LoginEngine
import Tenant

/// `POST /oauth/token`, in one place: the client is authenticated once, the grant checked against
/// the client's grant types, then the grant named by `grant_type` runs (`Grants/`).
extension AuthorizationService {
    public func token(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            guard let grant = r["grant_type"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: grant_type") }
            guard OAuthService.supportedGrants.contains(grant) else {
                throw OAuthError(400, "unsupported_grant_type", "Unsupported grant type: \(grant)")
            }
            let client = try oauth.authenticateClient(r, secretRequired: grant == "client_credentials")
            let allowed = client.allowedGrantTypes
            // Custom Token Exchange is enabled by the client's `token_exchange` setting (checked
            // by the exchange), not its grant types.
            guard allowed.contains(grant) || (grant == OAuthService.passwordRealmGrant && allowed.contains("password")) || grant == OAuthService.tokenExchangeGrant else {
                throw OAuthError(403, "unauthorized_client", "Grant type '\(grant)' not allowed for the client.")
            }
            switch grant {
            case "authorization_code":
                guard let code = r["code"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: code") }
                return .success(try await exchange(code: code, client: client, redirectURI: r["redirect_uri"], verifier: r["code_verifier"], request: r))
            case "client_credentials": return .success(try await oauth.clientCredentialsLogged(r, client: client))
            case "refresh_token": return .success(try await oauth.refreshToken(r, client: client))
            case OAuthService.passwordlessGrant: return .success(try await oauth.passwordlessOTP(r, client: client))
            case OAuthService.tokenExchangeGrant: return .success(try await oauth.tokenExchange(r, client: client))
            case OAuthService.mfaOTPGrant: return .success(try await oauth.mfaGrant(r, client: client))
            case OAuthService.mfaOOBGrant: return .success(try await oauth.mfaGrant(r, client: client, outOfBand: true))
            case Self.deviceGrant: return .success(try await oauth.deviceToken(r, client: client, authorization: self))
            default: return .success(try await oauth.password(r, client: client, realm: grant == OAuthService.passwordRealmGrant ? r["realm"] : nil))
            }
        } catch {
            return .failure(error)
        }
    }
}
