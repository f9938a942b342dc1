import AuthorTools
import Directory
import Foundation
import JSONCore
import ScriptRuntime
import Testing

@testable import LoginEngine
import Tokens

@Suite struct SampleTenantTests {
    @Test func sampleRulesSetTheirClaimsAndEachAppearsInTheTrace() async throws {
        let p = try await makePipeline(directory: sampleTenantDirectory)
        let r = try await simulate(p, user: "ann@example.com") { $0.ip = "203.0.113.10" }
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["https://example.com/roles"] == ["admin", "editor"])
        #expect(r.idClaims["https://example.com/plan"] == "enterprise")
        #expect(r.idClaims["https://example.com/lang"] == "en")
        #expect(r.idClaims["https://example.com/country"] == "FR")
        #expect(r.idClaims["https://example.com/first_login"] == true)
        #expect(r.accessClaims["https://example.com/roles"] == ["admin", "editor"])
        #expect(r.trace.map { $0["name"]?.stringValue } == ["add-roles-to-tokens", "require-verified-email", "metadata-claims", "geoip-country", "track-first-login"])
        #expect(r.traceEntry("add-roles-to-tokens")?["changes"]?["idToken"]?["added"]?["https://example.com/roles"] == ["admin", "editor"])
        for entry in r.trace {
            #expect(entry["order"]?.intValue != nil)
            #expect(entry["startedAt"]?.stringValue.flatMap(Timestamp.parse) != nil)
            #expect(entry["endedAt"]?.stringValue.flatMap(Timestamp.parse) != nil)
            #expect(entry["file"]?.stringValue?.hasPrefix("rules/") == true)
        }
        #expect(r.traceEntry("geoip-country")?["console"]?.arrayValue?.first?["message"] == "login from France (FR)")
        let write = try #require(r.traceEntry("track-first-login")?["changes"]?["metadataWrites"]?.arrayValue?.first)
        #expect(write["persisted"] == true)
        // Persisted: the second login is no longer a first login.
        #expect(r.persistedUserMetadata["first_login_at"] != nil)
        let again = try await simulate(p, user: "ann@example.com")
        #expect(again.idClaims["https://example.com/first_login"] == false)
        #expect(again.idClaims["https://example.com/country"] == "US")
        #expect(again.user["logins_count"] == 2)
        // Tokens verify against the JWKS.
        let jwt = try #require(r.idToken?.jwt)
        #expect(throws: Never.self) { try JWT.verifyRS256(JWT.decode(jwt), jwks: p.issuer.keys.jwks).get() }
    }

    @Test func unverifiedUserIsStoppedByTheGate() async throws {
        let p = try await makePipeline(directory: sampleTenantDirectory)
        let r = try await simulate(p, user: "unverified@example.com")
        #expect(r.outcome == .denied)
        #expect(r.error == FlowError("unauthorized", "Please verify your email before logging in."))
        #expect(r.trace.count == 2)
        #expect(r.idToken == nil)
    }

    @Test func blockedUserFailsBeforeRules() async throws {
        let p = try await makePipeline(directory: sampleTenantDirectory)
        let r = try await simulate(p, user: "blocked@example.com")
        #expect(r.outcome == .denied)
        #expect(r.error == .userBlocked)
        #expect(r.trace.isEmpty)
        // Also on a real password login.
        let l = try await p.login(username: "blocked@example.com", password: "Passw0rd!")
        #expect(l.error == .userBlocked)
    }

    @Test func passwordLoginChecksTheBcryptHash() async throws {
        let p = try await makePipeline(directory: sampleTenantDirectory)
        let wrong = try await p.login(username: "bob@example.com", password: "nope")
        #expect(wrong.outcome == .denied)
        #expect(wrong.error?.error == "invalid_grant")
        #expect(wrong.trace.isEmpty)
        let right = try await p.login(username: "BOB@example.com", password: "Passw0rd!")
        #expect(right.outcome == .allowed)
        #expect(right.protocolName == "oauth2-password")
        #expect(right.idClaims["https://example.com/plan"] == "pro")
    }
}

@Suite struct CallbackSemanticsTests {
    @Test func callbackWithNullContinuesWithCurrentObjects() async throws {
        var f = TenantFixture()
        f.rules = [
            ("first", "function (user, context, callback) { context.idToken['https://t/a'] = 1; user.seen = true; callback(null); }"),
            ("second", "function (user, context, callback) { context.idToken['https://t/b'] = user.seen && context.idToken['https://t/a'] === 1; callback(null, user, context); }"),
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["https://t/b"] == true)
    }

