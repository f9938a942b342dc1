import Directory
import Foundation
import JSONCore
import Logging
import LoginEngine
import ScriptRuntime
import Tenant
import Tokens

/// The host-boundary fuzz target: every host function scripts can reach (timers, outbound
/// HTTP, crypto, the module loader, metadata writes, console, bcrypt, buffers, the Node
/// globals) called with hostile values — NaN, ±Infinity, 1e300, -0, 2^64, a 1 MiB string,
/// lone surrogates, throwing getters, proxies that throw on every trap, cyclic objects,
/// `Symbol.toPrimitive` and `valueOf` tricks, symbols and bigints.
///
/// An input is a list of calls, four bytes each: function, then three arguments (indexes into
/// the tables of `rule`). One login runs them in a rule of a real pipeline; the properties:
/// the process survives (a trap in a host conversion would end the test process), every call
/// returns or throws inside the script, and the login ends allowed, or with a script limit.
/// Runs are async (a login is a job on the script runtime), so this target has its own small
/// driver instead of `MutationFuzzer`'s synchronous one.
public enum HostFuzz {
    public struct Report: Sendable {
        public var runs = 0
        public var calls = 0
        /// Logins where every call returned or threw and the rule called back.
        public var completed = 0
        /// Logins stopped by a script limit (time, memory): refused, as a hostile script should be.
        public var limited = 0
        public var failures: [String] = []
    }

    /// Functions: `rule`'s table `F` has this many entries; values: `V`.
    static let functionCount = 40
    static let valueCount = 36

