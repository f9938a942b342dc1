import Foundation
import JSONCore
import NodeCompat
import ScriptRuntime
import Testing

/// Node's `net`, `dns`, `stream`, `string_decoder` and `path` as scripts (and the database
/// drivers) use them, against servers on loopback ports. The tests' job environment allows
/// loopback hosts only (`OutboundPolicy.loopbackOnly`).
@Suite struct NetTests {
    @Test func aSocketConnectsWritesReadsAndCloses() async throws {
        let server = try await LoopbackTCPServer(.upperEcho)
        defer { server.stop() }
        let r = try await runNode(
            """
            const net = require('net');
            const events = [];
            return await new Promise((resolve, reject) => {
              const s = net.connect({ port: \(server.port), host: '127.0.0.1' }, () => {
                events.push('connect:' + s.readyState);
                s.write('hello ');
                s.end(Buffer.from('world'));
              });
              events.push('connecting:' + s.connecting + ':' + s.readyState);
              let got = '';
              s.on('data', (d) => { got += d.toString(); events.push('data:' + Buffer.isBuffer(d)); });
              s.on('end', () => events.push('end'));
              s.on('error', reject);
              s.on('close', (hadError) => resolve({ got, events: [...new Set(events)], hadError, read: s.bytesRead, written: s.bytesWritten,
                remote: s.remoteAddress + ':' + s.remotePort, family: s.remoteFamily, destroyed: s.destroyed }));
            });
            """)
        #expect(r["got"] == "HELLO WORLD")
        #expect(r["events"] == ["connecting:true:opening", "connect:open", "data:true", "end"])
        #expect(r["hadError"] == false)
        #expect(r["read"] == 11)
        #expect(r["written"] == 11)
        #expect(r["remote"] == .string("127.0.0.1:\(server.port)"))
        #expect(r["family"] == "IPv4")
        #expect(r["destroyed"] == true)
    }

    @Test func socketsAreDuplexStreamsThatPipe() async throws {
        let server = try await LoopbackTCPServer(.upperEcho)
        defer { server.stop() }
        let r = try await runNode(
            """
            const net = require('net');
            const { Readable, Writable, Transform, pipeline, Duplex } = require('stream');
            const s = net.createConnection(\(server.port), '127.0.0.1');
            const chunks = [];
            const sink = new Writable({ write(chunk, enc, cb) { chunks.push(chunk.toString()); cb(); } });
            const reverse = new Transform({ transform(chunk, enc, cb) { cb(null, chunk.toString().split('').reverse().join('')); } });
            await new Promise((resolve, reject) => pipeline(Readable.from(['abc', 'def']), s, reverse, sink, (e) => e ? reject(e) : resolve()));
            return { out: chunks.join(''), duplex: s instanceof Duplex, stream: s instanceof require('stream') };
            """)
        // Each echoed chunk is reversed on its own: the order of chunks is TCP's, the bytes are there.
        #expect(r["out"]?.stringValue.map { Set($0) } == Set("ABCDEF"))
        #expect(r["out"]?.stringValue?.count == 6)
        #expect(r["duplex"] == true)
        #expect(r["stream"] == true)
    }

