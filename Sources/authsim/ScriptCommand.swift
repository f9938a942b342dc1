import ArgumentParser
import Foundation
import JSONCore
import LoginEngine

/// `authsim try-script`: the Dashboard's "Try" button for custom-database scripts.
struct TryScript: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "try-script",
        abstract: "Run one custom-database script (login, get_user, create, verify, change_password, delete, change_email) and print what it called back with.",
        discussion: """
            Each ARG is parsed as JSON when it is valid JSON (true, 42, {"email": …}), else taken as
            a string. Examples:
              authsim try-script legacy-users login jane@example.com 'Passw0rd!'
              authsim try-script legacy-users create '{"email": "new@example.com", "password": "Passw0rd!"}'
            Nothing else happens: no profile is cached, no log event written. Exit 0 when the
            callback got no error, 1 otherwise.
            """)

    @OptionGroup var tenantOptions: TenantOptions

    @Argument(help: "The connection's name.") var connection: String
    @Argument(help: "The script: login, get_user, create, verify, change_password, delete, change_email.") var script: String
    @Argument(help: "The script's arguments before its callback.") var args: [String] = []
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let pipeline = try await openPipeline(tenantOptions)
        let values = args.map { (try? JSONValue.parse($0)) ?? .string($0) }
        let outcome: RulesRunner.DatabaseScriptOutcome
        do { outcome = try await pipeline.tryConnectionScript(connection: connection, script: script, args: values) } catch { throw CommandFailure(error) }
        if json {
            printJSON(outcome.json.serialized(pretty: true))
        } else {
            var lines: [String] = []
            for c in outcome.trace["console"]?.arrayValue ?? [] { lines.append("console.\(c["level"]?.stringValue ?? "log"): \(c["message"]?.stringValue ?? "")") }
            for w in outcome.trace["warnings"]?.arrayValue ?? [] { lines.append("warning: \(w.stringValue ?? "")") }
            if let e = outcome.error {
                lines.append("callback(\(e["name"]?.stringValue ?? "Error"): \(e["message"]?.stringValue ?? "")\(e["code"]?.stringValue.map { " [\($0)]" } ?? ""))")
            } else {
                lines.append("callback(null\(outcome.result.map { ", " + $0.serialized(pretty: true) } ?? ""))")
            }
            lines.append("(\(outcome.trace["file"]?.stringValue ?? script), \(JSONValue.format(number: ((outcome.trace["durationMs"]?.doubleValue ?? 0) * 100).rounded() / 100)) ms)")
            printJSON(lines.joined(separator: "\n"))
        }
        if outcome.error != nil { throw ExitCode(1) }
    }
}
