import ArgumentParser
import Directory
import Foundation
import JSONCore
import LoginEngine
import PostgresStore
import Tenant
import Tokens

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users in the store (Auth0 bulk-import JSON format).", subcommands: [Import.self, Export.self, List.self])

    static func openStore(_ options: TenantOptions) async throws -> any DataStore {
        do {
            let store = try await StoreLocation.open(options.storePath)
            if FileManager.default.fileExists(atPath: options.tenant) {
                try await LoginPipeline.seed(store: store, tenant: try TenantLoader.load(directory: options.tenant))
            }
            return store
        } catch { throw CommandFailure(error) }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import users from an Auth0 bulk-import JSON file.")
        @OptionGroup var tenantOptions: TenantOptions
        @Argument(help: "The JSON file (an array of users).") var file: String
        @Option(name: .long, help: "The database connection the users belong to.") var connection: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("cannot read \(file)") }
            let doc: JSONValue
            do { doc = try JSONValue.parse(String(decoding: data, as: UTF8.self)) } catch { throw CommandFailure("\(file): invalid JSON: \(error)") }
            let store = try await Users.openStore(tenantOptions)
            let report = await store.importUsers(doc, connection: connection)
            print("imported \(report.imported.count) user(s) into \(connection)")
            for p in report.problems { print("  skipped \(p)") }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export all users as an Auth0 bulk-import JSON array.")
        @OptionGroup var tenantOptions: TenantOptions
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            let store = try await Users.openStore(tenantOptions)
            var all: [UserProfile] = []
            while true {
                let page = try await store.list(offset: all.count, limit: 500)
                all += page
                if page.count < 500 { break }
            }
            let text = BulkImport.export(all).serialized(pretty: true)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data((text + "\n").utf8)) else { throw CommandFailure("cannot write \(output)") }
                print("exported \(all.count) user(s) to \(output)")
            } else {
                printJSON(text)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var tenantOptions: TenantOptions
        @Option(name: .long, help: "Skip this many users.") var offset = 0
        @Option(name: .long, help: "At most this many users.") var limit = 50
        @Flag(name: .long, help: "Print full profiles as JSON.") var json = false

        func run() async throws {
            let store = try await Users.openStore(tenantOptions)
            let users = try await store.list(offset: offset, limit: limit)
            if json {
                printJSON(JSONValue.array(users.map(\.json)).serialized(pretty: true))
                return
            }
            let total = try await store.count()
            for u in users {
                let flags = [u.emailVerified ? "verified" : "unverified", u.blocked ? "blocked" : nil].compactMap { $0 }.joined(separator: ",")
                print("\(u.userId.padding(toLength: 32, withPad: " ", startingAt: 0)) \((u.email ?? u.username ?? "-").padding(toLength: 28, withPad: " ", startingAt: 0)) \(u.connection)  logins=\(u.loginsCount) \(flags)")
            }
            print("\(users.count) of \(total) user(s)")
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Signing keys.", subcommands: [Rotate.self, Show.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new signing key; the current one stays in the JWKS as previous.")
        @OptionGroup var tenantOptions: TenantOptions
        func run() async throws {
            do {
                let keys = try await SigningKeys.rotate(in: try await StoreLocation.open(tenantOptions.storePath))
                print("current key: \(keys.current.kid)")
                if let p = keys.previous { print("previous key: \(p.kid)") }
            } catch { throw CommandFailure(error) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the JWKS (public keys).")
        @OptionGroup var tenantOptions: TenantOptions
        func run() async throws {
            do {
                printJSON(try await SigningKeys.load(from: try await StoreLocation.open(tenantOptions.storePath)).jwks.serialized(pretty: true))
            } catch { throw CommandFailure(error) }
        }
    }
}
