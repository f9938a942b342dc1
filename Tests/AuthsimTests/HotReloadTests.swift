import Foundation
import JSONCore
import Testing

/// Editing the tenant directory while the daemon runs.
@Suite(.serialized) struct HotReloadTests {
    func copyOfSampleTenant() throws -> String { try sampleTenantCopy() }

    func simulate(_ d: Daemon) async throws -> JSONValue {
        let (s, r) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "bob@example.com"}"#.utf8), token: d.token)
        #expect(s == 200)
        return r
    }

    /// Polls until `condition` holds (reloads are debounced polling), at most ~60 s (generous:
    /// a loaded machine polls late).
    func eventually(_ d: Daemon, _ condition: (JSONValue) -> Bool) async throws -> JSONValue {
        var last: JSONValue = .null
        for _ in 0..<300 {
            last = try await simulate(d)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        return last
    }

    @Test func ruleEditsApplyAndBrokenEditsKeepTheLastGoodRevision() async throws {
        let tenant = try copyOfSampleTenant()
        let d = try await Daemon.start(extraArguments: ["--tenant", tenant])
        let before = try await simulate(d)
        #expect(before["idToken"]?["claims"]?["https://example.com/reloaded"] == nil)
        let (_, health1) = try await d.request("healthz")

        // Edit a rule: the next logins see it without a restart.
        let rule = tenant + "/rules/geoip-country.js"
        var source = try String(contentsOfFile: rule, encoding: .utf8)
        source = source.replacingOccurrences(of: "callback(null, user, context);\n}", with: "context.idToken['https://example.com/reloaded'] = 'yes';\n  callback(null, user, context);\n}")
        try source.write(toFile: rule, atomically: true, encoding: .utf8)
        let after = try await eventually(d) { $0["idToken"]?["claims"]?["https://example.com/reloaded"] == "yes" }
        #expect(after["idToken"]?["claims"]?["https://example.com/reloaded"] == "yes")
        let (_, health2) = try await d.request("healthz")
        #expect(health2["revision"] != health1["revision"])

        // A broken edit: the last good revision keeps serving; the log names file and line.
        try "function (user, context, callback) {\n  callback(null, user, context\n}\n".write(toFile: tenant + "/rules/metadata-claims.js", atomically: true, encoding: .utf8)
        var logged = ""
        for _ in 0..<75 where !logged.contains("rules/metadata-claims.js:") {
            try await Task.sleep(for: .milliseconds(200))
            logged = (try? String(contentsOfFile: d.logPath, encoding: .utf8)) ?? ""
        }
        #expect(logged.contains("tenant reload failed"))
        #expect(logged.contains("rules/metadata-claims.js:3"))
        let still = try await simulate(d)
        #expect(still["outcome"] == "allowed")
        #expect(still["idToken"]?["claims"]?["https://example.com/plan"] == "pro")
        #expect(still["idToken"]?["claims"]?["https://example.com/reloaded"] == "yes")
        let (_, health3) = try await d.request("healthz")
        #expect(health3["revision"] == health2["revision"])

        // A broken JSON file is reported with its line too, and fixing it reloads.
        try "{\n  \"name\": \"metadata-claims\",\n  \"order\": 3,,\n}\n".write(toFile: tenant + "/rules/metadata-claims.json", atomically: true, encoding: .utf8)
        logged = ""
        for _ in 0..<75 where !logged.contains("rules/metadata-claims.json:3") {
            try await Task.sleep(for: .milliseconds(200))
            logged = (try? String(contentsOfFile: d.logPath, encoding: .utf8)) ?? ""
        }
        #expect(logged.contains("rules/metadata-claims.json:3"))
        try #"{ "name": "metadata-claims", "order": 3, "enabled": false }"#.write(toFile: tenant + "/rules/metadata-claims.json", atomically: true, encoding: .utf8)
        let fixed = try await eventually(d) { $0["trace"]?.arrayValue?.count == 4 }
        #expect(fixed["trace"]?.arrayValue?.count == 4)
        #expect(fixed["idToken"]?["claims"]?["https://example.com/plan"] == nil)
        #expect(await d.stop() == 0)
    }
}

