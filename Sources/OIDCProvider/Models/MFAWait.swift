import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// A login waiting for its second factor: in a browser (the `/mfa` page, keyed by its state and
/// bound to the browser that was sent there) or at the token endpoint (keyed by the
/// `mfa_token` of the `mfa_required` answer). Single use; five wrong codes end it.
struct MFAWait: KeptValue {
    var userId: String
    var clientId: String
    var connection: String
    var requirement: Requirement
    var created: Double
    var attempts = 0
    /// The scripts asked at the end: the tokens issued, held until the factor is passed.
    var idToken: IssuedToken?
    var accessToken: IssuedToken?
    /// An action paused for it: where the flow resumes.
    var resume: JSONValue?
    /// Browser: the `/authorize` request, the session cookie, the `authsim_continue` cookie's hash.
    var parameters: AuthorizationService.Parameters?
    var cookie: String?
    var browser: String?
    var started: Double?
    /// The authenticator this login is enrolling (a user without a confirmed factor may confirm
    /// only this one).
    var authenticatorId: String?
    /// The login ran in the browser's existing session: if that session ends meanwhile, no new
    /// one is made for it.
    var inSession: Bool?
    /// Token endpoint: the flow's protocol (a resumed flow runs with it again) and whether a
    /// refresh-token exchange asked (the presented token then stays the client's).
    var protocolName: String?
    var fromRefresh: Bool?
    /// Token endpoint: the grant's API and scope.
    var audience: String?
    var scope: String?

    struct Requirement: Codable {
        var factors: [String]
        var enrollOnly: Bool
        /// `allowRememberBrowser`: a passed factor remembers the browser (`rememberBrowser`).
        var remember: Bool?
        /// The browser's `authsim_did` cookie, to remember.
        var browser: String?
    }

    /// Browser: the `oob_code` of the code the page sent (an email or phone factor).
    var oobCode: String?
    /// Token endpoint: the organization the login is in (a resumed flow stays in it).
    var organization: String?

    static let maximumAttempts = 5
    static let lifetime: Double = 600

    /// Whether the scripts allow `factor` (`otp`, `email`, `phone`): any, when they named none.
    func allows(_ factor: String) -> Bool { requirement.factors.isEmpty || requirement.factors.contains(factor) }
}

extension OAuthService {
    static func waitKey(_ id: String) -> String { AuthorizationService.key(.mfa, id) }

    /// Keeps a login waiting for its second factor; returns the key that names it (state or mfa_token).
    func waitForSecondFactor(_ wait: MFAWait) async throws -> String {
        let id = OpaqueToken.new()
        try await save(wait, id: id)
        return id
    }

    func save(_ wait: MFAWait, id: String) async throws {
        try await pipeline.store.keep(wait, at: Self.waitKey(id), expires: wait.created + MFAWait.lifetime)
    }

    func mfaWait(_ id: String, take: Bool = false) async -> MFAWait? {
        (try? await pipeline.store.kept(MFAWait.self, at: Self.waitKey(id), take: take)) ?? nil
    }

    /// Counts an attempt before its code is checked, in one atomic step (concurrent attempts
    /// each count); returns the wait with this attempt counted (`attempts` 1…5), or nil when it
    /// is gone or has used its attempts (it is then removed).
    /// Never brings back a wait another request took.
    func reserveAttempt(_ id: String) async -> MFAWait? {
        let result = try? await pipeline.store.change(MFAWait.self, at: Self.waitKey(id), expires: { $0.created + MFAWait.lifetime }) { w in
            guard w.attempts < MFAWait.maximumAttempts else { return false }
            w.attempts += 1
            return true
        }
        return result ?? nil
    }

    /// Changes a wait that is still there (the enrolment it started).
    func updateWait(_ id: String, _ change: @escaping @Sendable (inout MFAWait) -> Void) async {
        _ = try? await pipeline.store.change(MFAWait.self, at: Self.waitKey(id), expires: { $0.created + MFAWait.lifetime }) { w in
            change(&w)
            return true
        }
    }

