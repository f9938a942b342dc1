import Directory
import Foundation
import JSONCore
import ScriptRuntime
import Tenant
import Testing

@testable import LoginEngine

/// What scripts see of the runtime and of each other: the documented globals and nothing of the
/// runtime's own, secrets that no other script reaches, and nothing one login leaves for the next.
@Suite struct SealedRuntimeTests {
    /// Every name a script can reach on the global object and its prototype chain (own keys,
    /// enumerable or not, symbols included) is one the README documents, and the other way round.
    @Test func theGlobalsAreTheDocumentedOnes() async throws {
        var f = TenantFixture()
        f.rules = [("enumerate", """
            function (user, context, callback) {
              var levels = [];
              for (var o = globalThis; o; o = Object.getPrototypeOf(o)) levels.push(Reflect.ownKeys(o).map(String).sort());
              context.idToken['https://t/globals'] = levels;
              callback(null, user, context);
            }
            """)]
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        let levels = try #require(r.idClaims["https://t/globals"]?.arrayValue).map { ($0.arrayValue ?? []).compactMap(\.stringValue) }
        print("globals a script reaches (global object): \(levels.first?.joined(separator: " ") ?? "")")
        let documented = try documentedGlobals()
        #expect(Set(levels[0]) == documented.global, "undocumented: \(Set(levels[0]).subtracting(documented.global).sorted()), documented but absent: \(documented.global.subtracting(levels[0]).sorted())")
        // Above the global object only Object.prototype, as in Node's vm contexts.
        #expect(levels.count == 2)
        #expect(Set(levels.dropFirst().first ?? []) == documented.objectPrototype)
        for name in levels.joined() {
            #expect(!name.hasPrefix("__rt") && !name.hasPrefix("__node") && !name.hasPrefix("__authsim") && name != "rt")
        }
    }

