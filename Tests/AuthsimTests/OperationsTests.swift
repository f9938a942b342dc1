import Foundation
import JSONCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/metrics` and per-client rate limits.
@Suite(.serialized) struct OperationsTests {
    @Test func metricsCountLoginsRuleDurationsAndRequests() async throws {
        let d = try await Daemon.start()
        for user in ["ann@example.com", "unverified@example.com"] {
            _ = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "\#(user)"}"#.utf8), token: d.token)
        }
        var r = URLRequest(url: URL(string: d.base.absoluteString + "/metrics")!)
        r.httpMethod = "GET"
        let (data, response) = try await URLSession.shared.data(for: r)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#"authsim_logins_total{outcome="allowed"} 1"#))
        #expect(text.contains(#"authsim_logins_total{outcome="denied"} 1"#))
        #expect(text.contains(#"authsim_rule_duration_seconds_count{rule="geoip-country"} 1"#))
        #expect(text.contains(#"authsim_rule_duration_seconds_count{rule="require-verified-email"} 2"#))
        #expect(text.contains("authsim_worker_queue_depth"))
        #expect(text.contains("http_server_request_duration_bucket"))
        #expect(text.contains("hb_requests"))
        // Each simulation ran its rules as one job; the workers' time and the put-back's are
        // counted. A job is counted once its put-back is done, which follows its answer: the
        // metrics are read again until both jobs are in (a generous deadline, not a wait).
        func value(_ text: String, _ name: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        var scraped = text
        let deadline = Date().addingTimeInterval(60)
        while (value(scraped, "authsim_script_jobs_total") ?? 0) < 2, Date() < deadline {
            scraped = String(decoding: try await URLSession.shared.data(for: r).0, as: UTF8.self)
        }
        #expect((value(scraped, "authsim_script_jobs_total") ?? 0) >= 2)
        #expect((value(scraped, "authsim_script_putback_seconds_total") ?? 0) > 0)
        #expect((value(scraped, "authsim_script_worker_seconds_total") ?? 0) > (value(scraped, "authsim_script_putback_seconds_total") ?? 0))
        #expect(await d.stop() == 0)
    }

    @Test func rateLimitedClientsGet429WithAuth0Headers() async throws {
        let tenant = try HotReloadTests().copyOfSampleTenant()
        let clientFile = tenant + "/clients/authsim Management.json"
        var client = try JSONValue.parse(try String(contentsOfFile: clientFile, encoding: .utf8)).objectValue ?? [:]
        client["authsim"] = ["rate_limit_per_minute": 3]
        try JSONValue.object(client).serialized(pretty: true).write(toFile: clientFile, atomically: true, encoding: .utf8)
        // The limiter counts in fixed one-minute windows: a sequence that a minute boundary cuts
        // in two is run again on a fresh daemon (a boundary cannot fall in two tries in a row
        // unless a try takes a minute).
        func minute() -> Int { Int(Date().timeIntervalSince1970) / 60 }
        var d = try await Daemon.start(extraArguments: ["--tenant", tenant])
        var last: HTTPURLResponse?
        var statuses: [Int] = []
        var anonymous: [Int] = []
        for attempt in 0..<3 {
            if attempt > 0 {
                _ = await d.stop()
                d = try await Daemon.start(extraArguments: ["--tenant", tenant])
            }
            let started = minute()
            // A caller without the client's secret is counted apart: it cannot use up the
            // client's requests (it used to be counted before client authentication).
            anonymous = []
            for _ in 0..<5 {
                var r = URLRequest(url: d.base.appendingPathComponent("oauth/token"))
                r.httpMethod = "POST"
                r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
                r.httpBody = Data("grant_type=client_credentials&client_id=sampleManagementClientId0000000&client_secret=guess&audience=x".utf8)
                let (_, response) = try await URLSession.shared.data(for: r)
                anonymous.append((response as? HTTPURLResponse)?.statusCode ?? 0)
            }
            let token = try await ManagementAPITests().m2mToken(d)  // 1 of 3
            statuses = []
            for _ in 0..<3 {
                var r = URLRequest(url: URL(string: d.base.absoluteString + "/api/v2/users?per_page=1")!)
                r.setValue("Bearer " + token, forHTTPHeaderField: "Authorization")
                let (_, response) = try await URLSession.shared.data(for: r)
                last = response as? HTTPURLResponse
                statuses.append(last?.statusCode ?? 0)
            }
            if minute() == started { break }
        }
        // The token request and two API calls fit; the fourth request is over the limit.
        #expect(statuses == [200, 200, 429])
        #expect(anonymous == [401, 401, 401, 429, 429])
        #expect(last?.value(forHTTPHeaderField: "X-RateLimit-Limit") == "3")
        #expect(last?.value(forHTTPHeaderField: "X-RateLimit-Remaining") == "0")
        #expect(Int(last?.value(forHTTPHeaderField: "X-RateLimit-Reset") ?? "") ?? 0 > Int(Date().timeIntervalSince1970) - 1)
        // Other clients are not limited.
        let (s, _) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "ann@example.com"}"#.utf8), token: d.token)
        #expect(s == 200)
        #expect(await d.stop() == 0)
    }
}
