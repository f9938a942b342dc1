import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// Password-reset tickets, short-lived values in the store (by the hash of the id): a link to
/// `/lo/reset?ticket=…`, valid once (on any daemon of a shared store) until it expires.
public final class PasswordResetTickets: Sendable {
    public struct Ticket: KeptValue {
        /// Not kept: the store knows a ticket only by the hash of its id (the link holds the id).
        public var id = ""
        public var connection: String
        public var email: String
        public var resultURL: String?
        public var expires: Double
        /// The client that asked for the reset (`/dbconnections/change_password`), when one did.
        public var clientId: String?
        /// Whether the password-reset-post-challenge actions let this ticket through.
        public var challenged = false
        /// Set while the actions wait for the user to come back to `/continue` from a redirect:
        /// the action that redirected, where it sent the user, and the redirect's `state`.
        public var resumeAction: String?
        public var resumeURL: String?
        public var resumeState: String?

        enum CodingKeys: String, CodingKey {
            case connection, email, resultURL, expires, clientId, challenged, resumeAction, resumeURL, resumeState
        }
    }

    let store: any UserStore & EphemeralStore

    public init(store: any UserStore & EphemeralStore) {
        self.store = store
    }

    /// Tickets are short-lived values in the store, by the hash of their id (the link holds the id).
    static func key(_ id: String) -> String { "reset:" + OpaqueToken.hash(id) }
    /// A redirect's `state` → the ticket it continues.
    static func stateKey(_ state: String) -> String { "reset-state:" + OpaqueToken.hash(state) }

    package func issue(connection: String, email: String, resultURL: String?, lifetime: Double, clientId: String? = nil, now: Double = Timestamp.now()) async throws -> Ticket {
        let t = Ticket(id: OpaqueToken.new(), connection: connection, email: email.lowercased(), resultURL: resultURL, expires: now + lifetime, clientId: clientId)
        try await save(t)
        return t
    }

    func save(_ t: Ticket) async throws {
        try await store.keep(t, at: Self.key(t.id), expires: t.expires)
    }

    func ticket(_ id: String, _ text: String?) -> Ticket? {
        guard var t = Ticket(keptText: text) else { return nil }
        t.id = id
        return t
    }

    /// Changes a ticket that is still there (atomically, on every daemon of the store); nil
    /// when it expired or was used meanwhile (it is not brought back).
    func update(_ id: String, _ change: @escaping @Sendable (inout Ticket) -> Void, now: Double = Timestamp.now()) async -> Ticket? {
        try? await store.modifyEphemeral(Self.key(id), now: now) { text -> (value: (String, expires: Double)?, result: Ticket?) in
            guard var t = self.ticket(id, text) else { return (nil, nil) }
            change(&t)
            return ((try t.keptText(), t.expires), t)
        }
    }

    /// A valid ticket, left in place (the reset page shows whose password it changes).
    public func peek(_ id: String, now: Double = Timestamp.now()) async -> Ticket? {
        ticket(id, try? await store.readEphemeral(Self.key(id), now: now))
    }

    func take(_ id: String, now: Double = Timestamp.now()) async -> Ticket? {
        ticket(id, try? await store.takeEphemeral(Self.key(id), now: now))
    }
}

/// Why a password reset did not happen, for the reset page.
public struct PasswordResetError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The password-reset flow: `POST /dbconnections/change_password` (or a Management API ticket)
/// → a link printed in the daemon log (there is no mail here) → `/lo/reset` sets the password.
/// Custom databases: get_user finds a user the store does not know; the change_password script
/// changes it (import mode off), or the user is migrated and changed locally (import mode on).
extension LoginPipeline {
    public static let passwordResetMessage = "We've just sent you an email to reset your password."

    /// The link of a ticket.
    public func resetLink(_ ticket: PasswordResetTickets.Ticket) -> String {
        current.tenant.settings.effectiveIssuer + "lo/reset?ticket=" + ticket.id
    }

    /// Whether a user with this email exists at the connection: in the store, or for custom
    /// databases through get_user.
    package func knownForReset(email: String, connection: Connection) async -> Bool {
        if (try? await store.user(login: email, connection: connection.name)) != nil { return true }
        guard connection.usesCustomScripts, let found = try? await runScript("get_user", of: connection, [.string(email)], revision: current) else { return false }
        return found.error == nil && !(found.result?.isNull ?? true)
    }