    @Test(arguments: [
        ("callback(new UnauthorizedError('go away'));", "unauthorized", "go away"),
        ("callback(new Error('nope'));", "access_denied", "nope"),
        ("callback('bare string');", "access_denied", "bare string"),
        ("throw new TypeError('thrown');", "access_denied", "thrown"),
        ("null.boom;", "access_denied", "Cannot read properties of null (reading 'boom')"),
    ])
    func errorsStopTheFlow(body: String, code: String, message: String) async throws {
        var f = TenantFixture()
        f.rules = [
            ("gate", "function (user, context, callback) { \(body) }"),
            ("never", "function (user, context, callback) { context.idToken['https://t/x'] = 1; callback(null, user, context); }"),
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .denied)
        #expect(r.error == FlowError(code, message))
        #expect(r.trace.count == 1)
        #expect(r.trace[0]["outcome"] == "denied")
        #expect(r.idToken == nil)
    }

    @Test func rejectedAsyncRuleIsAccessDenied() async throws {
        var f = TenantFixture()
        f.rules = [("async-reject", "async function (user, context, callback) { await null; throw new Error('async failure'); }")]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.error == FlowError("access_denied", "async failure"))
    }

    @Test func neverCallingBackTimesOutNamingTheRule() async throws {
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": 2}}"#
        f.rules = [
            ("fine", "function (user, context, callback) { console.log('ok'); callback(null, user, context); }"),
            ("forgetful", "function (user, context, callback) { console.log('forgot to call back'); }"),
        ]
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        #expect(r.outcome == .error)
        #expect(r.error?.description.contains("rule 'forgetful'") == true)
        #expect(r.trace.map { $0["name"]?.stringValue } == ["fine", "forgetful"])
        #expect(r.trace.last?["outcome"] == "timeout")
        #expect(r.trace.last?["console"]?.arrayValue?.first?["message"] == "forgot to call back")
    }

    /// Each rule's console writes to the rule's own lines, whenever it is called (a line logged
    /// after the callback, once the next rule runs, is still the rule's), with a budget of its
    /// own; what the global console gets while a rule runs (a module's `console.log`) goes to
    /// that rule's lines; and what a login does to the global console is undone for the next.
    @Test func eachRuleWritesToItsOwnConsoleLines() async throws {
        var f = TenantFixture()
        f.rules = [
            ("chatty", "function (user, context, callback) { for (var i = 0; i < 600; i++) console.log('line ' + i); callback(null, user, context); }"),
            ("late", "function (user, context, callback) { Promise.resolve().then(function () {}).then(function () {}).then(function () { console.log('late line'); }); callback(null, user, context); }"),
            ("global", "function (user, context, callback) { global.console.warn('through the global console'); callback(null, user, context); }"),
            ("vandal", "function (user, context, callback) { console.log = function () {}; global.console.warn = function () {}; callback(null, user, context); }"),
            ("after", "function (user, context, callback) { console.log('after the vandal'); global.console.warn('global after the vandal'); callback(null, user, context); }"),
        ]
        // One worker: every login runs in the same context, so the second one shows what the
        // first left behind.
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { runtime.shutdown() }
        let p = try await makePipeline(f, runtime: runtime)
        for login in 1...2 {
            let r = try await simulate(p)
            let lines = { (name: String) in (r.traceEntry(name)?["console"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue } }
            #expect(lines("chatty").count == 501, "login \(login)")  // 500 lines and the marker of what was cut
            #expect(lines("chatty").last?.contains("100 more console lines cut") == true, "login \(login)")
            #expect(lines("late") == ["late line"], "login \(login)")
            #expect(lines("global") == ["through the global console"], "login \(login)")
            #expect(r.traceEntry("global")?["console"]?.arrayValue?.first?["level"] == "warn")
            // A rule's own console is its own; the global one, replaced, stays so for the login.
            #expect(lines("after") == ["after the vandal"], "login \(login)")
        }
    }

    /// A rule that calls back at once still ends with a microtask turn: what it queued before
    /// calling back runs before the next rule starts.
    @Test func workARuleQueuedRunsBeforeTheNextRule() async throws {
        var f = TenantFixture()
        f.rules = [
            ("queues", "function (user, context, callback) { Promise.resolve().then(function () { context.idToken['https://t/late'] = 1; }); callback(null, user, context); }"),
            ("reads", "function (user, context, callback) { context.idToken['https://t/seen'] = context.idToken['https://t/late'] === 1; callback(null, user, context); }"),
            ("async", "async function (user, context, callback) { await new Promise(function (r) { setTimeout(r, 5); }); context.idToken['https://t/async'] = true; callback(null, user, context); }"),
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["https://t/seen"] == true)
        #expect(r.idClaims["https://t/async"] == true)
    }

    /// A `then` planted on Object.prototype does not take over how the driver reads a rule's
    /// callback (its answer has no prototype).
    @Test func aPlantedThenDoesNotStealTheCallback() async throws {
        var f = TenantFixture()
        f.rules = [
            ("planter", "function (user, context, callback) { Object.prototype.then = function (resolve) { resolve({ err: new Error('hijacked') }); }; context.idToken['https://t/a'] = 1; callback(null, user, context); }"),
            ("next", "function (user, context, callback) { delete Object.prototype.then; context.idToken['https://t/b'] = 2; callback(null, user, context); }"),
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .allowed, "\(String(describing: r.error))")
        #expect(r.idClaims["https://t/a"] == 1)
        #expect(r.idClaims["https://t/b"] == 2)
    }

    @Test func callingBackTwiceIsAWarning() async throws {
        var f = TenantFixture()
        f.rules = [
            ("twice", "function (user, context, callback) { context.idToken['https://t/n'] = 1; callback(null, user, context); callback(new Error('ignored')); }"),
            ("after", "function (user, context, callback) { context.idToken['https://t/after'] = true; callback(null, user, context); }"),
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["https://t/after"] == true)
        #expect(r.trace[0]["warnings"]?.arrayValue?.count == 1)
        #expect(r.warnings.contains { $0.contains("twice") })
    }

    @Test func callbackFromSetTimeout() async throws {
        var f = TenantFixture()
        f.rules = [("later", "function (user, context, callback) { setTimeout(function () { context.idToken['https://t/late'] = 'yes'; callback(null, user, context); }, 30); }")]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["https://t/late"] == "yes")
    }

    @Test func asyncRuleAwaitsUpdateUserMetadataAndItPersists() async throws {
        var f = TenantFixture()
        f.rules = [("persist", """
            async function (user, context, callback) {
              user.user_metadata = user.user_metadata || {};
              user.user_metadata.visits = (user.user_metadata.visits || 0) + 1;
              const updated = await auth0.users.updateUserMetadata(user.user_id, user.user_metadata);
              context.idToken['https://t/visits'] = updated.user_metadata.visits;
              callback(null, user, context);
            }
            """)]
        let p = try await makePipeline(f)
        let r1 = try await simulate(p)
        #expect(r1.idClaims["https://t/visits"] == 1)
        let r2 = try await simulate(p)
        #expect(r2.idClaims["https://t/visits"] == 2)
        let stored = try #require(try await p.store.user(id: TestUsers.ann().userId))
        #expect(stored.userMetadata["visits"] == 2)
        #expect(stored.userMetadata["lang"] == "en")
        #expect(r2.traceEntry("persist")?["changes"]?["metadataWrites"]?.arrayValue?.first?["persisted"] == true)
    }

    @Test func disabledRulesNeverRunAndOrderIsRespected() async throws {
        var f = TenantFixture()
        f.rules = [
            ("a", "function (u, c, cb) { c.idToken['https://t/order'] = (c.idToken['https://t/order'] || '') + 'a'; cb(null, u, c); }"),
            ("off", "function (u, c, cb) { cb(new Error('disabled rule ran')); }"),
            ("b", "function (u, c, cb) { c.idToken['https://t/order'] += 'b'; cb(null, u, c); }"),
        ]
        f.disabled = ["off"]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["https://t/order"] == "ab")
    }

    @Test func userAndContextObjectsLookLikeAuth0s() async throws {
        var f = TenantFixture()
        f.rules = [("inspect", """
            function (user, context, callback) {
              context.idToken['https://t/facts'] = {
                plan: user.plan, appMeta: typeof user.app_metadata, logins: user.logins_count, stats: context.stats.loginsCount,
                client: context.clientName, meta: context.clientMetadata.k, strategy: context.connectionStrategy,
                protocol: context.protocol, ip: context.request.ip, config: configuration.GREETING,
                hasToken: typeof auth0.accessToken === 'string' && auth0.accessToken.split('.').length === 3,
                baseUrl: auth0.baseUrl, roles: context.authorization.roles, risk: context.riskAssessment && context.riskAssessment.confidence
              };
              callback(null, user, context);
            }
            """)]
        var empty = TestUsers.ann()
        empty.appMetadata = [:]
        empty.email = "empty@test.local"
        empty.userId = "auth0|empty"
        let p = try await makePipeline(f, users: [TestUsers.ann(), empty])
        let r = try await simulate(p) {
            $0.ip = "10.1.2.3"
            $0.context = ["riskAssessment": ["confidence": "low"]]
        }
        let facts = try #require(r.idClaims["https://t/facts"])
        #expect(facts["plan"] == "pro")
        #expect(facts["appMeta"] == "object")
        #expect(facts["logins"] == 1)
        #expect(facts["stats"] == 1)
        #expect(facts["client"] == "Test App")
        #expect(facts["meta"] == "v")
        #expect(facts["strategy"] == "auth0")
        #expect(facts["protocol"] == "oidc-basic-profile")
        #expect(facts["ip"] == "10.1.2.3")
        #expect(facts["config"] == "hello")
        #expect(facts["hasToken"] == true)
        #expect(facts["baseUrl"] == "https://test.authsim.local/api/v2")
        #expect(facts["risk"] == "low")
        let r2 = try await simulate(p, user: "empty@test.local")
        #expect(r2.idClaims["https://t/facts"]?["appMeta"] == "undefined")
    }

    @Test func userEditsAreNeverPersisted() async throws {
        var f = TenantFixture()
        f.rules = [("edit", "function (user, context, callback) { user.name = 'Changed'; user.app_metadata.plan = 'free'; callback(null, user, context); }")]
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        #expect(r.traceEntry("edit")?["changes"]?["user"]?["changed"]?["name"]?["to"] == "Changed")
        let stored = try #require(try await p.store.user(id: TestUsers.ann().userId))
        #expect(stored.name == "Ann Test")
        #expect(stored.appMetadata["plan"] == "pro")
    }

    @Test func redirectIsImpossibleInPasswordFlows() async throws {
        var f = TenantFixture()
        f.rules = [("mfa-redirect", "function (user, context, callback) { context.redirect = { url: 'https://example.com/consent' }; context.multifactor = { provider: 'any' }; callback(null, user, context); }")]
        let p = try await makePipeline(f)
        let code = try await simulate(p)
        #expect(code.outcome == .redirect)
        #expect(code.redirect?["url"] == "https://example.com/consent")
        #expect(code.traceEntry("mfa-redirect")?["changes"]?["multifactor"]?["provider"] == "any")
        let password = try await simulate(p) { $0.protocolName = "oauth2-password" }
        #expect(password.outcome == .denied)
        #expect(password.error?.error == "interaction_required")
    }

    @Test func inlineUserMetadataWritesAreReportedNotSaved() async throws {
        var f = TenantFixture()
        f.rules = [("write", "function (user, context, callback) { auth0.users.updateAppMetadata(user.user_id, { tier: 'gold' }).then(function () { callback(null, user, context); }, callback); }")]
        let p = try await makePipeline(f, users: [])
        var req = SimulationRequest(user: .inline(["user_id": "auth0|inline1", "email": "inline@test.local", "email_verified": true]))
        req.client = "Test App"
        let r = try await p.simulate(req)
        #expect(r.outcome == .allowed)
        #expect(r.persistedAppMetadata == ["tier": "gold"])
        #expect(r.metadataStored == false)
        #expect(r.traceEntry("write")?["changes"]?["metadataWrites"]?.arrayValue?.first?["persisted"] == false)
        #expect(try await p.store.count() == 0)
    }
}

