import ArgumentParser
import Foundation
import LoginEngine
import PostgresStore
import Tenant

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Work with the tenant's files.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the tenant in deploy-cli's directory format, as authsim serves it.",
            discussion: """
                The tenant as the daemon would load it: a YAML tenant (tenant.yaml) becomes the
                directory it stands for; with --tenant-changes store (the default with PostgreSQL
                or a YAML tenant) the rules, actions and bindings saved through the Management API
                are included. Organizations, hooks and what authsim reads but does not simulate
                (email templates, …) are written back as they were read. DIR must be new or empty.
                """)
        @OptionGroup var tenantOptions: TenantOptions
        @Argument(help: "The directory to write (new or empty).") var directory: String

        func run() async throws {
            let tenant: Tenant
            do {
                switch tenantOptions.changesTarget {
                case .directory: tenant = try TenantLoader.load(directory: tenantOptions.tenant)
                case .store:
                    let store = try await StoreLocation.open(tenantOptions.storePath)
                    tenant = try TenantLoader.load(directory: tenantOptions.tenant, overlay: try await store.tenantChanges().files)
                }
            } catch { throw CommandFailure(error) }
            for n in tenant.notices { FileHandle.standardError.write(Data("note: \(n)\n".utf8)) }
            let written: [String]
            do { written = try TenantExporter.write(tenant, to: directory) } catch { throw CommandFailure(error.description) }
            print("exported tenant \(tenant.name) (\(tenant.format.rawValue) format) to \(directory): \(written.count) file(s)")
        }
    }
}
