import Directory
import Foundation
import JSONCore
import Tenant
import Testing

@testable import LoginEngine

/// An action for a fixture: code, secrets, triggers.
struct ActionSource {
    var name: String
    var code: String
    var secrets: [String: String] = [:]
    var triggers: [String] = ["post-login"]
}

extension TenantFixture {
    /// Adds actions (files in deploy-cli layout) and binds them to triggers in the given order.
    mutating func add(actions: [ActionSource], bindings: [String: [String]]) {
        for a in actions {
            extraFiles["actions/\(a.name)/code.js"] = a.code
            let secrets = JSONValue.array(a.secrets.sorted { $0.key < $1.key }.map { ["name": .string($0.key), "value": .string($0.value)] })
            let triggers = JSONValue.array(a.triggers.map { ["id": .string($0), "version": "v3"] })
            extraFiles["actions/\(a.name).json"] = JSONValue.object([
                "name": .string(a.name), "code": .string("./actions/\(a.name)/code.js"), "runtime": "node18", "secrets": secrets,
                "supported_triggers": triggers, "deployed": true,
            ]).serialized()
        }
        extraFiles["triggers/triggers.json"] = JSONValue.object(bindings.mapValues { .array($0.map { ["action_name": .string($0)] }) }).serialized()
    }
}

