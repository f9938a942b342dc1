import AuthsimTesting
import Crypto
import Foundation
import JSONCore
import Testing
import Tokens

/// The hybrid response types Auth0 allows (`code id_token`, `code token`, `code id_token token`):
/// the fragment carries the code with the ID token (bound to it by `c_hash`, and to the access
/// token by `at_hash`), and the code is exchanged as in the code flow.
@Suite struct HybridFlowTests {
    /// The hash a client computes independently: the left half of SHA-256, base64url.
    static func half(_ s: String) -> String {
        Data(Array(SHA256.hash(data: Data(s.utf8)).prefix(16))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test func theFragmentCarriesTheCodeAndBoundTokens() async throws {
        let app = try await InProcess.sampleApp()
        try await app.test { c in
            let browser = AuthsimTestBrowser(c)
            let base = "authorize?client_id=\(InProcess.appClient)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid%20email&state=h1"
            // An ID token in the front channel needs a nonce.
            let noNonce = try await browser.get(base + "&response_type=code%20id_token")
            #expect(noNonce.header("Location")?.contains("error=invalid_request") == true)
            let page = try await browser.get(base + "&response_type=code%20id_token%20token&nonce=n1")
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            let login = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            let location = try #require(login.header("Location"))
            #expect(location.hasPrefix(InProcess.callback + "#"))
            let fields = Dictionary(
                uniqueKeysWithValues: (URLComponents(string: InProcess.callback + "?" + (location.split(separator: "#", maxSplits: 1).last.map(String.init) ?? ""))?.queryItems ?? [])
                    .map { ($0.name, $0.value ?? "") })
            let code = try #require(fields["code"])
            let accessToken = try #require(fields["access_token"])
            let idToken = try JWT.decode(try #require(fields["id_token"]))
            #expect(fields["state"] == "h1")
            #expect(idToken.claims["nonce"] == "n1")
            #expect(idToken.claims["c_hash"]?.stringValue == Self.half(code))
            #expect(idToken.claims["at_hash"]?.stringValue == Self.half(accessToken))
            #expect(throws: Never.self) { try JWT.verifyRS256(idToken, keys: app.pipeline.issuer.keys).get() }
            // The code works at the token endpoint, once.
            let tokens = try await c.form(
                "oauth/token",
                ["grant_type": "authorization_code", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "code": code, "redirect_uri": InProcess.callback])
            #expect(tokens.status == 200)
            #expect(try JWT.decode(try #require(tokens.json["id_token"]?.stringValue)).claims["sub"]?.stringValue == InProcess.ann)
        }
    }
}
