import AuthsimTesting
import Foundation
import JSONCore
import Testing

/// Login pages bound to the browser that opened them (anti-CSRF), and CORS only for the
/// origins the tenant's applications allow: in-process, through the real routes.
@Suite struct BrowserBindingTests {
    static let authorize =
        "authorize?response_type=code&client_id=\(InProcess.appClient)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid&state=s"

    /// The form of a login page: its transaction and its anti-forgery token.
    static func form(_ page: AuthsimTestResponse) throws -> (tx: String, csrf: String) {
        (try #require(AuthsimTestBrowser.hidden("tx", in: page.text)), try #require(AuthsimTestBrowser.hidden("_csrf", in: page.text)))
    }

    @Test func loginFormsAreTakenOnlyFromTheBrowserThatOpenedThem() async throws {
        let app = try await InProcess.sampleApp()
        try await app.test { c in
            let victim = AuthsimTestBrowser(c), attacker = AuthsimTestBrowser(c)
            let (vtx, vcsrf) = try Self.form(try await victim.get(Self.authorize))
            let (atx, acsrf) = try Self.form(try await attacker.get(Self.authorize))
            let victimCookie = try #require(victim.cookies["authsim_did"]), attackerCookie = try #require(attacker.cookies["authsim_did"])
            #expect(victimCookie != attackerCookie)
            #expect(vcsrf != acsrf)
            let annLogin = ["username": "ann@example.com", "password": "Passw0rd!"]
            let forgeries: [(String, [String: String], String?)] = [
                // Login CSRF: the attacker's own transaction and token, posted from the victim's browser.
                ("attacker's transaction in the victim's browser", ["tx": atx, "_csrf": acsrf], "authsim_did=" + victimCookie),
                ("no form token", ["tx": vtx, "_csrf": ""], "authsim_did=" + victimCookie),
                ("another transaction's token", ["tx": vtx, "_csrf": acsrf], "authsim_did=" + victimCookie),
                ("a made-up token", ["tx": vtx, "_csrf": String(repeating: "0", count: 64)], "authsim_did=" + victimCookie),
                ("no browser cookie (a cross-site post carries no Lax cookie)", ["tx": vtx, "_csrf": vcsrf], nil),
                ("another browser's cookie", ["tx": vtx, "_csrf": vcsrf], "authsim_did=" + attackerCookie),
                ("a made-up cookie", ["tx": vtx, "_csrf": vcsrf], "authsim_did=made-up"),
            ]
            for (what, fields, cookie) in forgeries {
                let r = try await c.form("authorize/login", fields.merging(annLogin) { a, _ in a }, headers: cookie.map { ["Cookie": $0] } ?? [:])
                #expect(r.status == 403, "\(what): \(r.status)")
                #expect(r.text.contains("anti-forgery check failed"), "\(what)")
                #expect(r.header("Location") == nil && r.cookies["authsim_session"] == nil, "\(what) logged in")
            }
            // The sign-up and IdP pages and forms are bound the same way: nothing is created.
            let signup = try await c.form(
                "authorize/signup", ["tx": atx, "_csrf": acsrf, "email": "forged@example.com", "password": "Forged-pass-1"], headers: ["Cookie": "authsim_did=" + victimCookie])
            #expect(signup.status == 403)
            #expect(try await app.pipeline.store.user(login: "forged@example.com", connection: "Username-Password-Authentication") == nil)
            #expect(try await c.send(.get, "authorize/signup?tx=\(vtx)", headers: ["Cookie": "authsim_did=" + attackerCookie]).status == 403)
            #expect(try await c.form("authorize/idp", ["tx": vtx, "_csrf": vcsrf, "user": "0"], headers: ["Cookie": "authsim_did=" + attackerCookie]).status == 403)
            // The forgeries spent nothing: both browsers still log in with their own forms.
            let done = try await victim.submit("authorize/login", ["tx": vtx].merging(annLogin) { a, _ in a })
            #expect(done.status == 302)
            #expect(done.header("Location")?.hasPrefix(InProcess.callback + "?code=") == true)
            #expect(done.cookies["authsim_session"] != nil)
            #expect(try await attacker.submit("authorize/login", ["tx": atx, "username": "bob@example.com", "password": "Passw0rd!"]).status == 302)
            // A second login page in the same browser keeps its cookie and gets its own token.
            let again = try await victim.get(Self.authorize + "&prompt=login")
            #expect(again.cookies["authsim_did"] == nil, "the browser cookie is set once")
            let (tx2, csrf2) = try Self.form(again)
            #expect(tx2 != vtx && csrf2 != vcsrf)
        }
    }

    /// Cookies ignore ports: a page on another port (or a sibling name) can set the browser
    /// cookie to a value it knows, open a login page with it and compute its token. The form
    /// post then still fails, because the browser says where the form came from.
    @Test func aKnownBrowserCookieDoesNotLetAnotherOriginPostTheForm() async throws {
        let app = try await InProcess.sampleApp()
        try await app.test { c in
            let tossed = "authsim_did=cookie-the-attacker-set"
            let page = try await c.send(.get, Self.authorize, headers: ["Cookie": tossed])
            let (tx, csrf) = try Self.form(page)
            let login = ["tx": tx, "_csrf": csrf, "username": "bob@example.com", "password": "Passw0rd!"]
            for headers in [["Origin": "http://localhost:3000"], ["Origin": "http://127.0.0.1:9999"], ["Origin": "null"], ["Sec-Fetch-Site": "same-site"],
                            ["Sec-Fetch-Site": "cross-site"]] {
                let r = try await c.form("authorize/login", login, headers: headers.merging(["Cookie": tossed]) { a, _ in a })
                #expect(r.status == 403, "\(headers)")
                #expect(r.text.contains("anti-forgery check failed"), "\(headers)")
            }
            // The daemon's own page posting (same origin) goes through.
            let own = try await c.form(
                "authorize/login", login, headers: ["Cookie": tossed, "Origin": "http://authsim.test", "Host": "authsim.test", "Sec-Fetch-Site": "same-origin"])
            #expect(own.status == 302)
        }
    }

    /// The sample app (callback origin http://localhost:3000) and an SPA allowing two origins.
    static let spa = #"""
        {"name": "SPA", "client_id": "spaClientId000000000000000000000", "app_type": "spa", "callbacks": ["https://spa.example.com/cb"],
         "web_origins": ["https://spa.example.com", "https://*.apps.example.com"], "allowed_origins": ["http://localhost:4200"],
         "grant_types": ["authorization_code", "refresh_token"]}
        """#

    static func preflight(_ c: AuthsimTestClient, _ path: String, origin: String) async throws -> AuthsimTestResponse {
        try await c.send(.options, path, headers: ["Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, auth0-client"])
    }

    @Test func crossOriginCallsOnlyFromTheOriginsApplicationsAllow() async throws {
        let app = try await HardeningTests.app(extra: ["clients/SPA.json": Self.spa])
        try await app.test { c in
            // Preflights: allowed origins (listed, wildcard label, allowed_origins, a callback's origin) get 204 and the headers.
            for origin in ["https://spa.example.com", "https://team1.apps.example.com", "http://localhost:4200", "http://localhost:3000", "HTTPS://SPA.EXAMPLE.COM:443"] {
                let r = try await Self.preflight(c, "oauth/token", origin: origin)
                #expect(r.status == 204, "\(origin): \(r.status)")
                #expect(r.header("Access-Control-Allow-Origin").flatMap(WebOriginText.normalize) == WebOriginText.normalize(origin), "\(origin)")
                #expect(r.header("Access-Control-Allow-Credentials") == "true")
                #expect(r.header("Access-Control-Allow-Methods")?.contains("POST") == true)
                #expect(r.header("Access-Control-Allow-Headers") == "content-type, auth0-client")
            }
            // Any other origin: 403 and no CORS headers, for the preflight and the request itself.
            for origin in ["https://evil.example", "http://spa.example.com", "https://spa.example.com:8443", "https://a.b.apps.example.com", "https://apps.example.com", "null", "https://spa.example.com.evil.example"] {
                let r = try await Self.preflight(c, "oauth/token", origin: origin)
                #expect(r.status == 403, "\(origin): \(r.status)")
                #expect(r.json["errorCode"] == "access_denied")
                #expect(r.header("Access-Control-Allow-Origin") == nil)
            }
            let passwordGrant = ["grant_type": "password", "username": "ann@example.com", "password": "Passw0rd!", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "scope": "openid"]
            let evil = try await c.form("oauth/token", passwordGrant, headers: ["Origin": "https://evil.example"])
            #expect(evil.status == 403)
            #expect(evil.json["access_token"] == nil)
            // The token endpoint also checks the client named: the SPA's origin is not My App's.
            let other = try await c.form("oauth/token", passwordGrant, headers: ["Origin": "https://spa.example.com"])
            #expect(other.status == 403)
            #expect(other.json["error"] == "access_denied")
            #expect(other.json["access_token"] == nil)
            #expect(other.header("Access-Control-Allow-Origin") == "https://spa.example.com", "the page may read why")
            let own = try await c.form("oauth/token", passwordGrant, headers: ["Origin": "http://localhost:3000"])
            #expect(own.status == 200)
            #expect(own.header("Access-Control-Allow-Origin") == "http://localhost:3000")
            #expect(own.header("Vary") == "Origin")
            let access = try #require(own.json["access_token"]?.stringValue)
            let info = try await c.send(.get, "userinfo", token: access, headers: ["Origin": "https://spa.example.com"])
            #expect(info.status == 200)
            #expect(info.header("Access-Control-Allow-Origin") == "https://spa.example.com")
            // Public documents are open to every origin; other routes give no CORS headers at all.
            let jwks = try await c.send(.get, ".well-known/jwks.json", headers: ["Origin": "https://evil.example"])
            #expect(jwks.status == 200)
            #expect(jwks.header("Access-Control-Allow-Origin") == "*")
            let token = try app.managementToken()
            let users = try await c.send(.get, "api/v2/users", token: token, headers: ["Origin": "https://spa.example.com"])
            #expect(users.header("Access-Control-Allow-Origin") == nil)
            #expect(try await Self.preflight(c, "api/v2/users", origin: "https://spa.example.com").header("Access-Control-Allow-Origin") == nil)
            // Requests without Origin (servers, SDKs) and same-origin ones pass unchanged.
            #expect(try await c.form("oauth/token", passwordGrant).status == 200)
            #expect(try await c.form("oauth/token", passwordGrant, headers: ["Origin": "http://authsim.test", "Host": "authsim.test"]).status == 200)
        }
    }
}

/// Origins compared as browsers compare them (case, default port) for the assertions above.
enum WebOriginText {
    static func normalize(_ s: String) -> String? {
        guard let c = URLComponents(string: s), let scheme = c.scheme?.lowercased(), let host = c.host?.lowercased() else { return nil }
        let port = c.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(host):\(port)"
    }
}
