import AuthsimTesting
import Directory
import Foundation
import JSONCore
import LoginEngine
import Testing
import Tokens

/// Refresh tokens as Auth0 issues them (rotation, reuse detection, the reuse interval, absolute
/// and idle expiry, revocation on a password change) and login sessions (`event.session`,
/// `api.session`, `event.refresh_token`, `api.refreshToken`), in-process on a copy of the sample
/// tenant whose application's `refresh_token` settings each test sets. No test waits for a clock:
/// expiry is shown by moving a stored token's expiry into the past.
/// Changes the sample tenant copy's `My App` client document.
func editSampleApp(in dir: String, _ change: (inout [String: JSONValue]) throws -> Void) throws {
    let file = dir + "/clients/My App.json"
    var client = try JSONValue.parse(String(contentsOfFile: file, encoding: .utf8)).objectValue ?? [:]
    try change(&client)
    try JSONValue.object(client).serialized().write(toFile: file, atomically: true, encoding: .utf8)
}

/// Adds a post-login action to a tenant copy, bound alone to the trigger.
func bindPostLoginAction(in dir: String, name: String, code: String) throws {
    try FileManager.default.createDirectory(atPath: dir + "/actions/" + name, withIntermediateDirectories: true)
    try code.write(toFile: dir + "/actions/\(name)/code.js", atomically: true, encoding: .utf8)
    try #"{"name": "\#(name)", "code": "./actions/\#(name)/code.js", "runtime": "node18", "supported_triggers": [{"id": "post-login", "version": "v3"}], "deployed": true}"#
        .write(toFile: dir + "/actions/\(name).json", atomically: true, encoding: .utf8)
    try #"{"post-login": [{"action_name": "\#(name)", "display_name": "\#(name)"}]}"#.write(toFile: dir + "/triggers/triggers.json", atomically: true, encoding: .utf8)
}

@Suite struct SessionsAndRefreshTokensTests {
    static let app = InProcess.appClient
    static let secret = InProcess.appSecret

    /// The sample tenant with `My App`'s `refresh_token` settings, and optionally one post-login action.
    static func tenant(refreshToken: String, action: String? = nil) throws -> String {
        let dir = try sampleTenantCopy()
        try editSampleApp(in: dir) { $0["refresh_token"] = try JSONValue.parse(refreshToken) }
        if let action { try bindPostLoginAction(in: dir, name: "lifetimes", code: action) }
        return dir
    }

    static func run(refreshToken: String, action: String? = nil, _ body: @Sendable (AuthsimTestApp, AuthsimTestClient) async throws -> Void) async throws {
        let app = try await AuthsimTestApp.open(tenantDirectory: try tenant(refreshToken: refreshToken, action: action), runtime: InProcess.runtime)
        try await app.test { c in try await body(app, c) }
    }

    static func passwordGrant(_ c: AuthsimTestClient) async throws -> AuthsimTestResponse {
        try await c.form(
            "oauth/token",
            ["grant_type": "password", "username": "ann@example.com", "password": "Passw0rd!", "client_id": app, "client_secret": secret,
             "scope": "openid profile email offline_access", "audience": "https://api.example.com"])
    }

    static func refresh(_ c: AuthsimTestClient, _ token: String) async throws -> AuthsimTestResponse {
        try await c.form("oauth/token", ["grant_type": "refresh_token", "client_id": app, "client_secret": secret, "refresh_token": token])
    }

    static let rotating = #"{"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 0, "token_lifetime": 3600, "idle_token_lifetime": 1800}"#

