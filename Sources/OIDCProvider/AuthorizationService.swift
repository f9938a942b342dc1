import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The browser side of OAuth: `/authorize` transactions, the login form, SSO sessions,
/// single-use authorization codes (bound to client and redirect_uri, PKCE-checked) and logout.
/// Codes, transactions, SSO sessions and suspended logins are in the store, so any daemon on it
/// carries on what another started (see Models/SharedState.swift).
public final class AuthorizationService: Sendable {
    public let pipeline: LoginPipeline
    public let oauth: OAuthService

    /// How long a code may wait for its exchange, and a login page for its submission.
    static let codeLifetime: Double = 60
    static let transactionLifetime: Double = 600

    /// The federated connections a login page links: an organization's (those shown as
    /// buttons), else nil (every one of the tenant's).
    func federatedButtons(_ p: Parameters) -> [String]? {
        guard let org = p.organization.flatMap(pipeline.tenant.organization) else { return nil }
        return org.connections.filter { e in e.showAsButton && pipeline.tenant.connection(named: e.name).map(Self.isFederated) == true }.map(\.name)
    }

    public init(pipeline: LoginPipeline) {
        self.pipeline = pipeline
        self.oauth = OAuthService(pipeline: pipeline)
    }

    /// One parameter of an authorization response.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    /// What the browser gets next.
    public enum Step: Sendable {
        /// Render the login page for this transaction.
        /// `federated`: the social and enterprise connections the page links (an organization's
        /// enabled ones that show as buttons; nil: the tenant's).
        case login(transaction: String, client: Client, connection: String, loginHint: String?, error: String?, federated: [String]? = nil)
        /// Send the browser to a script's redirect target, remembering it with a cookie.
        case suspend(String, browser: String)
        /// Render a simulated upstream IdP's page: pick one of its users (or paste a profile).
        case idp(transaction: String, client: Client, connection: Connection, users: [JSONValue], error: String?)
        /// Render the sign-up page for this transaction.
        case signup(transaction: String, client: Client, connection: String, error: String?)
        /// Send the browser to this URL (the app's callback, with a code or an error).
        case redirect(String, session: String?)
        /// `response_mode=form_post`: a page that posts `fields` to the app's callback.
        case formPost(action: String, fields: [Field], session: String?)
        /// `response_mode=web_message`: a page (in the app's iframe or popup) that posts the
        /// response to `origin` with `postMessage`.
        case webMessage(origin: String, fields: [Field], session: String?)
        /// The device activation page: the code the device shows, and why it was refused.
        case activate(userCode: String?, error: String?)
        /// A page that only says something (a device login's end).
        case message(String)
        /// A device login failed: the device's grant is denied with this error (`settle` turns
        /// it into the page that says so; a device login never redirects to a callback).
        case deviceFailed(device: String, error: String, description: String)
        /// The organization prompt: the login asks which organization (a client that requires one).
        case organization(transaction: String, client: Client, error: String?)
        /// `post_login_prompt`: the user (credentials checked) picks one of their organizations.
        case organizationPick(transaction: String, client: Client, organizations: [Organization], error: String?)
        /// The second-factor page (`/mfa`): a challenge, or an enrolment when the user has no factor yet.
        /// `sentTo`: an email or phone factor's code was sent there (masked).
        case mfa(state: String, enrollment: MFAEnrollment?, error: String?, sentTo: String? = nil)
        /// Show an error page: redirecting would be unsafe (unknown client, unregistered redirect_uri).
        case invalid(String)
        /// Refuse a form or page that failed the anti-forgery check (403; see `BrowserBinding`).
        case forbidden(String)
    }
}
