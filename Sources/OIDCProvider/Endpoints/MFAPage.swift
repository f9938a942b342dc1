import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `GET|POST /mfa`: the second factor of a browser login. A user with a confirmed TOTP
/// authenticator is asked for its current code; one with an email or phone factor is sent a
/// code (to the daemon log) and asked for it; a user without a factor enrols a TOTP app (the
/// secret, and the `otpauth://` URI an authenticator app scans), or, when the scripts asked for
/// `email` only, the email address of the profile. A correct code finishes the
/// login: a paused action resumes in its `onContinuePostLogin` (with `mfa` in
/// `event.authentication.methods`), or the held tokens are released with `amr: ["mfa"]`; the
/// session records the `mfa` method.
extension AuthorizationService {
    /// What the `/mfa` page shows.
    public struct MFAEnrollment: Sendable, Equatable {
        public var secret: String
        public var uri: String
    }

    public func mfaPage(state: String, browser: String?) async -> Step {
        guard let wait = await browserWait(state, browser) else { return Self.unknownMFAStep }
        return await mfaStep(state, wait, error: nil)
    }

    static let unknownMFAStep = Step.invalid(
        "This second-factor step is unknown, used, expired or from another browser. Start again from the application.")

    func browserWait(_ state: String, _ browser: String?) async -> MFAWait? {
        guard let browser, let wait = await oauth.mfaWait(state), wait.parameters != nil, wait.browser == OpaqueToken.hash(browser) else { return nil }
        return wait
    }

    func mfaStep(_ state: String, _ wait: MFAWait, error: String?) async -> Step {
        let list = (try? await pipeline.authenticators(userId: wait.userId)) ?? []
        let usable = list.filter { $0.confirmed && wait.allows($0.factor) }
        if usable.contains(where: { $0.type == "otp" }) { return .mfa(state: state, enrollment: nil, error: error) }
        if let oob = usable.first(where: { $0.type == "oob" }) { return await outOfBandStep(state, wait, oob, error: error) }
        // A user who has a factor passes it: a login that asks for another one cannot enrol a new
        // one in its place (whoever knows the password would get past the existing factor).
        if list.contains(where: \.confirmed) {
            guard let p = wait.parameters else { return Self.unknownMFAStep }
            _ = await oauth.mfaWait(state, take: true)
            return errorRedirect(p, "access_denied", "The user has no enrolled factor of the kind the login asks for (\(wait.requirement.factors.joined(separator: ", ")))")
        }
        // Enrolment: this login's (kept while the user types a code), or a new one.
        var authenticator: MFAAuthenticator? = nil
        if let id = wait.authenticatorId { authenticator = await pipeline.authenticator(userId: wait.userId, id: id) }
        if let a = authenticator, a.type == "oob" { return await outOfBandStep(state, wait, a, error: error) }
        if !wait.allows("otp") {
            // Email only: the profile's address, as Auth0's email factor uses.
            guard wait.allows("email"), let email = (try? await pipeline.store.user(id: wait.userId))??.email,
                let made = try? await pipeline.addAuthenticator(userId: wait.userId, type: "oob", channel: "email", address: email)
            else {
                return .invalid("The application asked for a second factor that this login cannot enrol in the browser (a phone number): enrol it through the MFA API first.")
            }
            await oauth.updateWait(state) { $0.authenticatorId = made.id }
            return await outOfBandStep(state, wait, made, error: error)
        }
        if authenticator == nil, let made = try? await pipeline.addAuthenticator(userId: wait.userId, type: "otp") {
            authenticator = made
            await oauth.updateWait(state) { $0.authenticatorId = made.id }
        }
        guard let secret = authenticator?.secret else {
            return .invalid("Could not start the enrolment of a second factor.")
        }
        let user = try? await pipeline.store.user(id: wait.userId)
        let account = user?.email ?? user?.username ?? wait.userId
        let issuer = pipeline.tenant.settings.friendlyName ?? pipeline.tenant.settings.domain
        return .mfa(state: state, enrollment: MFAEnrollment(secret: secret, uri: TOTP.uri(secret: secret, issuer: issuer, account: account)), error: error)
    }

