import Foundation
import JSONCore
import NodeCompat
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
        // A port nothing listens on: bind one, note it, close it.
        let server = try await LoopbackTCPServer(.silent)
        let port = server.port
        server.stop()
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
}
