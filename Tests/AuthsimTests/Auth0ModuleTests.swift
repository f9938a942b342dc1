import AuthsimTesting
import Foundation
import JSONCore
import LoginEngine
import Testing

/// `require('auth0')`: node-auth0's clients in the shapes of its 2.x/3.x and 4.x versions,
/// reaching the daemon's own Management and Authentication APIs in process, whatever domain a
/// script names; what a script does through them is real (the store changes) and traced.
@Suite struct Auth0ModuleTests {
    static let managementClient = "sampleManagementClientId0000000"
    static let managementSecret = "sample-management-secret-change-me"

    /// The sample tenant with one rule and post-login actions that use the module.
    func tenant(rule: String, actions: [(name: String, trigger: String, auth0: String?, code: String)]) throws -> String {
        let dir = try sampleTenantCopy()
        try rule.write(toFile: dir + "/rules/use-auth0.js", atomically: true, encoding: .utf8)
        try #"{"name": "use-auth0", "order": 100, "enabled": true}"#.write(toFile: dir + "/rules/use-auth0.json", atomically: true, encoding: .utf8)
        var bindings: [String: [JSONValue]] = [:]
        for a in actions {
            try FileManager.default.createDirectory(atPath: dir + "/actions/\(a.name)", withIntermediateDirectories: true)
            try a.code.write(toFile: dir + "/actions/\(a.name)/code.js", atomically: true, encoding: .utf8)
            let definition: JSONValue = [
                "name": .string(a.name), "supported_triggers": [["id": .string(a.trigger), "version": "v3"]],
                "dependencies": .array(a.auth0.map { [["name": "auth0", "version": .string($0)]] } ?? []),
                "secrets": [
                    ["name": "DOMAIN", "value": "acme-prod.eu.auth0.com"], ["name": "ID", "value": .string(Self.managementClient)],
                    ["name": "SECRET", "value": .string(Self.managementSecret)],
                ],
            ]
            try definition.serialized().write(toFile: dir + "/actions/\(a.name).json", atomically: true, encoding: .utf8)
            bindings[a.trigger, default: []].append(["action_name": .string(a.name)])
        }
        try JSONValue.object(bindings.mapValues(JSONValue.array)).serialized().write(toFile: dir + "/triggers/triggers.json", atomically: true, encoding: .utf8)
        return dir
    }

    func app(_ dir: String) async throws -> AuthsimTestApp {
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        app.server.attachInProcessAPI()
        return app
    }

