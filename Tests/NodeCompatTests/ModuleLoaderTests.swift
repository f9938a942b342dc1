import Foundation
import JSONCore
import NodeCompat
import ScriptRuntime
import Testing

/// The CommonJS loader against real third-party code (Debian's lodash, moment and uuid) and
/// against small module trees written by the tests.
@Suite struct ModuleLoaderTests {
    @Test func debianLodashMomentAndUuidRun() async throws {
        try requireDebianPackages()
        let r = try await runNode(
            """
            var _ = require('lodash'), moment = require('moment'), uuid = require('uuid');
            var again = require('lodash@4.17.19');
            return {
              chunk: _.chunk([1, 2, 3, 4, 5], 2), get: _.get({ a: { b: [{ c: 3 }] } }, 'a.b[0].c'),
              merged: _.merge({ a: { x: 1 } }, { a: { y: 2 } }), sameInstance: again === _, version: require('lodash/package.json').version,
              fp: typeof require('lodash/fp').map,
              moment: moment.utc('2020-01-31T03:04:05Z').add(1, 'month').format('YYYY-MM-DD HH:mm'),
              diff: moment.utc('2020-03-01').diff(moment.utc('2020-02-01'), 'days'), isValid: moment('not a date', 'YYYY-MM-DD', true).isValid(),
              uuidPath: require.resolve('uuid'), v4: uuid.v4(), v5: uuid.v5('www.example.com', uuid.v5.DNS), v1: uuid.validate(uuid.v1()),
              called: uuid(), calledVersion: uuid.version(uuid())
            };
            """, modules: [debianModules])
        #expect(r["chunk"] == [[1, 2], [3, 4], [5]])
        #expect(r["get"] == 3)
        #expect(r["merged"] == ["a": ["x": 1, "y": 2]])
        #expect(r["sameInstance"] == true)
        #expect(r["version"] == "4.17.21")
        #expect(r["fp"] == "function")
        #expect(r["moment"] == "2020-02-29 03:04")
        #expect(r["diff"] == 29)
        #expect(r["isValid"] == false)
        // Debian's own uuid package (not the built-in fallback) ran: its md5/sha1/random go through our crypto.
        #expect(r["uuidPath"] == "/usr/share/nodejs/uuid/dist/index.js")
        #expect(r["v4"]?.stringValue?.range(of: "^[0-9a-f-]{36}$", options: .regularExpression) != nil)
        #expect(r["v5"] == "2ed6657d-e927-568b-95e1-2665a8aea6a2")
        #expect(r["v1"] == true)
        // As in Auth0's Rules sandbox (uuid 3), the module is also the v4 function.
        #expect(r["called"]?.stringValue?.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil)
        #expect(r["calledVersion"] == 4)
    }

    /// With eval off the loader still compiles module files, while scripts can reach neither
    /// `eval` nor the loader's compiler.
    @Test func modulesLoadWithEvalOffButTheCompilerIsNotReachable() async throws {
        let root = try moduleFolder(["m/index.js": "module.exports = { six: 6 };"])
        let r = try await runNode(
            """
            var out = { six: require('m').six, compiler: typeof __rt_compile };
            try { eval('1'); out.eval = 'ran'; } catch (e) { out.eval = e.name; }
            return out;
            """, modules: [root], evalEnabled: false)
        #expect(r["six"] == 6)
        #expect(r["compiler"] == "undefined")
        #expect(r["eval"] == "EvalError")
    }

    @Test func resolutionRelativeJSONCyclesAndCache() async throws {
        let root = try moduleFolder([
            "pkg/package.json": #"{"name": "pkg", "main": "lib/main.js"}"#,
            "pkg/lib/main.js": "var helper = require('./helper'); var data = require('../data.json'); module.exports = { value: helper.twice(data.n), dir: __dirname.split('/').slice(-2).join('/'), file: __filename.split('/').pop() };",
            "pkg/lib/helper.js": "exports.twice = function (n) { return n * 2; };",
            "pkg/data.json": #"{"n": 21}"#,
            "cyc/index.js": "exports.early = 'a'; var b = require('./b'); exports.fromB = b.sawEarly; exports.done = true;",
            "cyc/b.js": "var a = require('./index'); exports.sawEarly = a.early + ':' + String(a.done);",
            "nested/index.js": "module.exports = require('dep');",
            "nested/node_modules/dep/index.js": "module.exports = 'nested dep';",
            "exportsmap/package.json": #"{"name": "exportsmap", "exports": {".": {"require": "./cjs/entry.js", "import": "./esm/entry.mjs"}}}"#,
            "exportsmap/cjs/entry.js": "module.exports = 'cjs entry';",
            "counter/index.js": "globalThis.__loads = (globalThis.__loads || 0) + 1; module.exports = {};",
        ])
        let r = try await runNode(
            """
            var pkg = require('pkg');
            require('counter'); require('counter@1.0.0'); require('counter');
            return { pkg: pkg, cyc: require('cyc'), nested: require('nested'), exportsMap: require('exportsmap'), loads: globalThis.__loads,
              nodePrefix: require('node:crypto') === require('crypto') };
            """, modules: [root])
        #expect(r["pkg"] == ["value": 42, "dir": "pkg/lib", "file": "main.js"])
        #expect(r["cyc"] == ["early": "a", "fromB": "a:undefined", "done": true])
        #expect(r["nested"] == "nested dep")
        #expect(r["exportsMap"] == "cjs entry")
        #expect(r["loads"] == 1)
        #expect(r["nodePrefix"] == true)
    }

