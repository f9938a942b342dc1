import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// Email verification: a ticket (made by the Management API, `POST /api/v2/tickets/email-verification`)
/// → a link (`/lo/verify_email`) → the user's email is verified. For a custom-database connection with import mode off the
/// address lives in the user's own database: the connection's verify script marks it there, and
/// only its `true` verifies the user here (as Auth0 does); an error or another answer leaves
/// the user unverified and says why.
extension LoginPipeline {
    /// Tickets are short-lived values in the store, by the hash of their id (the link holds the id).
    package static func verificationKey(_ id: String) -> String { "verify:" + OpaqueToken.hash(id) }

    /// The link of an email-verification ticket.
    public func verificationLink(_ id: String) -> String {
        current.tenant.settings.effectiveIssuer + "lo/verify_email?ticket=" + id
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

}
