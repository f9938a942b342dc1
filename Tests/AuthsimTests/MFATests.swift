import AuthsimTesting
import Directory
import Foundation
import JSONCore
import LoginEngine
import Testing
import Tokens

/// Multi-factor authentication enforced after the scripts ask for it, in-process on a copy of
/// the sample tenant: the password grant's `mfa_required` and the MFA API with a TOTP code, the
/// browser's enrolment and challenge pages, an action paused by `challengeWith` and resumed in
/// `onContinuePostLogin`, and the Management API's view and reset of a user's factors.
@Suite struct MFATests {
    static let app = InProcess.appClient
    static let secret = InProcess.appSecret

    /// The sample tenant with a rule that asks for MFA (when `rule`), and an action (when given).
    static func tenant(rule: Bool, remember: Bool = false, action: String? = nil) throws -> String {
        let dir = try sampleTenantCopy()
        try editSampleApp(in: dir) { $0["grant_types"] = .array(($0["grant_types"]?.arrayValue ?? []) + ["http://auth0.com/oauth/grant-type/mfa-otp", "http://auth0.com/oauth/grant-type/mfa-oob"]) }
        if rule {
            try "function (user, context, callback) { context.multifactor = { provider: 'any', allowRememberBrowser: \(remember) }; callback(null, user, context); }"
                .write(toFile: dir + "/rules/require-mfa.js", atomically: true, encoding: .utf8)
            try #"{"name": "require-mfa", "order": 10, "enabled": true}"#.write(toFile: dir + "/rules/require-mfa.json", atomically: true, encoding: .utf8)
        }
        if let action { try bindPostLoginAction(in: dir, name: "mfa", code: action) }
        return dir
    }

    static func run(
        rule: Bool = true, remember: Bool = false, action: String? = nil, _ body: @Sendable (AuthsimTestApp, AuthsimTestClient) async throws -> Void
    ) async throws {
        let app = try await AuthsimTestApp.open(tenantDirectory: try tenant(rule: rule, remember: remember, action: action), runtime: InProcess.runtime)
        try await app.test { c in try await body(app, c) }
    }

    static func passwordGrant(_ c: AuthsimTestClient) async throws -> AuthsimTestResponse {
        try await c.form(
            "oauth/token",
            ["grant_type": "password", "username": "ann@example.com", "password": "Passw0rd!", "client_id": app, "client_secret": secret, "scope": "openid offline_access"])
    }

    static func otpGrant(_ c: AuthsimTestClient, _ mfaToken: String, _ code: String) async throws -> AuthsimTestResponse {
        try await c.form(
            "oauth/token",
            ["grant_type": "http://auth0.com/oauth/grant-type/mfa-otp", "client_id": app, "client_secret": secret, "mfa_token": mfaToken, "otp": code])
    }

