import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// An authorization code: the tokens it buys, bound to client, redirect URI and PKCE challenge.
extension AuthorizationService {
    /// An authorization code, kept in the store so that any daemon on it can redeem it.
    struct Code: KeptValue {
        var idToken: IssuedToken
        var accessToken: IssuedToken
        var userId: String?
        var clientId: String
        var redirectURI: String
        var scope: String
        var audience: String?
        var challenge: String?
        var method: String?
        var expires: Double
        /// The login session the code was issued in (its refresh token belongs to it).
        var sessionId: String?
    }
}
