import Foundation
import JSONCore
import LoginEngine
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/api/v2` with Management API tokens from the client-credentials grant, in-process (through
/// the router, on a copy of the sample tenant).
@Suite struct ManagementAPITests {
    static let ann = "auth0%7C5f7c8ec7c33c6c004bbafe82"

    func send(_ d: InProcessDaemon, _ method: String, _ path: String, _ body: String? = nil, token: String?) async throws -> (Int, JSONValue) {
        try await d.request("api/v2/" + path, method: method, body: body.map { Data($0.utf8) }, token: token)
    }

    /// The same against a spawned daemon (the suites that need a real process use these).
    func send(_ d: Daemon, _ method: String, _ path: String, _ body: String? = nil, token: String?) async throws -> (Int, JSONValue) {
        try await Daemon.send(base: d.base, "api/v2/" + path, method: method, body: body.map { Data($0.utf8) }, token: token)
    }

    func m2mToken(_ d: Daemon, scope: String? = nil) async throws -> String {
        var fields = "grant_type=client_credentials&client_id=sampleManagementClientId0000000&client_secret=sample-management-secret-change-me&audience=" + (d.base.absoluteString + "/api/v2/").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        if let scope { fields += "&scope=" + scope.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        var r = URLRequest(url: d.base.appendingPathComponent("oauth/token"))
        r.httpMethod = "POST"
        r.httpBody = Data(fields.utf8)
        r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let (data, _) = try await URLSession.shared.data(for: r)
        return try #require(try JSONValue.parse(String(decoding: data, as: UTF8.self))["access_token"]?.stringValue)
    }

    /// A client-credentials token of the sample management client, optionally narrowed.
    func m2mToken(_ d: InProcessDaemon, scope: String? = nil) async throws -> String {
        try #require(
            try await d.client.clientCredentials(clientId: "sampleManagementClientId0000000", secret: "sample-management-secret-change-me", scope: scope))
    }

    @Test func readAndSearchUsers() async throws {
        try await InProcessDaemon.run { d in
            let t = try await m2mToken(d)
            let (s1, page) = try await send(d, "GET", "users?include_totals=true&per_page=2&sort=email:1", token: t)
            #expect(s1 == 200)
            #expect(page["total"] == 4)
            #expect(page["length"] == 2)
            #expect(page["users"]?.arrayValue?.first?["email"] == "ann@example.com")
            #expect(page["users"]?.arrayValue?.first?["password_hash"] == nil)
            let (_, found) = try await send(d, "GET", "users?q=" + #"app_metadata.roles:"admin" OR name:bob"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: t)
            #expect(Set(found.arrayValue?.compactMap { $0["email"]?.stringValue } ?? []) == ["ann@example.com", "bob@example.com"])
            let (_, one) = try await send(d, "GET", "users/\(Self.ann)?fields=email,user_id", token: t)
            #expect(one == ["email": "ann@example.com", "user_id": "auth0|5f7c8ec7c33c6c004bbafe82"])
            let (_, byEmail) = try await send(d, "GET", "users-by-email?email=ANN%40example.com", token: t)
            #expect(byEmail.arrayValue?.count == 1)

            let (badQ, e1) = try await send(d, "GET", "users?q=name%3A(ann", token: t)
            #expect(badQ == 400)
            #expect(e1["errorCode"] == "invalid_query_string")
            let (badPage, e2) = try await send(d, "GET", "users?page=10&per_page=100", token: t)
            #expect(badPage == 400)
            #expect(e2["errorCode"] == "invalid_paging")
            let (missing, e3) = try await send(d, "GET", "users/auth0%7Cnope", token: t)
            #expect(missing == 404)
            #expect(e3 == ["statusCode": 404, "error": "Not Found", "message": "The user does not exist.", "errorCode": "inexistent_user"])
            let (noToken, e4) = try await send(d, "GET", "users", token: nil)
            #expect(noToken == 401)
            #expect(e4["statusCode"] == 401)
            let narrow = try await m2mToken(d, scope: "read:users")
            let (forbidden, e5) = try await send(d, "DELETE", "users/\(Self.ann)", token: narrow)
            #expect(forbidden == 403)
            #expect(e5["errorCode"] == "insufficient_scope")
            // A user's login token is not a Management API token.
            let (_, login) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "bob@example.com"}"#.utf8), token: d.token)
            let (wrongAud, _) = try await send(d, "GET", "users", token: login["accessToken"]?["jwt"]?.stringValue)
            #expect(wrongAud == 401)
        }
    }

    @Test func createPatchDeleteAndRoles() async throws {
        try await InProcessDaemon.run { d in
            let t = try await m2mToken(d)
            let (cs, created) = try await send(d, "POST", "users", #"{"connection": "Username-Password-Authentication", "email": "New@Example.com", "password": "S3cret!pw", "user_metadata": {"lang": "de"}}"#, token: t)
            #expect(cs == 201)
            #expect(created["email"] == "new@example.com")
            let id = try #require(created["user_id"]?.stringValue).replacingOccurrences(of: "|", with: "%7C")
            let (dup, e1) = try await send(d, "POST", "users", #"{"connection": "Username-Password-Authentication", "email": "new@example.com", "password": "x"}"#, token: t)
            #expect(dup == 409)
            #expect(e1["message"] == "The user already exists.")
            let (noConn, e2) = try await send(d, "POST", "users", #"{"email": "x@example.com", "password": "x"}"#, token: t)
            #expect(noConn == 400)
            #expect(e2["errorCode"] == "invalid_body")

            // The new user can log in with its password.
            let (_, login) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "new@example.com"}"#.utf8), token: d.token)
            #expect(login["outcome"] == "denied")  // not verified: the sample gate stops it

            // PATCH: root fields, first-level merge, refusals.
            let (ps, patched) = try await send(d, "PATCH", "users/\(id)", #"{"email_verified": true, "name": "New Person", "user_metadata": {"lang": null, "theme": "dark"}, "app_metadata": {"plan": "pro"}}"#, token: t)
            #expect(ps == 200)
            #expect(patched["name"] == "New Person")
            #expect(patched["user_metadata"] == ["theme": "dark"])
            #expect(patched["app_metadata"] == ["plan": "pro"])
            let (extra, e3) = try await send(d, "PATCH", "users/\(id)", #"{"logins_count": 9}"#, token: t)
            #expect(extra == 400)
            #expect(e3["message"] == "Payload validation error: Additional properties not allowed: logins_count")
            let (reserved, _) = try await send(d, "PATCH", "users/\(id)", #"{"app_metadata": {"email": "x"}}"#, token: t)
            #expect(reserved == 400)
            let (dotted, _) = try await send(d, "PATCH", "users/\(id)", #"{"user_metadata": {"a.b": 1}}"#, token: t)
            #expect(dotted == 400)
            let (taken, e4) = try await send(d, "PATCH", "users/\(id)", #"{"email": "ann@example.com"}"#, token: t)
            #expect(taken == 409)
            #expect(e4["statusCode"] == 409)
            let (badType, _) = try await send(d, "PATCH", "users/\(id)", #"{"blocked": "yes"}"#, token: t)
            #expect(badType == 400)
            let (malformed, _) = try await send(d, "PATCH", "users/\(id)", #"{"name": "#, token: t)
            #expect(malformed == 400)
            // Metadata-only scope cannot change root fields.
            let metaOnly = try await m2mToken(d, scope: "update:users_app_metadata")
            let (mo, _) = try await send(d, "PATCH", "users/\(id)", #"{"app_metadata": {"tier": 2}}"#, token: metaOnly)
            #expect(mo == 200)
            let (moRoot, _) = try await send(d, "PATCH", "users/\(id)", #"{"name": "x"}"#, token: metaOnly)
            #expect(moRoot == 403)

            // Now verified, the login passes; blocking makes it fail.
            let (_, ok) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "new@example.com"}"#.utf8), token: d.token)
            #expect(ok["outcome"] == "allowed")
            #expect(ok["idToken"]?["claims"]?["https://example.com/plan"] == "pro")
            _ = try await send(d, "PATCH", "users/\(id)", #"{"blocked": true}"#, token: t)
            let (_, blocked) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "new@example.com"}"#.utf8), token: d.token)
            #expect(blocked["error"]?["error_description"] == "user is blocked")

            // Roles feed context.authorization.roles.
            let (_, roles) = try await send(d, "GET", "roles", token: t)
            let roleId = try #require(roles.arrayValue?.first?["id"]?.stringValue)
            let (assign, _) = try await send(d, "POST", "users/\(id)/roles", #"{"roles": ["\#(roleId)"]}"#, token: t)
            #expect(assign == 204)
            let (_, userRoles) = try await send(d, "GET", "users/\(id)/roles", token: t)
            #expect(userRoles.arrayValue?.first?["name"] == "admin")
            let (badRole, _) = try await send(d, "POST", "users/\(id)/roles", #"{"roles": ["rol_nope"]}"#, token: t)
            #expect(badRole == 404)
            let (unassign, _) = try await send(d, "DELETE", "users/\(id)/roles", #"{"roles": ["\#(roleId)"]}"#, token: t)
            #expect(unassign == 204)
            let (_, none) = try await send(d, "GET", "users/\(id)/roles", token: t)
            #expect(none.arrayValue?.isEmpty == true)

            // DELETE: 204, then gone.
            let (del, _) = try await send(d, "DELETE", "users/\(id)", token: t)
            #expect(del == 204)
            let (gone, _) = try await send(d, "GET", "users/\(id)", token: t)
            #expect(gone == 404)
            let (again, _) = try await send(d, "DELETE", "users/\(id)", token: t)
            #expect(again == 404)
        }
    }

    @Test func concurrentPatchesOfDifferentKeysAllSurvive() async throws {
        try await InProcessDaemon.run { d in
            let t = try await m2mToken(d)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<30 {
                    group.addTask {
                        let (s, _) = try await send(d, "PATCH", "users/\(Self.ann)", #"{"user_metadata": {"k\#(i)": \#(i)}}"#, token: t)
                        return s
                    }
                }
                for try await s in group { #expect(s == 200) }
            }
            let (_, user) = try await send(d, "GET", "users/\(Self.ann)", token: t)
            let meta = try #require(user["user_metadata"]?.objectValue)
            for i in 0..<30 { #expect(meta["k\(i)"] == .number(Double(i))) }
            #expect(meta["preferred_language"] == "en")
        }
    }
}

@Suite struct TenantLogTests {
    @Test func loginsClientCredentialsAndAPICallsAreLogged() async throws {
        try await InProcessDaemon.run { d in
            let m = ManagementAPITests()
            let app = (id: "sampleAppClientId00000000000000", secret: "sample-app-client-secret-change-me")
            func password(_ user: String, _ pw: String) async throws {
                _ = try await d.client.form(
                    "oauth/token", ["grant_type": "password", "username": user, "password": pw, "client_id": app.id, "client_secret": app.secret, "scope": "openid"])
            }
            try await password("ann@example.com", "Passw0rd!")
            try await password("ann@example.com", "wrong")
            try await password("ghost@example.com", "whatever")
            try await password("unverified@example.com", "Passw0rd!")
            let t = try await m.m2mToken(d)
            let (missing, _) = try await m.send(d, "GET", "users/auth0%7Cnope", token: t)
            #expect(missing == 404)

            let (ls, logs) = try await m.send(d, "GET", "logs?per_page=100&include_totals=true", token: t)
            #expect(ls == 200)
            let events = try #require(logs["logs"]?.arrayValue)
            let types = events.compactMap { $0["type"]?.stringValue }
            for type in ["s", "fp", "fu", "f", "seccft", "fapi"] { #expect(types.contains(type), "no '\(type)' event in \(types)") }
            let success = try #require(events.first { $0["type"] == "s" })
            #expect(success["user_id"] == "auth0|5f7c8ec7c33c6c004bbafe82")
            #expect(success["client_name"] == "My App")
            #expect(success["connection"] == "Username-Password-Authentication")
            #expect(success["date"]?.stringValue.flatMap(Timestamp.parse) != nil)
            let failed = try #require(events.first { $0["type"] == "f" })
            #expect(failed["description"] == "Please verify your email before logging in.")
            // Newest first.
            let dates = events.compactMap { $0["date"]?.stringValue }
            #expect(dates == dates.sorted(by: >))

            let (_, annLogs) = try await m.send(d, "GET", "users/\(ManagementAPITests.ann)/logs", token: t)
            let annTypes = Set(annLogs.arrayValue?.compactMap { $0["type"]?.stringValue } ?? [])
            #expect(annTypes == ["s", "fp"])
            let (noScope, _) = try await m.send(d, "GET", "logs", token: try await m.m2mToken(d, scope: "read:users"))
            #expect(noScope == 403)
            // The earlier 403 is itself logged as a failed API call.
            let (_, after) = try await m.send(d, "GET", "logs?per_page=5", token: t)
            #expect(after.arrayValue?.contains { $0["type"] == "fapi" && $0["description"]?.stringValue?.contains("403") == true } == true)
        }
    }
}
