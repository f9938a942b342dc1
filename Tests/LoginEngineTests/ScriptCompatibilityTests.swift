import AuthorTools
import Foundation
import JSONCore
import Testing

@testable import LoginEngine

/// Real rules using Node modules and HTTP clients, run through the login pipeline against a
/// real HTTP server on a loopback port.
@Suite struct OutboundHTTPRuleTests {
    @Test func requestPostWithJSONGetsTheParsedBodyAndTheTraceListsTheCall() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.stop() }
        var f = TenantFixture()
        f.rules = [
            (
                "call-api",
                """
                function (user, context, callback) {
                  const request = require('request');
                  request.post({ url: '\(server.base)/echo', json: { user: user.email }, headers: { 'x-rule': 'yes' } }, function (err, response, body) {
                    if (err) return callback(err);
                    context.idToken['https://t/echo'] = { status: response.statusCode, method: body.method, sent: JSON.parse(body.body),
                      type: body.headers['content-type'], header: body.headers['x-rule'] };
                    callback(null, user, context);
                  });
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["https://t/echo"] == ["status": 200, "method": "POST", "sent": ["user": "ann@test.local"], "type": "application/json", "header": "yes"])
        let calls = try #require(r.traceEntry("call-api")?["http"]?.arrayValue)
        #expect(calls.count == 1)
        #expect(calls[0]["method"] == "POST")
        #expect(calls[0]["url"] == .string("\(server.base)/echo"))
        #expect(calls[0]["status"] == 200)
        #expect((calls[0]["durationMs"]?.doubleValue ?? -1) >= 0)
        #expect(r.report().contains("http POST \(server.base)/echo → 200"))
    }

    @Test func axiosFetchAndRequestVariants() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.stop() }
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": 20}}"#
        f.rules = [
            (
                "clients",
                """
                async function (user, context, callback) {
                  const axios = require('axios'), fetch = require('node-fetch'), request = require('request');
                  const base = '\(server.base)';
                  const got = await axios.get(base + '/echo', { params: { a: 1, b: 'x y' }, auth: { username: 'u', password: 'p' } });
                  const posted = await axios.post(base + '/echo', { n: 1 });
                  let notFound;
                  try { await axios.get(base + '/status/404'); } catch (e) { notFound = { message: e.message, status: e.response.status, data: e.response.data, isAxios: axios.isAxiosError(e) }; }
                  const redirected = await fetch(base + '/redirect');
                  const redirectedBody = await redirected.json();
                  const globalFetch = await globalThis.fetch(base + '/echo', { method: 'PUT', body: new URLSearchParams({ k: 'v w' }) });
                  const putBody = await globalFetch.json();
                  const viaRequest = await new Promise((resolve, reject) => request.get({ uri: base + '/echo', qs: { q: 'z' }, json: true }, (err, res, body) => err ? reject(err) : resolve(body)));
                  const form = await new Promise((resolve, reject) => request.post(base + '/echo', { form: { a: 'b c' } }, (err, res, body) => err ? reject(err) : resolve(JSON.parse(body))));
                  context.idToken['https://t/r'] = {
                    query: got.data.query, auth: got.data.headers.authorization, postedType: posted.data.headers['content-type'], postedBody: posted.data.body,
                    notFound: notFound, redirectedUrl: redirected.url.replace(base, ''), redirected: redirected.redirected, redirectedQuery: redirectedBody.query,
                    putMethod: putBody.method, putBody: putBody.body, putType: putBody.headers['content-type'],
                    requestQuery: viaRequest.query, formBody: form.body, formType: form.headers['content-type']
                  };
                  callback(null, user, context);
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.error == nil)
        let c = try #require(r.idClaims["https://t/r"])
        #expect(c["query"] == "a=1&b=x+y")
        #expect(c["auth"] == "Basic dTpw")
        #expect(c["postedType"] == "application/json")
        #expect(c["postedBody"] == #"{"n":1}"#)
        #expect(c["notFound"] == ["message": "Request failed with status code 404", "status": 404, "data": "status 404", "isAxios": true])
        #expect(c["redirectedUrl"] == "/echo?from=redirect")
        #expect(c["redirected"] == true)
        #expect(c["redirectedQuery"] == "from=redirect")
        #expect(c["putMethod"] == "PUT")
        #expect(c["putBody"] == "k=v+w")
        #expect(c["putType"] == "application/x-www-form-urlencoded;charset=UTF-8")
        #expect(c["requestQuery"] == "q=z")
        // request encodes forms with qs (RFC 3986): spaces are %20.
        #expect(c["formBody"] == "a=b%20c")
        #expect(c["formType"] == "application/x-www-form-urlencoded")
        #expect(r.traceEntry("clients")?["http"]?.arrayValue?.count == 7)
    }

    @Test func hostsOutsideTheAllowListFailInsideTheScript() async throws {
        var f = TenantFixture()
        f.rules = [
            (
                "external",
                """
                function (user, context, callback) {
                  require('request').get('https://api.example.com/users', function (err) { callback(err); });
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .denied)
        let message = r.error?.description ?? ""
        #expect(message.contains("'api.example.com' is not allowed"))
        #expect(message.contains("allowed_outbound_hosts"))
        let call = r.traceEntry("external")?["http"]?.arrayValue?.first
        #expect(call?["url"] == "https://api.example.com/users")
        #expect(call?["status"] == .null)
        #expect(call?["error"]?.stringValue?.contains("not allowed") == true)
    }

    @Test func allowListAcceptsWildcardsFromTheTenant() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.stop() }
        var f = TenantFixture()
        // Loopback is not the default once the tenant lists its own hosts.
        f.tenantJSON = #"{"authsim": {"allowed_outbound_hosts": ["*.example.com"]}}"#
        f.rules = [
            (
                "loopback",
                """
                async function (user, context, callback) {
                  try { await require('axios').get('\(server.base)/echo'); context.idToken['https://t/r'] = 'reached'; }
                  catch (e) { context.idToken['https://t/r'] = e.code; }
                  callback(null, user, context);
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.idClaims["https://t/r"] == "EHOSTNOTALLOWED")
    }

    @Test func aServerThatNeverAnswersIsCutOffByTheFlowDeadline() async throws {
        let silent = try SilentServer()
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": 3}}"#
        f.rules = [
            (
                "own-timeout",
                """
                function (user, context, callback) {
                  require('request').get({ url: 'http://127.0.0.1:\(silent.port)/', timeout: 100 }, function (err) {
                    context.idToken['https://t/code'] = err && err.code;
                    callback(null, user, context);
                  });
                }
                """
            ),
            (
                "hangs",
                """
                function (user, context, callback) {
                  require('request').get('http://127.0.0.1:\(silent.port)/slow', function (err) { if (!err) callback(null, user, context); });
                }
                """
            ),
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .error)
        #expect(r.error?.description.contains("rule 'hangs' did not call back within 3 s") == true)
        #expect(r.traceEntry("own-timeout")?["http"]?.arrayValue?.first?["error"]?.stringValue?.contains("timed out") == true)
        #expect(r.traceEntry("hangs")?["http"]?.arrayValue?.first?["url"] == .string("http://127.0.0.1:\(silent.port)/slow"))
        // The first rule's own 100 ms timeout fired inside the flow.
        let own = try await simulate(try await makePipeline({ var g = f; g.rules.removeLast(); return g }()))
        #expect(own.idClaims["https://t/code"] == "ETIMEDOUT")
    }
}

@Suite struct OutboundHTTPSafetyTests {
    @Test func callbackExceptionsFailTheRuleAtOnceAndInstancesKeepTheirHeaders() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.stop() }
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": 20, "allowed_outbound_hosts": ["127.0.0.1", "localhost"]}}"#
        f.rules = [
            (
                "headers",
                """
                async function (user, context, callback) {
                  const axios = require('axios');
                  const api = axios.create({ baseURL: '\(server.base)' });
                  api.defaults.headers.common.Authorization = 'Bearer instance-token';
                  const viaInstance = await api.get('/echo');
                  const viaRoot = await axios.get('\(server.base)/echo');
                  const crossHost = await axios.get('\(server.base)/redirect-other-host', { headers: { Authorization: 'Bearer secret' } });
                  context.idToken['https://t/h'] = [viaInstance.data.headers.authorization, viaRoot.data.headers.authorization || null,
                    crossHost.data.query, crossHost.data.headers.authorization || null];
                  callback(null, user, context);
                }
                """
            ),
            (
                "throws-in-callback",
                """
                function (user, context, callback) {
                  require('request').get('\(server.base)/status/500', function (err, res, body) {
                    JSON.parse(body);
                    callback(null, user, context);
                  });
                }
                """
            ),
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.idClaims.isEmpty || r.outcome == .denied)
        #expect(r.traceEntry("headers")?["changes"]?["idToken"]?["added"]?["https://t/h"] == ["Bearer instance-token", .null, "from=other-host", .null])
        // The exception thrown in the request callback denied the login (not a timeout).
        #expect(r.outcome == .denied)
        #expect(r.error?.description.contains("JSON") == true)
        #expect(r.traceEntry("throws-in-callback")?["outcome"] == "denied")
    }
}

