import Directory
import Foundation
import JSONCore
import ManagementAPI
import Testing

@testable import LoginEngine
import Tokens

/// Hostile rules: each must fail its own login cleanly and leave the workers serving.
@Suite struct HostileRuleTests {
    func hostile(_ name: String, _ body: String, timeout: Double = 1) async throws -> (SimulationResult, SimulationResult) {
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"flow_timeout_seconds": \#(timeout)}}"#
        f.rules = [(name, "function (user, context, callback) { if (context.request.query.hostile) { \(body) } context.idToken['https://t/ok'] = true; callback(null, user, context); }")]
        let p = try await makePipeline(f)
        let bad = try await simulate(p) { $0.query = ["hostile": "1"] }
        // The next logins succeed, on every worker.
        var good: SimulationResult?
        for _ in 0..<4 {
            good = try await simulate(p)
            #expect(good?.outcome == .allowed)
            #expect(good?.idClaims["https://t/ok"] == true)
        }
        return (bad, good!)
    }

    @Test func infiniteLoopInASyncRule() async throws {
        let (bad, _) = try await hostile("spin", "while (true) {}")
        #expect(bad.outcome == .error)
        #expect(bad.error?.description.contains("rule 'spin'") == true)
        #expect(bad.error?.description.contains("time exceeded") == true)
    }

    @Test func infiniteLoopInsideAPromiseCallback() async throws {
        let (bad, _) = try await hostile("promise-spin", "return Promise.resolve().then(function () { while (true) {} });")
        #expect(bad.outcome == .error)
        #expect(bad.error?.description.contains("rule 'promise-spin'") == true)
    }

    @Test func allocationBombStopsAtTheHeapBudget() async throws {
        let (bad, _) = try await hostile("bomb", "var a = []; while (true) { a.push(new Array(100000).fill(1.5)); }", timeout: 30)
        #expect(bad.outcome == .error)
        #expect(bad.error?.description.contains("memory limit exceeded in rule 'bomb'") == true)
    }

    @Test func deepRecursionIsReportedCleanly() async throws {
        let (bad, _) = try await hostile("recurse", "function f(n) { return f(n + 1) + 1; } f(0);")
        #expect(bad.outcome == .denied)
        #expect(bad.error == FlowError("access_denied", "Maximum call stack size exceeded"))
    }

    @Test func syntaxErrorNamesFileAndLine() async throws {
        var f = TenantFixture()
        f.rules = [
            ("good", "function (user, context, callback) { callback(null, user, context); }"),
            ("broken", "function (user, context, callback) {\n  const x = {;\n  callback(null, user, context);\n}\n"),
        ]
        let p = try await makePipeline(f)
        await #expect {
            _ = try await simulate(p)
        } throws: { error in
            guard case .script(let file, let line, let message) = error as? PipelineError else { return false }
            return file == "rules/broken.js" && line == 2 && message.contains("SyntaxError")
        }
    }
}

@Suite struct MetadataThroughRulesTests {
    @Test func mergeSemanticsFromRules() async throws {
        var f = TenantFixture()
        f.rules = [("merge", """
            async function (user, context, callback) {
              const results = {};
              await auth0.users.updateUserMetadata(user.user_id, { lang: null, prefs: { theme: 'light' }, added: 1 });
              try { await auth0.users.updateUserMetadata(user.user_id, { 'a.b': 1 }); } catch (e) { results.dot = e.message; }
              try { await auth0.users.updateAppMetadata(user.user_id, { email: 'x' }); } catch (e) { results.reserved = e.message; }
              await auth0.users.updateAppMetadata(user.user_id, {});
              context.idToken['https://t/results'] = results;
              callback(null, user, context);
            }
            """)]
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        #expect(r.outcome == .allowed)
        #expect(r.persistedUserMetadata == ["prefs": ["theme": "light"], "added": 1])
        #expect(r.persistedAppMetadata == [:])
        let results = try #require(r.idClaims["https://t/results"])
        #expect(results["dot"]?.stringValue?.contains("may not contain '.' or '$'") == true)
        #expect(results["reserved"]?.stringValue?.contains("reserved name 'email'") == true)
        let writes = r.traceEntry("merge")?["changes"]?["metadataWrites"]?.arrayValue ?? []
        #expect(writes.count == 4)
        #expect(writes.filter { $0["error"] != nil }.count == 2)
    }
}

