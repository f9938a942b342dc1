import Foundation
import JSONCore
import LoginEngine
import Tenant

/// The token-exchange grant (`urn:ietf:params:oauth:grant-type:token-exchange`), Auth0's Custom
/// Token Exchange: the profile for `subject_token_type` runs its action, which sets the user.
extension OAuthService {
    static let tokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"

    func tokenExchange(_ r: OAuthRequest, client: Client) async throws(OAuthError) -> JSONValue {
        guard let subjectToken = r.parameters["subject_token"], !subjectToken.isEmpty, let type = r["subject_token_type"], !type.isEmpty else {
            throw OAuthError(400, "invalid_request", "Missing required parameters: subject_token and subject_token_type")
        }
        if r["actor_token"] != nil || r["actor_token_type"] != nil {
            throw OAuthError(400, "invalid_request", "actor_token is not supported by authsim's Custom Token Exchange")
        }
        if let requested = r["requested_token_type"], requested != "urn:ietf:params:oauth:token-type:access_token" {
            throw OAuthError(400, "invalid_request", "requested_token_type must be urn:ietf:params:oauth:token-type:access_token")
        }
        let audience = r["audience"] ?? r["resource"]
        let scope = r["scope"] ?? "openid"
        // The request's other parameters (extension ones too) for the scripts; never a credential.
        let body = r.parameters.filter { !["client_secret", "client_assertion", "subject_token", "actor_token"].contains($0.key) }.mapValues(JSONValue.string)
        let request = LoginPipeline.TokenExchangeRequest(
            subjectToken: subjectToken, subjectTokenType: type, audience: audience, scope: scope, ip: r.ip ?? "127.0.0.1", userAgent: r.userAgent, body: body)
        let result: SimulationResult
        do { result = try await pipeline.customTokenExchange(client: client, request) } catch {
            throw OAuthError(error.status, error.error, error.description)
        }
        guard case .object(var out) = try await tokenResponse(result, client: client, scope: scope, audience: audience ?? tenant.settings.defaultAudience) else {
            throw OAuthError(500, "server_error", "no token response")
        }
        out["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
        return .object(out)
    }
}
