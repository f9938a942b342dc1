import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `GET /continue`: a login a rule redirected resumes; and how a finished login answers the client.
extension AuthorizationService {
    /// Resumes a login suspended by a redirect: rules re-run with `protocol = redirect-callback`
    /// (a rule redirect), or the redirecting action's `onContinuePostLogin` runs and then the
    /// actions after it. The continue request's query is the flow's request query.
    public func resume(query: [String: String], browserCookie: String?, ip: String?, userAgent: String?, browser: String? = nil) async -> Step {
        // The state is single-use, and only the browser that was sent away may bring it back.
        let taken: Suspended? = if let id = query["state"] { await takeSuspended(id, browser: browserCookie) } else { nil }
        guard let suspended = taken, Timestamp.now() - suspended.created < Self.transactionLifetime,
            let client = pipeline.tenant.clients.first(where: { $0.clientId == suspended.clientId })
        else {
            return .invalid("This login can no longer be continued: the state is unknown, used, expired or from another browser. Start again from the application.")
        }
        return await complete(
            suspended.parameters, client: client, sessionID: suspended.sessionID, ip: ip, userAgent: userAgent, mfaPassed: suspended.mfaPassed, browser: browser,
            inSession: suspended.inSession ?? false
        ) { request in
            var request = request
            request.ip = ip
            request.userAgent = userAgent
            request.query = query.mapValues(JSONValue.string)
            request.resume = suspended.resume
            return try await self.pipeline.silentLogin(userId: suspended.userId, request: request)
        }
    }

