import AuthsimTesting
import Foundation
import JSONCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The web console's server side: its files, the one-time sign-in, the token inspector and the
/// connections list it reads. (The pages themselves run in a real browser in Tests/sdk/test_console.py.)
@Suite(.serialized) struct ConsoleTests {
    func raw(_ d: some HTTPDaemon, _ path: String) async throws -> (Int, [String: String], String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: d.base.absoluteString + path)!)
        let http = response as! HTTPURLResponse
        let headers = Dictionary(uniqueKeysWithValues: http.allHeaderFields.map { ("\($0.key)".lowercased(), "\($0.value)") })
        return (http.statusCode, headers, String(decoding: data, as: UTF8.self))
    }

    @Test func filesAndOneTimeSignIn() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let (status, headers, html) = try await raw(d, "/console/")
        #expect(status == 200)
        #expect(headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(html.contains(#"<script src="/console/console.js""#))
        #expect(headers["content-security-policy"]?.contains("script-src 'self'") == true)
        let (jsStatus, jsHeaders, js) = try await raw(d, "/console/console.js")
        #expect(jsStatus == 200 && jsHeaders["content-type"]?.hasPrefix("text/javascript") == true)
        #expect(js.contains("/api/authsim/simulate"))
        #expect(try await raw(d, "/console/console.css").0 == 200)
        #expect(try await raw(d, "/console/secrets.txt").0 == 404)

        // The printed link carries a code that buys a working management token once.
        let link = d.newConsoleLink()
        #expect(link.hasPrefix(d.base.absoluteString + "/console/#login="))
        let code = String(link.split(separator: "=", maxSplits: 1)[1])
        let body = Data(JSONValue.object(["code": .string(code)]).serialized().utf8)
        let (first, session) = try await d.request("console/session", method: "POST", body: body)
        #expect(first == 200)
        let token = try #require(session["access_token"]?.stringValue)
        #expect(try await d.request("api/v2/users", token: token).0 == 200)
        #expect(try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "bob@example.com"}"#.utf8), token: token).0 == 200)
        // The token is short-lived; the console trades it for a fresh one while it is valid.
        #expect(session["expires_in"] == 3600)
        let (renewed, fresh) = try await d.request("console/session/renew", method: "POST", token: token)
        #expect(renewed == 200, "\(fresh)")
        let freshToken = try #require(fresh["access_token"]?.stringValue)
        #expect(try await d.request("api/v2/users", token: freshToken).0 == 200)
        // Only console sessions are renewed: not the daemon's own token, not a client-credentials one.
        #expect(try await d.request("console/session/renew", method: "POST", token: d.token).0 == 403)
        #expect(try await d.request("console/session/renew", method: "POST").0 == 401)
        let (second, refused) = try await d.request("console/session", method: "POST", body: body)
        #expect(second == 401)
        #expect(refused["errorCode"] == "invalid_code")
        #expect(try await d.request("console/session", method: "POST", body: Data(#"{"code": "guess"}"#.utf8)).0 == 401)
        #expect(try await d.request("console/session", method: "POST", body: Data("{".utf8)).0 == 400)
        #expect(await d.stop() == nil)
    }

    @Test func tokenInspectorAndConnections() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let (_, result) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "ann@example.com"}"#.utf8), token: d.token)
        let jwt = try #require(result["accessToken"]?["jwt"]?.stringValue)
        func inspect(_ token: String, auth: String?) async throws -> (Int, JSONValue) {
            try await d.request("api/authsim/tokens/inspect", method: "POST", body: Data(JSONValue.object(["token": .string(token)]).serialized().utf8), token: auth)
        }
        let (ok, inspected) = try await inspect(jwt, auth: d.token)
        #expect(ok == 200)
        #expect(inspected["signatureValid"] == true)
        #expect(inspected["kind"] == "accessToken")
        #expect(inspected["setBy"]?["https://example.com/roles"] == "add-roles-to-tokens")
        #expect(inspected["setBy"]?["https://example.com/plan"] == "metadata-claims")
        #expect(inspected["trace"]?["traceId"] == result["traceId"])
        #expect(inspected["trace"]?["trace"]?.arrayValue?.count == 5)

        // A changed payload fails verification but is still decoded.
        var parts = jwt.split(separator: ".").map(String.init)
        parts[1] = Data(#"{"sub":"mallory","exp":4102444800}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        let (forgedStatus, forged) = try await inspect(parts.joined(separator: "."), auth: d.token)
        #expect(forgedStatus == 200)
        #expect(forged["signatureValid"] == false)
        #expect(forged["claims"]?["sub"] == "mallory")
        #expect(forged["trace"] == .null)
        let (garbage, garbageError) = try await inspect("not a jwt", auth: d.token)
        #expect(garbage == 400 && garbageError["errorCode"] == "invalid_token")
        #expect(try await inspect(jwt, auth: nil).0 == 401)

        let (cs, connections) = try await d.request("api/v2/connections", token: d.token)
        #expect(cs == 200)
        let database = try #require(connections.arrayValue?.first { $0["name"] == "Username-Password-Authentication" })
        #expect(database["strategy"] == "auth0")
        #expect(database["id"]?.stringValue?.hasPrefix("con_") == true)
        let (_, none) = try await d.request("api/v2/connections?strategy=samlp", token: d.token)
        #expect(none.arrayValue?.allSatisfy { $0["strategy"] == "samlp" } == true)
        #expect(await d.stop() == nil)
    }
}