    /// `POST /dbconnections/change_password`: answers the same whether or not the user exists
    /// (as Auth0 does); for a known user the reset link goes to the daemon log and a `scpr` event.
    public func requestPasswordReset(clientId: String, connection name: String, email: String, ip: String?, userAgent: String?) async throws(PasswordResetError) -> String {
        let tenant = current.tenant
        guard let client = tenant.clients.first(where: { $0.clientId == clientId }) else { throw PasswordResetError(description: "Unknown client: \(clientId)") }
        guard let connection = tenant.connection(named: name), connection.isDatabase else {
            throw PasswordResetError(description: "\(name) is not a database connection of this tenant")
        }
        if await knownForReset(email: email, connection: connection) {
            guard let ticket = try? await passwordResets.issue(connection: connection.name, email: email, resultURL: nil, lifetime: 5 * 86400, clientId: client.clientId) else {
                throw PasswordResetError(description: "Could not keep the reset ticket: try again")
            }
            let link = resetLink(ticket)
            logger.notice("password reset link for \(email.lowercased()) at \(connection.name): \(link)")
            let user = try? await store.user(login: email, connection: connection.name)
            let message = OutgoingMessage(
                channel: .email, messageType: "reset_email", recipient: email.lowercased(), subject: "Reset your password",
                text: "You asked to reset your password. Follow this link to choose a new one: \(link)",
                html: "<p>You asked to reset your password.</p><p><a href=\"\(link)\">Choose a new password</a></p>",
                user: user ?? nil, client: client, connection: connection, ip: ip ?? "127.0.0.1", userAgent: userAgent)
            // Delivered after the answer, which must not take longer for a known address.
            let traceId = deliveryRuns(message) ? randomHexID() : nil
            await log(TenantLogEvent(
                type: "scpr", description: "Password reset requested for \(email.lowercased())", clientId: client.clientId, clientName: client.name,
                connection: connection.name, userName: email.lowercased(), ip: ip ?? "127.0.0.1", userAgent: userAgent,
                details: traceId.map { ["traceId": .string($0)] }))
            if let traceId {
                Task.detached { [self] in
                    let delivery = await deliver(message, traceId: traceId)
                    logger.notice("password reset link for \(message.recipient): \(delivery.summary)")
                }
            }
        }
        return Self.passwordResetMessage
    }

    /// A ticket's `ttl_sec`: unset or 0 means Auth0's 5 days.
    package static func ticketLifetime(_ ttl: Double?) -> Double { ttl.map { $0 > 0 ? $0 : 432000 } ?? 432000 }

    /// `POST /lo/reset`: sets the new password of a ticket's user. Returns the ticket's result URL.
    public func resetPassword(ticket id: String, password: String, ip: String?, userAgent: String? = nil) async throws(PasswordResetError) -> String? {
        guard password.count >= 8 else { throw PasswordResetError(description: "Password is too weak: use at least 8 characters") }
        // A form posted without the link's page (or before the actions let it through).
        switch await resetChallenge(ticket: id, query: [:], method: "POST", ip: ip, userAgent: userAgent) {
        case .passed: break
        case .denied(let message): throw PasswordResetError(description: message)
        case .redirect: throw PasswordResetError(description: "Open the link from the email to continue the password reset.")
        }
        guard let ticket = await passwordResets.take(id) else { throw PasswordResetError(description: "This link has expired or was already used: ask for a new one.") }
        let rev = current
        guard let connection = rev.tenant.connection(named: ticket.connection) else { throw PasswordResetError(description: "The connection \(ticket.connection) no longer exists") }
        do {
            var user = try await store.user(login: ticket.email, connection: connection.name)
            if connection.usesCustomScripts && !connection.importMode {
                // The password lives in the user's own database.
                guard let outcome = try await runScript("change_password", of: connection, [.string(ticket.email), .string(password)], revision: rev) else {
                    throw PasswordResetError(description: "\(connection.name) has no change_password script")
                }
                guard outcome.error == nil, outcome.result == .bool(true) || outcome.result?.objectValue != nil else {
                    throw PasswordResetError(description: "The password was not changed: \(outcome.error == nil ? "change_password returned \(outcome.result?.serialized() ?? "nothing")" : outcome.errorMessage)")
                }
                if let u = user { user = try await store.update(id: u.userId) { $0.lastPasswordReset = Timestamp.now() } }
            } else {
                if user == nil, connection.usesCustomScripts, let (found, _) = try await userFromScript(ticket.email, connection: connection, revision: rev) {
                    user = found  // import mode: migrated now, without the legacy password
                }
                guard let u = user else { throw PasswordResetError(description: "The user no longer exists") }
                let hash = try await hashPassword(password)
                user = try await store.update(id: u.userId) { p in
                    p.passwordHash = hash
                    p.lastPasswordReset = Timestamp.now()
                }
            }
            if let user {
                await log(TenantLogEvent(type: "scp", description: "Password changed by reset", connection: connection.name, userId: user.userId, userName: ticket.email, ip: ip ?? "127.0.0.1"))
                // As in Auth0, a reset password lifts the brute-force blocks.
                try? await attackProtection.unblock(identifiers: user.loginIdentifiers + [ticket.email])
                await passwordChanged(user, ip: ip)
            }
            return ticket.resultURL
        } catch let e as PasswordResetError {
            throw e
        } catch {
            throw PasswordResetError(description: "The password could not be changed: \(error)")
        }
    }
}

