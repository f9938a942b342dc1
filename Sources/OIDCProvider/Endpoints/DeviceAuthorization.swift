import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The device authorization grant (RFC 8628) as Auth0 has it: `POST /oauth/device/code` gives a
/// device code and a user code; the user opens `/activate`, confirms the code and logs in
/// through the login pages (the rules and actions run with `protocol = oauth2-device-code`);
/// the device polls the token endpoint with the
/// `urn:ietf:params:oauth:grant-type:device_code` grant until the login is done.
struct DeviceGrant: KeptValue {
    var clientId: String
    var scope: String
    var audience: String?
    var userCode: String
    var created: Double
    var expires: Double
    var interval: Double
    var lastPoll: Double?
    /// The poll that came too early (it got `slow_down`).
    var slowedDownAt: Double?
    /// When a login approved or denied it.
    var decidedAt: Double?
    /// `pending`, `approved`, `denied`.
    var status: String
    var idToken: IssuedToken?
    var accessToken: IssuedToken?
    var userId: String?
    var sessionId: String?
    /// A denied login's error and description.
    var error: String?
    var errorDescription: String?
}

extension AuthorizationService {
    static let deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"
    static let deviceCodeLifetime: Double = 900
    static let userCodeAlphabet = Array("BCDFGHJKLMNPQRSTVWXZ")

    /// The redirect URI a device login's transaction carries instead of an application's callback.
    static let deviceRedirect = "urn:authsim:device"

    static func deviceKey(_ deviceCodeHash: String) -> String { Kept.device.rawValue + ":" + deviceCodeHash }
    static func userCodeKey(_ userCode: String) -> String { key(.deviceUser, normalizedUserCode(userCode)) }

    /// What the user may type: letters in any case, with or without the dash.
    static func normalizedUserCode(_ code: String) -> String {
        code.uppercased().filter { $0.isLetter }
    }

    /// `POST /oauth/device/code`.
    public func deviceCode(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            let client = try oauth.authenticateClient(r)
            guard client.allowedGrantTypes.contains(Self.deviceGrant) else {
                throw OAuthError(403, "unauthorized_client", "Grant type '\(Self.deviceGrant)' not allowed for the client.")
            }
            var g = SystemRandomNumberGenerator()
            let letters = (0..<8).map { _ in Self.userCodeAlphabet.randomElement(using: &g)! }
            let userCode = String(letters[0..<4]) + "-" + String(letters[4..<8])
            let deviceCode = OpaqueToken.new()
            let now = Timestamp.now()
            let grant = DeviceGrant(
                clientId: client.clientId, scope: r["scope"] ?? "openid", audience: r["audience"] ?? pipeline.tenant.settings.defaultAudience, userCode: userCode,
                created: now, expires: now + Self.deviceCodeLifetime, interval: 5, status: "pending")
            do {
                try await pipeline.store.keep(grant, at: Self.deviceKey(OpaqueToken.hash(deviceCode)), expires: grant.expires)
                try await pipeline.store.putEphemeral(Self.userCodeKey(userCode), OpaqueToken.hash(deviceCode), expires: grant.expires)
            } catch {
                throw OAuthError(500, "server_error", String(describing: error))
            }
            let verification = pipeline.tenant.settings.effectiveIssuer + "activate"
            return .success([
                "device_code": .string(deviceCode), "user_code": .string(userCode), "verification_uri": .string(verification),
                "verification_uri_complete": .string(verification + "?user_code=" + userCode), "expires_in": .number(Self.deviceCodeLifetime),
                "interval": .number(grant.interval),
            ])
        } catch {
            return .failure(error)
        }
    }

    func deviceGrant(hash: String) async -> DeviceGrant? {
        (try? await pipeline.store.kept(DeviceGrant.self, at: Self.deviceKey(hash))) ?? nil
    }

    /// Changes a pending device grant that is still there; returns it after the change.
    func changeDeviceGrant(hash: String, _ change: @escaping @Sendable (inout DeviceGrant) -> Void) async -> DeviceGrant? {
        let result = try? await pipeline.store.change(DeviceGrant.self, at: Self.deviceKey(hash), expires: \.expires) { g in
            change(&g)
            return true
        }
        return result ?? nil
    }

    /// `GET /activate`: the page asking for the code shown on the device.
    public func activatePage(userCode: String?) -> Step { .activate(userCode: userCode, error: nil) }

    /// `POST /activate`: a known, pending user code opens the login pages for the device's
    /// client (bound to this browser as any login page). The form must come from the page
    /// rendered for this browser.
    public func activate(userCode: String, binding: BrowserBinding) async -> Step {
        guard let browser = binding.browser, binding.admits(transaction: "activate", boundTo: OpaqueToken.hash(browser), needsForm: true) else {
            return .forbidden(BrowserBinding.refusal)
        }
        let again = { (why: String) in Step.activate(userCode: userCode, error: why) }
        guard let hash = try? await pipeline.store.readEphemeral(Self.userCodeKey(userCode), now: Timestamp.now()), let grant = await deviceGrant(hash: hash),
            grant.status == "pending", let client = pipeline.tenant.clients.first(where: { $0.clientId == grant.clientId })
        else { return again("That code is unknown, used or expired: check the code your device shows.") }
        var p = Parameters(
            clientId: client.clientId, redirectURI: Self.deviceRedirect, responseType: "code", scope: grant.scope, state: nil, nonce: nil,
            audience: grant.audience, connection: nil, prompt: nil, codeChallenge: nil, codeChallengeMethod: nil, loginHint: nil, responseMode: nil)
        p.device = hash
        let tx = randomHexID()
        do { try await saveTransaction(tx, Transaction(parameters: p, created: Timestamp.now(), browser: OpaqueToken.hash(browser))) } catch {
            return again("Could not start the login: \(error)")
        }
        return .login(transaction: tx, client: client, connection: pipeline.defaultConnectionName, loginHint: nil, error: nil)
    }

    /// What the browser is shown: a failed device login denies the device's grant first.
    public func settle(_ step: Step) async -> Step {
        guard case .deviceFailed(let device, let error, let description) = step else { return step }
        return await finishDevice(device, userId: nil, tokens: nil, sessionId: nil, error: FlowError(error, description))
    }

    /// The end of a device login in the browser: the device's grant is approved with the
    /// login's tokens, or denied with its error; the browser is told so.
    func finishDevice(_ hash: String, userId: String?, tokens: (id: IssuedToken, access: IssuedToken)?, sessionId: String?, error: FlowError?) async -> Step {
        let now = Timestamp.now()
        let done = await changeDeviceGrant(hash: hash) { g in
            guard g.status == "pending" else { return }
            g.decidedAt = now
            if let tokens {
                (g.status, g.idToken, g.accessToken, g.userId, g.sessionId) = ("approved", tokens.id, tokens.access, userId, sessionId)
            } else {
                let e = error ?? FlowError("access_denied", "the login was denied")
                (g.status, g.error, g.errorDescription) = ("denied", e.error, e.description)
            }
        }
        guard let done else { return .invalid("The device's code expired meanwhile. Start again on the device.") }
        // Only the login that decided is told the outcome (another browser with the same code is not).
        guard done.decidedAt == now else { return .invalid("This device's code was already used. Start again on the device.") }
        if done.status == "approved" { return .message("Your device is connected. You can close this page and go back to it.") }
        return .message("The device was not connected: \(done.errorDescription ?? "the login was denied").")
    }
}