    /// The README's list, between `<!-- globals -->` and `<!-- /globals -->`: one line for the
    /// global object's names, one for Object.prototype's.
    func documentedGlobals() throws -> (global: Set<String>, objectPrototype: Set<String>) {
        let readme = try String(contentsOfFile: sampleTenantDirectory + "/README.md", encoding: .utf8)
        guard let start = readme.range(of: "<!-- globals -->"), let end = readme.range(of: "<!-- /globals -->", range: start.upperBound..<readme.endIndex) else {
            throw DocumentationMissing()
        }
        var sets: [Set<String>] = []
        for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("- ") {
            let names = line.split(separator: ":", maxSplits: 1).last.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`.")) } } ?? []
            sets.append(Set(names.filter { !$0.isEmpty }))
        }
        guard sets.count == 2 else { throw DocumentationMissing() }
        return (sets[0], sets[1])
    }

    struct DocumentationMissing: Error {}

    /// One action that installs every trap it can on what actions share (an Object.prototype
    /// setter and getter, JSON.parse, Object.defineProperty, Object.freeze) runs before the
    /// action holding the secret: nothing of the secret reaches it, the tokens or the trace,
    /// while the second action reads its secret as usual.
    @Test func anActionsSecretsReachNoOtherScript() async throws {
        var f = TenantFixture()
        f.add(
            actions: [
                ActionSource(name: "thief", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      const stringify = JSON.stringify;
                      globalThis.loot = '';
                      const grab = (v) => { try { globalThis.loot += stringify(v) + ' '; } catch (e) {} };
                      Object.defineProperty(Object.prototype, 'secrets', { configurable: true, set(v) { grab(v); Object.defineProperty(this, 'secrets', { value: v, writable: true, enumerable: true, configurable: true }); } });
                      Object.defineProperty(Object.prototype, 'MISSING', { configurable: true, get() { grab(this); return undefined; } });
                      const parse = JSON.parse; JSON.parse = function (s) { grab(s); return parse(s); };
                      const dp = Object.defineProperty; Object.defineProperty = function (o, k, d) { grab(d && d.value); return dp(o, k, d); };
                      const freeze = Object.freeze; Object.freeze = function (o) { grab(o); return freeze(o); };
                    };
                    """),
                ActionSource(name: "victim", code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://t/victim', [event.secrets.KEY === 'sup3r-s3cret', event.secrets.MISSING === undefined,
                        Object.getPrototypeOf(event.secrets) === null, Object.isFrozen(event.secrets), Object.keys(event.secrets).join()]);
                    };
                    """, secrets: ["KEY": "sup3r-s3cret"]),
                ActionSource(name: "reporter", code: """
                    exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/loot', String(globalThis.loot)); };
                    """),
            ], bindings: ["post-login": ["thief", "victim", "reporter"]])
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["https://t/victim"] == [true, true, true, true, "KEY"])
        #expect(r.idClaims["https://t/loot"]?.stringValue?.contains("sup3r") == false)
        let everything = String(describing: r.idToken?.claims ?? .null) + String(describing: r.accessToken?.claims ?? .null) + String(describing: r.trace)
        #expect(!everything.contains("sup3r-s3cret"))
    }

    /// A script that replaces Promise.resolve (with a thenable that never calls back) cannot
    /// make the driver skip the next action: the action that denies still runs and denies.
    /// (Replacing Promise.prototype.then itself breaks every promise of that login, as in Node:
    /// the login then fails on its deadline; it is never allowed.)
    @Test func anEarlierScriptCannotSkipALaterAction() async throws {
        var f = TenantFixture()
        f.rules = [("skipper", """
            function (user, context, callback) {
              var fake = { then: function (ok) { return fake; }, finally: function () { return fake; } };
              Promise.resolve = function () { return fake; };
              callback(null, user, context);
            }
            """)]
        f.add(actions: [ActionSource(name: "gate", code: "exports.onExecutePostLogin = async (event, api) => { api.access.deny('gated'); };")], bindings: ["post-login": ["gate"]])
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        #expect(r.outcome == .denied)
        #expect(r.error?.description.contains("gated") == true)
    }

    /// A rule that wraps bcrypt (module objects are shared by every script of the tenant) does
    /// not see the password a later custom-database login checks: the wrap is gone when its job
    /// ends. One worker, so both jobs share one context.
    /// `warmLogins`: logins before the one that wraps (the put-back's compiled check, used once a
    /// context has served a few jobs, must find the change too).
    @Test(arguments: [0, 6]) func aRuleCannotWrapAModuleForLaterLogins(warmLogins: Int) async throws {
        var f = TenantFixture()
        f.extraFiles["database-connections/db/database.json"] = #"{"name": "db", "options": {"enabled_database_customization": true}}"#
        f.extraFiles["database-connections/Username-Password-Authentication/database.json"] = #"{"name": "Username-Password-Authentication"}"#
        f.extraFiles["database-connections/db/login.js"] = """
            function login(email, password, callback) {
              const bcrypt = require('bcrypt');
              const hash = bcrypt.hashSync('right', 4);
              callback(null, { user_id: 'db1', email: email, ok: bcrypt.compareSync(password, hash) });
            }
            """
        f.rules = [
            ("wrap", """
                function (user, context, callback) {
                  const bcrypt = require('bcrypt');
                  global.logins = (global.logins || 0) + 1;
                  if (global.logins <= \(warmLogins)) return callback(null, user, context);
                  const compareSync = bcrypt.compareSync;
                  bcrypt.compareSync = function (p, h) { global.captured = (global.captured || []).concat([p]); return compareSync(p, h); };
                  require('crypto').timingSafeEqual = function () { return true; };
                  context.idToken['https://t/captured'] = global.captured || null;
                  callback(null, user, context);
                }
                """)
        ]
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { runtime.shutdown() }
        let tenant = try TenantLoader.load(directory: try f.write())
        let store = try SQLiteUserStore(path: temporaryPath("store.sqlite"))
        try await store.insert(TestUsers.ann())
        // Its own hashing pool: the process's is shared with every test running meanwhile, and
        // a queue of their cost-10 hashes once kept `hashSync` waiting past the script's 10 s.
        let p = LoginPipeline(tenant: tenant, store: store, runtime: runtime, keys: try await Shared.keys.value, kdfPool: KDFPool(threads: 1, queueLimit: 4))
        for _ in 0..<warmLogins { #expect(try await p.simulate(SimulationRequest(user: .stored("ann@test.local")), signTokens: false).outcome == .allowed) }
        let first = try await p.simulate(SimulationRequest(user: .stored("ann@test.local")), signTokens: false)
        #expect(first.outcome == .allowed)
        let db = try await p.tryConnectionScript(connection: "db", script: "login", args: ["victim@test.local", "the-victims-password"])
        #expect(db.result?["ok"] == false, "\(db)")
        let second = try await p.simulate(SimulationRequest(user: .stored("ann@test.local")), signTokens: false)
        #expect(second.outcome == .allowed)
        #expect(second.idClaims["https://t/captured"] == nil, "the second login's rule found \(second.idClaims["https://t/captured"] ?? .null)")
    }

    /// A rule that keeps something in `global` (kept from login to login, as in Auth0's container)
    /// before a later rule first requires `http` or `axios`: the context is kept, so the global
    /// counts every login (it used to be dropped after every login: `stream`'s load, under `http`,
    /// changes what readable-stream's load recorded, which was only taken as its state when the
    /// job had added no global key).
    @Test func aGlobalARuleKeepsSurvivesALaterRulesFirstRequire() async throws {
        var f = TenantFixture()
        f.rules = [
            ("remember", """
                function (user, context, callback) {
                  global.logins = (global.logins || 0) + 1;
                  context.idToken['https://t/logins'] = global.logins;
                  callback(null, user, context);
                }
                """),
            ("call-out", """
                function (user, context, callback) {
                  const http = require('http'), axios = require('axios');
                  context.idToken['https://t/modules'] = [typeof http.request, typeof axios.get].join();
                  callback(null, user, context);
                }
                """),
        ]
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { runtime.shutdown() }
        let p = try await makePipeline(f, runtime: runtime)
        for login in 1...4 {
            let r = try await p.simulate(SimulationRequest(user: .stored("ann@test.local")), signTokens: false)
            #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
            #expect(r.idClaims["https://t/logins"] == .number(Double(login)), "login \(login): \(r.idClaims)")
            #expect(r.idClaims["https://t/modules"] == "function,function")
        }
    }

    /// The `Date` rules see (the driver's, which keeps a flow's clock) and `Function` take keys
    /// for their login, as in Node, and the next login does not see them. One worker, so every
    /// login meets the same context.
    @Test(arguments: [0, 6]) func keysARuleAddsToDateAndFunctionLastOneLogin(warmLogins: Int) async throws {
        var f = TenantFixture()
        f.rules = [
            ("extend", """
                function (user, context, callback) {
                  context.idToken['https://t/seen'] = [typeof Date.fromRule, typeof Function.fromRule].join();
                  if (context.request.query.extend === 'yes') {
                    Date.fromRule = function () { return 'kept?'; };
                    Function.fromRule = 1;
                    context.idToken['https://t/during'] = [typeof Date.fromRule, typeof Function.fromRule].join();
                  }
                  callback(null, user, context);
                }
                """)
        ]
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { runtime.shutdown() }
        let p = try await makePipeline(f, runtime: runtime)
        func login(extend: Bool) async throws -> SimulationResult {
            var request = SimulationRequest(user: .stored("ann@test.local"))
            request.query = extend ? ["extend": "yes"] : [:]
            let r = try await p.simulate(request, signTokens: false)
            #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
            return r
        }
        for _ in 0..<warmLogins { _ = try await login(extend: false) }
        let extended = try await login(extend: true)
        #expect(extended.idClaims["https://t/during"] == "function,number")
        #expect(try await login(extend: false).idClaims["https://t/seen"] == "undefined,undefined")
    }

    /// What the drivers hand every rule beside the built-ins (UnauthorizedError, `require`) and
    /// what module functions and RegExp.multiline hold keep nothing a login leaves for the next:
    /// a getter planted on UnauthorizedError.prototype.message would otherwise answer the next
    /// login's denial and hand its message to a third. One worker, so every login meets the same
    /// context (the counter shows it).
    @Test func whatTheDriversHandRulesKeepsNothingForLaterLogins() async throws {
        var f = TenantFixture()
        f.rules = [
            ("plant", """
                function (user, context, callback) {
                  global.n = (global.n || 0) + 1;
                  context.idToken['https://t/n'] = global.n;
                  context.idToken['https://t/stolen'] = String(global.stolen);
                  if (context.request.query.plant === 'yes') {
                    const attempts = [
                      () => Object.defineProperty(UnauthorizedError.prototype, 'message', { configurable: true, get() { return 'hijacked'; }, set(v) { global.stolen = v; } }),
                      () => { UnauthorizedError.planted = 1; }, () => { require.planted = 1; }, () => { require.cache.planted = 1; },
                      () => { require.resolve = function () { return 'EVIL'; }; },
                      () => { require('crypto').randomBytes.planted = 1; }, () => { require('util').format.planted = 1; },
                      () => { RegExp.multiline = true; }
                    ];
                    for (const attempt of attempts) { try { attempt(); } catch (e) {} }
                  }
                  context.idToken['https://t/seen'] = [typeof UnauthorizedError.planted, typeof require.planted, typeof require.cache.planted,
                    require.resolve('crypto'), typeof require('crypto').randomBytes.planted, typeof require('util').format.planted, RegExp.multiline].join();
                  callback(null, user, context);
                }
                """),
            ("deny", """
                function (user, context, callback) {
                  if (context.request.query.deny === 'yes') return callback(new UnauthorizedError('the reason for ' + user.email));
                  callback(null, user, context);
                }
                """),
        ]
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { runtime.shutdown() }
        let p = try await makePipeline(f, runtime: runtime)
        func login(_ query: [String: JSONValue]) async throws -> SimulationResult {
            var request = SimulationRequest(user: .stored("ann@test.local"))
            request.query = query
            return try await p.simulate(request, signTokens: false)
        }
        let planted = try await login(["plant": "yes"])
        #expect(planted.outcome == .allowed, "\(planted.error?.description ?? "")")
        let denied = try await login(["deny": "yes"])
        #expect(denied.outcome != .allowed)
        #expect(denied.error?.description == "the reason for ann@test.local", "\(denied.error?.description ?? "")")
        let after = try await login([:])
        #expect(after.outcome == .allowed, "\(after.error?.description ?? "")")
        #expect(after.idClaims["https://t/n"] == 3)
        #expect(after.idClaims["https://t/stolen"] == "undefined")
        #expect(after.idClaims["https://t/seen"] == "undefined,undefined,undefined,crypto,undefined,undefined,false")
    }
}
