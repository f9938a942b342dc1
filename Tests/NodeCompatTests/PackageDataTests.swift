import Foundation
import JSONCore
import NodeCompat
import ScriptRuntime
import Testing

/// `require('./data.json')`: one shared object per context (as Node's module cache), which a
/// login may change for itself and no later login sees changed; the context is kept.
@Suite struct JSONModuleTests {
    static let settings = #"{"level": 1, "tags": ["a", "b"], "deep": {"a": {"b": {"c": {"d": {"value": "original", "list": [1, 2]}}}}}}"#

    @Test func aLoginsChangesToAJSONModuleAreUndoneAtAnyDepth() async throws {
        let folder = try moduleFolder(["cfg/package.json": #"{"name": "cfg", "version": "1.0.0"}"#, "cfg/settings.json": Self.settings])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            const s = require('cfg/settings.json');
            if (global.jobs === 1) global.first = s;
            const d = s.deep.a.b.c.d;
            const seen = { jobs: global.jobs, same: global.first === s, level: s.level, tags: s.tags.join(','), value: d.value,
              list: d.list.join(','), extra: typeof s.extra, extraDeep: typeof d.extra, hook: typeof Object.getOwnPropertyDescriptor(s, 'hook') };
            s.level = 99; s.tags.push('z'); s.tags[0] = 'x'; d.value = 'changed'; d.list.push(3); d.list[0] = 0;
            s.extra = {}; d.extra = function () {};
            Object.defineProperty(s, 'hook', { configurable: true, enumerable: true, get() { global.hookRan = true; return 1; } });
            let redefined = 'no';
            try { Object.defineProperty(s, 'level', { get() { return 1; } }); redefined = 'yes'; } catch (e) { redefined = e instanceof TypeError ? 'refused' : String(e); }
            seen.redefined = redefined;
            seen.hookRan = typeof global.hookRan;
            return seen;
            """
        let key = "json-module-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r["jobs"] == .number(Double(job)), "the context is kept: \(r)")
            #expect(r["same"] == true, "\(r)")
            #expect(r["level"] == 1 && r["tags"] == "a,b" && r["value"] == "original" && r["list"] == "1,2", "job \(job): \(r)")
            #expect(r["extra"] == "undefined" && r["extraDeep"] == "undefined" && r["hook"] == "undefined", "job \(job): \(r)")
            #expect(r["redefined"] == "refused" && r["hookRan"] == "undefined", "job \(job): \(r)")
        }
    }

    /// A JSON file larger than what is recorded (4,096 properties) is frozen past that, at any
    /// depth: a login's write there fails (a TypeError in strict code) and nothing of it stays.
    @Test func aLargeJSONModuleIsFrozenPastWhatIsRecorded() async throws {
        var entries: [String] = []
        for i in 0..<3000 { entries.append("\"k\(i)\": {\"v\": {\"w\": [\(i)]}}") }
        let folder = try moduleFolder(["big/package.json": #"{"name": "big", "main": "data.json"}"#, "big/data.json": "{" + entries.joined(separator: ", ") + "}"])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            const d = require('big');
            const seen = { jobs: global.jobs, first: d.k0.v.w[0], last: d.k2999.v.w[0], count: Object.keys(d).length, added: typeof d.k2999.v.added };
            const strictWrite = (f) => { try { f(); return 'wrote'; } catch (e) { return e instanceof TypeError ? 'refused' : String(e); } };
            seen.deepWrite = strictWrite(function () { 'use strict'; d.k2999.v.w[0] = -1; });
            d.k0.v.w[0] = -1; d.k2999.v.added = 1; d.k1500.v.w[1] = 7; d.k0.v = null;
            seen.after = [d.k0.v === null ? 'null' : 'kept', d.k1500.v.w.length];
            return seen;
            """
        let key = "json-big-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r["jobs"] == .number(Double(job)), "the context is kept: \(r)")
            #expect(r["first"] == 0 && r["last"] == 2999 && r["count"] == 3000 && r["added"] == "undefined", "job \(job): \(r)")
            #expect(r["deepWrite"] == "refused" && r["after"] == ["null", 1], "job \(job): \(r)")
        }
    }

    /// A package that completes the JSON it requires while it loads (old aws-sdk-apis): what it
    /// did is the JSON's state, at any depth, with the function it added; what a login does after
    /// is put back, more than three steps from the package's exports.
    @Test func whatAPackageDoesToItsJSONWhileItLoadsIsItsState() async throws {
        let folder = try moduleFolder([
            "meta/meta.json": #"{"a": {"b": {"c": {"d": {"e": "json"}}}}, "list": [1]}"#,
            "meta/index.js": """
                var m = require('./meta.json');
                m.added = { by: 'load' };
                m.a.b.c.d.e = 'set-by-load';
                m.fn = function () { return 'fn'; };
                module.exports = { meta: m, again: require('./meta.json') === m };
                """,
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            const x = require('meta'), m = x.meta;
            const seen = { jobs: global.jobs, again: x.again, added: m.added && m.added.by, e: m.a.b.c.d.e, fn: typeof m.fn === 'function' ? m.fn() : typeof m.fn,
              list: m.list.length, direct: require('meta/meta.json') === m };
            m.a.b.c.d.e = 'job'; m.added.by = 'job'; m.list.push(2); m.fn = null; m.a.b.c.d.more = 1;
            return seen;
            """
        let key = "json-meta-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r["jobs"] == .number(Double(job)), "the context is kept: \(r)")
            #expect(r["again"] == true && r["direct"] == true, "\(r)")
            #expect(r["added"] == "load" && r["e"] == "set-by-load" && r["fn"] == "fn" && r["list"] == 1, "job \(job): \(r)")
        }
    }

    /// A login that replaced `JSON.parse` before a JSON file's first `require` does not choose
    /// what that file is (the loader parses with the runtime's own), and the context is kept
    /// (the recording reads nothing a replaced JSON.parse could reach).
    @Test func aReplacedJSONParseDoesNotMakeAJSONModule() async throws {
        let folder = try moduleFolder(["cfg/package.json": #"{"name": "cfg", "version": "1.0.0"}"#, "cfg/settings.json": Self.settings])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            if (global.jobs === 1) {
              const real = JSON.parse;
              JSON.parse = function (text) {
                const o = real(text);
                if (o && typeof o === 'object') Object.defineProperty(o, 'planted', { enumerable: true, get() { global.plantedRan = (global.plantedRan || 0) + 1; return 'p'; } });
                return o;
              };
            }
            const s = require('cfg/settings.json');
            return { jobs: global.jobs, planted: typeof Object.getOwnPropertyDescriptor(s, 'planted'), level: s.level, ran: typeof global.plantedRan };
            """
        let key = "json-parse-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r == ["jobs": .number(Double(job)), "planted": "undefined", "level": 1, "ran": "undefined"], "job \(job): \(r)")
        }
    }
}

/// Typed arrays a package exports (entities' decode trees, a Buffer constant): they load, a
/// login's change to their elements is put back after it, and the context is kept.
@Suite struct SharedTypedArrayTests {
    @Test func aPackagesTypedArraysLoadAndALoginsWritesArePutBack() async throws {
        let folder = try moduleFolder([
            "tables/index.js": """
                var tree = new Uint16Array(20000);
                for (var i = 0; i < tree.length; i++) tree[i] = i % 65535;
                exports.tree = tree;
                exports.small = new Int32Array([1, 2, 3]);
                exports.magic = Buffer.from('PNG');
                exports.lookup = function (i) { return tree[i]; };
                """
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            const t = require('tables');
            const seen = { jobs: global.jobs, at: t.lookup(12345), last: t.tree[19999], small: Array.from(t.small).join(','), magic: t.magic.toString(), extra: typeof t.tree.extra,
              owner: typeof t.tree.buffer.owner };
            t.tree[12345] = 7; t.tree.fill(1, 0, 100); t.small.reverse(); t.magic.write('GIF'); t.tree.extra = 1; t.tree.buffer.owner = 'job';
            seen.changed = [t.lookup(12345), t.magic.toString(), typeof t.tree.extra];
            return seen;
            """
        let key = "typed-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r["jobs"] == .number(Double(job)), "the context is kept: \(r)")
            #expect(r["at"] == 12345 && r["last"] == 19999 && r["small"] == "1,2,3" && r["magic"] == "PNG" && r["extra"] == "undefined" && r["owner"] == "undefined", "job \(job): \(r)")
            #expect(r["changed"] == [7, "GIF", "undefined"], "job \(job): \(r)")
        }
    }
}

/// The ways a JSON module's recording could be skipped or cost the context.
@Suite struct JSONModuleEdgeTests {
    /// A login that hooks Array.prototype's indices before a JSON file's first require cannot
    /// keep the runtime from recording it: that context is dropped after the login, and no
    /// later login sees another's change to the file.
    @Test func aHookedArrayPrototypeDoesNotLeaveAJSONModuleOpen() async throws {
        let folder = try moduleFolder(["jm/package.json": #"{"name": "jm", "version": "1.0.0"}"#, "jm/d.json": #"{"deep": {"a": {"b": {"c": {"value": "original"}}}}}"#])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            if (!global.first) {
              global.first = true;
              Object.defineProperty(Array.prototype, '1', { set(v) {}, get() {}, configurable: true });
              Object.defineProperty(Array.prototype, '0', { set(v) {}, get() {}, configurable: true });
              require('jm/d.json');
              delete Array.prototype[1]; delete Array.prototype[0];
            }
            const s = require('jm/d.json');
            const seen = s.deep.a.b.c.value + '|' + typeof s.deep.a.b.extra + '|' + typeof Object.getOwnPropertyDescriptor(s.deep.a, 'g');
            s.deep.a.b.c.value += '+'; s.deep.a.b.extra = 1;
            try { Object.defineProperty(s.deep.a, 'g', { get() { return 'planted'; }, configurable: true }); } catch (e) {}
            return seen;
            """
        let key = "json-hooked-" + UUID().uuidString
        for job in 1...4 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r == "original|undefined|undefined", "job \(job): \(r)")
        }
    }

    /// A package that completes a JSON file a login required before the package's first load
    /// (the same file, from the module cache) keeps the context: the package's change is the
    /// file's state, what a login changes after is put back.
    @Test func aPackageCompletingAJSONFileRequiredEarlierKeepsTheContext() async throws {
        let folder = try moduleFolder([
            "pv/data.json": #"{"types": {"a": {"ext": ["x"]}}}"#,
            "pv/index.js": "var data = require('./data.json'); data.types.a.source = 'pv'; data.types.b = { ext: ['y'] }; module.exports = { get: function (k) { return data.types[k]; } };",
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            const raw = require('pv/data.json');
            const a = require('pv').get('a'), b = require('pv').get('b');
            const seen = { jobs: global.jobs, source: a.source, ext: a.ext.join(','), b: b.ext.join(','), same: raw.types.a === a };
            a.source = 'job'; a.ext.push('z'); b.ext[0] = 'job';
            return seen;
            """
        let key = "json-completed-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r == ["jobs": .number(Double(job)), "source": "pv", "ext": "x", "b": "y", "same": true], "job \(job): \(r)")
        }
    }

    /// A JSON file first required after the login changed a package's exports (i18n-iso-countries'
    /// registerLocale, iconv-lite's codec tables) keeps the context: only a key added to
    /// Object.prototype or Array.prototype could reach the recording.
    @Test func aJSONFileRequiredAfterAChangeToAPackageKeepsTheContext() async throws {
        let folder = try moduleFolder([
            "loc/index.js": "exports.registry = {}; exports.register = function (d) { exports.registry[d.lang] = d.names; };",
            "loc/langs/en.json": #"{"lang": "en", "names": {"FR": "France"}}"#,
            "loc/langs/fr.json": #"{"lang": "fr", "names": {"FR": "France", "DE": "Allemagne"}}"#,
        ])
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            global.jobs = (global.jobs || 0) + 1;
            const loc = require('loc');
            loc.register(require('loc/langs/en.json'));
            loc.register(require('loc/langs/fr.json'));
            return [global.jobs, loc.registry.fr.DE, Object.keys(loc.registry).join(',')];
            """
        let key = "json-after-change-" + UUID().uuidString
        for job in 1...3 {
            let r = try await runNode(body, modules: [folder], shared: key, runtime: single)
            #expect(r == [.number(Double(job)), "Allemagne", "en,fr"], "job \(job): \(r)")
        }
    }

    /// A large data file (120,000 objects, 3.5 MB) loads in a job: past the recorded part it is
    /// frozen in one pass, not walked object by object.
    @Test func aLargeJSONFileLoads() async throws {
        var items: [String] = []
        for i in 0..<120_000 { items.append("{\"i\": \(i), \"t\": [\(i)]}") }
        let folder = try moduleFolder(["large/package.json": #"{"name": "large", "main": "data.json"}"#, "large/data.json": "[" + items.joined(separator: ",") + "]"])
        let r = try await runNode(
            "const d = require('large'); d[5].i = -1; return [d.length, d[119999].t[0], Object.isFrozen(d[100000]), d[5].i];", modules: [folder], timeout: .seconds(120))
        #expect(r == [120_000, 119_999, true, 5])
    }
}
