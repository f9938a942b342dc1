import Foundation
import JSONCore
import Testing

@testable import LoginEngine

/// samlp/wsfed logins: `context.samlConfiguration` with Auth0's defaults and the client's addon
/// settings, `api.samlResponse`, and the response they shape as the trace's last step.
@Suite struct SAMLTests {
    func pipeline() async throws -> LoginPipeline {
        var f = TenantFixture()
        f.extraFiles["clients/test.json"] = #"""
            {"name": "Test App", "client_id": "testclient", "client_secret": "s3cret", "callbacks": ["https://sp.example/acs"],
             "addons": {"samlp": {"audience": "urn:sp.example", "mappings": {"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"}}}}
            """#
        f.rules = [("saml", """
            function (user, context, callback) {
              if (context.samlConfiguration) {
                context.samlConfiguration.mappings['app_metadata.plan'] = 'http://schemas.acme.example/plan';
                context.samlConfiguration.nameIdentifierProbes = ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'];
                context.samlConfiguration.passthroughClaimsWithNoMapping = false;
              }
              callback(null, user, context);
            }
            """)]
        f.add(
            actions: [ActionSource(name: "shape", code: """
                exports.onExecutePostLogin = async (event, api) => {
                  api.samlResponse.setAttribute('http://schemas.acme.example/role', ['admin', 'editor']);
                  api.samlResponse.setLifetimeInSeconds(600);
                  api.samlResponse.setSignResponse(true);
                };
                """)],
            bindings: ["post-login": ["shape"]])
        var ann = TestUsers.ann()
        ann.appMetadata = ["plan": "gold"]
        return try await makePipeline(f, users: [ann])
    }

    @Test func theScriptsShapeTheResponseOfASAMLLogin() async throws {
        let p = try await pipeline()
        let r = try await simulate(p) { $0.protocolName = "samlp" }
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
        let saml = r.json["saml"] ?? .null
        // The addon's audience; the callback as recipient; the action's lifetime and signing.
        #expect(saml["audience"] == "urn:sp.example")
        #expect(saml["recipient"] == "https://sp.example/acs")
        #expect(saml["lifetimeInSeconds"] == 600)
        #expect(saml["signResponse"] == true)
        #expect(saml["nameIdentifier"] == "ann@test.local")
        let attributes = try #require(saml["attributes"]?.objectValue)
        #expect(attributes["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"] == "ann@test.local")
        #expect(attributes["http://schemas.acme.example/plan"] == "gold", "a mapping by path")
        #expect(attributes["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"] == "ann@test.local", "createUpnClaim")
        #expect(attributes["http://schemas.acme.example/role"] == ["admin", "editor"])
        #expect(attributes["http://schemas.auth0.com/identities/default/provider"] == "auth0")
        #expect(!attributes.keys.contains("http://schemas.auth0.com/email_verified"), "passthrough turned off by the rule")
        // The trace: what the rule changed, what the action set, then the response.
        #expect(r.traceEntry("saml")?["changes"]?["samlConfiguration"]?["changed"]?["passthroughClaimsWithNoMapping"] != nil)
        #expect(r.traceEntry("shape")?["changes"]?["samlAttributes"]?["http://schemas.acme.example/role"] == ["admin", "editor"])
        #expect(r.traceEntry("shape")?["changes"]?["samlConfiguration"]?["changed"]?["lifetimeInSeconds"] != nil)
        #expect(r.trace.last?["kind"] == "saml")

        // Auth0's defaults when nothing changes them: passthrough under schemas.auth0.com.
        let wsfed = try await simulate(p) { $0.protocolName = "wsfed"; $0.rules = []; $0.actions = [] }
        let defaults = wsfed.json["saml"]?["attributes"]?.objectValue ?? [:]
        #expect(defaults["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"] == "auth0|ann0000000000000000000001")
        #expect(defaults["http://schemas.auth0.com/email_verified"] == true)
        #expect(wsfed.json["saml"]?["nameIdentifier"] == "auth0|ann0000000000000000000001")
    }

    @Test func notSAMLTheSettersChangeNothingAndSaySo() async throws {
        let p = try await pipeline()
        let r = try await simulate(p) { $0.protocolName = "oidc-basic-profile" }
        #expect(r.outcome == .allowed)
        #expect(r.json["saml"] == .null)
        #expect(!r.trace.contains { $0["kind"] == "saml" })
        let warnings = r.traceEntry("shape")?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.contains { $0.contains("api.samlResponse.setAttribute has no effect") }, "\(warnings)")
        // A wrong value fails the action, as Auth0's setters throw.
        var f = TenantFixture()
        f.add(actions: [ActionSource(name: "bad", code: "exports.onExecutePostLogin = async (event, api) => { api.samlResponse.setLifetimeInSeconds('soon'); };")], bindings: ["post-login": ["bad"]])
        let bad = try await simulate(try await makePipeline(f)) { $0.protocolName = "samlp" }
        #expect(bad.outcome != .allowed)
        #expect(bad.error?.description.contains("lifetimeInSeconds must be a positive number") == true)
    }
}
