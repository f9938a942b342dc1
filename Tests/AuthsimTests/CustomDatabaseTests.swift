import AuthsimTesting
import Foundation
import JSONCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Custom-database connections over real HTTP (the application listening in the test process), on a copy of the sample
/// tenant: `legacy-users` (import mode off: the profile cache) and `legacy-migration` (import
/// mode on). Their scripts keep users in `legacy-db/<table>.json` through `authsim:legacy-db`;
/// the tests read and edit those files as the "company's own database".
@Suite(.serialized) struct CustomDatabaseTests {
    let oauth = OAuthTests()
    static let realm = "http://auth0.com/oauth/grant-type/password-realm"

    func login(_ d: some HTTPDaemon, _ user: String, _ password: String = "Passw0rd!", realm: String) async throws -> (Int, JSONValue) {
        try await oauth.passwordGrant(d, user: user, password: password, scope: "openid profile email", extra: ["grant_type": Self.realm, "realm": realm])
    }

    func table(_ tenant: String, _ name: String) throws -> [JSONValue] {
        try JSONValue.parse(String(contentsOfFile: tenant + "/legacy-db/\(name).json", encoding: .utf8)).arrayValue ?? []
    }

    func record(_ tenant: String, _ name: String, email: String) throws -> JSONValue? {
        try table(tenant, name).first { $0["email"]?.stringValue == email }
    }

    /// Edits one record of a legacy table in place, as someone changing their own database would.
    func edit(_ tenant: String, _ name: String, email: String, _ change: (inout [String: JSONValue]) -> Void) throws {
        var rows = try table(tenant, name)
        let i = try #require(rows.firstIndex { $0["email"]?.stringValue == email })
        var o = rows[i].objectValue ?? [:]
        change(&o)
        rows[i] = .object(o)
        try JSONValue.array(rows).serialized(pretty: true).write(toFile: tenant + "/legacy-db/\(name).json", atomically: true, encoding: .utf8)
    }

