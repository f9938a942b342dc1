import Foundation
import JSONCore
import Tokens

/// Anti-forgery binding of the login pages to the browser that opened them.
///
/// `GET /authorize` runs in a browser that carries a random, HttpOnly, SameSite=Lax browser
/// cookie (`authsim_did`, set there when missing); the transaction keeps the cookie's hash.
/// Every page of the transaction carries a form token derived from the cookie and the
/// transaction id (`_csrf`). A form post (login, sign-up, upstream IdP) is taken only with the
/// same cookie and the same form token, and the IdP and sign-up pages only with the same cookie,
/// so a page on another site cannot post a login (its own or the victim's) into someone's
/// browser: a cross-site post carries no Lax cookie, and no other site can read the token.
public struct BrowserBinding: Sendable, Equatable {
    /// The browser cookie's value, as the request carried it.
    public var browser: String?
    /// The form's `_csrf` field; nil for page loads (links), which need only the cookie.
    public var formToken: String?
    /// Whether the browser said the form came from another origin (`Origin`, `Sec-Fetch-Site`):
    /// a page on another port or a sibling name can set the browser cookie to one it knows
    /// (cookies ignore ports), so a form post must also come from the daemon's own pages.
    public var fromOtherOrigin: Bool

    public init(browser: String?, formToken: String? = nil, fromOtherOrigin: Bool = false) {
        self.browser = browser
        self.formToken = formToken
        self.fromOtherOrigin = fromOtherOrigin
    }

    /// The cookie that identifies the browser.
    public static let cookieName = "authsim_did"

    /// The form field that carries the token.
    public static let formField = "_csrf"

    /// A new browser cookie value (32 random bytes).
    public static func newBrowser() -> String { OpaqueToken.new() }

    /// The form token of `transaction` in `browser`: only a page rendered for that browser has it.
    public static func formToken(transaction: String, browser: String) -> String {
        OpaqueToken.hash("authsim-form\u{0}" + browser + "\u{0}" + transaction)
    }

    /// What the page says when the check fails.
    static let refusal =
        "This form did not come from a login page opened in this browser (its anti-forgery check failed). Cookies must be enabled: start again from the application."

    /// Whether a request with this binding may use a transaction bound to `browserHash`.
    func admits(transaction tx: String, boundTo browserHash: String?, needsForm: Bool) -> Bool {
        guard let browser, let browserHash, OpaqueToken.constantTimeEquals(OpaqueToken.hash(browser), browserHash) else { return false }
        guard needsForm else { return true }
        guard !fromOtherOrigin, let formToken else { return false }
        return OpaqueToken.constantTimeEquals(formToken, Self.formToken(transaction: tx, browser: browser))
    }
}