/// `/api/v2/rules` writes the tenant directory and the pipeline picks the change up at once.
@Suite(.serialized) struct RulesAPITests {
    @Test func createPatchDeleteRulesAndReadClients() async throws {
        let tenant = try HotReloadTests().copyOfSampleTenant()
        let d = try await Daemon.start(extraArguments: ["--tenant", tenant])
        let m = ManagementAPITests()
        let t = try await m.m2mToken(d)
        let (ls, rules) = try await m.send(d, "GET", "rules", token: t)
        #expect(ls == 200)
        #expect(rules.arrayValue?.count == 6)
        let geo = try #require(rules.arrayValue?.first { $0["name"] == "geoip-country" })
        #expect(geo["script"]?.stringValue?.contains("geoip") == true)

        let script = "function (user, context, callback) { context.idToken['https://example.com/api-rule'] = 42; callback(null, user, context); }"
        let (cs, created) = try await m.send(d, "POST", "rules", JSONValue.object(["name": "from-api", "script": .string(script), "order": 10]).serialized(), token: t)
        #expect(cs == 201)
        let id = try #require(created["id"]?.stringValue)
        #expect(FileManager.default.fileExists(atPath: tenant + "/rules/from-api.js"))
        let r1 = try await HotReloadTests().simulate(d)
        #expect(r1["idToken"]?["claims"]?["https://example.com/api-rule"] == 42)

        let (dup, _) = try await m.send(d, "POST", "rules", JSONValue.object(["name": "from-api", "script": .string(script)]).serialized(), token: t)
        #expect(dup == 409)
        let (badName, _) = try await m.send(d, "POST", "rules", #"{"name": "-bad", "script": "function(u,c,cb){cb(null,u,c)}"}"#, token: t)
        #expect(badName == 400)
        // A script that does not compile is refused with its line, and nothing changes.
        let (broken, e1) = try await m.send(d, "PATCH", "rules/\(id)", #"{"script": "function (user, context, callback) {\n  callback(null, user, context\n}"}"#, token: t)
        #expect(broken == 400)
        #expect(e1["message"]?.stringValue?.contains("rules/from-api.js:3") == true)
        #expect(try String(contentsOfFile: tenant + "/rules/from-api.js", encoding: .utf8) == script)

        let (ps, patched) = try await m.send(d, "PATCH", "rules/\(id)", #"{"enabled": false}"#, token: t)
        #expect(ps == 200)
        #expect(patched["enabled"] == false)
        let r2 = try await HotReloadTests().simulate(d)
        #expect(r2["idToken"]?["claims"]?["https://example.com/api-rule"] == nil)

        let (del, _) = try await m.send(d, "DELETE", "rules/\(id)", token: t)
        #expect(del == 204)
        #expect(!FileManager.default.fileExists(atPath: tenant + "/rules/from-api.js"))
        let (gone, _) = try await m.send(d, "GET", "rules/\(id)", token: t)
        #expect(gone == 404)

        let (cls, clients) = try await m.send(d, "GET", "clients", token: t)
        #expect(cls == 200)
        #expect(clients.arrayValue?.contains { $0["name"] == "My App" && $0["client_secret"] == nil } == true)
        let (one, app) = try await m.send(d, "GET", "clients/sampleAppClientId00000000000000", token: t)
        #expect(one == 200)
        #expect(app["callbacks"] == ["http://localhost:3000/callback"])
        let (noScope, _) = try await m.send(d, "GET", "rules", token: try await m.m2mToken(d, scope: "read:users"))
        #expect(noScope == 403)
        #expect(await d.stop() == 0)
    }
}
