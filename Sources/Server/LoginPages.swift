import Foundation
import HTTPTypes
import Hummingbird
import JSONCore
import LoginEngine
import OIDCProvider
import Tenant

/// The OIDC discovery document (`/.well-known/openid-configuration`).
enum Discovery {
    static func document(_ issuer: String) -> JSONValue {
        [
            "issuer": .string(issuer),
            "authorization_endpoint": .string(issuer + "authorize"),
            "token_endpoint": .string(issuer + "oauth/token"),
            "userinfo_endpoint": .string(issuer + "userinfo"),
            "jwks_uri": .string(issuer + ".well-known/jwks.json"),
            "revocation_endpoint": .string(issuer + "oauth/revoke"),
            "device_authorization_endpoint": .string(issuer + "oauth/device/code"),
            "end_session_endpoint": .string(issuer + "oidc/logout"),
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "scopes_supported": ["openid", "profile", "email", "phone", "offline_access"],
            "response_types_supported": ["code", "id_token", "token id_token", "code id_token", "code token", "code id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
            "grant_types_supported": .array(OAuthService.supportedGrants.map(JSONValue.string)),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "HS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "aud", "auth_time", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss", "locale", "name",
                "nickname", "phone_number", "phone_number_verified", "picture", "sub", "updated_at",
            ],
            "request_uri_parameter_supported": false,
        ]
    }
}

/// The plain HTML login page (no scripts, no external resources).
enum LoginPage {
    /// A page's error line ("" without an error).
    static func alert(_ error: String?) -> String {
        error.map { "<p class=\"error\" role=\"alert\">\(escape($0))</p>" } ?? ""
    }

