import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `GET /authorize`: a transaction, then the login page, the upstream IdP, or a silent login on the SSO session.
extension AuthorizationService {
    public func authorize(_ q: [String: String], sessionCookie: String?, browser: String, ip: String?, userAgent: String?) async -> Step {
        let tenant = pipeline.tenant
        guard let clientId = q["client_id"], let client = tenant.clients.first(where: { $0.clientId == clientId }) else {
            return .invalid("Unknown client: \(q["client_id"] ?? "(missing client_id)")")
        }
        guard let redirect = q["redirect_uri"] else { return .invalid("Missing redirect_uri") }
        guard client.callbacks.contains(redirect) else {
            return .invalid("The redirect_uri \(redirect) is not in the allowed callback URLs of \(client.name)")
        }
        guard var p = Parameters(query: q) else { return .invalid("Missing client_id or redirect_uri") }
        if let mode = p.responseMode, !Self.responseModes.contains(mode) {
            p.responseMode = nil
            return errorRedirect(p, "invalid_request", "Unsupported response_mode: \(mode)")
        }
        guard Parameters.allowedResponseTypes.contains(p.responseTypes) else {
            return errorRedirect(p, "unsupported_response_type", "Unsupported response type: \(p.responseType)")
        }
        if p.responseTypes != ["code"], p.responseMode == "query" {
            return errorRedirect(p, "invalid_request", "response_mode=query is not allowed with response_type \(p.responseType): tokens never go in a query")
        }
        if p.responseTypes.contains("id_token"), p.nonce == nil {
            return errorRedirect(p, "invalid_request", "nonce is required for implicit and hybrid flows that return an ID token")
        }
        // Auth0 supports only S256 (a `plain` challenge is the verifier itself, readable by
        // whoever sees the authorization request).
        if p.codeChallenge != nil || p.codeChallengeMethod != nil, p.codeChallengeMethod != "S256" {
            return errorRedirect(
                p, "invalid_request", p.codeChallengeMethod.map { "Unsupported code_challenge_method \($0): only S256 is supported" }
                    ?? "code_challenge_method is required with code_challenge (only S256 is supported)")
        }
        if client.isPublic, p.responseTypes.contains("code"), p.codeChallenge == nil {
            return errorRedirect(p, "invalid_request", "Public clients must use PKCE (code_challenge)")
        }
        if let c = p.connection, tenant.connection(named: c) == nil {
            return errorRedirect(p, "invalid_request", "Unknown connection \(c)")
        }
        // max_age: a session authenticated longer ago than that needs a new login (0: always).
        var maxAge: Double?
        if let text = q["max_age"] {
            guard let seconds = Int(text), seconds >= 0 else { return errorRedirect(p, "invalid_request", "max_age must be a number of seconds") }
            maxAge = Double(seconds)
        }
        // prompt: none, login, consent, select_account (space-separated; none stands alone).
        let prompts = Set((p.prompt ?? "").split(separator: " ").map(String.init))
        if let unknown = prompts.subtracting(["none", "login", "consent", "select_account"]).sorted().first {
            return errorRedirect(p, "invalid_request", "Unsupported prompt value: \(unknown)")
        }
        if prompts.contains("none"), prompts.count > 1 { return errorRedirect(p, "invalid_request", "prompt=none cannot be combined with other values") }
        var session: LoginSession? = if let sessionCookie { try? await pipeline.session(id: LoginSession.id(cookie: sessionCookie)) } else { nil }
        if let s = session, let maxAge, Timestamp.now() - s.authenticatedAt > maxAge { session = nil }
        if let session, !prompts.contains("login") {
            // An SSO session: log in silently, without counting a login.
            return await complete(p, client: client, sessionID: sessionCookie!, ip: ip, userAgent: userAgent, browser: browser) { request in
                var request = request
                request.context["sso"] = ["with_auth0": true, "with_dbconn": true, "current_clients": .array(session.clients.sorted().map(JSONValue.string))]
                request.ip = ip
                request.userAgent = userAgent
                return try await self.pipeline.silentLogin(userId: session.userId, request: request)
            }
        }
        if p.prompt == "none" { return errorRedirect(p, "login_required", "Login required") }
        let tx = randomHexID()
        do { try await saveTransaction(tx, Transaction(parameters: p, created: Timestamp.now(), browser: OpaqueToken.hash(browser))) } catch {
            return .invalid("Could not start the login: \(error)")
        }
        if let name = p.connection, let connection = tenant.connection(named: name), Self.isFederated(connection) {
            return .idp(transaction: tx, client: client, connection: connection, users: pipeline.simulatedIdPUsers(connection), error: nil)
        }
        let connection = p.connection ?? pipeline.defaultConnectionName
        // screen_hint=signup opens the sign-up form (database connections).
        if q["screen_hint"] == "signup", tenant.connection(named: connection)?.isDatabase == true {
            return .signup(transaction: tx, client: client, connection: connection, error: nil)
        }
        return .login(transaction: tx, client: client, connection: connection, loginHint: p.loginHint, error: nil)
    }

    /// Social and enterprise connections: their users come from a (simulated) upstream IdP.
    public static func isFederated(_ connection: Connection) -> Bool {
        !connection.isDatabase && !["email", "sms"].contains(connection.strategy)
    }
}
