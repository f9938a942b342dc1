import Directory
import Foundation
import JSONCore
import Testing

@testable import LoginEngine
@testable import Tenant

/// The Action triggers beyond login (password reset post-challenge, the message triggers,
/// Custom Token Exchange) and legacy Hooks, each at its place in the pipeline with Auth0's
/// `event`/`api` (or Webtask's arguments), in the trace.
@Suite struct TriggersTests {
    /// The trace a log event points at.
    /// (A message delivered after the answer stores its trace a moment later: waited for, with
    /// a deadline no loaded machine misses.)
    func trace(_ p: LoginPipeline, of event: TenantLogEvent?) async throws -> JSONValue {
        let id = try #require(event?.details?["traceId"]?.stringValue, "the event names its trace")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let text = try await p.store.trace(id: id) { return try JSONValue.parse(text) }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("trace \(id) was never stored")
        return .null
    }

    func logs(_ p: LoginPipeline) async throws -> [TenantLogEvent] {
        try await p.store.logs(userId: nil, offset: 0, limit: 100).events
    }

    /// Console lines of every trace entry, joined.
    func console(_ trace: JSONValue) -> String {
        (trace["trace"]?.arrayValue ?? []).flatMap { $0["console"]?.arrayValue ?? [] }.compactMap { $0["message"]?.stringValue }.joined(separator: "\n")
    }

    // MARK: Hooks

