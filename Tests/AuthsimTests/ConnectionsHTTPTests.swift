import AuthsimTesting
import Foundation
import JSONCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Social logins through the simulated IdP page, root-attribute sync, passwordless codes and
/// account linking, over real HTTP (the application listening in the test process) with the sample tenant's connections
/// (`google-oauth2` syncs on each login, `github` on the first login only; `email`, `sms`).
@Suite(.serialized) struct ConnectionsHTTPTests {
    let flow = AuthorizeFlowTests()
    let oauth = OAuthTests()

    func claims(_ jwt: String?) throws -> JSONValue { try CustomDatabaseTests().claims(jwt) }

    /// `/authorize?connection=…` → the IdP page → pick user `index` → the code → tokens.
    func idpLogin(_ d: some HTTPDaemon, connection: String, index: Int? = nil, profile: String? = nil) async throws -> (page: Browser.Page, tokens: JSONValue) {
        let b = Browser()
        let page = try await b.go(flow.authorizeURL(d, ["connection": connection, "state": "s-\(connection)"]))
        let tx = try #require(flow.tx(page))
        var form = "tx=\(tx)"
        if let index { form += "&user=\(index)" }
        if let profile { form += "&profile=" + profile.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        let done = try await b.go(d.base.appendingPathComponent("authorize/idp"), form: form)
        #expect(done.status == 302, "\(done.body)")
        let q = flow.query(done.location)
        #expect(q["state"] == "s-\(connection)")
        let code = try #require(q["code"], "\(q)")
        let (status, tokens) = try await flow.exchange(d, code: code, verifier: nil)
        #expect(status == 200)
        return (page, tokens)
    }

    func user(_ d: some HTTPDaemon, _ id: String) async throws -> JSONValue {
        try await d.request("api/v2/users/" + id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: d.token).1
    }

    func simulate(_ d: some HTTPDaemon, _ body: String) async throws -> JSONValue {
        let (s, r) = try await d.request("api/authsim/simulate", method: "POST", body: Data(body.utf8), token: d.token)
        #expect(s == 200, "\(r)")
        return r
    }

    @Test func socialLoginsThroughTheSimulatedIdPWithBothSyncSettings() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }

