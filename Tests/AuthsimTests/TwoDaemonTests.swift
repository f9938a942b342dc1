import Crypto
import Foundation
import JSONCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Two `authsim serve` processes on one PostgreSQL store behave as one tenant. Needs
/// AUTHSIM_TEST_POSTGRES (`make test` starts a throw-away cluster).
@Suite(.serialized) struct TwoDaemonTests {
    @Test func twoDaemonsOnOnePostgresStore() async throws {
        guard let base = ProcessInfo.processInfo.environment["AUTHSIM_TEST_POSTGRES"] else {
            Issue.record("AUTHSIM_TEST_POSTGRES is not set: run `make test` (it starts a PostgreSQL cluster)")
            return
        }
        let url = base + (base.contains("?") ? "&" : "?") + "schema=two_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        // Started together: they must agree on one signing key and migrate once. Behind one
        // load balancer they share one issuer URL.
        let issuer = ["--issuer", "https://auth.two-daemons.test/"]
        async let first = Daemon.start(extraArguments: issuer, store: url)
        async let second = Daemon.start(extraArguments: issuer, store: url)
        let (d1, d2) = try await (first, second)
        defer { d1.terminate(); d2.terminate() }

        let (_, jwks1) = try await d1.request(".well-known/jwks.json")
        let (_, jwks2) = try await d2.request(".well-known/jwks.json")
        #expect(jwks1["keys"]?.arrayValue?.first?["kid"] != nil)
        #expect(jwks1 == jwks2, "one key set for both daemons")

        // Logins on one, metadata PATCHes on the other, at the same time: no key is lost.
        let oauth = OAuthTests()
        let ann = "auth0%7C5f7c8ec7c33c6c004bbafe82"
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<24 {
                group.addTask { try await oauth.passwordGrant(d1, user: "ann@example.com", scope: "openid").0 }
                group.addTask {
                    try await d2.request("api/v2/users/\(ann)", method: "PATCH", body: Data(#"{"user_metadata": {"k\#(i)": \#(i)}}"#.utf8), token: d2.token).0
                }
            }
            var out: [Int] = []
            for try await s in group { out.append(s) }
            return out
        }
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        let (_, user) = try await d1.request("api/v2/users/\(ann)", token: d1.token)
        for i in 0..<24 { #expect(user["user_metadata"]?["k\(i)"] == .number(Double(i)), "k\(i) survived") }
        #expect(user["user_metadata"]?["first_login_at"] != nil, "the rule's own write survived too")
        #expect((user["logins_count"]?.intValue ?? 0) >= 24)

        // A token from one verifies at the other (its userinfo), and a management token too.
        let (_, tokens) = try await oauth.passwordGrant(d1, user: "bob@example.com", scope: "openid profile email")
        let accessToken = try #require(tokens["access_token"]?.stringValue)
        var r = URLRequest(url: d2.base.appendingPathComponent("userinfo"))
        r.setValue("Bearer \(accessToken)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: r)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(try JSONValue.parse(String(decoding: data, as: UTF8.self))["email"] == "bob@example.com")
        #expect(try await d2.request("api/v2/users?q=bob*", token: d1.token).0 == 200)

        // A code issued by one is redeemed at the other, once.
        let flow = AuthorizeFlowTests()
        let b = Browser()
        let verifier = "two-daemons-verifier-0123456789-abcdefghijklmnopqrstu"
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let page = try await b.go(flow.authorizeURL(d1, ["state": "two", "code_challenge": challenge, "code_challenge_method": "S256"]))
        let tx = try #require(flow.tx(page))
        // The login page came from the first daemon; its form is posted to the second (no sticky sessions).
        let done = try await b.go(d2.base.appendingPathComponent("authorize/login"), form: "tx=\(tx)&username=bob%40example.com&password=Passw0rd%21")
        let code = try #require(flow.query(done.location)["code"], "\(done.status) \(done.body.prefix(300))")
        let (redeemed, exchanged) = try await flow.exchange(d2, code: code, verifier: verifier)
        #expect(redeemed == 200, "\(exchanged)")
        #expect(exchanged["id_token"] != nil)
        #expect(try await flow.exchange(d1, code: code, verifier: verifier).0 == 403, "the code was used at the other daemon")

        // The SSO session started on the second daemon logs the browser in silently on the first…
        let silent = try await b.go(flow.authorizeURL(d1, ["state": "sso", "prompt": "none", "code_challenge": challenge, "code_challenge_method": "S256"]))
        let silentCode = try #require(flow.query(silent.location)["code"], "\(silent.location ?? silent.body)")
        #expect(try await flow.exchange(d1, code: silentCode, verifier: verifier).0 == 200)
        // …and a logout on the second ends it on both.
        _ = try await b.go(URL(string: d2.base.absoluteString + "/v2/logout")!)
        let after = try await b.go(flow.authorizeURL(d1, ["state": "after", "prompt": "none"]))
        #expect(flow.query(after.location)["error"] == "login_required")

        // A passwordless code started on one daemon is redeemed on the other, once; three wrong
        // tries spread over both end a code.
        let app = OAuthTests.app
        func start(_ d: Daemon, _ email: String) async throws -> Int {
            try await oauth.post(d, "passwordless/start", Data(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "email", "email": "\#(email)"}"#.utf8), contentType: "application/json").0
        }
        func otp(_ d: Daemon, _ email: String, _ code: String) async throws -> Int {
            try await oauth.passwordGrant(d, user: email, password: "", scope: "openid", extra: ["grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp", "otp": code, "realm": "email"]).0
        }
        #expect(try await start(d1, "pat@two.example") == 200)
        let otpCode = try #require(try await d2.request("api/authsim/passwordless/code?email=pat%40two.example", token: d1.token).1["code"]?.stringValue)
        #expect(try await otp(d2, "pat@two.example", otpCode) == 200)
        #expect(try await otp(d1, "pat@two.example", otpCode) == 403, "the code was used at the other daemon")
        #expect(try await start(d2, "sam@two.example") == 200)
        let samCode = try #require(try await d1.request("api/authsim/passwordless/code?email=sam%40two.example", token: d1.token).1["code"]?.stringValue)
        let wrongCode = samCode == "000000" ? "111111" : "000000"
        for d in [d1, d2, d1] { #expect(try await otp(d, "sam@two.example", wrongCode) == 403) }
        #expect(try await otp(d2, "sam@two.example", samCode) == 403, "three wrong tries on two daemons ended the code")

        // A password-reset ticket made on one daemon is used on the other.
        let (ticketStatus, ticket) = try await d1.request(
            "api/v2/tickets/password-change", method: "POST", body: Data(#"{"email": "bob@example.com", "connection_id": "Username-Password-Authentication"}"#.utf8), token: d1.token)
        #expect(ticketStatus == 201, "\(ticket)")
        let link = try #require(ticket["ticket"]?.stringValue)
        let ticketID = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "ticket" }?.value)
        let form = try await b.go(URL(string: d2.base.absoluteString + "/lo/reset?ticket=" + ticketID)!)
        #expect(form.status == 200 && form.body.contains("bob@example.com"))
        let reset = try await b.go(d2.base.appendingPathComponent("lo/reset"), form: "ticket=\(ticketID)&password=N3w-pass-two")
        #expect(reset.status == 200, "\(reset.body.prefix(300))")
        #expect(try await oauth.passwordGrant(d1, user: "bob@example.com", password: "N3w-pass-two", scope: "openid").0 == 200)
        #expect(try await b.go(URL(string: d1.base.absoluteString + "/lo/reset?ticket=" + ticketID)!).status == 400, "a ticket works once, on any daemon")

        // Rules and actions saved through the Management API of one daemon run on the other:
        // they live in the store (the tenant directory is not written).
        func claim(_ d: Daemon) async throws -> JSONValue? {
            let (_, r) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "bob@example.com"}"#.utf8), token: d.token)
            return r["idToken"]?["claims"]?["https://example.com/two-daemons"]
        }
        /// The other daemon notices the store's new revision within its reload poll (400 ms).
        func eventually(_ d: Daemon, _ expected: JSONValue?) async throws -> JSONValue? {
            var last = try await claim(d)
            for _ in 0..<50 where last != expected {
                try await Task.sleep(for: .milliseconds(200))
                last = try await claim(d)
            }
            return last
        }
        let ruleScript = "function (user, context, callback) { context.idToken['https://example.com/two-daemons'] = 'rule'; callback(null, user, context); }"
        let (ruleStatus, rule) = try await d1.request(
            "api/v2/rules", method: "POST", body: Data(JSONValue.object(["name": "two-daemons", "script": .string(ruleScript)]).serialized().utf8), token: d1.token)
        #expect(ruleStatus == 201, "\(rule)")
        #expect(!FileManager.default.fileExists(atPath: CLITests.root.appendingPathComponent("rules/two-daemons.js").path))
        #expect(try await eventually(d2, "rule") == "rule")
        let actionCode = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/two-daemons', 'action'); };"
        let (actionStatus, action) = try await d2.request(
            "api/v2/actions/actions", method: "POST",
            body: Data(JSONValue.object(["name": "two-daemons-action", "code": .string(actionCode), "supported_triggers": [["id": "post-login", "version": "v3"]]]).serialized().utf8),
            token: d2.token)
        #expect(actionStatus == 201, "\(action)")
        let actionID = try #require(action["id"]?.stringValue)
        #expect(try await d2.request("api/v2/actions/actions/\(actionID)/deploy", method: "POST", token: d2.token).0 == 201)
        let (bindStatus, bound) = try await d2.request(
            "api/v2/actions/triggers/post-login/bindings", method: "PATCH",
            body: Data(#"{"bindings": [{"ref": {"type": "action_name", "value": "two-daemons-action"}}]}"#.utf8), token: d2.token)
        #expect(bindStatus == 200, "\(bound)")
        #expect(try await eventually(d1, "action") == "action", "the action (after the rule) runs on the first daemon")
        #expect(!FileManager.default.fileExists(atPath: CLITests.root.appendingPathComponent("actions/two-daemons-action.json").path))
        // Unbound and deleted on the first daemon; the second stops running both.
        #expect(try await d1.request("api/v2/actions/actions/\(actionID)?force=true", method: "DELETE", token: d1.token).0 == 204)
        #expect(try await d1.request("api/v2/rules/\(rule["id"]?.stringValue ?? "")", method: "DELETE", token: d1.token).0 == 204)
        #expect(try await eventually(d2, nil) == nil)

        #expect(await d1.stop() == 0)
        #expect(await d2.stop() == 0)
    }
}
