import AuthsimTesting
import Foundation
import JSONCore
import LoginEngine
import Testing

/// The other triggers over HTTP: the token-exchange grant at `/oauth/token`, the reset link's
/// page and `/continue` with password-reset-post-challenge, and the Management API binding them.
@Suite struct TriggersHTTPTests {
    /// The sample tenant with `actions` added (name, trigger, code) and bound after what it binds.
    func tenant(_ actions: [(name: String, trigger: String, code: String)], files: [String: String] = [:]) throws -> String {
        let dir = try sampleTenantCopy()
        var bindings = try JSONValue.parse(try String(contentsOfFile: dir + "/triggers/triggers.json", encoding: .utf8)).objectValue ?? [:]
        for a in actions {
            try FileManager.default.createDirectory(atPath: dir + "/actions/\(a.name)", withIntermediateDirectories: true)
            try a.code.write(toFile: dir + "/actions/\(a.name)/code.js", atomically: true, encoding: .utf8)
            let definition: JSONValue = ["name": .string(a.name), "supported_triggers": [["id": .string(a.trigger), "version": "v1"]]]
            try definition.serialized().write(toFile: dir + "/actions/\(a.name).json", atomically: true, encoding: .utf8)
            bindings[a.trigger] = .array((bindings[a.trigger]?.arrayValue ?? []) + [["action_name": .string(a.name)]])
        }
        try JSONValue.object(bindings).serialized().write(toFile: dir + "/triggers/triggers.json", atomically: true, encoding: .utf8)
        for (rel, text) in files {
            let path = dir + "/" + rel
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return dir
    }

    func claims(_ jwt: String?) throws -> JSONValue {
        let part = try #require(jwt?.split(separator: ".").dropFirst().first.map(String.init))
        var b64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        return try JSONValue.parse(String(decoding: try #require(Data(base64Encoded: b64)), as: UTF8.self))
    }

    @Test func theTokenExchangeGrantIssuesTokensForTheUserTheActionSets() async throws {
        let dir = try tenant(
            [(name: "legacy exchange", trigger: "custom-token-exchange", code: """
                exports.onExecuteCustomTokenExchange = async (event, api) => {
                  if (event.transaction.subject_token !== 'valid-legacy-token') return api.access.rejectInvalidSubjectToken('bad token');
                  api.authentication.setUserByConnection('Username-Password-Authentication',
                    { user_id: 'legacy-7', email: 'seven@legacy.test', email_verified: true },
                    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
                };
                """)],
            files: [
                "clients/cte.json": #"{"name": "CTE App", "client_id": "cteClient", "client_secret": "cte-secret", "app_type": "regular_web", "token_exchange": {"allow_any_profile_of_type": ["custom_authentication"]}}"#,
                "token-exchange-profiles/legacy.json": #"{"name": "legacy", "subject_token_type": "urn:acme:legacy", "action": "legacy exchange", "type": "custom_authentication"}"#,
            ])
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        try await app.test { client in
            let discovery = try await client.send(.get, ".well-known/openid-configuration")
            #expect(discovery.json["grant_types_supported"]?.arrayValue?.contains("urn:ietf:params:oauth:grant-type:token-exchange") == true)

            var fields = [
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "client_id": "cteClient", "client_secret": "cte-secret",
                "subject_token": "valid-legacy-token", "subject_token_type": "urn:acme:legacy", "scope": "openid email offline_access",
                "audience": "https://api.example.com",
            ]
            let ok = try await client.form("oauth/token", fields)
            #expect(ok.status == 200, "\(ok.text)")
            #expect(ok.json["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token")
            #expect(try claims(ok.json["id_token"]?.stringValue)["sub"] == "auth0|legacy-7")
            #expect(try claims(ok.json["id_token"]?.stringValue)["email"] == "seven@legacy.test")
            #expect(try claims(ok.json["access_token"]?.stringValue)["aud"]?.arrayValue?.first == "https://api.example.com"
                || claims(ok.json["access_token"]?.stringValue)["aud"] == "https://api.example.com")

            fields["subject_token"] = "forged"
            let bad = try await client.form("oauth/token", fields)
            #expect(bad.status == 400)
            #expect(bad.json["error"] == "invalid_request")
            #expect(bad.json["error_description"] == "bad token")

            fields["client_id"] = "sampleAppClientId00000000000000"
            fields["client_secret"] = "sample-app-client-secret-change-me"
            let notEnabled = try await client.form("oauth/token", fields)
            #expect(notEnabled.status == 400)
            #expect(notEnabled.json["error_description"]?.stringValue?.contains("token_exchange") == true)
        }
    }

    @Test func theResetLinkRunsPostChallengeAndContinueResumesIt() async throws {
        let dir = try tenant([(name: "verify first", trigger: "password-reset-post-challenge", code: """
            exports.onExecutePostChallenge = async (event, api) => {
              const token = api.redirect.encodeToken({ secret: 's3cret-for-tests', payload: { email: event.user.email } });
              api.redirect.sendUserTo('https://verify.example.com/start', { query: { session_token: token } });
            };
            exports.onContinuePostChallenge = async (event, api) => {
              const payload = api.redirect.validateToken({ secret: 's3cret-for-tests', tokenParameterName: 'session_token' });
              api.transaction.setResultUrl('https://app.example.com/after-reset', { query: { who: payload.email } });
            };
            """)])
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        let ticket = try await app.pipeline.passwordResets.issue(
            connection: "Username-Password-Authentication", email: "ann@example.com", resultURL: nil, lifetime: 3600, clientId: "sampleAppClientId00000000000000")
        try await app.test { client in
            let opened = try await client.send(.get, "lo/reset?ticket=" + ticket.id)
            #expect(opened.status == 302, "\(opened.text)")
            let location = try #require(opened.header("Location"))
            let away = try #require(URLComponents(string: location))
            #expect(away.host == "verify.example.com")
            let state = try #require(away.queryItems?.first { $0.name == "state" }?.value)
            let token = try #require(away.queryItems?.first { $0.name == "session_token" }?.value)

            // The external page sends the user back with the token it was given.
            let path = "continue?state=\(AuthsimTestClient.formEncode(state))&session_token=\(AuthsimTestClient.formEncode(token))"
            // Without the browser's cookie the state alone continues nothing.
            let elsewhere = try await client.send(.get, path)
            #expect(elsewhere.status == 403)
            let cookie = try #require(opened.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
            #expect(cookie.hasPrefix("authsim_reset="))
            let back = try await client.send(.get, path, headers: ["Cookie": cookie])
            #expect(back.status == 200, "\(back.text)")
            #expect(back.text.contains("name=\"password\""), "the new-password form")

            let done = try await client.form("lo/reset", ["ticket": ticket.id, "password": "a brand new password"])
            #expect(done.status == 302, "\(done.text)")
            #expect(done.header("Location") == "https://app.example.com/after-reset?who=ann%40example.com")
        }
        // The password changed.
        let r = try await app.pipeline.login(username: "ann@example.com", password: "a brand new password")
        #expect(r.outcome == .allowed, "\(r.error?.description ?? "")")
    }

    @Test func theManagementAPIBindsEveryTrigger() async throws {
        let dir = try tenant([(name: "sms sender", trigger: "send-phone-message", code: "exports.onExecuteSendPhoneMessage = async () => {};")])
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        let token = try app.managementToken()
        try await app.test { client in
            for trigger in ["password-reset-post-challenge", "send-phone-message", "custom-token-exchange", "custom-email-provider", "custom-phone-provider"] {
                let r = try await client.send(.get, "api/v2/actions/triggers/\(trigger)/bindings", token: token)
                #expect(r.status == 200, "\(trigger): \(r.text)")
            }
            let bound = try await client.send(.get, "api/v2/actions/triggers/send-phone-message/bindings", token: token)
            #expect(bound.json["bindings"]?.arrayValue?.first?["display_name"] == "sms sender")
            let unknown = try await client.send(.get, "api/v2/actions/triggers/not-a-trigger/bindings", token: token)
            #expect(unknown.status == 404)
        }
    }
}
