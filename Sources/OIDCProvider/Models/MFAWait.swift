import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// A login waiting for its second factor: in a browser (the `/mfa` page, keyed by its state and
/// bound to the browser that was sent there) or at the token endpoint (keyed by the
/// `mfa_token` of the `mfa_required` answer). Single use; five wrong codes end it.
struct MFAWait: Codable {
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
    /// Token endpoint: the grant's API and scope.
    var audience: String?
    var scope: String?

    struct Requirement: Codable {
        var factors: [String]
        var enrollOnly: Bool
    }

    static let maximumAttempts = 5
    static let lifetime: Double = 600
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
        let text = String(decoding: try JSONEncoder().encode(wait), as: UTF8.self)
        try await pipeline.store.putEphemeral(Self.waitKey(id), text, expires: wait.created + MFAWait.lifetime)
    }

    func mfaWait(_ id: String, take: Bool = false) async -> MFAWait? {
        let now = Timestamp.now()
        let text = take ? try? await pipeline.store.takeEphemeral(Self.waitKey(id), now: now) : try? await pipeline.store.readEphemeral(Self.waitKey(id), now: now)
        guard let text = text ?? nil else { return nil }
        return try? JSONDecoder().decode(MFAWait.self, from: Data(text.utf8))
    }

    /// Counts a wrong code; the wait ends at the fifth. Returns whether it still lives.
    func countWrongCode(_ id: String, _ wait: MFAWait) async -> Bool {
        var w = wait
        w.attempts += 1
        guard w.attempts < MFAWait.maximumAttempts else {
            _ = await mfaWait(id, take: true)
            return false
        }
        try? await save(w, id: id)
        return true
    }
}

extension AuthorizationService {
    /// The browser side of a login that needs a second factor: the wait is kept and the browser
    /// goes to `/mfa` (bound to it by the `authsim_continue` cookie). `prompt=none` cannot show it.
    func awaitSecondFactor(_ p: Parameters, client: Client, cookie: String, requirement: MFARequirement, result: SimulationResult, started: Double) async -> Step {
        if p.prompt == "none" { return errorRedirect(p, "interaction_required", "Multifactor authentication required") }
        guard let userId = result.user["user_id"]?.stringValue else { return errorRedirect(p, "server_error", "no user") }
        let browser = OpaqueToken.new()
        let wait = MFAWait(
            userId: userId, clientId: client.clientId, connection: result.connection,
            requirement: .init(factors: requirement.factors, enrollOnly: requirement.enrollOnly), created: Timestamp.now(),
            idToken: result.outcome == .allowed ? result.idToken : nil, accessToken: result.outcome == .allowed ? result.accessToken : nil,
            resume: result.outcome == .redirect ? result.resume : nil, parameters: p, cookie: cookie, browser: OpaqueToken.hash(browser), started: started)
        do {
            let state = try await oauth.waitForSecondFactor(wait)
            return .suspend("/mfa?state=" + Self.percentEncode(state), browser: browser)
        } catch {
            return errorRedirect(p, "server_error", "could not keep the login for its second factor: \(error)")
        }
    }
}