    /// Runs the flow in the browser's login session (the one its cookie names, or a new one the
    /// flow's scripts see as `event.session`), then keeps the session (the scripts' `api.session`
    /// changes applied) and turns the result into the response to the app. `mfaPassed`: the flow
    /// resumes after a second factor.
    func complete(
        _ p: Parameters, client: Client, sessionID cookie: String, ip: String?, userAgent: String?, mfaPassed: MFAPassed? = nil, browser: String? = nil,
        inSession: Bool = false, transaction tx: String? = nil, flow: (SimulationRequest) async throws -> SimulationResult
    ) async -> Step {
        let lifetimes = pipeline.tenant.settings.sessionLifetimes
        let started = Timestamp.now()
        let existing = try? await pipeline.session(id: LoginSession.id(cookie: cookie))
        // A login that paused in the browser's session (a redirect, a second factor) and whose
        // session ended meanwhile gets no new one.
        if inSession, existing == nil { return errorRedirect(p, "login_required", "The session ended during the login") }
        var session = existing ?? LoginSession(cookie: cookie, userId: "", connection: "", method: "", now: started, ip: ip, userAgent: userAgent, lifetimes: lifetimes)
        if existing != nil { session.interacted(now: started, ip: ip, userAgent: userAgent, lifetimes: lifetimes) }
        session.join(client.clientId)
        var request = SimulationRequest(user: .stored(""))
        request.session = session
        request.mfaPassed = mfaPassed
        request.client = client.clientId
        request.audience = p.audience
        request.scope = p.scope
        request.nonce = p.nonce
        request.prompt = p.prompt
        request.organization = p.organization
        request.invitation = p.invitation
        // post_login_prompt: a login form's credentials are checked, then the user picks.
        request.organizationPrompt = tx != nil && needsOrganization(p, client: client) && !asksOrganizationFirst(p, client: client)
        request.protocolName =
            p.device != nil ? "oauth2-device-code" : p.responseTypes == ["code"] ? "oidc-basic-profile" : p.responseTypes.contains("code") ? "oidc-hybrid-profile" : "oidc-implicit-profile"
        var authorize: [String: JSONValue] = [
            "client_id": .string(p.clientId), "redirect_uri": .string(p.redirectURI), "response_type": .string(p.responseType), "scope": .string(p.scope),
        ]
        let optional: [(String, String?)] = [
            ("state", p.state), ("nonce", p.nonce), ("audience", p.audience), ("connection", p.connection), ("prompt", p.prompt),
            ("login_hint", p.loginHint), ("response_mode", p.responseMode), ("code_challenge_method", p.codeChallengeMethod),
            ("ui_locales", p.uiLocales), ("acr_values", p.acrValues), ("organization", p.organization), ("invitation", p.invitation),
        ]
        for (k, v) in optional { if let v { authorize[k] = .string(v) } }
        request.query = authorize
        request.authorizeParameters = authorize
        let result: SimulationResult
        do { result = try await flow(request) } catch {
            return errorRedirect(p, "server_error", String(describing: error))
        }
        if let choice = result.organizationChoice {
            guard let tx, var t = await transaction(tx), let userId = result.user["user_id"]?.stringValue else {
                return errorRedirect(p, "access_denied", "the login needs an organization")
            }
            t.authenticatedUser = userId
            t.sessionCookie = cookie
            t.authenticatedConnection = result.connection
            do { try await saveTransaction(tx, t) } catch { return errorRedirect(p, "server_error", "could not keep the login: \(error)") }
            return .organizationPick(transaction: tx, client: client, organizations: choice, error: nil)
        }
        if let changes = result.sessionChanges, changes.revoke != nil {
            // api.session.revoke: the session ends (a new one is never kept) and the login is denied.
            await pipeline.applySessionChanges(changes, to: existing)
        }
        if let requirement = result.mfa, result.outcome == .allowed || result.outcome == .redirect {
            return await awaitSecondFactor(
                p, client: client, cookie: cookie, requirement: requirement, result: result, started: started, browser: browser, ip: ip, userAgent: userAgent,
                inSession: inSession || existing?.userId == result.user["user_id"]?.stringValue)
        }
        if let device = p.device, result.outcome == .denied || result.outcome == .error {
            return await finishDevice(device, userId: nil, tokens: nil, sessionId: nil, error: result.error)
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
                try await suspend(
                    id,
                    Suspended(
                        parameters: p, clientId: client.clientId, sessionID: cookie, userId: userId, resume: resume, created: now, browser: browser,
                        mfaPassed: mfaPassed, inSession: inSession || existing?.userId == userId))
            } catch {
                return errorRedirect(p, "server_error", "could not keep the suspended login: \(error)")
            }
            return .suspend(target + (target.contains("?") ? "&" : "?") + "state=" + Self.percentEncode(id), browser: browser)
        case .denied, .error:
            let e = result.error ?? FlowError("access_denied", "login failed")
            return errorRedirect(p, e.error == "server_error" ? "server_error" : e.error, e.description)
        }
        guard let userId = result.user["user_id"]?.stringValue else { return errorRedirect(p, "server_error", "no user") }
        guard let idToken = result.idToken, let accessToken = result.accessToken else { return errorRedirect(p, "server_error", "no tokens were issued") }
        return await finishLogin(
            p, client: client, cookie: cookie, started: started, ip: ip, userAgent: userAgent, userId: userId, connection: result.connection,
            tokens: (idToken, accessToken), sessionChanges: result.sessionChanges, mfaPassed: mfaPassed, inSession: inSession || existing?.userId == userId)
    }

    /// A login that was allowed: its session kept (a new one when the browser had none, or another
    /// user's), a second factor recorded in it, then the code or tokens for the app.
    func finishLogin(
        _ p: Parameters, client: Client, cookie: String, started: Double, ip: String?, userAgent: String?, userId: String, connection: String,
        tokens: (id: IssuedToken, access: IssuedToken), sessionChanges: LifetimeChanges?, mfaPassed: MFAPassed?, inSession: Bool = false
    ) async -> Step {
        // A device login keeps no session in this browser: the tokens are the device's.
        if let device = p.device { return await finishDevice(device, userId: userId, tokens: tokens, sessionId: nil, error: nil) }
        let lifetimes = pipeline.tenant.settings.sessionLifetimes
        let now = Timestamp.now()
        var session: LoginSession
        if let existing = try? await pipeline.session(id: LoginSession.id(cookie: cookie)), existing.userId == userId {
            session = existing
            session.interacted(now: now, ip: ip, userAgent: userAgent, lifetimes: lifetimes)
        } else if inSession {
            // The session this silent login ran in ended meanwhile (logout, revocation): no new one.
            return errorRedirect(p, "login_required", "The session ended during the login")
        } else {
            // A new login: the session is the user's, authenticated by this connection.
            let strategy = pipeline.tenant.connection(named: connection)?.strategy ?? "auth0"
            let method = pipeline.tenant.connection(named: connection)?.isDatabase == true ? "pwd" : ["email", "sms"].contains(strategy) ? strategy : "federated"
            session = LoginSession(cookie: cookie, userId: userId, connection: connection, method: method, now: started, ip: ip, userAgent: userAgent, lifetimes: lifetimes)
        }
        session.join(client.clientId)
        if let mfaPassed { session.methods.append(LoginSession.Method(name: "mfa", timestamp: mfaPassed.at)) }
        if let changes = sessionChanges {
            var (e, i): (Double?, Double?) = (session.expiresAt, session.idleExpiresAt)
            changes.shorten(expiresAt: &e, idleExpiresAt: &i)
            (session.expiresAt, session.idleExpiresAt) = (e ?? session.expiresAt, i ?? session.idleExpiresAt)
        }
        do { try await pipeline.saveSession(session) } catch {
            return errorRedirect(p, "server_error", "could not keep the session: \(error)")
        }
        var params: [(String, String)] = []
        let parts = p.responseTypes
        var code: String?
        if parts.contains("code") {
            let newCode = OpaqueToken.new()
            code = newCode
            let record = Code(
                idToken: tokens.id, accessToken: tokens.access, userId: userId, clientId: client.clientId, redirectURI: p.redirectURI, scope: p.scope,
                audience: p.audience ?? pipeline.tenant.settings.defaultAudience, challenge: p.codeChallenge,
                method: p.codeChallengeMethod, expires: now + Self.codeLifetime, sessionId: session.id)
            do {
                // Only the code's hash is a key in the store.
                try await keep(record, as: .code, id: newCode, expires: record.expires)
            } catch {
                return errorRedirect(p, "server_error", "could not keep the authorization code: \(error)")
            }
            params.append(("code", newCode))
        }
        let at = tokens.access
        let accessToken = at.jwt ?? at.opaque ?? ""
        if parts.contains("id_token") {
            // The front channel's ID token binds what travels with it: c_hash for a code, at_hash
            // for an access token (OpenID Connect Core 3.2.2.10, 3.3.2.11).
            var bound: [String: JSONValue] = [:]
            if let code { bound["c_hash"] = .string(TokenIssuer.halfHash(code)) }
            if parts.contains("token") { bound["at_hash"] = .string(TokenIssuer.halfHash(accessToken)) }
            let id = bound.isEmpty ? tokens.id : ((try? pipeline.issuer.withClaims(tokens.id, bound, client: client)) ?? tokens.id)
            if let jwt = id.jwt { params.append(("id_token", jwt)) }
        }
        if parts.contains("token") {
            params.append(("access_token", accessToken))
            params.append(("token_type", "Bearer"))
            params.append(("expires_in", String(Int(clamping: max(0, (at.claims["exp"]?.doubleValue ?? now) - now.rounded(.down))))))
        }
        if let s = p.state { params.append(("state", s)) }
        return respond(p, params, session: cookie)
    }
}
