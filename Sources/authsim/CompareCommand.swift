import ArgumentParser
import AuthorTools
import Foundation
import LoginEngine

/// `authsim compare`: the Rules → Actions migration check.
struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a login once with only the given rules and once with only the given actions, and print what differs.",
        discussion: """
            Both runs use the same in-memory copy of the user (nothing is stored) and the same
            script clock. Compared: outcome and error, ID and access token claims (not iat, exp,
            auth_time, jti, sid, updated_at, nonce), scopes, the user's app_metadata and
            user_metadata after the flow, MFA and the redirect URL. Exit code 0 either way;
            with --strict, 1 when anything differs.
            """)

    @OptionGroup var tenantOptions: TenantOptions

    @Option(name: .long, help: "Comma-separated rule names (or ids) for the Rules run.")
    var rules: String

    @Option(name: .long, help: "Comma-separated action names for the Actions run, in order.")
    var actions: String

    @Option(name: .long, help: "The user: an email or a user_id.")
    var user: String?

    @Option(name: .long, help: "A simulation request JSON file (as for simulate).")
    var request: String?

    @OptionGroup var flow: FlowOptions

    @Flag(name: .long, help: "Exit 1 when the runs differ.")
    var strict = false

    func validate() throws {
        if user == nil && request == nil { throw ValidationError("give --user EMAIL|USER_ID or --request FILE") }
    }

    func run() async throws {
        var req = try loadSimulationRequest(path: request, user: user)
        flow.apply(to: &req)
        let ruleNames = Self.names(rules)
        let actionNames = Self.names(actions)
        let pipeline = try await openPipeline(tenantOptions)
        let comparison: MigrationComparison
        do { comparison = try await pipeline.compare(req, rules: ruleNames, actions: actionNames) } catch { throw CommandFailure(error) }
        printJSON(flow.json ? comparison.json.serialized(pretty: true) : comparison.report(ruleNames: ruleNames, actionNames: actionNames))
        if strict && !comparison.differences.isEmpty { throw ExitCode(1) }
    }

    static func names(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