@Suite struct PostLoginActionsTests {
    @Test func eventFieldGroupsAreAuth0Shaped() async throws {
        var f = TenantFixture()
        f.extraFiles["geoip.json"] = #"{"default": {"country_code": "NL", "country_name": "Netherlands", "city_name": "Amsterdam", "time_zone": "Europe/Amsterdam"}}"#
        f.add(
            actions: [
                ActionSource(name: "inspect", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://t/event', {
                        userKeys: ['logins_count' in event.user, typeof event.user.app_metadata, typeof event.user.user_metadata, event.user.email],
                        plan: event.user.app_metadata.plan, client: [event.client.client_id, event.client.name, event.client.metadata.k],
                        connection: [event.connection.name, event.connection.strategy, typeof event.connection.id],
                        request: [event.request.ip, event.request.geoip.countryCode, event.request.geoip.cityName, event.request.geoip.timeZone, typeof event.request.user_agent, event.request.query.ui_locales],
                        authentication: event.authentication.methods.map(m => m.name), roles: event.authorization.roles,
                        stats: event.stats.logins_count, tenant: typeof event.tenant.id,
                        transaction: [event.transaction.protocol, event.transaction.requested_scopes, event.transaction.locale, event.transaction.state],
                        session: typeof event.session.id, resourceServer: event.resource_server && event.resource_server.identifier,
                        secrets: Object.keys(event.secrets)
                      });
                    };
                    """)
            ], bindings: ["post-login": ["inspect"]])
        let p = try await makePipeline(f)
        let r = try await simulate(p) { r in
            r.scope = "openid email"
            r.query = ["ui_locales": "nl", "state": "abc"]
        }
        #expect(r.error == nil)
        let e = try #require(r.idClaims["https://t/event"])
        #expect(e["userKeys"] == [false, "object", "object", "ann@test.local"])
        #expect(e["plan"] == "pro")
        #expect(e["client"] == ["testclient", "Test App", "v"])
        #expect(e["connection"] == ["Username-Password-Authentication", "auth0", "string"])
        #expect(e["request"] == ["127.0.0.1", "NL", "Amsterdam", "Europe/Amsterdam", "string", "nl"])
        #expect(e["authentication"] == ["pwd"])
        #expect(e["roles"] == [])
        #expect(e["stats"] == 1)
        #expect(e["tenant"] == "string")
        #expect(e["transaction"] == ["oidc-basic-profile", ["openid", "email"], "nl", "abc"])
        #expect(e["session"] == "string")
        #expect(e["resourceServer"] == "https://api.test")
        #expect(e["secrets"] == [])
        let entry = try #require(r.traceEntry("inspect"))
        #expect(entry["kind"] == "action")
        #expect(entry["changes"]?["idToken"]?["added"]?["https://t/event"] != nil)
        #expect(r.claimSources.idToken["https://t/event"] == "inspect")
    }

    @Test func rulesRunFirstThenActionsInBindingOrder() async throws {
        var f = TenantFixture()
        f.rules = [
            ("first-rule", "function (user, context, callback) { context.idToken['https://t/order'] = ['rule']; auth0.users.updateAppMetadata(user.user_id, { fromRule: true }).then(() => callback(null, user, context), callback); }"),
        ]
        f.add(
            actions: [
                ActionSource(name: "b", code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/b', event.user.app_metadata.fromRule === true); };"),
                ActionSource(name: "a", code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/a', 'a'); };"),
            ], bindings: ["post-login": ["b", "a"]])
        let r = try await simulate(try await makePipeline(f))
        #expect(r.trace.map { $0["name"]?.stringValue ?? "" } == ["first-rule", "b", "a"])
        #expect(r.trace.map { $0["kind"]?.stringValue ?? "" } == ["rule", "action", "action"])
        #expect(r.idClaims["https://t/order"] == ["rule"])
        // The rule's persisted write is in the actions' event.user.
        #expect(r.idClaims["https://t/b"] == true)
        #expect(r.idClaims["https://t/a"] == "a")
    }

    @Test func denyStopsLaterActionsAndKeepsQueuedMetadata() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "queue", code: "exports.onExecutePostLogin = async (event, api) => { api.user.setUserMetadata('seen', true); api.user.setAppMetadata('plan', null); };"),
                ActionSource(name: "gate", code: "exports.onExecutePostLogin = async (event, api) => { api.access.deny('no entry today'); };"),
                ActionSource(name: "never", code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/never', 1); };"),
            ], bindings: ["post-login": ["queue", "gate", "never"]])
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        #expect(r.outcome == .denied)
        #expect(r.error == FlowError("access_denied", "no entry today"))
        #expect(r.trace.map { $0["name"]?.stringValue ?? "" } == ["queue", "gate"])
        let stored = try #require(try await p.store.user(id: TestUsers.ann().userId))
        #expect(stored.userMetadata["seen"] == true)
        #expect(stored.appMetadata["plan"] == nil)
        #expect(stored.appMetadata["roles"] == ["admin"])
        #expect(r.traceEntry("queue")?["changes"]?["metadataWrites"]?.arrayValue?.allSatisfy { $0["persisted"] == true } == true)
    }

    @Test func queuedMetadataIsVisibleToLaterActionsAndSavedOnce() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "writer", code: "exports.onExecutePostLogin = async (event, api) => { api.user.setAppMetadata('tier', 'gold'); api.user.setUserMetadata('lang', 'nl'); api.transaction.setMetadata('step', 1); };"),
                ActionSource(name: "reader", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://t/seen', [event.user.app_metadata.tier, event.user.user_metadata.lang, event.user.user_metadata.prefs.theme, event.transaction.metadata.step]);
                    };
                    """),
            ], bindings: ["post-login": ["writer", "reader"]])
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        #expect(r.idClaims["https://t/seen"] == ["gold", "nl", "dark", 1])
        #expect(r.persistedAppMetadata["tier"] == "gold")
        #expect(r.persistedUserMetadata["lang"] == "nl")
        #expect(r.persistedUserMetadata["prefs"] == ["theme": "dark", "size": 2])
    }

    @Test func secretsAreIsolatedBetweenActions() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "has-secret", code: "exports.onExecutePostLogin = async (event, api) => { try { event.secrets.API_KEY = 'changed'; } catch (e) {} api.idToken.setCustomClaim('https://t/mine', event.secrets.API_KEY); };", secrets: ["API_KEY": "k-123"]),
                ActionSource(name: "other", code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/other', [event.secrets.API_KEY === undefined, typeof configuration, typeof __authsim_secretsOf, typeof __authsim_actionSecrets]); };"),
            ], bindings: ["post-login": ["has-secret", "other"]])
        f.rules = []
        let r = try await simulate(try await makePipeline(f))
        #expect(r.idClaims["https://t/mine"] == "k-123")
        // Nothing on the global object leads to another action's secrets.
        #expect(r.idClaims["https://t/other"] == [true, "undefined", "undefined", "undefined"])
    }

    @Test func everyAPIGroupIsRecorded() async throws {
        var f = TenantFixture()
        f.rules = [("ran", "function (user, context, callback) { callback(null, user, context); }")]
        f.add(
            actions: [
                ActionSource(name: "all", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.accessToken.setCustomClaim('https://t/at', 'x');
                      api.accessToken.addScope('read:things');
                      api.accessToken.removeScope('email');
                      api.multifactor.enable('guardian', { allowRememberBrowser: true });
                      api.authentication.challengeWith({ type: 'otp' }, { additionalFactors: [{ type: 'email' }] });
                      api.authentication.challengeWithAny([{ type: 'otp' }, { type: 'phone' }]);
                      api.authentication.enrollWith({ type: 'webauthn-roaming' });
                      api.authentication.enrollWithAny([{ type: 'otp' }]);
                      let recordOutsideContinue = null;
                      try { api.authentication.recordMethod('https://idp.test/method'); } catch (e) { recordOutsideContinue = e.message; }
                      const token = api.redirect.encodeToken({ secret: 's3', payload: { step: 2 }, expiresInSeconds: 60 });
                      const payload = require('jsonwebtoken').verify(token, 's3');
                      api.idToken.setCustomClaim('https://t/misc', {
                        canRedirect: typeof api.redirect.canRedirect, ran: api.rules.wasExecuted('\(ruleID("ran"))'), notRan: api.rules.wasExecuted('rul_nope'),
                        token: [payload.sub, payload.step, payload.exp - payload.iat, payload.ip], recordOutsideContinue: recordOutsideContinue,
                        organization: event.organization && event.organization.name
                      });
                    };
                    """)
            ], bindings: ["post-login": ["all"]])
        let r = try await simulate(try await makePipeline(f)) { r in
            // delete:all is not a scope of the API: changing scopes must not grant it.
            r.scope = "openid email delete:all"
            r.audience = "https://api.test"
            r.context["organization"] = ["id": "org_1", "name": "acme", "display_name": "Acme", "metadata": [:]]
            // The challenge pauses the flow after the action; a simulated pass resumes it.
            r.mfaOutcome = .pass
        }
        #expect(r.error == nil)
        #expect(r.idClaims["amr"] == ["mfa"])
        #expect(r.accessClaims["https://t/at"] == "x")
        #expect(r.accessClaims["scope"] == "openid read:things")
        #expect(r.multifactor?["provider"] == "guardian")
        #expect(r.multifactor?["allowRememberBrowser"] == true)
        #expect(r.idClaims["https://t/misc"] == [
            "canRedirect": "undefined", "ran": true, "notRan": false, "token": ["auth0|ann0000000000000000000001", 2, 60, "127.0.0.1"],
            "recordOutsideContinue": "api.authentication.recordMethod() can only be used in onContinuePostLogin", "organization": "acme",
        ])
        let changes = try #require(r.traceEntry("all")?["changes"])
        #expect(changes["scopes"] == ["added": ["read:things"], "removed": ["email"]])
        #expect(changes["authentication"]?.arrayValue?.map { $0["method"]?.stringValue ?? "" } == ["challengeWith", "challengeWithAny", "enrollWith", "enrollWithAny"])
        #expect(changes["authentication"]?.arrayValue?.first?["options"]?["additionalFactors"] == [["type": "email"]])
        #expect(changes["multifactor"]?["provider"] == "guardian")
    }

    @Test func setPrimaryUserIssuesTokensForThatUserOnceLinked() async throws {
        var other = UserProfile(userId: "auth0|primary000000000000000001", connection: "Username-Password-Authentication", email: "primary@test.local")
        other.applyDefaults()
        var f = TenantFixture()
        f.add(
            actions: [ActionSource(name: "link", code: "exports.onExecutePostLogin = async (event, api) => { api.authentication.setPrimaryUser('auth0|primary000000000000000001'); };")],
            bindings: ["post-login": ["link"]])
        // Not linked: Auth0 refuses to issue tokens for another user.
        let refused = try await simulate(try await makePipeline(f, users: [TestUsers.ann(), other]))
        #expect(refused.outcome == .error)
        #expect(refused.error?.description.contains("is not linked with the user who logged in") == true, "\(refused.error?.description ?? "")")
        #expect(refused.idClaims["sub"] == nil)
        // Ann's identity linked to the primary user: its tokens.
        other.identities.append(Identity(provider: "auth0", connection: "Username-Password-Authentication", userId: "ann0000000000000000000001", isSocial: false))
        let r = try await simulate(try await makePipeline(f, users: [TestUsers.ann(), other]))
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
        #expect(r.idClaims["sub"] == "auth0|primary000000000000000001")
        #expect(r.traceEntry("link")?["changes"]?["primaryUser"] == "auth0|primary000000000000000001")
    }

    @Test func cacheKeepsValuesWithinItsLimits() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "cache", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      const results = [];
                      for (let i = 0; i < 21; i++) results.push(api.cache.set('k' + i, 'v' + i).type);
                      const full = api.cache.set('one-more', 'x');
                      const longKey = api.cache.set('x'.repeat(65), 'v');
                      const bigValue = api.cache.set('k0', 'v'.repeat(4097));
                      const got = api.cache.get('k3');
                      api.cache.delete('k3');
                      api.idToken.setCustomClaim('https://t/cache', {
                        successes: results.filter(t => t === 'success').length, full: full.code, longKey: longKey.code, bigValue: bigValue.code,
                        got: got.value, ttl: got.expires_at > Date.now() + 23 * 3600 * 1000 && got.expires_at <= Date.now() + 24 * 3600 * 1000,
                        gone: api.cache.get('k3') === undefined
                      });
                    };
                    """)
            ], bindings: ["post-login": ["cache"]])
        let r = try await simulate(try await makePipeline(f))
        #expect(r.idClaims["https://t/cache"] == ["successes": 20, "full": "MAX_ENTRIES_EXCEEDED", "longKey": "KEY_TOO_LARGE", "bigValue": "VALUE_TOO_LARGE", "got": "v3", "ttl": true, "gone": true])
    }

    /// The cache's Map is the runtime's: an action that replaces Map.prototype methods is never
    /// handed it (it would hold every login's entries past the cache's limits).
    @Test func theCacheUsesNoMethodAnActionReplaced() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "replaces", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      const handed = [];
                      const forEach = Map.prototype.forEach, has = Map.prototype.has, get = Map.prototype.get, set = Map.prototype.set;
                      Map.prototype.forEach = function (fn) { handed.push('forEach'); return forEach.call(this, fn); };
                      Map.prototype.has = function (k) { handed.push('has'); return has.call(this, k); };
                      Map.prototype.get = function (k) { handed.push('get'); return get.call(this, k); };
                      Map.prototype.set = function (k, v) { handed.push('set'); return set.call(this, k, v); };
                      const stored = api.cache.set('k', 'v').type;
                      const got = api.cache.get('k').value;
                      Object.assign(Map.prototype, { forEach, has, get, set });
                      api.idToken.setCustomClaim('https://t/cache', { stored, got, handed });
                    };
                    """)
            ], bindings: ["post-login": ["replaces"]])
        let r = try await simulate(try await makePipeline(f))
        #expect(r.error == nil, "\(r.error?.description ?? "")")
        #expect(r.idClaims["https://t/cache"] == ["stored": "success", "got": "v", "handed": []])
    }

    /// As Auth0 documents: one cache per trigger, shared by its actions; transaction metadata in
    /// the event as soon as it is set.
    @Test func theCacheIsPerTriggerAndTransactionMetadataShowsAtOnce() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "first", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.cache.set('shared', 'from first');
                      api.transaction.setMetadata('step', 'one');
                      api.idToken.setCustomClaim('https://t/seen-at-once', event.transaction.metadata.step);
                    };
                    """),
                ActionSource(name: "second", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      const e = api.cache.get('shared');
                      api.idToken.setCustomClaim('https://t/second', { cached: e && e.value, step: event.transaction.metadata.step });
                    };
                    """),
            ], bindings: ["post-login": ["first", "second"]])
        let r = try await simulate(try await makePipeline(f))
        #expect(r.error == nil)
        #expect(r.idClaims["https://t/seen-at-once"] == "one")
        #expect(r.idClaims["https://t/second"] == ["cached": "from first", "step": "one"])
    }

    @Test func redirectIsInteractionRequiredInPasswordFlowsAndResumesOtherwise() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "consent", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.user.setUserMetadata('asked', true);
                      if (event.transaction.protocol !== 'oauth2-password') {
                        const token = api.redirect.encodeToken({ secret: 'rs', payload: { state: 'will-not-match' } });
                        api.redirect.sendUserTo('https://consent.test/ask', { query: { session_token: token } });
                      }
                    };
                    exports.onContinuePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://t/answer', event.request.query.answer);
                    };
                    """),
                ActionSource(name: "after", code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/after', event.user.user_metadata.asked); };"),
            ], bindings: ["post-login": ["consent", "after"]])
        let p = try await makePipeline(f)
        let password = try await simulate(p) { $0.protocolName = "oauth2-password" }
        #expect(password.outcome == .allowed)
        #expect(password.idClaims["https://t/after"] == true)

        let first = try await simulate(p)
        #expect(first.outcome == .redirect)
        #expect(first.redirect?["url"]?.stringValue?.hasPrefix("https://consent.test/ask?session_token=") == true)
        #expect(first.traceEntry("after") == nil)
        #expect(first.resume?["kind"] == "action")
        // Metadata queued before the redirect is already saved.
        #expect(try await p.store.user(id: TestUsers.ann().userId)?.userMetadata["asked"] == true)

        let resumed = try await simulate(p) { r in
            r.resume = first.resume
            r.query = ["answer": "yes"]
        }
        #expect(resumed.outcome == .allowed)
        #expect(resumed.idClaims["https://t/answer"] == "yes")
        #expect(resumed.idClaims["https://t/after"] == true)
        #expect(resumed.traceEntry("consent")?["handler"] == "onContinuePostLogin")
    }

    @Test func aThrowingOrHangingActionIsNamed() async throws {
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": 2}}"#
        f.add(
            actions: [
                ActionSource(name: "throws", code: "exports.onExecutePostLogin = async () => { throw new Error('kaput'); };"),
                ActionSource(name: "hangs", code: "exports.onExecutePostLogin = () => new Promise(() => {});"),
            ], bindings: ["post-login": ["throws"]])
        let thrown = try await simulate(try await makePipeline(f))
        #expect(thrown.error == FlowError("access_denied", "kaput"))
        #expect(thrown.traceEntry("throws")?["outcome"] == "error")
        let hang = try await simulate(try await makePipeline(f)) { $0.actions = ["hangs"] }
        #expect(hang.error?.description.contains("action 'hangs' did not finish within 2 s") == true)
    }

    @Test func syntaxErrorsInActionsNameFileAndLine() async throws {
        var f = TenantFixture()
        f.add(actions: [ActionSource(name: "broken", code: "exports.onExecutePostLogin = async (event, api) => {\n  const = 1;\n};")], bindings: ["post-login": ["broken"]])
        do {
            _ = try await simulate(try await makePipeline(f))
            Issue.record("expected a script error")
        } catch let error as PipelineError {
            guard case .script(let file, let line, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file == "actions/broken/code.js")
            #expect(line == 2)
        }
    }
}