@Suite struct ClaimFilterTests {
    func run(_ body: String, tenant: String? = nil, audience: String? = nil) async throws -> SimulationResult {
        var f = TenantFixture()
        if let tenant { f.tenantJSON = tenant }
        f.rules = [("claims", "function (user, context, callback) { \(body) callback(null, user, context); }")]
        return try await simulate(try await makePipeline(f)) { $0.audience = audience }
    }

    @Test func restrictedAndAuth0NamespacedClaimsAreDroppedAndReported() async throws {
        let r = try await run("""
            context.idToken.sub = 'hijack'; context.idToken.roles = ['x']; context.accessToken.permissions = ['all'];
            context.idToken['https://auth0.com/claim'] = 1; context.idToken['https://my.webtask.io/c'] = 2; context.idToken['urn:auth0:x'] = 3;
            context.idToken['https://example.com/ok'] = 4; context.idToken.favorite_color = 'blue'; context.accessToken.tier = 'gold';
            """)
        #expect(r.outcome == .allowed)
        #expect(r.idClaims["sub"] == .string(TestUsers.ann().userId))
        #expect(r.idClaims["roles"] == nil)
        #expect(r.accessClaims["permissions"] == nil)
        #expect(r.idClaims["https://auth0.com/claim"] == nil)
        #expect(r.idClaims["https://my.webtask.io/c"] == nil)
        #expect(r.idClaims["urn:auth0:x"] == nil)
        #expect(r.idClaims["https://example.com/ok"] == 4)
        #expect(r.idClaims["favorite_color"] == "blue")
        #expect(r.accessClaims["tier"] == "gold")
        #expect(Set(r.droppedClaims.map(\.claim)) == ["sub", "roles", "permissions", "https://auth0.com/claim", "https://my.webtask.io/c", "urn:auth0:x"])
        #expect(r.droppedClaims.allSatisfy { $0.setBy == "claims" })
        #expect(r.traceEntry("claims")?["droppedClaims"]?.arrayValue?.count == 6)
    }

    @Test func nonNamespacedClaimsAreDroppedOnManagementAPITokens() async throws {
        let r = try await run("context.accessToken.tier = 'gold'; context.accessToken['https://t/ns'] = 1;", audience: "https://test.authsim.local/api/v2/")
        #expect(r.accessClaims["tier"] == nil)
        #expect(r.accessClaims["https://t/ns"] == 1)
        #expect(r.droppedClaims.map(\.claim) == ["tier"])
    }

