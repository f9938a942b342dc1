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
        // Organizations: the client's `organization_usage` decides whether one may (or must) be named.
        if let ref = p.organization {
            guard client.organizationUsage != "deny" else {
                return errorRedirect(p, "invalid_request", "parameter organization is not allowed for this client")
            }
            guard let org = tenant.organization(ref), org.id == ref || tenant.organizationNamesInTokens else {
                return errorRedirect(p, "invalid_request", "the specified organization is not found")
            }
            if let c = p.connection, let connection = tenant.connection(named: c), org.connection(connection.name) == nil {
                return errorRedirect(p, "invalid_request", "the connection \(connection.name) is not enabled for the organization \(org.name)")
            }
            p.organization = org.id
            if let ticket = p.invitation {
                let live = try? await pipeline.invitation(organization: org.id, ticket: ticket)
                guard live != nil else { return errorRedirect(p, "access_denied", "the invitation is not valid (unknown, expired or already accepted)") }
            }
        } else if p.invitation != nil {
            return errorRedirect(p, "invalid_request", "parameter invitation requires parameter organization")
        } else if client.organizationUsage == "require", client.organizationRequireBehavior == "no_prompt" {
            return errorRedirect(p, "invalid_request", "parameter organization must be provided")
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
        if let session, !prompts.contains("login"), !needsOrganization(p, client: client), p.invitation == nil {
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
        if asksOrganizationFirst(p, client: client) { return .organization(transaction: tx, client: client, error: nil) }
        return await firstPage(tx, p, client: client)
    }

    /// A client that requires organizations, asked without one.
    func needsOrganization(_ p: Parameters, client: Client) -> Bool {
        p.organization == nil && client.organizationUsage == "require"
    }

    /// …whose login asks for the organization's name before the credentials (`pre_login_prompt`);
    /// with `post_login_prompt` the user picks one of theirs after them.
    func asksOrganizationFirst(_ p: Parameters, client: Client) -> Bool {
        needsOrganization(p, client: client) && client.organizationRequireBehavior != "post_login_prompt"
    }

    /// The page a transaction opens on: the upstream IdP of a federated connection, the sign-up
    /// form (`screen_hint=signup`, or an invitation for an email with no account yet), else the
    /// login form. An organization login uses the organization's connections.
    func firstPage(_ tx: String, _ p: Parameters, client: Client) async -> Step {
        let tenant = pipeline.tenant
        let invitation: OrganizationInvitation? =
            if let org = p.organization, let ticket = p.invitation { try? await pipeline.invitation(organization: org, ticket: ticket) } else { nil }
        guard let name = loginConnection(p, invitationConnection: invitation?.connectionId) else {
            return errorRedirect(p, "invalid_request", "the organization \(p.organization ?? "") has no enabled connection")
        }
        if let connection = tenant.connection(named: name), Self.isFederated(connection) {
            // The IdP page's form logs in with the transaction's connection: it is this one.
            if p.connection == nil, var t = await transaction(tx) {
                t.parameters.connection = connection.name
                try? await saveTransaction(tx, t)
            }
            return .idp(transaction: tx, client: client, connection: connection, users: pipeline.simulatedIdPUsers(connection), error: nil)
        }
        var hint = p.loginHint
        var signup = p.screenHint == "signup" && signupAllowed(p, connection: name)
        if let invitation {
            hint = invitation.inviteeEmail
            let known = (try? await pipeline.store.user(login: invitation.inviteeEmail, connection: name)) ?? nil
            signup = known == nil
        }
        // screen_hint=signup opens the sign-up form (database connections).
        if signup, tenant.connection(named: name)?.isDatabase == true {
            return .signup(transaction: tx, client: client, connection: name, error: nil)
        }
        return .login(transaction: tx, client: client, connection: name, loginHint: hint, error: nil, federated: federatedButtons(p))
    }

    /// The connection a transaction logs in with: the one it names, else the tenant's default,
    /// else (an organization login whose organization does not enable the default) the
    /// organization's first database connection, or its first; nil when it enables none.
    func loginConnection(_ p: Parameters, invitationConnection: String? = nil) -> String? {
        let tenant = pipeline.tenant
        if p.connection == nil, let only = invitationConnection.flatMap(tenant.connection(named:)) { return only.name }
        let name = p.connection ?? pipeline.defaultConnectionName
        guard p.connection == nil, let org = p.organization.flatMap(tenant.organization), org.connection(name) == nil else { return name }
        let enabled = org.connections.compactMap { tenant.connection(named: $0.name) }
        return (enabled.first(where: \.isDatabase) ?? enabled.first)?.name
    }

    /// The connection a transaction's pages log in (and sign up) with, an invitation's included.
    func transactionConnection(_ p: Parameters) async -> String {
        let invitation: OrganizationInvitation? =
            if let org = p.organization, let ticket = p.invitation { try? await pipeline.invitation(organization: org, ticket: ticket) } else { nil }
        return loginConnection(p, invitationConnection: invitation?.connectionId) ?? pipeline.defaultConnectionName
    }

    /// Whether the login page may offer sign-up: outside an organization, always (database
    /// connections); in one, with an invitation, or when the organization's connection has
    /// `is_signup_enabled` (which needs `assign_membership_on_login`).
    func signupAllowed(_ p: Parameters, connection: String) -> Bool {
        // A client that requires an organization, before it is known: no account it would refuse.
        if p.organization == nil, p.invitation == nil, p.clientId.isEmpty == false,
            pipeline.tenant.clients.first(where: { $0.clientId == p.clientId }).map({ needsOrganization(p, client: $0) }) == true
        {
            return false
        }
        guard let orgId = p.organization, p.invitation == nil else { return true }
        guard let enabled = pipeline.tenant.organization(orgId)?.connection(connection) else { return false }
        return enabled.isSignupEnabled && enabled.assignMembershipOnLogin
    }

    /// `POST` of the organization prompt: the organization's name, then the login's first page;
    /// or (`post_login_prompt`) the organization the authenticated user picked, then the login.
    public func submitOrganization(transaction tx: String, binding: BrowserBinding, name: String, ip: String? = nil, userAgent: String? = nil) async -> Step {
        let opened = await openTransaction(tx, binding, form: true)
        guard case .open(var t, let client) = opened else { return opened.refusal }
        // Only a login that must name an organization and has not (a client that denies them, or
        // a login already in one, is never moved into another).
        guard needsOrganization(t.parameters, client: client) else { return .invalid("This login does not ask for an organization.") }
        if let userId = t.authenticatedUser {
            return await pickOrganization(tx, t, client: client, userId: userId, id: name, browser: binding.browser, ip: ip, userAgent: userAgent)
        }
        guard asksOrganizationFirst(t.parameters, client: client) else { return .invalid("This login asks for the organization after the credentials.") }
        guard let org = pipeline.tenant.organization(name.trimmingCharacters(in: .whitespaces).lowercased()) else {
            return .organization(transaction: tx, client: client, error: "No organization is called \(name).")
        }
        t.parameters.organization = org.id
        do { try await saveTransaction(tx, t) } catch { return .invalid("Could not continue the login: \(error)") }
        return await firstPage(tx, t.parameters, client: client)
    }

    /// Social and enterprise connections: their users come from a (simulated) upstream IdP.
    public static func isFederated(_ connection: Connection) -> Bool {
        !connection.isDatabase && !["email", "sms"].contains(connection.strategy)
    }

    /// `post_login_prompt`: the user whose credentials were checked picked an organization (one
    /// of theirs, checked again by the flow); the login runs in it and counts now.
    func pickOrganization(_ tx: String, _ t: Transaction, client: Client, userId: String, id: String, browser: String?, ip: String?, userAgent: String?) async -> Step {
        let connection = t.authenticatedConnection
        let mine: [Organization]
        do { mine = try await pipeline.organizations(userId: userId).filter { connection == nil || $0.connection(connection!) != nil } } catch {
            return errorRedirect(t.parameters, "server_error", "could not read the user's organizations: \(error)")
        }
        guard let org = mine.first(where: { $0.id == id }) else {
            return .organizationPick(transaction: tx, client: client, organizations: mine, error: "Pick one of your organizations.")
        }
        // Single use: whoever takes the transaction runs the login (a double submit runs it once).
        guard let taken = try? await kept(Transaction.self, as: .transaction, id: tx, take: true), taken.authenticatedUser == userId else {
            return .invalid("This login has already continued. Start again from the application.")
        }
        var p = taken.parameters
        p.organization = org.id
        return await complete(p, client: client, sessionID: taken.sessionCookie ?? randomHexID(), ip: ip, userAgent: userAgent, browser: browser) { request in
            var request = request
            request.ip = ip
            request.userAgent = userAgent
            return try await self.pipeline.silentLogin(userId: userId, request: request, countLogin: true, connection: taken.authenticatedConnection)
        }
    }
}
