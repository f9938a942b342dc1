import AuthsimTesting
import Foundation
import JSONCore
import LoginEngine
import Prometheus
import ScriptRuntime
import Server
import Testing

/// One script runtime for the in-process applications of this target.
enum InProcess {
    static let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 2))

    /// The sample tenant (a copy: some routes write rules and actions) as an in-process app.
    static func sampleApp(metrics: PrometheusCollectorRegistry? = nil) async throws -> AuthsimTestApp {
        try await AuthsimTestApp.open(tenantDirectory: try sampleTenantCopy(), runtime: runtime, metrics: metrics)
    }

    static let appClient = "sampleAppClientId00000000000000"
    static let appSecret = "sample-app-client-secret-change-me"
    static let callback = "http://localhost:3000/callback"
    static let ann = "auth0|5f7c8ec7c33c6c004bbafe82"
    static let annPath = "auth0%7C5f7c8ec7c33c6c004bbafe82"
    static let bobPath = "auth0%7C5f7c8ec7c33c6c004bbafe83"
}

/// The in-process application shaped like `Daemon` (a client, a Management token), for suites
/// that moved off a spawned daemon: `request` answers as `Daemon.request` does.
struct InProcessDaemon: Sendable {
    let client: AuthsimTestClient
    let app: AuthsimTestApp
    let token: String

    /// Runs `body` against a new in-process application on a copy of the sample tenant.
    static func run(_ body: @Sendable (InProcessDaemon) async throws -> Void) async throws {
        let app = try await InProcess.sampleApp()
        let token = try app.managementToken()
        try await app.test { c in try await body(InProcessDaemon(client: c, app: app, token: token)) }
    }

    func request(_ path: String, method: String = "GET", body: Data? = nil, token: String? = nil) async throws -> (Int, JSONValue) {
        let r = try await client.send(method, path, body: body.map { String(decoding: $0, as: UTF8.self) }, token: token)
        return (r.status, (try? JSONValue.parse(r.text)) ?? .string(r.text))
    }
}

/// Every route of the daemon, driven in-process through the router (no socket, no process):
/// each has its own request and an assertion on what that route, and only it, answers. The
/// table must name every route the server registers, so a new route cannot go untested.
@Suite(.serialized) struct InProcessRouteTests {
    /// What the checks share: the client, a Management token, values one route hands the next.
    final class Run: @unchecked Sendable {
        let c: AuthsimTestClient
        /// The login pages' browser (cookies, the pages' anti-forgery fields), and another
        /// one without an SSO session.
        let browser: AuthsimTestBrowser
        let other: AuthsimTestBrowser
        let app: AuthsimTestApp
        let token: String
        var values: [String: String] = [:]
        init(_ c: AuthsimTestClient, _ app: AuthsimTestApp, _ token: String) {
            self.c = c
            self.browser = AuthsimTestBrowser(c)
            self.other = AuthsimTestBrowser(c)
            self.app = app
            self.token = token
        }

