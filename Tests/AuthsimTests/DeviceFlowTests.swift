import AuthsimTesting
import Foundation
import JSONCore
import LoginEngine
import Testing
import Tokens

/// The device authorization grant, in-process: a device asks for codes, polls while the user
/// confirms the code at `/activate` and logs in through the login pages (rules run with
/// `oauth2-device-code`), then gets its tokens once; a denied login denies the device.
@Suite struct DeviceFlowTests {
    static let app = InProcess.appClient
    static let secret = InProcess.appSecret
    static let grant = "urn:ietf:params:oauth:grant-type:device_code"

    static func run(_ body: @Sendable (AuthsimTestApp, AuthsimTestClient) async throws -> Void) async throws {
        let dir = try sampleTenantCopy()
        try editSampleApp(in: dir) { $0["grant_types"] = .array(($0["grant_types"]?.arrayValue ?? []) + [.string(Self.grant)]) }
        try """
            function (user, context, callback) {
              if (context.protocol === 'oauth2-device-code' && user.app_metadata && user.app_metadata.no_devices) return callback(new UnauthorizedError('no devices for you'));
              if (user.app_metadata && user.app_metadata.sms_mfa) context.multifactor = { provider: 'sms' };
              context.idToken['https://t.example/protocol'] = context.protocol;
              callback(null, user, context);
            }
            """.write(toFile: dir + "/rules/protocol.js", atomically: true, encoding: .utf8)
        try #"{"name": "protocol", "order": 20, "enabled": true}"#.write(toFile: dir + "/rules/protocol.json", atomically: true, encoding: .utf8)
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        try await app.test { c in try await body(app, c) }
    }

    static func poll(_ c: AuthsimTestClient, _ deviceCode: String) async throws -> AuthsimTestResponse {
        try await c.form("oauth/token", ["grant_type": grant, "client_id": app, "client_secret": secret, "device_code": deviceCode])
    }

    /// The user's side: the activation page, the code, the login page.
    static func approve(_ c: AuthsimTestClient, userCode: String) async throws -> AuthsimTestResponse {
        let browser = AuthsimTestBrowser(c)
        let page = try await browser.get("activate?user_code=" + userCode)
        #expect(page.status == 200)
        let csrf = try #require(AuthsimTestBrowser.hidden("_csrf", in: page.text))
        // Typed in lower case and without the dash: still the code.
        let login = try await browser.submit("activate", ["user_code": userCode.lowercased().replacingOccurrences(of: "-", with: ""), "_csrf": csrf])
        let tx = try #require(AuthsimTestBrowser.hidden("tx", in: login.text))
        return try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
    }

    @Test func theDeviceGetsItsTokensOnceTheUserLoggedIn() async throws {
        try await Self.run { app, c in
            let codes = try await c.form("oauth/device/code", ["client_id": Self.app, "client_secret": Self.secret, "scope": "openid offline_access"])
            #expect(codes.status == 200)
            let deviceCode = try #require(codes.json["device_code"]?.stringValue)
            let userCode = try #require(codes.json["user_code"]?.stringValue)
            #expect(userCode.range(of: "^[B-Z]{4}-[B-Z]{4}$", options: .regularExpression) != nil)
            #expect(codes.json["verification_uri_complete"]?.stringValue == AuthsimTestApp.issuer + "activate?user_code=" + userCode)
            #expect(try await Self.poll(c, deviceCode).json["error"] == "authorization_pending")

            let done = try await Self.approve(c, userCode: userCode)
            #expect(done.text.contains("Your device is connected"))
            let tokens = try await Self.poll(c, deviceCode)
            #expect(tokens.status == 200)
            let claims = try JWT.decode(try #require(tokens.json["id_token"]?.stringValue)).claims
            #expect(claims["sub"]?.stringValue == InProcess.ann)
            #expect(claims["https://t.example/protocol"] == "oauth2-device-code")
            #expect(tokens.json["refresh_token"]?.stringValue != nil)
            // Once.
            #expect(try await Self.poll(c, deviceCode).json["error"] == "invalid_grant")
            // The code cannot be used again at /activate either.
            let browser = AuthsimTestBrowser(c)
            let page = try await browser.get("activate")
            let again = try await browser.submit("activate", ["user_code": userCode, "_csrf": try #require(AuthsimTestBrowser.hidden("_csrf", in: page.text))])
            #expect(again.status == 400)
            // A form posted without the page's token is refused.
            #expect(try await c.form("activate", ["user_code": userCode]).status == 403)
            _ = app
        }
    }

    @Test func aDeniedLoginDeniesTheDevice() async throws {
        try await Self.run { app, c in
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["no_devices": true], user: nil)
            let codes = try await c.form("oauth/device/code", ["client_id": Self.app, "client_secret": Self.secret])
            let deviceCode = try #require(codes.json["device_code"]?.stringValue)
            let done = try await Self.approve(c, userCode: try #require(codes.json["user_code"]?.stringValue))
            #expect(done.text.contains("was not connected"))
            let denied = try await Self.poll(c, deviceCode)
            #expect(denied.status == 403)
            #expect(denied.json["error"] == "access_denied")
            #expect(denied.json["error_description"] == "no devices for you")
            // A failure after the scripts (a second factor authsim cannot ask for) denies the
            // device too, instead of redirecting the browser to a callback it does not have.
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["no_devices": .null, "sms_mfa": true], user: nil)
            let more = try await c.form("oauth/device/code", ["client_id": Self.app, "client_secret": Self.secret])
            let page = try await Self.approve(c, userCode: try #require(more.json["user_code"]?.stringValue))
            #expect(page.header("Location") == nil)
            #expect(page.text.contains("was not connected"))
            #expect(try await Self.poll(c, try #require(more.json["device_code"]?.stringValue)).json["error"] == "access_denied")
            // An unknown code.
            #expect(try await Self.poll(c, "forged").json["error"] == "invalid_grant")
            // A client without the grant type gets no codes.
            let machine = try await c.form("oauth/device/code", ["client_id": "sampleManagementClientId0000000", "client_secret": "sample-management-secret-change-me"])
            #expect(machine.json["error"] == "unauthorized_client")
        }
    }
}
