import Foundation
import JSONCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The reliability suite's hostile requests: while 32 good password logins run continuously
/// against the daemon, requests of every kind that used to crash, borrow or wedge it are sent —
/// over HTTP, to the real process. Every good login succeeds, every hostile request gets its
/// answer (never a 5xx), and the process is never lost.
@Suite(.serialized) struct HostileRequestsUnderLoadTests {
    /// One hostile request: what it sends and the statuses it may get.
    struct Hostile: Sendable {
        var name: String
        var method = "GET"
        var path: String
        var body: String? = nil
        var headers: [String: String] = [:]
        var token = true
        var expected: Set<Int>
    }

    static func hostile(_ port: Int) -> [Hostile] {
        let e = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        return [
            Hostile(name: "paging past Int.max", path: "api/v2/users?page=9223372036854775807", expected: [400]),
            Hostile(name: "logs paging overflow", path: "api/v2/logs?page=4611686018427387904&per_page=2", expected: [400]),
            Hostile(name: "30,000 nested groups", path: "api/v2/users?q=" + e(String(repeating: "(", count: 30_000)), expected: [400]),
            Hostile(name: "50,000 negations", path: "api/v2/users?q=" + e(String(repeating: "-", count: 50_000) + "a"), expected: [400]),
            Hostile(name: "2,000 terms", path: "api/v2/logs?q=" + e((0..<2000).map { "type:t\($0)" }.joined(separator: " OR ")), expected: [400]),
            Hostile(name: "a rebinding Host", path: "healthz", headers: ["Host": "rebind.attacker.example:\(port)"], expected: [421]),
            Hostile(
                name: "a sample secret through a rebinding Host", method: "POST", path: "oauth/token",
                body: "grant_type=client_credentials&client_id=sampleManagementClientId0000000&client_secret=sample-management-secret-change-me",
                headers: ["Host": "rebind.attacker.example", "Content-Type": "application/x-www-form-urlencoded"], token: false, expected: [421]),
            Hostile(name: "a 5,000-character rule name", method: "POST", path: "api/v2/rules",
                    body: #"{"name": "\#(String(repeating: "r", count: 5000))", "script": "function (u, c, cb) { cb(null, u, c); }"}"#, expected: [400]),
            Hostile(name: "JSON nested 100,000 deep", method: "POST", path: "api/v2/users",
                    body: String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000), expected: [400]),
            Hostile(name: "a body over the limit", method: "POST", path: "api/authsim/simulate", body: String(repeating: "x", count: 2 << 20), expected: [413, 400]),
            Hostile(name: "PKCE plain", path: "authorize?response_type=code&client_id=sampleAppClientId00000000000000&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&code_challenge=abc&code_challenge_method=plain", token: false, expected: [302, 303]),
            Hostile(name: "an unsigned token", path: "api/v2/users", headers: ["Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzY29wZSI6InJlYWQ6dXNlcnMifQ."], token: false, expected: [401]),
            Hostile(name: "a forged X-Forwarded-For", method: "POST", path: "oauth/token",
                    body: "grant_type=password&username=nobody%40example.com&password=x&client_id=sampleAppClientId00000000000000&client_secret=sample-app-client-secret-change-me",
                    headers: ["X-Forwarded-For": "203.0.113.66", "Content-Type": "application/x-www-form-urlencoded"], token: false, expected: [403, 429]),
            Hostile(name: "a user block listing without identifier", path: "api/v2/user-blocks", expected: [400]),
            Hostile(name: "an IP block check on a non-address", path: "api/v2/anomaly/blocks/ips/" + e("../../etc"), expected: [400, 404]),
        ]
    }

    static func send(_ base: URL, _ h: Hostile, token: String) async throws -> Int {
        var r = URLRequest(url: URL(string: base.absoluteString + "/" + h.path)!)
        r.httpMethod = h.method
        r.httpBody = h.body.map { Data($0.utf8) }
        if h.token { r.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
        if h.body != nil, h.headers["Content-Type"] == nil { r.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (k, v) in h.headers { r.setValue(v, forHTTPHeaderField: k) }
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let (_, response) = try await session.data(for: r)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
            completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) { completionHandler(nil) }
    }

    final class State: Sendable {
        let stop = Flag()
        let good = Tally()
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        func withLock<T: Sendable>(_ body: (inout Bool) -> T) -> T { value.withLock { body(&$0) } }
    }

    final class Tally: Sendable {
        private let value = Mutex((ok: 0, failed: [String]()))
        func withLock<T: Sendable>(_ body: (inout (ok: Int, failed: [String])) -> T) -> T { value.withLock { body(&$0) } }
    }

    @Test func hostileRequestsBesideThirtyTwoGoodLogins() async throws {
        let d = try await Daemon.start(extraArguments: ["--request-read-timeout", "5"])
        defer { d.terminate() }
        let port = try #require(d.base.port)
        let hostile = Self.hostile(port)
        let state = State()
        let stop = state.stop
        let good = state.good

        // 32 logins at a time, continuously, until the hostile requests are done.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    while !stop.withLock({ $0 }) {
                        var r = URLRequest(url: d.base.appendingPathComponent("oauth/token"))
                        r.httpMethod = "POST"
                        r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
                        r.httpBody = Data("grant_type=password&username=\(worker % 2 == 0 ? "ann" : "bob")%40example.com&password=Passw0rd%21&client_id=sampleAppClientId00000000000000&client_secret=sample-app-client-secret-change-me&scope=openid".utf8)
                        do {
                            let (data, response) = try await URLSession.shared.data(for: r)
                            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                            let body = (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null
                            good.withLock { g in
                                if status == 200, body["id_token"] != nil { g.ok += 1 } else { g.failed.append("\(status) \(body)") }
                            }
                        } catch {
                            good.withLock { $0.failed.append("\(error)") }
                        }
                    }
                }
            }
            group.addTask {
                defer { stop.withLock { $0 = true } }
                for round in 0..<3 {
                    for h in hostile {
                        let status = try await Self.send(d.base, h, token: d.token)
                        #expect(h.expected.contains(status), "round \(round): \(h.name) got \(status)")
                    }
                    // Slow headers that never end, beside the load: closed, not kept.
                    let closed = try await offThePool {
                        try DaemonHardeningTests.closedAfterPartialRequest(port: port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a", wait: 120)
                    }
                    #expect(closed, "round \(round): a slow-header connection was kept")
                }
            }
            try await group.waitForAll()
        }
        let result = good.withLock { $0 }
        print("hostile requests under load: \(hostile.count * 3) hostile requests, \(result.ok) good logins alongside, \(result.failed.count) failed")
        #expect(result.failed.isEmpty, "\(result.failed.prefix(5))")
        #expect(result.ok > 0)
        #expect(d.process.isRunning)
        let (health, body) = try await d.request("healthz")
        #expect(health == 200)
        #expect(body["status"] == "ok")
        #expect(await d.stop() == 0)
    }
}
