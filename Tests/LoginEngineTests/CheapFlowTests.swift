import Directory
import Foundation
import JSONCore
import Synchronization
import Testing
import Tokens

@testable import LoginEngine

/// What the cheap flow skips must not change what a login sees: no job when no script runs,
/// the user read once unless a script may have changed it, log events and traces written in
/// batches yet stored before the login answers.
@Suite struct CheapFlowTests {
    static let claimRule = ("claim", "function (user, context, callback) { context.idToken['https://t/ran'] = true; callback(null, user, context); }")

    @Test func aFlowWithNoScriptIsAllowedWithNoClaimsAndNoTrace() async throws {
        var f = TenantFixture()
        f.rules = [Self.claimRule]
        let p = try await makePipeline(f)
        let none = try await simulate(p) { $0.rules = []; $0.actions = [] }
        #expect(none.outcome == .allowed)
        #expect(none.trace.isEmpty)
        #expect(none.idClaims["https://t/ran"] == nil)
        #expect(none.idClaims["sub"] == "auth0|ann0000000000000000000001")
        // Claims a simulation puts in the context still reach the tokens: the drivers run then.
        let given = try await simulate(p) { $0.rules = []; $0.actions = []; $0.context = ["idToken": ["https://t/given": "yes"]] }
        #expect(given.outcome == .allowed)
        #expect(given.idClaims["https://t/given"] == "yes")
        let all = try await simulate(p)
        #expect(all.idClaims["https://t/ran"] == true)
        #expect(all.trace.count == 1)
    }

    @Test func aScriptThatCalledOutMayHaveChangedTheUserSoItIsReadAgain() async throws {
        let pipeline = Mutex<LoginPipeline?>(nil)
        // The call stands for the Management API: it changes the stored user while the rule waits.
        let server = try await TestHTTPServer.start {
            guard let p = pipeline.withLock({ $0 }) else { return }
            _ = try? await p.store.mergeMetadata(id: "auth0|ann0000000000000000000001", app: ["changed_by": "api"], user: nil)
        }
        defer { server.stop() }
        var f = TenantFixture()
        f.rules = [("call", """
            function (user, context, callback) {
              require('axios').get('\(server.base)/hook').then(function () { callback(null, user, context); }, callback);
            }
            """)]
        let p = try await makePipeline(f)
        pipeline.withLock { $0 = p }
        let r = try await simulate(p)
        #expect(r.outcome == .allowed)
        #expect(r.user["app_metadata"]?["changed_by"] == "api")
        #expect(r.persistedAppMetadata["changed_by"] == "api")
    }

    @Test func metadataAScriptWroteIsInTheResult() async throws {
        var f = TenantFixture()
        f.rules = [("write", "function (user, context, callback) { auth0.users.updateAppMetadata(user.user_id, { tier: 'gold' }).then(function () { callback(null, user, context); }, callback); }")]
        let p = try await makePipeline(f)
        let r = try await simulate(p)
        #expect(r.outcome == .allowed)
        #expect(r.persistedAppMetadata["tier"] == "gold")
        #expect(try await p.store.user(id: "auth0|ann0000000000000000000001")?.appMetadata["tier"] == "gold")
    }

    @Test func concurrentLoginsRecordEveryEventAndTraceBeforeAnswering() async throws {
        var f = TenantFixture()
        f.rules = [Self.claimRule]
        let p = try await makePipeline(f)
        let logins = 40
        let traceIds = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<logins { group.addTask { try await simulate(p).traceId } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        // Each login's trace is readable as soon as it answered (no waiting, no retry).
        for id in traceIds { #expect(try await p.store.trace(id: id) != nil, "trace \(id)") }
        let (events, total) = try await p.store.logs(userId: "auth0|ann0000000000000000000001", offset: 0, limit: 100)
        #expect(total == logins)
        #expect(Set(events.compactMap { $0.details?["traceId"]?.stringValue }) == Set(traceIds))
        // Events of one writer keep their order.
        for i in 0..<5 { await p.log(TenantLogEvent(type: "sapi", description: "ordered \(i)", userId: "auth0|order")) }
        #expect(try await p.store.logs(userId: "auth0|order", offset: 0, limit: 10).events.map(\.description) == (0..<5).reversed().map { "ordered \($0)" })
    }
}

/// base64url as JWTs use it, against Foundation's base64 on every length around the block size.
@Suite struct Base64URLTests {
    @Test func encodesAndDecodesLikeFoundationWithoutPadding() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == expected, "length \(length)")
            #expect(Base64URL.decode(encoded) == Data(bytes), "length \(length)")
        }
        #expect(Base64URL.decode("YQ==") == Data("a".utf8), "padding is accepted")
    }

    @Test(arguments: ["a", "abcde", "ab+c", "ab/c", "a b", "ab\u{e9}", "ab.c"]) func refusesWhatIsNotBase64URL(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func bitsAfterTheLastByteAreIgnoredAsFoundationDoes() {
        #expect(Base64URL.decode("YR") == Data("a".utf8))
        #expect(Base64URL.decode("YWF") == Data("aa".utf8))
        #expect(Data(base64Encoded: "YR==") == Data("a".utf8))
    }
}
