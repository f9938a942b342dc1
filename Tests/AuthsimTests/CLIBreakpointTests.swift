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
    }
}
