import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// Password-reset tickets, short-lived values in the store (by the hash of the id): a link to
/// `/lo/reset?ticket=…`, valid once (on any daemon of a shared store) until it expires.
public final class PasswordResetTickets: Sendable {
    public struct Ticket: Sendable {
        public var id: String
        public var connection: String
        public var email: String
        public var resultURL: String?
        public var expires: Double
    }

    let store: any UserStore

    public init(store: any UserStore) {
        self.store = store
    }

    /// Tickets are short-lived values in the store, by the hash of their id (the link holds the id).
    static func key(_ id: String) -> String { "reset:" + OpaqueToken.hash(id) }

    package func issue(connection: String, email: String, resultURL: String?, lifetime: Double, now: Double = Timestamp.now()) async throws -> Ticket {
        let t = Ticket(id: OpaqueToken.new(), connection: connection, email: email.lowercased(), resultURL: resultURL, expires: now + lifetime)
        let json: JSONValue = [
            "connection": .string(t.connection), "email": .string(t.email), "resultURL": t.resultURL.map(JSONValue.string) ?? .null, "expires": .number(t.expires),
        ]
        try await store.putEphemeral(Self.key(t.id), json.serialized(), expires: t.expires)
        return t
    }

    func ticket(_ id: String, _ text: String?) -> Ticket? {
        guard let text, let j = try? JSONValue.parse(text), let connection = j["connection"]?.stringValue, let email = j["email"]?.stringValue,
            let expires = j["expires"]?.doubleValue
        else { return nil }
        return Ticket(id: id, connection: connection, email: email, resultURL: j["resultURL"]?.stringValue, expires: expires)
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
            guard let ticket = try? await passwordResets.issue(connection: connection.name, email: email, resultURL: nil, lifetime: 5 * 86400) else {
                throw PasswordResetError(description: "Could not keep the reset ticket: try again")
            }
            logger.notice("password reset link for \(email.lowercased()) at \(connection.name): \(resetLink(ticket))")
            await log(TenantLogEvent(
                type: "scpr", description: "Password reset requested for \(email.lowercased())", clientId: client.clientId, clientName: client.name,
                connection: connection.name, userName: email.lowercased(), ip: ip ?? "127.0.0.1", userAgent: userAgent))
        }
        return Self.passwordResetMessage
    }

    /// A ticket's `ttl_sec`: unset or 0 means Auth0's 5 days.
    package static func ticketLifetime(_ ttl: Double?) -> Double { ttl.map { $0 > 0 ? $0 : 432000 } ?? 432000 }

    /// `POST /lo/reset`: sets the new password of a ticket's user. Returns the ticket's result URL.
    public func resetPassword(ticket id: String, password: String, ip: String?) async throws(PasswordResetError) -> String? {
        guard password.count >= 8 else { throw PasswordResetError(description: "Password is too weak: use at least 8 characters") }
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
