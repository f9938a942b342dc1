import AuthsimTesting
import Foundation
import JSONCore
import Testing
import Tokens

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The reliability suite's bad input over HTTP: deeply nested and invalid-UTF-8 JSON, huge
/// headers, and malformed bearer tokens. Each gets a 4xx with a clear message, nothing is
/// stored, and the server keeps serving (the application listening in the test process).
@Suite(.serialized) struct BadInputTests {
    static func nested(_ depth: Int) -> String {
        String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
    }

    /// Sends raw bytes (the caller's own body and headers, unchecked) and returns the status.
    static func raw(_ d: some HTTPDaemon, _ path: String, method: String = "POST", body: Data, headers: [String: String] = [:], token: String?) async throws -> (Int, JSONValue) {
        var r = URLRequest(url: URL(string: d.base.absoluteString + "/" + path)!)
        r.httpMethod = method
        r.httpBody = body
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null)
    }

    @Test func deepJSONAndInvalidUTF8AreRefusedAndChangeNothing() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let (_, found) = try await d.request("api/v2/users-by-email?email=ann%40example.com", token: d.token)
        let id = try #require(found.arrayValue?.first?["user_id"]?.stringValue)
        let path = "api/v2/users/" + id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let before = try await d.request(path, token: d.token).1

        // Nesting at the limit is accepted; one level deeper is a 400 naming the limit.
        let atLimit = #"{"user_metadata": {"deep": "# + Self.nested(62) + "}}"
        let (okStatus, ok) = try await d.request(path, method: "PATCH", body: Data(atLimit.utf8), token: d.token)
        #expect(okStatus == 200)
        #expect(ok["user_metadata"]?["deep"]?["a"] != nil)
        let tooDeep = #"{"user_metadata": {"deeper": "# + Self.nested(63) + "}}"
        let (deepStatus, deepError) = try await d.request(path, method: "PATCH", body: Data(tooDeep.utf8), token: d.token)
        #expect(deepStatus == 400)
        #expect(deepError["errorCode"] == "invalid_body")
        #expect(deepError["message"]?.stringValue?.contains("nested too deeply (limit 64)") == true)
        let (simStatus, simError) = try await d.request("api/authsim/simulate", method: "POST", body: Data(Self.nested(10_000).utf8), token: d.token)
        #expect(simStatus == 400)
        #expect(simError["message"]?.stringValue?.contains("nested too deeply") == true)

        // Invalid UTF-8 (a lone continuation byte, an overlong encoding, a truncated sequence).
        for bad: [UInt8] in [[0x80], [0xC0, 0xAF], [0xE2, 0x82]] {
            let body = Data(#"{"user_metadata": {"bad": ""#.utf8) + Data(bad) + Data(#""}}"#.utf8)
            let (status, e) = try await Self.raw(d, path, method: "PATCH", body: body, token: d.token)
            #expect(status == 400)
            #expect(e["message"] == "Payload validation error: invalid JSON (the body is not valid UTF-8)")
        }
        let (tokenStatus, tokenError) = try await Self.raw(
            d, "oauth/token", body: Data(#"{"grant_type": "client_credentials", "client_id": "\#u{FF}"}"#.utf8) + Data([0xFF]), token: nil)
        #expect(tokenStatus == 400)
        #expect(tokenError["error"] == "invalid_request")

        // Nothing but the accepted PATCH changed the user.
        let after = try await d.request(path, token: d.token).1
        #expect(after["user_metadata"]?["deeper"] == nil && after["user_metadata"]?["bad"] == nil)
        #expect(after["app_metadata"] == before["app_metadata"])
        #expect(after["email"] == before["email"])
        #expect(await d.stop() == nil)
    }

    @Test func hugeHeadersAreRefusedAndTheDaemonKeepsServing() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        for size in [200_000, 2_000_000] {
            var r = URLRequest(url: d.base.appendingPathComponent("healthz"))
            r.setValue(String(repeating: "a", count: size), forHTTPHeaderField: "X-Huge")
            // Refused with 400 (or the connection closed mid-request): never served, never a 5xx.
            if let (_, response) = try? await URLSession.shared.data(for: r) {
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                #expect(status == 400 || status == 431, "a \(size)-byte header got \(status)")
            }
        }
        let many = (0..<2000).reduce(into: [String: String]()) { $0["X-H\($1)"] = String(repeating: "b", count: 100) }
        var r = URLRequest(url: d.base.appendingPathComponent("healthz"))
        for (k, v) in many { r.setValue(v, forHTTPHeaderField: k) }
        if let (_, response) = try? await URLSession.shared.data(for: r) {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            #expect(status < 500, "2,000 headers got \(status)")
        }
        let (health, body) = try await d.request("healthz")
        #expect(health == 200)
        #expect(body["status"] == "ok")
        #expect(await d.stop() == nil)
    }

    /// Tokens that are wrong in every way a parser can trip on: each gets a 401 (never a 5xx),
    /// and the inspector reports it invalid.
    @Test func malformedTokensAreRefused() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        func b64(_ s: String) -> String { b64(Data(s.utf8)) }
        func b64(_ d: Data) -> String {
            d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let parts = d.token.split(separator: ".").map(String.init)
        let payload = String(decoding: Data(base64Encoded: parts[1].padding(toLength: (parts[1].count + 3) / 4 * 4, withPad: "=", startingAt: 0)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")) ?? Data(), as: UTF8.self)
        #expect(payload.contains("\"scope\""))
        let jwks = try await d.request(".well-known/jwks.json").1
        let n = jwks["keys"]?.arrayValue?.first?["n"]?.stringValue ?? ""
        let tokens: [(String, String)] = [
            ("empty", ""), ("one part", "abc"), ("two parts", "abc.def"), ("four parts", d.token + ".x"),
            ("not base64", "!!!.@@@.###"), ("header not JSON", b64("nope") + "." + parts[1] + "." + parts[2]),
            ("header is an array", b64("[1]") + "." + parts[1] + "." + parts[2]),
            ("payload not JSON", parts[0] + "." + b64("{") + "." + parts[2]),
            ("alg none", b64(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + "."),
            ("alg HS256 keyed with the public key", b64(#"{"alg":"HS256","typ":"JWT"}"#) + "." + parts[1] + "." + b64(n)),
            ("unknown kid", b64(#"{"alg":"RS256","typ":"JWT","kid":"nope"}"#) + "." + parts[1] + "." + parts[2]),
            ("signature flipped", parts[0] + "." + parts[1] + "." + String(parts[2].reversed())),
            ("payload swapped", parts[0] + "." + b64(payload.replacingOccurrences(of: "\"scope\":\"", with: "\"scope\":\"delete:users ")) + "." + parts[2]),
            ("huge", parts[0] + "." + String(repeating: "A", count: 60_000) + "." + parts[2]),
            ("control characters", "a\u{01}.b\u{7F}.c"),
            ("numbers as header", b64("12345") + "." + parts[1] + "." + parts[2]),
        ]
        var statuses: [String: Int] = [:]
        for (name, token) in tokens {
            var r = URLRequest(url: URL(string: d.base.absoluteString + "/api/v2/users")!)
            r.setValue("Bearer " + token, forHTTPHeaderField: "Authorization")
            let (_, m) = try await URLSession.shared.data(for: r)
            statuses["management: " + name] = (m as? HTTPURLResponse)?.statusCode ?? 0
            r = URLRequest(url: URL(string: d.base.absoluteString + "/userinfo")!)
            r.setValue("Bearer " + token, forHTTPHeaderField: "Authorization")
            let (_, u) = try await URLSession.shared.data(for: r)
            statuses["userinfo: " + name] = (u as? HTTPURLResponse)?.statusCode ?? 0
            let body = JSONValue.object(["token": .string(token)]).serialized()
            let (inspectStatus, inspected) = try await d.request("api/authsim/tokens/inspect", method: "POST", body: Data(body.utf8), token: d.token)
            #expect(inspectStatus == 400 || inspected["signatureValid"] == false, "the inspector called '\(name)' valid")
            #expect(inspectStatus < 500)
        }
        // Control characters are not even a valid header value: the HTTP parser refuses them (400).
        let wrong = statuses.filter { $0.value != 401 && !($0.key.hasSuffix("control characters") && $0.value == 400) }
        #expect(wrong.isEmpty, "expected 401 for every malformed token: \(wrong)")
        #expect(try await d.request("api/v2/users", token: d.token).0 == 200)
        #expect(await d.stop() == nil)
    }
}
