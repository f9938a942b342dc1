import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// An OAuth 2.0 error response: `{"error", "error_description"}` with its HTTP status.
public struct OAuthError: Error, Sendable, Equatable {
    public var status: Int
    public var error: String
    public var description: String

    public init(_ status: Int, _ error: String, _ description: String) {
        self.status = status
        self.error = error
        self.description = description
    }

    public var json: JSONValue { ["error": .string(error), "error_description": .string(description)] }
}

/// A token-endpoint request, whatever its encoding (form or JSON).
public struct OAuthRequest: Sendable {
    public var parameters: [String: String]
    /// `Authorization: Basic` credentials (client_secret_basic).
    public var basicCredentials: (id: String, secret: String)?
    public var ip: String?
    public var userAgent: String?

    public init(parameters: [String: String], basicCredentials: (id: String, secret: String)? = nil, ip: String? = nil, userAgent: String? = nil) {
        self.parameters = parameters
        self.basicCredentials = basicCredentials
        self.ip = ip
        self.userAgent = userAgent
    }

    public subscript(_ name: String) -> String? {
        guard let v = parameters[name], !v.isEmpty else { return nil }
        return v
    }
}

/// The token, userinfo and revocation endpoints' logic (tokens-and-oidc.md). Routes only
/// decode requests into `OAuthRequest` and encode the results.
public struct OAuthService: Sendable {
    public let pipeline: LoginPipeline
    public let rateLimiter: RateLimiter

    public init(pipeline: LoginPipeline, rateLimiter: RateLimiter = RateLimiter()) {
        self.pipeline = pipeline
        self.rateLimiter = rateLimiter
    }

    /// The rate-limit decision for the client a token request names (nil: no limit applies).
    public func rateLimit(_ r: OAuthRequest) -> RateLimiter.Decision? {
        guard let id = r.basicCredentials?.id ?? r["client_id"], let client = tenant.clients.first(where: { $0.clientId == id }) else { return nil }
        return rateLimiter.check(client)
    }

    static let passwordRealmGrant = "http://auth0.com/oauth/grant-type/password-realm"
    static let passwordlessGrant = "http://auth0.com/oauth/grant-type/passwordless/otp"
    public static let supportedGrants = ["authorization_code", "password", passwordRealmGrant, passwordlessGrant, "client_credentials", "refresh_token"]

    var tenant: Tenant { pipeline.tenant }

    // MARK: - Client authentication

    /// client_secret_basic, client_secret_post, or none for public clients.
    func authenticateClient(_ r: OAuthRequest, secretRequired: Bool = false) throws(OAuthError) -> Client {
        let id = r.basicCredentials?.id ?? r["client_id"]
        guard let id else { throw OAuthError(401, "invalid_client", "Missing client_id") }
        guard let client = tenant.clients.first(where: { $0.clientId == id }) else {
            throw OAuthError(401, "invalid_client", "Unknown client \(id)")
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


    // MARK: - POST /oauth/token

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
        return try await tokenResponse(result, client: client, scope: request.scope!, audience: request.audience ?? tenant.settings.defaultAudience)
    }

    /// `POST /passwordless/start`: the client authenticates as at the token endpoint.
    public func passwordlessStart(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            let client = try authenticateClient(r)
            do {
                return .success(try await pipeline.passwordlessStart(
                    clientId: client.clientId, connection: r["connection"] ?? "", email: r["email"], phoneNumber: r["phone_number"], send: r["send"],
                    ip: r.ip, userAgent: r.userAgent))
            } catch {
                throw OAuthError(error.status, error.error, error.description)
            }
        } catch {
            return .failure(error)
        }
    }

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

    func clientCredentials(_ r: OAuthRequest, client: Client) async throws(OAuthError) -> JSONValue {
        guard let audience = r["audience"] ?? tenant.settings.defaultAudience else {
            throw OAuthError(403, "access_denied", "No audience parameter was provided, and no default audience has been configured")
        }
        guard let grant = tenant.clientGrant(clientId: client.clientId, audience: audience) else {
            throw OAuthError(403, "access_denied", "Client has not been granted scopes: \(audience)")
        }
        var scope = grant.scope
        if let asked = r["scope"] {
            let wanted = asked.split(separator: " ").map(String.init)
            if let missing = wanted.first(where: { !grant.scope.contains($0) }) {
                throw OAuthError(403, "access_denied", "Client has not been granted scope: \(missing)")
            }
            scope = wanted
        }
        let lifetime = tenant.isManagementAudience(audience)
            ? Int(tenant.settings.managementTokenLifetime) : (tenant.resourceServer(identifier: audience)?.tokenLifetime ?? 86400)
        // credentials-exchange actions: custom claims, or a denial.
        let exchange: RulesRunner.TriggerOutcome
        do {
            exchange = try await pipeline.credentialsExchange(client: client, audience: audience, scopes: scope, ip: r.ip, userAgent: r.userAgent)
        } catch {
            throw OAuthError(500, "server_error", error.description)
        }
        if let denied = exchange.denied {
            throw OAuthError(403, denied.error == "access_denied" || denied.error.isEmpty ? "access_denied" : denied.error, denied.description)
        }
        do {
            let (token, dropped) = try pipeline.issuer.issueClientCredentials(
                client: client, audience: audience, scope: scope, lifetime: lifetime, now: Timestamp.now(), customClaims: exchange.accessTokenClaims, sources: exchange.claimSources)
            for d in dropped {
                pipeline.logger.warning("dropped claim", metadata: ["claim": .string(d.claim), "action": .string(d.setBy ?? "?"), "reason": .string(d.reason)])
            }
            pipeline.logger.info("client credentials token", metadata: ["client": .string(client.name), "audience": .string(audience)])
            return ["access_token": .string(token), "token_type": "Bearer", "expires_in": .number(Double(lifetime)), "scope": .string(scope.joined(separator: " "))]
        } catch {
            throw OAuthError(500, "server_error", "signing failed: \(error)")
        }
    }