    @Test func rotationIssuesANewTokenEachTimeAndAReuseRevokesTheFamily() async throws {
        try await Self.run(refreshToken: Self.rotating) { app, c in
            let first = try await Self.passwordGrant(c)
            let rt1 = try #require(first.json["refresh_token"]?.stringValue)
            let record = try #require(try await app.pipeline.refreshToken(id: StoredRefreshToken.id(token: rt1)))
            #expect(record.rotating)
            #expect(record.expiresAt.map { $0 - record.createdAt } == 3600)
            #expect(record.idleExpiresAt.map { $0 - record.createdAt } == 1800)

            let second = try await Self.refresh(c, rt1)
            #expect(second.status == 200)
            let rt2 = try #require(second.json["refresh_token"]?.stringValue)
            #expect(rt2 != rt1)
            let r2 = try #require(try await app.pipeline.refreshToken(id: StoredRefreshToken.id(token: rt2)))
            #expect(r2.family == record.family)
            #expect(r2.expiresAt == record.expiresAt, "a successor keeps the family's absolute expiry")
            let rt3 = try #require(try await Self.refresh(c, rt2).json["refresh_token"]?.stringValue)

            // rt1 again, with a reuse interval of 0: the whole family goes, rt3 included.
            let reused = try await Self.refresh(c, rt1)
            #expect(reused.status == 403)
            #expect(reused.json["error"] == "invalid_grant")
            #expect(try await Self.refresh(c, rt3).json["error"] == "invalid_grant")
            let logs = try await app.pipeline.store.logs(userId: InProcess.ann, offset: 0, limit: 50).events
            let ferrt = try #require(logs.first { $0.type == "ferrt" })
            #expect(ferrt.details?["family_id"]?.stringValue == record.family)
        }
    }

    @Test func theReuseIntervalAllowsOnlyThePreviousToken() async throws {
        let policy = #"{"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 3600}"#
        try await Self.run(refreshToken: policy) { app, c in
            let rt1 = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            _ = try #require(try await Self.refresh(c, rt1).json["refresh_token"]?.stringValue)
            // Within the interval rt1 may be used again (a retry after a lost answer): its new
            // successor replaces the first one…
            let retry = try await Self.refresh(c, rt1)
            #expect(retry.status == 200)
            let rt2 = try #require(retry.json["refresh_token"]?.stringValue)
            // …until that successor has been used: then rt1 is a reuse, and the family goes.
            let rt3 = try #require(try await Self.refresh(c, rt2).json["refresh_token"]?.stringValue)
            #expect(try await Self.refresh(c, rt1).json["error"] == "invalid_grant")
            #expect(try await Self.refresh(c, rt3).json["error"] == "invalid_grant")
            #expect(try await app.pipeline.liveRefreshTokens(userId: InProcess.ann).isEmpty)
        }
    }