    @Test func thePasswordGrantAnswersMFARequiredAndTheMFAAPIFinishesIt() async throws {
        try await Self.run { app, c in
            let first = try await Self.passwordGrant(c)
            #expect(first.status == 403)
            #expect(first.json["error"] == "mfa_required")
            let mfaToken = try #require(first.json["mfa_token"]?.stringValue)
            let bearer = ["Authorization": "Bearer " + mfaToken]
            #expect(try await c.send(.get, "mfa/authenticators", headers: bearer).json == [])

            let associate = try await c.send(
                .post, "mfa/associate", body: #"{"client_id": "\#(Self.app)", "authenticator_types": ["otp"]}"#, contentType: "application/json", headers: bearer)
            #expect(associate.status == 200)
            let totp = try #require(associate.json["secret"]?.stringValue)
            #expect(associate.json["barcode_uri"]?.stringValue?.hasPrefix("otpauth://totp/") == true)

            let wrong = try await Self.otpGrant(c, mfaToken, "000000" == TOTP.code(secret: totp, at: Timestamp.now()) ? "111111" : "000000")
            #expect(wrong.json["error"] == "invalid_grant")
            let tokens = try await Self.otpGrant(c, mfaToken, try #require(TOTP.code(secret: totp, at: Timestamp.now())))
            #expect(tokens.status == 200)
            let idToken = try JWT.decode(try #require(tokens.json["id_token"]?.stringValue))
            #expect(idToken.claims["amr"] == ["mfa"])
            #expect(tokens.json["refresh_token"]?.stringValue != nil)
            // The mfa_token is good once; the user is enrolled now.
            #expect(try await Self.otpGrant(c, mfaToken, try #require(TOTP.code(secret: totp, at: Timestamp.now() + 30))).json["error"] == "invalid_grant")
            #expect(try await app.pipeline.store.user(id: InProcess.ann)?.multifactor == ["guardian"])

            // The next login: a challenge for the enrolled app; enrolling again is refused; the
            // code of the step already used is refused (no replay), the next one works.
            let second = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
            let again = ["Authorization": "Bearer " + second]
            #expect(try await c.send(.get, "mfa/authenticators", headers: again).json.arrayValue?.first?["authenticator_type"] == "otp")
            #expect(try await c.send(.post, "mfa/associate", body: #"{"authenticator_types": ["otp"]}"#, contentType: "application/json", headers: again).status == 403)
            let challenge = try await c.form("mfa/challenge", ["client_id": Self.app, "client_secret": Self.secret, "mfa_token": second, "challenge_type": "otp"])
            #expect(challenge.json["challenge_type"] == "otp")
            let next = try await Self.otpGrant(c, second, try #require(TOTP.code(secret: totp, at: Timestamp.now() + 30)))
            #expect(next.status == 200)
        }
    }

    /// Every grant: a refresh whose flow asks for a second factor gets `mfa_required` (the token
    /// stays usable); an enrolment belongs to the login that started it; ten wrong codes lock
    /// the user's codes across logins; a factor authsim does not simulate is named, not replaced.
    @Test func everyGrantAsksAndEnrolmentsAndFailuresAreBoundToTheUser() async throws {
        try await Self.run(rule: false, action: """
            exports.onExecutePostLogin = async (event, api) => {
              if (event.user.app_metadata.push) api.authentication.challengeWith({ type: 'push-notification' });
              else if (event.transaction && event.user.app_metadata.step_up) api.multifactor.enable('any');
            };
            """) { app, c in
            let refresh = try #require(try await Self.passwordGrant(c).json["refresh_token"]?.stringValue)
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["step_up": true], user: nil)
            let asked = try await c.form("oauth/token", ["grant_type": "refresh_token", "client_id": Self.app, "client_secret": Self.secret, "refresh_token": refresh])
            #expect(asked.status == 403)
            #expect(asked.json["error"] == "mfa_required")
            #expect(asked.json["mfa_requirements"] == ["enroll": [["type": "otp"], ["type": "email"], ["type": "phone"]]])

            // Two logins enrolling at once: each may confirm only its own secret.
            let one = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
            let two = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
            func associate(_ t: String) async throws -> String {
                try #require(
                    try await c.send(.post, "mfa/associate", body: #"{"authenticator_types": ["otp"]}"#, contentType: "application/json", headers: ["Authorization": "Bearer " + t])
                        .json["secret"]?.stringValue)
            }
            let s1 = try await associate(one), s2 = try await associate(two)
            #expect(try await Self.otpGrant(c, one, try #require(TOTP.code(secret: s2, at: Timestamp.now()))).json["error_description"] == "Invalid otp_code.")
            #expect(try await Self.otpGrant(c, one, try #require(TOTP.code(secret: s1, at: Timestamp.now()))).status == 200)

            // Ten wrong codes over several logins: the right one is refused too, for a while.
            let good = { try #require(TOTP.code(secret: s1, at: Timestamp.now() + 30)) }
            var wrongs = 0
            while wrongs < 10 {
                let t = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
                for _ in 0..<4 where wrongs < 10 {
                    let bad = try good() == "123456" ? "654321" : "123456"
                    #expect(try await Self.otpGrant(c, t, bad).json["error"] == "invalid_grant")
                    wrongs += 1
                }
            }
            let locked = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
            #expect(try await Self.otpGrant(c, locked, try good()).json["error_description"] == "Invalid otp_code.")

            // A factor authsim does not simulate.
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["push": true], user: nil)
            let push = try await Self.passwordGrant(c)
            #expect(push.json["error"] == "access_denied")
            #expect(push.json["error_description"]?.stringValue?.contains("push-notification") == true)
        }
    }

    static func oobGrant(_ c: AuthsimTestClient, _ mfaToken: String, _ oobCode: String, _ code: String) async throws -> AuthsimTestResponse {
        try await c.form(
            "oauth/token",
            ["grant_type": "http://auth0.com/oauth/grant-type/mfa-oob", "client_id": app, "client_secret": secret, "mfa_token": mfaToken, "oob_code": oobCode,
             "binding_code": code])
    }

    /// The code the daemon "sent" (there is no mail or SMS: the log, and this API).
    static func sentCode(_ c: AuthsimTestClient, _ app: AuthsimTestApp, to userId: String = InProcess.ann) async throws -> JSONValue {
        let res = try await c.send(.get, "api/authsim/mfa/code?user_id=\(userId.replacingOccurrences(of: "|", with: "%7C"))", token: try app.managementToken())
        #expect(res.status == 200)
        return res.json
    }

    @Test func emailAndSMSFactorsThroughTheMFAAPIAndTheMFAOOBGrant() async throws {
        let email = "exports.onExecutePostLogin = async (event, api) => { api.authentication.challengeWith({ type: event.user.app_metadata.factor || 'email' }); };"
        try await Self.run(rule: false, action: email) { app, c in
            let first = try await Self.passwordGrant(c)
            #expect(first.json["error"] == "mfa_required")
            let mfaToken = try #require(first.json["mfa_token"]?.stringValue)
            let bearer = ["Authorization": "Bearer " + mfaToken]
            // The action asked for email: a TOTP app is not what it wants.
            let otp = try await c.send(.post, "mfa/associate", body: #"{"authenticator_types": ["otp"]}"#, contentType: "application/json", headers: bearer)
            #expect(otp.status == 403)
            let associate = try await c.send(
                .post, "mfa/associate", body: #"{"authenticator_types": ["oob"], "oob_channels": ["email"]}"#, contentType: "application/json", headers: bearer)
            #expect(associate.status == 200)
            #expect(associate.json["oob_channel"] == "email")
            #expect(associate.json["binding_method"] == "prompt")
            let oobCode = try #require(associate.json["oob_code"]?.stringValue)
            let sent = try await Self.sentCode(c, app)
            #expect(sent["to"] == "ann@example.com")
            let code = try #require(sent["code"]?.stringValue)
            #expect(code.count == 6)
            let wrong = try await Self.oobGrant(c, mfaToken, oobCode, code == "000000" ? "111111" : "000000")
            #expect(wrong.status == 403)
            #expect(wrong.json["error_description"] == "Invalid binding_code.")
            let done = try await Self.oobGrant(c, mfaToken, oobCode, code)
            #expect(done.status == 200)
            let idToken = try JWT.decode(try #require(done.json["id_token"]?.stringValue))
            #expect(idToken.claims["amr"] == ["mfa"])
            // The code was good once; the factor is now the user's.
            #expect(try await Self.oobGrant(c, mfaToken, oobCode, code).status == 403)
            let factors = try await app.pipeline.authenticators(userId: InProcess.ann)
            #expect(factors.map(\.factor) == ["email"])
            #expect(factors.first?.confirmed == true)

            // Next login: a challenge by email (a new code), answered with the mfa-oob grant.
            let second = try await Self.passwordGrant(c)
            #expect(second.json["mfa_requirements"] == ["challenge": [["type": "email"]]])
            let token2 = try #require(second.json["mfa_token"]?.stringValue)
            let challenge = try await c.form("mfa/challenge", ["client_id": Self.app, "client_secret": Self.secret, "mfa_token": token2, "challenge_type": "oob"])
            #expect(challenge.json["challenge_type"] == "oob")
            let oob2 = try #require(challenge.json["oob_code"]?.stringValue)
            let code2 = try #require(try await Self.sentCode(c, app)["code"]?.stringValue)
            // The code belongs to the login it was sent for: another login of the user cannot use it.
            let token3 = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
            #expect(try await Self.oobGrant(c, token3, oob2, code2).status == 403)
            #expect(try await Self.oobGrant(c, token2, oob2, code2).status == 200)
            // The MFA API shows the address masked.
            let listed = try await c.send(.get, "mfa/authenticators", headers: ["Authorization": "Bearer " + token3])
            #expect(listed.json.arrayValue?.first?["name"] == "a•••@example.com")
            #expect(listed.json.arrayValue?.first?["email"] == nil)

            // A login that asks for otp, of a user whose factor is email: no TOTP enrolment takes
            // its place (whoever knows the password would get past the email factor).
            _ = try await app.pipeline.store.mergeMetadata(id: InProcess.ann, app: ["factor": "otp"], user: nil)
            let otpOnly = try await Self.passwordGrant(c)
            #expect(otpOnly.json["mfa_requirements"] == ["challenge": []])
            let otpToken = try #require(otpOnly.json["mfa_token"]?.stringValue)
            let enrol = try await c.send(
                .post, "mfa/associate", body: #"{"authenticator_types": ["otp"]}"#, contentType: "application/json", headers: ["Authorization": "Bearer " + otpToken])
            #expect(enrol.status == 403)
            let browser = AuthsimTestBrowser(c)
            let page = try await browser.get("authorize?response_type=code&client_id=\(Self.app)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid&state=s")
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            let login = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            let mfa = try await browser.get(String(try #require(login.header("Location")).dropFirst()))
            #expect(mfa.header("Location")?.contains("error=access_denied") == true, "\(mfa.text)")
            #expect(try await app.pipeline.authenticators(userId: InProcess.ann).map(\.factor) == ["email"])
        }
        // SMS: a phone number in E.164 form; the factor is `phone`.
        let phone = "exports.onExecutePostLogin = async (event, api) => { api.authentication.challengeWith({ type: 'phone' }); };"
        try await Self.run(rule: false, action: phone) { app, c in
            let mfaToken = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
            let bearer = ["Authorization": "Bearer " + mfaToken]
            let bad = try await c.send(
                .post, "mfa/associate", body: #"{"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "555"}"#, contentType: "application/json", headers: bearer)
            #expect(bad.status == 400)
            let associate = try await c.send(
                .post, "mfa/associate", body: #"{"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15551234567"}"#, contentType: "application/json",
                headers: bearer)
            let oobCode = try #require(associate.json["oob_code"]?.stringValue)
            let sent = try await Self.sentCode(c, app)
            #expect(sent["channel"] == "sms")
            #expect(try await Self.oobGrant(c, mfaToken, oobCode, try #require(sent["code"]?.stringValue)).status == 200)
            #expect(try await app.pipeline.authenticators(userId: InProcess.ann).map(\.factor) == ["phone"])
            // The Management API's view of it, as Auth0 shows an SMS factor.
            let token = try app.managementToken()
            let methods = try await c.send(.get, "api/v2/users/\(InProcess.annPath)/authentication-methods", token: token)
            #expect(methods.json.arrayValue?.first?["type"] == "phone")
            #expect(methods.json.arrayValue?.first?["phone_number"] == "+15551234567")
            let enrollments = try await c.send(.get, "api/v2/users/\(InProcess.annPath)/enrollments", token: token)
            #expect(enrollments.json.arrayValue?.first?["type"] == "sms")
        }
    }

    @Test func theBrowserSendsAnEmailCodeWhenTheActionAsksForEmail() async throws {
        let email = "exports.onExecutePostLogin = async (event, api) => { api.authentication.challengeWith({ type: 'email' }); };"
        try await Self.run(rule: false, action: email) { app, c in
            let browser = AuthsimTestBrowser(c)
            let page = try await browser.get("authorize?response_type=code&client_id=\(Self.app)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid&state=s")
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            let login = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            let mfaPath = String(try #require(login.header("Location")).dropFirst())
            let challenge = try await browser.get(mfaPath)
            #expect(challenge.text.contains("We sent a code to a•••@example.com"))
            // Loading the page again sends no second code.
            let code = try #require(try await Self.sentCode(c, app)["code"]?.stringValue)
            _ = try await browser.get(mfaPath)
            #expect(try await app.pipeline.pendingOOBCodes(userId: InProcess.ann).count == 1)
            let state = try #require(AuthsimTestBrowser.hidden("state", in: challenge.text))
            let done = try await browser.submit("mfa", ["state": state, "code": code])
            #expect(done.header("Location")?.hasPrefix(InProcess.callback + "?code=") == true, "\(done.header("Location") ?? done.text)")
            #expect(try await app.pipeline.authenticators(userId: InProcess.ann).map(\.factor) == ["email"])
        }
    }

    @Test func fiveWrongCodesEndTheWait() async throws {
        try await Self.run { app, c in
            let mfaToken = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
            let secret = try #require(
                try await c.send(.post, "mfa/associate", body: #"{"authenticator_types": ["otp"]}"#, contentType: "application/json", headers: ["Authorization": "Bearer " + mfaToken])
                    .json["secret"]?.stringValue)
            let good = try #require(TOTP.code(secret: secret, at: Timestamp.now()))
            let bad = good == "123456" ? "654321" : "123456"
            for _ in 0..<5 { #expect(try await Self.otpGrant(c, mfaToken, bad).json["error"] == "invalid_grant") }
            #expect(try await Self.otpGrant(c, mfaToken, good).json["error_description"] == "Malformed mfa_token")
        }
    }

    /// The browser's login: to `/mfa` (bound to this browser), the enrolment page with the secret,
    /// a code, then the app's callback; the ID token has `amr`, the session the `mfa` method, and
    /// a silent login in the same session needs no second factor.
    @Test func theBrowserEnrolsThenPassesTheChallengeAndTheSessionRemembersIt() async throws {
        try await Self.run { app, c in
            let browser = AuthsimTestBrowser(c)
            let query = "authorize?response_type=code&client_id=\(Self.app)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid&state=s"
            let page = try await browser.get(query)
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            let login = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            let mfaPath = String(try #require(login.header("Location")).dropFirst())
            #expect(mfaPath.hasPrefix("mfa?state="))
            // Another browser cannot use the step.
            #expect(try await AuthsimTestBrowser(c).get(mfaPath).status == 400)
            let enrol = try await browser.get(mfaPath)
            #expect(enrol.status == 200)
            #expect(enrol.text.contains("<svg"))
            let secret = try #require(enrol.text.range(of: #"id="mfa-secret">[A-Z2-7]+<"#, options: .regularExpression).map { String(enrol.text[$0].dropFirst(16).dropLast()) })
            let state = try #require(AuthsimTestBrowser.hidden("state", in: enrol.text))
            let wrong = try await browser.submit("mfa", ["state": state, "code": "12345"])
            #expect(wrong.status == 401)
            #expect(wrong.text.contains(secret), "the same secret is shown again after a wrong code")
            let done = try await browser.submit("mfa", ["state": state, "code": try #require(TOTP.code(secret: secret, at: Timestamp.now()))])
            let callback = try #require(done.header("Location"))
            #expect(callback.hasPrefix(InProcess.callback + "?code="))
            let code = try #require(URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
            let tokens = try await c.form(
                "oauth/token", ["grant_type": "authorization_code", "client_id": Self.app, "client_secret": Self.secret, "code": code, "redirect_uri": InProcess.callback])
            let idToken = try JWT.decode(try #require(tokens.json["id_token"]?.stringValue))
            #expect(idToken.claims["amr"] == ["mfa"])
            let sid = try #require(idToken.claims["sid"]?.stringValue)
            #expect(try await app.pipeline.session(id: sid)?.methods.map(\.name) == ["pwd", "mfa"])
            // The step is spent; a silent login in the session goes straight to the app.
            #expect(try await browser.submit("mfa", ["state": state, "code": "000000"]).status == 400)
            let silent = try await browser.get(query + "&prompt=none")
            #expect(silent.header("Location")?.hasPrefix(InProcess.callback + "?code=") == true)
            // The Management API sees the enrolment, and resets it.
            let token = try app.managementToken()
            let methods = try await c.send(.get, "api/v2/users/\(InProcess.annPath)/authentication-methods", token: token)
            #expect(methods.json.arrayValue?.map { $0["type"] } == ["totp"])
            #expect(methods.json.arrayValue?.first?["confirmed"] == true)
            #expect(try await c.send(.get, "api/v2/users/\(InProcess.annPath)/enrollments", token: token).json.arrayValue?.first?["status"] == "confirmed")
            #expect(try await c.send(.delete, "api/v2/users/\(InProcess.annPath)/multifactor/google-authenticator", token: token).status == 204)
            #expect(try await c.send(.get, "api/v2/users/\(InProcess.annPath)/authentication-methods", token: token).json == [])
            #expect(try await app.pipeline.store.user(id: InProcess.ann)?.multifactor == [])
        }
    }

    /// `allowRememberBrowser: true`: a browser that passed the factor is not asked again (a new
    /// login with `prompt=login`), until the user's MFA is reset.
    @Test func aRememberedBrowserIsNotAskedAgainUntilTheReset() async throws {
        try await Self.run(remember: true) { app, c in
            let browser = AuthsimTestBrowser(c)
            let query = "authorize?response_type=code&client_id=\(Self.app)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid&state=s&prompt=login"
            func login() async throws -> String {
                let page = try await browser.get(query)
                let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
                return try #require(try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"]).header("Location"))
            }
            let first = try await login()
            #expect(first.hasPrefix("/mfa?state="))
            let enrol = try await browser.get(String(first.dropFirst()))
            let secret = try #require(enrol.text.range(of: #"id="mfa-secret">[A-Z2-7]+<"#, options: .regularExpression).map { String(enrol.text[$0].dropFirst(16).dropLast()) })
            let state = try #require(AuthsimTestBrowser.hidden("state", in: enrol.text))
            #expect(try await browser.submit("mfa", ["state": state, "code": try #require(TOTP.code(secret: secret, at: Timestamp.now()))]).header("Location")?.hasPrefix(InProcess.callback) == true)
            // The same browser, a new login: no second factor asked, and the ID token says MFA.
            let second = try await login()
            #expect(second.hasPrefix(InProcess.callback + "?code="))
            let code = try #require(URLComponents(string: second)?.queryItems?.first { $0.name == "code" }?.value)
            let tokens = try await c.form(
                "oauth/token", ["grant_type": "authorization_code", "client_id": Self.app, "client_secret": Self.secret, "code": code, "redirect_uri": InProcess.callback])
            #expect(try JWT.decode(try #require(tokens.json["id_token"]?.stringValue)).claims["amr"] == ["mfa"])
            // Another browser is asked; after a reset, this one is too.
            let other = AuthsimTestBrowser(c)
            let page = try await other.get(query)
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            #expect(try await other.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"]).header("Location")?.hasPrefix("/mfa?") == true)
            #expect(try await c.send(.delete, "api/v2/users/\(InProcess.annPath)/multifactor/google-authenticator", token: try app.managementToken()).status == 204)
            #expect(try await login().hasPrefix("/mfa?state="))
        }
    }

    static let challengeAction = """
        exports.onExecutePostLogin = async (event, api) => {
          api.idToken.setCustomClaim('https://t.example/enrolled', event.user.enrolledFactors.map(f => f.type));
          if (!event.authentication.methods.some(m => m.name === 'mfa')) api.authentication.challengeWith({ type: 'otp' });
        };
        exports.onContinuePostLogin = async (event, api) => {
          api.idToken.setCustomClaim('https://t.example/methods', event.authentication.methods.map(m => m.name));
        };
        """

    @Test func anActionPausedByChallengeWithResumesInOnContinuePostLogin() async throws {
        try await Self.run(rule: false, action: Self.challengeAction) { app, c in
            // The password grant: mfa_required; the grant resumes the action.
            let mfaToken = try #require(try await Self.passwordGrant(c).json["mfa_token"]?.stringValue)
            let secret = try #require(
                try await c.send(.post, "mfa/associate", body: #"{"authenticator_types": ["otp"]}"#, contentType: "application/json", headers: ["Authorization": "Bearer " + mfaToken])
                    .json["secret"]?.stringValue)
            let tokens = try await Self.otpGrant(c, mfaToken, try #require(TOTP.code(secret: secret, at: Timestamp.now())))
            #expect(tokens.status == 200)
            let claims = try JWT.decode(try #require(tokens.json["id_token"]?.stringValue)).claims
            #expect(claims["https://t.example/methods"] == ["pwd", "mfa"])
            #expect(claims["https://t.example/enrolled"] == [], "the claim of the first run, before enrolment, is kept")
            #expect(claims["amr"] == ["mfa"])

            // A simulation chooses the outcome: pass resumes, fail denies, not_enrolled leaves it pending.
            func simulate(_ outcome: String?) async throws -> JSONValue {
                let body = #"{"user": "ann@example.com", "client": "My App"\#(outcome.map { #", "mfa": "\#($0)""# } ?? "")}"#
                return try await c.send(.post, "api/authsim/simulate", body: body, contentType: "application/json", token: try app.managementToken()).json
            }
            let passed = try await simulate("pass")
            #expect(passed["outcome"] == "allowed")
            #expect(passed["idToken"]?["claims"]?["https://t.example/methods"] == ["pwd", "mfa"])
            #expect(passed["idToken"]?["claims"]?["https://t.example/enrolled"] == ["otp"])
            #expect(try await simulate("fail")["outcome"] == "denied")
            let pending = try await simulate("not_enrolled")
            #expect(pending["outcome"] == "redirect")
            #expect(pending["mfaRequired"]?["pausedAction"] == "mfa")
            #expect(try await simulate(nil)["mfaRequired"]?["factors"] == ["otp"])
        }
    }
}
