import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The `http://auth0.com/oauth/grant-type/passwordless/otp` grant.
extension OAuthService {
    /// `username` (email or phone number), `otp` (from `/passwordless/start`), `realm` (`email` or `sms`).
    func passwordlessOTP(_ r: OAuthRequest, client: Client) async throws(OAuthError) -> JSONValue {
        guard let username = r["username"], let otp = r.parameters["otp"], let realm = r["realm"] else {
            throw OAuthError(400, "invalid_request", "Missing required parameters: username, otp and realm")
        }
        var request = SimulationRequest(user: .stored(username))
        request.client = client.clientId
        request.audience = r["audience"]
        request.scope = r["scope"] ?? "openid"
        request.ip = r.ip
        request.userAgent = r.userAgent
        request.body = r.parameters.filter { $0.key != "otp" && $0.key != "client_secret" }.mapValues(JSONValue.string)
        let result: SimulationResult
        do { result = try await pipeline.passwordlessLogin(username: username, otp: otp, realm: realm, request: request) } catch {
            if case .store = error { throw OAuthError(500, "server_error", error.description) }
            throw OAuthError(400, "invalid_request", error.description)
        }
        return try await tokenResponse(result, client: client, scope: request.scope!, audience: request.audience ?? tenant.settings.defaultAudience)
    }
}
