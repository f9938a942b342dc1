import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `GET /v2/logout` and `/oidc/logout`: ends the SSO session.
extension AuthorizationService {
    /// Ends the SSO session; returns where to send the browser (nil: show a page).
    public func logout(sessionCookie: String?, returnTo: String?, clientId: String?) async -> String? {
        if let id = sessionCookie { await dropSession(id) }
        guard let returnTo else { return nil }
        let clients = clientId.map { id in pipeline.tenant.clients.filter { $0.clientId == id } } ?? pipeline.tenant.clients
        return clients.contains { $0.allowedLogoutURLs.contains(returnTo) } ? returnTo : nil
    }
}