    @Test func aRefusedPortFailsFastWithNodesError() async throws {
        // A port nothing listens on: bound (so that no test running meanwhile can take it and
        // answer), never listening, closed after the test.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let r = try await runNode(
            """
            const net = require('net');
            return await new Promise((resolve) => {
              const s = net.connect(\(port), '127.0.0.1');
              const seen = [];
              s.on('connect', () => seen.push('connect'));
              s.on('error', (e) => seen.push(e.code + '|' + e.syscall + '|' + e.message));
              s.on('close', (hadError) => resolve({ seen, hadError }));
            });
            """, timeout: .seconds(60))
        #expect(r["seen"] == [.string("ECONNREFUSED|connect|connect ECONNREFUSED 127.0.0.1:\(port)")])
        #expect(r["hadError"] == true)
    }

    @Test func aHostThatDoesNotResolveFailsWithNodesError() async throws {
        // `.invalid` never resolves (RFC 2606); the tenant allows it, so the lookup is made.
        struct Allowing: OutboundEnvironment {
            var outboundPolicy: OutboundPolicy { OutboundPolicy(allowedHosts: ["no-such-host.invalid"]) }
        }
        let r = try await runNode(
            """
            const net = require('net');
            return await new Promise((resolve) => {
              const s = net.connect(5432, 'no-such-host.invalid');
              s.on('connect', () => resolve('connected'));
              s.on('error', (e) => resolve(e.code + '|' + e.message));
            });
            """, timeout: .seconds(120), environment: Allowing())
        #expect(r == "ENOTFOUND|getaddrinfo ENOTFOUND no-such-host.invalid")
    }

    @Test func theAllowListIsCheckedOnEveryPath() async throws {
        let server = try await LoopbackTCPServer(.upperEcho)
        defer { server.stop() }
        let r = try await runNode(
            """
            const net = require('net'), dns = require('dns');
            const outcome = (s) => new Promise((resolve) => { s.on('connect', () => { s.destroy(); resolve('connected'); }); s.on('error', (e) => resolve(e.code)); });
            const direct = await outcome(net.connect(80, 'example.com'));
            const byAddress = await outcome(net.connect(443, '93.184.215.14'));
            const lookedUp = await dns.promises.lookup('localhost', { family: 4 });
            const afterDns = await outcome(net.connect(\(server.port), lookedUp.address));
            const lookupRefused = await dns.promises.lookup('example.com').then(() => 'resolved', (e) => e.code + '|' + e.syscall);
            const cb = await new Promise((resolve) => dns.lookup('example.org', (e) => resolve(e && e.code)));
            const badPort = await outcome(net.connect(70000, '127.0.0.1'));
            const unix = await outcome(net.connect('/var/run/postgresql/.s.PGSQL.5432'));
            return { direct, byAddress, lookedUp, afterDns, lookupRefused, cb, badPort, unix };
            """)
        #expect(r["direct"] == "EHOSTNOTALLOWED")
        #expect(r["byAddress"] == "EHOSTNOTALLOWED")
        #expect(r["lookedUp"]?["address"] == "127.0.0.1")
        #expect(r["lookedUp"]?["family"] == 4)
        #expect(r["afterDns"] == "connected")
        #expect(r["lookupRefused"] == "EHOSTNOTALLOWED|getaddrinfo")
        #expect(r["cb"] == "EHOSTNOTALLOWED")
        #expect(r["badPort"] == "ERR_SOCKET_BAD_PORT")
        #expect(r["unix"] == "EACCES")
    }

    @Test func anIdleSocketTimesOutAndTheJobsSocketsCloseWithIt() async throws {
        let server = try await LoopbackTCPServer(.silent)
        defer { server.stop() }
        let r = try await runNode(
            """
            const net = require('net');
            const s = net.connect(\(server.port), '127.0.0.1');
            const t = await new Promise((resolve) => { s.setTimeout(50, () => resolve('timeout:' + s.destroyed)); });
            // Left open on purpose: a second socket too. The job's end closes both.
            const s2 = net.connect(\(server.port), '127.0.0.1');
            await new Promise((resolve) => s2.on('connect', resolve));
            return t;
            """)
        #expect(r == "timeout:false")
        // Both connections end without the script closing them: the event, not a timer.
        await server.waitForClosedConnections(2)
        #expect(server.connections == 2)
    }

    @Test func aPeerThatHangsUpEndsTheReadableSide() async throws {
        let server = try await LoopbackTCPServer(.hangUp)
        defer { server.stop() }
        let r = try await runNode(
            """
            const net = require('net');
            return await new Promise((resolve) => {
              const s = net.connect(\(server.port), '127.0.0.1');
              const seen = [];
              s.on('end', () => seen.push('end'));
              s.on('error', (e) => seen.push('error:' + e.code));
              s.on('close', () => resolve(seen));
              s.resume();
            });
            """)
        #expect(r == ["end"])
    }

    @Test func streamsStringDecoderPathAndOsBehaveLikeNode() async throws {
        let r = try await runNode(
            """
            const { PassThrough, Readable, finished } = require('stream');
            const { StringDecoder } = require('string_decoder');
            const path = require('path'), os = require('os');
            const d = new StringDecoder('utf8');
            const euro = Buffer.from('€');
            const decoded = d.write(euro.slice(0, 1)) + '|' + d.write(euro.slice(1)) + '|' + d.end();
            const p = new PassThrough();
            const collected = [];
            p.on('data', (c) => collected.push(c.toString()));
            p.write('a'); p.end('b');
            await require('stream').promises.finished(p);
            const fromIter = [];
            for await (const x of Readable.from([1, 2, 3])) fromIter.push(x);
            return {
              decoded, collected, fromIter,
              join: path.join('/a/b', '../c', './d.js'), resolve: path.resolve('x', '/y', 'z'), base: path.basename('/a/b/c.txt', '.txt'),
              ext: path.extname('index.coffee.md'), dir: path.dirname('/a/b/'), rel: path.relative('/data/a/b', '/data/c'),
              norm: path.normalize('/foo/bar//baz/asdf/quux/..'), sep: path.sep, posix: path.posix === path,
              eol: os.EOL, platform: os.platform(), host: os.hostname(),
              timers: typeof require('timers').setTimeout, fsRead: (() => { try { require('fs').readFileSync('/etc/hostname'); return 'read'; } catch (e) { return e.code; } })()
            };
            """)
        #expect(r["decoded"] == "|€|")
        #expect(r["collected"] == ["a", "b"])
        #expect(r["fromIter"] == [1, 2, 3])
        #expect(r["join"] == "/a/c/d.js")
        #expect(r["resolve"] == "/y/z")
        #expect(r["base"] == "c")
        #expect(r["ext"] == ".md")
        #expect(r["dir"] == "/a")
        #expect(r["rel"] == "../../c")
        #expect(r["norm"] == "/foo/bar/baz/asdf")
        #expect(r["sep"] == "/")
        #expect(r["posix"] == true)
        #expect(r["eol"] == "\n")
        #expect(r["platform"] == "linux")
        #expect(r["host"] == "localhost")
        #expect(r["timers"] == "function")
        #expect(r["fsRead"] == "ENOENT")
    }

    @Test func bufferNumbersReadAndWriteLikeNode() async throws {
        let r = try await runNode(
            """
            const b = Buffer.alloc(16);
            b.writeInt32BE(-2, 0); b.writeUInt16LE(0xbeef, 4); b.writeDoubleBE(1.5, 8);
            let range;
            try { b.readInt32BE(14); } catch (e) { range = e.code; }
            let value;
            try { b.writeUInt8(300, 0); } catch (e) { value = e.code; }
            return { i32: b.readInt32BE(0), u16: b.readUint16LE(4), d: b.readDoubleBE(8), hex: b.toString('hex', 0, 6), range, value,
              uintBE: Buffer.from([1, 2, 3]).readUIntBE(0, 3), intLE: Buffer.from([0xff, 0xff, 0xff]).readIntLE(0, 3),
              big: Buffer.from([0, 0, 0, 0, 0, 0, 1, 0]).readBigUInt64BE(0).toString() };
            """)
        #expect(r["i32"] == -2)
        #expect(r["u16"] == 0xbeef)
        #expect(r["d"] == 1.5)
        #expect(r["hex"] == "fffffffeefbe")
        #expect(r["range"] == "ERR_OUT_OF_RANGE")
        #expect(r["value"] == "ERR_OUT_OF_RANGE")
        #expect(r["uintBE"] == 0x010203)
        #expect(r["intLE"] == -1)
        #expect(r["big"] == "256")
    }

    @Test func zlibCompressesAndInflatesLikeNode() async throws {
        // "hello hello hello" gzipped by Python's gzip module (mtime 0): the system zlib reads it.
        let r = try await runNode(
            """
            const zlib = require('zlib');
            const { promisify } = require('util');
            const text = 'authsim '.repeat(200);
            const rt = (c, d) => zlib[d](zlib[c](text)).toString() === text;
            const foreign = zlib.gunzipSync(Buffer.from('H4sIAAAAAAACA8tIzcnJV8hAkACAiPnlEQAAAA==', 'base64')).toString();
            let bad, big;
            try { zlib.inflateSync(Buffer.from('not deflate data')); } catch (e) { bad = e.code; }
            try { zlib.gunzipSync(zlib.gzipSync(Buffer.alloc(100000)), { maxOutputLength: 1000 }); } catch (e) { big = e.code; }
            const viaCallback = await new Promise((ok, fail) => zlib.deflate(text, (e, b) => e ? fail(e) : zlib.inflate(b, (e2, t) => e2 ? fail(e2) : ok(t.toString() === text))));
            const viaPromise = (await promisify(zlib.gunzip)(await promisify(zlib.gzip)(text))).toString() === text;
            const { Readable, Writable, pipeline } = require('stream');
            const out = [];
            await new Promise((ok, fail) => pipeline(Readable.from([text.slice(0, 500), text.slice(500)]), zlib.createGzip(), zlib.createGunzip(),
              new Writable({ write(c, e, cb) { out.push(c); cb(); } }), (e) => e ? fail(e) : ok()));
            return {
              gzip: rt('gzipSync', 'gunzipSync'), deflate: rt('deflateSync', 'inflateSync'), raw: rt('deflateRawSync', 'inflateRawSync'),
              unzipGzip: rt('gzipSync', 'unzipSync'), unzipDeflate: rt('deflateSync', 'unzipSync'),
              smaller: zlib.gzipSync(text).length < text.length, magic: zlib.gzipSync('x').slice(0, 2).toString('hex'),
              foreign, bad, big, viaCallback, viaPromise, streamed: Buffer.concat(out).toString() === text, constant: zlib.constants.Z_BEST_COMPRESSION
            };
            """)
        #expect(r["gzip"] == true)
        #expect(r["deflate"] == true)
        #expect(r["raw"] == true)
        #expect(r["unzipGzip"] == true)
        #expect(r["unzipDeflate"] == true)
        #expect(r["smaller"] == true)
        #expect(r["magic"] == "1f8b")
        #expect(r["foreign"] == "hello hello hello")
        #expect(r["bad"] == "Z_DATA_ERROR")
        #expect(r["big"] == "ERR_BUFFER_TOO_LARGE")
        #expect(r["viaCallback"] == true)
        #expect(r["viaPromise"] == true)
        #expect(r["streamed"] == true)
        #expect(r["constant"] == 9)
    }

    @Test func httpRequestAndGetAreStreamsOverTheHostClient() async throws {
        let server = try await LoopbackTCPServer(.http)
        defer { server.stop() }
        let r = try await runNode(
            """
            const http = require('http');
            const body = (res) => new Promise((ok) => { let s = ''; res.setEncoding('utf8'); res.on('data', (c) => s += c); res.on('end', () => ok(s)); });
            const got = await new Promise((ok, fail) => http.get('http://127.0.0.1:\(server.port)/path?q=1', { headers: { 'X-Test': 'yes' } }, (res) => {
              body(res).then((text) => ok({ status: res.statusCode, message: res.statusMessage, type: res.headers['content-type'], seen: res.headers['x-seen-header'], text }));
            }).on('error', fail));
            const posted = await new Promise((ok, fail) => {
              const req = http.request({ host: '127.0.0.1', port: \(server.port), method: 'POST', path: '/submit', headers: { 'Content-Type': 'text/plain' } }, (res) => body(res).then(ok));
              req.on('error', fail);
              req.write('part one, ');
              req.end('part two');
            });
            const refused = await new Promise((ok) => http.get('http://example.com/', () => ok('answered')).on('error', (e) => ok(e.code)));
            let https;
            try { require('https').request('http://127.0.0.1/'); } catch (e) { https = e.code; }
            return { got, posted, refused, https, codes: http.STATUS_CODES[404] };
            """)
        #expect(r["got"]?["status"] == 200)
        #expect(r["got"]?["message"] == "OK")
        #expect(r["got"]?["type"] == "text/plain")
        #expect(r["got"]?["seen"] == "yes")
        #expect(r["got"]?["text"] == "GET /path?q=1 ")
        #expect(r["posted"] == "POST /submit part one, part two")
        #expect(r["refused"] == "EHOSTNOTALLOWED")
        #expect(r["https"] == "ERR_INVALID_PROTOCOL")
        #expect(r["codes"] == "Not Found")
    }

    @Test func packagesResolveNamesThroughTheModuleBuiltin() async throws {
        let r = try await runNode(
            """
            const Module = require('module');
            const resolved = Module._resolveFilename('lodash', { filename: '/x/noop.js' });
            let missing;
            try { Module._resolveFilename('no-such-package', null); } catch (e) { missing = e.code; }
            return { lodash: resolved.endsWith('/lodash/lodash.js') || resolved.endsWith('/lodash/index.js'), missing,
              builtin: Module.isBuiltin('node:net'), paths: Module._nodeModulePaths('/a/b').slice(0, 2), viaCreate: typeof Module.createRequire('/x/y.js')('path').join };
            """, modules: [debianModules])
        #expect(r["lodash"] == true)
        #expect(r["missing"] == "MODULE_NOT_FOUND")
        #expect(r["builtin"] == true)
        #expect(r["paths"] == ["/a/b/node_modules", "/a/node_modules"])
        #expect(r["viaCreate"] == "function")
    }

    @Test func tlsVerifiesTheServerAndCarriesData() async throws {
        let cert = TestCertificate.pair
        #expect(cert.certificate.contains("BEGIN CERTIFICATE"))
        let server = try await LoopbackTCPServer(.upperEcho, tls: cert)
        defer { server.stop() }
        let ca = JSONValue.string(cert.certificate).serialized()
        let r = try await runNode(
            """
            const tls = require('tls'), net = require('net');
            const ca = \(ca);
            const talk = (s) => new Promise((ok) => {
              let got = '';
              s.on('secureConnect', () => { s.write('over tls'); s.end(); });
              s.on('data', (d) => got += d);
              s.on('error', (e) => ok('error:' + e.code));
              s.on('close', () => { if (got) ok(got + (s.authorized ? ' (authorized)' : ' (not verified)')); });
            });
            const verified = await talk(tls.connect({ host: '127.0.0.1', port: \(server.port), servername: 'localhost', ca }));
            const untrusted = await talk(tls.connect({ host: '127.0.0.1', port: \(server.port), servername: 'localhost' }));
            const wrongName = await talk(tls.connect({ host: '127.0.0.1', port: \(server.port), servername: 'db.example.com', ca }));
            const unchecked = await talk(tls.connect(\(server.port), '127.0.0.1', { rejectUnauthorized: false }));
            // On an open socket, as pg does after the server agreed to TLS.
            const plain = net.connect(\(server.port), '127.0.0.1');
            await new Promise((ok) => plain.on('connect', ok));
            const upgraded = await talk(tls.connect({ socket: plain, servername: 'localhost', ca }));
            const refused = await talk(tls.connect({ host: 'example.com', port: 443 }));
            return { verified, untrusted, wrongName, unchecked, upgraded, refused };
            """)
        #expect(r["verified"] == "OVER TLS (authorized)")
        #expect(r["untrusted"] == "error:UNABLE_TO_VERIFY_LEAF_SIGNATURE", "a certificate error, not a reset: \(r["untrusted"] ?? .null)")
        #expect(r["wrongName"] == "error:ERR_TLS_CERT_ALTNAME_INVALID")
        #expect(r["unchecked"] == "OVER TLS (not verified)")
        #expect(r["upgraded"] == "OVER TLS (authorized)")
        #expect(r["refused"] == "error:EHOSTNOTALLOWED")
    }

    @Test func abortBlobAndFormDataGlobals() async throws {
        let r = try await runNode(
            """
            const c = new AbortController();
            const heard = [];
            c.signal.addEventListener('abort', (e) => heard.push(e.type + ':' + c.signal.aborted));
            c.signal.onabort = () => heard.push('onabort');
            c.abort();
            c.abort();
            let thrown;
            try { c.signal.throwIfAborted(); } catch (e) { thrown = e.name; }
            const timedOut = await new Promise((ok) => { const s = AbortSignal.timeout(10); s.addEventListener('abort', () => ok(s.reason.name)); });
            const blob = new Blob(['héllo ', Buffer.from('wörld')], { type: 'Text/Plain' });
            const fd = new FormData();
            fd.append('a', '1'); fd.append('a', '2'); fd.set('b', 'x'); fd.append('f', new Blob(['data']), 'f.txt');
            fd.set('a', '3');
            return { heard, thrown, timedOut, reason: AbortSignal.abort('why').reason, size: blob.size, type: blob.type, text: await blob.text(),
              slice: await blob.slice(0, 6).text(), fdA: fd.getAll('a'), fdB: fd.get('b'), keys: [...fd.keys()], file: fd.get('f').name,
              tag: Object.prototype.toString.call(fd) };
            """)
        #expect(r["heard"] == ["onabort", "abort:true"])
        #expect(r["thrown"] == "AbortError")
        #expect(r["timedOut"] == "TimeoutError")
        #expect(r["reason"] == "why")
        #expect(r["size"] == 13)
        #expect(r["type"] == "text/plain")
        #expect(r["text"] == "héllo wörld")
        #expect(r["slice"] == "héllo")
        #expect(r["fdA"] == ["3"])
        #expect(r["fdB"] == "x")
        #expect(r["keys"] == ["a", "b", "f"])
        #expect(r["file"] == "f.txt")
        #expect(r["tag"] == "[object FormData]")
    }

    /// What an independent review found, each as it was found: numbers that trapped, a NUL that
    /// passed a wildcard entry, `once('data')` never reading, the socket cap overshot by
    /// concurrent connects, write errors without 'error', and Node's path and zlib rules.
    @Test func hostileArgumentsAndNodeDetailsFromTheReview() async throws {
        let echo = try await LoopbackTCPServer(.upperEcho)
        defer { echo.stop() }
        let r = try await runNode(
            """
            const net = require('net'), dns = require('dns'), zlib = require('zlib'), http = require('http');
            const outcome = (s) => new Promise((ok) => { s.on('connect', () => { s.destroy(); ok('connected'); }); s.on('error', (e) => ok(e.code)); });
            const family = await new Promise((ok) => { try { dns.lookup('localhost', 1e300, (e) => ok(e ? e.code : 'looked up')); } catch (e) { ok('threw ' + e.code); } });
            const nul = await outcome(net.connect({ host: '127.0.0.1\\u0000.localhost', port: \(echo.port) }));
            const once = await new Promise((ok) => { const s = net.connect(\(echo.port), '127.0.0.1', () => { s.once('data', (d) => { s.destroy(); ok(String(d)); }); s.write('once'); }); });
            // Forty at once, kept open: the slot is taken before connecting, so 32 connect.
            const sockets = Array.from({ length: 40 }, () => net.connect(\(echo.port), '127.0.0.1'));
            const many = await Promise.all(sockets.map((s) => new Promise((ok) => { s.on('connect', () => ok('connected')); s.on('error', (e) => ok(e.code)); })));
            sockets.forEach((s) => s.destroy());
            const connectedCount = many.filter((x) => x === 'connected').length;
            const capped = many.filter((x) => x === 'EMFILE').length;
            const writeError = await new Promise((ok) => {
              const s = net.connect(\(echo.port), '127.0.0.1', () => {
                const seen = [];
                s.on('error', (e) => seen.push('error:' + e.code));
                s.on('close', () => ok(seen));
                s._id = 'not-a-socket';
                s.write('x', (e) => seen.push('cb:' + (e && e.code)));
              });
            });
            let path;
            try { http.request({ hostname: '127.0.0.1', port: \(echo.port), path: '/a b' }); } catch (e) { path = e.code; }
            const multi = zlib.gunzipSync(Buffer.concat([zlib.gzipSync('hello '), zlib.gzipSync('world')])).toString();
            const level = (() => { try { zlib.gzipSync('x', { level: 1e300 }); return 'accepted'; } catch (e) { return e.code + ':' + (e instanceof RangeError); } })();
            const corrupt = (() => { const g = zlib.gzipSync('some text to compress'); g[12] ^= 0xff; try { zlib.gunzipSync(g); return 'read'; } catch (e) { return e.code; } })();
            return { family, nul, once, connectedCount, capped, writeError, path, multi, level, corrupt };
            """, timeout: .seconds(60))
        #expect(r["family"] == "threw ERR_INVALID_ARG_VALUE" || r["family"] == "ERR_INVALID_ARG_VALUE", "\(r["family"] ?? .null)")
        #expect(r["nul"] == "ERR_INVALID_ARG_VALUE")
        #expect(r["once"] == "ONCE")
        #expect(r["connectedCount"] == 32, "32 at once: \(r["connectedCount"] ?? .null)")
        #expect(r["capped"] == 8)
        #expect(r["writeError"]?.arrayValue?.contains("error:ERR_SOCKET_CLOSED") == true, "\(r["writeError"] ?? .null)")
        #expect(r["path"] == "ERR_UNESCAPED_CHARACTERS")
        #expect(r["multi"] == "hello world")
        #expect(r["level"] == "ERR_OUT_OF_RANGE:true")
        #expect(r["corrupt"] == "Z_DATA_ERROR")
    }

    /// A socket kept in `global` past its login: the next login's write fails at once.
    @Test func aSocketKeptPastItsJobFailsTheNextWriteAtOnce() async throws {
        let echo = try await LoopbackTCPServer(.upperEcho)
        defer { echo.stop() }
        // One worker, one program, one context: `global` keeps the socket between the two jobs.
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            if (!globalThis.kept) {
              globalThis.kept = require('net').connect(\(echo.port), '127.0.0.1');
              await new Promise((ok) => globalThis.kept.on('connect', ok));
              return 'kept';
            }
            return await new Promise((ok) => {
              const seen = [];
              globalThis.kept.on('error', (e) => seen.push(e.code));
              globalThis.kept.write('late', (e) => { seen.push('cb:' + (e && e.code)); ok(seen); });
            });
            """
        let key = "kept-socket-" + UUID().uuidString
        #expect(try await runNode(body, shared: key, runtime: single) == "kept")
        await echo.waitForClosedConnections(1)
        let next = try await runNode(body, shared: key, runtime: single)
        #expect(next == ["ERR_SOCKET_CLOSED", "cb:ERR_SOCKET_CLOSED"], "\(next)")
    }

    /// Marking a job's sockets as ended, after the put-back has checked the built-ins, runs no
    /// script code and changes no shared object: not a setter a script put on its socket, not
    /// a proxy's traps, not a shared object `_register` was called on, not a replaced
    /// Array.prototype.push handed the runtime's list. One worker, one context.
    @Test func aJobsEndRunsNoScriptCodeOnItsSockets() async throws {
        let echo = try await LoopbackTCPServer(.upperEcho)
        defer { echo.stop() }
        let single = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { single.shutdown() }
        let body = """
            const net = require('net'), tls = require('tls');
            global.jobs = (global.jobs || 0) + 1;
            const seen = [global.jobs, typeof Array.prototype.planted, typeof ({})._jobEnded, Object.prototype.hasOwnProperty.call(tls.TLSSocket.prototype, '_jobEnded')];
            if (global.jobs === 2) seen.push(await new Promise((ok) => { global.kept.on('error', () => {}); global.kept.write('late', (e) => ok(e && e.code)); }));
            if (global.jobs % 2 === 1) {
              const plant = (how) => { Array.prototype.planted = how; };
              const connected = (s) => new Promise((ok, no) => { s.once('connect', ok); s.once('error', no); });
              // Setters on its own socket.
              const s1 = net.connect(\(echo.port), '127.0.0.1');
              await connected(s1);
              let ended = false;
              Object.defineProperty(s1, '_jobEnded', { configurable: true, get() { return ended; }, set(v) { ended = v; plant('setter'); } });
              global.kept = s1;
              // A proxy connected through.
              const p = new Proxy(new net.Socket(), {
                set(t, k, v) { if (k === '_jobEnded') plant('set trap'); return Reflect.set(t, k, v); },
                defineProperty(t, k, d) { if (k === '_jobEnded') plant('defineProperty trap'); return Reflect.defineProperty(t, k, d); }
              });
              p.connect(\(echo.port), '127.0.0.1');
              await connected(p);
              // Shared objects registered as sockets.
              net.Socket.prototype._register.call(Object.prototype);
              net.Socket.prototype._register.call(tls.TLSSocket.prototype);
              // A push that would be handed the list of the job's sockets.
              const push = Array.prototype.push;
              Array.prototype.push = function (x) {
                if (arguments.length === 1 && x instanceof net.Socket && Array.isArray(this) && this.length === 0) {
                  Object.defineProperty(this, '0', { configurable: true, enumerable: true, get() { plant('index getter'); return x; } });
                  return 1;
                }
                return push.apply(this, arguments);
              };
              await connected(net.connect(\(echo.port), '127.0.0.1'));
              delete Array.prototype.planted;
            }
            return seen;
            """
        let key = "ended-sockets-" + UUID().uuidString
        for job in 1...4 {
            let r = try await runNode(body, shared: key, runtime: single)
            var expected: JSONValue = [.number(Double(job)), "undefined", "undefined", false]
            if job == 2 { expected = [2, "undefined", "undefined", false, "ERR_SOCKET_CLOSED"] }
            #expect(r == expected, "job \(job): \(r)")
        }
    }
}
