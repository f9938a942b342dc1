import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `POST /api/v2/tickets/password-change` and `/email-verification`: one-time links kept in the
/// store by their hash; the login engine's reset and verification pages use them.
extension ManagementService {
    /// `POST /api/v2/tickets/password-change`: a ticket for a user (by id, or email + connection).
    public func passwordChangeTicket(userId: String?, email: String?, connectionId: String?, resultURL: String?, ttl: Double?) async throws(ManagementError) -> String {
        let tenant = pipeline.current.tenant
        let target: (email: String, connection: Connection)
        if let userId {
            guard let user = try? await pipeline.store.user(id: userId) else { throw ManagementError.userNotFound }
            guard let email = user.email, let connection = tenant.connection(named: user.connection), connection.isDatabase else {
                throw ManagementError(400, "Password tickets are for database users with an email", "invalid_body")
            }
            target = (email, connection)
        } else {
            guard let email, let connectionId, let connection = tenant.connections.first(where: { $0.id == connectionId || $0.name == connectionId }), connection.isDatabase else {
                throw ManagementError(400, "Give user_id, or email and connection_id (a database connection)", "invalid_body")
            }
            guard await pipeline.knownForReset(email: email, connection: connection) else { throw ManagementError.userNotFound }
            target = (email, connection)
        }
        let lifetime = LoginPipeline.ticketLifetime(ttl)
        do {
            return pipeline.resetLink(try await pipeline.passwordResets.issue(connection: target.connection.name, email: target.email, resultURL: resultURL, lifetime: lifetime))
        } catch {
            throw ManagementError(500, "Could not keep the ticket: \(error)", "internal_error")
        }
    }

    /// `POST /api/v2/tickets/email-verification`: a ticket for a user with an email (by id).
    public func emailVerificationTicket(userId: String, resultURL: String?, ttl: Double?, now: Double = Timestamp.now()) async throws(ManagementError) -> String {
        let user: UserProfile?
        do { user = try await pipeline.store.user(id: userId) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        guard let user else { throw ManagementError.userNotFound }
        guard user.email != nil else { throw ManagementError(400, "The user has no email address to verify", "invalid_body") }
        let id = OpaqueToken.new()
        let lifetime = LoginPipeline.ticketLifetime(ttl)
        // The address is part of the ticket: a link sent to an old address cannot verify a new one.
        let json: JSONValue = [
            "userId": .string(user.userId), "email": .string(user.email ?? ""), "resultURL": resultURL.map(JSONValue.string) ?? .null,
            "expires": .number(now + lifetime),
        ]
        do { try await pipeline.store.putEphemeral(LoginPipeline.verificationKey(id), json.serialized(), expires: now + lifetime) } catch {
            throw ManagementError(500, "Could not keep the ticket: \(error)", "internal_error")
        }
        return pipeline.verificationLink(id)
    }
}
