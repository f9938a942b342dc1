import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// Multi-factor authentication at the token endpoint, as Auth0's MFA API has it: a password
/// grant whose scripts ask for a second factor answers 403 `mfa_required` with an `mfa_token`;
/// with it the application lists (`GET /mfa/authenticators`) or enrols (`POST /mfa/associate`)
/// authenticators, asks for a challenge (`POST /mfa/challenge`) and finishes with the
/// `http://auth0.com/oauth/grant-type/mfa-otp` grant (a TOTP code). Out-of-band factors (email,
/// SMS, push: `mfa-oob`) are not simulated yet.
extension OAuthService {
    static let mfaOTPGrant = "http://auth0.com/oauth/grant-type/mfa-otp"

    /// The `mfa_required` answer for a login that needs a second factor.
    func mfaRequired(_ result: SimulationResult, requirement: MFARequirement, client: Client, audience: String?, scope: String) async -> OAuthError {
        guard let userId = result.user["user_id"]?.stringValue else { return OAuthError(500, "server_error", "no user") }
        if let unsupported = Self.unsupportedFactors(requirement) { return OAuthError(403, "access_denied", unsupported) }
        let wait = MFAWait(
            userId: userId, clientId: client.clientId, connection: result.connection,
            requirement: .init(factors: requirement.factors, enrollOnly: requirement.enrollOnly), created: Timestamp.now(),
            idToken: result.outcome == .allowed ? result.idToken : nil, accessToken: result.outcome == .allowed ? result.accessToken : nil,
            resume: result.outcome == .redirect ? result.resume : nil, protocolName: result.protocolName,
            fromRefresh: result.protocolName == "oauth2-refresh-token", audience: audience, scope: scope)
        do {
            let token = try await waitForSecondFactor(wait)
            return OAuthError(
                403, "mfa_required", "Multifactor authentication required",
                extra: ["mfa_token": .string(token), "mfa_requirements": await mfaRequirements(userId: userId)])
        } catch {
            return OAuthError(500, "server_error", "could not keep the login for its second factor: \(error)")
        }
    }

    /// The wait an `mfa_token` names, for this client.
    func apiWait(_ token: String?, client: Client?) async throws(OAuthError) -> MFAWait {
        guard let token, !token.isEmpty else { throw OAuthError(400, "invalid_request", "Missing required parameter: mfa_token") }
        guard let wait = await mfaWait(token), wait.parameters == nil, client == nil || wait.clientId == client?.clientId else {
            throw OAuthError(403, "invalid_grant", "Malformed mfa_token")
        }
        return wait
    }

