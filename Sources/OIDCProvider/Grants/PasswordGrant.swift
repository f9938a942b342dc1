import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The `password` and `http://auth0.com/oauth/grant-type/password-realm` grants.
extension OAuthService {
    func password(_ r: OAuthRequest, client: Client, realm: String?) async throws(OAuthError) -> JSONValue {
        guard let username = r["username"], let password = r.parameters["password"] else {
            throw OAuthError(400, "invalid_request", "Missing required parameters: username and password")
        }
        if realm == nil, r.parameters["realm"] != nil {
            throw OAuthError(400, "invalid_request", "realm is only accepted with the password-realm grant")
        }
        if let realm, tenant.connection(named: realm) == nil {
            throw OAuthError(400, "invalid_request", "Unknown realm (connection) \(realm)")
        }
        var request = SimulationRequest(user: .stored(username))
        request.client = client.clientId
        request.connection = realm
        request.audience = r["audience"]
        request.scope = r["scope"] ?? "openid"
        request.ip = r.ip
        request.userAgent = r.userAgent
        request.protocolName = "oauth2-password"
        request.body = r.parameters.filter { $0.key != "password" && $0.key != "client_secret" }.mapValues(JSONValue.string)
        let result: SimulationResult
        do { result = try await pipeline.login(username: username, password: password, request: request) } catch {
            throw OAuthError(400, "invalid_request", error.description)
        }
        let audience = request.audience ?? tenant.settings.defaultAudience
        return try await tokenResponse(result, client: client, scope: request.scope!, audience: audience, request: r)
    }
}