/// What the password-reset-post-challenge actions decided for a reset link.
public enum ResetChallenge: Sendable, Equatable {
    /// The new-password form may be shown (and posted).
    case passed
    /// `api.access.deny` (or an action failed): the ticket is spent.
    case denied(String)
    /// `api.redirect.sendUserTo`: the user goes to `url` and comes back to `/continue`, in the
    /// browser that holds `binding` (a cookie: the state alone, which the other site sees, does
    /// not continue the reset).
    case redirect(url: String, binding: String)
}

/// password-reset-post-challenge: the actions run once per reset link, after its first challenge
/// (opening the link from the email) and before the new-password form.
extension LoginPipeline {
    static let expiredResetLink = "This link has expired or was already used: ask for a new one."

    /// Runs the actions for a ticket the first time its link is opened; later opens pass (or,
    /// while an action waits for the user, send them to its page again). `method`: the
    /// request's (`GET` when the link is opened, `POST` when its form is posted first).
    public func resetChallenge(ticket id: String, query: [String: String], method: String = "GET", ip: String?, userAgent: String?) async -> ResetChallenge {
        guard let ticket = await passwordResets.peek(id) else { return .denied(Self.expiredResetLink) }
        if ticket.challenged { return .passed }
        if let url = ticket.resumeURL, let state = ticket.resumeState {
            // Opened again while an action waits: the same page, bound to this browser now.
            guard let binding = try? await bindResetState(state, ticket: ticket) else { return .denied("The password reset could not continue: try again.") }
            return .redirect(url: url, binding: binding)
        }
        return await runResetChallenge(ticket, resume: nil, query: query, method: method, state: OpaqueToken.new(), ip: ip, userAgent: userAgent)
    }

    /// Keeps `state` → the ticket, for the browser that gets the returned binding.
    private func bindResetState(_ state: String, ticket: PasswordResetTickets.Ticket) async throws -> String {
        let binding = OpaqueToken.new()
        let record: JSONValue = ["ticket": .string(ticket.id), "binding": .string(OpaqueToken.hash(binding))]
        try await store.putEphemeral(PasswordResetTickets.stateKey(state), record.serialized(), expires: ticket.expires)
        return binding
    }

    /// `/continue?state=…` after an action's redirect: nil when `state` is not a reset's. Only
    /// the browser that was sent away (`binding`, its cookie) continues; the action that
    /// redirected runs `onContinuePostChallenge`, the ones after it as usual.
    public func continueReset(
        state: String, binding: String?, query: [String: String], ip: String?, userAgent: String?
    ) async -> (ticket: PasswordResetTickets.Ticket, ResetChallenge)? {
        let key = PasswordResetTickets.stateKey(state)
        guard let text = try? await store.readEphemeral(key, now: Timestamp.now()), let record = try? JSONValue.parse(text),
            let id = record["ticket"]?.stringValue
        else { return nil }
        let unknown = PasswordResetTickets.Ticket(id: "", connection: "", email: "", resultURL: nil, expires: 0)
        guard let binding, record["binding"]?.stringValue == OpaqueToken.hash(binding) else {
            return (unknown, .denied("Continue the password reset in the browser that started it (open the link from the email there)."))
        }
        // Used once.
        guard (try? await store.takeEphemeral(key, now: Timestamp.now())) != nil else { return (unknown, .denied(Self.expiredResetLink)) }
        guard let ticket = await passwordResets.peek(id), let action = ticket.resumeAction else { return (unknown, .denied(Self.expiredResetLink)) }
        let outcome = await runResetChallenge(ticket, resume: ["action": .string(action)], query: query, method: "GET", state: state, ip: ip, userAgent: userAgent)
        return (await passwordResets.peek(id) ?? ticket, outcome)
    }