    @Test func missingModulesAndEscapesFailWithNodesError() async throws {
        let root = try moduleFolder([
            "sneaky/index.js": "module.exports = require('../../../../../../../etc/hostname');",
        ])
        for name in ["child_process", "node:child_process", "worker_threads", "left-pad", "/etc/hostname", "../etc/hostname"] {
            let message = try await nodeError("require(\(JSONValue.string(name).serialized()));", modules: [root])
            #expect(message.hasPrefix("Cannot find module '\(name)'"))
        }
        let sneaky = try await nodeError("require('sneaky');", modules: [root])
        #expect(sneaky.hasPrefix("Cannot find module '../../"))
        // `fs` is a file system with no files in it: nothing of the host's can be read.
        let code = try await runNode("try { require('fs').readFileSync('/etc/passwd'); return 'read'; } catch (e) { return e.code; }")
        #expect(code == "ENOENT")
    }

    @Test func syntaxErrorsInModulesNameFileAndLine() async throws {
        let root = try moduleFolder([
            "broken/index.js": "var a = 1;\nvar b = 2;\nvar c = ;\n",
            "badjson/package.json": #"{"main": "data.json"}"#,
            "badjson/data.json": "{ nope }",
        ])
        let message = try await nodeError("require('broken');", modules: [root])
        #expect(message.contains("broken/index.js:3:"))
        let json = try await nodeError("require('badjson');", modules: [root])
        #expect(json.contains("badjson/data.json"))
        // A failed load is not cached as a half-initialised module.
        let again = try await nodeError("try { require('broken'); } catch (e) {} require('broken');", modules: [root])
        #expect(again.contains("broken/index.js:3:"))
    }
}

/// Modules are shared by every script of a context: what a job does to a module's exports is
/// undone before the next job. A module whose load changes shared objects (a package extending
/// String.prototype), or that loads while the job has changed them, leaves a context that is
/// dropped after the job, so the module loads again, cleanly, in the next job's context.
@Suite struct ModuleStateTests {
    func program(_ root: String) -> (ScriptProgram, NodeModules) {
        let node = NodeModules(configuration: NodeModules.Configuration(modulePaths: [root]))
        var files = node.files
        files.append(ScriptFile(name: "entry.js", source: """
            rt.entries.main = function (input) {
              var seen = [];
              if (input === 'tamper') {
                var m = rt.require('plain');
                m.settings.level = 99; m.greet = function () { return 'pwned'; }; m.extra = true; m.list.push('x');
                seen.push(m.settings.level, m.greet(), m.list.length);
              } else if (input === 'look') {
                var n = rt.require('plain');
                seen.push(n.settings.level, n.greet(), String(n.extra), n.list.length);
              } else if (input === 'decorate') {
                var d = rt.require('decorates');
                seen.push(d.decorated, d.Readable === d, rt.require('decorates/child').decorated);
              } else if (input === 'shout') {
                seen.push(rt.require('shout').loaded, 'a'.shout(), typeof 'a'.mine);
              } else if (input === 'hook') {
                // A replaced method that runs during a module's load: what it plants must not stay.
                var toUpper = String.prototype.toUpperCase;
                String.prototype.toUpperCase = function () { Array.prototype.planted = true; return toUpper.call(this); };
                seen.push(rt.require('upper').value);
              } else {
                seen.push(typeof Array.prototype.planted, 'b'.toUpperCase());
              }
              return seen.join('|');
            };
            """, kind: .runtime))
        return (ScriptProgram(id: "module-state-" + UUID().uuidString, files: files, syncFunctions: node.syncFunctions, asyncFunctions: node.asyncFunctions), node)
    }