/// An action's or a hook's code is a module's body, placed in a function: code that closes that
/// function would go on at the top level and run while the program loads, outside any login's
/// limits. It is refused as a syntax error; what a module body may do (return early, end in a
/// line comment) is not.
@Suite struct ModuleBodyTests {
    /// Each loads, and sets `escaped` at load, when placed in the module function unchecked
    /// (checked with Node's `vm` on the same wrapper).
    static let escapes = [
        "}); globalThis.escaped = 1; (function () {",
        "}(globalThis.escaped = 1), function () {",
        "}.call(this, {}), globalThis.escaped = 1, function () {",
    ]

    func refusal(_ f: TenantFixture) async throws -> (file: String, line: Int?, message: String)? {
        do {
            _ = try await simulate(try await makePipeline(f))
        } catch let error as PipelineError {
            guard case .script(let file, let line, let message) = error else { return nil }
            return (file, line, message)
        }
        return nil
    }

    @Test(arguments: escapes) func anActionThatClosesItsFunctionIsRefused(escape: String) async throws {
        var f = TenantFixture()
        f.add(actions: [ActionSource(name: "escapes", code: "exports.onExecutePostLogin = async () => {};\n" + escape)], bindings: ["post-login": ["escapes"]])
        let refused = try #require(try await refusal(f), "the action loaded")
        #expect(refused.file == "actions/escapes/code.js")
        #expect(refused.line == 2, "the line of the closing brace")
        #expect(refused.message.contains("closes the module function it is wrapped in"))
    }

