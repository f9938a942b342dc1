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

/// Rule and action redirects through `/continue` in a browser flow, `interaction_required` for
/// password grants, and the migration comparison through the CLI and the simulation API.
@Suite(.serialized) struct ActionsHTTPTests {
    static let secret = "consent-site-shared-secret"

    /// A copy of the sample tenant with a consent rule and a post-login action that redirect.
    func redirectingTenant() throws -> String {
        let dir = try HotReloadTests().copyOfSampleTenant()
        try """
            function consent(user, context, callback) {
              if (context.protocol === 'redirect-callback') {
                context.idToken['https://example.com/consented'] = context.request.query.consent === 'yes';
                return callback(null, user, context);
              }
              context.redirect = { url: 'https://consent.example/ask' };
              callback(null, user, context);
            }
            """.write(toFile: dir + "/rules/consent.js", atomically: true, encoding: .utf8)
        try #"{"name": "consent", "order": 10, "enabled": true}"#.write(toFile: dir + "/rules/consent.json", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/actions/survey", withIntermediateDirectories: true)
        try """
            exports.onExecutePostLogin = async (event, api) => {
              api.user.setUserMetadata('survey_started', true);
              api.redirect.sendUserTo('https://survey.example/start', { query: { user: event.user.email } });
            };
            exports.onContinuePostLogin = async (event, api) => {
              const payload = api.redirect.validateToken({ secret: event.secrets.SURVEY_SECRET, tokenParameterName: 'session_token' });
              api.idToken.setCustomClaim('https://example.com/survey', payload.answer);
              api.idToken.setCustomClaim('https://example.com/tx', [event.transaction.state, event.transaction.redirect_uri]);
            };
            """.write(toFile: dir + "/actions/survey/code.js", atomically: true, encoding: .utf8)
        try """
            {"name": "survey", "code": "./actions/survey/code.js", "secrets": [{"name": "SURVEY_SECRET", "value": "\(Self.secret)"}],
             "supported_triggers": [{"id": "post-login", "version": "v3"}]}
            """.write(toFile: dir + "/actions/survey.json", atomically: true, encoding: .utf8)
        try """
            {"post-login": [{"action_name": "survey"}], "credentials-exchange": [{"action_name": "add-client-claims"}]}
            """.write(toFile: dir + "/triggers/triggers.json", atomically: true, encoding: .utf8)
        return dir
    }

