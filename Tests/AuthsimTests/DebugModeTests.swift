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
        let known = [#"email: "ann@example.com""#, #"given_name: "Ann""#, #"nickname: "ann""#, #"name: "Ann Admin""#, #"picture: "https://cdn.auth0.com/avatars/an.png""#]
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

        // The daemon's own logins never stop: a simulation through the ordinary API with the
        // breakpoint's rule runs straight through.
        let (plain, result) = try await Self.post(d, "api/authsim/simulate", request)
        #expect(plain == 200)
        #expect(result["outcome"]?.stringValue == "allowed")
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