    @Test func hooksRunAtTheirExtensibilityPointsBeforeTheActions() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "after hook", code: """
                    exports.onExecuteCredentialsExchange = async (event, api) => {
                      api.accessToken.setCustomClaim('https://acme.test/action', event.transaction.requested_scopes.join(' '));
                      api.accessToken.setCustomClaim('https://acme.test/both', 'action');
                    };
                    """, triggers: ["credentials-exchange"])
            ], bindings: ["credentials-exchange": ["after hook"]])
        f.extraFiles["hooks/cc.json"] = #"{"name": "cc", "script": "./cc.js", "triggerId": "credentials-exchange", "enabled": true, "secrets": {"TIER": "gold"}}"#
        f.extraFiles["hooks/cc.js"] = """
            module.exports = function (client, scope, audience, context, cb) {
              var access_token = {};
              access_token['https://acme.test/tier'] = context.webtask.secrets.TIER;
              access_token['https://acme.test/client'] = client.name + '/' + audience;
              access_token['https://acme.test/both'] = 'hook';
              access_token.plain = 'not namespaced';
              access_token['https://sub.auth0.com/x'] = 'reserved';
              access_token.scope = scope.concat(['extra']);
              console.log('hook for', client.id);
              cb(null, access_token);
            };
            """
        // A second enabled hook for the same point: reported, does not run.
        f.extraFiles["hooks/zz.json"] = #"{"name": "zz", "script": "./zz.js", "triggerId": "credentials-exchange", "enabled": true}"#
        f.extraFiles["hooks/zz.js"] = "module.exports = function (c, s, a, ctx, cb) { cb(new Error('the second hook ran')); };"
        let p = try await makePipeline(f)
        #expect(p.tenant.notices.contains { $0.message.contains("'cc' and 'zz' are both enabled") }, "\(p.tenant.notices)")
        let client = try #require(p.tenant.client(named: "testclient"))
        let out = try await p.credentialsExchange(client: client, audience: "https://api.test", scopes: ["read:things"], ip: nil, userAgent: nil)
        #expect(out.denied == nil, "\(out.denied?.description ?? "")")
        #expect(out.scope == ["read:things", "extra"])
        #expect(out.accessTokenClaims["https://acme.test/tier"] == "gold")
        #expect(out.accessTokenClaims["https://acme.test/client"] == "Test App/https://api.test")
        #expect(out.accessTokenClaims["plain"] == nil, "only namespaced claims, as Auth0")
        #expect(out.accessTokenClaims["https://sub.auth0.com/x"] == nil)
        // The hook ran first: the action saw its scope and its claim wins over the hook's.
        #expect(out.accessTokenClaims["https://acme.test/action"] == "read:things extra")
        #expect(out.accessTokenClaims["https://acme.test/both"] == "action")
        #expect(out.trace.map { $0["kind"]?.stringValue } == ["hook", "action"])
        #expect(out.trace.first?["console"]?.arrayValue?.first?["message"]?.stringValue == "hook for testclient")
    }

    /// Older exports: `code` for the script, `active` for enabled; a hook without its file, or at
    /// a point Hooks never had, is reported and does not run.
    @Test func olderHookFilesLoadAndBrokenOnesAreReported() async throws {
        var f = TenantFixture()
        f.extraFiles["hooks/old.json"] = #"{"name": "old", "code": "./old-code.js", "triggerId": "post-change-password", "active": true}"#
        f.extraFiles["hooks/old-code.js"] = "module.exports = function (user, context, cb) { cb(); };"
        f.extraFiles["hooks/gone.json"] = #"{"name": "gone", "script": "./missing.js", "triggerId": "pre-user-registration", "enabled": true}"#
        f.extraFiles["hooks/login.json"] = #"{"name": "login", "script": "./login.js", "triggerId": "post-login", "enabled": true}"#
        f.extraFiles["hooks/login.js"] = "module.exports = function () {};"
        let p = try await makePipeline(f)
        #expect(p.tenant.hooks.map(\.name) == ["old"])
        #expect(p.tenant.activeHook("post-change-password")?.file == "hooks/old-code.js")
        #expect(p.tenant.notices.contains { $0.file == "hooks/gone.json" && $0.message.contains("cannot be read") }, "\(p.tenant.notices)")
        #expect(p.tenant.notices.contains { $0.file == "hooks/login.json" && $0.message.contains("unknown triggerId 'post-login'") })
        // The tenant still loads and logs in.
        #expect(try await simulate(p).outcome == .allowed)
    }

    @Test func aCredentialsExchangeHookRefusesWithAuth0sErrors() async throws {
        var f = TenantFixture()
        f.extraFiles["hooks/cc.json"] = #"{"name": "cc", "script": "./cc.js", "triggerId": "credentials-exchange", "active": true}"#
        f.extraFiles["hooks/cc.js"] = """
            module.exports = function (client, scope, audience, context, cb) {
              if (audience === 'https://api.test') return cb(new InvalidScopeError('no scope for you'));
              // A status the script makes up is not the answer's (nor can it crash the daemon).
              if (audience === 'https://odd.test') { var e = new InvalidScopeError('odd'); e.statusCode = 5000; return cb(e); }
              if (audience === 'https://plain.test') return cb({ code: 'invalid_request', statusCode: -1, message: 'plain object' });
              throw new Error('boom');
            };
            """
        let p = try await makePipeline(f)
        let client = try #require(p.tenant.client(named: "testclient"))
        let refused = try await p.credentialsExchange(client: client, audience: "https://api.test", scopes: [], ip: nil, userAgent: nil)
        #expect(refused.denied == FlowError("invalid_scope", "no scope for you"))
        #expect(refused.deniedStatus == 400)
        let crashed = try await p.credentialsExchange(client: client, audience: "https://other.test", scopes: [], ip: nil, userAgent: nil)
        #expect(crashed.denied?.error == "server_error")
        #expect(crashed.denied?.description == "boom")
        #expect(crashed.deniedStatus == 500)
        let odd = try await p.credentialsExchange(client: client, audience: "https://odd.test", scopes: [], ip: nil, userAgent: nil)
        #expect(odd.deniedStatus == 400)
        #expect(odd.denied?.error == "invalid_scope")
        let plain = try await p.credentialsExchange(client: client, audience: "https://plain.test", scopes: [], ip: nil, userAgent: nil)
        #expect(plain.deniedStatus == 400)
        #expect(plain.denied == FlowError("invalid_request", "plain object"))
    }

    @Test func registrationAndPasswordHooksRun() async throws {
        var f = TenantFixture()
        f.extraFiles["hooks/pre.json"] = #"{"name": "pre", "script": "./pre.js", "triggerId": "pre-user-registration", "enabled": true}"#
        f.extraFiles["hooks/pre.js"] = """
            module.exports = function (user, context, cb) {
              if (user.email.endsWith('@blocked.test')) return cb(new PreUserRegistrationError('blocked domain', 'You may not sign up.'));
              // As Auth0's template writes it: the user it was given (password included) handed back.
              var response = {};
              response.user = user;
              response.user.user_metadata = { via: context.connection.name, pwlen: String(user.password.length) };
              response.user.app_metadata = { tier: 'free' };
              cb(null, response);
            };
            """
        f.extraFiles["hooks/post.json"] = #"{"name": "post", "script": "./post.js", "triggerId": "post-user-registration", "enabled": true}"#
        f.extraFiles["hooks/post.js"] = "module.exports = function (user, context, cb) { console.log('registered', user.id, user.app_metadata.tier); cb(); };"
        f.extraFiles["hooks/pcp.json"] = #"{"name": "pcp", "script": "./pcp.js", "triggerId": "post-change-password", "enabled": true}"#
        f.extraFiles["hooks/pcp.js"] = "module.exports = function (user, context, cb) { console.log('changed', user.email, context.connection.name); cb(); };"
        // A disabled hook is read but does not run.
        f.extraFiles["hooks/off.json"] = #"{"name": "off", "script": "./off.js", "triggerId": "post-user-registration", "enabled": false}"#
        f.extraFiles["hooks/off.js"] = "module.exports = function (user, context, cb) { cb(new Error('disabled hook ran')); };"
        let p = try await makePipeline(f)
        #expect(p.tenant.hooks.count == 4)

        let user = try await p.signup(clientId: "testclient", connection: "Username-Password-Authentication", email: "new@acme.test", password: "correct horse", ip: nil, userAgent: nil)
        #expect(user.userMetadata["via"] == "Username-Password-Authentication")
        #expect(user.userMetadata["pwlen"] == "13")
        #expect(user.appMetadata["tier"] == "free")
        let signup = try await logs(p).first { $0.type == "ss" }
        let trace = try await trace(p, of: signup)
        #expect(trace["trace"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["pre", "post"])
        #expect(console(trace) == "registered \(user.userId.dropFirst("auth0|".count)) free")
        #expect(!trace.serialized().contains("correct horse"), "no password in a stored trace")
        #expect(trace["trace"]?.arrayValue?.first?["changes"]?["result"]?["user"]?["app_metadata"] == ["tier": "free"])

        await #expect(throws: SignupError.self) {
            _ = try await p.signup(clientId: "testclient", connection: "Username-Password-Authentication", email: "x@blocked.test", password: "correct horse", ip: nil, userAgent: nil)
        }
        do {
            _ = try await p.signup(clientId: "testclient", connection: "Username-Password-Authentication", email: "y@blocked.test", password: "correct horse", ip: nil, userAgent: nil)
        } catch {
            #expect(error.message == "You may not sign up.")
            #expect(error.code == "extensibility_error")
        }
        #expect(try await p.store.user(login: "x@blocked.test", connection: "Username-Password-Authentication") == nil)

        // post-change-password, after a reset.
        _ = try await p.requestPasswordReset(clientId: "testclient", connection: "Username-Password-Authentication", email: "new@acme.test", ip: nil, userAgent: nil)
        let ticket = try await resetTicket(p)
        _ = try await p.resetPassword(ticket: ticket, password: "another good one", ip: nil)
        let changed = try await logs(p).first { $0.type == "scp" && $0.details?["traceId"] != nil }
        #expect(console(try await self.trace(p, of: changed)) == "changed new@acme.test Username-Password-Authentication")
    }

    /// The id of the newest reset ticket: its link is in the trace of the delivery, or (with no
    /// delivery script) only in the daemon log, so the test issues its own through the API the
    /// Management API uses.
    func resetTicket(_ p: LoginPipeline, email: String = "new@acme.test") async throws -> String {
        try await p.passwordResets.issue(connection: "Username-Password-Authentication", email: email, resultURL: nil, lifetime: 3600, clientId: "testclient").id
    }

    // MARK: Messages

    @Test func smsCodesGoThroughSendPhoneMessageOrTheCustomPhoneProvider() async throws {
        var f = TenantFixture()
        f.extraFiles["connections/sms.json"] = #"{"name": "sms", "strategy": "sms"}"#
        f.add(
            actions: [
                ActionSource(name: "sns", code: """
                    exports.onExecuteSendPhoneMessage = async (event, api) => {
                      const o = event.message_options;
                      console.log([o.recipient, o.code, o.message_type, o.action, o.text, event.client.name, event.secrets.KEY].join('|'));
                    };
                    """, secrets: ["KEY": "k1"], triggers: ["send-phone-message"])
            ], bindings: ["send-phone-message": ["sns"]])
        f.extraFiles["hooks/sms.json"] = #"{"name": "sms-hook", "script": "./sms.js", "triggerId": "send-phone-message", "enabled": true}"#
        f.extraFiles["hooks/sms.js"] = "module.exports = function (recipient, text, context, cb) { console.log('hook', recipient, context.code, context.client.name); cb(); };"
        let p = try await makePipeline(f)
        _ = try await p.passwordlessStart(clientId: "testclient", connection: "sms", email: nil, phoneNumber: "+15551234567", send: "code", ip: nil, userAgent: nil)
        let code = try #require(await p.passwordless.current(connections: ["sms"], identifier: "+15551234567")).code
        let sent = try await trace(p, of: try await logs(p).first { $0.type == "cls" })
        #expect(sent["trigger"] == "send-phone-message")
        #expect(console(sent) == "hook +15551234567 \(code) Test App\n+15551234567|\(code)|sms|passwordless|Your verification code is: \(code)|Test App|k1")

        // A custom phone provider delivers every text message instead.
        var g = f
        g.add(
            actions: [
                ActionSource(name: "sns", code: "exports.onExecuteSendPhoneMessage = async () => { throw new Error('should not run'); };", triggers: ["send-phone-message"]),
                ActionSource(name: "twilio", code: """
                    exports.onExecuteCustomPhoneProvider = async (event, api) => {
                      const n = event.notification;
                      console.log([n.recipient, n.code, n.message_type, n.delivery_method, n.as_text].join('|'));
                    };
                    """, triggers: ["custom-phone-provider"]),
            ], bindings: ["send-phone-message": ["sns"], "custom-phone-provider": ["twilio"]])
        g.extraFiles.removeValue(forKey: "hooks/sms.json")
        let q = try await makePipeline(g)
        _ = try await q.passwordlessStart(clientId: "testclient", connection: "sms", email: nil, phoneNumber: "+15551234567", send: "code", ip: nil, userAgent: nil)
        let code2 = try #require(await q.passwordless.current(connections: ["sms"], identifier: "+15551234567")).code
        let provider = try await trace(q, of: try await logs(q).first { $0.type == "cls" })
        #expect(provider["trigger"] == "custom-phone-provider")
        #expect(console(provider) == "+15551234567|\(code2)|otp_verify|text|Your verification code is: \(code2)")
    }

    @Test func emailsGoThroughTheCustomEmailProvider() async throws {
        var f = TenantFixture()
        f.extraFiles["connections/email.json"] = #"{"name": "email", "strategy": "email"}"#
        f.extraFiles["emails/provider.json"] = #"{"name": "custom", "enabled": true, "default_from_address": "auth@acme.test"}"#
        f.add(
            actions: [
                ActionSource(name: "mailer", code: """
                    exports.onExecuteCustomEmailProvider = async (event, api) => {
                      const n = event.notification;
                      if (n.to.startsWith('drop')) return api.notification.drop('bounced address');
                      if (n.to.startsWith('retry')) return api.notification.retry('provider busy');
                      console.log([n.message_type, n.to, n.from, n.subject, event.user.email].join('|'));
                      console.log(n.text);
                    };
                    """, triggers: ["custom-email-provider"])
            ], bindings: ["custom-email-provider": ["mailer"]])
        let p = try await makePipeline(f)
        _ = try await p.passwordlessStart(clientId: "testclient", connection: "email", email: "pat@acme.test", phoneNumber: nil, send: "code", ip: nil, userAgent: nil)
        let code = try #require(await p.passwordless.current(connections: ["email"], identifier: "pat@acme.test")).code
        let sent = try await trace(p, of: try await logs(p).first { $0.type == "cls" })
        #expect(console(sent) == "verification_code|pat@acme.test|auth@acme.test|Your verification code|pat@acme.test\nYour verification code is: \(code)")

        _ = try await p.requestPasswordReset(clientId: "testclient", connection: "Username-Password-Authentication", email: "ann@test.local", ip: nil, userAgent: nil)
        let reset = try await trace(p, of: try await logs(p).first { $0.type == "scpr" })
        let lines = console(reset).split(separator: "\n")
        #expect(lines.first == "reset_email|ann@test.local|auth@acme.test|Reset your password|ann@test.local")
        #expect(lines.last?.contains("/lo/reset?ticket=") == true)

        // retry: the provider runs again a little later (Auth0 retries up to five times).
        _ = try await p.passwordlessStart(clientId: "testclient", connection: "email", email: "retry@acme.test", phoneNumber: nil, send: "code", ip: nil, userAgent: nil)
        let deadline = Date().addingTimeInterval(120)
        var attempts: [TenantLogEvent] = []
        while Date() < deadline {
            attempts = try await logs(p).filter { $0.type == "fn" && $0.userName == "retry@acme.test" }
            if attempts.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(attempts.contains { $0.description.contains("asked to retry the verification_code message (attempt 2): provider busy") }, "\(attempts.map(\.description))")

        // drop: logged as a failed notification.
        _ = try await p.passwordlessStart(clientId: "testclient", connection: "email", email: "drop@acme.test", phoneNumber: nil, send: "code", ip: nil, userAgent: nil)
        let failed = try await logs(p).first { $0.type == "fn" && $0.userName == "drop@acme.test" }
        #expect(failed?.description == "custom-email-provider dropped the verification_code message: bounced address")
    }

    // MARK: Custom Token Exchange

    func exchangeTenant(clientExchange: Bool = true, throttle: Int? = nil) -> TenantFixture {
        var f = TenantFixture()
        f.extraFiles["clients/cte.json"] = JSONValue.object([
            "name": "CTE App", "client_id": "cteclient", "client_secret": "cte-secret",
            "token_exchange": clientExchange ? ["allow_any_profile_of_type": ["custom_authentication"]] : [:],
        ]).serialized()
        f.extraFiles["token-exchange-profiles/legacy.json"] = #"{"name": "legacy", "subject_token_type": "urn:acme:legacy-token", "action": "exchange", "type": "custom_authentication"}"#
        f.extraFiles["token-exchange-profiles/bad.json"] = #"{"name": "bad", "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "action": "exchange"}"#
        if let throttle {
            f.extraFiles["attack-protection/suspicious-ip-throttling.json"] =
                #"{"enabled": true, "shields": ["block"], "stage": {"pre-custom-token-exchange": {"max_attempts": \#(throttle), "rate": 600000}}}"#
        }
        f.add(
            actions: [
                ActionSource(name: "exchange", code: """
                    exports.onExecuteCustomTokenExchange = async (event, api) => {
                      const [kind, id] = event.transaction.subject_token.split(':');
                      if (kind === 'bad') return api.access.rejectInvalidSubjectToken('signature does not verify');
                      if (kind === 'deny') return api.access.deny('unauthorized_login', 'not today');
                      if (kind === 'byid') return api.authentication.setUserById(id);
                      if (kind === 'none') return;
                      api.user.setAppMetadata('exchanged_from', event.transaction.subject_token_type);
                      api.authentication.setUserByConnection('Username-Password-Authentication',
                        { user_id: id, email: id + '@legacy.test', name: 'Legacy ' + id + ' ' + event.request.body.extra },
                        { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
                    };
                    """, triggers: ["custom-token-exchange"]),
                ActionSource(name: "claims", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.accessToken.setCustomClaim('https://acme.test/protocol', event.transaction.protocol);
                    };
                    """),
            ], bindings: ["post-login": ["claims"]])
        return f
    }

    func exchange(_ p: LoginPipeline, _ token: String, type: String = "urn:acme:legacy-token", client: String = "cteclient") async throws(TokenExchangeError) -> SimulationResult {
        let c = p.tenant.client(named: client)!
        return try await p.customTokenExchange(
            client: c,
            .init(subjectToken: token, subjectTokenType: type, audience: "https://api.test", scope: "openid email", ip: "10.0.0.9", userAgent: nil, body: ["extra": "x"]))
    }

    @Test func customTokenExchangeSetsTheUserThenTheLoginFlowRuns() async throws {
        let p = try await makePipeline(exchangeTenant())
        #expect(p.tenant.tokenExchangeProfiles.map(\.name) == ["legacy"])
        #expect(p.tenant.notices.contains { $0.file == "token-exchange-profiles/bad.json" && $0.message.contains("reserved") }, "\(p.tenant.notices)")

        let created = try await exchange(p, "conn:u42")
        #expect(created.outcome == .allowed, "\(created.error?.description ?? "")")
        #expect(created.user["user_id"] == "auth0|u42")
        #expect(created.user["name"] == "Legacy u42 x")
        #expect(created.user["app_metadata"]?["exchanged_from"] == "urn:acme:legacy-token")
        #expect(created.accessToken?.claims["https://acme.test/protocol"] == "oauth2-token-exchange")
        #expect(created.trace.first?["trigger"] == "custom-token-exchange")
        #expect(try await logs(p).contains { $0.type == "secte" && $0.userId == "auth0|u42" })
        // The same subject again: the user exists (no second one).
        let again = try await exchange(p, "conn:u42")
        #expect(again.user["user_id"] == "auth0|u42")
        #expect(again.user["logins_count"] == 2)

        let byId = try await exchange(p, "byid:auth0|ann0000000000000000000001")
        #expect(byId.user["email"] == "ann@test.local")

        for (token, expected) in [("deny:x", "unauthorized_login"), ("bad:x", "invalid_request"), ("none:x", "invalid_request"), ("byid:auth0|nobody", "invalid_request")] {
            do {
                _ = try await exchange(p, token)
                Issue.record("\(token) was accepted")
            } catch {
                #expect(error.status == 400, "\(token)")
                #expect(error.error == expected, "\(token): \(error.description)")
            }
        }
        #expect(try await logs(p).filter { $0.type == "fecte" }.count == 4)
    }

    @Test func customTokenExchangeRefusesWhatAuth0Refuses() async throws {
        let p = try await makePipeline(exchangeTenant(throttle: 2))
        // A client without token_exchange, a type without a profile.
        await #expect(throws: TokenExchangeError.self) { _ = try await self.exchange(p, "conn:a", client: "testclient") }
        do { _ = try await exchange(p, "conn:a", type: "urn:acme:other") } catch {
            #expect(error.error == "invalid_request")
            #expect(error.description.contains("No token exchange profile"))
        }
        // Invalid subject tokens count toward suspicious-IP throttling of the caller's IP.
        for _ in 0..<2 {
            do { _ = try await exchange(p, "bad:x") } catch { #expect(error.status == 400) }
        }
        do {
            _ = try await exchange(p, "conn:u1")
            Issue.record("a throttled IP got tokens")
        } catch {
            #expect(error.status == 429)
            #expect(error.error == "too_many_attempts")
        }
    }

    // MARK: Password reset post-challenge

    @Test func postChallengeRunsWhenTheResetLinkIsOpened() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "gate", code: """
                    exports.onExecutePostChallenge = async (event, api) => {
                      if (event.user.email.startsWith('blocked')) return api.access.deny('Resets are disabled for this account.');
                      if (event.user.app_metadata.plan === 'pro') {
                        return api.redirect.sendUserTo('https://verify.acme.test/check', { query: { who: event.user.email } });
                      }
                      api.transaction.setResultUrl('https://app.acme.test/done', { query: { m: event.authentication.methods[0].name } });
                    };
                    exports.onContinuePostChallenge = async (event, api) => {
                      if (event.request.query.ok !== 'yes') return api.access.deny('Verification failed.');
                      api.transaction.setResultUrl('https://app.acme.test/verified');
                    };
                    """, triggers: ["password-reset-post-challenge"])
            ], bindings: ["password-reset-post-challenge": ["gate"]])
        var bob = UserProfile(userId: "auth0|bob", connection: "Username-Password-Authentication", email: "bob@acme.test")
        bob.appMetadata = ["plan": "free"]
        let blocked = UserProfile(userId: "auth0|blocked", connection: "Username-Password-Authentication", email: "blocked@acme.test")
        let p = try await makePipeline(f, users: [TestUsers.ann(), bob, blocked])

        // Allowed: the form, and the action's result URL after the change.
        let t1 = try await resetTicket(p, email: "bob@acme.test")
        #expect(await p.resetChallenge(ticket: t1, query: ["ticket": t1], ip: nil, userAgent: nil) == .passed)
        #expect(try await p.resetPassword(ticket: t1, password: "a new password", ip: nil) == "https://app.acme.test/done?m=email")

        // Denied: the link is spent.
        let t2 = try await resetTicket(p, email: "blocked@acme.test")
        #expect(await p.resetChallenge(ticket: t2, query: [:], ip: nil, userAgent: nil) == .denied("Resets are disabled for this account."))
        await #expect(throws: PasswordResetError.self) { _ = try await p.resetPassword(ticket: t2, password: "a new password", ip: nil) }
        #expect(try await logs(p).contains { $0.type == "fcpr" })

        // Posting the form without opening the link runs the actions too.
        let t3 = try await resetTicket(p, email: "blocked@acme.test")
        await #expect(throws: PasswordResetError.self) { _ = try await p.resetPassword(ticket: t3, password: "a new password", ip: nil) }

        // A redirect: the user comes back to /continue with the state; onContinuePostChallenge runs.
        let t4 = try await resetTicket(p, email: "ann@test.local")
        guard case .redirect(let url, let binding) = await p.resetChallenge(ticket: t4, query: [:], ip: nil, userAgent: nil) else {
            Issue.record("no redirect")
            return
        }
        let c = try #require(URLComponents(string: url))
        #expect(c.host == "verify.acme.test")
        #expect(c.queryItems?.first { $0.name == "who" }?.value == "ann@test.local")
        let state = try #require(c.queryItems?.first { $0.name == "state" }?.value)
        // Not through yet: the form cannot be posted while the action waits.
        await #expect(throws: PasswordResetError.self) { _ = try await p.resetPassword(ticket: t4, password: "a new password", ip: nil) }
        // The state alone (the other site saw it) does not continue the reset: the browser's binding does.
        let stranger = try #require(await p.continueReset(state: state, binding: "guessed", query: ["state": state, "ok": "yes"], ip: nil, userAgent: nil))
        guard case .denied = stranger.1 else { Issue.record("a state without its binding continued the reset"); return }
        // Opening the link again while the action waits sends the user to its page again.
        guard case .redirect(let again, let rebound) = await p.resetChallenge(ticket: t4, query: [:], ip: nil, userAgent: nil) else {
            Issue.record("no redirect on a second open")
            return
        }
        #expect(again == url)
        #expect(await p.continueReset(state: state, binding: binding, query: ["state": state], ip: nil, userAgent: nil)?.1 != .passed, "the first binding was replaced")
        let back = try #require(await p.continueReset(state: state, binding: rebound, query: ["state": state, "ok": "yes"], ip: nil, userAgent: nil))
        #expect(back.0.id == t4)
        #expect(back.1 == .passed)
        #expect(await p.continueReset(state: state, binding: rebound, query: ["state": state, "ok": "yes"], ip: nil, userAgent: nil) == nil, "a state is used once")
        #expect(try await p.resetPassword(ticket: t4, password: "a new password", ip: nil) == "https://app.acme.test/verified")
    }
}
