import Directory
import Foundation
import JSONCore
import Testing

@testable import LoginEngine

/// A passwordless first login signs the user up: pre-user-registration may refuse it or set
/// metadata before the user is created, post-user-registration runs after (as Auth0 runs them).
@Suite struct PasswordlessRegistrationTests {
    @Test func aFirstPasswordlessLoginRunsTheRegistrationTriggers() async throws {
        var f = TenantFixture()
        f.extraFiles["connections/email.json"] = #"{"name": "email", "strategy": "email"}"#
        f.add(
            actions: [
                ActionSource(name: "screen", code: """
                    exports.onExecutePreUserRegistration = async (event, api) => {
                      if (event.user.email.endsWith('@blocked.example')) return api.access.deny('blocked', 'Not from there.');
                      api.user.setAppMetadata('signup', event.request.body.connection);
                    };
                    """, triggers: ["pre-user-registration"]),
                ActionSource(name: "welcome", code: "exports.onExecutePostUserRegistration = async (event) => { console.log('welcome', event.user.email); };",
                             triggers: ["post-user-registration"]),
            ],
            bindings: ["pre-user-registration": ["screen"], "post-user-registration": ["welcome"]])
        let p = try await makePipeline(f)
        func login(_ email: String) async throws -> SimulationResult {
            _ = try await p.passwordlessStart(clientId: "testclient", connection: "email", email: email, phoneNumber: nil, send: "code", ip: nil, userAgent: nil)
            let code = try #require(await p.passwordless.current(connections: ["email"], identifier: email))
            var r = SimulationRequest(user: .stored(email))
            r.client = "testclient"
            return try await p.passwordlessLogin(username: email, otp: code.code, realm: "email", request: r)
        }
        let ok = try await login("new@example.com")
        #expect(ok.outcome == .allowed, "\(ok.error?.description ?? "")")
        let stored = try #require(try await p.store.user(login: "new@example.com", connection: "email"))
        #expect(stored.appMetadata["signup"] == "email")
        let logs = try await p.store.logs(userId: nil, offset: 0, limit: 50).events
        #expect(logs.contains { $0.type == "ss" && $0.userName == "new@example.com" }, "a signup event")

        // Refused before anything is stored.
        let refused = try await login("x@blocked.example")
        #expect(refused.outcome != .allowed)
        #expect(refused.error == FlowError("extensibility_error", "Not from there."))
        #expect(try await p.store.user(login: "x@blocked.example", connection: "email") == nil)

        // A second login is no sign-up: the triggers do not run again.
        let again = try await login("new@example.com")
        #expect(again.outcome == .allowed)
        let signups = try await p.store.logs(userId: nil, offset: 0, limit: 50).events.filter { $0.type == "ss" }
        #expect(signups.count == 1)
    }
}
