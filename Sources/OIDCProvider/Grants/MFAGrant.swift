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
/// `http://auth0.com/oauth/grant-type/mfa-otp` grant (a TOTP code) or the
/// `http://auth0.com/oauth/grant-type/mfa-oob` grant (the `oob_code` of a code sent by email or
/// SMS, with that code as `binding_code`). Push and WebAuthn are not simulated.
extension OAuthService {
    static let mfaOTPGrant = "http://auth0.com/oauth/grant-type/mfa-otp"
    static let mfaOOBGrant = "http://auth0.com/oauth/grant-type/mfa-oob"

    /// The `mfa_required` answer for a login that needs a second factor.
    func mfaRequired(_ result: SimulationResult, requirement: MFARequirement, client: Client, audience: String?, scope: String) async -> OAuthError {
        guard let userId = result.user["user_id"]?.stringValue else { return OAuthError(500, "server_error", "no user") }
        if let unsupported = Self.unsupportedFactors(requirement) { return OAuthError(403, "access_denied", unsupported) }
        let wait = MFAWait(
            userId: userId, clientId: client.clientId, connection: result.connection,
            requirement: .init(factors: requirement.factors, enrollOnly: requirement.enrollOnly), created: Timestamp.now(),
            idToken: result.outcome == .allowed ? result.idToken : nil, accessToken: result.outcome == .allowed ? result.accessToken : nil,
            resume: result.outcome == .redirect ? result.resume : nil, protocolName: result.protocolName,
            fromRefresh: result.protocolName == "oauth2-refresh-token", audience: audience, scope: scope, organization: result.organization)
        do {
            let token = try await waitForSecondFactor(wait)
            return OAuthError(
                403, "mfa_required", "Multifactor authentication required",
                extra: ["mfa_token": .string(token), "mfa_requirements": await mfaRequirements(userId: userId, allowed: requirement.factors)])
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

    /// `mfa-otp` (a TOTP code) and `mfa-oob` (an emailed or texted code): the second factor,
    /// then the tokens the login was waiting for. A factor the scripts did not allow is refused.
    func mfaGrant(_ r: OAuthRequest, client: Client, outOfBand: Bool = false) async throws(OAuthError) -> JSONValue {
        let token = r["mfa_token"] ?? ""
        let before = try await apiWait(token, client: client)
        let code: String, oobCode: String?
        if outOfBand {
            guard let oob = r["oob_code"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: oob_code") }
            guard let binding = r["binding_code"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: binding_code") }
            (code, oobCode) = (binding, oob)
        } else {
            guard let otp = r["otp"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: otp") }
            guard before.allows("otp") else { throw OAuthError(403, "invalid_grant", "The login asked for another factor than otp.") }
            (code, oobCode) = (otp, nil)
        }
        // The attempt counts before the code is checked (concurrent attempts each count).
        guard let wait = await reserveAttempt(token) else { throw OAuthError(403, "invalid_grant", "Malformed mfa_token") }
        let accepted: MFAAuthenticator?
        if let oobCode {
            accepted = try? await pipeline.verifyOOB(
                userId: wait.userId, oobCode: oobCode, bindingCode: code, login: token, enrolling: wait.authenticatorId, allows: { wait.allows($0) })
        } else {
            accepted = try? await pipeline.verifyOTP(userId: wait.userId, code: code, enrolling: wait.authenticatorId)
        }
        guard let accepted, wait.allows(accepted.factor) else {
            if wait.attempts >= MFAWait.maximumAttempts { _ = await mfaWait(token, take: true) }
            throw OAuthError(403, "invalid_grant", outOfBand ? "Invalid binding_code." : "Invalid otp_code.")
        }
        let passed = MFAPassed(at: Timestamp.now(), factor: accepted.factor)
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
            request.organization = wait.organization
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
            return .success(.array(list.map(\.maskedJSON)))
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
            if types == ["oob"] {
                let channels = Self.list(r, "oob_channels")
                let channel = channels.first ?? "email"
                guard channels.count <= 1, ["email", "sms"].contains(channel) else {
                    throw OAuthError(400, "unsupported_challenge_type", "authsim sends codes by oob_channels [\"email\"] or [\"sms\"] (push is not simulated)")
                }
                let address: String
                if channel == "email" {
                    let user = try? await pipeline.store.user(id: wait.userId)
                    guard let email = r["email"] ?? user?.email, email.contains("@"), email.utf8.count <= 254,
                        !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
                    else {
                        throw OAuthError(400, "invalid_request", "email is required for the email channel")
                    }
                    address = email
                } else {
                    guard let phone = r["phone_number"], phone.utf8.first == UInt8(ascii: "+"), (8...16).contains(phone.utf8.count),
                        phone.utf8.dropFirst().allSatisfy({ (0x30...0x39).contains($0) })
                    else {
                        throw OAuthError(400, "invalid_request", "phone_number is required for the sms channel, in E.164 form (+15551234567)")
                    }
                    address = phone
                }
                guard wait.allows(channel == "sms" ? "phone" : "email") else {
                    throw OAuthError(403, "access_denied", "The login asked for another factor than \(channel == "sms" ? "phone" : "email").")
                }
                // One enrolment per login: a new one replaces the login's earlier, unconfirmed one.
                if let earlier = wait.authenticatorId { _ = try? await pipeline.removeAuthenticators(userId: wait.userId, id: earlier) }
                guard let a = try? await pipeline.addAuthenticator(userId: wait.userId, type: "oob", channel: channel, address: address),
                    let oob = try? await pipeline.sendOOBCode(a, for: token)
                else { throw OAuthError(500, "server_error", "could not start the enrolment") }
                await updateWait(token) { $0.authenticatorId = a.id }
                return .success([
                    "authenticator_type": "oob", "oob_channel": .string(channel), "oob_code": .string(oob), "binding_method": "prompt", "recovery_codes": [],
                ])
            }
            if types == ["otp"] {
                guard wait.allows("otp") else { throw OAuthError(403, "access_denied", "The login asked for another factor than otp.") }
                if let earlier = wait.authenticatorId { _ = try? await pipeline.removeAuthenticators(userId: wait.userId, id: earlier) }
                guard let a = try? await pipeline.addAuthenticator(userId: wait.userId, type: "otp"), let secret = a.secret else {
                    throw OAuthError(500, "server_error", "could not start the enrolment")
                }
                // Only this login may confirm it.
                await updateWait(token) { $0.authenticatorId = a.id }
                let user = try? await pipeline.store.user(id: wait.userId)
                let uri = TOTP.uri(secret: secret, issuer: tenant.settings.friendlyName ?? tenant.settings.domain, account: user?.email ?? wait.userId)
                return .success(["authenticator_type": "otp", "secret": .string(secret), "barcode_uri": .string(uri), "recovery_codes": []])
            }
            throw OAuthError(400, "unsupported_challenge_type", "authsim enrols authenticator_types [\"otp\"] or [\"oob\"] (email, sms)")
        } catch {
            return .failure(error)
        }
    }

    /// `POST /mfa/challenge`: `challenge_type` `otp` (the app's code is asked for; the user must
    /// have a TOTP authenticator) or `oob` (a code is sent to the user's email or phone
    /// authenticator, `authenticator_id` or the first; answers its `oob_code`).
    public func mfaChallenge(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            let client = try authenticateClient(r)
            let wait = try await apiWait(r["mfa_token"], client: client)
            let types = (r["challenge_type"] ?? "otp").split(separator: " ").map(String.init)
            let list = ((try? await pipeline.authenticators(userId: wait.userId)) ?? []).filter { r["authenticator_id"] == nil || $0.id == r["authenticator_id"] }
            let usable = list.filter { $0.confirmed && wait.allows($0.factor) }
            if types.contains("otp"), usable.contains(where: { $0.type == "otp" }) { return .success(["challenge_type": "otp"]) }
            if types.contains("oob"), let a = usable.first(where: { $0.type == "oob" }) {
                guard let oob = try? await pipeline.sendOOBCode(a, for: r["mfa_token"] ?? "") else { throw OAuthError(500, "server_error", "could not send the code") }
                return .success(["challenge_type": "oob", "oob_code": .string(oob), "binding_method": "prompt"])
            }
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
