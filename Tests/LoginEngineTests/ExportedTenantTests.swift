import Directory
import Foundation
import JSONCore
import Tenant
import Testing

@testable import LoginEngine

/// Tenants as Auth0's deploy-cli exports them from a real tenant: grants in `grants/`, the real
/// tenant's Management API audience, the Management API's spelling of database customization.
@Suite struct ExportedTenantTests {
    @Test func deployCliGrantsAndTheRealTenantsManagementAudienceAreRead() async throws {
        var f = TenantFixture()
        f.extraFiles["clients/m2m.json"] = #"{"name": "Exporter M2M", "client_id": "m2mclient", "client_secret": "m2m-secret", "app_type": "non_interactive"}"#
        f.extraFiles["grants/Exporter M2M-Auth0 Management API.json"] =
            #"{"client_id": "Exporter M2M", "audience": "https://acme-prod.eu.auth0.com/api/v2/", "scope": ["read:users", "update:users"]}"#
        f.extraFiles["grants/Exporter M2M-Test API.json"] = #"{"client_id": "Exporter M2M", "audience": "https://api.test", "scope": ["read:things"]}"#
        let p = try await makePipeline(f)
        let tenant = p.tenant
        #expect(tenant.clientGrants.count == 2)
        // The exported grant names the real tenant's API: it is authsim's Management API here,
        // under both of its audiences.
        for audience in tenant.managementAudiences {
            let grant = try #require(tenant.clientGrant(clientId: "m2mclient", audience: audience), "\(audience)")
            #expect(grant.scope == ["read:users", "update:users"])
        }
        #expect(tenant.clientGrant(clientId: "m2mclient", audience: "https://api.test")?.scope == ["read:things"])
        // Only a real tenant's Management API audience is mapped, not any API on auth0.com.
        for other in ["https://acme.auth0.com/api/v3/", "http://acme.auth0.com/api/v2/", "https://auth0.com/api/v2/", "https://acme.auth0.com.evil.example/api/v2/",
                      "https://acme.auth0.com:8443/api/v2/", "https://.auth0.com/api/v2/", "https://api.example.com/"] {
            #expect(!Tenant.isExportedManagementAudience(other), "\(other)")
        }
        #expect(Tenant.isExportedManagementAudience("https://acme.auth0.com/api/v2/"))
        #expect(Tenant.isExportedManagementAudience("https://ACME.us.auth0.com/api/v2"))
    }

    @Test func theManagementAPIsSpellingOfDatabaseCustomizationRunsTheScripts() async throws {
        var f = TenantFixture()
        f.extraFiles["database-connections/legacy/database.json"] = #"{"name": "legacy", "strategy": "auth0", "options": {"enabledDatabaseCustomization": true}}"#
        f.extraFiles["database-connections/legacy/login.js"] =
            "function login(email, password, callback) { if (password !== 'legacy-pw') return callback(new WrongUsernameOrPasswordError(email)); callback(null, { user_id: 'L1', email: email }); }"
        let p = try await makePipeline(f)
        #expect(p.tenant.connection(named: "legacy")?.usesCustomScripts == true)
        func login(_ password: String) async throws -> SimulationResult {
            try await p.login(username: "old@test.local", password: password, request: {
                var r = SimulationRequest(user: .stored("old@test.local"))
                r.connection = "legacy"
                return r
            }())
        }
        let ok = try await login("legacy-pw")
        #expect(ok.outcome == .allowed, "\(ok.error?.description ?? "")")
        #expect(ok.user["user_id"] == "auth0|L1")
        #expect(ok.trace.first?["kind"] == "database", "the connection's login script ran")
        let wrong = try? await login("wrong")
        #expect(wrong?.outcome != .allowed)

        // Turned on without a login script, the tenant is refused (either spelling).
        var broken = TenantFixture()
        broken.extraFiles["database-connections/legacy/database.json"] = #"{"name": "legacy", "options": {"enabledDatabaseCustomization": true}}"#
        #expect(throws: TenantError.self) { _ = try TenantLoader.load(directory: try broken.write()) }
    }

