import Directory
import Foundation
import JSONCore
import ManagementAPI
import Tenant
import Testing

@testable import LoginEngine

/// With `tenantChanges: .store`, the Management API keeps the rules, actions and bindings it
/// saves in the store, laid over the tenant directory, which it never writes. Two pipelines on
/// one store file stand for two daemons.
@Suite struct TenantChangesInStoreTests {
    func twoDaemons(_ fixture: TenantFixture) async throws -> (directory: String, a: LoginPipeline, b: LoginPipeline) {
        let directory = try fixture.write()
        let storePath = temporaryPath("shared.sqlite")
        let a = try await LoginPipeline.open(
            tenantDirectory: directory, store: try SQLiteUserStore(path: storePath), runtime: Shared.runtime, tenantChanges: .store)
        let b = try await LoginPipeline.open(
            tenantDirectory: directory, store: try SQLiteUserStore(path: storePath), runtime: Shared.runtime, tenantChanges: .store)
        try await a.store.insert(TestUsers.ann())
        return (directory, a, b)
    }

    func directoryFiles(_ directory: String) throws -> [String: String] {
        var out: [String: String] = [:]
        let e = FileManager.default.enumerator(atPath: directory)
        while let rel = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = try String(contentsOfFile: directory + "/" + rel, encoding: .utf8)
            }
        }
        return out
    }

    @Test func organizationsSavedOnOneDaemonAreTheOthersAndTheDirectoryIsNotWritten() async throws {
        let (directory, a, b) = try await twoDaemons(TenantFixture())
        let filesBefore = try directoryFiles(directory)
        let ma = ManagementService(pipeline: a), mb = ManagementService(pipeline: b)
        let database = a.tenant.connections.first { $0.isDatabase }
        let connection = try #require(database).name
        let created = try await ma.saveOrganization(
            ["name": "stark", "display_name": "Stark Industries", "enabled_connections": [["connection_id": .string(connection)]]], existing: nil)
        let id = try #require(created["id"]?.stringValue)
        _ = try await b.reload()
        #expect(try mb.getOrganization(id)["display_name"] == "Stark Industries")
        #expect(b.tenant.organization("stark")?.connections.map(\.name) == [connection])
        // Members are in the shared store: added on one daemon, checked by the other's login.
        try await ma.changeOrganizationMembers(id, ["members": [.string(TestUsers.ann().userId)]], add: true)
        #expect(try await b.member(organization: id, userId: TestUsers.ann().userId) != nil)
        // A rename on the other daemon keeps the id; deleting hides it from both.
        _ = try await mb.saveOrganization(["name": "stark-2"], existing: id)
        _ = try await a.reload()
        #expect(a.tenant.organization(id)?.name == "stark-2")
        try await ma.deleteOrganization(id)
        _ = try await b.reload()
        #expect(b.tenant.organization(id) == nil)
        #expect(try await b.member(organization: id, userId: TestUsers.ann().userId) == nil)
        #expect(try directoryFiles(directory) == filesBefore)
    }

    @Test func rulesSavedOnOneDaemonRunOnTheOtherAndTheDirectoryIsNotWritten() async throws {
        var f = TenantFixture()
        f.rules = [("from-files", "function (user, context, callback) { context.idToken['https://t/files'] = 1; callback(null, user, context); }")]
        let (directory, a, b) = try await twoDaemons(f)
        let filesBefore = try directoryFiles(directory)
        let ma = ManagementService(pipeline: a), mb = ManagementService(pipeline: b)

        let script = "function (user, context, callback) { context.idToken['https://t/api'] = 'from the store'; callback(null, user, context); }"
        let created = try await ma.saveRule(["name": "from-api", "script": .string(script)], existing: nil)
        let id = try #require(created["id"]?.stringValue)
        #expect(try await simulate(a).idClaims["https://t/api"] == "from the store")
        // The other daemon sees it once it reloads (the daemon's hot reloader polls the store's revision).
        #expect(try await simulate(b).idClaims["https://t/api"] == nil)
        #expect(try await b.reload())
        #expect(try await simulate(b).idClaims["https://t/api"] == "from the store")

        // A rule that does not compile is refused with its line; nothing is saved.
        let revision = try await a.store.tenantChangesRevision()
        do {
            _ = try await mb.saveRule(["script": "function (user, context, callback) {\n  callback(null, user, context\n}"], existing: id)
            Issue.record("a rule that does not compile was saved")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.contains("rules/from-api.js:3"), "\(error.message)")
        }
        #expect(try await a.store.tenantChangesRevision() == revision)

        // A change computed on a stale view is computed again on the store's latest revision:
        // `a` has not reloaded, yet the name taken on `b` is seen.
        _ = try await mb.saveRule(["name": "second", "script": .string(script.replacingOccurrences(of: "api", with: "second"))], existing: nil)
        await #expect(throws: ManagementError(409, "A rule with the same name already exists", "rule_conflict")) {
            _ = try await ma.saveRule(["name": "second", "script": .string(script)], existing: nil)
        }
        _ = try await a.reload()
        #expect(a.tenant.rules.map(\.name) == ["from-files", "from-api", "second"])

        // Deleting a rule of the directory hides it in the store; its files stay.
        let filesRule = try #require(a.tenant.rules.first { $0.name == "from-files" })
        try await mb.deleteRule(filesRule.id)
        #expect(try await simulate(b).idClaims["https://t/files"] == nil)
        _ = try await a.reload()
        #expect(try await simulate(a).idClaims["https://t/files"] == nil)
        #expect(a.tenant.rules.map(\.name) == ["from-api", "second"])
        #expect(try directoryFiles(directory) == filesBefore, "the tenant directory is never written")

        // A rule in the store that no longer compiles (written by hand, or by a daemon with other
        // modules) stops every reload; deleting it through the API still works.
        let before = try await a.store.tenantChanges()
        let brokenFiles: [String: String?] = ["rules/broken.js": "function (user, context, callback) {", "rules/broken.json": #"{"name": "broken", "order": 9}"#]
        #expect(try await a.store.saveTenantChanges(brokenFiles, expectedRevision: before.revision) != nil)
        await #expect(throws: (any Error).self) { try await a.reload() }
        let brokenID = try #require(try TenantLoader.load(directory: directory, overlay: try await a.store.tenantChanges().files).rules.first { $0.name == "broken" }?.id)
        try await ma.deleteRule(brokenID)
        #expect(a.tenant.rules.map(\.name) == ["from-api", "second"])

        // A third daemon starting on the store sees the same tenant.
        let c = try await LoginPipeline.open(
            tenantDirectory: directory, store: a.store, runtime: Shared.runtime, tenantChanges: .store)
        #expect(c.tenant.revision == a.tenant.revision)
        #expect(c.tenant.rules.map(\.name) == ["from-api", "second"])
    }

    @Test func actionsAndBindingsLiveInTheStoreToo() async throws {
        var f = TenantFixture()
        // An action of the directory whose definition and code folder have different names.
        f.extraFiles = [
            "actions/foo.json": #"{"name": "Bar", "code": "./actions/bar/code.js", "supported_triggers": [{"id": "post-login", "version": "v3"}]}"#,
            "actions/bar/code.js": "exports.onExecutePostLogin = async (event, api) => {};",
        ]
        let (directory, a, b) = try await twoDaemons(f)
        let filesBefore = try directoryFiles(directory)
        let ma = ManagementService(pipeline: a), mb = ManagementService(pipeline: b)
        let code = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/action', event.user.email); };"
        let created = try await ma.createAction([
            "name": "stamp", "code": .string(code), "supported_triggers": [["id": "post-login", "version": "v3"]],
        ])
        let id = try #require(created["id"]?.stringValue)
        #expect(created["deployed"] == false)
        _ = try await b.reload()
        _ = try await mb.deployAction(id)
        _ = try await mb.updateBindings("post-login", ["bindings": [["ref": ["type": "action_name", "value": "stamp"]]]])
        #expect(try await simulate(b).idClaims["https://t/action"] == "ann@test.local")
        _ = try await a.reload()
        #expect(try await simulate(a).idClaims["https://t/action"] == "ann@test.local")

        // A draft that does not compile is saved (drafts are not run), a deploy of it is refused.
        _ = try await ma.updateAction(id, ["code": "exports.onExecutePostLogin = async (event, api) => {"])
        await #expect(throws: ManagementError.self) { _ = try await ma.deployAction(id) }
        #expect(try await simulate(a).idClaims["https://t/action"] == "ann@test.local", "the deployed code keeps running")

        // The directory's actions/foo.json is taken (by "Bar"); a change to Bar stays in its own file.
        await #expect(throws: ManagementError.self) {
            _ = try await ma.createAction(["name": "foo", "code": "exports.onExecutePostLogin = async () => {};", "supported_triggers": [["id": "post-login", "version": "v3"]]])
        }
        let bar = try #require(a.tenant.actions.first { $0.name == "Bar" })
        _ = try await ma.updateAction(bar.id, ["code": "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/bar', 1); };"])
        let stored = try await a.store.tenantChanges().files
        #expect(stored["actions/foo.json"] != nil && stored["actions/bar.json"] == nil)
        #expect(stored["actions/bar/code.draft.js"] != nil)
        #expect(a.tenant.actions.map(\.name).sorted() == ["Bar", "stamp"])

        try await mb.deleteAction(id, force: true)
        _ = try await a.reload()
        #expect(a.tenant.actions.map(\.name) == ["Bar"])
        #expect(a.tenant.boundActions("post-login").isEmpty)
        #expect(try await simulate(a).idClaims["https://t/action"] == nil)
        #expect(try directoryFiles(directory) == filesBefore)
    }

    @Test func theLoaderTakesOnlyManagedPathsFromTheOverlay() throws {
        var f = TenantFixture()
        f.rules = [("kept", "function (user, context, callback) { callback(null, user, context); }")]
        let directory = try f.write()
        let t = try TenantLoader.load(directory: directory, overlay: [
            "rules/added.js": "function (user, context, callback) { callback(null, user, context); }",
            "tenant.json": #"{"authsim": {"domain": "evil.example"}}"#,
            "rules/../tenant.json": "{}",
            "clients/x.json": #"{"name": "Injected"}"#,
        ])
        #expect(t.rules.map(\.name) == ["kept", "added"])
        #expect(t.settings.domain == "test.authsim.local")
        #expect(!t.clients.contains { $0.name == "Injected" })
        #expect(TenantLoader.isOverlayPath("actions/stamp/code.js"))
        #expect(!TenantLoader.isOverlayPath("rules/a/b.js"))
        #expect(!TenantLoader.isOverlayPath("actions/../../etc/passwd"))
        #expect(!TenantLoader.isOverlayPath("rules/.hidden.js"))
    }
}