    @Test(arguments: escapes) func aHookThatClosesItsFunctionIsRefused(escape: String) async throws {
        var f = TenantFixture()
        // A login runs a job (and so loads the program, hooks included) only when a script runs.
        f.add(actions: [ActionSource(name: "plain", code: "exports.onExecutePostLogin = async () => {};")], bindings: ["post-login": ["plain"]])
        f.extraFiles["hooks/cc.json"] = #"{"name": "cc", "script": "./cc.js", "triggerId": "credentials-exchange", "enabled": true}"#
        f.extraFiles["hooks/cc.js"] = "module.exports = function (client, scope, audience, context, cb) { cb(null, {}); };\n" + escape
        let refused = try #require(try await refusal(f), "the hook loaded")
        #expect(refused.file == "hooks/cc.js")
        #expect(refused.line == 2, "the line of the closing brace")
        #expect(refused.message.contains("closes the module function it is wrapped in"))
    }

    /// A comment or a template left open at the end (to swallow what follows the code), and an
    /// HTML-like comment on the first line (a comment where a body starts a line, not after
    /// the wrapper's `{`): refused by one check or the other.
    @Test(arguments: [
        "exports.onExecutePostLogin = async () => {};\n/*", "exports.onExecutePostLogin = async () => {};\n`",
        "exports.onExecutePostLogin = async () => {};\n}) /*",
        "--> }); globalThis.escaped = 1; (function () {\nexports.onExecutePostLogin = async () => {};",
    ])
    func whatHidesTheClosingBraceIsRefused(code: String) async throws {
        var f = TenantFixture()
        f.add(actions: [ActionSource(name: "hides", code: code)], bindings: ["post-login": ["hides"]])
        let refused = try #require(try await refusal(f), "the action loaded")
        #expect(refused.file == "actions/hides/code.js")
    }