    private func runResetChallenge(
        _ ticket: PasswordResetTickets.Ticket, resume: JSONValue?, query: [String: String], method: String, state: String, ip: String?, userAgent: String?
    ) async -> ResetChallenge {
        let rev = current
        let tenant = rev.tenant
        let bound = tenant.boundActions("password-reset-post-challenge")
        func passed(resultURL: String?) async -> ResetChallenge {
            // Only a ticket still there: a concurrent request may have used or spent it.
            let kept = await passwordResets.update(ticket.id) { t in
                t.challenged = true
                (t.resumeAction, t.resumeURL, t.resumeState) = (nil, nil, nil)
                if let resultURL { t.resultURL = resultURL }
            }
            return kept == nil ? .denied(Self.expiredResetLink) : .passed
        }
        guard !bound.isEmpty, let connection = tenant.connection(named: ticket.connection) else { return await passed(resultURL: nil) }
        let ip = ip ?? "127.0.0.1"
        let user = (try? await store.user(login: ticket.email, connection: connection.name)) ?? nil
        let client = ticket.clientId.flatMap { id in tenant.clients.first { $0.clientId == id } }
        var roles: [String] = []
        if let u = user { roles = (try? await store.roles(userId: u.userId)) ?? [] }
        var userJSON = user?.json.objectValue ?? ["email": .string(ticket.email), "app_metadata": [:], "user_metadata": [:]]
        userJSON["enrolledFactors"] = .array((user?.multifactor ?? []).map { ["type": .string($0)] })
        let event: JSONValue = [
            "authentication": ["methods": [["name": "email", "timestamp": .string(Timestamp.format(Timestamp.now()))]]],
            "authorization": ["roles": .array(roles.map(JSONValue.string))],
            "client": client.map { LoginPipeline.eventJSON($0) } ?? ["client_id": "", "name": "", "metadata": [:]],
            "connection": LoginPipeline.eventJSON(connection),
            "request": [
                "ip": .string(ip), "hostname": .string(tenant.settings.domain), "method": .string(method), "user_agent": .string(userAgent ?? ""), "language": "en",
                // The ticket is the link's credential: no script sees it.
                "query": .object(query.filter { $0.key != "ticket" }.mapValues(JSONValue.string)), "body": [:],
                "geoip": LoginPipeline.eventGeoip(tenant.geoip[ip] ?? tenant.geoip["default"]),
            ],
            "stats": ["logins_count": .number(Double(user?.loginsCount ?? 0))],
            "tenant": ["id": .string(tenant.name)],
            "transaction": ["locale": "en", "ui_locales": [], "state": .string(state)],
            "user": .object(userJSON),
        ]
        let outcome: RulesRunner.TriggerOutcome
        do {
            outcome = try await rev.rulesRunner.runTrigger(
                "password-reset-post-challenge", event: event, actions: bound, resume: resume, environment: flowEnvironment(rev), runtime: runtime)
        } catch {
            // Nothing waits any more: the next open runs the actions again.
            _ = await passwordResets.update(ticket.id) { t in (t.resumeAction, t.resumeURL, t.resumeState) = (nil, nil, nil) }
            return .denied("The password reset could not continue: \(error)")
        }
        let traceId = randomHexID()
        try? await storeTrace(
            id: traceId, userId: user?.userId, clientId: ticket.clientId ?? "",
            document: ["trigger": "password-reset-post-challenge", "user": user?.json ?? .null, "trace": .array(outcome.trace)])
        if let denied = outcome.denied {
            _ = await passwordResets.take(ticket.id)
            await log(TenantLogEvent(
                type: "fcpr", description: "Password reset denied: \(denied.description)", clientId: client?.clientId, clientName: client?.name,
                connection: connection.name, userId: user?.userId, userName: ticket.email, ip: ip, userAgent: userAgent, details: ["traceId": .string(traceId)]))
            return .denied(denied.description.isEmpty ? "The password reset was denied." : denied.description)
        }
        if let redirect = outcome.redirect, let target = redirect["url"]?.stringValue, var url = URLComponents(string: target) {
            url.queryItems = (url.queryItems ?? []).filter { $0.name != "state" } + [URLQueryItem(name: "state", value: state)]
            let away = url.string ?? target
            let resultURL = outcome.resultURL
            guard let kept = await passwordResets.update(ticket.id, { t in
                (t.resumeAction, t.resumeURL, t.resumeState) = (redirect["action"]?.stringValue, away, state)
                if let resultURL { t.resultURL = resultURL }
            }) else { return .denied(Self.expiredResetLink) }
            guard let binding = try? await bindResetState(state, ticket: kept) else { return .denied("The password reset could not continue: try again.") }
            return .redirect(url: away, binding: binding)
        }
        return await passed(resultURL: outcome.resultURL)
    }
}
