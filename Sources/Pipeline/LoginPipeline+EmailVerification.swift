import Directory
import Foundation
import JSONCore
import Tenant

/// Email verification: `POST /api/v2/tickets/email-verification` → a link (`/lo/verify_email`)
/// → the user's email is verified. For a custom-database connection with import mode off the
/// address lives in the user's own database: the connection's verify script marks it there, and
/// only its `true` verifies the user here (as Auth0 does); an error or another answer leaves
/// the user unverified and says why.
extension LoginPipeline {
    /// Tickets are short-lived values in the store, by the hash of their id (the link holds the id).
    static func verificationKey(_ id: String) -> String { "verify:" + OAuthService.hash(id) }

    /// The link of an email-verification ticket.
    public func verificationLink(_ id: String) -> String {
        current.tenant.settings.effectiveIssuer + "lo/verify_email?ticket=" + id
    }

    /// `POST /api/v2/tickets/email-verification`: a ticket for a user with an email (by id).
    public func emailVerificationTicket(userId: String, resultURL: String?, ttl: Double?, now: Double = Timestamp.now()) async throws(ManagementError) -> String {
        let user: UserProfile?
        do { user = try await store.user(id: userId) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        guard let user else { throw ManagementError.userNotFound }
        guard user.email != nil else { throw ManagementError(400, "The user has no email address to verify", "invalid_body") }
        let id = OAuthService.newToken()
        let lifetime = Self.ticketLifetime(ttl)
        // The address is part of the ticket: a link sent to an old address cannot verify a new one.
        let json: JSONValue = [
            "userId": .string(user.userId), "email": .string(user.email ?? ""), "resultURL": resultURL.map(JSONValue.string) ?? .null,
            "expires": .number(now + lifetime),
        ]
        do { try await store.putEphemeral(Self.verificationKey(id), json.serialized(), expires: now + lifetime) } catch {
            throw ManagementError(500, "Could not keep the ticket: \(error)", "internal_error")
        }
        return verificationLink(id)
    }

    /// `GET /lo/verify_email`: uses the ticket once and verifies its user's email. Returns the
    /// ticket's result URL.
    public func verifyEmail(ticket id: String, ip: String?) async throws(PasswordResetError) -> String? {
        guard let text = try? await store.takeEphemeral(Self.verificationKey(id), now: Timestamp.now()),
            let ticket = try? JSONValue.parse(text), let userId = ticket["userId"]?.stringValue
        else { throw PasswordResetError(description: "This link has expired or was already used: ask for a new one.") }
        let rev = current
        do {
            guard let user = try await store.user(id: userId), let email = user.email else {
                throw PasswordResetError(description: "The user no longer exists")
            }
            guard email == ticket["email"]?.stringValue else {
                throw PasswordResetError(description: "This link was for another email address of this user: ask for a new one.")
            }
            if let connection = rev.tenant.connection(named: user.connection), connection.usesCustomScripts, !connection.importMode,
                let outcome = try await runScript("verify", of: connection, [.string(email)], revision: rev)
            {
                if outcome.error != nil { throw PasswordResetError(description: "The email address was not verified: \(outcome.errorMessage)") }
                guard outcome.result == .bool(true) else {
                    throw PasswordResetError(
                        description: "The email address was not verified: the verify script of \(connection.name) returned \(outcome.result?.serialized() ?? "nothing") instead of true")
                }
            }
            _ = try await store.update(id: user.userId) { $0.emailVerified = true }
            await log(TenantLogEvent(type: "sv", description: "Email verified", connection: user.connection, userId: user.userId, userName: email, ip: ip ?? "127.0.0.1"))
            return ticket["resultURL"]?.stringValue
        } catch let e as PasswordResetError {
            throw e
        } catch {
            throw PasswordResetError(description: "The email address could not be verified: \(error)")
        }
    }

    /// A Management API delete of a custom-database user: the connection's delete script removes
    /// the user from its own database first (with the id it gave, without the `auth0|` prefix);
    /// if it fails, the user stays everywhere.
    func deleteFromScriptDatabase(_ user: UserProfile) async throws(ManagementError) {
        let rev = current
        guard let connection = rev.tenant.connection(named: user.connection), connection.usesCustomScripts else { return }
        let id = user.identities.first { $0.connection == connection.name }?.userId ?? String(user.userId.drop { $0 != "|" }.dropFirst())
        let outcome: RulesRunner.DatabaseScriptOutcome?
        do { outcome = try await runScript("delete", of: connection, [.string(id)], revision: rev) } catch {
            throw ManagementError(400, error.description, "invalid_body")
        }
        if let outcome, outcome.error != nil {
            throw ManagementError(400, "The delete script of \(connection.name) failed, so the user was not deleted: \(outcome.errorMessage)", "invalid_body")
        }
    }
}