    @Test func aBindingToAnActionTheExportLacksIsSkippedAndReported() async throws {
        var f = TenantFixture()
        f.extraFiles["actions/tag.json"] = #"{"name": "tag", "code": "./actions/tag/code.js", "supported_triggers": [{"id": "post-login", "version": "v3"}]}"#
        f.extraFiles["actions/tag/code.js"] = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://t/tag', 'on'); };"
        f.extraFiles["triggers/triggers.json"] =
            #"{"post-login": [{"action_name": "not-exported", "display_name": "not-exported"}, {"action_name": "tag", "display_name": "tag"}]}"#
        let p = try await makePipeline(f)
        #expect(p.tenant.triggerBindings["post-login"] == ["tag"])
        #expect(p.tenant.notices.count == 1)
        #expect(p.tenant.notices.first?.file == "triggers/triggers.json")
        #expect(p.tenant.notices.first?.message.contains("'not-exported'") == true)
        // The rest of the tenant runs.
        let r = try await simulate(p)
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
        #expect(r.idClaims["https://t/tag"] == "on")
    }

    /// deploy-cli's keyword replacement: `@@KEY@@` as JSON, `##KEY##` as text, from the tenant's
    /// config.json with the environment laid over it; in JSON files and scripts alike.
    @Test func deployCliKeywordsAreReplaced() async throws {
        var f = TenantFixture()
        f.extraFiles["config.json"] =
            #"{"AUTH0_DOMAIN": "acme.eu.auth0.com", "AUTH0_KEYWORD_REPLACE_MAPPINGS": {"CALLBACKS": ["http://a.test/cb", "http://b.test/cb"], "APP_NAME": "Mapped App", "GREETING": "hello from config", "ENV_ONLY": "from config"}}"#
        f.extraFiles["clients/mapped.json"] =
            ###"{"name": "##APP_NAME##", "client_id": "mappedclient", "callbacks": @@CALLBACKS@@, "allowed_logout_urls": "@@CALLBACKS@@", "client_metadata": {"note": "##ENV_ONLY##", "list": "##CALLBACKS##"}}"###
        f.rules = [("greet", "function (user, context, callback) { context.idToken['https://t/greeting'] = '##GREETING##'; callback(null, user, context); }")]
        let dir = try f.write()
        let tenant = try TenantLoader.load(directory: dir, environment: ["AUTH0_KEYWORD_REPLACE_MAPPINGS": #"{"ENV_ONLY": "from the environment"}"#])
        let client = try #require(tenant.client(named: "mappedclient"))
        #expect(client.name == "Mapped App")
        #expect(client.callbacks == ["http://a.test/cb", "http://b.test/cb"])
        #expect(client.clientMetadata["note"] == "from the environment")
        #expect(client.allowedLogoutURLs == ["http://a.test/cb", "http://b.test/cb"], "the quoted form takes the JSON value too")
        #expect(client.clientMetadata["list"] == "http://a.test/cb,http://b.test/cb", "##KEY## of an array: its items joined")
        let p = try await makePipeline(directory: dir, users: [TestUsers.ann()])
        let r = try await simulate(p)
        #expect(r.idClaims["https://t/greeting"] == "hello from config", "keywords are replaced in scripts too")

        // A keyword without a mapping is named in the error.
        var unmapped = TenantFixture()
        unmapped.extraFiles["clients/mapped.json"] = #"{"name": "x", "client_id": "c", "callbacks": @@MISSING_CALLBACKS@@}"#
        #expect {
            _ = try TenantLoader.load(directory: try unmapped.write(), environment: [:])
        } throws: { error in
            (error as? TenantError)?.message.contains("@@MISSING_CALLBACKS@@") == true
        }
        #expect(throws: TenantError.self) { _ = try TenantLoader.load(directory: dir, environment: ["AUTH0_KEYWORD_REPLACE_MAPPINGS": "[1]"]) }
    }
}