        // Google (on_each_login): the page lists the connection's simulated users.
        let (page, tokens) = try await idpLogin(d, connection: "google-oauth2", index: 0)
        #expect(page.body.contains("gina@gmail.example.com") && page.body.contains("greg@gmail.example.com"))
        let id = try claims(tokens["id_token"]?.stringValue)
        #expect(id["sub"] == "google-oauth2|104761234567890123456")
        #expect(id["name"] == "Gina Google")
        let gina = try await user(d, "google-oauth2|104761234567890123456")
        #expect(gina["identities"]?.arrayValue?.first?["provider"] == "google-oauth2")
        #expect(gina["identities"]?.arrayValue?.first?["isSocial"] == true)
        #expect(gina["identities"]?.arrayValue?.first?["profileData"]?["locale"] == "en")
        // The rules saw the connection as Auth0 describes it.
        let (_, trace) = try await d.request("api/authsim/traces/" + (id["jti"]?.stringValue ?? ""), token: d.token)
        #expect(trace["connection"] == "google-oauth2")
        // Profile attributes come from Google at each login: not editable here, and overwritten.
        let (refused, why) = try await d.request("api/v2/users/google-oauth2%7C104761234567890123456", method: "PATCH", body: Data(#"{"name": "Edited"}"#.utf8), token: d.token)
        #expect(refused == 400)
        #expect(why["message"]?.stringValue?.contains("on_each_login") == true)
        #expect(try await d.request("api/v2/users/google-oauth2%7C104761234567890123456", method: "PATCH", body: Data(#"{"user_metadata": {"kept": true}}"#.utf8), token: d.token).0 == 200)
        let renamed = try await simulate(d, #"{"connection": "google-oauth2", "idpProfile": {"sub": "104761234567890123456", "email": "gina@gmail.example.com", "email_verified": true, "name": "Gina Renamed"}}"#)
        #expect(renamed["outcome"] == "allowed")
        #expect(renamed["idToken"]?["claims"]?["name"] == "Gina Renamed")
        let after = try await user(d, "google-oauth2|104761234567890123456")
        #expect(after["name"] == "Gina Renamed")
        #expect(after["user_metadata"]?["kept"] == true, "sync never touches metadata")
        #expect(after["logins_count"] == 2)

        // GitHub (on_first_login): attributes are set once, then editable and never overwritten.
        let (_, ghTokens) = try await idpLogin(d, connection: "github", index: 0)
        let gh = try claims(ghTokens["id_token"]?.stringValue)
        #expect(gh["sub"] == "github|5821234")
        #expect(gh["nickname"] == "octo-hana")
        #expect(gh["picture"] == "https://avatars.githubusercontent.example/u/5821234")
        let (edited, _) = try await d.request("api/v2/users/github%7C5821234", method: "PATCH", body: Data(#"{"name": "Hana Edited"}"#.utf8), token: d.token)
        #expect(edited == 200)
        let again = try await simulate(d, #"{"connection": "github", "idpProfile": {"id": 5821234, "login": "octo-hana", "name": "Hana From GitHub", "email": "hana@github.example.com"}}"#)
        #expect(again["idToken"]?["claims"]?["name"] == "Hana Edited")
        #expect(try await user(d, "github|5821234")["identities"]?.arrayValue?.first?["profileData"]?["name"] == "Hana From GitHub", "profileData follows the IdP")

        // A pasted profile on the IdP page; a profile without an id is refused on the page.
        let (_, pasted) = try await idpLogin(d, connection: "google-oauth2", profile: #"{"sub": "999", "email": "new@gmail.example.com", "email_verified": true}"#)
        #expect(try claims(pasted["id_token"]?.stringValue)["sub"] == "google-oauth2|999")
        let b = Browser()
        let page2 = try await b.go(flow.authorizeURL(d, ["connection": "github"]))
        let tx = try #require(flow.tx(page2))
        let bad = try await b.go(d.base.appendingPathComponent("authorize/idp"), form: "tx=\(tx)&profile=%7B%22login%22%3A%22x%22%7D")
        #expect(bad.status == 200)
        #expect(bad.body.contains("has no id"))
        // The database login page offers the social connections.
        let login = try await Browser().go(flow.authorizeURL(d, [:]))
        #expect(login.body.contains("/authorize/idp?tx="))
        #expect(await d.stop() == nil)
    }

    @Test func passwordlessCodesByEmailAndSMS() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        func start(_ body: String) async throws -> (Int, JSONValue) {
            let (s, b, _) = try await oauth.post(d, "passwordless/start", Data(body.utf8), contentType: "application/json")
            return (s, b)
        }
        func otp(_ username: String, _ code: String, realm: String) async throws -> (Int, JSONValue) {
            try await oauth.passwordGrant(d, user: username, password: "", scope: "openid profile email", extra: [
                "grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp", "otp": code, "realm": realm,
            ])
        }
        let app = OAuthTests.app
        let (started, body) = try await start(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "email", "email": "Pat@Example.com", "send": "code"}"#)
        #expect(started == 200)
        #expect(body["email"] == "pat@example.com")
        let (_, issued) = try await d.request("api/authsim/passwordless/code?email=pat%40example.com", token: d.token)
        let code = try #require(issued["code"]?.stringValue)
        #expect(code.count == 6 && code.allSatisfy(\.isNumber))
        #expect(d.logText.contains(code), "the code is in the log")

        let (wrong, wrongBody) = try await otp("pat@example.com", code == "000000" ? "111111" : "000000", realm: "email")
        #expect(wrong == 403 && wrongBody["error"] == "invalid_grant")
        #expect(wrongBody["error_description"] == "Wrong email or verification code.")
        let (ok, tokens) = try await otp("pat@example.com", code, realm: "email")
        #expect(ok == 200, "\(tokens)")
        let id = try claims(tokens["id_token"]?.stringValue)
        #expect(id["sub"]?.stringValue?.hasPrefix("email|") == true)
        #expect(id["email_verified"] == true)
        #expect(try await otp("pat@example.com", code, realm: "email").0 == 403, "a code works once")

        // A second code logs the same user in.
        _ = try await start(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "email", "email": "pat@example.com"}"#)
        let second = try #require(try await d.request("api/authsim/passwordless/code?email=pat%40example.com", token: d.token).1["code"]?.stringValue)
        let (_, again) = try await otp("pat@example.com", second, realm: "email")
        #expect(try claims(again["id_token"]?.stringValue)["sub"] == id["sub"])

        // SMS, and three wrong tries end a code.
        #expect(try await start(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "sms", "phone_number": "+15551234567"}"#).0 == 200)
        let sms = try #require(try await d.request("api/authsim/passwordless/code?phone_number=%2B15551234567", token: d.token).1["code"]?.stringValue)
        for _ in 0..<3 { _ = try await otp("+15551234567", sms == "123456" ? "654321" : "123456", realm: "sms") }
        #expect(try await otp("+15551234567", sms, realm: "sms").0 == 403)
        _ = try await start(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "sms", "phone_number": "+15551234567"}"#)
        let sms2 = try #require(try await d.request("api/authsim/passwordless/code?phone_number=%2B15551234567", token: d.token).1["code"]?.stringValue)
        // The code is accepted and the rules run: the sample's email gate refuses a phone-only user.
        let (smsStatus, smsBody) = try await otp("+15551234567", sms2, realm: "sms")
        #expect(smsStatus == 401)
        #expect(smsBody["error_description"] == "Please verify your email before logging in.")
        let (_, found) = try await d.request("api/v2/users?q=" + #"phone_number:"+15551234567""#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: d.token)
        let smsUser = try #require(found.arrayValue?.first)
        #expect(smsUser["user_id"]?.stringValue?.hasPrefix("sms|") == true)
        #expect(smsUser["phone_verified"] == true)
        #expect(smsUser["identities"]?.arrayValue?.first?["connection"] == "sms")

        // Identifiers must have a strict shape (they never reach a query unchecked), and starts are limited.
        let (injected, injectedBody) = try await otp(#"z"OR(email:pat*)OR"@b.co"#, "000000", realm: "email")
        #expect(injected == 400)
        #expect(injectedBody["error"] == "invalid_request")
        #expect(try await start(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "email", "email": "z\"OR(email:pat*)@b.co"}"#).0 == 400)
        var limited = 0
        for _ in 0..<6 {
            if try await start(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "email", "email": "flood@example.com"}"#).0 == 429 { limited += 1 }
        }
        #expect(limited == 1, "the sixth code in ten minutes is refused")

        // Bad requests.
        #expect(try await start(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "email", "email": "not-an-email"}"#).0 == 400)
        #expect(try await start(#"{"client_id": "\#(app.id)", "client_secret": "\#(app.secret)", "connection": "Username-Password-Authentication", "email": "a@b.co"}"#).0 == 400)
        #expect(try await start(#"{"client_id": "\#(app.id)", "client_secret": "wrong", "connection": "email", "email": "a@b.co"}"#).0 == 401)
        #expect(await d.stop() == nil)
    }

    @Test func linkingAndUnlinking() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let ann = "auth0|5f7c8ec7c33c6c004bbafe82"
        let annPath = "api/v2/users/auth0%7C5f7c8ec7c33c6c004bbafe82"
        // A Google user exists after their first login.
        _ = try await simulate(d, #"{"connection": "google-oauth2", "idpProfile": {"sub": "4242", "email": "ann.g@gmail.example.com", "email_verified": true, "name": "Ann on Google"}}"#)

        let (linked, identities) = try await d.request(annPath + "/identities", method: "POST", body: Data(#"{"provider": "google-oauth2", "user_id": "4242"}"#.utf8), token: d.token)
        #expect(linked == 201)
        #expect(identities.arrayValue?.count == 2)
        #expect(identities.arrayValue?.last?["profileData"]?["email"] == "ann.g@gmail.example.com")
        #expect(try await d.request("api/v2/users/google-oauth2%7C4242", token: d.token).0 == 404, "the secondary user is gone")
        let primary = try await user(d, ann)
        #expect(primary["identities"]?.arrayValue?.map { $0["provider"] } == ["auth0", "google-oauth2"])

        // Logging in through the linked Google identity is logging in as Ann; rules see both identities.
        let viaGoogle = try await simulate(d, #"{"connection": "google-oauth2", "idpProfile": {"sub": "4242", "email": "ann.g@gmail.example.com", "name": "Ann on Google"}}"#)
        #expect(viaGoogle["user"]?["user_id"] == .string(ann))
        #expect(viaGoogle["idToken"]?["claims"]?["sub"] == .string(ann))
        #expect(viaGoogle["user"]?["identities"]?.arrayValue?.count == 2)

        #expect(try await d.request(annPath + "/identities", method: "POST", body: Data(#"{"provider": "auth0", "user_id": "5f7c8ec7c33c6c004bbafe82"}"#.utf8), token: d.token).0 == 400)
        #expect(try await d.request(annPath + "/identities", method: "POST", body: Data(#"{"provider": "github", "user_id": "nobody"}"#.utf8), token: d.token).0 == 400)

        // Unlinking restores the Google user on its own.
        let (unlinked, left) = try await d.request(annPath + "/identities/google-oauth2/4242", method: "DELETE", token: d.token)
        #expect(unlinked == 200)
        #expect(left.arrayValue?.count == 1)
        let restored = try await user(d, "google-oauth2|4242")
        #expect(restored["email"] == "ann.g@gmail.example.com")
        #expect(restored["identities"]?.arrayValue?.count == 1)
        #expect(try await d.request(annPath + "/identities/auth0/5f7c8ec7c33c6c004bbafe82", method: "DELETE", token: d.token).0 == 400, "the main identity stays")
        #expect(try await d.request(annPath + "/identities/google-oauth2/4242", method: "DELETE", token: d.token).0 == 404)

        // link_with: only an ID token (not an access token) of this tenant.
        let annLogin = try await simulate(d, #"{"user": "ann@example.com"}"#)
        let accessToken = try #require(annLogin["accessToken"]?["jwt"]?.stringValue)
        #expect(try await d.request(
            "api/v2/users/google-oauth2%7C4242/identities", method: "POST", body: Data(#"{"link_with": "\#(accessToken)"}"#.utf8), token: d.token).0 == 400)

        // link_with: the secondary's own ID token.
        let bob = try await simulate(d, #"{"user": "bob@example.com"}"#)
        let bobToken = try #require(bob["idToken"]?["jwt"]?.stringValue)
        let (withToken, viaToken) = try await d.request(
            "api/v2/users/google-oauth2%7C4242/identities", method: "POST", body: Data(#"{"link_with": "\#(bobToken)"}"#.utf8), token: d.token)
        #expect(withToken == 201)
        #expect(viaToken.arrayValue?.last?["connection"] == "Username-Password-Authentication")
        #expect(await d.stop() == nil)
    }
}