extension OAuthService {
    /// The device code grant: `authorization_pending` (403) until the user finished, `slow_down`
    /// (429, and the interval grows by 5 s) when polled faster than the interval,
    /// `expired_token`, `access_denied`; then the tokens, once.
    func deviceToken(_ r: OAuthRequest, client: Client, authorization: AuthorizationService) async throws(OAuthError) -> JSONValue {
        guard let code = r["device_code"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: device_code") }
        let hash = OpaqueToken.hash(code)
        let now = Timestamp.now()
        let clientId = client.clientId
        guard let polled = await authorization.changeDeviceGrant(hash: hash, { g in
            guard g.clientId == clientId else { return }
            if g.status == "pending", let last = g.lastPoll, now - last < g.interval {
                g.interval += 5
                g.slowedDownAt = now
            }
            g.lastPoll = now
        }), polled.clientId == client.clientId
        else { throw OAuthError(403, "invalid_grant", "Invalid or expired device code.") }
        if polled.expires <= now { throw OAuthError(403, "expired_token", "The device code expired") }
        switch polled.status {
        case "pending":
            if polled.slowedDownAt == now {
                throw OAuthError(429, "slow_down", "You are polling faster than the specified interval of \(Int(polled.interval - 5)) seconds.")
            }
            throw OAuthError(403, "authorization_pending", "User has yet to authorize device code.")
        case "denied":
            _ = try? await pipeline.store.takeEphemeral(AuthorizationService.deviceKey(hash), now: now)
            if polled.error == "server_error" { throw OAuthError(500, "server_error", polled.errorDescription ?? "The login failed") }
            throw OAuthError(403, "access_denied", polled.errorDescription ?? "User refused the device")
        default:
            // Approved: the tokens, once.
            guard (try? await pipeline.store.takeEphemeral(AuthorizationService.deviceKey(hash), now: now)) != nil, let id = polled.idToken,
                let access = polled.accessToken
            else { throw OAuthError(403, "invalid_grant", "Invalid or expired device code.") }
            // The user may have been blocked or deleted since the approval.
            guard let userId = polled.userId, let user = try? await pipeline.store.user(id: userId), !user.blocked else {
                throw OAuthError(403, "access_denied", "user is blocked")
            }
            return try await tokenResponse(
                idToken: id, accessToken: access, userId: polled.userId, client: client, scope: polled.scope, audience: polled.audience,
                refreshToken: .new(sessionId: polled.sessionId), request: r)
        }
    }
}