    /// `mfa-otp`: the second factor, then the tokens the login was waiting for.
    func mfaGrant(_ r: OAuthRequest, client: Client) async throws(OAuthError) -> JSONValue {
        let token = r["mfa_token"] ?? ""
        _ = try await apiWait(token, client: client)
        guard let otp = r["otp"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: otp") }
        // The attempt counts before the code is checked (concurrent attempts each count).
        guard let wait = await reserveAttempt(token) else { throw OAuthError(403, "invalid_grant", "Malformed mfa_token") }
        guard (try? await pipeline.verifyOTP(userId: wait.userId, code: otp, enrolling: wait.authenticatorId)) != nil else {
            if wait.attempts >= MFAWait.maximumAttempts { _ = await mfaWait(token, take: true) }
            throw OAuthError(403, "invalid_grant", "Invalid otp_code.")
        }
        let passed = MFAPassed(at: Timestamp.now(), factor: "otp")
        // The token is good once; the user may have been blocked or deleted while the login waited.
        guard await mfaWait(token, take: true) != nil else { throw OAuthError(403, "invalid_grant", "Malformed mfa_token") }
        guard let user = try? await pipeline.store.user(id: wait.userId), !user.blocked else { throw OAuthError(403, "invalid_grant", "user is blocked") }
        let scope = wait.scope ?? "openid"
        if let resume = wait.resume {
            var request = SimulationRequest(user: .stored(wait.userId))
            request.client = client.clientId
            request.audience = wait.audience
            request.scope = scope
            request.ip = r.ip
            request.userAgent = r.userAgent
            request.protocolName = wait.protocolName ?? "oauth2-password"
            request.resume = resume
            request.mfaPassed = passed
            let result: SimulationResult
            do { result = try await pipeline.silentLogin(userId: wait.userId, request: request) } catch {
                throw OAuthError(400, "invalid_request", error.description)
            }
            if let requirement = result.mfa, result.outcome == .allowed || result.outcome == .redirect {
                throw await mfaRequired(result, requirement: requirement, client: client, audience: wait.audience, scope: scope)
            }
            return try await tokenResponse(
                result, client: client, scope: scope, audience: wait.audience, refreshToken: wait.fromRefresh == true ? .given(nil) : .new(sessionId: nil), request: r)
        }
        guard let id = wait.idToken, let access = wait.accessToken else { throw OAuthError(500, "server_error", "the held tokens are missing") }
        let signed: IssuedToken
        do { signed = try pipeline.issuer.withMFA(id, client: client) } catch { throw OAuthError(500, "server_error", String(describing: error)) }
        // A refresh-token exchange that needed the factor: the presented token stays the client's.
        return try await tokenResponse(
            idToken: signed, accessToken: access, userId: wait.userId, client: client, scope: scope, audience: wait.audience,
            refreshToken: wait.fromRefresh == true ? .given(nil) : .new(sessionId: nil), request: r)
    }

    /// `GET /mfa/authenticators` (Bearer: the mfa_token).
    public func mfaAuthenticators(mfaToken: String?) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            let wait = try await apiWait(mfaToken, client: nil)
            let list = (try? await pipeline.authenticators(userId: wait.userId)) ?? []
            return .success(.array(list.map(\.json)))
        } catch {
            return .failure(error)
        }
    }

    /// `POST /mfa/associate` (Bearer: the mfa_token): enrols a TOTP app (`authenticator_types:
    /// ["otp"]`: the secret and its `otpauth://` URI). Only a user without a confirmed factor.
    public func mfaAssociate(_ r: OAuthRequest, mfaToken: String?) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            let token = mfaToken ?? ""
            let wait = try await apiWait(token, client: nil)
            if let id = r["client_id"], id != wait.clientId { throw OAuthError(403, "invalid_grant", "Malformed mfa_token") }
            let list = (try? await pipeline.authenticators(userId: wait.userId)) ?? []
            guard !list.contains(where: \.confirmed) else { throw OAuthError(403, "access_denied", "User is already enrolled.") }
            let types = Self.list(r, "authenticator_types")
            if types == ["otp"] {
                guard let a = try? await pipeline.addAuthenticator(userId: wait.userId, type: "otp"), let secret = a.secret else {
                    throw OAuthError(500, "server_error", "could not start the enrolment")
                }
                // Only this login may confirm it.
                await updateWait(token) { $0.authenticatorId = a.id }
                let user = try? await pipeline.store.user(id: wait.userId)
                let uri = TOTP.uri(secret: secret, issuer: tenant.settings.friendlyName ?? tenant.settings.domain, account: user?.email ?? wait.userId)
                return .success(["authenticator_type": "otp", "secret": .string(secret), "barcode_uri": .string(uri), "recovery_codes": []])
            }
            throw OAuthError(400, "unsupported_challenge_type", "authsim enrols authenticator_types [\"otp\"] (out-of-band factors are not simulated yet)")
        } catch {
            return .failure(error)
        }
    }

    /// `POST /mfa/challenge`: `challenge_type` `otp` (the app's code is asked for; the user must
    /// have a TOTP authenticator).
    public func mfaChallenge(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            let client = try authenticateClient(r)
            let wait = try await apiWait(r["mfa_token"], client: client)
            let types = (r["challenge_type"] ?? "otp").split(separator: " ").map(String.init)
            let list = ((try? await pipeline.authenticators(userId: wait.userId)) ?? []).filter { r["authenticator_id"] == nil || $0.id == r["authenticator_id"] }
            if types.contains("otp"), list.contains(where: { $0.type == "otp" }) { return .success(["challenge_type": "otp"]) }
            throw OAuthError(400, "unsupported_challenge_type", "The user has no authenticator for challenge type \(types.joined(separator: " "))")
        } catch {
            return .failure(error)
        }
    }

    /// A list parameter: a JSON array, or space/comma-separated in a form.
    static func list(_ r: OAuthRequest, _ name: String) -> [String] {
        let text = r[name] ?? ""
        if text.hasPrefix("["), let items = (try? JSONValue.parse(text))?.arrayValue { return items.compactMap(\.stringValue) }
        return text.split { $0 == " " || $0 == "," }.map(String.init)
    }
}
