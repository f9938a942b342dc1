import AuthsimTesting
import Foundation
import JSONCore
import LoginEngine
import Testing
import Tokens

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The OAuth endpoints over real HTTP (the application listening in the test process), as an SDK would call them.
@Suite(.serialized) struct OAuthTests {
    static let app = (id: "sampleAppClientId00000000000000", secret: "sample-app-client-secret-change-me")
    static let m2m = (id: "sampleManagementClientId0000000", secret: "sample-management-secret-change-me")

    func form(_ fields: [String: String]) -> Data {
        Data(fields.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? v)"
        }.joined(separator: "&").utf8)
    }

    func post(_ d: some HTTPDaemon, _ path: String, _ body: Data, contentType: String = "application/x-www-form-urlencoded", basic: (String, String)? = nil) async throws -> (Int, JSONValue, [AnyHashable: Any]) {
        var r = URLRequest(url: d.base.appendingPathComponent(path))
        r.httpMethod = "POST"
        r.httpBody = body
        r.setValue(contentType, forHTTPHeaderField: "Content-Type")
        if let basic { r.setValue("Basic " + Data("\(basic.0):\(basic.1)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: r)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null, http?.allHeaderFields ?? [:])
    }

    func passwordGrant(_ d: some HTTPDaemon, user: String = "ann@example.com", password: String = "Passw0rd!", scope: String = "openid profile email offline_access", extra: [String: String] = [:]) async throws -> (Int, JSONValue) {
        var fields = ["grant_type": "password", "username": user, "password": password, "client_id": Self.app.id, "client_secret": Self.app.secret, "scope": scope]
        fields.merge(extra) { _, b in b }
        let (s, b, _) = try await post(d, "oauth/token", form(fields))
        return (s, b)
    }

    @Test func passwordGrantUserinfoRefreshAndRevoke() async throws {
        let d = try await listeningApp()
        let (_, jwks) = try await d.request(".well-known/jwks.json")
        let (status, tokens) = try await passwordGrant(d)
        #expect(status == 200)
        #expect(tokens["token_type"] == "Bearer")
        let idToken = try JWT.decode(try #require(tokens["id_token"]?.stringValue))
        #expect(throws: Never.self) { try JWT.verifyRS256(idToken, jwks: jwks).get() }
        #expect(idToken.claims["https://example.com/roles"] == ["admin", "editor"])
        #expect(idToken.claims["aud"] == .string(Self.app.id))
        let accessJWT = try #require(tokens["access_token"]?.stringValue)
        let access = try JWT.decode(accessJWT)
        #expect(access.claims["aud"]?.arrayValue?.first == "https://api.example.com")
        #expect(access.claims["scope"] == "openid profile email offline_access")
        let refresh = try #require(tokens["refresh_token"]?.stringValue)

        // The login trace says the password protocol was used.
        let (_, login) = try await d.request("api/authsim/traces/" + (access.claims["jti"]?.stringValue ?? ""), token: d.token)
        #expect(login["protocol"] == "oauth2-password")
        let loginsAfterLogin = login["user"]?["logins_count"]

        // /userinfo: profile claims plus the ID token's custom claims.
        let (us, info) = try await d.request("userinfo", token: accessJWT)
        #expect(us == 200)
        #expect(info["sub"] == "auth0|5f7c8ec7c33c6c004bbafe82")
        #expect(info["email"] == "ann@example.com")
        #expect(info["https://example.com/plan"] == "enterprise")
        let (noToken, _) = try await d.request("userinfo")
        #expect(noToken == 401)
        let (idAsAccess, _) = try await d.request("userinfo", token: tokens["id_token"]?.stringValue)
        #expect(idAsAccess == 401)

        // Refresh: rules run again with oauth2-refresh-token, the login count does not move.
        let (rs, refreshed, _) = try await post(d, "oauth/token", form(["grant_type": "refresh_token", "refresh_token": refresh]), basic: (Self.app.id, Self.app.secret))
        #expect(rs == 200)
        #expect(refreshed["refresh_token"] == nil)
        let newAccess = try JWT.decode(try #require(refreshed["access_token"]?.stringValue))
        let (_, refreshTrace) = try await d.request("api/authsim/traces/" + (newAccess.claims["jti"]?.stringValue ?? ""), token: d.token)
        #expect(refreshTrace["protocol"] == "oauth2-refresh-token")
        #expect(refreshTrace["user"]?["logins_count"] == loginsAfterLogin)
        #expect(refreshTrace["trace"]?.arrayValue?.count == 5)
        // A wider scope than granted is refused.
        let (wider, widerBody, _) = try await post(d, "oauth/token", form(["grant_type": "refresh_token", "refresh_token": refresh, "scope": "openid read:orders write:orders admin"]), basic: (Self.app.id, Self.app.secret))
        #expect(wider == 403)
        #expect(widerBody["error"] == "invalid_scope")

        // Revoke, then the refresh token is dead.
        let (vs, _, _) = try await post(d, "oauth/revoke", form(["token": refresh]), basic: (Self.app.id, Self.app.secret))
        #expect(vs == 200)
        let (dead, deadBody, _) = try await post(d, "oauth/token", form(["grant_type": "refresh_token", "refresh_token": refresh]), basic: (Self.app.id, Self.app.secret))
        #expect(dead == 403)
        #expect(deadBody["error"] == "invalid_grant")
        #expect(await d.stop() == nil)
    }

    @Test func passwordGrantErrors() async throws {
        let d = try await listeningApp()
        let (wrong, e1) = try await passwordGrant(d, password: "nope")
        #expect(wrong == 403)
        #expect(e1 == ["error": "invalid_grant", "error_description": "Wrong email or password."])
        let (blocked, e2) = try await passwordGrant(d, user: "blocked@example.com")
        #expect(blocked == 403)
        #expect(e2 == ["error": "invalid_grant", "error_description": "user is blocked"])
        let (rule, e3) = try await passwordGrant(d, user: "unverified@example.com")
        #expect(rule == 401)
        #expect(e3 == ["error": "unauthorized", "error_description": "Please verify your email before logging in."])
        let (badSecret, e4) = try await passwordGrant(d, extra: ["client_secret": "wrong"])
        #expect(badSecret == 401)
        #expect(e4["error"] == "invalid_client")
        let (unsupported, e5, _) = try await post(d, "oauth/token", form(["grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": Self.app.id]))
        #expect(unsupported == 400)
        #expect(e5["error"] == "unsupported_grant_type")
        let (missing, e6, _) = try await post(d, "oauth/token", form(["client_id": Self.app.id]))
        #expect(missing == 400)
        #expect(e6["error"] == "invalid_request")
        // A machine-to-machine client may not use the password grant.
        let (notAllowed, e7, _) = try await post(d, "oauth/token", form(["grant_type": "password", "username": "ann@example.com", "password": "Passw0rd!", "client_id": Self.m2m.id, "client_secret": Self.m2m.secret]))
        #expect(notAllowed == 403)
        #expect(e7["error"] == "unauthorized_client")
        // password-realm names the connection.
        let realm = "http://auth0.com/oauth/grant-type/password-realm"
        let (ok, t, _) = try await post(d, "oauth/token", form(["grant_type": realm, "realm": "Username-Password-Authentication", "username": "bob@example.com", "password": "Passw0rd!", "client_id": Self.app.id, "client_secret": Self.app.secret, "scope": "openid"]))
        #expect(ok == 200)
        #expect(t["id_token"] != nil)
        #expect(t["refresh_token"] == nil)
        let (badRealm, e8, _) = try await post(d, "oauth/token", form(["grant_type": realm, "realm": "Nope", "username": "bob@example.com", "password": "Passw0rd!", "client_id": Self.app.id, "client_secret": Self.app.secret]))
        #expect(badRealm == 400)
        #expect(e8["error"] == "invalid_request")
        #expect(await d.stop() == nil)
    }

    @Test func clientCredentialsTokensReachTheSimulationAPI() async throws {
        let d = try await listeningApp(issuer: "https://sample.authsim.local/")
        let body = JSONValue.object([
            "grant_type": "client_credentials", "client_id": .string(Self.m2m.id), "client_secret": .string(Self.m2m.secret),
            "audience": "https://sample.authsim.local/api/v2/",
        ]).serialized()
        let (s, t, _) = try await post(d, "oauth/token", Data(body.utf8), contentType: "application/json")
        #expect(s == 200)
        // All of the grant's scopes when none are asked for.
        let grant = try JSONValue.parse(try String(contentsOfFile: CLITests.root.appendingPathComponent("client-grants/management-api.json").path, encoding: .utf8))
        #expect(t["scope"] == .string((grant["scope"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")))
        let token = try #require(t["access_token"]?.stringValue)
        let claims = try JWT.decode(token).claims
        #expect(claims["gty"] == "client-credentials")
        #expect(claims["sub"] == .string(Self.m2m.id + "@clients"))
        // The sample tenant's credentials-exchange action added its claim.
        #expect(claims["https://example.com/client_name"] == "authsim Management")
        // No rules ran: none of the sample rules' claims, and no login trace for this token.
        #expect(claims["https://example.com/roles"] == nil)
        #expect(claims["https://example.com/plan"] == nil)
        let (noTrace, _) = try await d.request("api/authsim/traces/" + (claims["jti"]?.stringValue ?? "x"), token: d.token)
        #expect(noTrace == 404)
        let (sim, result) = try await d.request("api/authsim/simulate", method: "POST", body: Data(#"{"user": "ann@example.com"}"#.utf8), token: token)
        #expect(sim == 200)
        #expect(result["outcome"] == "allowed")

        // A narrower scope works; an ungranted one or an unknown API does not; a secret is required.
        let (narrow, nt, _) = try await post(d, "oauth/token", form(["grant_type": "client_credentials", "audience": "https://api.example.com", "scope": "read:orders"]), basic: (Self.m2m.id, Self.m2m.secret))
        #expect(narrow == 200)
        #expect(nt["scope"] == "read:orders")
        let (ungranted, e1, _) = try await post(d, "oauth/token", form(["grant_type": "client_credentials", "audience": "https://api.example.com", "scope": "write:orders"]), basic: (Self.m2m.id, Self.m2m.secret))
        #expect(ungranted == 403)
        #expect(e1["error"] == "access_denied")
        let (unknownAPI, _, _) = try await post(d, "oauth/token", form(["grant_type": "client_credentials", "audience": "https://nope"]), basic: (Self.m2m.id, Self.m2m.secret))
        #expect(unknownAPI == 403)
        let (noSecret, e2, _) = try await post(d, "oauth/token", form(["grant_type": "client_credentials", "client_id": Self.m2m.id, "audience": "https://api.example.com"]))
        #expect(noSecret == 401)
        #expect(e2["error"] == "invalid_client")
        #expect(await d.stop() == nil)
    }
}
