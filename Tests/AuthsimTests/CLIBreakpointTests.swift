import Foundation
import JSONCore
import Testing

/// `authsim simulate --break FILE:LINE`, as a separate process on the sample tenant: the login
/// stops at the line (JavaScriptCore's remote inspector, relayed by the process itself), the
/// paused frame's scopes are printed, and the login finishes as it would have.
@Suite struct CLIBreakpointTests {
    let cli = CLITests()

    @Test func aBreakpointPrintsThePausedScopeAndTheLoginFinishes() async throws {
        // Line 9 of add-roles-to-tokens.js: `context.idToken[namespace + 'roles'] = roles;`, not run yet.
        let r = try await cli.authsim(
            ["simulate", "--user", "ann@example.com", "--json", "--break", "rules/add-roles-to-tokens.js:9", "--break", "rules/metadata-claims.js:12"],
            store: cli.freshStore())
        #expect(r.status == 0, "\(r.stderr)")
        let out = try #require(try? JSONValue.parse(r.stdout), "stdout is not JSON: \(r.stdout.prefix(500)); stderr: \(r.stderr.prefix(2000))")
        let breaks = try #require(out["breaks"]?.arrayValue)
        #expect(breaks.count == 2)
        let first = try #require(breaks.first)
        #expect(first["file"] == "rules/add-roles-to-tokens.js")
        #expect(first["line"] == 9)
        #expect(first["reason"] == "Breakpoint")
        #expect(first["function"] == "addRolesToTokens")
        func variable(_ pause: JSONValue, _ name: String) -> JSONValue? {
            pause["scopes"]?.arrayValue?.lazy.compactMap { $0["variables"]?[name] }.first
        }
        // The scope as it is on that line: the user, the locals computed above it, and the
        // claim the line is about to set still absent.
        #expect(variable(first, "user")?["email"] == "ann@example.com")
        #expect(variable(first, "roles") == ["admin", "editor"])
        #expect(variable(first, "namespace") == "https://example.com/")
        #expect(variable(first, "context")?["idToken"] == [:])
        #expect(variable(first, "callback")?.stringValue?.hasPrefix("[function") == true)
        // The runtime's own wrapper variables are not shown.
        #expect(first.serialized().contains("__authsim") == false)
        // The second pause sees what the first rule did.
        let second = try #require(breaks.last)
        #expect(second["file"] == "rules/metadata-claims.js")
        #expect(second["line"] == 12)
        #expect(variable(second, "context")?["idToken"]?["https://example.com/roles"] == ["admin", "editor"])
        // And the login went on to the end.
        #expect(out["outcome"] == "allowed")
        #expect(out["idToken"]?["claims"]?["https://example.com/roles"] == ["admin", "editor"])
        #expect(out["idToken"]?["claims"]?["https://example.com/plan"] == "enterprise")
    }

    @Test func aLineNeverReachedStopsNothingAndBadBreakpointsAreRefused() async throws {
        // Line 8 of deny-legacy-app.js is in a disabled rule.
        let r = try await cli.authsim(["simulate", "--user", "ann@example.com", "--break", "rules/deny-legacy-app.js:8"], store: cli.freshStore())
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("no breakpoint was reached: rules/deny-legacy-app.js:8"))
        #expect(r.stdout.contains("allowed"))
        for bad in ["rules/add-roles-to-tokens.js", "rules/x.js:0", ":3", "rules/x.js:nine"] {
            let refused = try await cli.authsim(["simulate", "--user", "ann@example.com", "--break", bad], store: cli.freshStore())
            #expect(refused.status != 0, "\(bad)")
            #expect(refused.stderr.contains("--break takes FILE:LINE"), "\(bad): \(refused.stderr)")
        }
        // FILE must be one of the tenant's scripts, and LINE within it.
        let unknown = try await cli.authsim(["simulate", "--user", "ann@example.com", "--break", "rules/nope.js:3"], store: cli.freshStore())
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("rules/nope.js is not one of the tenant's scripts") && unknown.stderr.contains("rules/geoip-country.js"), "\(unknown.stderr)")
        let past = try await cli.authsim(["simulate", "--user", "ann@example.com", "--break", "rules/geoip-country.js:400"], store: cli.freshStore())
        #expect(past.status == 1)
        #expect(past.stderr.contains("rules/geoip-country.js has 14 lines"), "\(past.stderr)")
    }
}

/// `authsim test --coverage` on the sample tenant, as a separate process: the lines the sample
/// tests run, counted by hand from the rules and the tests, against the lcov it writes.
@Suite struct CLICoverageTests {
    let cli = CLITests()

    /// `DA` lines per file of an lcov tracefile (path suffix → line → runs).
    static func lines(_ lcov: String) -> [String: [Int: Int]] {
        var out: [String: [Int: Int]] = [:]
        var file = ""
        for line in lcov.split(separator: "\n") {
            if line.hasPrefix("SF:") { file = String(line.dropFirst(3)) }
            if line.hasPrefix("DA:") {
                let parts = line.dropFirst(3).split(separator: ",")
                if parts.count == 2, let l = Int(parts[0]), let n = Int(parts[1]) { out[file, default: [:]][l] = n }
            }
        }
        return out
    }

    @Test func theSampleTestsCoverTheLinesCountedByHand() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-coverage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lcovPath = dir.appendingPathComponent("out/lcov.info").path
        let r = try await cli.authsim(["test", "--coverage", "--lcov", lcovPath], store: cli.freshStore())
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("Coverage (lines and basic blocks the tests ran):"))
        let lcov = try String(contentsOfFile: lcovPath, encoding: .utf8)
        let files = Self.lines(lcov)
        func file(_ suffix: String) -> [Int: Int]? { files.first { $0.key.hasSuffix("/" + suffix) }?.value }

        // geoip-country.js runs in three tests (two geoip tests and "all enabled rules together"),
        // each time with a country (geoip.json has a default), so the else branch never runs.
        // Lines 1–4 are a comment; 10, 12 and 14 close blocks.
        #expect(file("rules/geoip-country.js") == [5: 3, 6: 3, 7: 3, 8: 3, 9: 3, 11: 0, 13: 3])
        // require-verified-email.js runs twice: for the unverified user (line 7) and in
        // "all enabled rules together" for a verified one (line 9). Lines 8 and 10 close blocks.
        #expect(file("rules/require-verified-email.js") == [5: 2, 6: 2, 7: 1, 9: 1])
        // The summary says the same, with the uncovered line.
        #expect(r.stdout.contains("rules/geoip-country.js  lines 6/7 (85%)"))
        #expect(r.stdout.contains("uncovered: 11"))
        #expect(r.stdout.contains("rules/require-verified-email.js  lines 4/4 (100%)"))
        // Every enabled rule and every action is in the tracefile, with absolute paths.
        for name in ["rules/add-roles-to-tokens.js", "rules/metadata-claims.js", "rules/track-first-login.js", "rules/geoip-country.js"] {
            #expect(lcov.contains("SF:" + CLITests.root.appendingPathComponent(name).path + "\n"), "\(name)")
        }
        #expect(lcov.contains("end_of_record"))
        #expect(lcov.contains("BRDA:"))
        // The disabled rule is not a tenant script the logins can run.
        #expect(!lcov.contains("deny-legacy-app.js"))
    }
}

