import Foundation
import JSONCore
import Tenant
import Tokens

/// An SSO session (the `auth0` cookie): who logged in, when, and for which clients.
extension AuthorizationService {
    struct Session: Codable {
        var userId: String
        var connection: String
        var authTime: Double
        var clients: Set<String>
    }
}