    @Test func whatAModuleBodyMayDoStillLoads() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "early", code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/early', true); };\nif (true) return;\nexports.onExecutePostLogin = null; // never reached"),
            ], bindings: ["post-login": ["early"]])
        let result = try await simulate(try await makePipeline(f))
        #expect(result.outcome == .allowed)
        #expect(result.idClaims["https://t/early"] == true)
    }
}

@Suite struct OtherTriggersTests {
    @Test func credentialsExchangeAddsClaimsOrDenies() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "m2m", code: """
                    exports.onExecuteCredentialsExchange = async (event, api) => {
                      if (event.client.metadata.k !== 'v') return api.access.deny('invalid_request', 'wrong client');
                      if (event.transaction.requested_scopes.indexOf('admin') >= 0) return api.access.deny('unauthorized_client', 'no admin for machines');
                      api.accessToken.setCustomClaim('https://t/aud', event.resource_server.identifier);
                    };
                    """, triggers: ["credentials-exchange"])
            ], bindings: ["credentials-exchange": ["m2m"]])
        let p = try await makePipeline(f)
        let client = try #require(p.tenant.client(named: "testclient"))
        let ok = try await p.credentialsExchange(client: client, audience: "https://api.test", scopes: ["read:things"], ip: nil, userAgent: nil)
        #expect(ok.denied == nil)
        #expect(ok.accessTokenClaims["https://t/aud"] == "https://api.test")
        #expect(ok.trace.first?["trigger"] == "credentials-exchange")
        let no = try await p.credentialsExchange(client: client, audience: "https://api.test", scopes: ["admin"], ip: nil, userAgent: nil)
        #expect(no.denied == FlowError("unauthorized_client", "no admin for machines"))
        #expect(no.accessTokenClaims.isEmpty)
    }
}

/// The id the tenant gives a rule of that name.
func ruleID(_ name: String) -> String {
    Rule(name: name, file: "rules/\(name).js", source: "").id
}
