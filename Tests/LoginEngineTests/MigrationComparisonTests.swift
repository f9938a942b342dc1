import AuthorTools
import Directory
import Foundation
import JSONCore
import Testing

@testable import LoginEngine

/// The sample tenant's rules and their action ports, compared on identical inputs.
@Suite struct MigrationComparisonTests {
    static let rules = ["add-roles-to-tokens", "require-verified-email", "metadata-claims", "geoip-country", "track-first-login"]
    static let actions = ["require-verified-email", "add-roles-to-tokens", "metadata-claims", "geoip-country", "track-first-login"]

    @Test func sampleActionPortsBehaveLikeTheRules() async throws {
        let p = try await makePipeline(directory: sampleTenantDirectory)
        for user in ["ann@example.com", "bob@example.com"] {
            var request = SimulationRequest(user: .stored(user))
            request.audience = "https://api.example.com"
            request.ip = "81.2.69.160"
            let c = try await p.compare(request, rules: Self.rules, actions: Self.actions)
            #expect(c.differences.isEmpty, "\(user): \(c.report(ruleNames: Self.rules, actionNames: Self.actions))")
            #expect(c.rules.outcome == .allowed)
            // The comparison really ran both: each side has its own trace and the claims.
            #expect(c.rules.trace.allSatisfy { $0["kind"] == "rule" } && c.rules.trace.count == 5)
            #expect(c.actions.trace.allSatisfy { $0["kind"] == "action" } && c.actions.trace.count == 5)
            #expect(c.actions.idToken?.claims["https://example.com/first_login"] == true)
            #expect(c.actions.persistedUserMetadata["first_login_at"] != nil)
        }
        // Nothing was stored by either run.
        #expect(try await p.store.users(email: "ann@example.com").first?.userMetadata["first_login_at"] == nil)
    }

    @Test func anUnverifiedUserShowsTheErrorCodeDifference() async throws {
        let p = try await makePipeline(directory: sampleTenantDirectory)
        let c = try await p.compare(SimulationRequest(user: .stored("unverified@example.com")), rules: Self.rules, actions: Self.actions)
        #expect(c.differences.map(\.aspect) == ["error"])
        #expect(c.differences.first?.rules["error"] == "unauthorized")
        #expect(c.differences.first?.actions["error"] == "access_denied")
    }

    @Test func aWrongPortIsReportedByClaim() async throws {
        // A copy of the sample tenant whose metadata-claims port forgets the access token claim.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-compare-\(UUID().uuidString)").path
        // The tenant's files only: the repository's build folder (gigabytes) is not copied.
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for item in try fm.contentsOfDirectory(atPath: sampleTenantDirectory) where !item.hasPrefix(".") && !["Sources", "Tests"].contains(item) {
            try fm.copyItem(atPath: sampleTenantDirectory + "/" + item, toPath: dir + "/" + item)
        }
        try """
            exports.onExecutePostLogin = async (event, api) => {
              api.idToken.setCustomClaim('https://example.com/plan', event.user.app_metadata.plan || 'free');
              if (event.user.user_metadata.preferred_language) api.idToken.setCustomClaim('https://example.com/lang', event.user.user_metadata.preferred_language);
            };
            """.write(toFile: dir + "/actions/metadata-claims/code.js", atomically: true, encoding: .utf8)
        let p = try await makePipeline(directory: dir)
        let c = try await p.compare(SimulationRequest(user: .stored("bob@example.com")), rules: Self.rules, actions: Self.actions)
        let keys = c.differences.map { "\($0.aspect) \($0.key ?? "")" }
        #expect(keys == ["access_token https://example.com/plan"])
        #expect(c.differences.first?.rules == "pro")
        #expect(c.differences.first?.actions == .null)
        let report = c.report(ruleNames: Self.rules, actionNames: Self.actions)
        #expect(report.contains("access_token https://example.com/plan"))
        #expect(report.contains("actions: (absent)"))
    }
}
