import Directory
import Foundation
import JSONCore
import ManagementAPI
@testable import Tenant
import Testing

@testable import LoginEngine

/// deploy-cli's two formats as it exports them (the fixtures under Fixtures/deploy-cli are one
/// tenant written in each): loaded unchanged, what authsim does not simulate reported and kept,
/// and written back by the exporter so that loading the export gives the same tenant.
@Suite struct DeployCLIFormatsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/deploy-cli").path

    /// A copy of a fixture tenant (tests may change it).
    func copy(_ name: String) throws -> String {
        let dir = temporaryPath(name)
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/" + name, toPath: dir)
        return dir
    }

    func loginToLegacyDB(_ tenant: Tenant) async throws -> SimulationResult {
        let store = try SQLiteUserStore(path: temporaryPath("store.sqlite"))
        try await LoginPipeline.seed(store: store, tenant: tenant)
        let p = LoginPipeline(tenant: tenant, store: store, runtime: Shared.runtime, keys: try await Shared.keys.value)
        var r = SimulationRequest(user: .stored("old@acme.test"))
        r.connection = "Legacy DB"
        r.client = "acmeweb"
        return try await p.login(username: "old@acme.test", password: "legacy-pass", request: r)
    }

    @Test func theDirectoryFormatLoadsUnchangedAndRunsALogin() async throws {
        let tenant = try TenantLoader.load(directory: try copy("directory"), environment: [:])
        #expect(tenant.format == .directory)
        // Rules as deploy-cli writes them: `script` in the .json, keywords replaced in configuration.
        #expect(tenant.rules.map(\.name) == ["Add plan claim", "Disabled rule"])
        #expect(tenant.rules.map(\.enabled) == [true, false])
        #expect(tenant.configuration["PLAN"] == "gold")
        // @@KEY@@ unquoted gives the JSON array, ##KEY## the text.
        let web = try #require(tenant.client(named: "acmeweb"))
        #expect(web.callbacks == ["http://localhost:3000/callback"])
        #expect(web.raw["web_origins"]?.arrayValue?.count == 2)
        #expect(tenant.tenantDocument["support_email"]?.stringValue == "support@acme.test")
        // Grants from grants/, the real tenant's Management API audience mapped to authsim's.
        #expect(tenant.clientGrant(clientId: "acmem2m", audience: tenant.settings.managementAudience)?.scope == ["read:users", "update:users"])
        #expect(tenant.clientGrant(clientId: "acmem2m", audience: "https://api.acme.test")?.scope == ["read:orders"])
        let legacy = try #require(tenant.connection(named: "Legacy DB"))
        #expect(legacy.usesCustomScripts)
        #expect(Set(legacy.scripts.keys) == ["login", "get_user"])
        // Action code paths in the forms deploy-cli's versions wrote them.
        let files = Dictionary(uniqueKeysWithValues: tenant.actions.map { ($0.name, $0.file) })
        #expect(files["Tag plan"] == "actions/Tag plan/code.js")
        #expect(files["From cwd"] == "actions/From cwd/code.js")
        #expect(files["From windows"] == "actions/From windows/code.js")
        #expect(files["Absolute"] == "actions/Absolute/code.js")
        #expect(tenant.triggerBindings["post-login"]?.count == 4)
        #expect(tenant.settings.attackProtection.bruteForce.maxAttempts == 7)

        // Every resource authsim does not simulate is reported once, never fatal, and kept.
        let reported = tenant.notices.map(\.file)
        for place in ["emails/provider.json", "emails/", "pages/", "guardian/factors/", "guardian/policies.json",
                      "guardian/phoneFactorMessageTypes.json", "guardian/phoneFactorSelectedProvider.json", "branding/", "prompts/", "log-streams/",
                      "custom-domains/", "themes/", "migrations.json", "attack-protection/breached-password-detection.json"] {
            #expect(reported.filter { $0 == place }.count == 1, "\(place): \(reported)")
        }
        #expect(tenant.notices.allSatisfy { $0.message.contains("not simulated") }, "\(tenant.notices)")
        // Organizations are simulated: loaded (deploy-cli names their connections), never reported.
        #expect(!reported.contains("organizations/"))
        #expect(tenant.organization("acme-partners")?.displayName == "Acme Partners")
        #expect(tenant.organization("acme-partners")?.connections.map(\.name) == ["Legacy DB"])
        #expect(tenant.notices.first { $0.file == "guardian/factors/" }?.message.hasPrefix("2 guardian factors") == true)
        #expect(tenant.unsimulatedFiles["hooks/client-credentials-exchange.js"]?.contains("access_token") == true)
        // Hooks run (they are kept for export as read, and never reported as not simulated).
        #expect(tenant.hooks.map(\.name) == ["client-credentials-exchange"])
        #expect(tenant.activeHook("credentials-exchange")?.file == "hooks/client-credentials-exchange.js")
        #expect(tenant.unsimulatedFiles["emails/provider.json"]?.contains("support@acme.test") == true, "keywords replaced")

        let r = try await loginToLegacyDB(tenant)
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
        #expect(r.idClaims["https://acme.test/plan"] == "gold")
        #expect(r.idClaims["https://acme.test/action-plan"] == "gold")
        for claim in ["cwd", "windows", "absolute"] { #expect(r.idClaims["https://acme.test/\(claim)"] == true, "\(claim)") }
    }

    @Test func theYAMLFormatLoadsAsTheSameTenant() async throws {
        let yaml = try TenantLoader.load(directory: try copy("yaml"), environment: [:])
        let directory = try TenantLoader.load(directory: try copy("directory"), environment: [:])
        #expect(yaml.format == .yaml)
        #expect(yaml.settings == directory.settings)
        #expect(yaml.tenantDocument == directory.tenantDocument)
        #expect(yaml.rules == directory.rules)
        #expect(yaml.configuration == directory.configuration)
        #expect(yaml.clients == directory.clients)
        #expect(yaml.clientGrants == directory.clientGrants)
        #expect(yaml.resourceServers == directory.resourceServers)
        #expect(yaml.roles == directory.roles)
        #expect(yaml.connections.map(\.name) == directory.connections.map(\.name))
        #expect(yaml.connection(named: "Legacy DB")?.scripts.mapValues(\.source) == directory.connection(named: "Legacy DB")?.scripts.mapValues(\.source))
        #expect(yaml.connection(named: "Legacy DB")?.scripts["login"]?.file == "database-connections/Legacy DB/login.js")
        #expect(yaml.action(named: "Tag plan") == directory.action(named: "Tag plan"))
        #expect(yaml.triggerBindings["post-login"] == ["Tag plan"])
        // The same not-simulated resources, as the directory format keeps them.
        #expect(yaml.hooks == directory.hooks)
        #expect(yaml.organizations == directory.organizations)
        #expect(!yaml.organizations.isEmpty)
        for place in ["emails/provider.json", "emails/", "pages/", "guardian/factors/", "branding/", "log-streams/",
                      "custom-domains/", "themes/", "attack-protection/breached-password-detection.json"] {
            #expect(yaml.notices.filter { $0.file == place }.count == 1, "\(place): \(yaml.notices)")
        }
        #expect(yaml.unsimulatedFiles["hooks/client-credentials-exchange.js"] == directory.unsimulatedFiles["hooks/client-credentials-exchange.js"])
        #expect(yaml.unsimulatedFiles["pages/login.html"] == directory.unsimulatedFiles["pages/login.html"])
        // Forms and flows: the body file the YAML names merged into the item, as deploy-cli does;
        // branding's templates from branding_templates/.
        for rel in ["forms/Progressive profile.json", "flows/Tag user.json", "branding/templates/universal_login.json"] {
            let y = try JSONValue.parse(try #require(yaml.unsimulatedFiles[rel], "\(rel)"))
            let d = try JSONValue.parse(try #require(directory.unsimulatedFiles[rel], "\(rel)"))
            #expect(y == d, "\(rel)")
        }
        #expect(yaml.unsimulatedFiles["branding/templates/universal_login.html"] == directory.unsimulatedFiles["branding/templates/universal_login.html"])

        let r = try await loginToLegacyDB(yaml)
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
        #expect(r.idClaims["https://acme.test/plan"] == "gold")
        #expect(r.idClaims["https://acme.test/action-plan"] == "gold")
    }

    /// Load → export → load gives the same tenant, from either format.
    @Test(arguments: ["directory", "yaml"]) func anExportLoadsAsTheSameTenant(_ format: String) throws {
        let before = try TenantLoader.load(directory: try copy(format), environment: [:])
        let out = temporaryPath("export")
        try TenantExporter.write(before, to: out)
        #expect(!FileManager.default.fileExists(atPath: out + "/tenant.yaml"))
        let after = try TenantLoader.load(directory: out, environment: [:])
        #expect(after.format == .directory)
        #expect(after.settings == before.settings)
        #expect(after.tenantDocument == before.tenantDocument)
        #expect(after.rules == before.rules)
        #expect(after.configuration == before.configuration)
        #expect(after.clients == before.clients)
        #expect(after.connections == before.connections)
        #expect(after.resourceServers == before.resourceServers)
        #expect(after.roles == before.roles)
        #expect(after.clientGrants == before.clientGrants)
        #expect(after.actions == before.actions)
        #expect(after.triggerBindings == before.triggerBindings)
        #expect(after.geoip == before.geoip)
        #expect(after.unsimulatedFiles == before.unsimulatedFiles)
        #expect(after.seedUserFiles.map(\.connection) == before.seedUserFiles.map(\.connection))
        #expect(after.notices.map(\.file).sorted() == before.notices.map(\.file).sorted())
        // The export is what deploy-cli writes: rules name their script, actions their code.
        let rule = try JSONValue.parse(String(contentsOfFile: out + "/rules/Add plan claim.json", encoding: .utf8))
        #expect(rule["script"] == "./Add plan claim.js")
        let action = try JSONValue.parse(String(contentsOfFile: out + "/actions/Tag plan.json", encoding: .utf8))
        #expect(action["supported_triggers"] == [["id": "post-login", "version": "v3"]])
        // Into a directory that is not empty: refused, nothing written.
        #expect(throws: TenantExporter.Failure.self) { try TenantExporter.write(before, to: out) }
    }

    @Test func aYAMLProblemNamesTheEntryOfTheYAML() throws {
        let dir = try copy("yaml")
        try FileManager.default.removeItem(atPath: dir + "/rules/Add plan claim.js")
        let missing = Result { () throws(TenantError) in try TenantLoader.load(directory: dir, environment: [:]) }
        guard case .failure(let e) = missing else { Issue.record("a rule whose script is missing loaded"); return }
        #expect(e.file == "tenant.yaml: rules[0] (Add plan claim)", "\(e)")
        #expect(e.message.contains("./rules/Add plan claim.js"))

        // A file named outside the tenant's folder is refused.
        let yaml = try String(contentsOfFile: dir + "/tenant.yaml", encoding: .utf8)
        try yaml.replacingOccurrences(of: "./rules/Add plan claim.js", with: "../../etc/passwd")
            .write(toFile: dir + "/tenant.yaml", atomically: true, encoding: .utf8)
        let outside = Result { () throws(TenantError) in try TenantLoader.load(directory: dir, environment: [:]) }
        guard case .failure(let o) = outside else { Issue.record("a file outside the tenant was read"); return }
        #expect(o.message.contains("outside the tenant directory"), "\(o)")

        // A file named by a resource authsim does not simulate is reported when missing, not fatal.
        try FileManager.default.removeItem(atPath: dir + "/hooks/client-credentials-exchange.js")
        try yaml.write(toFile: dir + "/tenant.yaml", atomically: true, encoding: .utf8)
        try "function (user, context, callback) { callback(null, user, context); }".write(toFile: dir + "/rules/Add plan claim.js", atomically: true, encoding: .utf8)
        let withoutHook = try TenantLoader.load(directory: dir, environment: [:])
        #expect(withoutHook.notices.contains { $0.file.contains("hooks[0] script") && $0.message.contains("not simulated") }, "\(withoutHook.notices)")
        #expect(withoutHook.unsimulatedFiles["hooks/client-credentials-exchange.json"] != nil)

        // A syntax error is located; an unknown key is reported, not fatal.
        try "rules: [\n  - name: x\n".write(toFile: dir + "/tenant.yaml", atomically: true, encoding: .utf8)
        #expect(throws: TenantError.self) { try TenantLoader.load(directory: dir, environment: [:]) }
        try "tenant:\n  friendly_name: x\nsomethingNew:\n  a: 1\n".write(toFile: dir + "/tenant.yaml", atomically: true, encoding: .utf8)
        let t = try TenantLoader.load(directory: dir, environment: [:])
        #expect(t.notices.contains { $0.message.contains("'somethingNew'") })

        // tenant.json beside tenant.yaml: which one is meant is unclear, so neither is guessed.
        try "{}".write(toFile: dir + "/tenant.json", atomically: true, encoding: .utf8)
        #expect(throws: TenantError.self) { try TenantLoader.load(directory: dir, environment: [:]) }
    }

    /// YAML that would expand without end (aliases of aliases) or nest deeper than the parser's
    /// recursion takes is refused with a located error; the process goes on.
    @Test func yamlThatExpandsOrNestsWithoutBoundIsRefused() throws {
        var laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].enumerated() {
            let prev = i == 0 ? "a" : ["b", "c", "d", "e", "f", "g", "h", "i"][i - 1]
            laughs += "\(name): &\(name) [" + Array(repeating: "*" + prev, count: 9).joined(separator: ", ") + "]\n"
        }
        for (text, expected) in [(laughs, "values"), (String(repeating: "[", count: 100_000), "nested"), ("tenant: {friendly_name: 1e400}", "")] {
            let dir = temporaryPath("yaml-bounds")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try text.write(toFile: dir + "/tenant.yaml", atomically: true, encoding: .utf8)
            let r = Result { () throws(TenantError) in try TenantLoader.load(directory: dir, environment: [:]) }
            if expected.isEmpty {
                // An overflowing number stays text (the tenant's JSON stays JSON).
                #expect((try? r.get())?.tenantDocument["friendly_name"] == "1e400")
                continue
            }
            guard case .failure(let e) = r else { Issue.record("accepted: \(expected)"); continue }
            #expect(e.file == "tenant.yaml")
            #expect(e.message.contains(expected), "\(e)")
        }
    }

    @Test func aClientMayNotTakeTheDaemonsOwnIDs() throws {
        for id in Client.reservedIDs.sorted() {
            let dir = try copy("directory")
            try #"{"name": "Sneaky", "client_id": "\#(id)"}"#.write(toFile: dir + "/clients/sneaky.json", atomically: true, encoding: .utf8)
            let r = Result { () throws(TenantError) in try TenantLoader.load(directory: dir, environment: [:]) }
            guard case .failure(let e) = r else { Issue.record("client_id \(id) was taken"); continue }
            #expect(e.file == "clients/sneaky.json")
        }
    }

    @Test func aBrokenResourceAuthsimDoesNotSimulateIsReportedNotFatal() throws {
        let dir = try copy("directory")
        try "{ not json".write(toFile: dir + "/organizations/broken.json", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir + "/emails/verify_email.html")
        let t = try TenantLoader.load(directory: dir, environment: [:])
        #expect(t.notices.contains { $0.file == "organizations/broken.json" && $0.message.contains("invalid JSON") })
        #expect(t.notices.contains { $0.file == "emails/verify_email.json" && $0.message.contains("emails/verify_email.html") })
        #expect(t.organizations.map(\.name) == ["acme-partners"], "the readable organization still loads")
        #expect(t.unsimulatedFiles["organizations/broken.json"] == "{ not json", "kept as it is")
    }

    @Test func actionCodePathsOfEveryDeployCLIVersion() throws {
        let have: Set<String> = ["actions/A b/code.js", "actions/A b/current_version.js", "actions/c/code.js", "actions/x/y.js"]
        func resolve(_ code: String?, name: String = "A b") throws -> String {
            try TenantLoader.actionCode(code, name: name, stem: name, definition: "actions/\(name).json", exists: { have.contains($0) })
        }
        #expect(try resolve("./actions/A b/code.js") == "actions/A b/code.js")
        #expect(try resolve("actions/A b/code.js") == "actions/A b/code.js")
        #expect(try resolve("code.js") == "actions/A b/code.js", "7.x: relative to actions/<name>/")
        #expect(try resolve("local/tenant/actions/A b/code.js") == "actions/A b/code.js", "up to 8.4.1: from where deploy-cli ran")
        #expect(try resolve("/srv/exports/acme/actions/A b/code.js") == "actions/A b/code.js")
        #expect(try resolve(#".\actions\A b\code.js"#) == "actions/A b/code.js")
        #expect(try resolve(#"C:\Users\ci\acme\actions\A b\code.js"#) == "actions/A b/code.js")
        #expect(try resolve("x/y.js", name: "c") == "actions/x/y.js")
        #expect(try resolve(nil) == "actions/A b/code.js")
        #expect(try resolve(nil, name: "c") == "actions/c/code.js")
        // A path outside the tenant is never read: the action's own folder, else an error.
        #expect(try resolve("../../outside.js") == "actions/A b/code.js")
        #expect(throws: TenantError.self) { try resolve("../../outside.js", name: "none") }
        // `a0deploy export -o ../acme` (up to 8.4.1): the part from the last actions/ on.
        #expect(try resolve("../acme/actions/A b/code.js") == "actions/A b/code.js")
        #expect(throws: TenantError.self) { try resolve("./actions/missing/code.js", name: "missing") }
    }

    /// authsim does not rewrite a YAML tenant: the Management API's changes go to the store
    /// (the default for a YAML tenant), and the export writes them out with the rest.
    @Test func aYAMLTenantKeepsManagementChangesInTheStoreAndExportsThem() async throws {
        let dir = try copy("yaml")
        let yamlBefore = try String(contentsOfFile: dir + "/tenant.yaml", encoding: .utf8)
        let script = "function (user, context, callback) { context.idToken['https://acme.test/api-rule'] = 'saved'; callback(null, user, context); }"

        let inDirectory = try await LoginPipeline.open(
            tenantDirectory: dir, store: try SQLiteUserStore(path: temporaryPath("store.sqlite")), runtime: Shared.runtime, tenantChanges: .directory)
        do {
            _ = try await ManagementService(pipeline: inDirectory).saveRule(["name": "api-rule", "script": .string(script)], existing: nil)
            Issue.record("a rule was written into a YAML tenant's folder")
        } catch {
            #expect(error.status == 409)
            #expect(error.message.contains("--tenant-changes store"), "\(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/rules/api-rule.js"))

        let p = try await LoginPipeline.open(
            tenantDirectory: dir, store: try SQLiteUserStore(path: temporaryPath("store.sqlite")), runtime: Shared.runtime, tenantChanges: .store)
        _ = try await ManagementService(pipeline: p).saveRule(["name": "api-rule", "script": .string(script)], existing: nil)
        #expect(p.tenant.rules.map(\.name).contains("api-rule"))
        #expect(try String(contentsOfFile: dir + "/tenant.yaml", encoding: .utf8) == yamlBefore, "the YAML is not written")
        var r = SimulationRequest(user: .stored("old@acme.test"))
        r.connection = "Legacy DB"
        let result = try await p.login(username: "old@acme.test", password: "legacy-pass", request: r)
        #expect(result.idClaims["https://acme.test/api-rule"] == "saved")
        #expect(result.idClaims["https://acme.test/plan"] == "gold", "the YAML's rules still run")

        let out = temporaryPath("export")
        try TenantExporter.write(p.tenant, to: out)
        let exported = try TenantLoader.load(directory: out, environment: [:])
        #expect(exported.rules.map(\.name) == p.tenant.rules.map(\.name))
        #expect(exported.rules.first { $0.name == "api-rule" }?.source == script)
    }
}