    @Test func aJobsChangesToExportsAreUndone() async throws {
        let root = try moduleFolder(["plain/index.js": "module.exports = { settings: { level: 1 }, greet: function () { return 'hi'; }, list: [] };"])
        let (p, _) = program(root)
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        _ = try await single.run(ScriptJob(program: p, entry: "main", input: "look"))
        #expect(try await single.run(ScriptJob(program: p, entry: "main", input: "tamper")).output == "99|pwned|1")
        let after = try await single.run(ScriptJob(program: p, entry: "main", input: "look"))
        #expect(after.output == "1|hi|undefined|0")
        #expect(!after.freshContext)
    }

    @Test func aPackageThatExtendsBuiltInsWorksInEveryJob() async throws {
        let root = try moduleFolder(["shout/index.js": "String.prototype.shout = function () { return this.toUpperCase() + '!'; }; module.exports = { loaded: true };"])
        let (p, _) = program(root)
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        for _ in 0..<3 {
            let r = try await single.run(ScriptJob(program: p, entry: "main", input: "shout"))
            #expect(r.output == "true|A!|undefined")
            #expect(r.freshContext, "the context a load changed is not kept")
        }
    }

    /// `exports = module.exports = require('./child'); exports.x = …` (readable-stream's shape):
    /// what a package does to what it required, while it loads, is its state; the context stays.
    @Test func aPackageThatDecoratesWhatItRequiredKeepsItsContext() async throws {
        let root = try moduleFolder([
            "decorates/child.js": "module.exports = function Child() {}; module.exports.prototype.read = function () {};",
            "decorates/index.js": "exports = module.exports = require('./child'); exports.Readable = exports; exports.decorated = true;",
        ])
        let (p, _) = program(root)
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let first = try await single.run(ScriptJob(program: p, entry: "main", input: "decorate"))
        #expect(first.output == "true|true|true")
        for _ in 0..<2 {
            let r = try await single.run(ScriptJob(program: p, entry: "main", input: "decorate"))
            #expect(r.output == "true|true|true")
            #expect(!r.freshContext, "the load's own changes do not cost the context")
        }
    }

    @Test func whatAHookPlantsDuringAModuleLoadDoesNotStay() async throws {
        let root = try moduleFolder(["upper/index.js": "module.exports = { value: 'x'.toUpperCase() };"])
        let (p, _) = program(root)
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        #expect(try await single.run(ScriptJob(program: p, entry: "main", input: "hook")).output == "X")
        #expect(try await single.run(ScriptJob(program: p, entry: "main", input: "check")).output == "undefined|B")
    }
}

/// Ways a job could get its code to run while a module loads, and so shape what the load makes
/// (a package loaded inside that load is taken as it ends): none leaves anything for a later
/// login. Entries stand for a login's script (they run as jobs of their own, in one worker).
@Suite struct CodeDuringALoadTests {
    func program(_ root: String) -> ScriptProgram {
        let node = NodeModules(configuration: NodeModules.Configuration(modulePaths: [root]))
        var files = node.files
        files.append(ScriptFile(name: "entry.js", source: """
            rt.entries.main = function (input) {
              var g = globalThis, req = rt.require;
              if (input === 'poly') { req('regpoly'); return 'loaded'; }
              if (input === 'registry-getter') {
                // A getter on what a package's load left on the global object, read by a later load.
                Object.defineProperty(g.__registry, 'config', { configurable: true, get: function () { req('regdep').value = 'PLANTED'; return 1; } });
                req('regreader');
                return req('regdep').value;
              }
              if (input === 'process') {
                // Node's lazily built global, assigned: a package reads it while it loads.
                g.process = { env: { get DEBUG() { req('lazydep').value = 'PLANTED'; return '1'; } } };
                req('lazyreader');
                return req('lazydep').value;
              }
              if (input === 'fixed-getter') {
                // A key that cannot be taken off the global object, read by the loading package.
                Object.defineProperty(g, 'window', { configurable: false, get: function () { req('selfref').value = 'PLANTED'; return {}; } });
                req('selfref');
                return req('selfref').value;
              }
              return [req('regdep').value, req('lazydep').value, req('selfref').value].join();
            };
            """, kind: .runtime))
        return ScriptProgram(id: "load-code-" + UUID().uuidString, files: files, syncFunctions: node.syncFunctions, asyncFunctions: node.asyncFunctions)
    }

