import AuthsimTesting
import Directory
import Foundation
import JSONCore
import Testing
import Tokens

/// The daemon's defences against hostile requests and borrowed tokens, driven in-process
/// through every route's real handler: bounded query parsing, `Host` checks, framing, tokens
/// per audience, sign-up metadata and names within Auth0's limits.
@Suite struct HardeningTests {
    /// A copy of the sample tenant plus `extra` files (path → content).
    static func app(extra: [String: String] = [:], tenantJSON: String? = nil, allowedHosts: [String] = []) async throws -> AuthsimTestApp {
        let dir = try sampleTenantCopy()
        for (path, content) in extra { try content.write(toFile: dir + "/" + path, atomically: true, encoding: .utf8) }
        if let tenantJSON { try tenantJSON.write(toFile: dir + "/tenant.json", atomically: true, encoding: .utf8) }
        return try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime, allowedHosts: allowedHosts)
    }

    @Test func hostileUserQueriesAnswer400AndTheDaemonStaysUp() async throws {
        try await InProcessDaemon.run { d in
            let hostile: [(name: String, q: String)] = [
                ("30,000 nested groups", String(repeating: "(", count: 30_000) + "name:ann" + String(repeating: ")", count: 30_000)),
                ("50,000 negations", String(repeating: "-", count: 50_000) + "name:ann"),
                ("50,000 NOTs", String(repeating: "NOT ", count: 50_000) + "name:ann"),
                ("2,000 terms", (0..<2_000).map { "name:n\($0)" }.joined(separator: " OR ")),
                ("33 nested field groups", "name:" + String(repeating: "(", count: 33) + "ann" + String(repeating: ")", count: 33)),
                ("70,000 characters", "name:" + String(repeating: "a", count: 70_000)),
            ]
            for h in hostile {
                let encoded = AuthsimTestClient.formEncode(h.q)
                let (status, body) = try await d.request("api/v2/users?q=" + encoded, token: d.token)
                #expect(status == 400, "\(h.name): \(status)")
                #expect(body["errorCode"] == "invalid_query_string", "\(h.name): \(body)")
                #expect(body["message"]?.stringValue?.hasPrefix("Query validation error:") == true, "\(h.name)")
            }
            // Within the limits: 1,000 terms ORed and 30 levels of groups still search.
            let many = (0..<998).map { "email:nobody\($0)@example.com" }.joined(separator: " OR ") + " OR email:ann@example.com OR email:bob@example.com"
            let (manyStatus, manyBody) = try await d.request("api/v2/users?fields=email&q=" + AuthsimTestClient.formEncode(many), token: d.token)
            #expect(manyStatus == 200)
            #expect(manyBody.arrayValue?.compactMap { $0["email"]?.stringValue }.sorted() == ["ann@example.com", "bob@example.com"])
            let deep = String(repeating: "(", count: 30) + "name:ann" + String(repeating: ")", count: 30)
            let (deepStatus, deepBody) = try await d.request("api/v2/users?fields=email&q=" + AuthsimTestClient.formEncode(deep), token: d.token)
            #expect(deepStatus == 200)
            #expect(deepBody.arrayValue?.count == 1)
            let (health, _) = try await d.request("healthz")
            #expect(health == 200)
        }
    }

    @Test func plusInTheQueryIsASpaceAsInForms() async throws {
        try await InProcessDaemon.run { d in
            // auth0-python, `requests` and URLSearchParams send spaces as '+'.
            let (status, body) = try await d.request("api/v2/users?fields=email&q=name:ann+OR+name:bob", token: d.token)
            #expect(status == 200)
            #expect(body.arrayValue?.compactMap { $0["email"]?.stringValue }.sorted() == ["ann@example.com", "bob@example.com"])
            // A plus sign in a value is sent as %2B.
            let create = #"{"email": "a+b@example.com", "password": "Passw0rd!long", "connection": "Username-Password-Authentication"}"#
            let (created, _) = try await d.request("api/v2/users", method: "POST", body: Data(create.utf8), token: d.token)
            #expect(created == 201)
            let (found, plus) = try await d.request("api/v2/users?fields=email&q=email:%22a%2Bb@example.com%22", token: d.token)
            #expect(found == 200)
            #expect(plus.arrayValue?.first?["email"] == "a+b@example.com")
            let (_, byEmail) = try await d.request("api/v2/users-by-email?email=a%2Bb%40example.com", token: d.token)
            #expect(byEmail.arrayValue?.count == 1)
        }
    }

    @Test func onlyServedHostNamesAreAnswered() async throws {
        let app = try await Self.app(allowedHosts: ["authsim.internal"])
        try await app.test { c in
            for host in ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.5", "[::2]:80", "authsim.test.evil.example"] {
                let r = try await c.send(.get, "healthz", headers: ["Host": host])
                #expect(r.status == 421, "\(host) got \(r.status)")
                #expect(r.json["errorCode"] == "invalid_host", "\(host)")
                #expect(r.json["error"] == "Misdirected Request")
            }
            // A rebinding page cannot get a token from the sample client's published secret either.
            let token = try await c.form(
                "oauth/token", ["grant_type": "client_credentials", "client_id": "sampleManagementClientId0000000", "client_secret": "sample-management-secret-change-me"],
                headers: ["Host": "rebind.attacker.example"])
            #expect(token.status == 421)
            #expect(token.json["access_token"] == nil)
            for host in ["localhost", "localhost:8080", "LOCALHOST.", "127.0.0.1:9", "127.1.2.3", "[::1]:8080", "app.localhost", "authsim.test", "sample.authsim.local", "authsim.internal:443"] {
                let r = try await c.send(.get, "healthz", headers: ["Host": host])
                #expect(r.status == 200, "\(host) got \(r.status)")
            }
        }
    }

    @Test func htmlPagesRefuseToBeFramed() async throws {
        try await InProcessDaemon.run { d in
            let page = try await d.client.send(
                .get, "authorize?response_type=code&client_id=\(InProcess.appClient)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid&state=s")
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(page.header("X-Frame-Options") == "DENY")
            #expect(page.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            let console = try await d.client.send(.get, "console/")
            #expect(console.header("X-Frame-Options") == "DENY")
            let json = try await d.client.send(.get, "healthz")
            #expect(json.header("X-Frame-Options") == nil, "JSON answers are not pages")
        }
    }

    /// A rule that writes Management scopes into every access token: a user's token must still
    /// reach only its own user, with end-user scopes.
    static let widenScope = [
        "rules/widen-scope.js": """
            function widenScope(user, context, callback) {
              context.accessToken.scope = ['read:users', 'delete:users', 'update:users', 'read:current_user', 'update:current_user_metadata', 'simulate:logins'];
              callback(null, user, context);
            }
            """,
        "rules/widen-scope.json": #"{"name": "widen-scope", "order": 99, "enabled": true}"#,
    ]

    @Test func aUsersTokenReachesOnlyItsOwnUserWithEndUserScopes() async throws {
        let app = try await Self.app(extra: Self.widenScope)
        try await app.test { c in
            let login = try await c.form("oauth/token", [
                "grant_type": "password", "username": "ann@example.com", "password": "Passw0rd!", "client_id": InProcess.appClient,
                "client_secret": InProcess.appSecret, "audience": AuthsimTestApp.issuer + "api/v2/", "scope": "openid",
            ])
            #expect(login.status == 200, "\(login.text)")
            let token = try #require(login.json["access_token"]?.stringValue)
            #expect(try JWT.decode(token).claims["scope"]?.stringValue?.contains("read:users") == true, "the rule did write the scope")
            // read:users / delete:users written by a rule open nothing.
            #expect(try await c.send(.get, "api/v2/users", token: token).status == 403)
            #expect(try await c.send(.delete, "api/v2/users/" + InProcess.bobPath, token: token).status == 403)
            #expect(try await c.send(.get, "api/v2/users/" + InProcess.bobPath, token: token).status == 403)
            #expect(try await c.send(.post, "api/authsim/simulate", body: #"{"user": "bob@example.com"}"#, token: token).status == 403)
            // read:current_user on its own user, and its own user_metadata only.
            let own = try await c.send(.get, "api/v2/users/" + InProcess.annPath, token: token)
            #expect(own.status == 200)
            #expect(own.json["email"] == "ann@example.com")
            let metadata = try await c.send(.patch, "api/v2/users/" + InProcess.annPath, body: #"{"user_metadata": {"theme": "dark"}}"#, token: token)
            #expect(metadata.status == 200)
            #expect(metadata.json["user_metadata"]?["theme"] == "dark")
            let appMetadata = try await c.send(.patch, "api/v2/users/" + InProcess.annPath, body: #"{"app_metadata": {"plan": "free"}}"#, token: token)
            #expect(appMetadata.status == 403)
            let blocked = try await c.send(.patch, "api/v2/users/" + InProcess.annPath, body: #"{"blocked": false, "user_metadata": {}}"#, token: token)
            #expect(blocked.status == 403)
        }
    }

    @Test func simulatedTokensAreRefusedByTheDaemonsOwnAPIs() async throws {
        let app = try await Self.app()
        let management = try app.managementToken()
        try await app.test { c in
            let sim = try await c.send(.post, "api/authsim/simulate", body: #"{"user": "ann@example.com", "scope": "openid profile"}"#, token: management)
            #expect(sim.status == 200)
            let access = try #require(sim.json["accessToken"]?["jwt"]?.stringValue)
            #expect(try JWT.decode(access).claims[ClaimFilter.simulatedMarker] == true)
            #expect(sim.json["idToken"]?["claims"]?[ClaimFilter.simulatedMarker] == true)
            let info = try await c.send(.get, "userinfo", token: access)
            #expect(info.status == 401)
            #expect(info.text.contains("simulation"))
        }
        // A tenant that opts in accepts them.
        let tenant = #"{"friendly_name": "t", "default_audience": "https://api.example.com", "authsim": {"domain": "sample.authsim.local", "accept_simulated_tokens": true}}"#
        let open = try await Self.app(tenantJSON: tenant)
        let token = try open.managementToken()
        try await open.test { c in
            let sim = try await c.send(.post, "api/authsim/simulate", body: #"{"user": "ann@example.com", "scope": "openid profile"}"#, token: token)
            let access = try #require(sim.json["accessToken"]?["jwt"]?.stringValue)
            let info = try await c.send(.get, "userinfo", token: access)
            #expect(info.status == 200)
            #expect(info.json["sub"] == .string(InProcess.ann))
        }
    }

    @Test func aRuleCannotSetTheSimulationMarker() async throws {
        let rule = [
            "rules/mark.js": "function mark(user, context, callback) { context.accessToken['urn:authsim:simulated'] = false; context.idToken['urn:authsim:x'] = 1; callback(null, user, context); }",
            "rules/mark.json": #"{"name": "mark", "order": 98, "enabled": true}"#,
        ]
        let app = try await Self.app(extra: rule)
        try await app.test { c in
            let login = try await c.form("oauth/token", [
                "grant_type": "password", "username": "ann@example.com", "password": "Passw0rd!", "client_id": InProcess.appClient,
                "client_secret": InProcess.appSecret, "audience": "https://api.example.com", "scope": "openid",
            ])
            #expect(login.status == 200)
            let access = try JWT.decode(try #require(login.json["access_token"]?.stringValue)).claims
            let id = try JWT.decode(try #require(login.json["id_token"]?.stringValue)).claims
            #expect(access[ClaimFilter.simulatedMarker] == nil)
            #expect(id["urn:authsim:x"] == nil)
        }
    }

    @Test func theDomainStyleManagementAudienceIsAccepted() async throws {
        try await InProcessDaemon.run { d in
            // The sample tenant's domain is sample.authsim.local; its issuer here is http://authsim.test/.
            let token = try #require(try await d.client.clientCredentials(
                clientId: "sampleManagementClientId0000000", secret: "sample-management-secret-change-me", audience: "https://sample.authsim.local/api/v2/"))
            let (status, users) = try await d.request("api/v2/users?per_page=1", token: token)
            #expect(status == 200)
            #expect(users.arrayValue?.count == 1)
        }
    }

    @Test func signupKeepsUserMetadataWithinAuth0sLimits() async throws {
        try await InProcessDaemon.run { d in
            func signup(_ email: String, _ metadata: String) async throws -> AuthsimTestResponse {
                try await d.client.send(
                    .post, "dbconnections/signup",
                    body: #"{"client_id": "\#(InProcess.appClient)", "email": "\#(email)", "password": "Passw0rd!long", "connection": "Username-Password-Authentication", "user_metadata": \#(metadata)}"#)
            }
            let ok = try await signup("zed@example.com", #"{"plan": "gold", "lang": "fr"}"#)
            #expect(ok.status == 200, "\(ok.text)")
            #expect(ok.json["user_metadata"] == ["plan": "gold", "lang": "fr"])
            let (_, stored) = try await d.request("api/v2/users-by-email?email=zed%40example.com", token: d.token)
            #expect(stored.arrayValue?.first?["user_metadata"] == ["plan": "gold", "lang": "fr"])
            let eleven = "{" + (0..<11).map { "\"k\($0)\": \"v\"" }.joined(separator: ", ") + "}"
            for (email, md) in [("a1@example.com", eleven), ("a2@example.com", #"{"n": 5}"#), ("a3@example.com", #"{"long": "\#(String(repeating: "x", count: 501))"}"#), ("a4@example.com", "[1]")] {
                let r = try await signup(email, md)
                #expect(r.status == 400, "\(md.prefix(40)): \(r.status)")
                #expect(r.json["code"] == "invalid_signup")
                let (_, none) = try await d.request("api/v2/users-by-email?email=" + email.replacingOccurrences(of: "@", with: "%40"), token: d.token)
                #expect(none.arrayValue?.isEmpty == true, "a refused sign-up stored nothing")
            }
        }
    }

    @Test func namesLongerThanAllowedAnswer400() async throws {
        try await InProcessDaemon.run { d in
            let long = String(repeating: "a", count: 5_000)
            let (rule, ruleBody) = try await d.request(
                "api/v2/rules", method: "POST", body: Data(#"{"name": "\#(long)", "script": "function (u, c, cb) { cb(null, u, c); }"}"#.utf8), token: d.token)
            #expect(rule == 400)
            #expect(ruleBody["message"]?.stringValue?.contains("at most 128 characters") == true)
            let (action, _) = try await d.request(
                "api/v2/actions/actions", method: "POST",
                body: Data(#"{"name": "\#(long)", "code": "exports.onExecutePostLogin = async () => {};", "supported_triggers": [{"id": "post-login", "version": "v3"}]}"#.utf8),
                token: d.token)
            #expect(action == 400)
            let fits = String(repeating: "b", count: 128)
            let (ok, _) = try await d.request(
                "api/v2/rules", method: "POST", body: Data(#"{"name": "\#(fits)", "script": "function (u, c, cb) { cb(null, u, c); }"}"#.utf8), token: d.token)
            #expect(ok == 201)
        }
    }

    static func password(_ c: AuthsimTestClient, _ username: String, _ password: String) async throws -> AuthsimTestResponse {
        try await c.form("oauth/token", [
            "grant_type": "password", "username": username, "password": password, "client_id": InProcess.appClient, "client_secret": InProcess.appSecret,
            "scope": "openid",
        ])
    }

    @Test func bruteForceProtectionBlocksAfterTenFailuresUntilUnblocked() async throws {
        let app = try await Self.app()
        let token = try app.managementToken()
        try await app.test { c in
            // Nine failures, then the right password: the count starts again.
            for _ in 0..<9 { #expect(try await Self.password(c, "bob@example.com", "wrong").status == 403) }
            #expect(try await Self.password(c, "bob@example.com", "Passw0rd!").status == 200)
            // Ten consecutive failures block bob from this IP; the right password is refused too.
            for i in 0..<10 {
                let r = try await Self.password(c, "bob@example.com", "wrong")
                #expect(r.status == 403, "failure \(i + 1)")
                #expect(r.json["error"] == "invalid_grant")
            }
            let blocked = try await Self.password(c, "bob@example.com", "Passw0rd!")
            #expect(blocked.status == 429)
            #expect(blocked.json["error"] == "too_many_attempts")
            // The login page says so too.
            let browser = AuthsimTestBrowser(c)
            let page = try await browser.get("authorize?response_type=code&client_id=\(InProcess.appClient)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid&state=s")
            let tx = try #require(InProcessRouteTests.Run.tx(page.text))
            let form = try await browser.submit("authorize/login", ["tx": tx, "username": "bob@example.com", "password": "Passw0rd!"])
            #expect(form.text.contains("blocked after multiple consecutive login attempts"))
            // Other users are not affected.
            #expect(try await Self.password(c, "ann@example.com", "Passw0rd!").status == 200)
            // The block is logged (limit_wc) and listed; an administrator lifts it.
            let logs = try await c.send(.get, "api/v2/logs?q=type:limit_wc", token: token)
            #expect(logs.json.arrayValue?.contains { $0["user_name"] == "bob@example.com" } == true)
            let listed = try await c.send(.get, "api/v2/user-blocks/" + InProcess.bobPath, token: token)
            #expect(listed.json["blocked_for"]?.arrayValue?.count == 1)
            #expect(listed.json["blocked_for"]?.arrayValue?.first?["ip"] == "127.0.0.1")
            #expect(try await c.send(.delete, "api/v2/user-blocks/" + InProcess.bobPath, token: token).status == 204)
            #expect(try await Self.password(c, "bob@example.com", "Passw0rd!").status == 200)
        }
    }

    @Test func attackProtectionSettingsComeFromTheTenantWithAuth0sNames() async throws {
        let tenant = #"""
            {"friendly_name": "t", "default_audience": "https://api.example.com", "authsim": {"domain": "sample.authsim.local"},
             "attack_protection": {"brute_force_protection": {"max_attempts": 3, "mode": "count_per_identifier"},
                                   "suspicious_ip_throttling": {"stage": {"pre-login": {"max_attempts": 5, "rates": 86400000}, "pre-user-registration": {"max_attempts": 2, "rates": 86400000}}}}}
            """#
        let app = try await Self.app(tenantJSON: tenant)
        let token = try app.managementToken()
        try await app.test { c in
            for _ in 0..<3 { #expect(try await Self.password(c, "bob@example.com", "wrong").status == 403) }
            #expect(try await Self.password(c, "bob@example.com", "Passw0rd!").status == 429, "blocked after 3 (from any IP)")
            let listed = try await c.send(.get, "api/v2/user-blocks?identifier=bob%40example.com", token: token)
            #expect(listed.json["blocked_for"]?.arrayValue?.first?["ip"] == .null, "count_per_identifier blocks from every IP")
            // Two more failures (other identifiers) empty this IP's pre-login bucket of 5.
            #expect(try await Self.password(c, "x1@example.com", "wrong").status == 403)
            #expect(try await c.send(.get, "api/v2/anomaly/blocks/ips/127.0.0.1", token: token).status == 404)
            #expect(try await Self.password(c, "x2@example.com", "wrong").status == 403)
            #expect(try await c.send(.get, "api/v2/anomaly/blocks/ips/127.0.0.1", token: token).status == 200)
            let throttled = try await Self.password(c, "ann@example.com", "Passw0rd!")
            #expect(throttled.status == 429)
            #expect(throttled.json["error_description"]?.stringValue?.contains("suspicious") == true)
            let logs = try await c.send(.get, "api/v2/logs?q=type:limit_mu", token: token)
            #expect(logs.json.arrayValue?.isEmpty == false)
            #expect(try await c.send(.delete, "api/v2/anomaly/blocks/ips/127.0.0.1", token: token).status == 204)
            #expect(try await Self.password(c, "ann@example.com", "Passw0rd!").status == 200)
            // Sign-ups: two from one IP, then 429.
            func signup(_ email: String) async throws -> Int {
                try await c.send(
                    .post, "dbconnections/signup",
                    body: #"{"client_id": "\#(InProcess.appClient)", "email": "\#(email)", "password": "Passw0rd!long", "connection": "Username-Password-Authentication"}"#).status
            }
            #expect(try await signup("s1@example.com") == 200)
            #expect(try await signup("s2@example.com") == 200)
            #expect(try await signup("s3@example.com") == 429)
        }
        // Bad settings name the file and the field.
        let bad = #"{"authsim": {"domain": "x.local"}, "attack_protection": {"brute_force_protection": {"max_attempts": 1000}}}"#
        await #expect(throws: (any Error).self) { _ = try await Self.app(tenantJSON: bad) }
    }

    @Test func attackProtectionSettingsChangeThroughTheManagementAPI() async throws {
        let app = try await Self.app()
        let token = try app.managementToken()
        let readOnly = try app.managementToken(scopes: ["read:attack_protection"])
        let file = app.pipeline.tenant.directory + "/attack-protection/brute-force-protection.json"
        try await app.test { c in
            let path = "api/v2/attack-protection/brute-force-protection"
            #expect(try await c.send(.patch, path, body: #"{"max_attempts": 2}"#, token: readOnly).status == 403)
            // Refused changes leave everything as it was.
            for body in [#"{"max_attempts": 101}"#, #"{"mode": "per_moon_phase"}"#, #"{"allowlist": ["10.0.0.0/33"]}"#, #"{"shields": ["block", "launch"]}"#,
                         #"{"enabled": "yes"}"#, #"{"unknown_field": 1}"#, #"[1]"#, #"{"max_attempts": 1e300}"#, #"{"max_attempts": 2.5}"#] {
                let r = try await c.send(.patch, path, body: body, token: token)
                #expect(r.status == 400, "\(body): \(r.status)")
                #expect(r.json["errorCode"] == "invalid_body", "\(body)")
            }
            #expect(!FileManager.default.fileExists(atPath: file))
            #expect(try await c.send(.get, path, token: readOnly).json["max_attempts"] == 10)
            // A change lands in the tenant's files and takes effect at once.
            let changed = try await c.send(.patch, path, body: #"{"max_attempts": 2, "allowlist": ["203.0.113.0/24"]}"#, token: token)
            #expect(changed.status == 200)
            #expect(changed.json["max_attempts"] == 2)
            #expect(changed.json["allowlist"] == ["203.0.113.0/24"])
            #expect(changed.json["shields"] == ["block", "user_notification"], "fields not given are kept")
            let written = try JSONValue.parse(try String(contentsOfFile: file, encoding: .utf8))
            #expect(written["max_attempts"] == 2)
            for _ in 0..<2 { #expect(try await Self.password(c, "bob@example.com", "wrong").status == 403) }
            #expect(try await Self.password(c, "bob@example.com", "Passw0rd!").status == 429)
            #expect(try await c.send(.get, path, token: readOnly).json["max_attempts"] == 2)
        }
    }

    @Test func aClientTokenIsCheckedAgainstItsGrantAtEveryUse() async throws {
        let app = try await Self.app()
        let grantFile = app.pipeline.tenant.directory + "/client-grants/management-api.json"
        try await app.test { c in
            let token = try #require(try await c.clientCredentials(clientId: "sampleManagementClientId0000000", secret: "sample-management-secret-change-me"))
            #expect(try await c.send(.get, "api/v2/users", token: token).status == 200)
            #expect(try await c.send(.get, "api/v2/rules", token: token).status == 200)
            // The grant is narrowed: the token keeps only what the grant still allows.
            try #"{"client_id": "authsim Management", "audience": "https://sample.authsim.local/api/v2/", "scope": ["read:rules"]}"#
                .write(toFile: grantFile, atomically: true, encoding: .utf8)
            try await app.pipeline.reload()
            let narrowed = try await c.send(.get, "api/v2/users", token: token)
            #expect(narrowed.status == 403)
            #expect(narrowed.json["errorCode"] == "insufficient_scope")
            #expect(try await c.send(.get, "api/v2/rules", token: token).status == 200)
            // Narrowed from update:users to update:users_app_metadata: the token, which still
            // says update:users, may change a user's metadata and nothing else.
            try #"{"client_id": "authsim Management", "audience": "https://sample.authsim.local/api/v2/", "scope": ["read:rules", "update:users_app_metadata"]}"#
                .write(toFile: grantFile, atomically: true, encoding: .utf8)
            try await app.pipeline.reload()
            let user = "api/v2/users/auth0%7C5f7c8ec7c33c6c004bbafe83"
            let renamed = try await c.send(.patch, user, body: #"{"name": "Robert"}"#, token: token)
            #expect(renamed.status == 403)
            #expect(renamed.json["errorCode"] == "insufficient_scope")
            #expect(try await c.send(.patch, user, body: #"{"app_metadata": {"plan": "gold"}}"#, token: token).status == 200)
            let stored = try await app.pipeline.store.user(id: "auth0|5f7c8ec7c33c6c004bbafe83")
            #expect(stored?.name == "Bob Builder")
            #expect(stored?.appMetadata["plan"] == "gold")
            // The grant is removed: nothing is left.
            try FileManager.default.removeItem(atPath: grantFile)
            try await app.pipeline.reload()
            let removed = try await c.send(.get, "api/v2/rules", token: token)
            #expect(removed.status == 403)
            #expect(removed.json["message"]?.stringValue?.contains("grant") == true)
            // The daemon's own token is not issued on a grant and keeps its scopes.
            #expect(try await c.send(.get, "api/v2/users", token: try app.managementToken()).status == 200)
        }
    }

    @Test func theAllowlistIsNeverCounted() async throws {
        let tenant = #"""
            {"authsim": {"domain": "sample.authsim.local"}, "attack_protection": {"brute_force_protection": {"max_attempts": 2, "allowlist": ["127.0.0.0/8", "::1"]}}}
            """#
        let app = try await Self.app(tenantJSON: tenant)
        try await app.test { (c: AuthsimTestClient) async throws in
            for _ in 0..<5 { #expect(try await Self.password(c, "bob@example.com", "wrong").status == 403) }
            #expect(try await Self.password(c, "bob@example.com", "Passw0rd!").status == 200)
        }
    }

    @Test func aStoreFileRemovedOrMadeReadOnlyIsReportedAndNoWriteIsAcknowledged() async throws {
        let removed = try await Self.app()
        let token = try removed.managementToken()
        try await removed.test { c in
            #expect(try await c.send(.get, "healthz").status == 200)
            try FileManager.default.removeItem(atPath: removed.storePath)
            let health = try await c.send(.get, "healthz")
            #expect(health.status == 503)
            #expect(health.json["status"] == "unhealthy")
            #expect(health.json["problem"]?.stringValue?.contains("was removed") == true)
            let create = try await c.send(.post, "api/v2/users", body: #"{"email": "lost@example.com", "password": "Passw0rd!long", "connection": "Username-Password-Authentication"}"#, token: token)
            #expect(create.status == 503)
            #expect(create.json["errorCode"] == "store_unavailable")
            #expect(try await Self.password(c, "ann@example.com", "Passw0rd!").status == 503)
            // What needs no store is still served.
            #expect(try await c.send(.get, ".well-known/jwks.json").status == 200)
        }
        let readOnly = try await Self.app()
        let token2 = try readOnly.managementToken()
        try await readOnly.test { c in
            chmod(readOnly.storePath, 0o400)
            let refused = try await c.send(.post, "api/v2/users", body: #"{"email": "ro@example.com", "password": "Passw0rd!long", "connection": "Username-Password-Authentication"}"#, token: token2)
            #expect(refused.status == 503)
            #expect(refused.json["message"]?.stringValue?.contains("read-only") == true)
            chmod(readOnly.storePath, 0o600)
            #expect(try await c.send(.get, "healthz").status == 200)
            let none = try await c.send(.get, "api/v2/users-by-email?email=ro%40example.com", token: token2)
            #expect(none.status == 200)
            #expect(none.json == [], "the refused write was not made")
        }
    }

    @Test func aFullDiskAnswers503AndTheNextWriteWithRoomSucceeds() async throws {
        let app = try await Self.app()
        let token = try app.managementToken()
        let store = try #require(app.pipeline.store as? SQLiteUserStore)
        try await store.limitPages(1)  // the file may not grow: SQLite answers SQLITE_FULL
        try await app.test { c in
            var statuses: [Int] = []
            for i in 0..<300 {
                let profile = #"{"email": "full\#(i)@example.com", "password": "Passw0rd!long", "connection": "Username-Password-Authentication", "user_metadata": {"pad": "\#(String(repeating: "x", count: 2000))"}}"#
                let r = try await c.send(.post, "api/v2/users", body: profile, token: token)
                statuses.append(r.status)
                if r.status != 201 {
                    #expect(r.status == 503, "\(r.text)")
                    #expect(r.json["message"]?.stringValue?.contains("full") == true)
                    break
                }
            }
            #expect(statuses.last == 503, "the store filled up: \(statuses.count) tries")
            // While it stays full, every write that does not fit is refused the same way.
            let again = try await c.send(.post, "api/v2/users", body: #"{"email": "again@example.com", "password": "Passw0rd!long", "connection": "Username-Password-Authentication", "user_metadata": {"pad": "\#(String(repeating: "y", count: 4000))"}}"#, token: token)
            #expect(again.status == 503)
            let lost = try await c.send(.get, "api/v2/users-by-email?email=again%40example.com", token: token)
            #expect(lost.json == [], "nothing acknowledged, nothing kept")
            // Room again: the next write goes through and the daemon is healthy.
            try await store.limitPages(1_000_000)
            let r = try await c.send(.post, "api/v2/users", body: #"{"email": "room@example.com", "password": "Passw0rd!long", "connection": "Username-Password-Authentication"}"#, token: token)
            #expect(r.status == 201)
            #expect(try await c.send(.get, "healthz").status == 200)
        }
    }
}
