import Foundation
import JSONCore
import Testing

/// `authsim serve --debug`: the debugger's routes over real HTTP against a real daemon, a login
/// stopped at a breakpoint of a sample rule, read, stepped and resumed; coverage of one login
/// from the simulation API, counted by hand; and what debug mode off and a wrong token get.
@Suite(.serialized) struct DebugModeTests {
    /// The debugger's token, from the console link the daemon printed (`…#login=…&debug=TOKEN`).
    static func debugToken(_ d: Daemon) throws -> String {
        let link = try #require(d.consoleLink)
        let range = try #require(link.range(of: #"&debug=[A-Za-z0-9_-]+"#, options: .regularExpression))
        return String(link[range].dropFirst("&debug=".count))
    }

    /// Polls the session (each answer comes as soon as the state changes) until `done` holds.
    static func waitFor(_ d: Daemon, _ path: String, _ done: (JSONValue) -> Bool) async throws -> JSONValue {
        var seq = -1
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            let (status, state) = try await d.request(path + "?after=\(seq)", token: d.token)
            #expect(status == 200)
            if done(state) { return state }
            seq = Int(state["seq"]?.doubleValue ?? -1)
        }
        throw Daemon.DaemonError(message: "the debug session never reached the expected state")
    }

    /// Starts a debugged login of ann (with `breakpoints`) on `d` and waits until it is no
    /// longer running; returns its path and that state.
    static func debugAnn(_ d: Daemon, breakpoints: [JSONValue] = []) async throws -> (path: String, state: JSONValue) {
        let base = "debug/\(try debugToken(d))"
        let (_, first) = try await post(d, "\(base)/sessions", ["request": ["user": "ann@example.com"], "breakpoints": .array(breakpoints)])
        let path = "\(base)/sessions/\(try #require(first["id"]?.stringValue))"
        return (path, try await waitFor(d, path) { $0["state"]?.stringValue != "running" })
    }

    static func post(_ d: Daemon, _ path: String, _ body: JSONValue) async throws -> (Int, JSONValue) {
        try await d.request(path, method: "POST", body: Data(body.serialized().utf8), token: d.token)
    }

    @Test func aLoginStopsAtABreakpointIsSteppedAndFinishes() async throws {
        let d = try await Daemon.start(extraArguments: ["--debug"])
        defer { d.terminate() }
        let token = try Self.debugToken(d)
        let base = "debug/\(token)"

        // A wrong token is no route at all; the right one still needs a management token.
        #expect(try await d.request("debug/\(String(token.reversed()))/scripts", token: d.token).0 == 404)
        #expect(try await d.request("\(base)/scripts").0 == 401)
        let (sc, scripts) = try await d.request("\(base)/scripts", token: d.token)
        #expect(sc == 200)
        let files = scripts["scripts"]?.arrayValue?.compactMap { $0["file"]?.stringValue } ?? []
        #expect(files.contains("rules/geoip-country.js"))
        #expect(files.first == "rules/add-roles-to-tokens.js", "rules come in the order they run")

        let request: JSONValue = ["user": "ann@example.com", "request": ["geoip": ["country_code": "FR", "country_name": "France"]]]
        let (started, first) = try await Self.post(d, "\(base)/sessions", ["request": request, "breakpoints": ["rules/geoip-country.js:6"]])
        #expect(started == 201)
        let id = try #require(first["id"]?.stringValue)
        let path = "\(base)/sessions/\(id)"

        // Paused at the line, in the rule's function, with the user and the context in scope.
        let paused = try await Self.waitFor(d, path) { $0["state"]?.stringValue != "running" }
        #expect(paused["state"]?.stringValue == "paused")
        let top = try #require(paused["paused"]?["frames"]?.arrayValue?.first)
        #expect(top["file"]?.stringValue == "rules/geoip-country.js")
        #expect(top["line"]?.doubleValue == 6)
        #expect(top["function"]?.stringValue == "geoipCountry")
        // The tenant's frames only (the runtime's own code that called the rule is left out).
        #expect(paused["paused"]?["frames"]?.arrayValue?.allSatisfy { $0["file"]?.stringValue?.hasPrefix("rules/") == true } == true)
        let variables = (paused["paused"]?["scopes"]?.arrayValue ?? []).flatMap { $0["variables"]?.arrayValue ?? [] }
        let user = try #require(variables.first { $0["name"]?.stringValue == "user" })
        // A preview of the user's first properties (their order is the profile's).
        let preview = user["value"]?.stringValue ?? ""
        // At most four of her properties are objects (roles, identities, the metadata), so the
        // five shown include at least one of her plain values.
        let known = [
            #"email: "ann@example.com""#, #"given_name: "Ann""#, #"family_name: "Admin""#, #"nickname: "ann""#, #"name: "Ann Admin""#,
            #"picture: "https://cdn.auth0.com/avatars/an.png""#, #"plan: "enterprise""#, "email_verified: true", "blocked: false", #"user_id: "auth0|"#,
            #"last_ip: ""#, #"created_at: ""#, #"updated_at: ""#, #"last_login: ""#, "logins_count: ",
        ]
        #expect(preview.hasPrefix("{") && known.contains { preview.contains($0) }, "a preview of the user: \(preview)")
        #expect(variables.contains { $0["name"]?.stringValue == "context" })
        #expect(variables.contains { $0["name"]?.stringValue == "geoip" && $0["value"]?.stringValue == "undefined" })
        #expect(!variables.contains { $0["name"]?.stringValue?.hasPrefix("__authsim") == true })

        // The user's own properties, expanded; an expression on the paused frame.
        let (pc, props) = try await Self.post(d, "\(path)/commands", ["action": "properties", "objectId": user["objectId"] ?? ""])
        #expect(pc == 200)
        let email = props["properties"]?.arrayValue?.first { $0["name"]?.stringValue == "email" }
        #expect(email?["value"]?.stringValue == "\"ann@example.com\"")
        let (_, evaluated) = try await Self.post(d, "\(path)/commands", ["action": "evaluate", "expression": "context.request.geoip.country_code + '/' + user.email"])
        #expect(evaluated["result"]?["value"]?.stringValue == "\"FR/ann@example.com\"")
        #expect(evaluated["thrown"]?.boolValue == false)
        let (_, thrown) = try await Self.post(d, "\(path)/commands", ["action": "evaluate", "expression": "nope.nothing"])
        #expect(thrown["thrown"]?.boolValue == true)

        // Step over: the next line of the same function.
        let (stepped, _) = try await Self.post(d, "\(path)/commands", ["action": "stepOver"])
        #expect(stepped == 200)
        let next = try await Self.waitFor(d, path) { $0["state"]?.stringValue == "paused" || $0["state"]?.stringValue == "finished" }
        #expect(next["paused"]?["frames"]?.arrayValue?.first?["line"]?.doubleValue == 7)
        // `geoip` is known now.
        let geoip = (next["paused"]?["scopes"]?.arrayValue ?? []).flatMap { $0["variables"]?.arrayValue ?? [] }.first { $0["name"]?.stringValue == "geoip" }
        #expect(geoip?["value"]?.stringValue?.contains("\"FR\"") == true)

        // Continue: the login finishes as it would have, with the rule's claim.
        let (resumed, _) = try await Self.post(d, "\(path)/commands", ["action": "resume"])
        #expect(resumed == 200)
        let done = try await Self.waitFor(d, path) { ["finished", "failed"].contains($0["state"]?.stringValue ?? "") }
        #expect(done["state"]?.stringValue == "finished")
        #expect(done["result"]?["outcome"]?.stringValue == "allowed")
        #expect(done["result"]?["idToken"]?["claims"]?["https://example.com/country"]?.stringValue == "FR")

        // Nothing to step once it has ended; bad commands are refused with a reason.
        #expect(try await Self.post(d, "\(path)/commands", ["action": "resume"]).0 == 409)
        #expect(try await Self.post(d, "\(path)/commands", ["action": "explode"]).0 == 400)
        #expect(try await Self.post(d, "\(base)/sessions", ["request": request, "breakpoints": ["no-line-here"]]).0 == 400)
        // A breakpoint must name a line of one of the tenant's scripts.
        let (unknownFile, unknownBody) = try await Self.post(d, "\(base)/sessions", ["request": request, "breakpoints": ["rules/nope.js:3"]])
        #expect(unknownFile == 400)
        #expect(unknownBody["message"]?.stringValue?.contains("rules/nope.js is not one of the tenant's scripts") == true, "\(unknownBody)")
        let (pastTheEnd, pastBody) = try await Self.post(d, "\(base)/sessions", ["request": request, "breakpoints": ["rules/geoip-country.js:400"]])
        #expect(pastTheEnd == 400)
        #expect(pastBody["message"]?.stringValue?.contains("rules/geoip-country.js has 14 lines") == true, "\(pastBody)")
        #expect(try await Self.post(d, "\(path)/commands", ["action": "setBreakpoint", "file": "rules/nope.js", "line": 1]).0 == 400)

        // The daemon's own logins never stop: a simulation through the ordinary API with the
        // breakpoint's rule runs straight through.
        let (plain, result) = try await Self.post(d, "api/authsim/simulate", request)
        #expect(plain == 200)
        #expect(result["outcome"]?.stringValue == "allowed")
    }

    /// A login paused longer than its flow timeout (5 s here) still finishes once resumed: the
    /// deadline stands still while it is paused. (The pause is made long on purpose: a slower
    /// machine only makes it longer.)
    @Test func aPauseLongerThanTheFlowTimeoutDoesNotFailTheLogin() async throws {
        let dir = try sampleTenantCopy()
        let tenantFile = dir + "/tenant.json"
        let text = try String(contentsOfFile: tenantFile, encoding: .utf8)
        try text.replacingOccurrences(of: #""flow_timeout_seconds": 20"#, with: #""flow_timeout_seconds": 5"#).write(toFile: tenantFile, atomically: true, encoding: .utf8)
        let d = try await Daemon.start(extraArguments: ["--debug", "--tenant", dir])
        defer { d.terminate() }
        let (path, paused) = try await Self.debugAnn(d, breakpoints: ["rules/geoip-country.js:6"])
        #expect(paused["state"]?.stringValue == "paused")
        try await Task.sleep(for: .seconds(8))
        #expect(try await Self.post(d, "\(path)/commands", ["action": "resume"]).0 == 200)
        let done = try await Self.waitFor(d, path) { ["finished", "failed"].contains($0["state"]?.stringValue ?? "") }
        #expect(done["result"]?["outcome"]?.stringValue == "allowed", "\(done)")
    }

    /// Ending sessions: a new session while one is paused lets the first run to its end; a
    /// coverage request meanwhile is refused (it needs no debug token, so it may not end
    /// anybody's debugging); DELETE lets a paused login finish; a resume racing an evaluation
    /// and a watch's evaluation leaves a login that finishes, never one stuck paused or
    /// running without its deadline.
    @Test func sessionsEndCleanlyAndCommandsDoNotRace() async throws {
        let d = try await Daemon.start(extraArguments: ["--debug"])
        defer { d.terminate() }
        let base = "debug/\(try Self.debugToken(d))"
        let body: JSONValue = ["request": ["user": "ann@example.com"], "breakpoints": ["rules/geoip-country.js:6", "rules/track-first-login.js:7"]]
        let (_, a) = try await Self.post(d, "\(base)/sessions", body)
        let pathA = "\(base)/sessions/\(try #require(a["id"]?.stringValue))"
        #expect(try await Self.waitFor(d, pathA) { $0["state"]?.stringValue != "running" }["state"]?.stringValue == "paused")

        let (busy, refusal) = try await Self.post(d, "api/authsim/simulate", ["user": "ann@example.com", "coverage": true])
        #expect(busy == 409)
        #expect(refusal["errorCode"]?.stringValue == "debugger_busy")

        // B replaces A: A's login is let go (B's 201 comes only once A has ended).
        let (createdB, b) = try await Self.post(d, "\(base)/sessions", body)
        #expect(createdB == 201)
        #expect(try await d.request(pathA, token: d.token).0 == 404)
        let pathB = "\(base)/sessions/\(try #require(b["id"]?.stringValue))"
        #expect(try await Self.waitFor(d, pathB) { $0["state"]?.stringValue != "running" }["state"]?.stringValue == "paused")

        // A resume and two evaluations at once, then through the second breakpoint to the end.
        async let resumed = Self.post(d, "\(pathB)/commands", ["action": "resume"])
        async let evaluated = Self.post(d, "\(pathB)/commands", ["action": "evaluate", "expression": "user.email"])
        async let watched = Self.post(d, "\(pathB)/commands", ["action": "evaluate", "expression": "context.clientName"])
        let statuses = try await [resumed.0, evaluated.0, watched.0]
        #expect(statuses[0] == 200)
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 409 }, "\(statuses)")
        let second = try await Self.waitFor(d, pathB) { s in
            s["state"]?.stringValue != "running" && s["paused"]?["frames"]?.arrayValue?.first?["file"]?.stringValue != "rules/geoip-country.js"
        }
        #expect(second["paused"]?["frames"]?.arrayValue?.first?["file"]?.stringValue == "rules/track-first-login.js")

        // DELETE: the login runs to its end.
        #expect(try await d.request(pathB, method: "DELETE", token: d.token).0 == 204)
        let ended = try await d.request(pathB, token: d.token).1
        #expect(ended["state"]?.stringValue == "finished")
        #expect(ended["result"]?["outcome"]?.stringValue == "allowed")
        // Coverage works again.
        #expect(try await Self.post(d, "api/authsim/simulate", ["user": "ann@example.com", "coverage": true]).0 == 200)
    }

    /// A copy of the sample tenant with a sixth rule that never ends, and a 2 s flow timeout.
    static func loopingTenant() throws -> String {
        let dir = try sampleTenantCopy()
        try "function loop(user, context, callback) {\n  let n = 0;\n  while (true) { n++; }\n}\n".write(toFile: dir + "/rules/loop.js", atomically: true, encoding: .utf8)
        try #"{ "name": "loop", "order": 6, "enabled": true }"#.write(toFile: dir + "/rules/loop.json", atomically: true, encoding: .utf8)
        let tenantFile = dir + "/tenant.json"
        let text = try String(contentsOfFile: tenantFile, encoding: .utf8)
        try text.replacingOccurrences(of: #""flow_timeout_seconds": 20"#, with: #""flow_timeout_seconds": 2"#).write(toFile: tenantFile, atomically: true, encoding: .utf8)
        return dir
    }

    /// A rule that never ends, under the debugger: JavaScriptCore aborts the process when it
    /// terminates a script while a debugger is attached, so the login is paused where it loops,
    /// shown as a timeout (again after Continue); ending the session detaches the debugger and
    /// the login fails with the usual timeout. The daemon lives on, and coverage of such a login
    /// works too.
    @Test func aLoopingRuleStopsAsATimeoutAndTheDaemonLives() async throws {
        let d = try await Daemon.start(extraArguments: ["--debug", "--tenant", try Self.loopingTenant()])
        defer { d.terminate() }
        let (path, paused) = try await Self.debugAnn(d)
        #expect(paused["state"]?.stringValue == "paused")
        #expect(paused["paused"]?["reason"]?.stringValue == "timeout")
        #expect(paused["paused"]?["frames"]?.arrayValue?.first?["file"]?.stringValue == "rules/loop.js")
        #expect(paused["paused"]?["frames"]?.arrayValue?.first?["line"]?.doubleValue == 3)
        let n = (paused["paused"]?["scopes"]?.arrayValue ?? []).flatMap { $0["variables"]?.arrayValue ?? [] }.first { $0["name"]?.stringValue == "n" }
        #expect((Double(n?["value"]?.stringValue ?? "") ?? 0) > 0, "the loop's counter: \(String(describing: n))")
        // Continue: it runs on, out of time, and stops again.
        #expect(try await Self.post(d, "\(path)/commands", ["action": "resume"]).0 == 200)
        let seq = Int(paused["seq"]?.doubleValue ?? 0)
        let again = try await Self.waitFor(d, path) { Int($0["seq"]?.doubleValue ?? 0) > seq + 1 && $0["state"]?.stringValue != "running" }
        #expect(again["paused"]?["reason"]?.stringValue == "timeout")
        // End: the login fails with its timeout, the daemon answers.
        #expect(try await d.request(path, method: "DELETE", token: d.token).0 == 204)
        let ended = try await d.request(path, token: d.token).1
        #expect(ended["state"]?.stringValue == "finished")
        #expect(ended["result"]?["error"]?["error_description"]?.stringValue?.contains("did not call back within 2 s") == true, "\(ended["result"] ?? .null)")
        #expect(try await d.request("healthz").0 == 200)
        let (covered, result) = try await Self.post(d, "api/authsim/simulate", ["user": "ann@example.com", "coverage": true])
        #expect(covered == 200)
        #expect(result["error"]?["error_description"]?.stringValue?.contains("did not call back") == true)
        #expect(try await d.request("healthz").0 == 200)
    }

    /// A rule that allocates without end, under the debugger: over its heap budget the debugger
    /// is detached first and the login fails with the memory limit; the daemon lives on.
    @Test func aRuleOverItsHeapBudgetUnderTheDebuggerFailsAndTheDaemonLives() async throws {
        let dir = try sampleTenantCopy()
        try "function hog(user, context, callback) {\n  const a = [];\n  for (;;) a.push({ i: a.length, s: 'x' + a.length });\n}\n".write(
            toFile: dir + "/rules/hog.js", atomically: true, encoding: .utf8)
        try #"{ "name": "hog", "order": 6, "enabled": true }"#.write(toFile: dir + "/rules/hog.json", atomically: true, encoding: .utf8)
        let d = try await Daemon.start(extraArguments: ["--debug", "--tenant", dir])
        defer { d.terminate() }
        let base = "debug/\(try Self.debugToken(d))"
        let (_, first) = try await Self.post(d, "\(base)/sessions", ["request": ["user": "ann@example.com"], "breakpoints": []])
        let path = "\(base)/sessions/\(try #require(first["id"]?.stringValue))"
        let ended = try await Self.waitFor(d, path) { ["finished", "failed"].contains($0["state"]?.stringValue ?? "") }
        #expect(ended["result"]?["error"]?["error_description"]?.stringValue?.contains("memory limit exceeded in rule 'hog'") == true, "\(ended)")
        #expect(try await d.request("healthz").0 == 200)
    }

    /// The same under `simulate --break`: the login ends with its timeout, the command does not crash.
    @Test func aLoopingRuleUnderBreakEndsWithItsTimeout() async throws {
        let run = try await CLITests().authsim(
            ["simulate", "--tenant", try Self.loopingTenant(), "--user", "ann@example.com", "--break", "rules/geoip-country.js:6"], store: CLITests().freshStore())
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("\"file\" : \"rules/geoip-country.js\"") || run.stdout.contains("rules/geoip-country.js"))
        #expect(run.stdout.contains("rule 'loop' did not call back within 2 s"))
    }

    /// A `debugger;` statement stops a debugged login without any breakpoint set, and never an
    /// ordinary one.
    @Test func aDebuggerStatementStops() async throws {
        let dir = try sampleTenantCopy()
        try """
            function stop(user, context, callback) {
              const plan = user.app_metadata && user.app_metadata.plan;
              debugger;
              context.idToken['https://example.com/stopped'] = plan;
              callback(null, user, context);
            }

            """.write(toFile: dir + "/rules/stop.js", atomically: true, encoding: .utf8)
        try #"{ "name": "stop", "order": 6, "enabled": true }"#.write(toFile: dir + "/rules/stop.json", atomically: true, encoding: .utf8)
        let d = try await Daemon.start(extraArguments: ["--debug", "--tenant", dir])
        defer { d.terminate() }
        let (path, paused) = try await Self.debugAnn(d)
        #expect(paused["state"]?.stringValue == "paused")
        #expect(paused["paused"]?["frames"]?.arrayValue?.first?["file"]?.stringValue == "rules/stop.js")
        #expect(paused["paused"]?["frames"]?.arrayValue?.first?["line"]?.doubleValue == 3)
        let plan = (paused["paused"]?["scopes"]?.arrayValue ?? []).flatMap { $0["variables"]?.arrayValue ?? [] }.first { $0["name"]?.stringValue == "plan" }
        #expect(plan?["value"]?.stringValue == "\"enterprise\"")
        #expect(try await Self.post(d, "\(path)/commands", ["action": "resume"]).0 == 200)
        let done = try await Self.waitFor(d, path) { ["finished", "failed"].contains($0["state"]?.stringValue ?? "") }
        #expect(done["result"]?["idToken"]?["claims"]?["https://example.com/stopped"]?.stringValue == "enterprise")
        // The daemon's own logins run through the statement.
        let (status, plain) = try await Self.post(d, "api/authsim/simulate", ["user": "ann@example.com"])
        #expect(status == 200)
        #expect(plain["idToken"]?["claims"]?["https://example.com/stopped"]?.stringValue == "enterprise")
    }

    /// One login's coverage from the simulation API, against lines counted by hand in
    /// rules/geoip-country.js: with a country every line but the `else` branch's (11) runs once.
    @Test func oneLoginsCoverageFromTheSimulationAPI() async throws {
        let d = try await Daemon.start(extraArguments: ["--debug"])
        defer { d.terminate() }
        let (status, result) = try await Self.post(d, "api/authsim/simulate", ["user": "ann@example.com", "request": ["geoip": ["country_code": "FR"]], "coverage": true])
        #expect(status == 200)
        #expect(result["outcome"]?.stringValue == "allowed")
        let coverage = result["coverage"]?.arrayValue ?? []
        let geoip = try #require(coverage.first { $0["file"]?.stringValue == "rules/geoip-country.js" })
        var lines: [Int: Int] = [:]
        for (k, v) in geoip["lines"]?.objectValue ?? [:] { lines[Int(k) ?? 0] = Int(v.doubleValue ?? -1) }
        #expect(lines == [5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 11: 0, 13: 1])
        #expect(geoip["linesHit"]?.doubleValue == 6)
        // Without a country the other branch runs instead.
        let (_, other) = try await Self.post(d, "api/authsim/simulate", ["user": "ann@example.com", "request": ["geoip": [:]], "coverage": true])
        let again = try #require(other["coverage"]?.arrayValue?.first { $0["file"]?.stringValue == "rules/geoip-country.js" })
        #expect(again["lines"]?["8"]?.doubleValue == 0)
        #expect(again["lines"]?["11"]?.doubleValue == 1)
        #expect(try await Self.post(d, "api/authsim/simulate", ["user": "ann@example.com", "coverage": "yes"]).0 == 400)
    }

    /// Without --debug: no debug routes, coverage refused with the reason, no inspectable context.
    @Test func debugModeOffHasNoDebugger() async throws {
        let d = try await Daemon.start()
        defer { d.terminate() }
        #expect(d.consoleLink?.contains("&debug=") == false)
        let (status, body) = try await Self.post(d, "api/authsim/simulate", ["user": "ann@example.com", "coverage": true])
        #expect(status == 400)
        #expect(body["errorCode"]?.stringValue == "debug_mode_off")
        #expect(try await d.request("debug/anything/scripts", token: d.token).0 == 404)
    }

    /// Debug mode shows a paused login's secrets: it listens on loopback only.
    @Test func debugModeRefusesAnAddressOtherMachinesReach() async throws {
        let run = try await CLITests().authsim(["serve", "--debug", "--host", "0.0.0.0", "--port", "0"], store: CLITests().freshStore())
        #expect(run.status != 0)
        #expect(run.stderr.contains("loopback only"))
    }
}
