import Directory
import Foundation
import JSONCore
import ScriptRuntime
import Synchronization
import Tenant
import Testing

@testable import LoginEngine

/// A login runs on the tenant revision it started with: a reload that lands while its first rule
/// waits (on an outbound call the test answers only after the reload is in) changes nothing for
/// it — not the later rules' code, not the rule list, not the client's metadata, the rules'
/// configuration, the tenant's domain (the `auth0` globals, the tokens' issuer) or the token lifetime — and the next login sees all of the new revision.
@Suite struct ReloadMidFlowTests {
    static func stamp(_ label: String) -> String {
        """
        function (user, context, callback) {
          context.idToken['https://t/stamp'] = '\(label)';
          context.idToken['https://t/meta'] = context.clientMetadata.k;
          context.idToken['https://t/config'] = configuration.GREETING;
          context.idToken['https://t/domain'] = auth0.domain;
          callback(null, user, context);
        }
        """
    }

    @Test func aReloadLandingMidFlowDoesNotMixRevisions() async throws {
        let pipeline = Mutex<LoginPipeline?>(nil)
        let reloads = Mutex<[Bool]>([])
        let directory = Mutex<String>("")
        // Runs while the first login's first rule waits for this answer: the tenant directory
        // changes and the reload completes before the rule goes on.
        let server = try await TestHTTPServer.start {
            guard let p = pipeline.withLock({ $0 }), reloads.withLock({ $0.isEmpty }) else { return }
            let dir = URL(fileURLWithPath: directory.withLock { $0 })
            do {
                try ReloadMidFlowTests.stamp("new").write(to: dir.appendingPathComponent("rules/stamp.js"), atomically: true, encoding: .utf8)
                try "function (user, context, callback) { context.idToken['https://t/extra'] = true; callback(null, user, context); }"
                    .write(to: dir.appendingPathComponent("rules/extra.js"), atomically: true, encoding: .utf8)
                try #"{"name": "extra", "order": 3, "enabled": true}"#.write(to: dir.appendingPathComponent("rules/extra.json"), atomically: true, encoding: .utf8)
                try #"{"name": "Test App", "client_id": "testclient", "client_secret": "s3cret", "client_metadata": {"k": "v2"}, "jwt_configuration": {"lifetime_in_seconds": 600}}"#
                    .write(to: dir.appendingPathComponent("clients/test.json"), atomically: true, encoding: .utf8)
                try #"{"authsim": {"domain": "new.authsim.local", "flow_timeout_seconds": 120}, "default_audience": "https://api.test"}"#
                    .write(to: dir.appendingPathComponent("tenant.json"), atomically: true, encoding: .utf8)
                try #"{"key": "GREETING", "value": "bonjour"}"#.write(to: dir.appendingPathComponent("rules-configs/greeting.json"), atomically: true, encoding: .utf8)
                let changed = try await p.reload()
                reloads.withLock { $0.append(changed) }
            } catch {
                reloads.withLock { $0.append(false) }
            }
        }
        defer { server.stop() }
        var f = TenantFixture()
        f.rules = [
            ("call", "function (user, context, callback) { require('axios').get('\(server.base)/hook').then(function () { callback(null, user, context); }, callback); }"),
            ("stamp", Self.stamp("old")),
        ]
        f.tenantJSON = #"{"authsim": {"domain": "test.authsim.local", "flow_timeout_seconds": 120}, "default_audience": "https://api.test"}"#
        f.extraFiles["clients/test.json"] =
            #"{"name": "Test App", "client_id": "testclient", "client_secret": "s3cret", "client_metadata": {"k": "v1"}, "jwt_configuration": {"lifetime_in_seconds": 3600}}"#
        let dir = try f.write()
        directory.withLock { $0 = dir }
        // Its own runtime: the flow holds one worker while it waits, the reload compiles on the other.
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 2))
        defer { runtime.shutdown() }
        let store = try SQLiteUserStore(path: temporaryPath("store.sqlite"))
        let tenant = try TenantLoader.load(directory: dir)
        try await LoginPipeline.seed(store: store, tenant: tenant)
        try await store.insert(TestUsers.ann())
        let p = LoginPipeline(tenant: tenant, store: store, runtime: runtime, keys: try await Shared.keys.value)
        pipeline.withLock { $0 = p }
        let before = p.current.tenant.revision

        let first = try await simulate(p)
        // The reload happened while the flow waited, and it took.
        #expect(reloads.withLock { $0 } == [true])
        #expect(p.current.tenant.revision != before)
        #expect(first.outcome == .allowed, "\(first.error?.description ?? "")")
        #expect(first.idClaims["https://t/stamp"] == "old")
        #expect(first.idClaims["https://t/meta"] == "v1")
        #expect(first.idClaims["https://t/config"] == "hello")
        #expect(first.idClaims["https://t/extra"] == nil)
        #expect(first.idClaims["https://t/domain"] == "test.authsim.local")
        #expect(first.idClaims["iss"] == "https://test.authsim.local/")
        #expect(first.trace.compactMap { $0["name"]?.stringValue } == ["call", "stamp"])
        let firstLifetime = (first.idClaims["exp"]?.doubleValue ?? 0) - (first.idClaims["iat"]?.doubleValue ?? 0)
        #expect(firstLifetime == 3600)

        let second = try await simulate(p)
        #expect(second.outcome == .allowed, "\(second.error?.description ?? "")")
        #expect(second.idClaims["https://t/stamp"] == "new")
        #expect(second.idClaims["https://t/meta"] == "v2")
        #expect(second.idClaims["https://t/config"] == "bonjour")
        #expect(second.idClaims["https://t/extra"] == true)
        #expect(second.idClaims["https://t/domain"] == "new.authsim.local")
        #expect(second.idClaims["iss"] == "https://new.authsim.local/")
        #expect(second.trace.compactMap { $0["name"]?.stringValue } == ["call", "stamp", "extra"])
        let secondLifetime = (second.idClaims["exp"]?.doubleValue ?? 0) - (second.idClaims["iat"]?.doubleValue ?? 0)
        #expect(secondLifetime == 600)
        // Only the first login's call reloaded.
        #expect(reloads.withLock { $0 } == [true])
    }
}
