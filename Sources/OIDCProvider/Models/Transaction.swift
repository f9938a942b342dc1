import Foundation
import JSONCore
import Tenant
import Tokens

/// An authorization request and the transaction that carries it through the login pages.
extension AuthorizationService {
    public struct Parameters: Sendable {
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

    struct Transaction {
        var parameters: Parameters
        var created: Double
    }
}