    func claims(_ jwt: String?) throws -> JSONValue {
        let part = try #require(jwt?.split(separator: ".").dropFirst().first)
        var b64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        return try JSONValue.parse(String(decoding: try #require(Data(base64Encoded: b64)), as: UTF8.self))
    }

    func logTypes(_ d: some HTTPDaemon, user: String) async throws -> [String] {
        let (_, logs) = try await d.request("api/v2/logs?q=" + "user_name:\"\(user)\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: d.token)
        return (logs.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
    }

    func patch(_ d: some HTTPDaemon, _ id: String, _ body: String) async throws -> (Int, JSONValue) {
        try await d.request("api/v2/users/" + id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, method: "PATCH", body: Data(body.utf8), token: d.token)
    }

    @Test func loginCachesTheProfileAndRefreshesItFromTheLegacyDatabase() async throws {
        let tenant = try sampleTenantCopy()
        let d = try await listeningApp(tenant: tenant)
        defer { d.terminate() }
        let jane = "jane@legacy.example.com"

        // A good login: the script's profile becomes auth0|<id>, cached, with the trace entry first.
        let (ok, tokens) = try await login(d, jane, realm: "legacy-users")
        #expect(ok == 200)
        let idToken = try claims(tokens["id_token"]?.stringValue)
        #expect(idToken["sub"] == "auth0|1001")
        #expect(idToken["name"] == "Jane Legacy")
        #expect(try record(tenant, "legacy-users", email: jane)?["legacy_logins"] == 1)
        let (_, cached) = try await d.request("api/v2/users/auth0%7C1001", token: d.token)
        #expect(cached["identities"]?.arrayValue?.first?["connection"] == "legacy-users")
        #expect(cached["identities"]?.arrayValue?.first?["user_id"] == "1001")
        #expect(cached["app_metadata"]?["plan"] == "gold")
        let (_, trace) = try await d.request("api/authsim/traces/" + (idToken["jti"]?.stringValue ?? ""), token: d.token)
        let first = try #require(trace["trace"]?.arrayValue?.first)
        #expect(first["kind"] == "database")
        #expect(first["file"] == "database-connections/legacy-users/login.js")
        #expect(first["console"]?.arrayValue?.first?["message"]?.stringValue?.contains("legacy login of jane@legacy.example.com") == true)
        #expect(trace["trace"]?.arrayValue?.count == 6, "the login script, then the five sample rules")

        // Wrong password → fp; unknown user → fu; neither reaches the rules.
        let (wrong, wrongBody) = try await login(d, jane, "nope-nope", realm: "legacy-users")
        #expect(wrong == 403 || wrong == 400)
        #expect(wrongBody["error"] == "invalid_grant")
        let (unknown, unknownBody) = try await login(d, "nobody@legacy.example.com", realm: "legacy-users")
        #expect(unknownBody["error"] == "invalid_grant" && unknown >= 400)
        #expect(try await logTypes(d, user: jane).contains("fp"))
        #expect(try await logTypes(d, user: "nobody@legacy.example.com").contains("fu"))

        // Metadata set here survives a refresh; root attributes follow the legacy database.
        #expect(try await patch(d, "auth0|1001", #"{"user_metadata": {"theme": "dark"}}"#).0 == 200)
        try edit(tenant, "legacy-users", email: jane) { $0["name"] = "Jane Renamed"; $0["nickname"] = "jr" }
        #expect(try await login(d, jane, realm: "legacy-users").0 == 200)
        let (_, refreshed) = try await d.request("api/v2/users/auth0%7C1001", token: d.token)
        #expect(refreshed["name"] == "Jane Renamed")
        #expect(refreshed["nickname"] == "jr")
        #expect(refreshed["user_metadata"]?["theme"] == "dark")
        #expect(refreshed["app_metadata"]?["plan"] == "gold")
        #expect(refreshed["logins_count"] == 2)
        #expect(try record(tenant, "legacy-users", email: jane)?["legacy_logins"] == 2, "import mode is off: the script runs at every login")

        // Who may update what: metadata and blocked only; the password through change_password.
        let (refused, why) = try await patch(d, "auth0|1001", #"{"name": "Someone Else"}"#)
        #expect(refused == 400)
        #expect(why["message"]?.stringValue?.contains("must be changed in their own database") == true)
        #expect(try await patch(d, "auth0|1001", #"{"email_verified": false}"#).0 == 400)
        #expect(try await patch(d, "auth0|1001", #"{"app_metadata": {"tier": 2}, "blocked": false}"#).0 == 200)
        let before = try record(tenant, "legacy-users", email: jane)?["password_hash"]
        // An invalid PATCH changes nothing, not even the legacy password.
        #expect(try await patch(d, "auth0|1001", #"{"password": "Other-passw0rd", "blocked": "yes"}"#).0 == 400)
        #expect(try record(tenant, "legacy-users", email: jane)?["password_hash"] == before)
        #expect(try await patch(d, "auth0|1001", #"{"password": "N3w-passw0rd"}"#).0 == 200)
        #expect(try record(tenant, "legacy-users", email: jane)?["password_hash"] != before, "change_password wrote the legacy table")
        #expect(try await login(d, jane, "N3w-passw0rd", realm: "legacy-users").0 == 200)
        #expect(try await login(d, jane, realm: "legacy-users").1["error"] == "invalid_grant")

        // Deleting the user runs the delete script (the record goes from the legacy table), then
        // the cached user goes; the next login finds nobody.
        let (deleted, _) = try await d.request("api/v2/users/auth0%7C1001", method: "DELETE", token: d.token)
        #expect(deleted == 204)
        #expect(try record(tenant, "legacy-users", email: jane) == nil)
        #expect(try await d.request("api/v2/users/auth0%7C1001", token: d.token).0 == 404)
        #expect(try await login(d, jane, "N3w-passw0rd", realm: "legacy-users").1["error"] == "invalid_grant")
        #expect(await d.stop() == nil)
    }

    @Test func importModeMigratesAtTheFirstLoginAndNeverCallsTheScriptAgain() async throws {
        let tenant = try sampleTenantCopy()
        let d = try await listeningApp(tenant: tenant)
        defer { d.terminate() }
        let mia = "mia@legacy.example.com"

        #expect(try await login(d, mia, realm: "legacy-migration").0 == 200)
        #expect(try record(tenant, "legacy-migration", email: mia)?["legacy_logins"] == 1)
        let (_, migrated) = try await d.request("api/v2/users/auth0%7C2001", token: d.token)
        #expect(migrated["identities"]?.arrayValue?.first?["connection"] == "legacy-migration")
        #expect(migrated["app_metadata"]?["plan"] == "gold", "the returned metadata is migrated")

        // The legacy record changes (even its password): the migrated user does not notice.
        try edit(tenant, "legacy-migration", email: mia) { $0["name"] = "Changed In Legacy"; $0["password_hash"] = "$2b$10$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva" }
        let (again, tokens) = try await login(d, mia, realm: "legacy-migration")
        #expect(again == 200)
        #expect(try record(tenant, "legacy-migration", email: mia)?["legacy_logins"] == 1, "the login script did not run")
        let idToken = try claims(tokens["id_token"]?.stringValue)
        #expect(idToken["name"] == "Mia Legacy")
        let (_, trace) = try await d.request("api/authsim/traces/" + (idToken["jti"]?.stringValue ?? ""), token: d.token)
        #expect(trace["trace"]?.arrayValue?.first?["outcome"] == "skipped")
        #expect(trace["trace"]?.arrayValue?.first?["warnings"]?.arrayValue?.first?.stringValue?.contains("not called") == true)
        #expect(try await login(d, mia, "wrong-password", realm: "legacy-migration").1["error"] == "invalid_grant")

        // Migrated users: the profile fields and email may change; others may not.
        #expect(try await patch(d, "auth0|2001", #"{"name": "Mia Migrated", "nickname": "mm", "email_verified": true}"#).0 == 200)
        let (refused, why) = try await patch(d, "auth0|2001", #"{"username": "mia"}"#)
        #expect(refused == 400)
        #expect(why["message"]?.stringValue?.contains("migrated") == true)
        // get_user still finds Max in the legacy database: his address is taken.
        #expect(try await patch(d, "auth0|2001", #"{"email": "max@legacy.example.com"}"#).0 == 409)
        #expect(try await patch(d, "auth0|2001", #"{"email": "mia.new@legacy.example.com"}"#).0 == 200)
        #expect(try await patch(d, "auth0|2001", #"{"password": "An0ther-pass"}"#).0 == 200)
        #expect(try await login(d, "mia.new@legacy.example.com", "An0ther-pass", realm: "legacy-migration").0 == 200)

        // Sign-up: get_user refuses a not-yet-migrated address; a new one is created locally only.
        let signup = { (email: String) async throws -> (Int, JSONValue) in
            let body = #"{"client_id": "\#(OAuthTests.app.id)", "connection": "legacy-migration", "email": "\#(email)", "password": "Passw0rd!"}"#
            let (s, b, _) = try await oauth.post(d, "dbconnections/signup", Data(body.utf8), contentType: "application/json")
            return (s, b)
        }
        let (taken, takenBody) = try await signup("max@legacy.example.com")
        #expect(taken == 400)
        #expect(takenBody["code"] == "user_exists")
        let rowsBefore = try table(tenant, "legacy-migration").count
        let (fresh, freshUser) = try await signup("fresh@legacy.example.com")
        #expect(fresh == 200)
        #expect(try table(tenant, "legacy-migration").count == rowsBefore, "import mode: the create script does not run")
        let freshId = "auth0|" + (freshUser["_id"]?.stringValue ?? "")
        #expect(try await patch(d, freshId, #"{"email_verified": true}"#).0 == 200)
        #expect(try await login(d, "fresh@legacy.example.com", realm: "legacy-migration").0 == 200)
        #expect(try table(tenant, "legacy-migration").count == rowsBefore)
        #expect(await d.stop() == nil)
    }

    @Test func signUpThroughCreateAndTheTryEndpoint() async throws {
        let tenant = try sampleTenantCopy()
        let d = try await listeningApp(tenant: tenant)
        defer { d.terminate() }
        let body = #"{"client_id": "\#(OAuthTests.app.id)", "connection": "legacy-users", "email": "new@legacy.example.com", "password": "Passw0rd!"}"#
        let (created, user, _) = try await oauth.post(d, "dbconnections/signup", Data(body.utf8), contentType: "application/json")
        #expect(created == 200)
        let row = try #require(try record(tenant, "legacy-users", email: "new@legacy.example.com"))
        #expect(row["password_hash"]?.stringValue?.hasPrefix("$2b$10$") == true, "create.js stored a bcrypt hash")
        #expect(row["legacy_logins"] == 1, "sign-up runs get_user → create → login")
        let id = try #require(row["id"]?.stringValue)
        #expect(user["_id"]?.stringValue == id || user["user_id"]?.stringValue == "auth0|" + id)
        let (_, cached) = try await d.request("api/v2/users/auth0%7C" + id, token: d.token)
        #expect(cached["email"] == "new@legacy.example.com")
        #expect(cached["email_verified"] == false)
        // The sample's email-verified rule refuses the new user until verify.js marks the record;
        // the next login refreshes the cached profile from it.
        #expect(try await login(d, "new@legacy.example.com", realm: "legacy-users").1["error"] == "unauthorized")
        let (_, verifiedNew) = try await d.request(
            "api/authsim/connections/legacy-users/scripts/verify", method: "POST", body: Data(#"{"args": ["new@legacy.example.com"]}"#.utf8), token: d.token)
        #expect(verifiedNew["result"] == true)
        #expect(try await login(d, "new@legacy.example.com", realm: "legacy-users").0 == 200)
        // Signing up again: the cached user, or a legacy user get_user finds, is refused.
        let (again, refused, _) = try await oauth.post(d, "dbconnections/signup", Data(body.utf8), contentType: "application/json")
        #expect(again == 400)
        #expect(refused["code"] == "invalid_signup")
        let joe = #"{"client_id": "\#(OAuthTests.app.id)", "connection": "legacy-users", "email": "joe@legacy.example.com", "password": "Passw0rd!"}"#
        let (legacyExists, taken, _) = try await oauth.post(d, "dbconnections/signup", Data(joe.utf8), contentType: "application/json")
        #expect(legacyExists == 400)
        #expect(taken["code"] == "user_exists")

        // The Dashboard's "Try": each script with its arguments.
        func run(_ script: String, _ args: String) async throws -> (Int, JSONValue) {
            try await d.request("api/authsim/connections/legacy-users/scripts/\(script)", method: "POST", body: Data(#"{"args": \#(args)}"#.utf8), token: d.token)
        }
        let (vs, verified) = try await run("verify", #"["joe@legacy.example.com"]"#)
        #expect(vs == 200 && verified["result"] == true)
        #expect(try record(tenant, "legacy-users", email: "joe@legacy.example.com")?["email_verified"] == true)
        let (_, moved) = try await run("change_email", #"["joe@legacy.example.com", "joseph@legacy.example.com", true]"#)
        #expect(moved["result"] == true)
        #expect(try record(tenant, "legacy-users", email: "joseph@legacy.example.com")?["id"] == "1002")
        let (_, wrong) = try await run("login", #"["joseph@legacy.example.com", "bad"]"#)
        #expect(wrong["error"]?["name"] == "WrongUsernameOrPasswordError")
        #expect(wrong["error"]?["email"] == "joseph@legacy.example.com")
        let (_, exists) = try await run("create", #"[{"email": "joseph@legacy.example.com", "password": "x"}]"#)
        #expect(exists["error"]?["name"] == "ValidationError")
        #expect(exists["error"]?["code"] == "user_exists")
        #expect(try await run("delete", #"["1002"]"#).1["error"] == .null)
        #expect(try record(tenant, "legacy-users", email: "joseph@legacy.example.com") == nil)
        #expect(try await run("login", #"["only-one-argument"]"#).0 == 400)
        #expect(try await run("nope", "[]").0 == 400)
        let (_, missing) = try await d.request("api/authsim/connections/Username-Password-Authentication/scripts/login", method: "POST", body: Data(#"{"args": ["a", "b"]}"#.utf8), token: d.token)
        #expect(missing["message"]?.stringValue?.contains("not a custom-database connection") == true)
        #expect(await d.stop() == nil)
    }
}

/// The password-reset flow against custom databases: the link goes to the daemon log (or comes
/// from a Management API ticket); `/lo/reset` sets the password through change_password (import
/// mode off) or migrates the user found by get_user and sets it locally (import mode on).
@Suite(.serialized) struct PasswordResetTests {
    let db = CustomDatabaseTests()

    func resetLink(_ d: some HTTPDaemon, email: String) throws -> URL? {
        let log = d.logText
        guard let line = log.split(separator: "\n").last(where: { $0.contains("password reset link for \(email)") }),
            let r = line.range(of: #"http://[^ ]+/lo/reset\?ticket=[A-Za-z0-9_-]+"#, options: .regularExpression)
        else { return nil }
        return URL(string: String(line[r]))
    }

    @Test func resetThroughGetUserAndChangePassword() async throws {
        let tenant = try sampleTenantCopy()
        let d = try await listeningApp(tenant: tenant)
        defer { d.terminate() }
        func request(_ email: String, _ connection: String) async throws -> (Int, String) {
            var r = URLRequest(url: d.base.appendingPathComponent("dbconnections/change_password"))
            r.httpMethod = "POST"
            r.httpBody = Data(#"{"client_id": "\#(OAuthTests.app.id)", "email": "\#(email)", "connection": "\#(connection)"}"#.utf8)
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await URLSession.shared.data(for: r)
            return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
        }

        // Import mode: get_user finds Mia (not migrated yet); the reset migrates her with the new password.
        let (status, message) = try await request("mia@legacy.example.com", "legacy-migration")
        #expect(status == 200)
        #expect(message == "We've just sent you an email to reset your password.")
        let link = try #require(try resetLink(d, email: "mia@legacy.example.com"))
        let b = Browser()
        let page = try await b.go(link)
        #expect(page.status == 200 && page.body.contains("mia@legacy.example.com"))
        let ticket = try #require(URLComponents(url: link, resolvingAgainstBaseURL: false)?.queryItems?.first?.value)
        let weak = try await b.go(d.base.appendingPathComponent("lo/reset"), form: "ticket=\(ticket)&password=short")
        #expect(weak.body.contains("too weak"), "a weak password keeps the ticket")
        let done = try await b.go(d.base.appendingPathComponent("lo/reset"), form: "ticket=\(ticket)&password=Res3t-passw0rd")
        #expect(done.status == 200 && done.body.contains("Your password has been changed."))
        #expect(try await b.go(link).status == 400, "a ticket works once")
        #expect(try await d.request("api/v2/users/auth0%7C2001", token: d.token).0 == 200, "migrated by the reset")
        #expect(try await db.login(d, "mia@legacy.example.com", "Res3t-passw0rd", realm: "legacy-migration").0 == 200)
        #expect(try db.record(tenant, "legacy-migration", email: "mia@legacy.example.com")?["legacy_logins"] == nil, "the login script never ran")

        // Import mode off: a Management API ticket; change_password writes the legacy table.
        let (created, ticketBody) = try await d.request(
            "api/v2/tickets/password-change", method: "POST", body: Data(#"{"email": "jane@legacy.example.com", "connection_id": "legacy-users"}"#.utf8), token: d.token)
        #expect(created == 201)
        let janeLink = try #require(ticketBody["ticket"]?.stringValue.flatMap(URL.init(string:)))
        let janeTicket = try #require(URLComponents(url: janeLink, resolvingAgainstBaseURL: false)?.queryItems?.first?.value)
        let before = try db.record(tenant, "legacy-users", email: "jane@legacy.example.com")?["password_hash"]
        let changed = try await Browser().go(d.base.appendingPathComponent("lo/reset"), form: "ticket=\(janeTicket)&password=Jane-n3w-pass")
        #expect(changed.body.contains("Your password has been changed."))
        #expect(try db.record(tenant, "legacy-users", email: "jane@legacy.example.com")?["password_hash"] != before)
        #expect(try await db.login(d, "jane@legacy.example.com", "Jane-n3w-pass", realm: "legacy-users").0 == 200)

        // Unknown addresses get the same answer and no link.
        #expect(try await request("nobody@legacy.example.com", "legacy-users").1 == "We've just sent you an email to reset your password.")
        #expect(try resetLink(d, email: "nobody@legacy.example.com") == nil)
        #expect(try await d.request("api/v2/tickets/password-change", method: "POST", body: Data(#"{"email": "nobody@legacy.example.com", "connection_id": "legacy-users"}"#.utf8), token: d.token).0 == 404)
        #expect(await d.stop() == nil)
    }
}
