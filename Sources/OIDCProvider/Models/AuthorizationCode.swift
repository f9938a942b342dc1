import Foundation
import JSONCore
import Tenant
import Tokens

/// An authorization code: the tokens it buys, bound to client, redirect URI and PKCE challenge.
extension AuthorizationService {
    /// An authorization code, kept in the store so that any daemon on it can redeem it.
    struct Code {
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

        var json: JSONValue {
            [
                "idToken": idToken.json, "accessToken": accessToken.json, "userId": userId.map(JSONValue.string) ?? .null, "clientId": .string(clientId),
                "redirectURI": .string(redirectURI), "scope": .string(scope), "audience": audience.map(JSONValue.string) ?? .null,
                "challenge": challenge.map(JSONValue.string) ?? .null, "method": method.map(JSONValue.string) ?? .null, "expires": .number(expires),
            ]
        }

        init(idToken: IssuedToken, accessToken: IssuedToken, userId: String?, clientId: String, redirectURI: String, scope: String, audience: String?, challenge: String?, method: String?, expires: Double) {
            self.idToken = idToken
            self.accessToken = accessToken
            self.userId = userId
            self.clientId = clientId
            self.redirectURI = redirectURI
            self.scope = scope
            self.audience = audience
            self.challenge = challenge
            self.method = method
            self.expires = expires
        }

        init?(json: JSONValue) {
            guard let id = json["idToken"].flatMap(IssuedToken.init(json:)), let at = json["accessToken"].flatMap(IssuedToken.init(json:)),
                let clientId = json["clientId"]?.stringValue, let redirectURI = json["redirectURI"]?.stringValue, let scope = json["scope"]?.stringValue,
                let expires = json["expires"]?.doubleValue
            else { return nil }
            self.init(
                idToken: id, accessToken: at, userId: json["userId"]?.stringValue, clientId: clientId, redirectURI: redirectURI, scope: scope,
                audience: json["audience"]?.stringValue, challenge: json["challenge"]?.stringValue, method: json["method"]?.stringValue, expires: expires)
        }
    }
}
