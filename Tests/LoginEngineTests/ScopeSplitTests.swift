import JSONCore
import Testing
import Tokens

/// Scope strings and tokens are split by the byte (`ScopeList`, `JWT.decode`): the same parts as
/// before for every well-formed input, malformed ones still refused with the part count.
@Suite struct ScopeSplitTests {
    @Test func scopesSplitOnSpacesOnly() {
        #expect(ScopeList.split("openid  profile email ") == ["openid", "profile", "email"])
        #expect(ScopeList.split("") == [])
        #expect(ScopeList.split("   ") == [])
        #expect(ScopeList.split("read:ñandú write:日本\tx") == ["read:ñandú", "write:日本\tx"])
    }

    @Test func aTokenWithManyScopesIsCheckedForEachOfThem() async throws {
        let keys = try await Shared.keys.value
        let scopes = (0..<300).map { "do:thing\($0)" }
        let claims: JSONValue = [
            "iss": "https://issuer.test/", "aud": "https://api.test", "exp": .number(Timestamp.now() + 600),
            "scope": .string(scopes.joined(separator: " ")),
        ]
        let token = try JWT.signRS256(claims: claims, key: keys.current)
        let verifier = AccessTokenVerifier(keys: keys, issuer: "https://issuer.test/", audience: "https://api.test")
        #expect(try verifier.verify(authorizationHeader: "Bearer " + token, requiredScope: "do:thing299")["scope"] == claims["scope"])
        #expect(throws: AccessTokenVerifier.Failure.self) { try verifier.verify(authorizationHeader: "Bearer " + token, requiredScope: "do:thing3000") }
        // A scope is matched whole, never as a prefix of another.
        #expect(throws: AccessTokenVerifier.Failure.self) { try verifier.verify(authorizationHeader: "Bearer " + token, requiredScope: "do:thing") }
        #expect(try JWT.decode(" " + token + "\n").claims == claims)
    }

    @Test func malformedTokensStillSayHowManyParts() {
        for (token, parts) in [("a.b", 2), ("a.b.c.d", 4), ("", 1), ("..", 3), ("x.\u{301}y.z", 3)] {
            do {
                _ = try JWT.decode(token)
                Issue.record("\(token) decoded")
            } catch {
                if parts != 3 { #expect("\(error)".contains("found \(parts)"), "\(token): \(error)") }
            }
        }
    }
}