    /// Turns a login result into the token response, or its OAuth error.
    func tokenResponse(_ result: SimulationResult, client: Client, scope: String, audience: String?, issueRefreshToken: Bool = true) async throws(OAuthError) -> JSONValue {
        switch result.outcome {
        case .allowed: break
        case .denied, .redirect, .error:
            let e = result.error ?? FlowError("access_denied", "login failed")
            switch e.error {
            case "invalid_grant": throw OAuthError(403, "invalid_grant", e.description)
            case "unauthorized" where e.description == "user is blocked" && result.trace.isEmpty:
                throw OAuthError(403, "invalid_grant", "user is blocked")
            case "unauthorized": throw OAuthError(401, "unauthorized", e.description)
            case "interaction_required": throw OAuthError(400, "interaction_required", e.description)
            case "server_error": throw OAuthError(500, "server_error", e.description)
            case "temporarily_unavailable": throw OAuthError(503, "temporarily_unavailable", e.description)
            default: throw OAuthError(403, e.error, e.description)
            }
        }
        guard let id = result.idToken, let at = result.accessToken else { throw OAuthError(500, "server_error", "no tokens were issued") }
        return try await tokenResponse(idToken: id, accessToken: at, userId: result.user["user_id"]?.stringValue, client: client, scope: scope, audience: audience, issueRefreshToken: issueRefreshToken)
    }

    /// The token response for a login's tokens (a refresh token too with `offline_access`).
    func tokenResponse(idToken id: IssuedToken, accessToken at: IssuedToken, userId: String?, client: Client, scope: String, audience: String?, issueRefreshToken: Bool = true) async throws(OAuthError) -> JSONValue {
        var out: [String: JSONValue] = ["token_type": "Bearer"]
        out["access_token"] = .string(at.jwt ?? at.opaque ?? "")
        out["expires_in"] = .number(at.claims["exp"]?.doubleValue.map { max(0, $0 - Timestamp.now().rounded(.down)) } ?? 86400)
        out["scope"] = at.claims["scope"] ?? .string(scope)
        let scopes = Set(scope.split(separator: " ").map(String.init))
        if scopes.contains("openid"), let jwt = id.jwt { out["id_token"] = .string(jwt) }
        if issueRefreshToken, scopes.contains("offline_access"), client.allowedGrantTypes.contains("refresh_token"), let userId {
            let token = OpaqueToken.new()
            do {
                try await pipeline.store.saveRefreshToken(
                    RefreshTokenRecord(hash: OpaqueToken.hash(token), userId: userId, clientId: client.clientId, audience: audience, scope: scope, createdAt: Timestamp.now()))
            } catch {
                throw OAuthError(500, "server_error", String(describing: error))
            }
            out["refresh_token"] = .string(token)
        }
        return .object(out)
    }

    // MARK: - /userinfo

    /// Profile claims by the token's scope, plus the custom claims the ID token of the same
    /// login carried.
    public func userinfo(authorizationHeader: String?) async -> Result<JSONValue, OAuthError> {
        let settings = tenant.settings
        let verifier = AccessTokenVerifier(keys: pipeline.issuer.keys, issuer: settings.effectiveIssuer, audience: settings.effectiveIssuer + "userinfo")
        let claims: JSONValue
        do {
            claims = try verifier.verify(authorizationHeader: authorizationHeader, requiredScope: "openid")
        } catch {
            return .failure(OAuthError(401, "invalid_token", error.message))
        }
        guard let sub = claims["sub"]?.stringValue else { return .failure(OAuthError(401, "invalid_token", "token has no subject")) }
        do {
            guard let user = try await pipeline.store.user(id: sub) else { return .failure(OAuthError(401, "invalid_token", "user no longer exists")) }
            let scopes = Set((claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
            let profile = user.json
            var out: [String: JSONValue] = ["sub": .string(sub)]
            if scopes.contains("profile") {
                for k in ["name", "nickname", "given_name", "family_name", "picture", "updated_at", "locale"] { if let v = profile[k] { out[k] = v } }
            }
            if scopes.contains("email") { for k in ["email", "email_verified"] { if let v = profile[k] { out[k] = v } } }
            if scopes.contains("phone") {
                if let v = profile["phone_number"] { out["phone_number"] = v }
                if let v = profile["phone_verified"] { out["phone_number_verified"] = v }
            }
            if let jti = claims["jti"]?.stringValue, let text = try await pipeline.store.trace(id: jti), let trace = try? JSONValue.parse(text) {
                let idClaims = trace["idToken"]?["claims"]?.objectValue ?? [:]
                for k in (trace["claimSources"]?["idToken"]?.objectValue ?? [:]).keys { if let v = idClaims[k] { out[k] = v } }
            }
            return .success(.object(out))
        } catch {
            return .failure(OAuthError(500, "server_error", String(describing: error)))
        }
    }

    // MARK: - /oauth/revoke

    /// Revokes a refresh token of the authenticated client. Unknown tokens succeed (RFC 7009).
    public func revoke(_ r: OAuthRequest) async -> Result<Void, OAuthError> {
        do throws(OAuthError) {
            let client = try authenticateClient(r)
            guard let token = r["token"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: token") }
            let hash = OpaqueToken.hash(token)
            do {
                if let record = try await pipeline.store.refreshToken(hash: hash) {
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

    // MARK: - Helpers


}
