import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The browser side of OAuth: `/authorize` transactions, the login form, SSO sessions,
/// single-use authorization codes (bound to client and redirect_uri, PKCE-checked) and logout.
/// Codes, transactions, SSO sessions and suspended logins are in the store, so any daemon on it
/// carries on what another started (see AuthorizationService+SharedState).
public final class AuthorizationService: Sendable {
    public let pipeline: LoginPipeline
    public let oauth: OAuthService

    /// How long a code may wait for its exchange, and a login page for its submission.
    static let codeLifetime: Double = 60
    static let transactionLifetime: Double = 600

    public struct Parameters: Sendable {
        public var clientId: String
        public var redirectURI: String
        public var responseType: String
        public var scope: String
        public var state: String?
        public var nonce: String?
        public var audience: String?
        public var connection: String?
        public var prompt: String?
        public var codeChallenge: String?
        public var codeChallengeMethod: String?
        public var loginHint: String?
        public var responseMode: String?
    }

    struct Transaction {
        var parameters: Parameters
        var created: Double
    }

    /// An authorization code, kept in the store so that any daemon on it can redeem it.
    struct Code {
        var idToken: IssuedToken
        var accessToken: IssuedToken
        var userId: String?
        var clientId: String
        var redirectURI: String
        var scope: String
        var audience: String?
        var challenge: String?
        var method: String?
        var expires: Double

        var json: JSONValue {
            [
                "idToken": idToken.json, "accessToken": accessToken.json, "userId": userId.map(JSONValue.string) ?? .null, "clientId": .string(clientId),
                "redirectURI": .string(redirectURI), "scope": .string(scope), "audience": audience.map(JSONValue.string) ?? .null,
                "challenge": challenge.map(JSONValue.string) ?? .null, "method": method.map(JSONValue.string) ?? .null, "expires": .number(expires),
            ]
        }

        init(idToken: IssuedToken, accessToken: IssuedToken, userId: String?, clientId: String, redirectURI: String, scope: String, audience: String?, challenge: String?, method: String?, expires: Double) {
            self.idToken = idToken
            self.accessToken = accessToken
            self.userId = userId
            self.clientId = clientId
            self.redirectURI = redirectURI
            self.scope = scope
            self.audience = audience
            self.challenge = challenge
            self.method = method
            self.expires = expires
        }

        init?(json: JSONValue) {
            guard let id = json["idToken"].flatMap(IssuedToken.init(json:)), let at = json["accessToken"].flatMap(IssuedToken.init(json:)),
                let clientId = json["clientId"]?.stringValue, let redirectURI = json["redirectURI"]?.stringValue, let scope = json["scope"]?.stringValue,
                let expires = json["expires"]?.doubleValue
            else { return nil }
            self.init(
                idToken: id, accessToken: at, userId: json["userId"]?.stringValue, clientId: clientId, redirectURI: redirectURI, scope: scope,
                audience: json["audience"]?.stringValue, challenge: json["challenge"]?.stringValue, method: json["method"]?.stringValue, expires: expires)
        }
    }

    struct Session {
        var userId: String
        var connection: String
        var authTime: Double
        var clients: Set<String>
    }

    /// A login suspended by a rule or action redirect, waiting for `/continue?state=…`.
    struct Suspended {
        var parameters: Parameters
        var clientId: String
        var sessionID: String
        var userId: String
        var resume: JSONValue
        var created: Double
        /// The suspending browser's `authsim_continue` cookie: only it may continue.
        var browser: String
    }


    public init(pipeline: LoginPipeline) {
        self.pipeline = pipeline
        self.oauth = OAuthService(pipeline: pipeline)
    }

    /// What the browser gets next.
    public enum Step: Sendable {
        /// Render the login page for this transaction.
        case login(transaction: String, client: Client, connection: String, loginHint: String?, error: String?)
        /// Send the browser to a script's redirect target, remembering it with a cookie.
        case suspend(String, browser: String)
        /// Render a simulated upstream IdP's page: pick one of its users (or paste a profile).
        case idp(transaction: String, client: Client, connection: Connection, users: [JSONValue], error: String?)
        /// Render the sign-up page for this transaction.
        case signup(transaction: String, client: Client, connection: String, error: String?)
        /// Send the browser to this URL (the app's callback, with a code or an error).
        case redirect(String, session: String?)
        /// Show an error page: redirecting would be unsafe (unknown client, unregistered redirect_uri).
        case invalid(String)
    }