        func value(_ key: String) throws -> String { try #require(values[key], "no \(key) yet") }

        /// The hidden transaction id of a login or sign-up page.
        static func tx(_ html: String) -> String? {
            guard let r = html.range(of: #"name="tx" value="([a-f0-9]+)""#, options: .regularExpression) else { return nil }
            return String(html[r].split(separator: "\"")[3])
        }

        /// A password login in a fresh browser, its code exchanged: the session cookie and the tokens.
        func browserLogin() async throws -> (cookie: String, tokens: JSONValue) {
            let b = AuthsimTestBrowser(c)
            let page = try await b.get(authorizeQuery())
            let tx = try #require(Run.tx(page.text))
            let res = try await b.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            let location = try #require(res.header("Location"))
            let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
            let tokens = try await c.form(
                "oauth/token",
                ["grant_type": "authorization_code", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "code": code, "redirect_uri": InProcess.callback])
            return (try #require(res.cookies["authsim_session"]), tokens.json)
        }

        func refresh(_ token: String) async throws -> AuthsimTestResponse {
            try await c.form("oauth/token", ["grant_type": "refresh_token", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "refresh_token": token])
        }

        /// Whether a silent login with this session cookie still finds the session.
        func sessionLives(_ cookie: String) async throws -> Bool {
            let res = try await c.send(.get, authorizeQuery("&prompt=none"), headers: ["Cookie": "authsim_session=" + cookie])
            return res.header("Location")?.hasPrefix(InProcess.callback + "?code=") == true
        }

        func authorizeQuery(_ extra: String = "") -> String {
            "authorize?response_type=code&client_id=\(InProcess.appClient)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid%20profile%20email%20offline_access&state=s1" + extra
        }
    }

    typealias Check = (route: String, run: @Sendable (Run) async throws -> Void)

    static let checks: [Check] = [
        ("GET /healthz", { (r: Run) async throws in
            let res = try await r.c.send(.get, "healthz")
            #expect(res.status == 200)
            #expect(res.json["status"] == "ok")
        }),
        ("GET /metrics", { (r: Run) async throws in
            let res = try await r.c.send(.get, "metrics")
            #expect(res.status == 200)
            #expect(res.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(res.text.contains("authsim_in_process_checks_total 1"))
        }),
        ("GET /api/authsim/openapi.yaml", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/authsim/openapi.yaml")
            #expect(res.status == 200)
            #expect(res.text.hasPrefix("openapi:"))
        }),
        ("GET /.well-known/jwks.json", { (r: Run) async throws in
            let res = try await r.c.send(.get, ".well-known/jwks.json")
            #expect(res.status == 200)
            #expect(res.json["keys"]?.arrayValue?.first?["kid"]?.stringValue == r.app.pipeline.issuer.keys.current.kid)
        }),
        ("GET /.well-known/openid-configuration", { (r: Run) async throws in
            let res = try await r.c.send(.get, ".well-known/openid-configuration")
            #expect(res.status == 200)
            #expect(res.json["issuer"]?.stringValue == AuthsimTestApp.issuer)
            #expect(res.json["token_endpoint"]?.stringValue == AuthsimTestApp.issuer + "oauth/token")
        }),
        ("GET /authorize", { (r: Run) async throws in
            let res = try await r.browser.get(r.authorizeQuery())
            #expect(res.status == 200)
            #expect(res.cookies["authsim_did"] != nil)
            r.values["tx"] = Run.tx(res.text)
            #expect(r.values["tx"] != nil)
            let unknown = try await r.c.send(.get, "authorize?response_type=code&client_id=nope&redirect_uri=x")
            #expect(unknown.status == 400)
        }),
        ("POST /authorize/login", { (r: Run) async throws in
            // Without the browser cookie the page set, the form is refused.
            let forged = try await r.c.form("authorize/login", ["tx": try r.value("tx"), "username": "ann@example.com", "password": "Passw0rd!"])
            #expect(forged.status == 403)
            let res = try await r.browser.submit("authorize/login", ["tx": try r.value("tx"), "username": "ann@example.com", "password": "Passw0rd!"])
            #expect(res.status == 302)
            let location = try #require(res.header("Location"))
            #expect(location.hasPrefix(InProcess.callback + "?code="))
            #expect(location.contains("state=s1"))
            r.values["code"] = URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value
            r.values["session"] = res.cookies["authsim_session"]
        }),
        ("POST /oauth/token", { (r: Run) async throws in
            let res = try await r.c.form(
                "oauth/token",
                ["grant_type": "authorization_code", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "code": try r.value("code"),
                 "redirect_uri": InProcess.callback])
            #expect(res.status == 200)
            #expect(res.json["token_type"] == "Bearer")
            r.values["access"] = try #require(res.json["access_token"]?.stringValue)
            r.values["id"] = try #require(res.json["id_token"]?.stringValue)
            r.values["refresh"] = try #require(res.json["refresh_token"]?.stringValue)
            let again = try await r.c.form(
                "oauth/token",
                ["grant_type": "authorization_code", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "code": try r.value("code"),
                 "redirect_uri": InProcess.callback])
            #expect(again.status == 403 || again.status == 400)
            #expect(again.json["error"] == "invalid_grant")
        }),
        ("GET /userinfo", { (r: Run) async throws in
            let res = try await r.c.send(.get, "userinfo", token: try r.value("access"))
            #expect(res.status == 200)
            #expect(res.json["sub"]?.stringValue == InProcess.ann)
            #expect(try await r.c.send(.get, "userinfo").status == 401)
        }),
        ("POST /userinfo", { (r: Run) async throws in
            let res = try await r.c.send(.post, "userinfo", token: try r.value("access"))
            #expect(res.status == 200)
            #expect(res.json["email"] == "ann@example.com")
        }),
        ("POST /oauth/revoke", { (r: Run) async throws in
            let res = try await r.c.form("oauth/revoke", ["client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "token": try r.value("refresh")])
            #expect(res.status == 200)
            let refresh = try await r.c.form(
                "oauth/token", ["grant_type": "refresh_token", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "refresh_token": try r.value("refresh")])
            #expect(refresh.json["error"] == "invalid_grant")
        }),
        ("GET /authorize/idp", { (r: Run) async throws in
            let start = try await r.other.get(r.authorizeQuery("&connection=github"))
            #expect(start.status == 200)
            let tx = try #require(Run.tx(start.text))
            r.values["idp-tx"] = tx
            #expect(try await r.c.send(.get, "authorize/idp?tx=\(tx)&connection=github").status == 403)
            let res = try await r.other.get("authorize/idp?tx=\(tx)&connection=github")
            #expect(res.status == 200)
            #expect(res.text.contains("github"))
        }),
        ("POST /authorize/idp", { (r: Run) async throws in
            let res = try await r.other.submit("authorize/idp", ["tx": try r.value("idp-tx"), "user": "0"])
            #expect(res.status == 302)
            #expect(res.header("Location")?.hasPrefix(InProcess.callback + "?code=") == true)
        }),
        ("GET /authorize/signup", { (r: Run) async throws in
            let start = try await r.other.get(r.authorizeQuery("&prompt=login"))
            let tx = try #require(Run.tx(start.text))
            #expect(try await r.c.send(.get, "authorize/signup?tx=\(tx)").status == 403)
            let res = try await r.other.get("authorize/signup?tx=\(tx)")
            #expect(res.status == 200)
            #expect(res.text.contains("name=\"email\""))
            r.values["signup-tx"] = tx
        }),
        ("POST /authorize/signup", { (r: Run) async throws in
            let res = try await r.other.submit("authorize/signup", ["tx": try r.value("signup-tx"), "email": "page-signup@example.com", "password": "Sign-up-1234"])
            // The sample tenant's rule refuses unverified users: the sign-up lands, the login is denied.
            #expect(res.status == 302)
            #expect(res.header("Location")?.hasPrefix(InProcess.callback + "?") == true)
            #expect(res.header("Location")?.contains("error=unauthorized") == true, "\(res.header("Location") ?? "")")
            #expect(try await r.app.pipeline.store.user(login: "page-signup@example.com", connection: "Username-Password-Authentication") != nil)
        }),
        ("POST /dbconnections/signup", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "dbconnections/signup",
                body: #"{"client_id":"\#(InProcess.appClient)","email":"api-signup@example.com","password":"Sign-up-1234","connection":"Username-Password-Authentication","user_metadata":{"plan":"free"}}"#)
            #expect(res.status == 200)
            #expect(res.json["email"] == "api-signup@example.com")
            let dup = try await r.c.send(
                .post, "dbconnections/signup",
                body: #"{"client_id":"\#(InProcess.appClient)","email":"api-signup@example.com","password":"Sign-up-1234","connection":"Username-Password-Authentication"}"#)
            #expect(dup.status == 400)
        }),
        ("POST /dbconnections/change_password", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "dbconnections/change_password",
                body: #"{"client_id":"\#(InProcess.appClient)","email":"bob@example.com","connection":"Username-Password-Authentication"}"#)
            #expect(res.status == 200)
            let logs = try await r.c.send(.get, "api/v2/logs?per_page=100", token: r.token)
            #expect(logs.json.arrayValue?.contains { $0["type"] == "scpr" && $0["user_name"] == "bob@example.com" } == true)
        }),
        ("POST /api/v2/tickets/password-change", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/v2/tickets/password-change", body: #"{"user_id":"auth0|5f7c8ec7c33c6c004bbafe83"}"#, token: r.token)
            #expect(res.status == 201)
            let link = try #require(res.json["ticket"]?.stringValue)
            #expect(link.hasPrefix(AuthsimTestApp.issuer + "lo/reset?ticket="))
            r.values["reset"] = String(link.split(separator: "=").last ?? "")
        }),
        ("GET /lo/reset", { (r: Run) async throws in
            let res = try await r.c.send(.get, "lo/reset?ticket=\(try r.value("reset"))")
            #expect(res.status == 200)
            #expect(res.text.contains("bob@example.com"))
            #expect(try await r.c.send(.get, "lo/reset?ticket=nope").status == 400)
        }),
        ("POST /lo/reset", { (r: Run) async throws in
            let res = try await r.c.form("lo/reset", ["ticket": try r.value("reset"), "password": "New-passw0rd-bob"])
            #expect(res.status == 200)
            #expect(res.text.contains("password has been changed"))
            let login = try await r.c.form(
                "oauth/token",
                ["grant_type": "password", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "username": "bob@example.com",
                 "password": "New-passw0rd-bob", "scope": "openid"],
                headers: ["X-Forwarded-For": "203.0.113.9"])
            #expect(login.status == 200)
        }),
        ("POST /api/v2/tickets/email-verification", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/v2/tickets/email-verification", body: #"{"user_id":"auth0|5f7c8ec7c33c6c004bbafe84"}"#, token: r.token)
            #expect(res.status == 201)
            let link = try #require(res.json["ticket"]?.stringValue)
            r.values["verify"] = String(link.split(separator: "=").last ?? "")
        }),
        ("GET /lo/verify_email", { (r: Run) async throws in
            let res = try await r.c.send(.get, "lo/verify_email?ticket=\(try r.value("verify"))")
            #expect(res.status == 200)
            #expect(try await r.app.pipeline.store.user(id: "auth0|5f7c8ec7c33c6c004bbafe84")?.emailVerified == true)
            #expect(try await r.c.send(.get, "lo/verify_email?ticket=\(r.values["verify", default: ""])").status == 400)
        }),
        ("GET /continue", { (r: Run) async throws in
            let res = try await r.c.send(.get, "continue?state=unknown")
            #expect(res.status == 400)
            #expect(res.text.contains("can no longer be continued"))
        }),
        ("GET /api/v2/users/{id}/sessions", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)/sessions", token: r.token)
            #expect(res.status == 200)
            let id = LoginSession.id(cookie: try r.value("session"))
            let mine = try #require(res.json["sessions"]?.arrayValue?.first { $0["id"]?.stringValue == id })
            #expect(mine["clients"] == [["client_id": .string(InProcess.appClient)]])
            #expect(mine["authentication"]?["methods"]?.arrayValue?.first?["name"] == "pwd")
            r.values["sid"] = id
            #expect(try await r.c.send(.get, "api/v2/users/auth0%7Cnobody/sessions", token: r.token).status == 404)
        }),
        ("GET /api/v2/sessions/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/sessions/\(try r.value("sid"))", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["user_id"]?.stringValue == InProcess.ann)
            #expect(res.json["expires_at"]?.stringValue != nil && res.json["idle_expires_at"]?.stringValue != nil)
            #expect(try await r.c.send(.get, "api/v2/sessions/nope", token: r.token).status == 404)
        }),
        ("GET /api/v2/users/{id}/refresh-tokens", { (r: Run) async throws in
            let login = try await r.browserLogin()
            let token = try #require(login.tokens["refresh_token"]?.stringValue)
            let res = try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)/refresh-tokens", token: r.token)
            #expect(res.status == 200)
            let listed = try #require(res.json["tokens"]?.arrayValue?.first { $0["id"]?.stringValue == StoredRefreshToken.id(token: token) })
            #expect(listed["session_id"]?.stringValue == LoginSession.id(cookie: login.cookie))
            #expect(listed["rotating"] == false)
            r.values["rt"] = token
        }),
        ("GET /api/v2/refresh-tokens/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/refresh-tokens/\(StoredRefreshToken.id(token: try r.value("rt")))", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["client_id"]?.stringValue == InProcess.appClient)
            #expect(res.json["resource_servers"]?.arrayValue?.first?["scopes"]?.stringValue?.contains("offline_access") == true)
            #expect(try await r.c.send(.get, "api/v2/refresh-tokens/nope", token: r.token).status == 404)
        }),
        ("DELETE /api/v2/refresh-tokens/{id}", { (r: Run) async throws in
            #expect(try await r.refresh(try r.value("rt")).status == 200)
            let res = try await r.c.send(.delete, "api/v2/refresh-tokens/\(StoredRefreshToken.id(token: try r.value("rt")))", token: r.token)
            #expect(res.status == 200)
            #expect(try await r.refresh(try r.value("rt")).json["error"] == "invalid_grant")
            #expect(try await r.c.send(.delete, "api/v2/refresh-tokens/nope", token: r.token).status == 404)
        }),
        ("DELETE /api/v2/users/{id}/refresh-tokens", { (r: Run) async throws in
            let token = try #require(try await r.browserLogin().tokens["refresh_token"]?.stringValue)
            let res = try await r.c.send(.delete, "api/v2/users/\(InProcess.annPath)/refresh-tokens", token: r.token)
            #expect(res.status == 202)
            #expect(try await r.refresh(token).json["error"] == "invalid_grant")
            let after = try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)/refresh-tokens", token: r.token)
            #expect(after.json["tokens"] == [])
        }),
        ("DELETE /api/v2/sessions/{id}", { (r: Run) async throws in
            // Deleting a session leaves its refresh tokens.
            let login = try await r.browserLogin()
            let token = try #require(login.tokens["refresh_token"]?.stringValue)
            #expect(try await r.sessionLives(login.cookie))
            let res = try await r.c.send(.delete, "api/v2/sessions/\(LoginSession.id(cookie: login.cookie))", token: r.token)
            #expect(res.status == 200)
            #expect(try await r.sessionLives(login.cookie) == false)
            #expect(try await r.refresh(token).status == 200)
            #expect(try await r.c.send(.delete, "api/v2/sessions/\(LoginSession.id(cookie: login.cookie))", token: r.token).status == 404)
        }),
        ("POST /api/v2/sessions/{id}/revoke", { (r: Run) async throws in
            // Revoking it revokes them too.
            let login = try await r.browserLogin()
            let token = try #require(login.tokens["refresh_token"]?.stringValue)
            let res = try await r.c.send(.post, "api/v2/sessions/\(LoginSession.id(cookie: login.cookie))/revoke", token: r.token)
            #expect(res.status == 202)
            #expect(try await r.sessionLives(login.cookie) == false)
            #expect(try await r.refresh(token).json["error"] == "invalid_grant")
        }),
        ("DELETE /api/v2/users/{id}/sessions", { (r: Run) async throws in
            let login = try await r.browserLogin()
            let token = try #require(login.tokens["refresh_token"]?.stringValue)
            let res = try await r.c.send(.delete, "api/v2/users/\(InProcess.annPath)/sessions", token: r.token)
            #expect(res.status == 202)
            #expect(try await r.sessionLives(login.cookie) == false)
            #expect(try await r.refresh(token).json["error"] == "invalid_grant")
            #expect(try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)/sessions", token: r.token).json["sessions"] == [])
            // The run's own session went too: the checks after this one use a new one.
            r.values["session"] = try await r.browserLogin().cookie
        }),
        ("GET /oidc/logout", { (r: Run) async throws in
            let login = try await r.browserLogin()
            let idToken = try #require(login.tokens["id_token"]?.stringValue)
            let cookie = ["Cookie": "authsim_session=" + login.cookie]
            // Refused, and nobody logged out: a return address the app did not register, a forged hint.
            let unregistered = try await r.c.send(
                .get, "oidc/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F", headers: cookie)
            #expect(unregistered.status == 400)
            var forged = Array(idToken)
            forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
            #expect(try await r.c.send(.get, "oidc/logout?id_token_hint=\(String(forged))", headers: cookie).status == 400)
            #expect(try await r.sessionLives(login.cookie))
            let res = try await r.c.send(
                .get, "oidc/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&state=bye", headers: cookie)
            #expect(res.status == 302)
            #expect(res.header("Location") == "http://localhost:3000/?state=bye")
            #expect(try await r.sessionLives(login.cookie) == false)
            // Logging out leaves refresh tokens alone, as in Auth0.
            #expect(try await r.refresh(try #require(login.tokens["refresh_token"]?.stringValue)).status == 200)
        }),
        ("POST /oidc/logout", { (r: Run) async throws in
            let login = try await r.browserLogin()
            let res = try await r.c.send(
                .post, "oidc/logout", body: "client_id=\(InProcess.appClient)&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F",
                contentType: "application/x-www-form-urlencoded", headers: ["Cookie": "authsim_session=" + login.cookie])
            #expect(res.status == 302)
            #expect(res.header("Location") == "http://localhost:3000/")
            #expect(try await r.sessionLives(login.cookie) == false)
        }),
        // The device flow (DeviceFlowTests drives it through a login).
        ("POST /oauth/device/code", { (r: Run) async throws in
            let res = try await r.c.form("oauth/device/code", ["client_id": InProcess.appClient, "client_secret": InProcess.appSecret])
            #expect(res.status == 403)
            #expect(res.json["error"] == "unauthorized_client", "the sample app does not have the device grant")
        }),
        ("GET /activate", { (r: Run) async throws in
            let res = try await r.browser.get("activate?user_code=BCDF-GHJK")
            #expect(res.status == 200)
            #expect(res.text.contains("Connect your device"))
            #expect(res.text.contains("BCDF-GHJK"))
        }),
        ("POST /activate", { (r: Run) async throws in
            #expect(try await r.c.form("activate", ["user_code": "BCDF-GHJK"]).status == 403)
            let page = try await r.browser.get("activate")
            let res = try await r.browser.submit("activate", ["user_code": "BCDF-GHJK", "_csrf": try #require(AuthsimTestBrowser.hidden("_csrf", in: page.text))])
            #expect(res.status == 400)
            #expect(res.text.contains("unknown, used or expired"))
        }),
        // The MFA routes with nothing to finish (MFATests drives them through real logins).
        ("GET /mfa", { (r: Run) async throws in
            let res = try await r.browser.get("mfa?state=unknown")
            #expect(res.status == 400)
            #expect(res.text.contains("second-factor step is unknown"))
        }),
        ("POST /mfa", { (r: Run) async throws in
            let res = try await r.browser.submit("mfa", ["state": "unknown", "code": "123456"])
            #expect(res.status == 400)
            #expect(res.text.contains("second-factor step is unknown"))
        }),
        ("GET /mfa/authenticators", { (r: Run) async throws in
            #expect(try await r.c.send(.get, "mfa/authenticators").json["error_description"] == "Missing required parameter: mfa_token")
            #expect(try await r.c.send(.get, "mfa/authenticators", headers: ["Authorization": "Bearer forged"]).json["error_description"] == "Malformed mfa_token")
        }),
        ("POST /mfa/associate", { (r: Run) async throws in
            let res = try await r.c.send(.post, "mfa/associate", body: #"{"authenticator_types": ["otp"]}"#, contentType: "application/json", headers: ["Authorization": "Bearer forged"])
            #expect(res.status == 403)
            #expect(res.json["error_description"] == "Malformed mfa_token")
        }),
        ("POST /mfa/challenge", { (r: Run) async throws in
            let res = try await r.c.form("mfa/challenge", ["client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "mfa_token": "forged"])
            #expect(res.status == 403)
            #expect(try await r.c.form("mfa/challenge", ["mfa_token": "forged"]).status == 401)
        }),
        ("GET /api/v2/users/{id}/authentication-methods", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)/authentication-methods", token: r.token)
            #expect(res.status == 200)
            #expect(res.json == [])
            #expect(try await r.c.send(.get, "api/v2/users/auth0%7Cnobody/authentication-methods", token: r.token).status == 404)
        }),
        ("DELETE /api/v2/users/{id}/authentication-methods", { (r: Run) async throws in
            #expect(try await r.c.send(.delete, "api/v2/users/\(InProcess.annPath)/authentication-methods", token: r.token).status == 204)
        }),
        ("DELETE /api/v2/users/{id}/authentication-methods/{method}", { (r: Run) async throws in
            let res = try await r.c.send(.delete, "api/v2/users/\(InProcess.annPath)/authentication-methods/totp%7Cdev_nope", token: r.token)
            #expect(res.status == 404)
            #expect(res.json["errorCode"] == "inexistent_authentication_method")
        }),
        ("GET /api/v2/users/{id}/enrollments", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)/enrollments", token: r.token)
            #expect(res.status == 200)
            #expect(res.json == [])
        }),
        ("DELETE /api/v2/users/{id}/multifactor/{provider}", { (r: Run) async throws in
            #expect(try await r.c.send(.delete, "api/v2/users/\(InProcess.annPath)/multifactor/google-authenticator", token: r.token).status == 204)
            #expect(try await r.c.send(.delete, "api/v2/users/\(InProcess.annPath)/multifactor/sms", token: r.token).status == 400)
        }),
        ("GET /v2/logout", { (r: Run) async throws in
            let session = try r.value("session")
            let before = try await r.c.send(.get, r.authorizeQuery("&prompt=none"), headers: ["Cookie": "authsim_session=" + session])
            #expect(before.header("Location")?.hasPrefix(InProcess.callback + "?code=") == true, "\(before.header("Location") ?? "")")
            let res = try await r.c.send(
                .get, "v2/logout?client_id=\(InProcess.appClient)&returnTo=http%3A%2F%2Flocalhost%3A3000%2F",
                headers: ["Cookie": "authsim_session=" + (r.values["session"] ?? "")])
            #expect(res.status == 302)
            #expect(res.header("Location") == "http://localhost:3000/")
            // The SSO session is gone: a silent login with the old cookie needs a login now.
            let silent = try await r.c.send(.get, r.authorizeQuery("&prompt=none"), headers: ["Cookie": "authsim_session=" + (r.values["session"] ?? "")])
            #expect(silent.status == 302)
            #expect(silent.header("Location")?.contains("error=login_required") == true, "\(silent.header("Location") ?? "")")
        }),
        ("GET /console", { (r: Run) async throws in
            let res = try await r.c.send(.get, "console")
            #expect(res.status == 200)
            #expect(res.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(res.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        }),
        ("GET /console/{file}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "console/console.js")
            #expect(res.status == 200)
            #expect(res.header("Content-Type")?.hasPrefix("text/javascript") == true)
            #expect(try await r.c.send(.get, "console/nope.js").status == 404)
        }),
        ("POST /console/session", { (r: Run) async throws in
            let code = r.app.server.consoleSignIn.issue()
            let res = try await r.c.send(.post, "console/session", body: #"{"code":"\#(code)"}"#)
            #expect(res.status == 200)
            r.values["console"] = try #require(res.json["access_token"]?.stringValue)
            #expect(try await r.c.send(.post, "console/session", body: #"{"code":"\#(code)"}"#).status == 401)
        }),
        ("POST /console/session/renew", { (r: Run) async throws in
            let res = try await r.c.send(.post, "console/session/renew", token: try r.value("console"))
            #expect(res.status == 200)
            #expect(res.json["access_token"]?.stringValue != nil)
            #expect(try await r.c.send(.post, "console/session/renew", token: r.token).status == 403)
        }),
        ("POST /passwordless/start", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "passwordless/start", body: #"{"client_id":"\#(InProcess.appClient)","client_secret":"\#(InProcess.appSecret)","connection":"email","email":"otp@example.com","send":"code"}"#)
            #expect(res.status == 200)
            #expect(res.json["email"] == "otp@example.com")
        }),
        ("GET /api/authsim/passwordless/code", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/authsim/passwordless/code?email=otp%40example.com", token: r.token)
            #expect(res.status == 200)
            let code = try #require(res.json["code"]?.stringValue)
            #expect(code.count == 6)
            let login = try await r.c.form(
                "oauth/token",
                ["grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret,
                 "realm": "email", "username": "otp@example.com", "otp": code, "scope": "openid"])
            #expect(login.status == 200)
        }),
        ("POST /api/authsim/simulate", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/authsim/simulate", body: #"{"user":"ann@example.com"}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["outcome"] == "allowed")
            r.values["trace"] = try #require(res.json["traceId"]?.stringValue)
            r.values["simulated-id"] = res.json["idToken"]?["jwt"]?.stringValue
            // The answer is the stored trace, written once, and the same document as the result's JSON.
            #expect(try await r.app.pipeline.store.trace(id: try r.value("trace")) == res.text)
            #expect(res.text == res.json.serialized())
            #expect(try await r.c.send(.post, "api/authsim/simulate", body: #"{"user":"ann@example.com"}"#).status == 401)
        }),
        ("GET /api/authsim/traces/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/authsim/traces/\(try r.value("trace"))", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["trace"]?.arrayValue?.contains { $0["name"] == "add-roles-to-tokens" } == true, "\(res.text.prefix(300))")
            #expect(try await r.c.send(.get, "api/authsim/traces/nope", token: r.token).status == 404)
        }),
        ("POST /api/authsim/tokens/inspect", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/authsim/tokens/inspect", body: #"{"token":"\#(try r.value("id"))"}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["claims"]?["sub"]?.stringValue == InProcess.ann)
            #expect(res.json["signatureValid"] == true)
            #expect(res.json["trace"].map { !$0.isNull } == true)
            #expect(res.json["setBy"]?.objectValue?.isEmpty == false)
        }),
        ("POST /api/authsim/connections/{connection}/scripts/{script}", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "api/authsim/connections/legacy-users/scripts/get_user", body: #"{"args":["nobody-here@example.com"]}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["error"] == .null)
            #expect(res.json["trace"] != nil)
        }),
        ("POST /api/authsim/compare", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "api/authsim/compare",
                body: #"{"request":{"user":"ann@example.com"},"rules":["add-roles-to-tokens"],"actions":["add-roles-to-tokens"]}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["differences"]?.arrayValue != nil)
        }),
        ("GET /api/v2/users", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users?include_totals=true&sort=email:1&per_page=2", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["length"] == 2)
            #expect(res.json["users"]?.arrayValue?.first?["email"] == "ann@example.com")
            #expect(try await r.c.send(.get, "api/v2/users").status == 401)
        }),
        ("GET /api/v2/users-by-email", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users-by-email?email=ANN%40example.com", token: r.token)
            #expect(res.status == 200)
            #expect(res.json.arrayValue?.count == 1)
        }),
        ("POST /api/v2/users", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "api/v2/users", body: #"{"connection":"Username-Password-Authentication","email":"made@example.com","password":"Made-1234-pw","app_metadata":{"k":1}}"#,
                token: r.token)
            #expect(res.status == 201)
            #expect(res.json["app_metadata"] == ["k": 1])
            r.values["made"] = try #require(res.json["user_id"]?.stringValue?.replacingOccurrences(of: "|", with: "%7C"))
        }),
        ("GET /api/v2/users/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)?fields=email,user_id", token: r.token)
            #expect(res.json == ["email": "ann@example.com", "user_id": .string(InProcess.ann)])
            #expect(try await r.c.send(.get, "api/v2/users/auth0%7Cnope", token: r.token).status == 404)
        }),
        ("PATCH /api/v2/users/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.patch, "api/v2/users/\(try r.value("made"))", body: #"{"user_metadata":{"lang":"fr"},"name":"Made"}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["user_metadata"] == ["lang": "fr"])
            #expect(res.json["name"] == "Made")
            #expect(try await r.c.send(.patch, "api/v2/users/\(r.values["made", default: ""])", body: #"{"blocked":"yes"}"#, token: r.token).status == 400)
        }),
        ("POST /api/v2/users/{id}/identities", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "api/v2/users/\(try r.value("made"))/identities", body: #"{"provider":"auth0","user_id":"\#(InProcess.bobPath.replacingOccurrences(of: "auth0%7C", with: ""))"}"#,
                token: r.token)
            #expect(res.status == 201)
            #expect(res.json.arrayValue?.count == 2)
        }),
        ("DELETE /api/v2/users/{id}/identities/{provider}/{identity}", { (r: Run) async throws in
            let res = try await r.c.send(.delete, "api/v2/users/\(try r.value("made"))/identities/auth0/5f7c8ec7c33c6c004bbafe83", token: r.token)
            #expect(res.status == 200)
            #expect(res.json.arrayValue?.count == 1)
        }),
        ("GET /api/v2/roles", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/roles", token: r.token)
            #expect(res.status == 200)
            r.values["role"] = try #require(res.json.arrayValue?.first?["id"]?.stringValue)
            // auth0-python's pager asks with include_totals.
            let paged = try await r.c.send(.get, "api/v2/roles?include_totals=true&per_page=10", token: r.token)
            #expect(paged.json["roles"]?.arrayValue?.count == 1)
            #expect(paged.json["total"] == 1)
        }),
        ("POST /api/v2/users/{id}/roles", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/v2/users/\(try r.value("made"))/roles", body: #"{"roles":["\#(try r.value("role"))"]}"#, token: r.token)
            #expect(res.status == 204)
        }),
        ("GET /api/v2/users/{id}/roles", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users/\(try r.value("made"))/roles", token: r.token)
            #expect(res.json.arrayValue?.map { $0["id"]?.stringValue } == [r.values["role", default: ""]])
        }),
        ("GET /api/v2/users/{id}/permissions", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users/\(try r.value("made"))/permissions", token: r.token)
            #expect(res.status == 200)
            #expect(res.json.arrayValue?.map { $0["permission_name"]?.stringValue ?? "" } == ["read:orders", "write:orders"])
            #expect(res.json.arrayValue?.first?["sources"]?.arrayValue?.first?["source_name"] == "admin")
            #expect(try await r.c.send(.get, "api/v2/users/auth0%7Cnobody/permissions", token: r.token).status == 404)
        }),
        ("GET /api/v2/roles/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/roles/\(try r.value("role"))", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["name"] == "admin")
            #expect(try await r.c.send(.get, "api/v2/roles/rol_nope", token: r.token).status == 404)
        }),
        ("DELETE /api/v2/users/{id}/roles", { (r: Run) async throws in
            let res = try await r.c.send(.delete, "api/v2/users/\(try r.value("made"))/roles", body: #"{"roles":["\#(try r.value("role"))"]}"#, token: r.token)
            #expect(res.status == 204)
            #expect(try await r.c.send(.get, "api/v2/users/\(r.values["made", default: ""])/roles", token: r.token).json == [])
        }),
        ("GET /api/v2/logs", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/logs?per_page=100", token: r.token)
            #expect(res.status == 200)
            #expect(res.json.arrayValue?.contains { $0["type"] == "s" } == true)
            // A client's X-Forwarded-For is not believed (the password login above sent one).
            #expect(res.json.arrayValue?.contains { $0["type"] == "s" && $0["user_name"] == "bob@example.com" } == true)
            #expect(res.json.arrayValue?.contains { $0["ip"] == "203.0.113.9" } == false)
        }),
        ("GET /api/v2/user-blocks", { (r: Run) async throws in
            // Ten wrong passwords for one identifier block it from this IP.
            for _ in 0..<10 {
                let failed = try await r.c.form("oauth/token", [
                    "grant_type": "password", "username": "intruder@example.com", "password": "guess", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret,
                ])
                #expect(failed.status == 403)
            }
            let res = try await r.c.send(.get, "api/v2/user-blocks?identifier=intruder%40example.com", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["blocked_for"]?.arrayValue?.first?["identifier"] == "intruder@example.com")
            #expect(res.json["blocked_for"]?.arrayValue?.first?["connection"] == "Username-Password-Authentication")
            #expect(try await r.c.send(.get, "api/v2/user-blocks", token: r.token).status == 400)
        }),
        ("DELETE /api/v2/user-blocks", { (r: Run) async throws in
            let res = try await r.c.send(.delete, "api/v2/user-blocks?identifier=intruder%40example.com", token: r.token)
            #expect(res.status == 204)
            let after = try await r.c.send(.get, "api/v2/user-blocks?identifier=intruder%40example.com", token: r.token)
            #expect(after.json["blocked_for"] == [])
        }),
        ("GET /api/v2/user-blocks/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/user-blocks/" + InProcess.annPath, token: r.token)
            #expect(res.status == 200)
            #expect(res.json == ["blocked_for": []])
            #expect(try await r.c.send(.get, "api/v2/user-blocks/auth0%7Cnobody", token: r.token).status == 404)
        }),
        ("DELETE /api/v2/user-blocks/{id}", { (r: Run) async throws in
            #expect(try await r.c.send(.delete, "api/v2/user-blocks/" + InProcess.annPath, token: r.token).status == 204)
            #expect(try await r.c.send(.delete, "api/v2/user-blocks/auth0%7Cnobody", token: r.token).status == 404)
        }),
        ("GET /api/v2/anomaly/blocks/ips/{id}", { (r: Run) async throws in
            // Ten failed logins are far from the hundred that throttle an IP.
            let res = try await r.c.send(.get, "api/v2/anomaly/blocks/ips/127.0.0.1", token: r.token)
            #expect(res.status == 404)
            #expect(res.json["errorCode"] == "not_blocked")
            #expect(try await r.c.send(.get, "api/v2/anomaly/blocks/ips/not-an-ip", token: r.token).status == 400)
        }),
        ("DELETE /api/v2/anomaly/blocks/ips/{id}", { (r: Run) async throws in
            #expect(try await r.c.send(.delete, "api/v2/anomaly/blocks/ips/127.0.0.1", token: r.token).status == 204)
            #expect(try await r.c.send(.delete, "api/v2/anomaly/blocks/ips/%3A%3A1", token: r.token).status == 204)
        }),
        ("GET /api/v2/attack-protection/brute-force-protection", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/attack-protection/brute-force-protection", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["max_attempts"] == 10)
            #expect(res.json["mode"] == "count_per_identifier_and_ip")
        }),
        ("PATCH /api/v2/attack-protection/brute-force-protection", { (r: Run) async throws in
            let res = try await r.c.send(.patch, "api/v2/attack-protection/brute-force-protection", body: #"{"max_attempts": 12}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["max_attempts"] == 12)
            #expect(res.json["enabled"] == true)
            #expect(r.app.pipeline.tenant.settings.attackProtection.bruteForce.maxAttempts == 12)
            #expect(try await r.c.send(.patch, "api/v2/attack-protection/brute-force-protection", body: #"{"max_attempts": 0}"#, token: r.token).status == 400)
        }),
        ("GET /api/v2/attack-protection/suspicious-ip-throttling", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/attack-protection/suspicious-ip-throttling", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["stage"]?["pre-login"]?["max_attempts"] == 100)
            #expect(res.json["stage"]?["pre-user-registration"]?["rate"] == 1200)
        }),
        ("PATCH /api/v2/attack-protection/suspicious-ip-throttling", { (r: Run) async throws in
            let res = try await r.c.send(
                .patch, "api/v2/attack-protection/suspicious-ip-throttling", body: #"{"stage": {"pre-login": {"max_attempts": 150}}}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["stage"]?["pre-login"]?["max_attempts"] == 150)
            #expect(res.json["stage"]?["pre-login"]?["rate"] == 864000, "the other field of the stage is kept")
            #expect(r.app.pipeline.tenant.settings.attackProtection.suspiciousIPThrottling.preLogin.maxAttempts == 150)
        }),
        ("GET /api/v2/users/{id}/logs", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)/logs", token: r.token)
            #expect(res.status == 200)
            #expect(res.json.arrayValue?.allSatisfy { $0["user_id"]?.stringValue == InProcess.ann } == true)
            #expect(res.json.arrayValue?.isEmpty == false)
        }),
        ("DELETE /api/v2/users/{id}", { (r: Run) async throws in
            #expect(try await r.c.send(.delete, "api/v2/users/\(r.values["made", default: ""])", token: r.token).status == 204)
            #expect(try await r.c.send(.get, "api/v2/users/\(r.values["made", default: ""])", token: r.token).status == 404)
        }),
        ("GET /api/v2/rules", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/rules", token: r.token)
            #expect(res.status == 200)
            #expect(res.json.arrayValue?.contains { $0["name"] == "add-roles-to-tokens" } == true)
        }),
        ("POST /api/v2/rules", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "api/v2/rules", body: #"{"name":"in-process","script":"function (user, context, callback) { context.idToken['https://x/y'] = 1; callback(null, user, context); }","enabled":true}"#,
                token: r.token)
            #expect(res.status == 201)
            r.values["rule"] = try #require(res.json["id"]?.stringValue)
            let broken = try await r.c.send(.post, "api/v2/rules", body: #"{"name":"broken","script":"function (user, context, callback) {"}"#, token: r.token)
            #expect(broken.status == 400)
        }),
        ("GET /api/v2/rules/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/rules/\(try r.value("rule"))", token: r.token)
            #expect(res.json["name"] == "in-process")
        }),
        ("PATCH /api/v2/rules/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.patch, "api/v2/rules/\(try r.value("rule"))", body: #"{"enabled":false}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["enabled"] == false)
        }),
        ("DELETE /api/v2/rules/{id}", { (r: Run) async throws in
            #expect(try await r.c.send(.delete, "api/v2/rules/\(r.values["rule", default: ""])", token: r.token).status == 204)
            #expect(try await r.c.send(.get, "api/v2/rules/\(r.values["rule", default: ""])", token: r.token).status == 404)
        }),
        ("GET /api/v2/actions/actions", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/actions/actions", token: r.token)
            #expect(res.json["actions"]?.arrayValue?.isEmpty == false)
        }),
        ("POST /api/v2/actions/actions", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "api/v2/actions/actions",
                body: #"{"name":"in-process","code":"exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/a', 1); };","supported_triggers":[{"id":"post-login","version":"v3"}]}"#,
                token: r.token)
            #expect(res.status == 201)
            r.values["action"] = try #require(res.json["id"]?.stringValue)
        }),
        ("GET /api/v2/actions/actions/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/actions/actions/\(try r.value("action"))", token: r.token)
            #expect(res.json["name"] == "in-process")
        }),
        ("PATCH /api/v2/actions/actions/{id}", { (r: Run) async throws in
            let res = try await r.c.send(
                .patch, "api/v2/actions/actions/\(try r.value("action"))",
                body: #"{"code":"exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/a', 2); };"}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["code"]?.stringValue?.contains("'https://x/a', 2") == true)
        }),
        ("POST /api/v2/actions/actions/{id}/deploy", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/v2/actions/actions/\(try r.value("action"))/deploy", token: r.token)
            #expect(res.status == 201)
        }),
        ("GET /api/v2/actions/triggers", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/actions/triggers", token: r.token)
            #expect(res.status == 200)
            let ids = res.json["triggers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.contains("post-login") && ids.contains("custom-token-exchange") && ids.contains("password-reset-post-challenge"), "\(ids)")
        }),
        ("GET /api/v2/actions/triggers/{id}/bindings", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/actions/triggers/post-login/bindings", token: r.token)
            #expect(res.status == 200)
            #expect(res.json["bindings"]?.arrayValue != nil)
        }),
        ("PATCH /api/v2/actions/triggers/{id}/bindings", { (r: Run) async throws in
            let res = try await r.c.send(
                .patch, "api/v2/actions/triggers/post-login/bindings", body: #"{"bindings":[{"ref":{"type":"action_name","value":"in-process"}}]}"#, token: r.token)
            #expect(res.status == 200)
            #expect(res.json["bindings"]?.arrayValue?.count == 1)
            let sim = try await r.c.send(.post, "api/authsim/simulate", body: #"{"user":"ann@example.com","rules":[]}"#, token: r.token)
            #expect(sim.json["idToken"]?["claims"]?["https://x/a"] == 2)
            let cleared = try await r.c.send(.patch, "api/v2/actions/triggers/post-login/bindings", body: #"{"bindings":[]}"#, token: r.token)
            #expect(cleared.json["bindings"] == [])
        }),
        ("DELETE /api/v2/actions/actions/{id}", { (r: Run) async throws in
            #expect(try await r.c.send(.delete, "api/v2/actions/actions/\(r.values["action", default: ""])", token: r.token).status == 204)
            #expect(try await r.c.send(.get, "api/v2/actions/actions/\(r.values["action", default: ""])", token: r.token).status == 404)
        }),
        ("GET /api/v2/connections", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/connections?strategy=auth0", token: r.token)
            #expect(res.json.arrayValue?.contains { $0["name"] == "Username-Password-Authentication" } == true)
            #expect(res.json.arrayValue?.allSatisfy { $0["strategy"] == "auth0" } == true)
        }),
        ("GET /api/v2/clients", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/clients", token: r.token)
            #expect(res.json.arrayValue?.contains { $0["client_id"]?.stringValue == InProcess.appClient } == true)
        }),
        ("GET /api/v2/clients/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/clients/\(InProcess.appClient)", token: r.token)
            #expect(res.json["name"] == "My App")
            #expect(try await r.c.send(.get, "api/v2/clients/nope", token: r.token).status == 404)
        }),
        ("POST /api/v2/jobs/users-imports", { (r: Run) async throws in
            let boundary = "authsimboundary"
            let body = [
                "--\(boundary)", "Content-Disposition: form-data; name=\"connection_id\"", "", "Username-Password-Authentication",
                "--\(boundary)", "Content-Disposition: form-data; name=\"users\"; filename=\"users.json\"", "Content-Type: application/json", "",
                #"[{"email":"imported@example.com","email_verified":true},{"email":"not-an-email"}]"#, "--\(boundary)--", "",
            ].joined(separator: "\r\n")
            let res = try await r.c.send(.post, "api/v2/jobs/users-imports", body: body, contentType: "multipart/form-data; boundary=\(boundary)", token: r.token)
            #expect(res.status == 201)
            r.values["job"] = try #require(res.json["id"]?.stringValue)
        }),
        ("GET /api/v2/jobs/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/jobs/\(try r.value("job"))", token: r.token)
            #expect(res.json["status"] == "completed")
            #expect(res.json["summary"]?["inserted"] == 1)
        }),
        ("GET /api/v2/jobs/{id}/errors", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/jobs/\(try r.value("job"))/errors", token: r.token)
            #expect(res.json.arrayValue?.count == 1)
        }),
        ("GET /api/authsim/mfa/code", { (r: Run) async throws in
            #expect(try await r.c.send(.get, "api/authsim/mfa/code?user_id=\(InProcess.annPath)", token: r.token).status == 404)
            let factor = try await r.app.pipeline.addAuthenticator(userId: InProcess.ann, type: "oob", channel: "email", address: "ann@example.com")
            _ = try await r.app.pipeline.sendOOBCode(factor, for: "a login")
            let res = try await r.c.send(.get, "api/authsim/mfa/code?user_id=\(InProcess.annPath)", token: r.token)
            #expect(res.json["to"] == "ann@example.com")
            #expect(res.json["code"]?.stringValue?.count == 6)
            #expect(try await r.c.send(.get, "api/authsim/mfa/code", token: r.token).status == 400)
            _ = try await r.app.pipeline.removeAuthenticators(userId: InProcess.ann, id: factor.id)
        }),
        // Organizations, in the order a tenant's admin would go.
        ("POST /api/v2/organizations", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/v2/organizations", body: #"{"name": "initech", "display_name": "Initech"}"#, token: r.token)
            #expect(res.status == 201)
            r.values["org"] = try #require(res.json["id"]?.stringValue)
            #expect(try await r.c.send(.post, "api/v2/organizations", body: #"{"name": "initech"}"#, token: r.token).status == 409)
        }),
        ("GET /api/v2/organizations", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/organizations", token: r.token)
            #expect(res.json.arrayValue?.compactMap { $0["name"]?.stringValue } == ["acme", "initech"])
        }),
        ("GET /api/v2/organizations/name/{name}", { (r: Run) async throws in
            #expect(try await r.c.send(.get, "api/v2/organizations/name/initech", token: r.token).json["id"]?.stringValue == (try r.value("org")))
            #expect(try await r.c.send(.get, "api/v2/organizations/name/nope", token: r.token).status == 404)
        }),
        ("GET /api/v2/organizations/{id}", { (r: Run) async throws in
            #expect(try await r.c.send(.get, "api/v2/organizations/\(try r.value("org"))", token: r.token).json["display_name"] == "Initech")
        }),
        ("PATCH /api/v2/organizations/{id}", { (r: Run) async throws in
            let res = try await r.c.send(.patch, "api/v2/organizations/\(try r.value("org"))", body: #"{"metadata": {"floor": "2"}}"#, token: r.token)
            #expect(res.json["metadata"]?["floor"] == "2")
        }),
        ("POST /api/v2/organizations/{id}/enabled_connections", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "api/v2/organizations/\(try r.value("org"))/enabled_connections", body: #"{"connection_id": "Username-Password-Authentication"}"#, token: r.token)
            #expect(res.status == 201)
            r.values["org-conn"] = try #require(res.json["connection_id"]?.stringValue)
        }),
        ("GET /api/v2/organizations/{id}/enabled_connections", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/organizations/\(try r.value("org"))/enabled_connections", token: r.token)
            #expect(res.json.arrayValue?.count == 1)
        }),
        ("GET /api/v2/organizations/{id}/enabled_connections/{connection}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/organizations/\(try r.value("org"))/enabled_connections/\(try r.value("org-conn"))", token: r.token)
            #expect(res.json["connection"]?["name"] == "Username-Password-Authentication")
        }),
        ("PATCH /api/v2/organizations/{id}/enabled_connections/{connection}", { (r: Run) async throws in
            let res = try await r.c.send(
                .patch, "api/v2/organizations/\(try r.value("org"))/enabled_connections/\(try r.value("org-conn"))", body: #"{"show_as_button": false}"#, token: r.token)
            #expect(res.json["show_as_button"] == false)
        }),
        ("POST /api/v2/organizations/{id}/members", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/v2/organizations/\(try r.value("org"))/members", body: #"{"members": ["\#(InProcess.ann)"]}"#, token: r.token)
            #expect(res.status == 204)
        }),
        ("GET /api/v2/organizations/{id}/members", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/organizations/\(try r.value("org"))/members?include_totals=true", token: r.token)
            #expect(res.json["total"] == 1)
            #expect(res.json["members"]?.arrayValue?.first?["user_id"]?.stringValue == InProcess.ann)
        }),
        ("POST /api/v2/organizations/{id}/members/{user}/roles", { (r: Run) async throws in
            let res = try await r.c.send(.post, "api/v2/organizations/\(try r.value("org"))/members/\(InProcess.annPath)/roles", body: #"{"roles": ["admin"]}"#, token: r.token)
            #expect(res.status == 204)
        }),
        ("GET /api/v2/organizations/{id}/members/{user}/roles", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/organizations/\(try r.value("org"))/members/\(InProcess.annPath)/roles", token: r.token)
            #expect(res.json.arrayValue?.first?["name"] == "admin")
        }),
        ("DELETE /api/v2/organizations/{id}/members/{user}/roles", { (r: Run) async throws in
            let res = try await r.c.send(.delete, "api/v2/organizations/\(try r.value("org"))/members/\(InProcess.annPath)/roles", body: #"{"roles": ["admin"]}"#, token: r.token)
            #expect(res.status == 204)
            #expect(try await r.app.pipeline.member(organization: try r.value("org"), userId: InProcess.ann)?.roles == [])
        }),
        ("GET /api/v2/users/{id}/organizations", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/users/\(InProcess.annPath)/organizations", token: r.token)
            #expect(res.json.arrayValue?.compactMap { $0["name"]?.stringValue } == ["initech"])
        }),
        ("POST /authorize/organization", { (r: Run) async throws in
            // The sample's application allows organizations without requiring one: its logins are
            // never asked, and cannot be moved into one through the prompt's form (OrganizationsTests
            // drives the prompt of a client that requires one).
            let start = try await r.other.get(r.authorizeQuery("&prompt=login"))
            let tx = try #require(Run.tx(start.text))
            let res = try await r.other.submit("authorize/organization", ["tx": tx, "organization": "initech"])
            #expect(res.status == 400)
            #expect(res.text.contains("does not ask for an organization"))
            // Named at /authorize instead, the login is in it.
            let named = try await r.other.get(r.authorizeQuery("&prompt=login&organization=\(try r.value("org"))"))
            let tx2 = try #require(Run.tx(named.text))
            let login = try await r.other.submit("authorize/login", ["tx": tx2, "username": "ann@example.com", "password": "Passw0rd!"])
            #expect(login.header("Location")?.contains("code=") == true, "\(login.header("Location") ?? login.text)")
        }),
        ("POST /api/v2/organizations/{id}/invitations", { (r: Run) async throws in
            let res = try await r.c.send(
                .post, "api/v2/organizations/\(try r.value("org"))/invitations",
                body: #"{"inviter": {"name": "Ann"}, "invitee": {"email": "new@example.com"}, "client_id": "\#(InProcess.appClient)"}"#, token: r.token)
            #expect(res.status == 201)
            r.values["invitation"] = try #require(res.json["id"]?.stringValue)
        }),
        ("GET /api/v2/organizations/{id}/invitations", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/organizations/\(try r.value("org"))/invitations", token: r.token)
            #expect(res.json.arrayValue?.first?["id"]?.stringValue == (try r.value("invitation")))
        }),
        ("GET /api/v2/organizations/{id}/invitations/{invitation}", { (r: Run) async throws in
            let res = try await r.c.send(.get, "api/v2/organizations/\(try r.value("org"))/invitations/\(try r.value("invitation"))", token: r.token)
            #expect(res.json["invitee"]?["email"] == "new@example.com")
        }),
        ("DELETE /api/v2/organizations/{id}/invitations/{invitation}", { (r: Run) async throws in
            let path = "api/v2/organizations/\(try r.value("org"))/invitations/\(try r.value("invitation"))"
            #expect(try await r.c.send(.delete, path, token: r.token).status == 204)
            #expect(try await r.c.send(.get, path, token: r.token).status == 404)
        }),
        ("DELETE /api/v2/organizations/{id}/members", { (r: Run) async throws in
            let res = try await r.c.send(.delete, "api/v2/organizations/\(try r.value("org"))/members", body: #"{"members": ["\#(InProcess.ann)"]}"#, token: r.token)
            #expect(res.status == 204)
            #expect(try await r.app.pipeline.member(organization: try r.value("org"), userId: InProcess.ann) == nil)
        }),
        ("DELETE /api/v2/organizations/{id}/enabled_connections/{connection}", { (r: Run) async throws in
            let res = try await r.c.send(.delete, "api/v2/organizations/\(try r.value("org"))/enabled_connections/\(try r.value("org-conn"))", token: r.token)
            #expect(res.status == 204)
        }),
        ("DELETE /api/v2/organizations/{id}", { (r: Run) async throws in
            #expect(try await r.c.send(.delete, "api/v2/organizations/\(try r.value("org"))", token: r.token).status == 204)
            #expect(try await r.c.send(.get, "api/v2/organizations/\(try r.value("org"))", token: r.token).status == 404)
        }),
    ]

    @Test func everyRouteIsInTheTable() async throws {
        let app = try await InProcess.sampleApp(metrics: PrometheusCollectorRegistry())
        let served = Set(app.server.routeTable.map(\.description))
        let tested = Set(Self.checks.map(\.route))
        #expect(served.subtracting(tested).sorted() == [], "routes without an in-process check")
        #expect(tested.subtracting(served).sorted() == [], "checks for routes the server does not have")
        #expect(Self.checks.count == tested.count, "a route checked twice")
    }

    @Test func everyRouteAnswersInProcess() async throws {
        // A registry of its own (the process-wide metrics system is not bootstrapped in tests),
        // with one counter the /metrics check finds.
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "authsim_in_process_checks_total").increment()
        let app = try await InProcess.sampleApp(metrics: registry)
        let token = try app.managementToken()
        try await app.test { c in
            let run = Run(c, app, token)
            for check in Self.checks {
                try await check.run(run)
            }
        }
    }
}