    @Test func legacyFlagKeepsOnlyNamespacedClaims() async throws {
        let r = try await run(
            "context.idToken.favorite_color = 'blue'; context.idToken['https://t/ns'] = 1; context.accessToken.tier = 'gold';",
            tenant: #"{"flags": {"legacy_namespaced_claims": true}, "default_audience": "https://api.test"}"#)
        #expect(r.idClaims["favorite_color"] == nil)
        #expect(r.accessClaims["tier"] == nil)
        #expect(r.idClaims["https://t/ns"] == 1)
        #expect(r.droppedClaims.count == 2)
    }

    @Test func customClaimsOver100KBFailTheLoginNamingTheToken() async throws {
        let r = try await run("context.idToken['https://t/big'] = 'x'.repeat(101 * 1024);")
        #expect(r.outcome == .error)
        #expect(r.error?.description.contains("ID token") == true)
        #expect(r.idToken == nil)
        let fine = try await run("context.idToken['https://t/big'] = 'x'.repeat(90 * 1024);")
        #expect(fine.outcome == .allowed)
    }

    @Test func scopeOverrideReplacesGrantedScopes() async throws {
        let r = try await run("context.accessToken.scope = ['openid', 'read:things'];")
        #expect(r.accessClaims["scope"] == "openid read:things")
        #expect(r.accessClaims["aud"] == ["https://api.test", "https://test.authsim.local/userinfo"])
    }
}

@Suite struct ConcurrencyTests {
    @Test func concurrentSimulationsOnAllWorkersAreIndependent() async throws {
        var f = TenantFixture()
        f.rules = [
            ("stash", "function (user, context, callback) { setTimeout(function () { context.idToken['https://t/who'] = user.email; callback(null, user, context); }, 5); }"),
            ("echo", "async function (user, context, callback) { await auth0.users.updateUserMetadata(user.user_id, { n: user.user_metadata.n }); context.idToken['https://t/n'] = user.user_metadata.n; callback(null, user, context); }"),
        ]
        let users = (0..<24).map { i -> UserProfile in
            var u = UserProfile(userId: "auth0|user\(i)", connection: "Username-Password-Authentication", email: "u\(i)@test.local")
            u.emailVerified = true
            u.userMetadata = ["n": .number(Double(i))]
            return u
        }
        let p = try await makePipeline(f, users: users)
        let results = try await withThrowingTaskGroup(of: (Int, SimulationResult).self) { group in
            for i in 0..<24 { group.addTask { (i, try await simulate(p, user: "u\(i)@test.local")) } }
            var all: [(Int, SimulationResult)] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 24)
        for (i, r) in results {
            #expect(r.outcome == .allowed)
            #expect(r.idClaims["https://t/who"] == .string("u\(i)@test.local"))
            #expect(r.idClaims["https://t/n"] == .number(Double(i)))
            #expect(r.idClaims["sub"] == .string("auth0|user\(i)"))
        }
    }
}

@Suite struct AccessTokenVerifierTests {
    /// A token whose signature was verified once is remembered by its key set, and everything
    /// else is still checked on every use: scope, audience, expiry. A forged token is never
    /// remembered, and another key set does not take the remembered ones.
    @Test func aRememberedTokenIsStillCheckedEachTime() async throws {
        // Keys of its own: it counts what they remember, and other tests verify tokens meanwhile.
        let p = try await makePipeline(TenantFixture(), keys: SigningKeys(current: try SigningKeys.generate(), previous: nil))
        let keys = p.issuer.keys
        let verifier = p.managementTokenVerifier
        let token = try p.localManagementToken(scopes: ["read:users"], lifetime: 600)
        let claims = try verifier.verify(authorizationHeader: "Bearer " + token, requiredScope: "read:users")
        #expect(keys.verifiedTokens.entry(of: token)?.claims == claims)
        // The scopes are split once, with the claims, and are the token's own.
        #expect(keys.verifiedTokens.entry(of: token)?.scopes == ["read:users"])
        #expect(try verifier.verify(authorizationHeader: "Bearer " + token, requiredScope: "read:users") == claims)
        func failure(_ verify: () throws(AccessTokenVerifier.Failure) -> JSONValue) -> AccessTokenVerifier.Failure? {
            do { _ = try verify(); return nil } catch { return error }
        }
        #expect(failure { () throws(AccessTokenVerifier.Failure) in try verifier.verify(authorizationHeader: "Bearer " + token, requiredScope: "update:users") }?.status == 403)
        let later = (claims["exp"]?.doubleValue ?? 0) + 1
        #expect(failure { () throws(AccessTokenVerifier.Failure) in try verifier.verify(authorizationHeader: "Bearer " + token, requiredScope: "read:users", now: later) }?.errorCode == "token_expired")
        let otherAudience = AccessTokenVerifier(keys: keys, issuer: verifier.issuer, audience: "https://elsewhere.test/")
        #expect(failure { () throws(AccessTokenVerifier.Failure) in try otherAudience.verify(authorizationHeader: "Bearer " + token, requiredScope: "read:users") }?.errorCode == "invalid_audience")
        // The same claims under another signature: refused, and not remembered.
        let parts = token.split(separator: ".").map(String.init)
        let signature = parts[2]
        let forged: String = parts[0] + "." + parts[1] + "." + (signature.hasPrefix("A") ? "B" : "A") + String(signature.dropFirst())
        #expect(failure { () throws(AccessTokenVerifier.Failure) in try verifier.verify(authorizationHeader: "Bearer " + forged, requiredScope: "read:users") }?.errorCode == "invalid_signature")
        #expect(keys.verifiedTokens.entry(of: forged) == nil)
        // Only a token's plain text is remembered: the variants the decoder forgives (spaces,
        // `=` padding) verify as before but take no place, a Unicode look-alike of the text (a
        // Kelvin sign for a K) does not match it, and neither does an expired token stay.
        let before = keys.verifiedTokens.count
        #expect(try verifier.verify(authorizationHeader: "Bearer  " + token + " ", requiredScope: "read:users") == claims)
        #expect(try verifier.verify(authorizationHeader: "Bearer " + token + "=", requiredScope: "read:users") == claims)
        #expect(keys.verifiedTokens.count == before)
        var withK = token
        for extra in ["read:roles", "read:logs", "read:rules", "read:clients", "read:actions", "read:connections"] where !withK.contains("K") {
            withK = try p.localManagementToken(scopes: ["read:users", extra], lifetime: 600)
        }
        #expect(withK.contains("K"))
        _ = try verifier.verify(authorizationHeader: "Bearer " + withK, requiredScope: "read:users")
        let kelvin = withK.replacingOccurrences(of: "K", with: "\u{212A}")
        #expect(keys.verifiedTokens.entry(of: kelvin) == nil)
        #expect(failure { () throws(AccessTokenVerifier.Failure) in try verifier.verify(authorizationHeader: "Bearer " + kelvin, requiredScope: "read:users") }?.errorCode == "invalid_token")
        let expired = try p.localManagementToken(scopes: ["read:users"], lifetime: -10)
        #expect(failure { () throws(AccessTokenVerifier.Failure) in try verifier.verify(authorizationHeader: "Bearer " + expired, requiredScope: "read:users") }?.errorCode == "token_expired")
        #expect(keys.verifiedTokens.entry(of: expired) == nil)
        // A token with more scopes than a remembered one may have verifies as before, and is
        // verified again at every use instead of taking a place.
        let many = (0..<(VerifiedTokens.maximumScopes + 1)).map { "s\($0)" } + ["read:users"]
        let crowded = try p.localManagementToken(scopes: many, lifetime: 600)
        let countBefore = keys.verifiedTokens.count
        for _ in 0..<2 { #expect(try verifier.verify(authorizationHeader: "Bearer " + crowded, requiredScope: "read:users")["scope"]?.stringValue == many.joined(separator: " ")) }
        #expect(keys.verifiedTokens.entry(of: crowded) == nil)
        #expect(keys.verifiedTokens.count == countBefore)
        // Keys after a rotation that dropped this one know nothing of it.
        let rotated = SigningKeys(current: try SigningKeys.generate(), previous: nil)
        let rotatedVerifier = AccessTokenVerifier(keys: rotated, issuer: verifier.issuer, audiences: verifier.audiences)
        #expect(failure { () throws(AccessTokenVerifier.Failure) in try rotatedVerifier.verify(authorizationHeader: "Bearer " + token, requiredScope: "read:users") }?.errorCode == "invalid_signature")
    }

    @Test func theRememberedTokensAreBounded() {
        let cache = VerifiedTokens()
        for i in 0..<(VerifiedTokens.capacity * 3 + 7) { cache.remember("token-\(i)", VerifiedTokens.Entry(claims: ["n": .number(Double(i))])) }
        #expect(cache.count == VerifiedTokens.capacity)
        #expect(cache.entry(of: "token-0") == nil)
        #expect(cache.entry(of: "token-\(VerifiedTokens.capacity * 3 + 6)")?.claims["n"] == .number(Double(VerifiedTokens.capacity * 3 + 6)))
        cache.remember("token-\(VerifiedTokens.capacity * 3 + 6)", VerifiedTokens.Entry(claims: ["n": 0]))  // a token already kept is not added twice
        #expect(cache.count == VerifiedTokens.capacity)
        // Oldest first out, across the compactions of the insertion order.
        let firstKept = VerifiedTokens.capacity * 2 + 7
        #expect(cache.entry(of: "token-\(firstKept)") != nil)
        #expect(cache.entry(of: "token-\(firstKept - 1)") == nil)
        #expect(cache.entry(of: "token 1") == nil)
        cache.remember("token 1", VerifiedTokens.Entry(claims: ["n": 1]))  // not a token's plain form: not kept
        #expect(cache.entry(of: "token 1") == nil)
    }

    @Test func scopesAudienceAndSignatureAreChecked() async throws {
        let p = try await makePipeline(TenantFixture())
        let verifier = p.managementTokenVerifier
        let full = try p.localManagementToken(scopes: ["read:users", "simulate:logins"])
        #expect(throws: Never.self) { try verifier.verify(authorizationHeader: "Bearer " + full, requiredScope: "simulate:logins") }
        let narrow = try p.localManagementToken(scopes: ["read:users"])
        #expect(throws: AccessTokenVerifier.Failure.self) { try verifier.verify(authorizationHeader: "Bearer " + narrow, requiredScope: "simulate:logins") }
        do {
            _ = try verifier.verify(authorizationHeader: "Bearer " + narrow, requiredScope: "simulate:logins")
        } catch {
            #expect(error.status == 403)
        }
        let expired = try p.localManagementToken(scopes: ["simulate:logins"], lifetime: -10)
        do {
            _ = try verifier.verify(authorizationHeader: "Bearer " + expired, requiredScope: "simulate:logins")
            Issue.record("an expired token was accepted")
        } catch {
            #expect(error.status == 401)
            #expect(error.errorCode == "token_expired")
        }
        // An ID token (audience = client) is not a Management API token.
        let r = try await simulate(p)
        do {
            _ = try verifier.verify(authorizationHeader: "Bearer " + (r.idToken?.jwt ?? ""), requiredScope: "simulate:logins")
            Issue.record("an ID token was accepted")
        } catch {
            #expect(error.errorCode == "invalid_audience")
        }
        do {
            _ = try verifier.verify(authorizationHeader: nil, requiredScope: "simulate:logins")
        } catch {
            #expect(error.status == 401)
        }
    }
}

@Suite struct LoginLogTests {
    @Test func droppedClaimsWriteDepnoteEvents() async throws {
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"log_capacity": 3}}"#
        f.rules = [("claims", "function (user, context, callback) { context.idToken.roles = ['x']; context.idToken['https://auth0.com/y'] = 1; callback(null, user, context); }")]
        let p = try await makePipeline(f)
        _ = try await simulate(p)
        let (events, total) = try await p.store.logs(userId: TestUsers.ann().userId, offset: 0, limit: 10)
        #expect(total == 3)
        #expect(Set(events.map(\.type)) == ["s", "depnote"])
        #expect(events.filter { $0.type == "depnote" }.count == 2)
        #expect(events.first { $0.type == "depnote" }?.details?["setBy"] == "claims")
        // The ring keeps at most log_capacity events.
        for _ in 0..<3 { _ = try await simulate(p) }
        let (_, after) = try await p.store.logs(userId: nil, offset: 0, limit: 100)
        #expect(after == 3)
    }
}

