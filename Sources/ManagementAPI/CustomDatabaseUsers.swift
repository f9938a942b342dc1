import Directory
import JSONCore
import LoginEngine
import Tenant

/// What the Management API does to a user who lives in a custom database (import mode off):
/// the connection's scripts change the password, check a new email and delete the user there.
extension ManagementService {
    /// A password change for a user of a custom-database connection: the change_password
    /// script (import mode off; `false` or an error refuses it). Migrated users change locally.
    func changeScriptPassword(_ user: UserProfile, to password: String, connection: Connection) async throws(ManagementError) -> JSONValue {
        let rev = pipeline.current
        let outcome: RulesRunner.DatabaseScriptOutcome?
        do { outcome = try await pipeline.runScript("change_password", of: connection, [.string(user.email ?? ""), .string(password)], revision: rev) } catch {
            throw ManagementError(400, error.description, "invalid_body")
        }
        guard let outcome else { throw ManagementError(400, "\(connection.name) has no change_password script: change the password in the user's own database", "operation_not_supported") }
        if outcome.error != nil { throw ManagementError(400, "change_password failed: \(outcome.errorMessage)", "invalid_body") }
        switch outcome.result {
        case .bool(true)?, .object?: return outcome.trace
        default: throw ManagementError(400, "change_password did not change the password (it returned \(outcome.result?.serialized() ?? "nothing"))", "invalid_body")
        }
    }

    /// Import mode, email change: the new address must not belong to a user still in the legacy database.
    func checkLegacyEmailFree(_ email: String, connection: Connection) async throws(ManagementError) {
        let outcome: RulesRunner.DatabaseScriptOutcome?
        do { outcome = try await pipeline.runScript("get_user", of: connection, [.string(email)], revision: pipeline.current) } catch {
            throw ManagementError(400, error.description, "invalid_body")
        }
        guard let outcome else { return }
        if outcome.error != nil { throw ManagementError(400, "get_user failed: \(outcome.errorMessage)", "invalid_body") }
        if let v = outcome.result, !v.isNull { throw ManagementError(409, "The specified new email already exists (in \(connection.name)'s database)", "email_conflict") }
    }

    /// A Management API delete of a custom-database user: the connection's delete script removes
    /// the user from its own database first (with the id it gave, without the `auth0|` prefix);
    /// if it fails, the user stays everywhere.
    func deleteFromScriptDatabase(_ user: UserProfile) async throws(ManagementError) {
        let rev = pipeline.current
        guard let connection = rev.tenant.connection(named: user.connection), connection.usesCustomScripts else { return }
        let id = user.identities.first { $0.connection == connection.name }?.userId ?? String(user.userId.drop { $0 != "|" }.dropFirst())
        let outcome: RulesRunner.DatabaseScriptOutcome?
        do { outcome = try await pipeline.runScript("delete", of: connection, [.string(id)], revision: rev) } catch {
            throw ManagementError(400, error.description, "invalid_body")
        }
        if let outcome, outcome.error != nil {
            throw ManagementError(400, "The delete script of \(connection.name) failed, so the user was not deleted: \(outcome.errorMessage)", "invalid_body")
        }
    }
}
