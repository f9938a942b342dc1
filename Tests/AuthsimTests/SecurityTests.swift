import AuthsimTesting
import Crypto
import Foundation
import JSONCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Security review items that a test can hold down: passwords never logged or returned, and
/// the session cookies' attributes.
@Suite(.serialized) struct SecurityTests {
    @Test func passwordsNeverReachLogsTracesOrResponses() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let password = "Passw0rd!"
        let oauth = OAuthTests()
        let (ok, tokens) = try await oauth.passwordGrant(d, user: "ann@example.com", password: password, scope: "openid profile email")
        #expect(ok == 200)
        #expect(try await oauth.passwordGrant(d, user: "ann@example.com", password: "Wr0ng-" + password).0 == 403)
        let (_, created) = try await d.request(
            "api/v2/users", method: "POST", body: Data(#"{"connection": "Username-Password-Authentication", "email": "sec@example.com", "password": "S3cret-create-pw"}"#.utf8), token: d.token)
        #expect(created["password"] == nil && created["password_hash"] == nil)
        let id = try #require(created["user_id"]?.stringValue)
        let path = "api/v2/users/" + id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await d.request(path, method: "PATCH", body: Data(#"{"password": "S3cret-patch-pw"}"#.utf8), token: d.token).0 == 200)

        // The login's stored trace (its context.request.body) and every API answer leave the password out.
        let jti = try CustomDatabaseTests().claims(tokens["id_token"]?.stringValue)["jti"]?.stringValue ?? ""
        let (_, trace) = try await d.request("api/authsim/traces/" + jti, token: d.token)
        var seen = trace.serialized()
        for p in ["api/v2/users", path, "api/v2/logs", "api/v2/users/" + id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "/logs"] {
            seen += try await d.request(p, token: d.token).1.serialized()
        }
        #expect(await d.stop() == nil)
        seen += d.logText
        // The log was captured: both logins are in it (the wrong password's as a failed login).
        #expect(d.logText.contains("login allowed") && d.logText.contains("failed login"), "\(d.logText.suffix(2000))")
        for secret in [password, "S3cret-create-pw", "S3cret-patch-pw", "$2b$"] {
            #expect(!seen.contains(secret), "\(secret) leaked")
        }
    }

    /// Management tokens live an hour (the tenant's `management_token_lifetime_seconds`) and
    /// carry only their grant's or request's scopes.
    @Test func managementTokensAreScopedAndShortLived() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let audience = (d.base.absoluteString + "/api/v2/").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let (status, granted, _) = try await OAuthTests().post(
            d, "oauth/token",
            Data("grant_type=client_credentials&client_id=sampleManagementClientId0000000&client_secret=sample-management-secret-change-me&audience=\(audience)&scope=read%3Ausers".utf8))
        #expect(status == 200, "\(granted)")
        #expect(granted["expires_in"] == 3600)
        let claims = try CustomDatabaseTests().claims(granted["access_token"]?.stringValue)
        #expect(claims["scope"] == "read:users")
        #expect((claims["exp"]?.doubleValue ?? 0) - (claims["iat"]?.doubleValue ?? 0) == 3600)
        let local = try CustomDatabaseTests().claims(d.token)
        #expect((local["exp"]?.doubleValue ?? 0) - (local["iat"]?.doubleValue ?? 0) == 3600, "the daemon's own token too")

        let readOnly = try #require(granted["access_token"]?.stringValue)
        #expect(try await d.request("api/v2/users", token: readOnly).0 == 200)
        let ann = "api/v2/users/auth0%7C5f7c8ec7c33c6c004bbafe82"
        #expect(try await d.request(ann, method: "PATCH", body: Data(#"{"user_metadata": {"x": 1}}"#.utf8), token: readOnly).0 == 403)
        #expect(try await d.request(ann, method: "DELETE", token: readOnly).0 == 403)
        #expect(try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "ann@example.com"}"#.utf8), token: readOnly).0 == 403)
        // A scope the client was not granted is refused outright.
        let (wider, _, _) = try await OAuthTests().post(
            d, "oauth/token",
            Data("grant_type=client_credentials&client_id=sampleManagementClientId0000000&client_secret=sample-management-secret-change-me&audience=\(audience)&scope=read%3Ausers%20create%3Aeverything".utf8))
        #expect(wider == 403)
        #expect(await d.stop() == nil)
    }

    @Test func sessionCookiesAreHttpOnlyAndSameSiteLax() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let flow = AuthorizeFlowTests()
        let b = Browser()
        // The login page sets the browser cookie its form is bound to.
        let (pageData, pageResponse) = try await b.session.data(for: URLRequest(url: flow.authorizeURL(d, ["state": "c"])))
        let browserCookie = try #require((pageResponse as? HTTPURLResponse)?.value(forHTTPHeaderField: "Set-Cookie"))
        #expect(browserCookie.hasPrefix("authsim_did="))
        #expect(browserCookie.lowercased().contains("httponly"))
        #expect(browserCookie.lowercased().contains("samesite=lax"))
        let page = String(decoding: pageData, as: UTF8.self)
        let tx = try #require(Browser.hidden("tx", in: page)), csrf = try #require(Browser.hidden("_csrf", in: page))
        var r = URLRequest(url: d.base.appendingPathComponent("authorize/login"))
        r.httpMethod = "POST"
        r.httpBody = Data("tx=\(tx)&_csrf=\(csrf)&username=ann%40example.com&password=Passw0rd%21".utf8)
        r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        r.setValue(String(browserCookie.split(separator: ";")[0]), forHTTPHeaderField: "Cookie")
        let (_, response) = try await b.session.data(for: r)
        #expect((response as? HTTPURLResponse)?.statusCode == 302)
        let cookie = try #require((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Set-Cookie"))
        #expect(cookie.hasPrefix("authsim_session="))
        #expect(cookie.lowercased().contains("httponly"))
        #expect(cookie.lowercased().contains("samesite=lax"))
        #expect(await d.stop() == nil)
    }

    @Test func publicClientsNeedPKCEAndRedirectsMatchExactly() async throws {
        let tenant = try sampleTenantCopy()
        let spa = "spaClientId000000000000000000000"
        let callback = "http://localhost:4000/cb"
        try #"{"name": "SPA", "client_id": "\#(spa)", "app_type": "spa", "callbacks": ["\#(callback)"], "allowed_logout_urls": ["http://localhost:4000/"], "grant_types": ["authorization_code", "refresh_token"]}"#
            .write(toFile: tenant + "/clients/SPA.json", atomically: true, encoding: .utf8)
        let d = try await listeningApp(tenant: tenant)
        defer { d.terminate() }
        let flow = AuthorizeFlowTests()
        let b = Browser()
        let spaParameters = ["client_id": spa, "redirect_uri": callback, "scope": "openid", "state": "s1"]

        // A public client without code_challenge is sent back with invalid_request.
        let noPKCE = try await b.go(flow.authorizeURL(d, spaParameters))
        #expect(noPKCE.location?.hasPrefix(callback + "?") == true)
        #expect(flow.query(noPKCE.location)["error"] == "invalid_request")
        #expect(flow.query(noPKCE.location)["error_description"] == "Public clients must use PKCE (code_challenge)")

        // redirect_uri must match a registered callback exactly: near misses get a 400 page, no redirect.
        for near in [callback + "/", "http://localhost:4001/cb", callback + "?x=1", "http://localhost:4000/c", "http://localhost:4000/cb#f", "https://localhost:4000/cb", "http://evil.example/?http://localhost:4000/cb"] {
            let page = try await b.go(flow.authorizeURL(d, spaParameters.merging(["redirect_uri": near, "code_challenge": "x", "code_challenge_method": "S256"]) { _, n in n }))
            #expect(page.status == 400, "\(near) was accepted")
            #expect(page.location == nil)
        }

        // Only S256 challenges, as Auth0: `plain` (the verifier in the URL) and a challenge
        // without its method are sent back with invalid_request.
        let verifier = "verifier-" + String(repeating: "v", count: 40)
        let plain = try await b.go(flow.authorizeURL(d, spaParameters.merging(["code_challenge": verifier, "code_challenge_method": "plain"]) { _, n in n }))
        #expect(flow.query(plain.location)["error"] == "invalid_request")
        #expect(flow.query(plain.location)["error_description"] == "Unsupported code_challenge_method plain: only S256 is supported")
        let bare = try await b.go(flow.authorizeURL(d, spaParameters.merging(["code_challenge": verifier]) { _, n in n }))
        #expect(flow.query(bare.location)["error"] == "invalid_request")

        // With PKCE the code is issued; redeeming it needs the verifier (and no secret exists).
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let page = try await b.go(flow.authorizeURL(d, spaParameters.merging(["code_challenge": challenge, "code_challenge_method": "S256"]) { _, n in n }))
        let login = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(try #require(flow.tx(page)))&username=ann%40example.com&password=Passw0rd%21")
        let code = try #require(flow.query(login.location)["code"])
        func redeem(_ extra: String) async throws -> (Int, JSONValue) {
            var r = URLRequest(url: d.base.appendingPathComponent("oauth/token"))
            r.httpMethod = "POST"
            r.httpBody = Data(("grant_type=authorization_code&client_id=\(spa)&code=\(code)&redirect_uri=" + callback.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + extra).utf8)
            r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await URLSession.shared.data(for: r)
            return ((response as! HTTPURLResponse).statusCode, (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null)
        }
        let (wrongStatus, wrong) = try await redeem("&code_verifier=not-the-verifier-at-all-xxxxxxxxxxxxxxxxxxxxxx")
        #expect(wrongStatus == 403)
        #expect(wrong["error"] == "invalid_grant")

        // Logout: returnTo must be an allowed logout URL; anything else is not followed.
        for evil in ["https://evil.example/", "http://localhost:4000.evil.example/", "//evil.example/", "http://localhost:4000/@evil.example", "javascript:alert(1)"] {
            let out = try await b.go(URL(string: d.base.absoluteString + "/v2/logout?client_id=\(spa)&returnTo=" + evil.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)!)
            #expect(out.location == nil, "logout redirected to \(evil)")
            #expect(out.status == 200)
        }
        let home = try await b.go(URL(string: d.base.absoluteString + "/v2/logout?client_id=\(spa)&returnTo=http%3A%2F%2Flocalhost%3A4000%2F")!)
        #expect(home.status == 302)
        #expect(home.location == "http://localhost:4000/")
        #expect(await d.stop() == nil)
    }

    /// Errors from rules, from packages on the host (Debian's /usr/share/nodejs) and from broken
    /// modules in the tenant name files relative to the tenant or as node_modules/…, never by
    /// the host's folders.
    @Test func scriptErrorsNeverShowHostPaths() async throws {
        let tenant = try sampleTenantCopy()
        var settings = try JSONValue.parse(String(contentsOfFile: tenant + "/tenant.json", encoding: .utf8))
        if case .object(var o) = settings, case .object(var own)? = o["authsim"] {
            own["module_paths"] = ["/usr/share/nodejs"]
            o["authsim"] = .object(own)
            settings = .object(o)
        }
        try settings.serialized().write(toFile: tenant + "/tenant.json", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: tenant + "/node_modules/broken", withIntermediateDirectories: true)
        try "module.exports = {\n  a: 1,\n  b: ,\n};\n".write(toFile: tenant + "/node_modules/broken/index.js", atomically: true, encoding: .utf8)
        try "{ not json".write(toFile: tenant + "/node_modules/bad.json", atomically: true, encoding: .utf8)
        try """
            function leaky(user, context, callback) {
              var seen = [];
              try { require('ipaddr.js').parse('not an address'); } catch (e) { seen.push(e.stack); }
              try { require('broken'); } catch (e) { seen.push(e.message, e.stack); }
              try { require('bad.json'); } catch (e) { seen.push(e.message, e.stack); }
              try { require('./missing-file'); } catch (e) { seen.push(e.message, e.stack); }
              seen.push(new Error('here').stack);
              callback(new Error(seen.join('\\n---\\n')));
            }
            """.write(toFile: tenant + "/rules/leaky.js", atomically: true, encoding: .utf8)
        try #"{"name": "leaky", "order": 99, "enabled": true}"#.write(toFile: tenant + "/rules/leaky.json", atomically: true, encoding: .utf8)
        let d = try await listeningApp(tenant: tenant)
        defer { d.terminate() }
        let (status, result) = try await d.request(
            "api/authsim/simulate", method: "POST", body: Data(#"{"user": "ann@example.com", "rules": ["leaky"]}"#.utf8), token: d.token)
        #expect(status == 200)
        let text = result.serialized()
        let message = result["error"]?["error_description"]?.stringValue ?? ""
        // The errors are all there, named without the host's folders…
        #expect(message.contains("node_modules/ipaddr.js/"))
        #expect(message.contains("node_modules/broken/index.js:3"))
        #expect(message.contains("node_modules/bad.json"))
        #expect(message.contains("rules/leaky.js:"))
        // …and no host folder appears anywhere in the answer.
        for hostPath in [tenant, "/usr/share/nodejs", "/tmp/", FileManager.default.temporaryDirectory.path, CLITests.root.path, ".build/"] {
            #expect(!text.contains(hostPath), "\(hostPath) leaked in: \(message.prefix(600))")
        }
        #expect(await d.stop() == nil)
    }
}
