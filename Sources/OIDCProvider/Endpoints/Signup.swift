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
        if asksOrganizationFirst(t.parameters, client: client) { return .organization(transaction: tx, client: client, error: nil) }
        let connection = await transactionConnection(t.parameters)
        guard signupAllowed(t.parameters, connection: connection) || t.parameters.invitation != nil else {
            return .login(transaction: tx, client: client, connection: connection, loginHint: nil, error: "Sign-up is not enabled for this organization.", federated: federatedButtons(t.parameters))
        }
        return .signup(transaction: tx, client: client, connection: connection, error: nil)
    }

    /// Creates the user (sign-up triggers included), then logs them in within the same transaction.
    public func submitSignup(transaction tx: String, binding: BrowserBinding, email: String, password: String, ip: String?, userAgent: String?) async -> Step {
        let opened = await openTransaction(tx, binding, form: true)
        guard case .open(let t, let client) = opened else { return opened.refusal }
        if asksOrganizationFirst(t.parameters, client: client) { return .organization(transaction: tx, client: client, error: nil) }
        let connection = await transactionConnection(t.parameters)
        // In an organization: only with sign-up enabled there, or as the invitee of an invitation
        // (no account is made that the organization would then refuse).
        if let org = t.parameters.organization {
            if let ticket = t.parameters.invitation {
                let invitation = try? await pipeline.invitation(organization: org, ticket: ticket)
                guard let invitation, invitation.inviteeEmail.lowercased() == email.lowercased() else {
                    return .signup(transaction: tx, client: client, connection: connection, error: "Sign up with the email address the invitation was sent to.")
                }
                if let only = invitation.connectionId, pipeline.tenant.connection(named: connection)?.id != only {
                    return .signup(transaction: tx, client: client, connection: connection, error: "The invitation is for another connection.")
                }
            } else if !signupAllowed(t.parameters, connection: connection) {
                return .login(transaction: tx, client: client, connection: connection, loginHint: email, error: "Sign-up is not enabled for this organization.", federated: federatedButtons(t.parameters))
            }
        } else if !signupAllowed(t.parameters, connection: connection) {
            return .login(transaction: tx, client: client, connection: connection, loginHint: email, error: "Sign-up is not enabled for this application's organizations.", federated: federatedButtons(t.parameters))
        }
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
