import Directory
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
        /// Passed to the scripts (`event.request.language`, `event.transaction.ui_locales`,
        /// `context.locale`, `event.transaction.acr_values`).
        public var uiLocales: String? = nil
        public var acrValues: String? = nil
        /// A device login (`/activate`): the hash of the device code it approves.
        public var device: String? = nil
        /// The organization of the login (its id, once resolved) and an invitation ticket to it.
        public var organization: String? = nil
        public var invitation: String? = nil
        /// `screen_hint=signup`: the transaction opens on the sign-up form.
        public var screenHint: String? = nil
    }

    struct Transaction: KeptValue {
        var parameters: Parameters
        var created: Double
        /// The hash of the browser cookie of the browser that opened the transaction (see `BrowserBinding`).
        var browser: String?
        /// `post_login_prompt`: the user whose credentials were checked, picking an organization
        /// (with the session cookie the login will keep).
        var authenticatedUser: String? = nil
        var sessionCookie: String? = nil
        /// The connection the credentials were checked at (the login continues at it).
        var authenticatedConnection: String? = nil
    }
}

extension AuthorizationService.Parameters {
    /// The words of `response_type`, in any order.
    public var responseTypes: Set<String> { Set(responseType.split(separator: " ").map(String.init)) }

    /// The response types Auth0 allows: the code flow, the implicit ones and the hybrid ones.
    static let allowedResponseTypes: [Set<String>] = [
        ["code"], ["id_token"], ["id_token", "token"], ["code", "id_token"], ["code", "token"], ["code", "id_token", "token"],
    ]

    /// The parameters of an `/authorize` query; nil without `client_id` or `redirect_uri`.
    init?(query q: [String: String]) {
        guard let clientId = q["client_id"], let redirect = q["redirect_uri"] else { return nil }
        self.init(
            clientId: clientId, redirectURI: redirect, responseType: q["response_type"] ?? "", scope: q["scope"] ?? "openid",
            state: q["state"], nonce: q["nonce"], audience: q["audience"], connection: q["connection"], prompt: q["prompt"],
            codeChallenge: q["code_challenge"], codeChallengeMethod: q["code_challenge_method"], loginHint: q["login_hint"],
            responseMode: q["response_mode"], uiLocales: q["ui_locales"], acrValues: q["acr_values"], organization: q["organization"],
            invitation: q["invitation"], screenHint: q["screen_hint"])
    }
}

extension AuthorizationService {
    /// A transaction opened for a page or a form of the login pages, or the page that refuses it.
    enum Opened {
        case open(Transaction, Client)
        case refused(Step)

        /// The refusing page (nil-free: an open transaction has none, and is never asked).
        var refusal: Step {
            if case .refused(let step) = self { return step }
            return .invalid("This login page has expired. Start again from the application.")
        }
    }

    /// The live transaction `tx` with its client, when `binding` is the browser that started it
    /// (and, for a form post, carries its form token); an expired or unknown transaction is
    /// `invalid` (400), a binding that does not match is `forbidden` (403).
    func openTransaction(_ tx: String, _ binding: BrowserBinding, form: Bool) async -> Opened {
        guard let t = await transaction(tx), Timestamp.now() - t.created < Self.transactionLifetime,
            let client = pipeline.tenant.clients.first(where: { $0.clientId == t.parameters.clientId })
        else { return .refused(.invalid("This login page has expired. Start again from the application.")) }
        guard binding.admits(transaction: tx, boundTo: t.browser, needsForm: form) else {
            pipeline.logger.warning("login page: a \(form ? "form post" : "page load") of a transaction failed the anti-forgery check (browser cookie or form token)")
            return .refused(.forbidden(BrowserBinding.refusal))
        }
        return .open(t, client)
    }
}
