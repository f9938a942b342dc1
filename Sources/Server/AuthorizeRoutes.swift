import Foundation
import HTTPTypes
import Hummingbird
import JSONCore
import LoginEngine
import OIDCProvider
import Tenant

/// `GET /authorize` (login page or redirect), `POST /authorize/login` (the form), `GET /continue`
/// (resume after a rule/action redirect), `GET /v2/logout`,
/// and the OIDC discovery document. The flow logic is `AuthorizationService`'s.
struct AuthorizeRoutes: RouteGroup {
    static let sessionCookie = "authsim_session"
    static let continueCookie = "authsim_continue"
    /// Binds a password reset sent away by a post-challenge action to the browser it left from.
    static let resetCookie = "authsim_reset"
    let authorization: AuthorizationService
    let maximumBodySize: Int

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.get("authorize") { request, context -> Response in
            // Form-style query: '+' is a space (clients send scope=openid+profile).
            let q = FormEncoding.decode(request.uri.query ?? "")
            return await withBrowserCookie(request) { browser in
                await render(
                    await authorization.authorize(
                        q, sessionCookie: request.cookies[Self.sessionCookie]?.value, browser: browser, ip: context.clientIP, userAgent: request.headers[.userAgent]),
                    browser: browser)
            }
        }
        router.post("authorize/login") { request, context -> Response in
            guard let form = await Self.form(request, upTo: maximumBodySize) else {
                return LoginPage.error("The form is too large.", status: .contentTooLarge)
            }
            let step = await authorization.submitLogin(
                transaction: form["tx"] ?? "", binding: Self.binding(request, form: form), username: form["username"] ?? "", password: form["password"] ?? "",
                ip: context.clientIP, userAgent: request.headers[.userAgent])
            return await render(step, browser: Self.browser(request))
        }
        router.post("authorize/organization") { request, context -> Response in
            guard let form = await Self.form(request, upTo: maximumBodySize) else {
                return LoginPage.error("The form is too large.", status: .contentTooLarge)
            }
            let step = await authorization.submitOrganization(
                transaction: form["tx"] ?? "", binding: Self.binding(request, form: form), name: form["organization"] ?? "", ip: context.clientIP,
                userAgent: request.headers[.userAgent])
            return await render(step, browser: Self.browser(request))
        }
        router.get("authorize/idp") { request, context -> Response in
            let q = FormEncoding.decode(request.uri.query ?? "")
            return await render(
                await authorization.idpPage(transaction: q["tx"] ?? "", connection: q["connection"] ?? "", binding: Self.binding(request, form: nil)),
                browser: Self.browser(request))
        }
        router.post("authorize/idp") { request, context -> Response in
            guard let form = await Self.form(request, upTo: maximumBodySize) else {
                return LoginPage.error("The form is too large.", status: .contentTooLarge)
            }
            let step = await authorization.submitIdP(
                transaction: form["tx"] ?? "", binding: Self.binding(request, form: form), userIndex: form["user"].flatMap { Int($0) }, profile: form["profile"],
                ip: context.clientIP, userAgent: request.headers[.userAgent])
            return await render(step, browser: Self.browser(request))
        }
        router.get("authorize/signup") { request, context -> Response in
            let tx = request.uri.queryParameters["tx"].map(String.init) ?? ""
            return await render(await authorization.signupPage(transaction: tx, binding: Self.binding(request, form: nil)), browser: Self.browser(request))
        }
        router.post("authorize/signup") { request, context -> Response in
            guard let form = await Self.form(request, upTo: maximumBodySize) else {
                return LoginPage.error("The form is too large.", status: .contentTooLarge)
            }
            let step = await authorization.submitSignup(
                transaction: form["tx"] ?? "", binding: Self.binding(request, form: form), email: form["email"] ?? "", password: form["password"] ?? "",
                ip: context.clientIP, userAgent: request.headers[.userAgent])
            return await render(step, browser: Self.browser(request))
        }
        // The Authentication API's database sign-up (JSON or form body).
        router.post("dbconnections/signup") { request, context -> Response in
            guard let buffer = try? await request.body.collect(upTo: maximumBodySize) else {
                return HTTPJSON.error(.contentTooLarge, "Request body is larger than \(maximumBodySize) bytes", errorCode: "payload_too_large")
            }
            let text = String(buffer: buffer)
            var fields: [String: JSONValue] = [:]
            if request.headers[.contentType]?.hasPrefix("application/json") == true || text.first == "{" {
                guard let body = try? JSONValue.parse(text), let o = body.objectValue else {
                    return HTTPJSON.error(.badRequest, "Invalid JSON body", errorCode: "invalid_body")
                }
                fields = o
            } else {
                fields = FormEncoding.decode(text).mapValues(JSONValue.string)
            }
            do throws(SignupError) {
                let user = try await authorization.pipeline.signup(
                    clientId: fields["client_id"]?.stringValue ?? "", connection: fields["connection"]?.stringValue ?? authorization.pipeline.defaultConnectionName,
                    email: fields["email"]?.stringValue ?? "", password: fields["password"]?.stringValue ?? "", fields: fields,
                    ip: context.clientIP, userAgent: request.headers[.userAgent])
                var out: [String: JSONValue] = ["_id": .string(String(user.userId.dropFirst("auth0|".count))), "email": .string(user.email ?? ""), "email_verified": .bool(user.emailVerified)]
                for k in ["username", "given_name", "family_name", "name", "nickname", "picture", "user_metadata"] {
                    if let v = user.json[k], !v.isNull { out[k] = v }
                }
                return HTTPJSON.response(.object(out))
            } catch {
                return HTTPJSON.response(error.json, status: HTTPResponse.Status(code: error.status))
            }
        }
        // Password reset: the request (the link goes to the daemon log), the page, the new password.
        router.post("dbconnections/change_password") { request, context -> Response in
            guard let buffer = try? await request.body.collect(upTo: maximumBodySize) else {
                return HTTPJSON.error(.contentTooLarge, "Request body is larger than \(maximumBodySize) bytes", errorCode: "payload_too_large")
            }
            let text = String(buffer: buffer)
            let fields = (try? JSONValue.parse(text))?.objectValue?.compactMapValues(\.stringValue) ?? FormEncoding.decode(text)
            do throws(PasswordResetError) {
                let message = try await authorization.pipeline.requestPasswordReset(
                    clientId: fields["client_id"] ?? "", connection: fields["connection"] ?? authorization.pipeline.defaultConnectionName,
                    email: fields["email"] ?? "", ip: context.clientIP, userAgent: request.headers[.userAgent])
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: message)))
            } catch {
                return HTTPJSON.response(["error": "bad.request", "error_description": .string(error.description)], status: .badRequest)
            }
        }
        router.get("lo/reset") { request, context -> Response in
            let ticket = request.uri.queryParameters["ticket"].map(String.init) ?? ""
            guard let t = await authorization.pipeline.passwordResets.peek(ticket) else {
                return LoginPage.error("This link has expired or was already used: ask for a new one.", status: .badRequest)
            }
            // password-reset-post-challenge runs once the link is opened.
            let query = FormEncoding.decode(request.uri.query ?? "")
            return Self.resetPage(
                await authorization.pipeline.resetChallenge(ticket: ticket, query: query, ip: context.clientIP, userAgent: request.headers[.userAgent]),
                ticket: ticket, email: t.email)
        }
        router.post("lo/reset") { request, context -> Response in
            guard let buffer = try? await request.body.collect(upTo: maximumBodySize) else {
                return LoginPage.error("The form is too large.", status: .contentTooLarge)
            }
            let form = FormEncoding.decode(String(buffer: buffer))
            let ticket = form["ticket"] ?? ""
            let email = await authorization.pipeline.passwordResets.peek(ticket)?.email
            do throws(PasswordResetError) {
                let result = try await authorization.pipeline.resetPassword(
                    ticket: ticket, password: form["password"] ?? "", ip: context.clientIP, userAgent: request.headers[.userAgent])
                if let result { return Response(status: .found, headers: [.location: result, .cacheControl: "no-store"]) }
                return LoginPage.message("Your password has been changed.")
            } catch {
                if let email, await authorization.pipeline.passwordResets.peek(ticket) != nil {
                    return LoginPage.resetForm(ticket: ticket, email: email, error: error.description)
                }
                return LoginPage.error(error.description, status: .badRequest)
            }
        }
        router.get("lo/verify_email") { request, context -> Response in
            let ticket = request.uri.queryParameters["ticket"].map(String.init) ?? ""
            do throws(PasswordResetError) {
                let result = try await authorization.pipeline.verifyEmail(ticket: ticket, ip: context.clientIP)
                if let result { return Response(status: .found, headers: [.location: result, .cacheControl: "no-store"]) }
                return LoginPage.message("Your email address was successfully verified.")
            } catch {
                return LoginPage.error(error.description, status: .badRequest)
            }
        }
        router.get("continue") { request, context -> Response in
            let q = FormEncoding.decode(request.uri.query ?? "")
            // Back from a password-reset-post-challenge action's redirect.
            if let state = q["state"],
                let (ticket, outcome) = await authorization.pipeline.continueReset(
                    state: state, binding: request.cookies[Self.resetCookie]?.value, query: q, ip: context.clientIP, userAgent: request.headers[.userAgent])
            {
                return Self.resetPage(outcome, ticket: ticket.id, email: ticket.email)
            }
            return await render(await authorization.resume(
                query: q, browserCookie: request.cookies[Self.continueCookie]?.value, ip: context.clientIP, userAgent: request.headers[.userAgent],
                browser: Self.browser(request)),
                browser: Self.browser(request))
        }
        router.get("v2/logout") { request, context -> Response in
            let target = await authorization.logout(
                sessionCookie: request.cookies[Self.sessionCookie]?.value, returnTo: request.uri.queryParameters["returnTo"].map(String.init),
                clientId: request.uri.queryParameters["client_id"].map(String.init))
            return Self.loggedOut(target.map { .redirect($0) } ?? .page)
        }
        // The device flow's page: the code the device shows, then the login pages.
        router.get("activate") { request, _ -> Response in
            await withBrowserCookie(request) { browser in
                await render(authorization.activatePage(userCode: request.uri.queryParameters["user_code"].map(String.init)), browser: browser)
            }
        }
        router.post("activate") { request, _ -> Response in
            guard let form = await Self.form(request, upTo: maximumBodySize) else {
                return LoginPage.error("The form is too large.", status: .contentTooLarge)
            }
            return await render(await authorization.activate(userCode: form["user_code"] ?? "", binding: Self.binding(request, form: form)), browser: Self.browser(request))
        }
        // The second factor of a browser login, bound to the browser by its continue cookie.
        router.get("mfa") { request, _ -> Response in
            await render(await authorization.mfaPage(state: request.uri.queryParameters["state"].map(String.init) ?? "", browser: request.cookies[Self.continueCookie]?.value))
        }
        router.post("mfa") { request, context -> Response in
            guard let form = await Self.form(request, upTo: maximumBodySize) else {
                return LoginPage.error("The form is too large.", status: .contentTooLarge)
            }
            return await render(await authorization.submitMFA(
                state: form["state"] ?? "", browser: request.cookies[Self.continueCookie]?.value, code: form["code"] ?? "", ip: context.clientIP,
                userAgent: request.headers[.userAgent]))
        }
        // OpenID Connect RP-Initiated Logout: the query, or a posted form.
        router.get("oidc/logout") { request, _ -> Response in
            let q = FormEncoding.decode(request.uri.query ?? "")
            return Self.loggedOut(await authorization.oidcLogout(q, sessionCookie: request.cookies[Self.sessionCookie]?.value))
        }
        router.post("oidc/logout") { request, _ -> Response in
            guard let form = await Self.form(request, upTo: maximumBodySize) else {
                return LoginPage.error("The form is too large.", status: .contentTooLarge)
            }
            return Self.loggedOut(await authorization.oidcLogout(form, sessionCookie: request.cookies[Self.sessionCookie]?.value))
        }
        router.get(".well-known/openid-configuration") { _, _ -> Response in
            HTTPJSON.response(Discovery.document(authorization.pipeline.tenant.settings.effectiveIssuer))
        }
    }

    /// The reset link's page after the post-challenge actions: the form, their refusal, or their redirect.
    static func resetPage(_ outcome: ResetChallenge, ticket: String, email: String) -> Response {
        switch outcome {
        case .passed: return LoginPage.resetForm(ticket: ticket, email: email, error: nil)
        case .denied(let message): return LoginPage.error(message, status: .forbidden)
        case .redirect(let url, let binding):
            var response = Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
            response.setCookie(Cookie(name: resetCookie, value: binding, maxAge: 3600, path: "/", httpOnly: true, sameSite: .lax))
            return response
        }
    }

    /// How long a browser keeps its browser cookie (a year, like Auth0's `did`).
    static let browserCookieLifetime = 365 * 24 * 3600

    static func browser(_ request: Request) -> String? {
        request.cookies[BrowserBinding.cookieName].map(\.value).flatMap { $0.isEmpty ? nil : $0 }
    }

    static func binding(_ request: Request, form: [String: String]?) -> BrowserBinding {
        BrowserBinding(browser: browser(request), formToken: form?[BrowserBinding.formField], fromOtherOrigin: fromOtherOrigin(request))
    }

    /// Whether the browser says the request came from a page of another origin: an `Origin`
    /// that is not this daemon's, or `Sec-Fetch-Site` `same-site`/`cross-site`. Clients that
    /// send neither (non-browser tools) are judged by the cookie and token alone.
    static func fromOtherOrigin(_ request: Request) -> Bool {
        if let site = request.headers[Self.fetchSite]?.lowercased(), ["same-site", "cross-site"].contains(site) { return true }
        guard let originText = request.headers[.origin] else { return false }
        guard let origin = WebOrigin(originText) else { return true }
        return !CrossOriginMiddleware.isSameOrigin(origin, as: request)
    }

    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// A form-encoded body, nil when larger than `limit`.
    static func form(_ request: Request, upTo limit: Int) async -> [String: String]? {
        guard let buffer = try? await request.body.collect(upTo: limit) else { return nil }
        return FormEncoding.decode(String(buffer: buffer))
    }

    /// The response for `step`; login pages carry the form token of `browser` (none without the
    /// cookie: such a form is refused anyway).
    func render(_ step: AuthorizationService.Step, browser: String? = nil) async -> Response {
        let step = await authorization.settle(step)
        let token = { (tx: String) in browser.map { BrowserBinding.formToken(transaction: tx, browser: $0) } ?? "" }
        switch step {
        case .invalid(let message):
            return LoginPage.error(message, status: .badRequest)
        case .forbidden(let message):
            return LoginPage.error(message, status: .forbidden)
        case .mfa(let state, let enrollment, let error, let sentTo):
            return LoginPage.mfa(state: state, enrollment: enrollment, error: error, sentTo: sentTo)
        case .activate(let userCode, let error):
            return LoginPage.activate(userCode: userCode, formToken: browser.map { BrowserBinding.formToken(transaction: "activate", browser: $0) } ?? "", error: error)
        case .message(let text):
            return LoginPage.message(text)
        case .deviceFailed(_, _, let description):
            return LoginPage.error(description, status: .badRequest)
        case .login(let tx, let client, let connection, let hint, let error, let buttons):
            let federated = buttons ?? authorization.pipeline.tenant.connections.filter(AuthorizationService.isFederated).map(\.name)
            return LoginPage.form(
                transaction: tx, formToken: token(tx), client: client, connection: connection, loginHint: hint, error: error, federated: federated)
        case .organization(let tx, let client, let error):
            return LoginPage.organization(transaction: tx, formToken: token(tx), client: client, error: error)
        case .organizationPick(let tx, let client, let organizations, let error):
            return LoginPage.organizationPick(transaction: tx, formToken: token(tx), client: client, organizations: organizations, error: error)
        case .idp(let tx, let client, let connection, let users, let error):
            return LoginPage.idp(transaction: tx, formToken: token(tx), client: client, connection: connection, users: users, error: error)
        case .suspend(let url, let browser):
            var response = Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
            response.setCookie(Cookie(name: Self.continueCookie, value: browser, maxAge: 600, path: "/", httpOnly: true, sameSite: .lax))
            return response
        case .signup(let tx, let client, let connection, let error):
            return LoginPage.signupForm(transaction: tx, formToken: token(tx), client: client, connection: connection, error: error)
        case .redirect(let url, let session):
            return withSession(Response(status: .found, headers: [.location: url, .cacheControl: "no-store"]), session)
        case .formPost(let action, let fields, let session):
            return withSession(LoginPage.formPost(action: action, fields: fields), session)
        case .webMessage(let origin, let fields, let session):
            return withSession(LoginPage.webMessage(origin: origin, fields: fields), session)
        }
    }

    /// A logout's answer; the session cookie goes unless the request was refused.
    static func loggedOut(_ step: AuthorizationService.LogoutStep) -> Response {
        var response: Response
        switch step {
        case .invalid(let message): return LoginPage.error(message, status: .badRequest)
        case .redirect(let url): response = Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
        case .page: response = LoginPage.message("You are logged out.")
        }
        response.setCookie(Cookie(name: Self.sessionCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax))
        return response
    }

    /// A page bound to the browser cookie, which is made here when the browser has none.
    func withBrowserCookie(_ request: Request, _ page: (String) async -> Response) async -> Response {
        let known = Self.browser(request)
        let browser = known ?? BrowserBinding.newBrowser()
        var response = await page(browser)
        if known == nil {
            response.setCookie(Cookie(name: BrowserBinding.cookieName, value: browser, maxAge: Self.browserCookieLifetime, path: "/", httpOnly: true, sameSite: .lax))
        }
        return response
    }

    func withSession(_ response: Response, _ session: String?) -> Response {
        var response = response
        if let session {
            response.setCookie(Cookie(name: Self.sessionCookie, value: session, path: "/", httpOnly: true, sameSite: .lax))
        }
        return response
    }
}