    @Test func siblingSuccessorsWithinTheIntervalAndADeniedExchangeLeavesTheTokenUsable() async throws {
        let policy = #"{"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 3600}"#
        let deny = "exports.onExecutePostLogin = async (event, api) => { if (event.refresh_token && event.user.app_metadata.deny) api.access.deny('not now'); };"
        try await Self.run(refreshToken: policy, action: deny) { app, c in
            let rt1 = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            // A denied exchange uses nothing up: the same token works afterwards.
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["deny": true], user: nil)
            #expect(try await Self.refresh(c, rt1).json["error"] == "access_denied")
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["deny": .null], user: nil)
            let first = try #require(try await Self.refresh(c, rt1).json["refresh_token"]?.stringValue)
            // A retry of rt1 within the interval (two tabs, a lost answer): both successors may be
            // exchanged, until one of them is…
            let second = try #require(try await Self.refresh(c, rt1).json["refresh_token"]?.stringValue)
            let third = try #require(try await Self.refresh(c, first).json["refresh_token"]?.stringValue)
            // …then the other is a reuse, and the family goes (the family forks no further).
            #expect(try await Self.refresh(c, second).json["error"] == "invalid_grant")
            #expect(try await Self.refresh(c, third).json["error"] == "invalid_grant")
            #expect(try await app.pipeline.store.logs(userId: InProcess.ann, offset: 0, limit: 50).events.contains { $0.type == "ferrt" })
        }
    }

    @Test func expiredTokensAreRefusedAndAnExchangeMovesTheIdleExpiryOn() async throws {
        let policy = #"{"rotation_type": "non-rotating", "expiration_type": "expiring", "token_lifetime": 7200, "idle_token_lifetime": 600}"#
        try await Self.run(refreshToken: policy) { app, c in
            let token = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            let id = StoredRefreshToken.id(token: token)
            // Half idle: an exchange gives it its whole idle lifetime (600 s) again; no new token.
            let halfway = Timestamp.now() + 300
            try await app.pipeline.changeRefreshToken(id: id) { $0.idleExpiresAt = halfway }
            let ok = try await Self.refresh(c, token)
            #expect(ok.status == 200)
            #expect(ok.json["refresh_token"] == nil)
            let after = try #require(try await app.pipeline.refreshToken(id: id))
            #expect((after.idleExpiresAt ?? 0) > halfway)
            #expect(after.lastExchangedAt != nil)
            // Idle too long, then past its absolute lifetime: refused either way.
            try await app.pipeline.changeRefreshToken(id: id) { $0.idleExpiresAt = Timestamp.now() - 1 }
            #expect(try await Self.refresh(c, token).json["error"] == "invalid_grant")
            let other = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            try await app.pipeline.changeRefreshToken(id: StoredRefreshToken.id(token: other)) { $0.expiresAt = Timestamp.now() - 1 }
            #expect(try await Self.refresh(c, other).json["error"] == "invalid_grant")
        }
    }

    @Test func aPasswordChangeRevokesTheUsersRefreshTokens() async throws {
        try await Self.run(refreshToken: "{}") { app, c in
            let token = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            #expect(try await Self.refresh(c, token).status == 200)
            let patch = try await c.send(
                .patch, "api/v2/users/\(InProcess.annPath)", body: #"{"password": "An0ther-Passw0rd!", "connection": "Username-Password-Authentication"}"#,
                contentType: "application/json", token: try app.managementToken())
            #expect(patch.status == 200)
            #expect(try await Self.refresh(c, token).json["error"] == "invalid_grant")
        }
    }

    @Test func turningRotationOnOrOffMovesTheClientsTokensToTheOtherKind() async throws {
        let dir = try Self.tenant(refreshToken: "{}")
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        try await app.test { c in
            let plain = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            let older = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            func setPolicy(_ json: String) async throws {
                try editSampleApp(in: dir) { $0["refresh_token"] = try JSONValue.parse(json) }
                #expect(try await app.pipeline.reload())
            }
            // Rotation on: exchanging a non-rotating token gives a rotating one, and the client's
            // other non-rotating tokens for the API go.
            try await setPolicy(Self.rotating)
            let rotated = try #require(try await Self.refresh(c, plain).json["refresh_token"]?.stringValue)
            #expect(try await app.pipeline.refreshToken(id: StoredRefreshToken.id(token: rotated))?.rotating == true)
            #expect(try await Self.refresh(c, older).json["error"] == "invalid_grant")
            // Rotation off: exchanging a rotating token gives a non-rotating one; the family goes.
            try await setPolicy("{}")
            let back = try #require(try await Self.refresh(c, rotated).json["refresh_token"]?.stringValue)
            #expect(try await app.pipeline.refreshToken(id: StoredRefreshToken.id(token: back))?.rotating == false)
            #expect(try await Self.refresh(c, rotated).json["error"] == "invalid_grant")
            #expect(try await Self.refresh(c, back).status == 200)
        }
    }

    static let action = """
        exports.onExecutePostLogin = async (event, api) => {
          const flags = event.user.app_metadata || {};
          if (event.refresh_token) {
            api.accessToken.setCustomClaim('https://t.example/rt', event.refresh_token.id);
            if (flags.revoke_rt) api.refreshToken.revoke('risky device');
            else api.refreshToken.setExpiresAt(Date.now() + 3600000);
          }
          if (event.session && event.session.user_id) {
            api.idToken.setCustomClaim('https://t.example/sid', event.session.id);
            api.idToken.setCustomClaim('https://t.example/clients', event.session.clients.map(c => c.client_id));
            if (flags.short_session) api.session.setExpiresAt(Date.now() + 3600000);
            if (flags.revoke_session) api.session.revoke('bad session', { preserveRefreshTokens: true });
          }
        };
        """

    @Test func actionsSeeAndChangeTheRefreshTokenBeingExchanged() async throws {
        try await Self.run(refreshToken: "{}", action: Self.action) { app, c in
            let token = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            let id = StoredRefreshToken.id(token: token)
            #expect(try await app.pipeline.refreshToken(id: id)?.expiresAt == nil, "non-expiring")
            let ok = try await Self.refresh(c, token)
            #expect(ok.status == 200)
            let access = try JWT.decode(try #require(ok.json["access_token"]?.stringValue))
            #expect(access.claims["https://t.example/rt"]?.stringValue == id)
            // api.refreshToken.setExpiresAt shortens it (an hour from the exchange; it had none).
            let expires = try #require(try await app.pipeline.refreshToken(id: id)?.expiresAt)
            #expect(expires > Timestamp.now() && expires < Timestamp.now() + 3601)

            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["revoke_rt": true], user: nil)
            let revoked = try await Self.refresh(c, token)
            #expect(revoked.status == 403)
            #expect(revoked.json["error"] == "access_denied")
            #expect(revoked.json["error_description"] == "risky device")
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["revoke_rt": .null], user: nil)
            #expect(try await Self.refresh(c, token).json["error"] == "invalid_grant")
        }
    }

    @Test func actionsSeeAndChangeTheLoginSession() async throws {
        try await Self.run(refreshToken: "{}", action: Self.action) { app, c in
            let browser = AuthsimTestBrowser(c)
            let query = "authorize?response_type=code&client_id=\(Self.app)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid%20offline_access&state=s"
            let page = try await browser.get(query)
            let tx = try #require(page.text.range(of: #"name="tx" value="([a-f0-9]+)""#, options: .regularExpression).map { String(page.text[$0].split(separator: "\"")[3]) })
            let login = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            let cookie = try #require(login.cookies["authsim_session"])
            let sid = LoginSession.id(cookie: cookie)
            let location = try #require(login.header("Location"))
            let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
            let tokens = try await c.form(
                "oauth/token", ["grant_type": "authorization_code", "client_id": Self.app, "client_secret": Self.secret, "code": code, "redirect_uri": InProcess.callback])
            let idToken = try JWT.decode(try #require(tokens.json["id_token"]?.stringValue))
            // The action saw the session being created; its id is the ID token's sid.
            #expect(idToken.claims["sid"]?.stringValue == sid)
            #expect(idToken.claims["https://t.example/sid"]?.stringValue == sid)
            #expect(idToken.claims["https://t.example/clients"] == [.string(Self.app)])
            let refreshToken = try #require(tokens.json["refresh_token"]?.stringValue)
            #expect(try await app.pipeline.refreshToken(id: StoredRefreshToken.id(token: refreshToken))?.sessionId == sid)
            let before = try #require(try await app.pipeline.session(id: sid))

            // api.session.setExpiresAt shortens the session at the next silent login.
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["short_session": true], user: nil)
            let silent = try await browser.get(query + "&prompt=none")
            #expect(silent.header("Location")?.contains("code=") == true)
            let shortened = try #require(try await app.pipeline.session(id: sid))
            #expect(shortened.expiresAt < before.expiresAt && shortened.expiresAt < Timestamp.now() + 3601)

            // api.session.revoke denies the login and ends the session; its refresh token stays (preserved).
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["short_session": .null, "revoke_session": true], user: nil)
            let denied = try await browser.get(query + "&prompt=none")
            #expect(denied.header("Location")?.contains("error=access_denied") == true)
            #expect(try await app.pipeline.session(id: sid) == nil)
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["revoke_session": .null], user: nil)
            #expect(try await Self.refresh(c, refreshToken).status == 200)
        }
    }
}