/// The text report's timeline: bars laid end to end on the scale of the whole flow, as the
/// console draws them. The steps' durations are set on the trace (a real flow's), so the layout
/// is checked exactly and does not depend on how fast the machine runs the rules.
@Suite struct ReportTimelineTests {
    @Test func barsStartWhereThePreviousStepEnded() async throws {
        var f = TenantFixture()
        f.rules = [
            ("slow", "function (user, context, callback) { callback(null, user, context); }"),
            ("quick", "function (user, context, callback) { callback(null, user, context); }"),
            ("slow-again", "function (user, context, callback) { callback(null, user, context); }"),
        ]
        var result = try await simulate(try await makePipeline(f))
        let durations: [Double] = [30, 1, 30]
        try #require(result.trace.count == 3)
        result.trace = result.trace.enumerated().map { i, entry in
            var o = entry.objectValue ?? [:]
            o["durationMs"] = .number(durations[i])
            return .object(o)
        }
        let bars = result.report().split(separator: "\n").compactMap { line -> [Int]? in
            guard let open = line.firstIndex(of: "│"), let close = line.lastIndex(of: "│"), open < close else { return nil }
            let inside = Array(line[line.index(after: open)..<close])
            guard let first = inside.firstIndex(of: "█") else { return nil }
            return [first, inside.filter { $0 == "█" }.count]
        }
        // 32 columns for 61 ms: 30 ms is 16 columns from 0; 1 ms one column where 30 ms ended
        // (column 15); the last 30 ms from column 16 to the end.
        #expect(bars == [[0, 16], [15, 1], [16, 16]])
    }
}
