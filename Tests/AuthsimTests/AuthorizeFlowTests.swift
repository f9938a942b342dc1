import AuthsimTesting
import Crypto
import Foundation
import JSONCore
import LoginEngine
import Testing
import Tokens

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A browser: does not follow redirects, keeps the session cookie by hand.
final class Browser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    /// The cookie jar: name → value (one host per test, as the daemons share 127.0.0.1 and
    /// browsers do not separate cookies by port).
    var cookies: [String: String] = [:]
    /// The anti-forgery token of each login transaction whose page this browser was shown.
    var formTokens: [String: String] = [:]
    lazy var session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.httpShouldSetCookies = false
        return URLSession(configuration: c, delegate: self, delegateQueue: nil)
    }()

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    struct Page {
        var status: Int
        var location: String?
        var body: String
    }

    /// Loads `url`, or posts `form` to it as the page's form would: a form naming a
    /// transaction (`tx=`) carries the hidden `_csrf` field of that transaction's page, unless
    /// the form gives one itself.
    func go(_ url: URL, form: String? = nil, origin: String? = nil) async throws -> Page {
        var r = URLRequest(url: url)
        if var form {
            if !form.contains("_csrf="), let tx = Self.field("tx", in: form), let token = formTokens[tx] {
                form += "&_csrf=" + token
            }
            r.httpMethod = "POST"
            r.httpBody = Data(form.utf8)
            r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        }
        if let origin { r.setValue(origin, forHTTPHeaderField: "Origin") }
        if !cookies.isEmpty { r.setValue(cookies.sorted { $0.key < $1.key }.map { $0.key + "=" + $0.value }.joined(separator: "; "), forHTTPHeaderField: "Cookie") }
        let (data, response) = try await session.data(for: r)
        let http = response as! HTTPURLResponse
        if let set = http.value(forHTTPHeaderField: "Set-Cookie") { store(setCookie: set) }
        let body = String(decoding: data, as: UTF8.self)
        if let tx = Self.hidden("tx", in: body), let token = Self.hidden("_csrf", in: body) { formTokens[tx] = token }
        return Page(status: http.statusCode, location: http.value(forHTTPHeaderField: "Location"), body: body)
    }

    /// `Set-Cookie` values (several arrive joined by ", "; the daemon's cookies carry no `Expires`).
    func store(setCookie header: String) {
        for one in header.split(separator: ", ") {
            let attributes = one.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let pair = attributes.first, let eq = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            if value.isEmpty || attributes.contains(where: { $0.lowercased() == "max-age=0" }) {
                cookies[name] = nil
            } else {
                cookies[name] = value
            }
        }
    }

    static func field(_ name: String, in form: String) -> String? {
        form.split(separator: "&").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let r = html.range(of: #"name="\#(name)" value="([^"]*)""#, options: .regularExpression) else { return nil }
        return String(html[r].split(separator: "\"")[3])
    }
}

@Suite(.serialized) struct AuthorizeFlowTests {
    static let client = "sampleAppClientId00000000000000"
    static let callback = "http://localhost:3000/callback"

    func authorizeURL(_ d: some HTTPDaemon, _ extra: [String: String]) -> URL {
        var c = URLComponents(url: d.base.appendingPathComponent("authorize"), resolvingAgainstBaseURL: false)!
        var items = ["response_type": "code", "client_id": Self.client, "redirect_uri": Self.callback, "scope": "openid profile email offline_access"]
        items.merge(extra) { _, b in b }
        c.queryItems = items.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        return c.url!
    }

