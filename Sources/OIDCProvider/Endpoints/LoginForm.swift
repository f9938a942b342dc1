import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `POST` of the login page's form: a password login in the transaction.
extension AuthorizationService {
    public func submitLogin(transaction tx: String, binding: BrowserBinding, username: String, password: String, ip: String?, userAgent: String?) async -> Step {
        let opened = await openTransaction(tx, binding, form: true)
        guard case .open(let t, let client) = opened else { return opened.refusal }
        let p = t.parameters
        if asksOrganizationFirst(p, client: client) { return .organization(transaction: tx, client: client, error: nil) }
        let connection = await transactionConnection(p)
        let sessionID = randomHexID()
        var failed: String?
        let step = await complete(p, client: client, sessionID: sessionID, ip: ip, userAgent: userAgent, browser: binding.browser, transaction: tx) { request in
            var request = request
            request.ip = ip
            request.userAgent = userAgent
            request.connection = connection
            let result = try await self.pipeline.login(username: username, password: password, request: request)
            if ["invalid_grant", "too_many_attempts"].contains(result.error?.error) { failed = result.error?.description }
            return result
        }
        if let failed {
            return .login(transaction: tx, client: client, connection: connection, loginHint: username, error: failed, federated: federatedButtons(p))
        }
        if case .organizationPick = step { return step }
        await dropTransaction(tx)
        return step
    }
}
