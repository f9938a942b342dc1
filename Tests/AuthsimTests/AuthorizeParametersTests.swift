import AuthsimTesting
import Foundation
import JSONCore
import Testing
import Tokens

/// The `/authorize` parameters SDKs send that reach the scripts: `ui_locales`, `acr_values`,
/// `login_hint` and the `prompt` values (`login`, `consent`, `select_account`; `none` alone),
/// in-process on a copy of the sample tenant with an action that echoes what it saw.
@Suite struct AuthorizeParametersTests {
    static let echo = """
        exports.onExecutePostLogin = async (event, api) => {
          const t = event.transaction;
          api.idToken.setCustomClaim('https://example.com/tx', [t.ui_locales.join(' '), t.locale, t.acr_values.join(' '), t.prompt.join(' '), t.login_hint || '', event.request.language].join('|'));
        };
        """

    @Test func theScriptsSeeTheParametersAndPromptValuesAreChecked() async throws {
        let dir = try sampleTenantCopy()
        try bindPostLoginAction(in: dir, name: "echo", code: Self.echo)
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        try await app.test { c in
            let base = "authorize?client_id=\(InProcess.appClient)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=code&scope=openid&state=p1"
            let browser = AuthsimTestBrowser(c)
            // Unknown values, and `none` with another, are refused on the callback.
            #expect(try await browser.get(base + "&prompt=sometimes").header("Location")?.contains("error=invalid_request") == true)
            #expect(try await browser.get(base + "&prompt=none%20login").header("Location")?.contains("error=invalid_request") == true)
            let page = try await browser.get(base + "&prompt=consent%20select_account&ui_locales=fr-CA%20fr&acr_values=http%3A%2F%2Fschemas.openid.net%2Fpape%2Fpolicies%2F2007%2F06%2Fmulti-factor&login_hint=ann%40example.com")
            #expect(page.status == 200)
            #expect(page.text.contains("value=\"ann@example.com\""), "login_hint fills the form")
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            let done = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            let location = try #require(done.header("Location"))
            let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
            let tokens = try await c.form(
                "oauth/token",
                ["grant_type": "authorization_code", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "code": code, "redirect_uri": InProcess.callback])
            let claims = try JWT.decode(try #require(tokens.json["id_token"]?.stringValue)).claims
            #expect(
                claims["https://example.com/tx"]?.stringValue
                    == "fr-CA fr|fr-CA|http://schemas.openid.net/pape/policies/2007/06/multi-factor|consent select_account|ann@example.com|fr-CA fr")
            // prompt=login: a session does not log in silently; the login page is shown again.
            let again = try await browser.get(base + "&prompt=login")
            #expect(again.status == 200)
            #expect(AuthsimTestBrowser.hidden("tx", in: again.text) != nil)
        }
    }
}