    func query(_ location: String?) -> [String: String] {
        guard let location, let c = URLComponents(string: location) else { return [:] }
        return Dictionary((c.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
    }

    func tx(_ page: Browser.Page) -> String? {
        guard let r = page.body.range(of: #"name="tx" value="([a-f0-9]+)""#, options: .regularExpression) else { return nil }
        return String(page.body[r].split(separator: "\"")[3])
    }

    func exchange(_ d: some HTTPDaemon, code: String, verifier: String?, redirect: String = callback, secret: Bool = true) async throws -> (Int, JSONValue) {
        var fields = ["grant_type=authorization_code", "client_id=\(Self.client)", "code=\(code)", "redirect_uri=\(redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"]
        if secret { fields.append("client_secret=sample-app-client-secret-change-me") }
        if let verifier { fields.append("code_verifier=\(verifier)") }
        var r = URLRequest(url: d.base.appendingPathComponent("oauth/token"))
        r.httpMethod = "POST"
        r.httpBody = Data(fields.joined(separator: "&").utf8)
        r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as! HTTPURLResponse).statusCode, (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null)
    }

    @Test func codeFlowWithPKCEAndSSO() async throws {
        let d = try await listeningApp()
        let b = Browser()
        let (ds, discovery) = try await d.request(".well-known/openid-configuration")
        #expect(ds == 200)
        #expect(discovery["code_challenge_methods_supported"] == ["S256"], "Auth0 supports only S256")
        #expect(discovery["token_endpoint"] == .string(d.base.absoluteString + "/oauth/token"))

        let verifier = "a-very-long-pkce-verifier-0123456789-abcdefghijklmn"
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let login = try await b.go(authorizeURL(d, ["state": "st-1", "nonce": "n-1", "code_challenge": challenge, "code_challenge_method": "S256"]))
        #expect(login.status == 200)
        #expect(login.body.contains("My App"))
        let transaction = try #require(tx(login))

        // A wrong password shows the page again with the error.
        let retry = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(transaction)&username=ann%40example.com&password=wrong")
        #expect(retry.status == 200)
        #expect(retry.body.contains("Wrong email or password."))

        let done = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(transaction)&username=ann%40example.com&password=Passw0rd%21")
        #expect(done.status == 302)
        #expect(done.location?.hasPrefix(Self.callback + "?") == true)
        let q = query(done.location)
        #expect(q["state"] == "st-1")
        let code = try #require(q["code"])
        #expect(b.cookies["authsim_session"] != nil)

        // Wrong redirect_uri or verifier fail; the right one works once.
        let (badRedirect, e1) = try await exchange(d, code: code, verifier: verifier, redirect: "http://localhost:3000/other")
        #expect(badRedirect == 403)
        #expect(e1["error"] == "invalid_grant")
        let login2 = try await b.go(authorizeURL(d, ["state": "st-2", "nonce": "n-2", "code_challenge": challenge, "code_challenge_method": "S256", "prompt": "login"]))
        let t2 = try #require(tx(login2))
        let done2 = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(t2)&username=ann%40example.com&password=Passw0rd%21")
        let code2 = try #require(query(done2.location)["code"])
        let (badVerifier, e2) = try await exchange(d, code: code2, verifier: "not-the-verifier")
        #expect(badVerifier == 403)
        #expect(e2["error_description"] == "Failed to verify code verifier")

        let login3 = try await b.go(authorizeURL(d, ["state": "st-3", "nonce": "n-3", "code_challenge": challenge, "code_challenge_method": "S256", "prompt": "login"]))
        let done3 = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(try #require(tx(login3)))&username=ann%40example.com&password=Passw0rd%21")
        let code3 = try #require(query(done3.location)["code"])
        let (ok, tokens) = try await exchange(d, code: code3, verifier: verifier)
        #expect(ok == 200)
        let id = try JWT.decode(try #require(tokens["id_token"]?.stringValue))
        #expect(id.claims["nonce"] == "n-3")
        #expect(id.claims["https://example.com/roles"] == ["admin", "editor"])
        #expect(tokens["refresh_token"] != nil)
        let (reused, e3) = try await exchange(d, code: code3, verifier: verifier)
        #expect(reused == 403)
        #expect(e3["error"] == "invalid_grant")

        // SSO: prompt=none with the session cookie gets a code without a page.
        let silent = try await b.go(authorizeURL(d, ["state": "st-4", "prompt": "none"]))
        #expect(silent.status == 302)
        let silentCode = try #require(query(silent.location)["code"])
        let (ss, silentTokens) = try await exchange(d, code: silentCode, verifier: nil)
        #expect(ss == 200)
        let silentId = try JWT.decode(try #require(silentTokens["id_token"]?.stringValue))
        let (_, trace) = try await d.request("api/authsim/traces/" + (silentId.claims["jti"]?.stringValue ?? ""), token: d.token)
        #expect(trace["trace"]?.arrayValue?.count == 5)

        // Logout ends the session: prompt=none now says login_required.
        let out = try await b.go(URL(string: d.base.absoluteString + "/v2/logout?returnTo=http%3A%2F%2Flocalhost%3A3000%2F")!)
        #expect(out.status == 302)
        #expect(out.location == "http://localhost:3000/")
        let after = try await b.go(authorizeURL(d, ["state": "st-5", "prompt": "none"]))
        #expect(query(after.location)["error"] == "login_required")
        #expect(query(after.location)["state"] == "st-5")
        #expect(await d.stop() == nil)
    }

    /// The response modes the SDKs use (express-openid-connect's default is form_post,
    /// auth0-spa-js's silent login web_message), max_age and screen_hint.
    @Test func responseModesMaxAgeAndScreenHint() async throws {
        let d = try await listeningApp()
        let b = Browser()
        let (_, discovery) = try await d.request(".well-known/openid-configuration")
        #expect(discovery["response_modes_supported"] == ["query", "fragment", "form_post", "web_message"])

        // form_post: a page that posts the code and state to the callback, nothing in the URL.
        let login = try await b.go(authorizeURL(d, ["state": "fp-1", "response_mode": "form_post"]))
        let done = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(try #require(tx(login)))&username=ann%40example.com&password=Passw0rd%21")
        #expect(done.status == 200)
        #expect(done.location == nil)
        #expect(done.body.contains(#"<form method="post" action="http://localhost:3000/callback">"#))
        #expect(Browser.hidden("state", in: done.body) == "fp-1")
        let code = try #require(Browser.hidden("code", in: done.body))
        let (ok, tokens) = try await exchange(d, code: code, verifier: nil)
        #expect(ok == 200)
        let authTime = try JWT.decode(try #require(tokens["id_token"]?.stringValue)).claims["auth_time"]?.doubleValue

        // web_message: posted to the callback's origin, framable by it alone.
        let silent = try await b.go(authorizeURL(d, ["state": "wm-1", "prompt": "none", "response_mode": "web_message"]))
        #expect(silent.status == 200)
        #expect(silent.body.contains(#""type":"authorization_response""#))
        #expect(silent.body.contains(#""state":"wm-1""#))
        #expect(silent.body.contains(#","http://localhost:3000")"#))

        // max_age: a session older than that needs a new login (max_age=0: always); a fresh one does not.
        let recent = try await b.go(authorizeURL(d, ["state": "ma-1", "max_age": "3600"]))
        #expect(recent.status == 302)
        #expect(query(recent.location)["code"] != nil)
        let forced = try await b.go(authorizeURL(d, ["state": "ma-2", "max_age": "0"]))
        #expect(forced.status == 200)
        #expect(tx(forced) != nil, "the login page")
        let noneButOld = try await b.go(authorizeURL(d, ["state": "ma-3", "max_age": "0", "prompt": "none"]))
        #expect(query(noneButOld.location)["error"] == "login_required")
        #expect(authTime != nil)

        // screen_hint=signup opens the sign-up form.
        let signup = try await b.go(authorizeURL(d, ["state": "sh-1", "prompt": "login", "screen_hint": "signup"]))
        #expect(signup.status == 200)
        #expect(signup.body.contains("authorize/signup"))

        // An unknown response_mode, or tokens in a query, is refused on the callback.
        let unknown = try await b.go(authorizeURL(d, ["state": "x-1", "response_mode": "carrier_pigeon"]))
        #expect(query(unknown.location)["error"] == "invalid_request")
        let tokensInQuery = try await b.go(authorizeURL(d, ["state": "x-2", "response_type": "id_token", "nonce": "n", "response_mode": "query"]))
        #expect(query(tokensInQuery.location)["error"] == "invalid_request")
        #expect(await d.stop() == nil)
    }

    @Test func authorizeRefusesWhatItCannotRedirectSafely() async throws {
        let d = try await listeningApp()
        let b = Browser()
        let evil = try await b.go(authorizeURL(d, ["redirect_uri": "https://evil.example/cb"]))
        #expect(evil.status == 400)
        #expect(evil.location == nil)
        let unknown = try await b.go(authorizeURL(d, ["client_id": "nope"]))
        #expect(unknown.status == 400)
        let badType = try await b.go(authorizeURL(d, ["response_type": "bogus", "state": "s"]))
        #expect(query(badType.location)["error"] == "unsupported_response_type")
        // A rule denial comes back on the callback URL.
        let page = try await b.go(authorizeURL(d, ["state": "deny"]))
        let denied = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(try #require(tx(page)))&username=unverified%40example.com&password=Passw0rd%21")
        let q = query(denied.location)
        #expect(q["error"] == "unauthorized")
        #expect(q["error_description"] == "Please verify your email before logging in.")
        #expect(q["state"] == "deny")
        #expect(await d.stop() == nil)
    }
}
