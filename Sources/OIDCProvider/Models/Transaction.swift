import Foundation
import JSONCore
import Tenant
import Tokens

/// An authorization request and the transaction that carries it through the login pages.
extension AuthorizationService {
    public struct Parameters: Sendable, Codable {
        public var clientId: String
        public var redirectURI: String
        public var responseType: String
        public var scope: String
        public var state: String?
        public var nonce: String?
        public var audience: String?
        public var connection: String?
        public var prompt: String?
        public var codeChallenge: String?
        public var codeChallengeMethod: String?
        public var loginHint: String?
        public var responseMode: String?
    }

    struct Transaction: Codable {
        var parameters: Parameters
        var created: Double
    }
}

extension AuthorizationService.Parameters {
    /// The parameters of an `/authorize` query; nil without `client_id` or `redirect_uri`.
    init?(query q: [String: String]) {
        guard let clientId = q["client_id"], let redirect = q["redirect_uri"] else { return nil }
        self.init(
            clientId: clientId, redirectURI: redirect, responseType: q["response_type"] ?? "", scope: q["scope"] ?? "openid",
            state: q["state"], nonce: q["nonce"], audience: q["audience"], connection: q["connection"], prompt: q["prompt"],
            codeChallenge: q["code_challenge"], codeChallengeMethod: q["code_challenge_method"], loginHint: q["login_hint"],
            responseMode: q["response_mode"])
    }
}