    // MARK: - GET /authorize

    public func authorize(_ q: [String: String], sessionCookie: String?, ip: String?, userAgent: String?) async -> Step {
        let tenant = pipeline.tenant
        guard let clientId = q["client_id"], let client = tenant.clients.first(where: { $0.clientId == clientId }) else {
            return .invalid("Unknown client: \(q["client_id"] ?? "(missing client_id)")")
        }
        guard let redirect = q["redirect_uri"] else { return .invalid("Missing redirect_uri") }
        guard client.callbacks.contains(redirect) else {
            return .invalid("The redirect_uri \(redirect) is not in the allowed callback URLs of \(client.name)")
        }
        guard let p = Parameters(query: q) else { return .invalid("Missing client_id or redirect_uri") }
        guard ["code", "id_token", "id_token token", "token id_token"].contains(p.responseType) else {
            return errorRedirect(p, "unsupported_response_type", "Unsupported response type: \(p.responseType)")
        }
        if p.responseType != "code", p.nonce == nil {
            return errorRedirect(p, "invalid_request", "nonce is required for implicit flows")
        }
        if let m = p.codeChallengeMethod, !["S256", "plain"].contains(m) {
            return errorRedirect(p, "invalid_request", "Unsupported code_challenge_method \(m)")
        }
        if client.isPublic, p.responseType == "code", p.codeChallenge == nil {
            return errorRedirect(p, "invalid_request", "Public clients must use PKCE (code_challenge)")
        }
        if let c = p.connection, tenant.connection(named: c) == nil {
            return errorRedirect(p, "invalid_request", "Unknown connection \(c)")
        }
        let session: Session? = if let sessionCookie { await self.session(sessionCookie) } else { nil }
        if let session, p.prompt != "login" {
            // An SSO session: log in silently, without counting a login.
            return await complete(p, client: client, sessionID: sessionCookie!) { request in
                var request = request
                request.context["sso"] = ["with_auth0": true, "with_dbconn": true, "current_clients": .array(session.clients.sorted().map(JSONValue.string))]
                request.ip = ip
                request.userAgent = userAgent
                return try await self.pipeline.silentLogin(userId: session.userId, request: request)
            }
        }
        if p.prompt == "none" { return errorRedirect(p, "login_required", "Login required") }
        let tx = randomHexID()
        do { try await saveTransaction(tx, Transaction(parameters: p, created: Timestamp.now())) } catch {
            return .invalid("Could not start the login: \(error)")
        }
        if let name = p.connection, let connection = tenant.connection(named: name), Self.isFederated(connection) {
            return .idp(transaction: tx, client: client, connection: connection, users: pipeline.simulatedIdPUsers(connection), error: nil)
        }
        return .login(transaction: tx, client: client, connection: p.connection ?? pipeline.defaultConnectionName, loginHint: p.loginHint, error: nil)
    }

    /// Social and enterprise connections: their users come from a (simulated) upstream IdP.
    public static func isFederated(_ connection: Connection) -> Bool {
        !connection.isDatabase && !["email", "sms"].contains(connection.strategy)
    }

    // MARK: - The simulated upstream IdP

    /// Switches a login transaction to a social/enterprise connection's IdP page.
    public func idpPage(transaction tx: String, connection name: String) async -> Step {
        guard var t = await transaction(tx), Timestamp.now() - t.created < Self.transactionLifetime,
            let client = pipeline.tenant.clients.first(where: { $0.clientId == t.parameters.clientId })
        else { return .invalid("This login page has expired. Start again from the application.") }
        guard let connection = pipeline.tenant.connection(named: name), Self.isFederated(connection) else {
            return .invalid("\(name) is not a social or enterprise connection of this tenant")
        }
        t.parameters.connection = connection.name
        do { try await saveTransaction(tx, t) } catch { return .invalid("Could not keep the login: \(error)") }
        return .idp(transaction: tx, client: client, connection: connection, users: pipeline.simulatedIdPUsers(connection), error: nil)
    }

