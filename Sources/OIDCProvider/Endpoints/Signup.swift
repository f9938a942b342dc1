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
    public func signupPage(transaction tx: String, binding: BrowserBinding) async -> Step {
        let opened = await openTransaction(tx, binding, form: false)
        guard case .open(let t, let client) = opened else { return opened.refusal }
        return .signup(transaction: tx, client: client, connection: loginConnection(t.parameters) ?? pipeline.defaultConnectionName, error: nil)
    }

    /// Creates the user (sign-up triggers included), then logs them in within the same transaction.
    public func submitSignup(transaction tx: String, binding: BrowserBinding, email: String, password: String, ip: String?, userAgent: String?) async -> Step {
        let opened = await openTransaction(tx, binding, form: true)
        guard case .open(let t, let client) = opened else { return opened.refusal }
        let connection = loginConnection(t.parameters) ?? pipeline.defaultConnectionName
        do {
            // What the page's form sent, as pre-user-registration's event.request.body shows it.
            let fields: [String: JSONValue] = ["email": .string(email), "connection": .string(connection), "client_id": .string(client.clientId)]
            _ = try await pipeline.signup(
                clientId: client.clientId, connection: connection, email: email, password: password, fields: fields, ip: ip, userAgent: userAgent)
        } catch {
            return .signup(transaction: tx, client: client, connection: connection, error: error.message)
        }
        return await submitLogin(transaction: tx, binding: binding, username: email, password: password, ip: ip, userAgent: userAgent)
    }
}
