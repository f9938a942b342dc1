import ArgumentParser
import Foundation
import LoginEngine
import PostgresStore
import Tenant

@main
struct Authsim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authsim",
        abstract: "A local Auth0-compatible rules engine: run real Auth0 rules against a simulated tenant.",
        discussion: """
            The tenant is an Auth0 deploy-cli directory (rules/, rules-configs/, clients/, …); the
            current directory by default. Users, signing keys and other state live in a SQLite file
            (./.authsim/authsim.sqlite unless --store is given).

            Exit codes: 0 the command ran (a denied login included), 1 it could not run (bad tenant,
            script syntax error, unknown user), 2 usage error.
            """,
        subcommands: [Serve.self, Simulate.self, Login.self, Compare.self, TestScripts.self, TryScript.self, Token.self, Users.self, Keys.self, TenantCommand.self, Bench.self]
    )

    /// The command line, parsed. `parseAsRoot` builds the parser of every subcommand (a few
    /// milliseconds of a cold `authsim simulate`): a command line that starts with a
    /// subcommand's name is parsed by that subcommand alone, and only what it does not accept
    /// (help, a usage error) goes through the whole tree, whose messages are the ones printed.
    static func parseCommand() throws -> ParsableCommand {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let helpWords: Set<String> = ["-h", "--help", "-help", "help", "--version", "--generate-completion-script", "--experimental-dump-help"]
        if let name = arguments.first, !arguments.contains(where: helpWords.contains),
            let subcommand = configuration.subcommands.first(where: { $0._commandName == name }),
            let command = try? subcommand.parseAsRoot(Array(arguments.dropFirst()))
        {
            return command
        }
        return try parseAsRoot()
    }

    /// ArgumentParser exits 64 on usage errors; authsim promises 2.
    static func main() async {
        do {
            var command = try parseCommand()
            // The daemon logs requests and logins; one-shot commands only warnings.
            bootstrapLogging(default: command is Serve ? .info : .warning)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("error: \(failure.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// A command that could not do its work (exit status 1).
struct CommandFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
    init(_ error: any Error) { self.message = String(describing: error) }
}

struct TenantOptions: ParsableArguments {
    @Option(name: .long, help: "The tenant directory (Auth0 deploy-cli layout: tenant.json and resource folders, or tenant.yaml and the files it names).")
    var tenant: String = "."

    @Option(name: .long, help: "The store: a SQLite file (default: $AUTHSIM_DATA_DIR/authsim.sqlite, or ./.authsim/authsim.sqlite) or a postgres://user:password@host:port/database URL.")
    var store: String?

    @Option(name: .customLong("modules"), help: "A node_modules-style folder that scripts may require packages from (repeatable; searched after the tenant's own node_modules/).")
    var modules: [String] = []

    @Option(
        name: .long,
        help: "Where the Management API keeps the rules, actions and trigger bindings it saves: directory (files of the tenant directory) or store (every daemon on the store shares them). Default: store with PostgreSQL or a YAML tenant, directory otherwise.")
    var tenantChanges: TenantChangeTarget?

    var storePath: String { store ?? Self.defaultStorePath }

    /// `--tenant-changes`, else the store when it is a shared PostgreSQL one or the tenant is
    /// deploy-cli YAML (which authsim does not rewrite), else the directory.
    var changesTarget: TenantChangeTarget {
        tenantChanges ?? (StoreLocation.isPostgres(storePath) || TenantLoader.isYAML(directory: tenant) ? .store : .directory)
    }

    /// Where local files go (the daemon's management-token): beside a SQLite store, else the data directory.
    var dataDirectory: String {
        if let store, !StoreLocation.isPostgres(store) { return (store as NSString).deletingLastPathComponent }
        return Self.defaultDataDirectory
    }

    /// `$AUTHSIM_DATA_DIR`, or `./.authsim`.
    static var defaultDataDirectory: String { ProcessInfo.processInfo.environment["AUTHSIM_DATA_DIR"] ?? ".authsim" }

    /// `$AUTHSIM_DATA_DIR/authsim.sqlite`, or `./.authsim/authsim.sqlite`.
    static var defaultStorePath: String { (defaultDataDirectory as NSString).appendingPathComponent("authsim.sqlite") }
}

func printJSON(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

import Logging

/// CLI commands log warnings and errors only, unless AUTHSIM_LOG_LEVEL says otherwise.
func bootstrapLogging(default level: Logger.Level) {
    let chosen = ProcessInfo.processInfo.environment["AUTHSIM_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
    LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = chosen
        return h
    }
}

extension TenantChangeTarget: ExpressibleByArgument {}