    /// The IdP page's answer: the chosen simulated user (by index) or a pasted raw profile.
    public func submitIdP(transaction tx: String, userIndex: Int?, profile: String?, ip: String?, userAgent: String?) async -> Step {
        guard let t = await transaction(tx), Timestamp.now() - t.created < Self.transactionLifetime,
            let client = pipeline.tenant.clients.first(where: { $0.clientId == t.parameters.clientId }),
            let name = t.parameters.connection, let connection = pipeline.tenant.connection(named: name)
        else { return .invalid("This login page has expired. Start again from the application.") }
        let users = pipeline.simulatedIdPUsers(connection)
        let raw: JSONValue
        if let userIndex, users.indices.contains(userIndex) {
            raw = users[userIndex]
        } else if let profile, !profile.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard let parsed = try? JSONValue.parse(profile), parsed.objectValue != nil else {
                return .idp(transaction: tx, client: client, connection: connection, users: users, error: "The profile is not a JSON object.")
            }
            raw = parsed
        } else {
            return .idp(transaction: tx, client: client, connection: connection, users: users, error: "Pick a user or paste a profile.")
        }
        var invalid: String?
        let step = await complete(t.parameters, client: client, sessionID: randomHexID()) { request in
            var request = request
            request.ip = ip
            request.userAgent = userAgent
            do {
                return try await self.pipeline.idpLogin(connection: connection.name, profile: raw, request: request)
            } catch let error as PipelineError {
                if case .invalidRequest(let message) = error { invalid = message }
                throw error
            }
        }
        if let invalid { return .idp(transaction: tx, client: client, connection: connection, users: users, error: invalid) }
        await dropTransaction(tx)
        return step
    }

    // MARK: - POST of the login form

    public func submitLogin(transaction tx: String, username: String, password: String, ip: String?, userAgent: String?) async -> Step {
        let now = Timestamp.now()
        guard let t = await transaction(tx), now - t.created < Self.transactionLifetime,
            let client = pipeline.tenant.clients.first(where: { $0.clientId == t.parameters.clientId })
        else {
            return .invalid("This login page has expired. Start again from the application.")
        }
        let p = t.parameters
        let connection = p.connection ?? pipeline.defaultConnectionName
        let sessionID = randomHexID()
        var failed: String?
        let step = await complete(p, client: client, sessionID: sessionID) { request in
            var request = request
            request.ip = ip
            request.userAgent = userAgent
            request.connection = connection
            let result = try await self.pipeline.login(username: username, password: password, request: request)
            if result.error?.error == "invalid_grant" { failed = result.error?.description }
            return result
        }
        if let failed {
            return .login(transaction: tx, client: client, connection: connection, loginHint: username, error: failed)
        }
        await dropTransaction(tx)
        return step
    }

    // MARK: - Sign-up from the login page

    /// The sign-up form of a login transaction.
    public func signupPage(transaction tx: String) async -> Step {
        guard let t = await transaction(tx), Timestamp.now() - t.created < Self.transactionLifetime,
            let client = pipeline.tenant.clients.first(where: { $0.clientId == t.parameters.clientId })
        else { return .invalid("This login page has expired. Start again from the application.") }
        return .signup(transaction: tx, client: client, connection: t.parameters.connection ?? pipeline.defaultConnectionName, error: nil)
    }

    /// Creates the user (sign-up triggers included), then logs them in within the same transaction.
    public func submitSignup(transaction tx: String, email: String, password: String, ip: String?, userAgent: String?) async -> Step {
        guard let t = await transaction(tx), Timestamp.now() - t.created < Self.transactionLifetime,
            let client = pipeline.tenant.clients.first(where: { $0.clientId == t.parameters.clientId })
        else { return .invalid("This login page has expired. Start again from the application.") }
        let connection = t.parameters.connection ?? pipeline.defaultConnectionName
        do {
            _ = try await pipeline.signup(clientId: client.clientId, connection: connection, email: email, password: password, ip: ip, userAgent: userAgent)
        } catch {
            return .signup(transaction: tx, client: client, connection: connection, error: error.message)
        }
        return await submitLogin(transaction: tx, username: email, password: password, ip: ip, userAgent: userAgent)
    }

    // MARK: - GET /continue

    /// Resumes a login suspended by a redirect: rules re-run with `protocol = redirect-callback`
    /// (a rule redirect), or the redirecting action's `onContinuePostLogin` runs and then the
    /// actions after it. The continue request's query is the flow's request query.
    public func resume(query: [String: String], browserCookie: String?, ip: String?, userAgent: String?) async -> Step {
        // The state is single-use, and only the browser that was sent away may bring it back.
        let taken: Suspended? = if let id = query["state"] { await takeSuspended(id, browser: browserCookie) } else { nil }
        guard let suspended = taken, Timestamp.now() - suspended.created < Self.transactionLifetime,
            let client = pipeline.tenant.clients.first(where: { $0.clientId == suspended.clientId })
        else {
            return .invalid("This login can no longer be continued: the state is unknown, used, expired or from another browser. Start again from the application.")
        }
        return await complete(suspended.parameters, client: client, sessionID: suspended.sessionID) { request in
            var request = request
            request.ip = ip
            request.userAgent = userAgent
            request.query = query.mapValues(JSONValue.string)
            request.resume = suspended.resume
            return try await self.pipeline.silentLogin(userId: suspended.userId, request: request)
        }
    }

    /// Runs the flow and turns its result into the redirect to the app.
    private func complete(_ p: Parameters, client: Client, sessionID: String, flow: (SimulationRequest) async throws -> SimulationResult) async -> Step {
        var request = SimulationRequest(user: .stored(""))
        request.client = client.clientId
        request.audience = p.audience
        request.scope = p.scope
        request.nonce = p.nonce
        request.prompt = p.prompt
        request.protocolName = p.responseType == "code" ? "oidc-basic-profile" : "oidc-implicit-profile"
        var authorize: [String: JSONValue] = [
            "client_id": .string(p.clientId), "redirect_uri": .string(p.redirectURI), "response_type": .string(p.responseType), "scope": .string(p.scope),
        ]
        let optional: [(String, String?)] = [
            ("state", p.state), ("nonce", p.nonce), ("audience", p.audience), ("connection", p.connection), ("prompt", p.prompt),
            ("login_hint", p.loginHint), ("response_mode", p.responseMode), ("code_challenge_method", p.codeChallengeMethod),
        ]
        for (k, v) in optional { if let v { authorize[k] = .string(v) } }
        request.query = authorize
        request.authorizeParameters = authorize
        let result: SimulationResult
        do { result = try await flow(request) } catch {
            return errorRedirect(p, "server_error", String(describing: error))
        }
        switch result.outcome {
        case .allowed: break
        case .redirect:
            // Suspend: the browser goes to the script's URL with `state`, and comes back to /continue.
            guard let target = result.redirect?["url"]?.stringValue, let userId = result.user["user_id"]?.stringValue, let resume = result.resume else {
                return errorRedirect(p, "server_error", "a redirect without a target")
            }
            let id = OpaqueToken.new()
            let browser = OpaqueToken.new()
            let now = Timestamp.now()
            do {
                try await suspend(id, Suspended(parameters: p, clientId: client.clientId, sessionID: sessionID, userId: userId, resume: resume, created: now, browser: browser))
            } catch {
                return errorRedirect(p, "server_error", "could not keep the suspended login: \(error)")
            }
            return .suspend(target + (target.contains("?") ? "&" : "?") + "state=" + Self.percentEncode(id), browser: browser)
        case .denied, .error:
            let e = result.error ?? FlowError("access_denied", "login failed")
            return errorRedirect(p, e.error == "server_error" ? "server_error" : e.error, e.description)
        }
        guard let userId = result.user["user_id"]?.stringValue else { return errorRedirect(p, "server_error", "no user") }
        let now = Timestamp.now()
        var session = await self.session(sessionID) ?? Session(userId: userId, connection: result.connection, authTime: now, clients: [])
        session.clients.insert(client.clientId)
        do { try await saveSession(sessionID, session) } catch {
            return errorRedirect(p, "server_error", "could not keep the session: \(error)")
        }
        var params: [(String, String)] = []
        if p.responseType == "code" {
            guard let idToken = result.idToken, let accessToken = result.accessToken else { return errorRedirect(p, "server_error", "no tokens were issued") }
            let code = OpaqueToken.new()
            let record = Code(
                idToken: idToken, accessToken: accessToken, userId: userId, clientId: client.clientId, redirectURI: p.redirectURI, scope: p.scope,
                audience: p.audience ?? pipeline.tenant.settings.defaultAudience, challenge: p.codeChallenge,
                method: p.codeChallengeMethod ?? (p.codeChallenge != nil ? "plain" : nil), expires: now + Self.codeLifetime)
            do {
                // Only the code's hash is a key in the store.
                try await pipeline.store.putEphemeral("code:" + OpaqueToken.hash(code), record.json.serialized(), expires: record.expires)
            } catch {
                return errorRedirect(p, "server_error", "could not keep the authorization code: \(error)")
            }
            params.append(("code", code))
        } else {
            if let id = result.idToken?.jwt { params.append(("id_token", id)) }
            if p.responseType.contains("token"), let at = result.accessToken {
                params.append(("access_token", at.jwt ?? at.opaque ?? ""))
                params.append(("token_type", "Bearer"))
                params.append(("expires_in", String(Int(max(0, (at.claims["exp"]?.doubleValue ?? now) - now.rounded(.down))))))
            }
        }
        if let s = p.state { params.append(("state", s)) }
        return .redirect(Self.callbackURL(p, params), session: sessionID)
    }

    func errorRedirect(_ p: Parameters, _ error: String, _ description: String) -> Step {
        var params = [("error", error), ("error_description", description)]
        if let s = p.state { params.append(("state", s)) }
        return .redirect(Self.callbackURL(p, params), session: nil)
    }

    /// Query for the code flow, fragment for implicit flows (unless response_mode says otherwise).
    static func callbackURL(_ p: Parameters, _ params: [(String, String)]) -> String {
        let encoded = params.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
        let implicit = ["id_token", "id_token token", "token id_token"].contains(p.responseType)
        let useFragment = p.responseMode == "fragment" || (p.responseMode == nil && implicit)
        if useFragment { return p.redirectURI + "#" + encoded }
        return p.redirectURI + (p.redirectURI.contains("?") ? "&" : "?") + encoded
    }

    static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    // MARK: - POST /oauth/token

    /// The token endpoint: `authorization_code` here (this service owns the codes), every other
    /// grant in `OAuthService`.
    public func token(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        guard r["grant_type"] == "authorization_code" else { return await oauth.token(r) }
        do throws(OAuthError) {
            let client = try oauth.authenticateClient(r)
            guard client.allowedGrantTypes.contains("authorization_code") else {
                throw OAuthError(403, "unauthorized_client", "Grant type 'authorization_code' not allowed for the client.")
            }
            guard let code = r["code"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: code") }
            return .success(try await exchange(code: code, client: client, redirectURI: r["redirect_uri"], verifier: r["code_verifier"]))
        } catch {
            return .failure(error)
        }
    }

    // MARK: - authorization_code grant

    /// Exchanges a code once: same client, same redirect_uri, PKCE verifier when a challenge was sent.
    func exchange(code: String, client: Client, redirectURI: String?, verifier: String?) async throws(OAuthError) -> JSONValue {
        let now = Timestamp.now()
        // Taking it from the store first makes the code single-use, even across daemons.
        let stored: String?
        do { stored = try await pipeline.store.takeEphemeral("code:" + OpaqueToken.hash(code), now: now) } catch {
            throw OAuthError(500, "server_error", "could not read the authorization code: \(error)")
        }
        guard let text = stored, let json = try? JSONValue.parse(text), let c = Code(json: json), c.expires > now else {
            throw OAuthError(403, "invalid_grant", "Invalid authorization code")
        }
        guard c.clientId == client.clientId else { throw OAuthError(403, "invalid_grant", "Invalid authorization code") }
        guard redirectURI == c.redirectURI else {
            throw OAuthError(403, "invalid_grant", "redirect_uri does not match the one used to get the code")
        }
        if let challenge = c.challenge {
            guard let verifier else { throw OAuthError(403, "invalid_grant", "Missing code_verifier") }
            let computed: String
            if c.method == "S256" {
                computed = Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
            } else {
                computed = verifier
            }
            guard OpaqueToken.constantTimeEquals(computed, challenge) else {
                throw OAuthError(403, "invalid_grant", "Failed to verify code verifier")
            }
        } else if client.isPublic {
            throw OAuthError(403, "invalid_grant", "Public clients must use PKCE")
        }
        return try await oauth.tokenResponse(idToken: c.idToken, accessToken: c.accessToken, userId: c.userId, client: client, scope: c.scope, audience: c.audience)
    }

    // MARK: - /v2/logout

    /// Ends the SSO session; returns where to send the browser (nil: show a page).
    public func logout(sessionCookie: String?, returnTo: String?, clientId: String?) async -> String? {
        if let id = sessionCookie { await dropSession(id) }
        guard let returnTo else { return nil }
        let clients = clientId.map { id in pipeline.tenant.clients.filter { $0.clientId == id } } ?? pipeline.tenant.clients
        return clients.contains { $0.allowedLogoutURLs.contains(returnTo) } ? returnTo : nil
    }
}