    @Test func rulesUseTheCallbackClientAndActionsThePromiseOnesOfTheirVersion() async throws {
        // A rule as Auth0's account-linking samples write it: 2.x, callbacks, the rules' token.
        let rule = """
            function (user, context, callback) {
              var ManagementClient = require('auth0').ManagementClient;
              var management = new ManagementClient({ token: auth0.accessToken, domain: auth0.domain });
              management.getUsersByEmail(user.email, function (err, users) {
                if (err) return callback(err);
                management.updateAppMetadata({ id: user.user_id }, { same_email: users.length }, function (err2, updated) {
                  if (err2) return callback(err2);
                  context.idToken['https://t/same_email'] = updated.app_metadata.same_email;
                  management.getUser({ id: 'auth0|nobody' }).then(null, function (e) {
                    context.idToken['https://t/rule_missing'] = { name: e.name, status: e.statusCode };
                    callback(null, user, context);
                  });
                });
              });
            }
            """
        // An action declaring auth0 4.x with client credentials and the real tenant's domain.
        let v4 = """
            exports.onExecutePostLogin = async (event, api) => {
              const { ManagementClient, AuthenticationClient } = require('auth0');
              const management = new ManagementClient({ domain: event.secrets.DOMAIN, clientId: event.secrets.ID, clientSecret: event.secrets.SECRET });
              const { data: user, status } = await management.users.get({ id: event.user.user_id });
              await management.users.assignRoles({ id: event.user.user_id }, { roles: ['admin'] });
              const { data: roles } = await management.users.getRoles({ id: event.user.user_id });
              const { data: permissions } = await management.users.getPermissions({ id: event.user.user_id });
              let missing;
              try { await management.users.get({ id: 'auth0|nobody' }); } catch (e) { missing = { name: e.name, status: e.statusCode }; }
              const auth = new AuthenticationClient({ domain: event.secrets.DOMAIN, clientId: event.secrets.ID, clientSecret: event.secrets.SECRET });
              const { data: grant } = await auth.oauth.clientCredentialsGrant({ audience: 'https://' + event.secrets.DOMAIN + '/api/v2/' });
              // 3.x by its versioned name: promises of the body.
              const M3 = require('auth0@3.7.0').ManagementClient;
              const byEmail = await new M3({ domain: 'anything.example', token: grant.access_token }).getUsersByEmail(event.user.email);
              api.idToken.setCustomClaim('https://t/v4', {
                email: user.email, status, roles: roles.map(r => r.name), permissions: permissions.map(p => p.permission_name).sort(), missing,
                tokenType: grant.token_type, v3: byEmail.map(u => u.email)
              });
            };
            """
        let app = try await app(try tenant(rule: rule, actions: [("m4", "post-login", "4.1.0", v4)]))
        let r = try await app.pipeline.simulate(SimulationRequest(user: .stored("ann@example.com")))
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "") \(r.trace)")
        let claims = r.idToken?.claims.objectValue ?? [:]
        #expect(claims["https://t/same_email"] == 1)
        #expect(claims["https://t/rule_missing"] == ["name": "Not Found", "status": 404])
        let v4Claim = try #require(claims["https://t/v4"])
        #expect(v4Claim["email"] == "ann@example.com")
        #expect(v4Claim["status"] == 200)
        #expect(v4Claim["roles"] == ["admin"])
        #expect(v4Claim["permissions"] == ["read:orders", "write:orders"])
        #expect(v4Claim["missing"] == ["name": "ManagementApiError", "status": 404])
        #expect(v4Claim["tokenType"] == "Bearer")
        #expect(v4Claim["v3"] == ["ann@example.com"])
        // What the scripts did is real: the store has it.
        let stored = try #require(try await app.pipeline.store.user(login: "ann@example.com", connection: "Username-Password-Authentication"))
        #expect(stored.appMetadata["same_email"] == 1)
        #expect(try await app.pipeline.store.roles(userId: stored.userId).contains("admin"))
        // Each call is in the trace, named by its path.
        let ruleCalls = r.trace.first { $0["name"] == "use-auth0" }?["http"]?.arrayValue?.compactMap { $0["url"]?.stringValue } ?? []
        #expect(ruleCalls.contains { $0.hasPrefix("authsim:/api/v2/users-by-email?email=ann%40example.com") }, "\(ruleCalls)")
        let actionCalls = r.trace.first { $0["name"] == "m4" }?["http"]?.arrayValue ?? []
        #expect(actionCalls.first?["url"] == "authsim:/oauth/token")
        #expect(actionCalls.allSatisfy { $0["status"]?.doubleValue != nil })
    }

    @Test func aBadTokenIsTheScriptsErrorAndLoopsOfLoginsStop() async throws {
        let rule = """
            function (user, context, callback) {
              var m = new (require('auth0@2').ManagementClient)({ token: 'not-a-token', domain: 'x' });
              m.getUser({ id: user.user_id }, function (err) {
                context.idToken['https://t/bad_token'] = err ? err.statusCode : 'no error';
                try { new (require('auth0').ManagementClient)({ domain: 'x' }); } catch (e) { context.idToken['https://t/no_credentials'] = e.name; }
                callback(null, user, context);
              });
            }
            """
        // A credentials-exchange action that asks for a token itself: each token request runs it
        // again, one level deeper, until the depth limit refuses the script's call.
        let loop = """
            exports.onExecuteCredentialsExchange = async (event, api) => {
              const { AuthenticationClient } = require('auth0');
              const auth = new AuthenticationClient({ domain: 'loop.example', clientId: event.secrets.ID, clientSecret: event.secrets.SECRET });
              await auth.oauth.clientCredentialsGrant({ audience: 'https://api.example.com' });
            };
            """
        let start = """
            exports.onExecutePostLogin = async (event, api) => {
              const { AuthenticationClient } = require('auth0');
              const auth = new AuthenticationClient({ domain: 'loop.example', clientId: event.secrets.ID, clientSecret: event.secrets.SECRET });
              try { await auth.oauth.clientCredentialsGrant({ audience: 'https://api.example.com' }); api.idToken.setCustomClaim('https://t/loop', 'granted'); }
              catch (e) { api.idToken.setCustomClaim('https://t/loop', { name: e.name, status: e.statusCode, message: e.message }); }
            };
            """
        let app = try await app(try tenant(rule: rule, actions: [("loop", "credentials-exchange", nil, loop), ("start", "post-login", "4", start)]))
        let r = try await app.pipeline.simulate(SimulationRequest(user: .stored("ann@example.com")))
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
        let claims = r.idToken?.claims.objectValue ?? [:]
        #expect(claims["https://t/bad_token"] == 401)
        #expect(claims["https://t/no_credentials"] == "ArgumentError")
        // The innermost script's call was refused, so each token request up the chain failed.
        #expect(claims["https://t/loop"]?["name"] == "AuthApiError", "\(claims["https://t/loop"] ?? .null)")
        #expect(claims["https://t/loop"]?["status"]?.doubleValue.map { $0 >= 400 } == true)
        #expect(claims["https://t/loop"]?["message"]?.stringValue?.contains("levels deep") == true, "\(claims["https://t/loop"] ?? .null)")
    }
}