    @Test(arguments: [["poly", "registry-getter"], ["process"], ["fixed-getter"]])
    func whatAJobsCodeDoesDuringALoadDoesNotStay(steps: [String]) async throws {
        let root = try moduleFolder([
            "regpoly/index.js": "global.__registry = { plugins: {} }; module.exports = {};",
            "regdep/index.js": "exports.value = 'clean';",
            "regreader/index.js": "require('regdep'); var c = global.__registry.config; module.exports = {};",
            "lazydep/index.js": "exports.value = 'clean';",
            "lazyreader/index.js": "require('lazydep'); var debug = process.env.DEBUG; module.exports = {};",
            "selfref/index.js": "exports.value = 'clean'; var w = typeof window !== 'undefined' && window.document; module.exports.ready = true;",
        ])
        let p = program(root)
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        for step in steps { _ = try await single.run(ScriptJob(program: p, entry: "main", input: step)) }
        let later = try await single.run(ScriptJob(program: p, entry: "main", input: "look"))
        #expect(later.output == "clean,clean,clean", "after \(steps): \(later.output)")
    }
}

/// More of the packages public rules use, from Debian, and a scoped package (the shape of
/// `@auth0/rule-utilities`) loading through the ordinary loader.
@Suite struct RealPackagesTests {
    @Test func ipaddrXmldomAndQ() async throws {
        try requireDebianPackages()
        let r = try await runNode(
            """
            var ipaddr = require('ipaddr.js'), xmldom = require('@xmldom/xmldom'), Q = require('q');
            // The old name finds the package under its new one.
            var oldName = require('xmldom'), oldPath = require.resolve('xmldom');
            var doc = new xmldom.DOMParser().parseFromString('<Assertion><Attribute Name="role">admin</Attribute></Assertion>', 'text/xml');
            var attr = doc.getElementsByTagName('Attribute')[0];
            var deferred = Q.defer();
            setTimeout(function () { deferred.resolve('q resolved'); }, 1);
            return {
              kind: ipaddr.parse('192.168.1.10').kind(), inRange: ipaddr.parse('10.1.2.3').match(ipaddr.parseCIDR('10.0.0.0/8')),
              v6: ipaddr.parse('::ffff:127.0.0.1').toIPv4Address().toString(),
              xmlName: attr.getAttribute('Name'), xmlText: attr.textContent, serialized: new xmldom.XMLSerializer().serializeToString(attr),
              q: await deferred.promise, sameModule: oldName === xmldom, oldPath: oldPath
            };
            """, modules: [debianModules])
        #expect(r["kind"] == "ipv4")
        #expect(r["inRange"] == true)
        #expect(r["v6"] == "127.0.0.1")
        #expect(r["xmlName"] == "role")
        #expect(r["xmlText"] == "admin")
        #expect(r["serialized"] == #"<Attribute Name="role">admin</Attribute>"#)
        #expect(r["q"] == "q resolved")
        #expect(r["sameModule"] == true)
        #expect(r["oldPath"] == "/usr/share/nodejs/@xmldom/xmldom/lib/index.js")
    }

    @Test func scopedPackageWithRedirectHelperLoadsWithoutSpecialCasing() async throws {
        let root = try moduleFolder([
            "@auth0/rule-utilities/package.json": #"{"name": "@auth0/rule-utilities", "version": "0.2.0", "main": "src/index.js"}"#,
            "@auth0/rule-utilities/src/index.js": "exports.Auth0RedirectRuleUtilities = require('./redirect');",
            "@auth0/rule-utilities/src/redirect.js": """
                const jwt = require('jsonwebtoken');
                const url = require('url');
                const querystring = require('querystring');
                class Auth0RedirectRuleUtilities {
                  constructor(user, context, configuration) { this.user = user; this.context = context; this.configuration = configuration; }
                  get isRedirectCallback() { return this.context.protocol === 'redirect-callback'; }
                  doRedirect(target, claims) {
                    const token = jwt.sign(Object.assign({ sub: this.user.user_id }, claims || {}), this.configuration.SESSION_TOKEN_SECRET, { expiresIn: '5m', issuer: 'https://tenant/' });
                    const u = url.parse(target, true);
                    u.query = Object.assign({}, u.query, { session_token: token });
                    delete u.search;
                    this.context.redirect = { url: url.format(u) };
                  }
                  get queryParams() { return querystring.parse(this.context.request.query || ''); }
                }
                module.exports = Auth0RedirectRuleUtilities;
                """,
        ])
        let r = try await runNode(
            """
            var Auth0RedirectRuleUtilities = require('@auth0/rule-utilities@0.2.0').Auth0RedirectRuleUtilities;
            var context = { protocol: 'oidc-basic-profile', request: {} };
            var util = new Auth0RedirectRuleUtilities({ user_id: 'auth0|1' }, context, { SESSION_TOKEN_SECRET: 's' });
            util.doRedirect('https://app.test/consent?x=1', { step: 'consent' });
            var token = new URL(context.redirect.url).searchParams.get('session_token');
            return { isCallback: util.isRedirectCallback, path: context.redirect.url.split('?')[0], x: new URL(context.redirect.url).searchParams.get('x'),
              claims: require('jsonwebtoken').verify(token, 's').step };
            """, modules: [root])
        #expect(r["isCallback"] == false)
        #expect(r["path"] == "https://app.test/consent")
        #expect(r["x"] == "1")
        #expect(r["claims"] == "consent")
    }