    /// An HS256 token as the redirect target would sign it.
    func sessionToken(_ claims: JSONValue) -> String {
        func b64(_ d: Data) -> String {
            d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let input = b64(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + b64(Data(claims.serialized().utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(Self.secret.utf8)))
        return input + "." + b64(Data(mac))
    }

    @Test func ruleThenActionRedirectsResumeThroughContinue() async throws {
        let d = try await listeningApp(tenant: try redirectingTenant())
        defer { d.terminate() }
        let flow = AuthorizeFlowTests()
        let b = Browser()
        let login = try await b.go(flow.authorizeURL(d, ["state": "app-state", "nonce": "n"]))
        let tx = try #require(flow.tx(login))
        let toConsent = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(tx)&username=ann%40example.com&password=Passw0rd%21")
        #expect(toConsent.status == 302)
        let consentURL = try #require(toConsent.location)
        #expect(consentURL.hasPrefix("https://consent.example/ask?state="))
        let ruleState = try #require(flow.query(consentURL)["state"])

        // Back from the consent page: rules re-run as redirect-callback, then the action redirects.
        let toSurvey = try await b.go(URL(string: d.base.absoluteString + "/continue?state=\(ruleState)&consent=yes")!)
        #expect(toSurvey.status == 302)
        let surveyURL = try #require(toSurvey.location)
        #expect(surveyURL.hasPrefix("https://survey.example/start?"))
        let surveyQuery = flow.query(surveyURL)
        #expect(surveyQuery["user"] == "ann@example.com")
        let actionState = try #require(surveyQuery["state"])
        // The metadata the action queued was saved before the redirect.
        let (_, users) = try await d.request("api/v2/users-by-email?email=ann%40example.com", token: d.token)
        #expect(users.arrayValue?.first?["user_metadata"]?["survey_started"] == true)

        // Another browser cannot use the state.
        let stranger = try await Browser().go(URL(string: d.base.absoluteString + "/continue?state=\(actionState)")!)
        #expect(stranger.status == 400)
        // A token for another transaction is refused by validateToken.
        let forged = sessionToken(["state": "someone-else", "answer": "no", "exp": .number(Date().timeIntervalSince1970 + 60)])
        let refused = try await b.go(URL(string: d.base.absoluteString + "/continue?state=\(actionState)&session_token=\(forged)")!)
        #expect(refused.status == 302)
        #expect(flow.query(refused.location)["error"] == "access_denied")
        // The state was used up: the same continue cannot be replayed.
        let replay = try await b.go(URL(string: d.base.absoluteString + "/continue?state=\(actionState)")!)
        #expect(replay.status == 400)

        // Again, this time answering properly.
        let login2 = try await b.go(flow.authorizeURL(d, ["state": "app-state-2", "nonce": "n2", "prompt": "login"]))
        let tx2 = try #require(flow.tx(login2))
        let c2 = try await b.go(d.base.appendingPathComponent("authorize/login"), form: "tx=\(tx2)&username=ann%40example.com&password=Passw0rd%21")
        let s2 = try #require(flow.query(c2.location)["state"])
        let v2 = try await b.go(URL(string: d.base.absoluteString + "/continue?state=\(s2)&consent=yes")!)
        let a2 = try #require(flow.query(v2.location)["state"])
        let token = sessionToken(["state": .string(a2), "answer": "42", "exp": .number(Date().timeIntervalSince1970 + 60)])
        let done = try await b.go(URL(string: d.base.absoluteString + "/continue?state=\(a2)&session_token=\(token)")!)
        #expect(done.status == 302)
        #expect(done.location?.hasPrefix(AuthorizeFlowTests.callback) == true)
        let back = flow.query(done.location)
        #expect(back["state"] == "app-state-2")
        let (status, tokens) = try await flow.exchange(d, code: try #require(back["code"]), verifier: nil)
        #expect(status == 200)
        let claims = try JWT.decode(try #require(tokens["id_token"]?.stringValue)).claims
        #expect(claims["https://example.com/consented"] == true)
        #expect(claims["https://example.com/survey"] == "42")
        #expect(claims["https://example.com/tx"] == ["app-state-2", .string(AuthorizeFlowTests.callback)])
        #expect(claims["https://example.com/roles"] == ["admin", "editor"])
    }

    @Test func passwordGrantGetsInteractionRequired() async throws {
        let d = try await listeningApp(tenant: try redirectingTenant())
        defer { d.terminate() }
        var r = URLRequest(url: d.base.appendingPathComponent("oauth/token"))
        r.httpMethod = "POST"
        r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        r.httpBody = Data("grant_type=password&username=ann%40example.com&password=Passw0rd%21&client_id=sampleAppClientId00000000000000&client_secret=sample-app-client-secret-change-me".utf8)
        let (data, response) = try await URLSession.shared.data(for: r)
        let body = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        #expect((response as! HTTPURLResponse).statusCode == 400)
        #expect(body["error"] == "interaction_required")
        #expect(body["error_description"]?.stringValue?.contains("a rule asked for a redirect") == true)
    }

    @Test func compareThroughTheAPIAndTheCLI() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let body = #"""
            {"rules": ["add-roles-to-tokens", "require-verified-email", "metadata-claims", "geoip-country", "track-first-login"],
             "actions": ["require-verified-email", "add-roles-to-tokens", "metadata-claims", "geoip-country", "track-first-login"],
             "request": {"user": "ann@example.com", "request": {"ip": "81.2.69.160"}}}
            """#
        let (s, r) = try await d.request("api/authsim/compare", method: "POST", body: Data(body.utf8), token: d.token)
        #expect(s == 200)
        #expect(r["same"] == true)
        #expect(r["differences"] == [])
        #expect(r["actions"]?["trace"]?.arrayValue?.count == 5)
        let (bad, e) = try await d.request("api/authsim/compare", method: "POST", body: Data(#"{"rules": ["nope"], "actions": [], "request": {"user": "ann@example.com"}}"#.utf8), token: d.token)
        #expect(bad == 400)
        #expect(e["message"]?.stringValue?.contains("unknown or disabled rule 'nope'") == true)

        let store = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-cmp-\(UUID().uuidString).sqlite").path
        let cli = CLITests()
        let same = try await cli.authsim(["compare", "--tenant", CLITests.root.path, "--store", store, "--user", "bob@example.com",
            "--rules", "add-roles-to-tokens,metadata-claims", "--actions", "add-roles-to-tokens,metadata-claims"], store: store)
        #expect(same.status == 0)
        #expect(same.stdout.contains("No difference"))
        let differs = try await cli.authsim(["compare", "--tenant", CLITests.root.path, "--store", store, "--user", "bob@example.com",
            "--rules", "add-roles-to-tokens,metadata-claims", "--actions", "add-roles-to-tokens", "--strict"], store: store)
        #expect(differs.status == 1)
        #expect(differs.stdout.contains("access_token https://example.com/plan"))
        #expect(differs.stdout.contains("id_token https://example.com/plan"))
    }
}

/// Actions managed at run time through the Management API: written to the tenant directory,
/// deployed, bound and picked up without a restart.
@Suite(.serialized) struct ActionsManagementAPITests {
    func simulateClaim(_ d: some HTTPDaemon) async throws -> JSONValue? {
        let (s, r) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "bob@example.com"}"#.utf8), token: d.token)
        #expect(s == 200)
        return r["idToken"]?["claims"]?["https://example.com/greet"]
    }

    func send(_ d: some HTTPDaemon, _ path: String, _ method: String, _ body: String) async throws -> (Int, JSONValue) {
        try await d.request(path, method: method, body: Data(body.utf8), token: d.token)
    }

    @Test func createDeployBindUpdateAndRedeploy() async throws {
        let tenant = try HotReloadTests().copyOfSampleTenant()
        let d = try await listeningApp(tenant: tenant)
        defer { d.terminate() }
        let code = { (v: String) in #"exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/greet', '\#(v)' + ':' + event.secrets.GREETING); };"# }
        let create = JSONValue.object([
            "name": "greet", "code": .string(code("v1")), "supported_triggers": [["id": "post-login", "version": "v3"]],
            "secrets": [["name": "GREETING", "value": "hello"]],
        ]).serialized()
        let (created, action) = try await send(d, "api/v2/actions/actions", "POST", create)
        #expect(created == 201)
        #expect(action["deployed"] == false)
        #expect(action["secrets"] == [["name": "GREETING"]])
        let id = try #require(action["id"]?.stringValue)
        let (dup, _) = try await send(d, "api/v2/actions/actions", "POST", create)
        #expect(dup == 409)

        let bind = #"{"bindings": [{"ref": {"type": "action_name", "value": "greet"}, "display_name": "greet"}]}"#
        let (notDeployed, e) = try await send(d, "api/v2/actions/triggers/post-login/bindings", "PATCH", bind)
        #expect(notDeployed == 400)
        #expect(e["message"]?.stringValue?.contains("deploy it first") == true)

        let (deployed, version) = try await send(d, "api/v2/actions/actions/\(id)/deploy", "POST", "{}")
        #expect(deployed == 201)
        #expect(version["number"] == 1)
        let (bound, bindings) = try await send(d, "api/v2/actions/triggers/post-login/bindings", "PATCH", bind)
        #expect(bound == 200)
        #expect(bindings["bindings"]?.arrayValue?.first?["action"]?["name"] == "greet")
        #expect(try await simulateClaim(d) == "v1:hello")

        // A saved change is a draft: the bound action keeps running the deployed code.
        let (patched, draft) = try await send(d, "api/v2/actions/actions/\(id)", "PATCH", JSONValue.object(["code": .string(code("v2"))]).serialized())
        #expect(patched == 200)
        #expect(draft["all_changes_deployed"] == false)
        #expect(draft["code"]?.stringValue?.contains("v2") == true)
        #expect(try await simulateClaim(d) == "v1:hello")
        let (_, v2) = try await send(d, "api/v2/actions/actions/\(id)/deploy", "POST", "{}")
        #expect(v2["number"] == 2)
        #expect(try await simulateClaim(d) == "v2:hello")

        // Code that does not compile is refused at deploy, and the deployed version stays.
        _ = try await send(d, "api/v2/actions/actions/\(id)", "PATCH", #"{"code": "exports.onExecutePostLogin = async (event, api) => { const = 1; };"}"#)
        let (broken, be) = try await send(d, "api/v2/actions/actions/\(id)/deploy", "POST", "{}")
        #expect(broken == 400)
        #expect(be["message"]?.stringValue?.contains("actions/greet/code.js") == true)
        #expect(try await simulateClaim(d) == "v2:hello")

        // Persisted as deploy-cli files; listed; bound actions are not deleted by accident.
        let onDisk = try String(contentsOfFile: tenant + "/actions/greet/code.js", encoding: .utf8)
        #expect(onDisk.contains("v2"))
        let triggers = try JSONValue.parse(try String(contentsOfFile: tenant + "/triggers/triggers.json", encoding: .utf8))
        #expect(triggers["post-login"]?.arrayValue?.first?["action_name"] == "greet")
        let (_, list) = try await d.request("api/v2/actions/actions?triggerId=post-login", token: d.token)
        #expect(list["actions"]?.arrayValue?.contains { $0["name"] == "greet" } == true)
        let (_, gotBindings) = try await d.request("api/v2/actions/triggers/post-login/bindings", token: d.token)
        #expect(gotBindings["total"] == 1)
        let (refused, _) = try await d.request("api/v2/actions/actions/\(id)", method: "DELETE", token: d.token)
        #expect(refused == 409)
        let (forced, _) = try await d.request("api/v2/actions/actions/\(id)?force=true", method: "DELETE", token: d.token)
        #expect(forced == 204)
        #expect(try await simulateClaim(d) == nil)
    }
}

/// Sign-up (API and login page) with pre/post-user-registration actions, and post-change-password.
@Suite(.serialized) struct RegistrationTriggersTests {
    func tenant() throws -> String {
        let dir = try HotReloadTests().copyOfSampleTenant()
        let actions: [(String, String, String)] = [
            ("screen", "pre-user-registration", """
                exports.onExecutePreUserRegistration = async (event, api) => {
                  if (event.user.email.endsWith('@blocked.example')) return api.access.deny('blocked_domain', 'Sign-ups from this domain are closed.');
                  if (event.request.body.given_name === 'Invalid') return api.validation.error('invalid_given_name', 'Choose another first name.');
                  api.user.setAppMetadata('plan', 'trial');
                  api.user.setAppMetadata('signup_country', event.request.geoip.countryCode);
                  api.user.setAppMetadata('password_in_body', 'password' in event.request.body);
                  api.user.setUserMetadata('signed_up_from', event.client.name);
                };
                """),
            ("welcome", "post-user-registration", "exports.onExecutePostUserRegistration = async (event) => { console.log('welcome', event.user.email); };"),
            ("audit-password", "post-change-password", "exports.onExecutePostChangePassword = async (event) => { console.log('password changed for', event.user.user_id); };"),
        ]
        var bindings: [String: JSONValue] = [:]
        for (name, trigger, code) in actions {
            try FileManager.default.createDirectory(atPath: dir + "/actions/\(name)", withIntermediateDirectories: true)
            try code.write(toFile: dir + "/actions/\(name)/code.js", atomically: true, encoding: .utf8)
            try #"{"name": "\#(name)", "supported_triggers": [{"id": "\#(trigger)", "version": "v2"}]}"#.write(toFile: dir + "/actions/\(name).json", atomically: true, encoding: .utf8)
            bindings[trigger] = [["action_name": .string(name)]]
        }
        try JSONValue.object(bindings).serialized().write(toFile: dir + "/triggers/triggers.json", atomically: true, encoding: .utf8)
        // New users have not verified their email: let them log in for these tests.
        try #"{"name": "require-verified-email", "order": 2, "enabled": false}"#.write(toFile: dir + "/rules/require-verified-email.json", atomically: true, encoding: .utf8)
        return dir
    }

    func signup(_ d: some HTTPDaemon, _ email: String, password: String = "correct-horse-battery", givenName: String = "New") async throws -> (Int, JSONValue) {
        let body = JSONValue.object([
            "client_id": "sampleAppClientId00000000000000", "connection": "Username-Password-Authentication", "email": .string(email),
            "password": .string(password), "given_name": .string(givenName),
        ]).serialized()
        return try await d.request("dbconnections/signup", method: "POST", body: Data(body.utf8))
    }

    @Test func signupRunsRegistrationActions() async throws {
        let d = try await listeningApp(tenant: try tenant())
        defer { d.terminate() }
        let (s, created) = try await signup(d, "new@example.com")
        #expect(s == 200)
        #expect(created["email"] == "new@example.com")
        #expect(created["given_name"] == "New")
        let (_, users) = try await d.request("api/v2/users-by-email?email=new%40example.com", token: d.token)
        let user = try #require(users.arrayValue?.first)
        // event.request: the body (without the password) and the geo-IP record of the caller's address.
        #expect(user["app_metadata"] == ["plan": "trial", "signup_country": "US", "password_in_body": false])
        #expect(user["user_metadata"] == ["signed_up_from": "My App"])
        #expect(user["user_id"] == .string("auth0|" + (created["_id"]?.stringValue ?? "")))

        // The ss log event points at a trace with both registration actions.
        let (_, logs) = try await d.request("api/v2/logs?per_page=100", token: d.token)
        let traceId = try #require(logs.arrayValue?.first { $0["type"] == "ss" }?["details"]?["traceId"]?.stringValue)
        let (_, trace) = try await d.request("api/authsim/traces/\(traceId)", token: d.token)
        #expect(trace["trace"]?.arrayValue?.map { $0["trigger"]?.stringValue ?? "" } == ["pre-user-registration", "post-user-registration"])
        #expect(trace["trace"]?.arrayValue?.last?["console"]?.arrayValue?.first?["message"] == "welcome new@example.com")

        // Refusals: the action's deny, a duplicate, a weak password.
        let (denied, de) = try await signup(d, "x@blocked.example")
        #expect(denied == 400)
        #expect(de["code"] == "extensibility_error")
        #expect(de["description"] == "Sign-ups from this domain are closed.")
        let (invalid, ie) = try await signup(d, "valid@example.com", givenName: "Invalid")
        #expect(invalid == 400)
        #expect(ie["name"] == "ValidationError")
        #expect(ie["code"] == "invalid_given_name")
        #expect(ie["description"] == "Choose another first name.")
        let (dup, dupe) = try await signup(d, "new@example.com")
        #expect(dup == 400)
        #expect(dupe["code"] == "invalid_signup")
        let (weak, we) = try await signup(d, "weak@example.com", password: "short")
        #expect(weak == 400)
        #expect(we["code"] == "invalid_password")
        let (_, failures) = try await d.request("api/v2/logs?q=type%3Afs&include_totals=true", token: d.token)
        #expect(failures["total"] == 4)
        #expect(failures["logs"]?.arrayValue?.allSatisfy { $0["type"] == "fs" } == true)
        let (badQuery, bq) = try await d.request("api/v2/logs?q=type%3A(", token: d.token)
        #expect(badQuery == 400)
        #expect(bq["errorCode"] == "invalid_query_string")

        // The new user logs in with the password.
        var r = URLRequest(url: d.base.appendingPathComponent("oauth/token"))
        r.httpMethod = "POST"
        r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        r.httpBody = Data("grant_type=password&username=new%40example.com&password=correct-horse-battery&client_id=sampleAppClientId00000000000000&client_secret=sample-app-client-secret-change-me".utf8)
        let (_, response) = try await URLSession.shared.data(for: r)
        #expect((response as! HTTPURLResponse).statusCode == 200)
    }

    @Test func signupFromTheLoginPageThenPasswordChange() async throws {
        let d = try await listeningApp(tenant: try tenant())
        defer { d.terminate() }
        let flow = AuthorizeFlowTests()
        let b = Browser()
        let login = try await b.go(flow.authorizeURL(d, ["state": "s1", "nonce": "n1"]))
        let tx = try #require(flow.tx(login))
        #expect(login.body.contains("/authorize/signup?tx=\(tx)"))
        let form = try await b.go(URL(string: d.base.absoluteString + "/authorize/signup?tx=\(tx)")!)
        #expect(form.status == 200)
        #expect(form.body.contains("Sign up"))
        let refused = try await b.go(d.base.appendingPathComponent("authorize/signup"), form: "tx=\(tx)&email=a%40blocked.example&password=long-enough-pw")
        #expect(refused.status == 200)
        #expect(refused.body.contains("Sign-ups from this domain are closed."))
        let done = try await b.go(d.base.appendingPathComponent("authorize/signup"), form: "tx=\(tx)&email=browser%40example.com&password=long-enough-pw")
        #expect(done.status == 302)
        #expect(flow.query(done.location)["code"] != nil)
        #expect(flow.query(done.location)["state"] == "s1")

        let (_, users) = try await d.request("api/v2/users-by-email?email=browser%40example.com", token: d.token)
        let id = try #require(users.arrayValue?.first?["user_id"]?.stringValue)
        let path = "api/v2/users/" + (id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id)
        let (patched, _) = try await d.request(path, method: "PATCH", body: Data(#"{"password": "another-long-pw", "connection": "Username-Password-Authentication"}"#.utf8), token: d.token)
        #expect(patched == 200)
        let (_, logs) = try await d.request("api/v2/logs?per_page=100", token: d.token)
        let traceId = try #require(logs.arrayValue?.first { $0["type"] == "scp" }?["details"]?["traceId"]?.stringValue)
        let (_, trace) = try await d.request("api/authsim/traces/\(traceId)", token: d.token)
        #expect(trace["trace"]?.arrayValue?.first?["console"]?.arrayValue?.first?["message"] == .string("password changed for \(id)"))
    }
}