    /// The `mfa_required` body's `mfa_requirements`: a challenge for an enrolled user, else enrolment.
    /// Only the factors the scripts allow (`allowed`; empty: any).
    func mfaRequirements(userId: String, allowed: [String] = []) async -> JSONValue {
        let ok = { (f: String) in allowed.isEmpty || allowed.contains(f) }
        let confirmed = ((try? await pipeline.authenticators(userId: userId)) ?? []).filter(\.confirmed)
        if !confirmed.isEmpty {
            var seen: [String] = []
            for a in confirmed where ok(a.factor) && !seen.contains(a.factor) { seen.append(a.factor) }
            return ["challenge": .array(seen.map { ["type": .string($0)] })]
        }
        return ["enroll": .array(Self.simulatedFactors.filter(ok).map { ["type": .string($0)] })]
    }

    /// Factors authsim can challenge with: TOTP (`otp`), codes by email (`email`) and SMS
    /// (`phone`). A script that asks only for others (push, WebAuthn) is told so instead of being
    /// satisfied by another factor.
    static let simulatedFactors = ["otp", "email", "phone"]

    static func unsupportedFactors(_ requirement: MFARequirement) -> String? {
        guard !requirement.factors.isEmpty, !requirement.factors.contains(where: simulatedFactors.contains) else { return nil }
        return "authsim simulates the otp, email and phone factors; the scripts asked for " + requirement.factors.joined(separator: ", ")
    }
}

extension AuthorizationService {
    /// The browser side of a login that needs a second factor: the wait is kept and the browser
    /// goes to `/mfa` (bound to it by the `authsim_continue` cookie). `prompt=none` cannot show it.
    func awaitSecondFactor(
        _ p: Parameters, client: Client, cookie: String, requirement: MFARequirement, result: SimulationResult, started: Double, browser knownBrowser: String?,
        ip: String?, userAgent: String?, inSession: Bool
    ) async -> Step {
        guard let userId = result.user["user_id"]?.stringValue else { return errorRedirect(p, "server_error", "no user") }
        if let unsupported = OAuthService.unsupportedFactors(requirement) { return errorRedirect(p, "access_denied", unsupported) }
        // A browser remembered for this user (`allowRememberBrowser`) is not asked again.
        if requirement.allowRememberBrowser, result.outcome == .allowed, let knownBrowser, await pipeline.isRemembered(knownBrowser, userId: userId),
            let id = result.idToken, let access = result.accessToken, let signed = try? pipeline.issuer.withMFA(id, client: client)
        {
            return await finishLogin(
                p, client: client, cookie: cookie, started: started, ip: ip, userAgent: userAgent, userId: userId, connection: result.connection,
                tokens: (signed, access), sessionChanges: result.sessionChanges, mfaPassed: MFAPassed(at: Timestamp.now(), factor: "remembered"), inSession: inSession)
        }
        if p.prompt == "none" { return errorRedirect(p, "interaction_required", "Multifactor authentication required") }
        let browser = OpaqueToken.new()
        let wait = MFAWait(
            userId: userId, clientId: client.clientId, connection: result.connection,
            requirement: .init(
                factors: requirement.factors, enrollOnly: requirement.enrollOnly, remember: requirement.allowRememberBrowser,
                browser: requirement.allowRememberBrowser ? knownBrowser : nil),
            created: Timestamp.now(), idToken: result.outcome == .allowed ? result.idToken : nil, accessToken: result.outcome == .allowed ? result.accessToken : nil,
            resume: result.outcome == .redirect ? result.resume : nil, parameters: p, cookie: cookie, browser: OpaqueToken.hash(browser), started: started,
            inSession: inSession)
        do {
            let state = try await oauth.waitForSecondFactor(wait)
            return .suspend("/mfa?state=" + Self.percentEncode(state), browser: browser)
        } catch {
            return errorRedirect(p, "server_error", "could not keep the login for its second factor: \(error)")
        }
    }
}