    /// A getter a script leaves past what the put-back records (the prototype of a package's
    /// object three steps from its exports) is never run by the runtime between jobs: the
    /// put-back's warm-up after a context's third job reads a missing name through prototype
    /// chains, and only through chains that are all recorded. One worker, one context.
    @Test func aGetterPastTheRecordedObjectsNeverRunsBetweenJobs() async throws {
        let folder = try moduleFolder([
            "deep/index.js": "const P = {}; module.exports = { a: { b: { c: Object.create(P) } } };",
            // An accessor of that name on the exports, defined while the package loads (recorded).
            "own/index.js": "Object.defineProperty(module.exports, '__authsim_flatten__', { configurable: true, get: function () { Array.prototype.fromLoad = 'yes'; } });",
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            const P = Object.getPrototypeOf(require('deep').a.b.c);
            require('own');
            global.jobs = (global.jobs || 0) + 1;
            if (global.jobs === 1) {
              Object.defineProperty(P, '__authsim_flatten__', { configurable: true, get: function () { Array.prototype.planted = 'by a getter'; } });
            }
            // The getter stays on P (objects past three steps are not recorded: README, Modules).
            return [global.jobs, typeof Array.prototype.planted, typeof Object.getOwnPropertyDescriptor(P, '__authsim_flatten__').get, typeof Array.prototype.fromLoad];
            """
        let key = "deep-getter-" + UUID().uuidString
        for job in 1...8 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r == [.number(Double(job)), "undefined", "function", "undefined"], "job \(job): \(r)")
        }
    }

    /// A proxy a package exports is never read by the put-back (its traps would run after the
    /// built-ins were checked, and a job can add traps to a handler the package exports, or
    /// set a hook the package's trap calls): its target and handler are recorded instead, so
    /// what a job changes through it is still put back. One worker, one context.
    @Test func aProxyAPackageExportsRunsNoTrapBetweenJobs() async throws {
        let folder = try moduleFolder([
            "trapped/index.js": """
                const handler = {};
                const hooks = { onGet: null };
                const delegating = { get: function (t, k, r) { if (hooks.onGet) hooks.onGet(k); return Reflect.get(t, k, r); } };
                module.exports = {
                  settings: new Proxy({ level: 1 }, handler), handler,
                  watched: new Proxy({ level: 1 }, delegating), hooks,
                  fn: new Proxy(function () { return 'called'; }, {}),
                  lazy: new Proxy({}, { get: function (t, k) { return k === 'answer' ? 42 : undefined; } }),
                };
                """,
            "rootproxy/index.js": "module.exports = new Proxy({ level: 1 }, {});",
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            const m = require('trapped'), root = require('rootproxy');
            global.jobs = (global.jobs || 0) + 1;
            const seen = [global.jobs, typeof Array.prototype.planted, m.settings.level, m.settings.added === undefined, m.watched.level, m.fn(), m.lazy.answer, root.level, typeof root.extra];
            if (global.jobs % 2 === 1) {
              const plant = function () { Array.prototype.planted = 'by a trap'; };
              m.handler.get = function (t, k, r) { plant(); return Reflect.get(t, k, r); };
              m.handler.getPrototypeOf = function (t) { plant(); return Reflect.getPrototypeOf(t); };
              m.handler.isExtensible = function (t) { plant(); return Reflect.isExtensible(t); };
              m.handler.ownKeys = function (t) { plant(); return Reflect.ownKeys(t); };
              m.handler.getOwnPropertyDescriptor = function (t, k) { plant(); return Reflect.getOwnPropertyDescriptor(t, k); };
              m.hooks.onGet = plant;
              // Through the proxies, onto their targets: put back.
              m.settings.level = 2; m.settings.added = true; m.watched.level = 3; root.level = 4; root.extra = 'x';
              delete Array.prototype.planted;
            }
            return seen;
            """
        let key = "exported-proxy-" + UUID().uuidString
        for job in 1...6 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r == [.number(Double(job)), "undefined", 1, true, 1, "called", 42, 1, "undefined"], "job \(job): \(r)")
        }
    }