/// The Auth0 namespaces, read from the claim name's bytes.
@Suite struct Auth0NamespaceTests {
    @Test func theAuth0HostsAreRefusedWhereverTheNameHidesThem() {
        let filter = ClaimFilter(legacyNamespacedClaims: false, managementAudience: "https://test.authsim.local/api/v2/")
        func refused(_ claim: String) -> Bool {
            filter.dropReason(claim: claim, token: .idToken, audience: nil)?.contains("Auth0 namespaces") == true
        }
        for claim in [
            "https://auth0.com/x", "https://X.Auth0.COM/y", "http://user@tenant.webtask.run:443/p", "https://a.webtask.io?x=1",
            "https://a.webtask.io#f", "https://evil.example@auth0.com/", "urn:auth0:x", "URN:AUTH0:y", "https://auth0.com",
            "https://x.auth0.com/\u{301}y", "https://x.auth0.com:\u{301}/",
            // Read as characters, a delimiter with a combining mark is part of the host.
            "https://evil.example/\u{301}x.auth0.com", "https://evil.example:\u{301}.auth0.com/", "https://evil.example?\u{301}.webtask.io",
            "https://evil.example#\u{301}.webtask.run",
        ] {
            #expect(refused(claim), "\(claim) should be refused")
        }
        for claim in [
            "https://notauth0.com/x", "https://auth0.com.example/x", "https://example.com/auth0.com", "https://evil.example#@auth0.com",
            "https://webtask.io.evil/x", "https://auth0.co/x", "https://.auth0.co/", "urn:example:auth0", "https://auth0.com\u{301}/x", "https://xauth0.com/",
        ] {
            #expect(!refused(claim), "\(claim) should be allowed")
        }
    }
}
