import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// Sign-up from the login page (database connections).
extension AuthorizationService {
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
}
