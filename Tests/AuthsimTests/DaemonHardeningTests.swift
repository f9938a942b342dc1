import AuthsimTesting
import Foundation
import JSONCore
import Testing

#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What only a real process shows: signals, key rotation by another process, raw requests
/// without a Host header, and the refusal to serve published secrets beyond loopback.
@Suite(.serialized) struct DaemonHardeningTests {
    /// Sends `request` as bytes on a new connection to `port` and returns the status line's
    /// code (0 when the daemon closed without answering). Blocking: call off the pool.
    static func rawStatus(port: Int, _ request: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Daemon.DaemonError(message: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Daemon.DaemonError(message: "connect failed") }
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !answer.contains(0x0A) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            answer += buffer[0..<n]
        }
        let line = String(decoding: answer, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) ?? 0 : 0
    }

    /// Waits (generously: the machine may be loaded) until `condition` holds.
    static func eventually(_ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func sighupReloadsTheTenantAndARotatedKeyIsSeenByTheRunningDaemon() async throws {
        let tenant = try sampleTenantCopy()
        let d = try await Daemon.start(extraArguments: ["--tenant", tenant])
        defer { d.terminate() }
        let port = try #require(d.base.port)

        // SIGHUP reloads (it used to end the process).
        kill(d.process.processIdentifier, SIGHUP)
        try await Self.eventually("the SIGHUP reload in the log") {
            ((try? String(contentsOfFile: d.logPath, encoding: .utf8)) ?? "").contains("SIGHUP: tenant reloaded")
        }
        #expect(d.process.isRunning)
        #expect(try await d.request("healthz").0 == 200)

        // `authsim keys rotate` in another process, on the daemon's store: the daemon signs with
        // the new key and still publishes the old one.
        let (_, before) = try await d.request(".well-known/jwks.json")
        let oldKid = try #require(before["keys"]?.arrayValue?.first?["kid"]?.stringValue)
        let rotated = try await CLITests().authsim(["keys", "rotate", "--store", d.storeDir + "/authsim.sqlite"], store: d.storeDir + "/authsim.sqlite")
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let newKid = try #require(rotated.stdout.split(separator: "\n").first?.split(separator: " ").last.map(String.init))
        #expect(newKid != oldKid)
        try await Self.eventually("the daemon to sign with the rotated key") {
            let (_, sim) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "ann@example.com"}"#.utf8), token: d.token)
            return sim["idToken"]?["header"]?["kid"]?.stringValue == newKid
        }
        let (_, after) = try await d.request(".well-known/jwks.json")
        let kids = Set(after["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue } ?? [])
        #expect(kids == [oldKid, newKid])

        // Raw requests: no Host at all, or a foreign one, are refused before any route runs.
        let statuses = try await offThePool {
            (
                none: try Self.rawStatus(port: port, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"),
                foreign: try Self.rawStatus(port: port, "GET /healthz HTTP/1.1\r\nHost: rebind.attacker.example:\(port)\r\nConnection: close\r\n\r\n"),
                second: try Self.rawStatus(port: port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"),
                own: try Self.rawStatus(port: port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
            )
        }
        #expect(statuses.none == 400)
        #expect(statuses.foreign == 421)
        #expect(statuses.second == 421)
        #expect(statuses.own == 200)
        #expect(await d.stop() == 0)
    }

    @Test func publishedSampleSecretsAreNotServedBeyondLoopback() async throws {
        let store = CLITests().freshStore()
        let run = try await CLITests().authsim(["serve", "--host", "0.0.0.0", "--port", "0", "--store", store], store: store)
        #expect(run.status != 0)
        #expect(run.stderr.contains("refusing to listen on 0.0.0.0"), "\(run.stderr)")
        #expect(run.stderr.contains("authsim Management"))
    }

    /// A password grant from `forwardedFor` (through the trusted proxy at 127.0.0.1).
    static func passwordGrant(_ d: Daemon, _ username: String, _ password: String, forwardedFor: String) async throws -> (Int, JSONValue) {
        var r = URLRequest(url: d.base.appendingPathComponent("oauth/token"))
        r.httpMethod = "POST"
        r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        r.setValue(forwardedFor, forHTTPHeaderField: "X-Forwarded-For")
        let fields = ["grant_type": "password", "username": username, "password": password, "client_id": InProcess.appClient, "client_secret": InProcess.appSecret]
        r.httpBody = Data(fields.map { "\($0.key)=\(AuthsimTestClient.formEncode($0.value))" }.joined(separator: "&").utf8)
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null)
    }

    @Test func behindATrustedProxyAttemptsCountPerClientAddress() async throws {
        let tenant = try sampleTenantCopy()
        try #"{"friendly_name": "t", "default_audience": "https://api.example.com", "authsim": {"domain": "sample.authsim.local", "trusted_proxies": ["127.0.0.1"]}}"#
            .write(toFile: tenant + "/tenant.json", atomically: true, encoding: .utf8)
        let d = try await Daemon.start(extraArguments: ["--tenant", tenant])
        defer { d.terminate() }
        // Ten failures from one client block bob there; a client elsewhere still logs in.
        for _ in 0..<10 {
            let (status, _) = try await Self.passwordGrant(d, "bob@example.com", "wrong", forwardedFor: "198.51.100.7")
            #expect(status == 403)
        }
        let (blocked, body) = try await Self.passwordGrant(d, "bob@example.com", "Passw0rd!", forwardedFor: "198.51.100.7")
        #expect(blocked == 429)
        #expect(body["error"] == "too_many_attempts")
        // The right-most address that is not a trusted proxy is the client.
        let (other, _) = try await Self.passwordGrant(d, "bob@example.com", "Passw0rd!", forwardedFor: "198.51.100.7, 198.51.100.8, 127.0.0.1")
        #expect(other == 200)
        let (_, logs) = try await d.request("api/v2/logs?per_page=100", token: d.token)
        let events = logs.arrayValue ?? []
        #expect(events.contains { $0["type"] == "limit_wc" && $0["ip"] == "198.51.100.7" })
        #expect(events.contains { $0["type"] == "s" && $0["ip"] == "198.51.100.8" })
        let (_, blocks) = try await d.request("api/v2/user-blocks?identifier=bob%40example.com", token: d.token)
        #expect(blocks["blocked_for"]?.arrayValue?.map { $0["ip"] } == ["198.51.100.7"])
        #expect(await d.stop() == 0)
    }

    /// A TCP connection to the daemon on loopback whose reads give up after `wait` seconds.
    static func connectLoopback(port: Int, wait: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Daemon.DaemonError(message: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Daemon.DaemonError(message: "connect failed")
        }
        var timeout = timeval(tv_sec: wait, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Opens a connection, sends `partial`, and waits (up to `wait` seconds) for the daemon to
    /// close it; returns whether it did. Blocking: call off the pool.
    static func closedAfterPartialRequest(port: Int, _ partial: String, wait: Int) throws -> Bool {
        let fd = try connectLoopback(port: port, wait: wait)
        defer { close(fd) }
        let bytes = Array(partial.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }  // closed by the daemon
            if n < 0 { return errno == ECONNRESET }  // timed out waiting (EAGAIN): still open
        }
    }

    @Test func connectionsThatNeverFinishARequestAreClosed() async throws {
        let d = try await Daemon.start(extraArguments: ["--request-read-timeout", "1", "--idle-timeout", "1"])
        defer { d.terminate() }
        let port = try #require(d.base.port)
        // Headers that never end, a body that never comes, and an idle kept-alive connection:
        // each is closed (the wait is generous; the deadline is one second).
        let results = try await offThePool {
            [
                try Self.closedAfterPartialRequest(port: port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a", wait: 120),
                try Self.closedAfterPartialRequest(
                    port: port, "POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":", wait: 120),
                try Self.closedAfterPartialRequest(port: port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", wait: 120),
            ]
        }
        #expect(results == [true, true, true])
        // The daemon serves on.
        #expect(try await d.request("healthz").0 == 200)
        #expect(await d.stop() == 0)
    }

    /// On one kept-alive connection: a request, a pause of `pause` seconds, a second request
    /// (its answer's status line), then a request head whose body never comes (whether the
    /// daemon then closes the connection within `wait` seconds).
    static func keptAlive(port: Int, pause: UInt32, wait: Int) throws -> (second: String, closedAfterStalledBody: Bool) {
        let fd = try connectLoopback(port: port, wait: wait)
        defer { close(fd) }
        func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
        /// One whole answer of /healthz (its JSON body ends with "}").
        func answer() -> String {
            var got = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
            while !(String(decoding: got, as: UTF8.self).contains("\r\n\r\n") && got.last == UInt8(ascii: "}")) {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                got += buffer[0..<n]
            }
            return String(String(decoding: got, as: UTF8.self).split(separator: "\r\n").first ?? "")
        }
        send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _ = answer()
        sleep(pause)
        send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let second = answer()
        send("POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return (second, true) }
            if n < 0 { return (second, errno == ECONNRESET) }
        }
    }

    @Test func aKeptAliveConnectionWaitsTheIdleTimeoutAndItsBodiesTheReadTimeout() async throws {
        // Idle for 600 s, requests within 1 s: a pause of 3 s between requests keeps the
        // connection (the idle timeout applies, not the read timeout); a later request's body
        // that never comes is cut after the read timeout (the wait is generous).
        let d = try await Daemon.start(extraArguments: ["--request-read-timeout", "1", "--idle-timeout", "600"])
        defer { d.terminate() }
        let port = try #require(d.base.port)
        let result = try await offThePool { try Self.keptAlive(port: port, pause: 3, wait: 120) }
        #expect(result.second == "HTTP/1.1 200 OK")
        #expect(result.closedAfterStalledBody)
        #expect(await d.stop() == 0)
    }

    @Test func twoDaemonsCreatingOneRuleInOneDirectoryGetOne201AndOne409() async throws {
        let tenant = try sampleTenantCopy()
        let a = try await Daemon.start(extraArguments: ["--tenant", tenant])
        defer { a.terminate() }
        let b = try await Daemon.start(extraArguments: ["--tenant", tenant])
        defer { b.terminate() }
        for round in 0..<3 {
            let body = Data(#"{"name": "race-\#(round)", "script": "function (u, c, cb) { cb(null, u, c); }"}"#.utf8)
            async let first = a.request("api/v2/rules", method: "POST", body: body, token: a.token)
            async let second = b.request("api/v2/rules", method: "POST", body: body, token: b.token)
            let statuses = try await [first.0, second.0].sorted()
            #expect(statuses == [201, 409], "round \(round)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: tenant + "/rules").filter { $0.hasPrefix("race-") }
        #expect(files.sorted() == ["race-0.js", "race-0.json", "race-1.js", "race-1.json", "race-2.js", "race-2.json"])
        #expect(await a.stop() == 0)
        #expect(await b.stop() == 0)
    }
}
