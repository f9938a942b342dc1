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
        let d = try await Daemon.start()
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
        #expect(await d.stop() == 0)
        seen += try String(contentsOfFile: d.logPath, encoding: .utf8)
        for secret in [password, "S3cret-create-pw", "S3cret-patch-pw", "$2b$"] {
            #expect(!seen.contains(secret), "\(secret) leaked")
        }
    }

    @Test func sessionCookiesAreHttpOnlyAndSameSiteLax() async throws {
        let d = try await Daemon.start()
        defer { d.terminate() }
        let flow = AuthorizeFlowTests()
        var r = URLRequest(url: flow.authorizeURL(d, ["state": "c"]))
        let b = Browser()
        let page = try await b.go(r.url!)
        let tx = try #require(flow.tx(page))
        r = URLRequest(url: d.base.appendingPathComponent("authorize/login"))
        r.httpMethod = "POST"
        r.httpBody = Data("tx=\(tx)&username=ann%40example.com&password=Passw0rd%21".utf8)
        r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let (_, response) = try await b.session.data(for: r)
        let cookie = try #require((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Set-Cookie"))
        #expect(cookie.hasPrefix("authsim_session="))
        #expect(cookie.lowercased().contains("httponly"))
        #expect(cookie.lowercased().contains("samesite=lax"))
        #expect(await d.stop() == 0)
    }
}