@Suite struct ModuleRuleTests {
    @Test func rulesRequireDebianPackagesAndSeeLegacyGlobals() async throws {
        for pkg in ["lodash", "moment", "uuid"] where !FileManager.default.fileExists(atPath: "/usr/share/nodejs/\(pkg)/package.json") {
            Issue.record("/usr/share/nodejs/\(pkg) is missing: run `make deps`")
            return
        }
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"module_paths": ["/usr/share/nodejs"], "legacy_globals": true}}"#
        f.rules = [
            (
                "modules",
                """
                function (user, context, callback) {
                  const _ = require('lodash@4.17.19');
                  const moment = require('moment');
                  const { v5 } = require('uuid');
                  const crypto = require('crypto');
                  context.idToken['https://t/m'] = {
                    roles: _.sortBy(user.app_metadata.roles.concat(['b', 'a'])), year: moment.utc(user.created_at).year() >= 2020,
                    id: v5(user.email, v5.URL).length, sameLegacy: _ === global._ && typeof jwt.sign === 'function',
                    digest: crypto.createHash('sha256').update(user.email).digest('hex')
                  };
                  callback(null, user, context);
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.error == nil)
        #expect(r.idClaims["https://t/m"] == ["roles": ["a", "admin", "b"], "year": true, "id": 36, "sameLegacy": true, "digest": "f999b0400496c4c26a65a02e17d6f4952d20c7e01d98698a4d8f5abc3757355e"])
    }

    /// A local service that is down answers at once: the HTTP clients report ECONNREFUSED well
    /// inside a 5 s flow (their connection pool alone would retry for its 10 s connect timeout).
    @Test func aRefusedPortFailsTheCallNotTheFlow() async throws {
        // A loopback port nothing listens on: bound (so no other test's server can take it,
        // which a closed port allowed: one answered this test once) but never listening, so a
        // connection to it is refused.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &len) } }
        let base = "http://127.0.0.1:\(UInt16(bigEndian: addr.sin_port))"
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": 5, "allowed_outbound_hosts": ["127.0.0.1"]}}"#
        f.rules = [
            (
                "down",
                """
                async function (user, context, callback) {
                  const viaAxios = await require('axios').get('\(base)/echo').then(() => 'answered', (e) => e.code);
                  const viaFetch = await fetch('\(base)/echo').then(() => 'answered', (e) => e.code);
                  context.idToken['https://t/down'] = [viaAxios, viaFetch];
                  callback(null, user, context);
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
        #expect(r.idClaims["https://t/down"] == ["ECONNREFUSED", "ECONNREFUSED"])
    }

    /// A rule's look-ups and connections are in its trace step: the look-up's answer, the
    /// connection's bytes each way, and a refused look-up's error.
    @Test func lookupsAndConnectionsAreInTheTrace() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.stop() }
        let port = try #require(URLComponents(string: server.base)?.port)
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": 20, "allowed_outbound_hosts": ["127.0.0.1", "localhost"]}}"#
        f.rules = [
            (
                "raw-http",
                """
                async function (user, context, callback) {
                  const dns = require('dns').promises, net = require('net');
                  const a = await dns.lookup('localhost', { family: 4 });
                  const reply = await new Promise((ok, fail) => {
                    const s = net.connect(\(port), a.address, () => s.end('GET /echo HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n'));
                    let text = '';
                    s.on('data', (d) => text += d);
                    s.on('error', fail);
                    s.on('close', () => ok(text));
                  });
                  const refused = await dns.lookup('example.com').then(() => 'resolved', (e) => e.code);
                  context.idToken['https://t/raw'] = [reply.split('\\r\\n')[0], refused];
                  callback(null, user, context);
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.idClaims["https://t/raw"] == ["HTTP/1.1 200 OK", "EHOSTNOTALLOWED"], "\(r.error?.description ?? "")")
        let net = try #require(r.traceEntry("raw-http")?["net"]?.arrayValue)
        #expect(net.count == 3, "\(net)")
        #expect(net.first?["lookup"] == true && net.first?["host"] == "localhost" && net.first?["address"] == "127.0.0.1")
        let connection = try #require(net.first { $0["port"]?.intValue == port })
        #expect((connection["bytesWritten"]?.intValue ?? 0) > 20 && (connection["bytesRead"]?.intValue ?? 0) > 20)
        #expect(net.last?["lookup"] == true && net.last?["host"] == "example.com" && net.last?["error"] == "EHOSTNOTALLOWED")
    }

    /// The allow-list on a redirect hop: the first host is allowed, the one it redirects to is not.
    @Test func aRedirectToAHostNotAllowedFailsThatHop() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.stop() }
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": 20, "allowed_outbound_hosts": ["127.0.0.1"]}}"#
        f.rules = [
            (
                "hops",
                """
                async function (user, context, callback) {
                  const followed = await require('axios').get('\(server.base)/redirect').then((r) => r.data.query, (e) => e.code);
                  const refused = await require('axios').get('\(server.base)/redirect-other-host').then(() => 'followed', (e) => e.code + ' ' + e.message);
                  const viaHttp = await new Promise((ok) => require('http').get('\(server.base)/redirect-other-host', (res) => ok(res.statusCode + ' ' + res.headers.location)));
                  context.idToken['https://t/hops'] = [followed, refused, viaHttp];
                  callback(null, user, context);
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        let hops = try #require(r.idClaims["https://t/hops"]?.arrayValue)
        #expect(hops.first == "from=redirect", "a redirect within allowed hosts is followed")
        #expect(hops.dropFirst().first?.stringValue?.hasPrefix("EHOSTNOTALLOWED Outbound HTTP to host 'localhost' is not allowed") == true, "\(hops)")
        // Node's http does not follow redirects: the script sees the 302 itself.
        #expect(hops.last?.stringValue?.hasPrefix("302 http://localhost:") == true, "\(hops)")
    }

    @Test func unknownModulesFailTheRuleWithNodesMessage() async throws {
        var f = TenantFixture()
        f.rules = [("tedious", "function (user, context, callback) { const t = require('tedious@11.0.0'); callback(null, user, context); }")]
        let r = try await simulate(try await makePipeline(f))
        // Node's message first, then where authsim looked and how to add the package.
        #expect(r.error?.description.hasPrefix("Cannot find module 'tedious@11.0.0'\nIt is not in the tenant's node_modules") == true)
        #expect(r.error?.description.contains("npm install tedious` in the tenant's folder") == true)
    }
}

/// One real rule using every built-in module, through the login pipeline, against known values.
@Suite struct BuiltinModulesInARuleTests {
    @Test func aRuleUsesEachBuiltInModule() async throws {
        var f = TenantFixture()
        f.rules = [
            (
                "modules",
                """
                function (user, context, callback) {
                  const crypto = require('crypto'), qs = require('querystring'), url = require('url'), util = require('util');
                  const { Buffer: B } = require('buffer'), EventEmitter = require('events'), uuid = require('uuid@8.3.2');
                  const jwt = require('jsonwebtoken'), assert = require('assert');
                  const emitter = new EventEmitter();
                  let heard = null;
                  emitter.on('login', (who) => { heard = who; });
                  emitter.emit('login', user.email);
                  assert.deepStrictEqual({ a: [1] }, { a: [1] });
                  const token = jwt.sign({ sub: 'u1', iat: 1700000000 }, 'shh');
                  context.idToken['https://t/modules'] = {
                    sha256: crypto.createHash('sha256').update('hello').digest('hex'),
                    hmac: crypto.createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex'),
                    qs: qs.stringify({ a: [1, 2], b: 'x y' }), parsed: qs.parse('a=1&b=x+y').b,
                    host: url.parse('https://user@Example.com:8443/p?q=1').hostname, whatwg: new URL('/x?y=1', 'https://a.test').href,
                    format: util.format('%s=%d', 'n', 42), base64: B.from('hello world').toString('base64'), fromHex: Buffer.from('6869', 'hex').toString(),
                    heard: heard, v5: uuid.v5('www.example.com', uuid.v5.DNS), token: token, verified: jwt.verify(token, 'shh').sub,
                    assertCode: (() => { try { assert.strictEqual(1, 2); } catch (e) { return e.code; } })()
                  };
                  callback(null, user, context);
                }
                """
            )
        ]
        let r = try await simulate(try await makePipeline(f))
        #expect(r.error == nil)
        #expect(r.idClaims["https://t/modules"] == [
            "sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "hmac": "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            "qs": "a=1&a=2&b=x%20y", "parsed": "x y", "host": "example.com", "whatwg": "https://a.test/x?y=1", "format": "n=42",
            "base64": "aGVsbG8gd29ybGQ=", "fromHex": "hi", "heard": "ann@test.local", "v5": "2ed6657d-e927-568b-95e1-2665a8aea6a2",
            "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImlhdCI6MTcwMDAwMDAwMH0.7M6BsPBTfeDKurYhvOQmGzJooYt2LW46XezN9PswEVk",
            "verified": "u1", "assertCode": "ERR_ASSERTION",
        ])
    }
}
