import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The simulated upstream identity provider of social and enterprise connections: a page of its users.
extension AuthorizationService {
    /// Switches a login transaction to a social/enterprise connection's IdP page.
    public func idpPage(transaction tx: String, connection name: String, binding: BrowserBinding) async -> Step {
        let opened = await openTransaction(tx, binding, form: false)
        guard case .open(var t, let client) = opened else { return opened.refusal }
        guard let connection = pipeline.tenant.connection(named: name), Self.isFederated(connection) else {
            return .invalid("\(name) is not a social or enterprise connection of this tenant")
        }
        t.parameters.connection = connection.name
        do { try await saveTransaction(tx, t) } catch { return .invalid("Could not keep the login: \(error)") }
        return .idp(transaction: tx, client: client, connection: connection, users: pipeline.simulatedIdPUsers(connection), error: nil)
    }

    /// The IdP page's answer: the chosen simulated user (by index) or a pasted raw profile.
    public func submitIdP(transaction tx: String, binding: BrowserBinding, userIndex: Int?, profile: String?, ip: String?, userAgent: String?) async -> Step {
        let opened = await openTransaction(tx, binding, form: true)
        guard case .open(let t, let client) = opened else { return opened.refusal }
        guard let name = t.parameters.connection, let connection = pipeline.tenant.connection(named: name) else {
            return .invalid("This login page has expired. Start again from the application.")
        }
        let users = pipeline.simulatedIdPUsers(connection)
        let raw: JSONValue
        if let userIndex, users.indices.contains(userIndex) {
            raw = users[userIndex]
        } else if let profile, !profile.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard let parsed = try? JSONValue.parse(profile), parsed.objectValue != nil else {
                return .idp(transaction: tx, client: client, connection: connection, users: users, error: "The profile is not a JSON object.")
            }
            raw = parsed
        } else {
            return .idp(transaction: tx, client: client, connection: connection, users: users, error: "Pick a user or paste a profile.")
        }
        var invalid: String?
        let step = await complete(t.parameters, client: client, sessionID: randomHexID(), ip: ip, userAgent: userAgent, browser: binding.browser, transaction: tx) { request in
            var request = request
            request.ip = ip
            request.userAgent = userAgent
            do {
                return try await self.pipeline.idpLogin(connection: connection.name, profile: raw, request: request)
            } catch let error as PipelineError {
                if case .invalidRequest(let message) = error { invalid = message }
                throw error
            }
        }
        if let invalid { return .idp(transaction: tx, client: client, connection: connection, users: users, error: invalid) }
        if case .organizationPick = step { return step }
        await dropTransaction(tx)
        return step
    }
}