    /// The page of an email or phone factor: a code is sent once per wait (the page shows where).
    func outOfBandStep(_ state: String, _ wait: MFAWait, _ a: MFAAuthenticator, error: String?) async -> Step {
        // Once per wait, and again when the code expired (a code lasts 5 minutes, the wait 10).
        let pending = if let sent = wait.oobCode { await pipeline.oobChallengePending(sent) } else { false }
        if !pending {
            guard let oob = try? await pipeline.sendOOBCode(a, for: state) else { return .invalid("Could not send the second-factor code.") }
            await oauth.updateWait(state) { $0.oobCode = oob }
        }
        return .mfa(state: state, enrollment: nil, error: error, sentTo: a.maskedAddress)
    }

    public func submitMFA(state: String, browser: String?, code: String, ip: String?, userAgent: String?) async -> Step {
        guard await browserWait(state, browser) != nil else { return Self.unknownMFAStep }
        // The attempt counts before the code is checked (concurrent attempts each count).
        guard let wait = await oauth.reserveAttempt(state) else {
            return .invalid("Too many wrong second-factor codes, or this step is used or expired. Start again from the application.")
        }
        guard let p = wait.parameters, let cookie = wait.cookie, let client = pipeline.tenant.clients.first(where: { $0.clientId == wait.clientId }) else {
            return Self.unknownMFAStep
        }
        let accepted: MFAAuthenticator?
        if let oob = wait.oobCode {
            accepted = try? await pipeline.verifyOOB(
                userId: wait.userId, oobCode: oob, bindingCode: code, login: state, enrolling: wait.authenticatorId, allows: { wait.allows($0) })
        } else {
            accepted = try? await pipeline.verifyOTP(userId: wait.userId, code: code, enrolling: wait.authenticatorId)
        }
        guard let accepted, wait.allows(accepted.factor) else {
            await logSecondFactor(false, wait: wait, client: client, ip: ip)
            guard wait.attempts < MFAWait.maximumAttempts else {
                _ = await oauth.mfaWait(state, take: true)
                return errorRedirect(p, "access_denied", "Too many wrong second-factor codes")
            }
            return await mfaStep(
                state, wait,
                error: wait.oobCode == nil ? "That code is wrong or has expired: enter the current code of your authenticator app." : "That code is wrong or has expired.")
        }
        // Single use, also across daemons.
        guard await oauth.mfaWait(state, take: true) != nil else { return Self.unknownMFAStep }
        // The user may have been blocked or deleted while the login waited.
        guard let user = try? await pipeline.store.user(id: wait.userId), !user.blocked else { return errorRedirect(p, "access_denied", "user is blocked") }
        await logSecondFactor(true, wait: wait, client: client, ip: ip)
        let passed = MFAPassed(at: Timestamp.now(), factor: accepted.factor)
        if wait.requirement.remember == true, let known = wait.requirement.browser { try? await pipeline.rememberBrowser(known, userId: wait.userId) }
        if let resume = wait.resume {
            return await complete(p, client: client, sessionID: cookie, ip: ip, userAgent: userAgent, mfaPassed: passed, inSession: wait.inSession ?? false) { request in
                var request = request
                request.ip = ip
                request.userAgent = userAgent
                request.resume = resume
                return try await self.pipeline.silentLogin(userId: wait.userId, request: request)
            }
        }
        guard let id = wait.idToken, let access = wait.accessToken, let signed = try? pipeline.issuer.withMFA(id, client: client) else {
            return errorRedirect(p, "server_error", "the held tokens could not be released")
        }
        return await finishLogin(
            p, client: client, cookie: cookie, started: wait.started ?? passed.at, ip: ip, userAgent: userAgent, userId: wait.userId,
            connection: wait.connection, tokens: (signed, access), sessionChanges: nil, mfaPassed: passed, inSession: wait.inSession ?? false)
    }

    /// `gd_auth_succeed` / `gd_auth_failed`, as Auth0's Guardian logs them.
    func logSecondFactor(_ ok: Bool, wait: MFAWait, client: Client, ip: String?) async {
        await pipeline.log(
            TenantLogEvent(
                type: ok ? "gd_auth_succeed" : "gd_auth_failed", description: ok ? "Second factor passed" : "Wrong second-factor code",
                clientId: client.clientId, clientName: client.name, connection: wait.connection, userId: wait.userId, ip: ip))
    }
}