    /// A host module's functions that carry no state of their own (and their classes' methods)
    /// and the regular expressions a package exports keep nothing a job leaves: a key on
    /// `crypto.randomBytes` (`util.promisify.custom`) would hand a later login's promisify the
    /// job's function, and `compile()` rewrites a pattern in place (lodash's
    /// `templateSettings.interpolate`). One worker, one context.
    @Test func hostFunctionsAndExportedPatternsKeepNothingAJobLeaves() async throws {
        let folder = try moduleFolder([
            "fns/index.js": """
                module.exports = { interpolate: /<%=([\\s\\S]+?)%>/g, template: (s, v) => s.replace(module.exports.interpolate, (_, k) => v[k.trim()]) };
                """,
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            const m = require('fns'), crypto = require('crypto'), util = require('util'), stream = require('stream');
            global.jobs = (global.jobs || 0) + 1;
            const bytes = await util.promisify(crypto.randomBytes)(4);
            const update = crypto.createHash('sha256').update;
            const seen = [global.jobs, typeof util.format.planted, typeof update.planted, typeof util.promisify.planted, bytes.toString('hex') !== '41414141',
              String(m.interpolate), m.template('hi <%= name %>', { name: 'ann' }), typeof Array.prototype.ran,
              typeof stream.prototype.pipe.planted, typeof stream.Readable.prototype.read.planted, typeof process.nextTick.planted];
            if (global.jobs % 2 === 1) {
              const attempts = [
                () => { util.format.planted = 1; }, () => { update.planted = 1; }, () => { util.promisify.planted = 1; },
                () => { stream.prototype.pipe.planted = 1; }, () => { stream.Readable.prototype.read.planted = 1; }, () => { process.nextTick.planted = 1; },
                () => { crypto.randomBytes[util.promisify.custom] = (n) => { Array.prototype.ran = 'yes'; return Promise.resolve(Buffer.alloc(n, 0x41)); }; },
                () => { m.interpolate.compile('NEVERMATCHES'); }
              ];
              for (const attempt of attempts) { try { attempt(); } catch (e) {} }
            }
            return seen;
            """
        let key = "module-functions-" + UUID().uuidString
        for job in 1...4 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r == [.number(Double(job)), "undefined", "undefined", "undefined", true, #"/<%=([\s\S]+?)%>/g"#, "hi ann", "undefined", "undefined", "undefined", "undefined"], "job \(job): \(r)")
        }
    }

    /// Every kind of key the put-back reads (an identifier, a key with a dash or a space, an
    /// index, a symbol; on a package's exports and on the built-ins) is put back after each job,
    /// in a context that is kept, with eval off, and with nothing left in RegExp's statics.
    @Test func everyKindOfKeyIsPutBackInAKeptContext() async throws {
        let folder = try moduleFolder([
            "oddkeys/index.js": """
                module.exports = { 'odd-key': 1, 'with space': 2, [Symbol.for('authsim.test')]: 3, plain: 4, 0: 5, nested: { deep: 6 } };
                """,
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            const out = { jobs: global.jobs, lastMatch: RegExp.lastMatch, input: RegExp.input };
            try { eval('1'); out.eval = 'ran'; } catch (e) { out.eval = e.name; }
            try { out.fn = Function('return 1')(); } catch (e) { out.fn = e.name; }
            const m = require('oddkeys'), s = Symbol.for('authsim.test');
            out.values = [m['odd-key'], m['with space'], m[s], m.plain, m[0], m.nested.deep, [1].map((x) => x + 1)[0], [...[7]][0], Math.max(1, 8), JSON.parse('9')];
            if (global.jobs % 2 === 1) {
              m['odd-key'] = 'x'; m['with space'] = 'x'; m[s] = 'x'; m.plain = 'x'; m[0] = 'x'; m.nested.deep = 'x';
              Array.prototype.map = () => ['x']; Array.prototype[Symbol.iterator] = function* () { yield 'x'; };
              Math.max = () => 'x'; JSON.parse = () => 'x';
            }
            return out;
            """
        let key = "every-key-" + UUID().uuidString
        for job in 1...6 {
            let r = try await runNode(body, modules: [folder], evalEnabled: false, shared: key, runtime: single)
            #expect(r["jobs"] == .number(Double(job)), "the context is kept: \(r)")
            #expect(r["values"] == [1, 2, 3, 4, 5, 6, 2, 7, 8, 9], "job \(job): \(r)")
            #expect(r["eval"] == "EvalError" && r["fn"] == "EvalError", "job \(job): \(r)")
            #expect(r["lastMatch"] == "" && r["input"] == "", "job \(job): \(r)")
        }
    }

    /// A package that loads readable-stream before anything loaded `stream` (through2, bl, or
    /// readable-stream itself: its main file requires `stream` first thing) leaves `stream` and
    /// what is built on it whole, in that job and in the next.
    @Test func streamIsWholeWhenReadableStreamLoadsFirst() async throws {
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            const rs = require('readable-stream'), http = require('http'), stream = require('stream'), zlib = require('zlib');
            return [global.jobs, typeof stream.Readable, typeof stream.Transform, typeof http.request, typeof zlib.createGzip, stream.Readable === rs.Readable,
              new stream.PassThrough() instanceof stream.Readable];
            """
        let key = "readable-first-" + UUID().uuidString
        for job in 1...2 {
            let r = try await runNode(body, shared: key, runtime: single)
            #expect(r == [.number(Double(job)), "function", "function", "function", "function", true, true], "job \(job): \(r)")
        }
    }

    /// What packages and jobs keep in globals lasts from login to login in a kept context: a
    /// registry one package leaves on the global object and another extends when it loads
    /// (`global.__SENTRY__`), what a package's call keeps there (initialised once, after the
    /// modules have loaded: a first load after such a change is not taken as the modules' state,
    /// README), and a job's non-configurable cache (`Object.defineProperty`'s default), which
    /// holds `undefined` while a package loads.
    @Test func globalsPackagesAndJobsKeepLastInAKeptContext() async throws {
        let folder = try moduleFolder([
            "carrier/index.js": "global.__CARRIER__ = global.__CARRIER__ || { extensions: {} }; module.exports = { version: 1 };",
            "extender/index.js": "global.__CARRIER__.extensions.start = function () { return 'started'; }; module.exports = {};",
            "hub/index.js": """
                global.__HUB__ = global.__HUB__ || { client: null };
                exports.init = function (dsn) { global.__HUB__.client = { dsn: dsn }; };
                exports.dsn = function () { return global.__HUB__.client && global.__HUB__.client.dsn; };
                """,
            "seescache/index.js": "module.exports = typeof cache;",
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            if (!global.cache) Object.defineProperty(global, 'cache', { value: { hits: 0 }, writable: true });
            global.cache.hits++;
            require('carrier'); require('extender');
            const hub = require('hub'), sees = require('seescache'), axios = require('axios');
            if (!global.inited) { hub.init('dsn-1'); global.inited = true; }
            return [global.cache.hits, sees, typeof global.__CARRIER__.extensions.start, hub.dsn(), typeof axios.get];
            """
        let key = "kept-globals-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r == [.number(Double(job)), "undefined", "function", "dsn-1", "function"], "job \(job): \(r)")
        }
    }

    /// What a job leaves on the global object (kept from login to login, as Auth0's `global`) is
    /// not there while a module first loads in the context: a package sees the same global object
    /// whichever login loads it, a getter a job put there does not run in the middle of the load,
    /// and the keys come back exactly as they were (the same getter, the same attributes). A key
    /// a package's load added (a polyfill) is there for a later package's load. The context and
    /// the job's global are kept.
    @Test func aJobsGlobalKeysAreNotThereWhileAModuleLoads() async throws {
        let folder = try moduleFolder([
            "poly/index.js": "global.polyfilled = function () { return 'poly'; }; module.exports = { loaded: true };",
            "reads/index.js": "module.exports = { secret: typeof loginSecret, window: typeof window, poly: typeof polyfilled };",
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            if (global.jobs === 1) {
              global.loginSecret = 's3cret';
              Object.defineProperty(global, 'window', { configurable: true, enumerable: false, get() { global.getterRan = true; return {}; } });
              global.windowGetter = Object.getOwnPropertyDescriptor(global, 'window').get;
            }
            require('poly');
            const seen = require('reads');
            const d = Object.getOwnPropertyDescriptor(global, 'window');
            return { jobs: global.jobs, seen, secret: global.loginSecret, sameGetter: d.get === global.windowGetter, enumerable: d.enumerable,
              getterRan: typeof global.getterRan, poly: typeof polyfilled === 'function' ? polyfilled() : 'missing' };
            """
        let key = "hidden-globals-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r["jobs"] == .number(Double(job)), "the context is kept: \(r)")
            #expect(r["seen"] == ["secret": "undefined", "window": "undefined", "poly": "function"], "\(r)")
            #expect(r["secret"] == "s3cret" && r["sameGetter"] == true && r["enumerable"] == false, "\(r)")
            #expect(r["getterRan"] == "undefined" && r["poly"] == "poly", "\(r)")
        }
    }

    /// A load during which a script's getter can run (the job added a key to the global object
    /// that cannot be taken off it, non-configurable, which a package's feature test reads) and
    /// that changes a host function the load brought in leaves the context to be dropped: the
    /// change is neither frozen in nor taken as the function's state.
    @Test func aScriptsChangeToAHostFunctionDuringALoadIsNotKept() async throws {
        let folder = try moduleFolder(["sniffs/index.js": "var c = require('crypto'); var browser = typeof window !== 'undefined'; module.exports = { browser: browser };"])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            if (global.jobs === 1) {
              Object.defineProperty(global, 'window', { configurable: false, get() {
                require('crypto').randomBytes[Symbol.for('nodejs.util.promisify.custom')] = (n) => Promise.resolve(Buffer.alloc(n, 0x41));
                return undefined;
              } });
              require('sniffs');
            }
            const crypto = require('crypto'), util = require('util');
            const bytes = await util.promisify(crypto.randomBytes)(4);
            return [global.jobs, typeof crypto.randomBytes[Symbol.for('nodejs.util.promisify.custom')], bytes.toString('hex') !== '41414141'];
            """
        let key = "load-getter-" + UUID().uuidString
        let first = try await runNode(body, modules: [folder], shared: key, runtime: single)
        #expect(first == [1, "function", false], "\(first)")
        // A new context: the counter starts again (and the job plants again, in its own context).
        let second = try await runNode(body, modules: [folder], shared: key, runtime: single)
        #expect(second.arrayValue?.first == 1, "\(second)")
    }

    /// A hook a job leaves on a package's function (those stay: README) runs during a later
    /// load that adds no global key: what it changes in the host modules that load brings in (a
    /// key on crypto.randomBytes, EventEmitter.prototype.emit) is neither frozen in nor taken as
    /// their state: the context is dropped after that job. The counter is a module's, so that
    /// no global key makes the loads look unsafe from the start.
    @Test func aHookOnAPackagesFunctionCannotChangeHostModulesForLaterLogins() async throws {
        let folder = try moduleFolder([
            "ctr/index.js": "var n = 0; module.exports = function () { return ++n; };",
            "pa/index.js": "function Base() {} Base.prototype.hello = function () {}; module.exports = { Base: Base };",
            "pb/index.js": "var crypto = require('crypto'); var events = require('events'); var pa = require('pa'); module.exports = { isBase: ({}) instanceof pa.Base };",
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            const n = require('ctr')();
            if (n === 1) {
              Object.defineProperty(require('pa').Base, Symbol.hasInstance, { configurable: true, value() {
                require('crypto').randomBytes.planted = 'yes';
                require('events').prototype.emit = function () { return 'evil'; };
                return false;
              } });
              return [n];
            }
            if (n === 2) require('pb');
            const EE = require('events');
            return [n, typeof require('crypto').randomBytes.planted, new EE().emit('x') === 'evil'];
            """
        let key = "hook-on-package-" + UUID().uuidString
        #expect(try await runNode(body, modules: [folder], shared: key, runtime: single) == [1])
        // The hook runs in the second login's load, within its own job.
        #expect(try await runNode(body, modules: [folder], shared: key, runtime: single) == [2, "string", true])
        // A new context (its counter starts again), with nothing of the hook.
        let third = try await runNode(body, modules: [folder], shared: key, runtime: single)
        #expect(third == [1], "\(third)")
    }

    /// Loading a host module after the job added a key to the global object (rules do:
    /// `global.cache = …`) keeps the context: its functions are frozen without dropping it, and
    /// `stream` and what is built on it (zlib, net, tls, http, https, dns) take what their load
    /// does to readable-stream's exports as its state, since the job's keys are off the global
    /// object while they load.
    @Test func loadingHostModulesAfterAGlobalKeyKeepsTheContext() async throws {
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        var dropped: [String] = []
        for name in ["crypto", "util", "url", "events", "axios", "buffer", "querystring", "string_decoder", "path", "jsonwebtoken", "uuid",
            "request", "node-fetch", "assert", "os", "stream", "zlib", "net", "tls", "http", "https", "dns"] {
            let body = "global.jobs = (global.jobs || 0) + 1; require('\(name)'); return global.jobs;"
            let key = "host-load-\(name)-" + UUID().uuidString
            let first = try await runNode(body, shared: key, runtime: single)
            let second = try await runNode(body, shared: key, runtime: single)
            if first != 1 || second != 2 { dropped.append("\(name): \(first) \(second)") }
        }
        #expect(dropped == [], "\(dropped)")
    }
}