    /// The rule, with the tables. `auth0` and `require` are the rule's own (as in Auth0).
    static let rule = #"""
        function (user, context, callback) {
          var cyclic = { a: 1 }; cyclic.self = cyclic;
          var throwing = {}; Object.defineProperty(throwing, 'x', { enumerable: true, get: function () { throw new Error('getter'); } });
          var proxy = new Proxy({}, new Proxy({}, { get: function () { return function () { throw new Error('trap'); }; } }));
          var V = [NaN, Infinity, -Infinity, 1e300, -1e300, -0, -1, 0, 4, 2 ** 53 + 2, 2 ** 64, 2 ** 31, 1.5,
            'x'.repeat(1 << 20), '', '\u0000\ud800\udfff\ud800', 'sha256', 'hex', 'base64', 'http://not-allowed.example/x', '../../../etc/passwd', 'node:fs',
            throwing, proxy, cyclic, { toString: function () { throw new Error('toString'); } }, { valueOf: function () { return 1e300; } },
            { [Symbol.toPrimitive]: function () { throw new Error('toPrimitive'); } }, [1e300, NaN], { length: 1e300 }, Symbol('s'), 10n,
            null, undefined, function () {}, new Uint8Array(8)];
          var crypto = require('crypto'), bcrypt = require('bcrypt'), jwt = require('jsonwebtoken'), util = require('util');
          var F = [
            function (a) { clearTimeout(setTimeout(function () {}, a)); },
            function (a) { clearInterval(setInterval(function () {}, a)); },
            function (a) { clearTimeout(a); clearInterval(a); clearImmediate(a); },
            function (a) { setImmediate(a); },
            function (a) { return require(a); },
            function (a) { return require.resolve(a); },
            function (a, b, c) { return crypto.createHash(a).update(b).digest(c); },
            function (a, b, c) { return crypto.createHmac('sha256', a).update(b).digest(c); },
            function (a) { return crypto.randomBytes(a); },
            function (a, b, c) { return crypto.pbkdf2Sync(a, b, c, 32, 'sha256'); },
            function (a, b, c) { return crypto.pbkdf2Sync('p', 's', 1, a, b); },
            function (a, b) { return crypto.createSign(a).update(b).sign('k'); },
            function (a, b) { return crypto.timingSafeEqual(a, b); },
            function (a, b) { return Buffer.alloc(a, b); },
            function (a, b) { return Buffer.from(a, b); },
            function (a, b, c) { return Buffer.from('abc').toString(a, b, c); },
            function (a, b, c) { console.log(a, b, c); console.error('%s %d %i %f %j %o', a, b, c, a, b, c); console.dir(a); },
            function (a, b) { console.time(a); console.timeEnd(b); console.assert(false, a); },
            function (a) { return auth0.users.updateAppMetadata(user.user_id, a); },
            function (a) { return auth0.users.updateUserMetadata(a, { k: 1 }); },
            function (a, b) { return require('axios').get(a, { timeout: b, maxRedirects: b }); },
            function (a, b) { return fetch(a, b); },
            function (a, b) { return require('request')({ url: a, timeout: b }, function () {}); },
            function (a, b) { return bcrypt.hashSync(a, b); },
            function (a, b) { return bcrypt.compareSync(a, b); },
            function (a) { return bcrypt.genSaltSync(a); },
            function (a, b) { return bcrypt.hash(a, b); },
            function (a, b) { return jwt.sign(a, 'k', b); },
            function (a, b) { return jwt.verify(a, 'k', b); },
            function (a) { return new URL(a); },
            function (a) { return require('querystring').parse(a); },
            function (a, b) { return util.format(a, b) + util.inspect(b); },
            function (a) { return structuredClone(a); },
            function (a) { return new TextDecoder().decode(new TextEncoder().encode(a)); },
            function (a) { process.nextTick(a); return process.hrtime(a); },
            function (a) { return new Uint8Array(a); },
            function (a) { return new ArrayBuffer(a); },
            function (a) { Promise.reject(a); },
            function (a) { queueMicrotask(a); },
            function (a, b) { return atob(a) + btoa(b); }
          ];
          var calls = JSON.parse(context.request.query.calls), done = 0;
          for (var i = 0; i < calls.length; i++) {
            var c = calls[i];
            try {
              var r = F[c[0] % F.length](V[c[1] % V.length], V[c[2] % V.length], V[c[3] % V.length]);
              if (r && typeof r.then === 'function') r.then(undefined, function () {});
            } catch (e) {}
            done++;
          }
          context.idToken['https://fuzz/done'] = done;
          callback(null, user, context);
        }
        """#

    /// A pipeline on a throw-away tenant holding only the fuzz rule, with no outbound host allowed.
    static func pipeline(runtime: ScriptRuntime) async throws -> LoginPipeline {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-hostfuzz-\(UUID().uuidString)")
        let fm = FileManager.default
        for sub in ["rules", "clients"] { try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true) }
        try #"{"authsim": {"domain": "fuzz.authsim.local", "flow_timeout_seconds": 10, "allow_eval": false}}"#
            .write(to: dir.appendingPathComponent("tenant.json"), atomically: true, encoding: .utf8)
        try #"{"name": "Fuzz App", "client_id": "fuzzclient", "client_secret": "s"}"#
            .write(to: dir.appendingPathComponent("clients/app.json"), atomically: true, encoding: .utf8)
        try rule.write(to: dir.appendingPathComponent("rules/fuzz.js"), atomically: true, encoding: .utf8)
        try #"{"name": "fuzz", "order": 1, "enabled": true}"#.write(to: dir.appendingPathComponent("rules/fuzz.json"), atomically: true, encoding: .utf8)
        let tenant = try TenantLoader.load(directory: dir.path)
        let store = try SQLiteUserStore(path: dir.appendingPathComponent("store.sqlite").path)
        var quiet = Logger(label: "authsim.hostfuzz")
        quiet.logLevel = .critical
        return LoginPipeline(tenant: tenant, store: store, runtime: runtime, keys: try await SigningKeys.load(from: store), logger: quiet)
    }

    /// `runs` logins of `callsPerRun` calls each, chosen by a generator seeded with `seed` (so a
    /// failure repeats); the first runs go through every function once with every value.
    public static func run(runs: Int, callsPerRun: Int = 16, seed: UInt64) async throws -> Report {
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 2, heapBudget: 64 << 20))
        defer { runtime.shutdown() }
        let p = try await pipeline(runtime: runtime)
        var random = SplitMix64(seed: seed)
        var report = Report()
        // Systematic first: each function with each value in its first argument.
        var systematic: [[Int]] = []
        for f in 0..<functionCount { for v in 0..<valueCount { systematic.append([f, v, (v * 7 + f) % valueCount, (v * 13 + 5) % valueCount]) } }
        var offset = 0
        for _ in 0..<runs {
            var calls: [[Int]] = []
            while calls.count < callsPerRun {
                if offset < systematic.count {
                    calls.append(systematic[offset])
                    offset += 1
                } else {
                    calls.append([Int(random.next() % UInt64(functionCount))] + (0..<3).map { _ in Int(random.next() % UInt64(valueCount)) })
                }
            }
            var request = SimulationRequest(user: .inline(JSONValue.object(["user_id": "auth0|fuzz", "email": "fuzz@fuzz.local"])))
            request.query = ["calls": .string(JSONValue.array(calls.map { .array($0.map { .number(Double($0)) }) }).serialized())]
            report.runs += 1
            report.calls += calls.count
            let r: SimulationResult
            do { r = try await p.simulate(request, signTokens: false) } catch {
                report.failures.append("calls \(calls): the simulation failed: \(error)")
                continue
            }
            let limit = r.error?.description ?? ""
            if r.outcome == .allowed, r.idToken?.claims["https://fuzz/done"]?.intValue == calls.count {
                report.completed += 1
            } else if r.outcome == .error, limit.contains("time exceeded") || limit.contains("memory limit exceeded") {
                report.limited += 1
            } else {
                report.failures.append("calls \(calls): \(r.outcome) \(limit)")
            }
        }
        return report
    }
}
