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
        request.organization = try organization(r, client: client)
        request.body = r.parameters.filter { $0.key != "password" && $0.key != "client_secret" }.mapValues(JSONValue.string)
        let result: SimulationResult
        do { result = try await pipeline.login(username: username, password: password, request: request) } catch {
            throw OAuthError(400, "invalid_request", error.description)
        }
        let audience = request.audience ?? tenant.settings.defaultAudience
        return try await tokenResponse(result, client: client, scope: request.scope!, audience: audience, request: r)
    }

    /// A grant's `organization` parameter, checked against the client's `organization_usage`
    /// (the flow checks the organization, its connection and the membership).
    func organization(_ r: OAuthRequest, client: Client) throws(OAuthError) -> String? {
        guard let ref = r["organization"] else {
            if client.organizationUsage == "require" { throw OAuthError(400, "invalid_request", "parameter organization must be provided") }
            return nil
        }
        guard client.organizationUsage != "deny" else { throw OAuthError(400, "invalid_request", "parameter organization is not allowed for this client") }
        return ref
    }
}