    /// The opening of a login transaction's form: it posts to `action` with the transaction and
    /// its anti-forgery token.
    static func transactionForm(_ action: String, transaction: String, formToken: String) -> String {
        """
        <form method="post" action="\(action)">
        <input type="hidden" name="tx" value="\(escape(transaction))">
        <input type="hidden" name="_csrf" value="\(escape(formToken))">
        """
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func page(_ title: String, _ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;background:#f4f5f7;display:flex;justify-content:center;padding-top:8vh;margin:0}
            main{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.08);width:22rem}
            h1{font-size:1.3rem;margin:0 0 .3rem} p.sub{color:#667;margin:0 0 1.4rem;font-size:.9rem}
            label{display:block;font-size:.85rem;margin:.8rem 0 .3rem} input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #ccd;border-radius:4px;font-size:1rem}
            button{margin-top:1.4rem;width:100%;padding:.7rem;border:0;border-radius:4px;background:#3b5bdb;color:#fff;font-size:1rem;cursor:pointer}
            .error{background:#fff0f0;color:#a11;padding:.6rem .8rem;border-radius:4px;font-size:.9rem}
            </style></head><body><main>\(body)</main></body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func form(transaction: String, formToken: String, client: Client, connection: String, loginHint: String?, error: String?, federated: [String] = []) -> Response {
        let err = alert(error)
        let others = federated.map { name in
            "<p class=\"sub\"><a class=\"idp\" href=\"/authorize/idp?tx=\(escape(transaction))&amp;connection=\(escape(name))\">Continue with \(escape(name))</a></p>"
        }.joined()
        return page(
            "Log in to \(client.name)",
            """
            <h1>Log in</h1><p class="sub">to continue to <strong>\(escape(client.name))</strong> · \(escape(connection))</p>
            \(err)
            \(transactionForm("/authorize/login", transaction: transaction, formToken: formToken))
            <label for="username">Email or username</label><input id="username" name="username" autocomplete="username" value="\(escape(loginHint ?? ""))" required autofocus>
            <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Continue</button>
            </form>
            <p class="sub" style="margin-top:1.2rem">No account? <a href="/authorize/signup?tx=\(escape(transaction))">Sign up</a></p>
            \(others)
            """)
    }

    /// A simulated upstream IdP: its users as buttons, and a box for any raw profile.
    static func idp(transaction: String, formToken: String, client: Client, connection: Connection, users: [JSONValue], error: String?) -> Response {
        let err = alert(error)
        let buttons = users.enumerated().map { i, u in
            let label = u["email"]?.stringValue ?? u["name"]?.stringValue ?? u["login"]?.stringValue ?? u["sub"]?.stringValue ?? "user \(i + 1)"
            return "<button type=\"submit\" name=\"user\" value=\"\(i)\" class=\"idp-user\">\(escape(label))</button>"
        }.joined(separator: "\n")
        return page(
            "\(connection.name) (simulated)",
            """
            <h1>\(escape(connection.name))</h1><p class="sub">simulated \(escape(connection.strategy)) sign-in for <strong>\(escape(client.name))</strong></p>
            \(err)
            \(transactionForm("/authorize/idp", transaction: transaction, formToken: formToken))
            \(users.isEmpty ? "<p class=\"sub\">This connection lists no simulated users (options.simulated_users).</p>" : buttons)
            <label for="profile">Or sign in as this IdP profile (JSON)</label>
            <textarea id="profile" name="profile" rows="4" style="width:100%;box-sizing:border-box"></textarea>
            <button type="submit">Sign in with this profile</button>
            </form>
            """)
    }

    /// The organization prompt (a client that requires organizations, asked without one).
    static func organization(transaction: String, formToken: String, client: Client, error: String?) -> Response {
        let err = alert(error)
        return page(
            "Log in to \(client.name)",
            """
            <h1>Your organization</h1><p class="sub">to continue to <strong>\(escape(client.name))</strong></p>
            \(err)
            \(transactionForm("/authorize/organization", transaction: transaction, formToken: formToken))
            <label for="organization">Organization name</label><input id="organization" name="organization" autocomplete="organization" required autofocus>
            <button type="submit">Continue</button>
            </form>
            """)
    }

    /// `post_login_prompt`: the user's organizations, one button each.
    static func organizationPick(transaction: String, formToken: String, client: Client, organizations: [Organization], error: String?) -> Response {
        let err = alert(error)
        let buttons = organizations.map { o in
            "<button type=\"submit\" name=\"organization\" value=\"\(escape(o.id))\" class=\"idp-user\">\(escape(o.displayName))</button>"
        }.joined(separator: "\n")
        return page(
            "Log in to \(client.name)",
            """
            <h1>Choose your organization</h1><p class="sub">to continue to <strong>\(escape(client.name))</strong></p>
            \(err)
            \(transactionForm("/authorize/organization", transaction: transaction, formToken: formToken))
            \(buttons)
            </form>
            """)
    }

    static func signupForm(transaction: String, formToken: String, client: Client, connection: String, error: String?) -> Response {
        let err = alert(error)
        return page(
            "Sign up for \(client.name)",
            """
            <h1>Sign up</h1><p class="sub">to continue to <strong>\(escape(client.name))</strong> · \(escape(connection))</p>
            \(err)
            \(transactionForm("/authorize/signup", transaction: transaction, formToken: formToken))
            <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required autofocus>
            <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
            <button type="submit">Sign up</button>
            </form>
            """)
    }

    static func resetForm(ticket: String, email: String, error: String?) -> Response {
        let err = alert(error)
        return page(
            "Change your password",
            """
            <h1>Change your password</h1><p class="sub">for <strong>\(escape(email))</strong></p>
            \(err)
            <form method="post" action="/lo/reset">
            <input type="hidden" name="ticket" value="\(escape(ticket))">
            <label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required autofocus>
            <button type="submit">Change password</button>
            </form>
            """)
    }

    static func error(_ message: String, status: HTTPResponse.Status) -> Response {
        page("Error", "<h1>Something is wrong</h1><p class=\"error\">\(escape(message))</p>", status: status)
    }

    /// `response_mode=form_post`: the response's fields posted to the app's callback at once
    /// (a button when scripts are off). Its only script is this page's own, by hash.
    static func formPost(action: String, fields: [AuthorizationService.Field]) -> Response {
        let inputs = fields.map { "<input type=\"hidden\" name=\"\(escape($0.name))\" value=\"\(escape($0.value))\">" }.joined()
        let script = "document.forms[0].submit();"
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Submit this form</title></head><body>
            <form method="post" action="\(escape(action))">\(inputs)<noscript><button type="submit">Continue</button></noscript></form>
            <script>\(script)</script></body></html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; script-src '\(scriptHash(script))'; form-action \(AuthorizationService.origin(of: action) ?? "'self'"); frame-ancestors 'none'",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// `response_mode=web_message`: the response posted to the app's window (the parent of the
    /// iframe, or the opener of the popup) at its origin only; framable by that origin alone.
    static func webMessage(origin: String, fields: [AuthorizationService.Field]) -> Response {
        var response: [String: JSONValue] = [:]
        for f in fields { response[f.name] = .string(f.value) }
        let message: JSONValue = ["type": "authorization_response", "response": .object(response)]
        // JSON in a script: `<` escaped so no value can close the script element.
        let data = message.serialized().replacingOccurrences(of: "<", with: "\\u003c")
        let target = JSONValue.string(origin).serialized().replacingOccurrences(of: "<", with: "\\u003c")
        let script = "(function(){var w=window.opener||window.parent;w.postMessage(\(data),\(target));})();"
        let html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorization response</title></head><body><script>\(script)</script></body></html>"
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; script-src '\(scriptHash(script))'; frame-ancestors \(origin)",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func scriptHash(_ script: String) -> String { AuthorizationService.scriptSource(script) }

    /// The device activation page.
    static func activate(userCode: String?, formToken: String, error: String?) -> Response {
        var body = "<h1>Connect your device</h1><p>Enter the code your device shows.</p>"
        if let error { body += "<p class=\"error\" role=\"alert\">\(escape(error))</p>" }
        body += """
            <form method="post" action="/activate"><input type="hidden" name="\(BrowserBinding.formField)" value="\(escape(formToken))">
            <label>Code <input id="user_code" name="user_code" value="\(escape(userCode ?? ""))" autocomplete="off" required autofocus></label>
            <button type="submit">Continue</button></form>
            """
        return page("Connect your device", body, status: error == nil ? .ok : .badRequest)
    }

    /// The second-factor page: the enrolment (secret and `otpauth://` link) or the challenge.
    static func mfa(state: String, enrollment: AuthorizationService.MFAEnrollment?, error: String?, sentTo: String? = nil) -> Response {
        var body = enrollment == nil ? "<h1>Verify it is you</h1><p>Enter the code your authenticator app shows.</p>" : "<h1>Secure your account</h1>"
        if let sentTo { body = "<h1>Verify it is you</h1><p id=\"mfa-sent\">We sent a code to \(escape(sentTo)). Enter it below.</p>" }
        if let e = enrollment {
            body += """
                <p>Add this account to an authenticator app (Google Authenticator, 1Password, Auth0 Guardian…): scan the code, \
                or enter the key by hand, then type the code the app shows.</p>
                <div id="mfa-qr">\(QRCode.svg(e.uri) ?? "")</div>
                <p>Key: <code id="mfa-secret">\(escape(e.secret))</code></p>
                <p><a id="mfa-uri" href="\(escape(e.uri))">Open in an authenticator app</a></p>
                """
        }
        if let error { body += "<p class=\"error\" role=\"alert\">\(escape(error))</p>" }
        body += """
            <form method="post" action="/mfa"><input type="hidden" name="state" value="\(escape(state))">
            <label>Code <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required autofocus></label>
            <button type="submit">Continue</button></form>
            """
        return page("Second factor", body, status: error == nil ? .ok : .unauthorized)
    }

    static func message(_ text: String) -> Response {
        page("authsim", "<h1>\(escape(text))</h1>")
    }
}
