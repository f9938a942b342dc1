import Foundation
import JSONCore
import Testing

@testable import Directory

func temporaryStore() throws -> SQLiteUserStore {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-dir-\(UUID().uuidString)")
    return try SQLiteUserStore(path: dir.appendingPathComponent("store.sqlite").path)
}

@Suite struct MetadataMergeTests {
    @Test func nullDeletesAKeyAndOthersSurvive() throws {
        let merged = try MetadataMerge.apply(["a": .null, "c": 3], to: ["a": 1, "b": 2], kind: .user)
        #expect(merged == ["b": 2, "c": 3])
    }

    @Test func emptyObjectClears() throws {
        #expect(try MetadataMerge.apply([:], to: ["a": 1, "b": 2], kind: .app) == [:])
    }

    @Test func nestedObjectsAreReplacedWhole() throws {
        let merged = try MetadataMerge.apply(["prefs": ["theme": "dark"]], to: ["prefs": ["theme": "light", "lang": "en"]], kind: .user)
        #expect(merged == ["prefs": ["theme": "dark"]])
    }

    @Test(arguments: ["a.b", "$set", "x$"])
    func keysWithDotsOrDollarsAreRefused(key: String) {
        #expect(throws: DirectoryError.self) { try MetadataMerge.apply(.object([key: 1]), to: [:], kind: .user) }
        #expect(throws: DirectoryError.self) { try MetadataMerge.apply(["outer": .object([key: 1])], to: [:], kind: .user) }
    }

    @Test(arguments: ["blocked", "email", "user_id", "loginsCount", "__tenant"])
    func reservedAppMetadataNamesAreRefused(name: String) throws {
        #expect(throws: DirectoryError.self) { try MetadataMerge.apply(.object([name: 1]), to: [:], kind: .app) }
        // The same names are fine in user_metadata.
        #expect(try MetadataMerge.apply(.object([name: 1]), to: [:], kind: .user) == [name: 1])
    }

    @Test func nonObjectPatchIsRefused() {
        #expect(throws: DirectoryError.self) { try MetadataMerge.apply("x", to: [:], kind: .user) }
    }
}

@Suite struct PasswordHasherTests {
    @Test func hashesAndVerifies() throws {
        let h = try PasswordHasher.hash("correct horse", cost: 4)
        #expect(h.hasPrefix("$2b$04$"))
        #expect(PasswordHasher.verify("correct horse", hash: h))
        #expect(!PasswordHasher.verify("wrong horse", hash: h))
        #expect(!PasswordHasher.verify("correct horse", hash: "plain"))
    }

    @Test func acceptsThe2aAnd2yVariants() throws {
        // For ASCII passwords the $2a$, $2b$ and $2y$ variants compute the same hash, so
        // hashes exported by other systems under those prefixes verify.
        let h = try PasswordHasher.hash("s3cret!", cost: 4)
        for variant in ["$2a$", "$2y$"] {
            let other = variant + h.dropFirst(4)
            #expect(PasswordHasher.isBcrypt(other))
            #expect(PasswordHasher.verify("s3cret!", hash: other))
            #expect(!PasswordHasher.verify("s3cret?", hash: other))
        }
    }
}

@Suite struct SQLiteUserStoreTests {
    func sampleUser(_ email: String) -> UserProfile {
        var u = UserProfile(userId: "auth0|" + randomHexID(), connection: "Username-Password-Authentication", email: email)
        u.applyDefaults()
        return u
    }

    @Test func insertFindAndDuplicateEmail() async throws {
        let store = try temporaryStore()
        let u = sampleUser("ann@example.com")
        try await store.insert(u)
        #expect(try await store.user(id: u.userId)?.email == "ann@example.com")
        #expect(try await store.user(login: "ANN@example.com", connection: "Username-Password-Authentication")?.userId == u.userId)
        await #expect(throws: DirectoryError.self) { try await store.insert(self.sampleUser("ann@example.com")) }
        #expect(try await store.count() == 1)
    }

    @Test func recordLoginUpdatesStats() async throws {
        let store = try temporaryStore()
        let u = sampleUser("bob@example.com")
        try await store.insert(u)
        _ = try await store.recordLogin(id: u.userId, ip: "10.0.0.1", at: 1_700_000_000)
        let after = try await store.recordLogin(id: u.userId, ip: "10.0.0.2", at: 1_700_000_100)
        #expect(after.loginsCount == 2)
        #expect(after.lastIP == "10.0.0.2")
        #expect(after.lastLogin == 1_700_000_100)
    }

    @Test func concurrentMergesOnDifferentKeysAllSurvive() async throws {
        let store = try temporaryStore()
        let u = sampleUser("carol@example.com")
        try await store.insert(u)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask { _ = try await store.mergeMetadata(id: u.userId, app: nil, user: .object(["k\(i)": .number(Double(i))])) }
            }
            try await group.waitForAll()
        }
        let final = try #require(try await store.user(id: u.userId))
        #expect(final.userMetadata.count == 40)
        #expect(final.userMetadata["k39"] == 39)
    }

    @Test func profileOverOneMegabyteIsRefused() async throws {
        let store = try temporaryStore()
        let u = sampleUser("dave@example.com")
        try await store.insert(u)
        let big = JSONValue.string(String(repeating: "x", count: 1_100_000))
        await #expect(throws: DirectoryError.self) {
            _ = try await store.mergeMetadata(id: u.userId, app: nil, user: ["blob": big])
        }
        #expect(try await store.user(id: u.userId)?.userMetadata["blob"] == nil)
    }

    @Test func bulkImportReportsBadEntriesAndImportsGoodOnes() async throws {
        let store = try temporaryStore()
        let hash = try PasswordHasher.hash("pw", cost: 4)
        let doc = try JSONValue.parse("""
            [
              {"email": "good@example.com", "email_verified": true, "password_hash": "\(hash)", "app_metadata": {"roles": ["admin"]}},
              {"email": "not-an-email"},
              {"email": "x@example.com", "password_hash": "md5-nope"},
              {"email": "y@example.com", "app_metadata": {"blocked": true}},
              {"email": "good@example.com"},
              {"email": "z@example.com", "user_id": "legacy-7", "user_metadata": {"lang": "fr"}}
            ]
            """)
        let report = await store.importUsers(doc, connection: "Username-Password-Authentication")
        #expect(report.imported.count == 2)
        #expect(report.problems.map(\.index) == [1, 2, 3, 4])
        let z = try #require(try await store.user(id: "auth0|legacy-7"))
        #expect(z.userMetadata == ["lang": "fr"])
        #expect(z.nickname == "z")
        let good = try #require(try await store.users(email: "good@example.com").first)
        #expect(PasswordHasher.verify("pw", hash: good.passwordHash ?? ""))
        // Export round-trips the hash and metadata.
        let exported = BulkImport.export(try await store.list(offset: 0, limit: 10))
        let store2 = try temporaryStore()
        let report2 = await store2.importUsers(exported, connection: "Username-Password-Authentication")
        #expect(report2.imported.count == 2)
        #expect(report2.problems.isEmpty)
        #expect(try await store2.user(id: "auth0|legacy-7")?.userMetadata == ["lang": "fr"])
    }

    /// `profile[profileKey:]` must answer what `json[key]` holds, for every key: set and unset
    /// fields, an `extra` attribute shadowed by a set field or standing in for an unset one.
    @Test func profileKeyLookupsMatchTheWholeProfile() throws {
        var full = sampleUser("frank@example.com")
        full.name = "Frank"; full.nickname = "frankie"; full.givenName = "Frank"; full.familyName = "Stone"
        full.picture = "https://example.com/f.png"; full.locale = "fr"; full.username = "frank"; full.phoneNumber = "+15550100"
        full.phoneVerified = true; full.lastLogin = 1_700_000_000; full.lastIP = "10.0.0.1"; full.lastPasswordReset = 1_600_000_000
        full.multifactor = ["guardian"]; full.loginsCount = 7; full.blocked = true
        full.appMetadata = ["plan": "pro"]; full.userMetadata = ["lang": "fr"]
        full.extra = ["groups": ["a"], "name": "shadowed", "phone_verified": false]
        var sparse = sampleUser("gina@example.com")
        sparse.extra = ["name": "from the IdP", "locale": "de", "last_login": "2020-01-01T00:00:00.000Z", "multifactor": ["x"], "custom": 1]
        for profile in [full, sparse] {
            let whole = try #require(profile.json.objectValue)
            for key in Set(whole.keys).union(UserProfile.fixedKeys).union(profile.extra.keys).union(["nope"]) {
                #expect(profile[profileKey: key] == whole[key], "\(key)")
            }
        }
    }

    @Test func profileJSONRoundTrips() throws {
        var u = sampleUser("erin@example.com")
        u.appMetadata = ["plan": "pro"]
        u.extra = ["groups": ["a", "b"]]
        u.lastLogin = 1_700_000_000.5
        let back = try UserProfile(json: u.json)
        #expect(back.appMetadata == u.appMetadata)
        #expect(back.extra == u.extra)
        #expect(back.lastLogin == 1_700_000_000.5)
        #expect(back.identities == u.identities)
    }
}

@Suite struct JSONTests {
    @Test func parsesAndSerializes() throws {
        let text = #"{"a":[1,2.5,-3e2,true,false,null],"b":"x\"y\n\u00e9\ud83d\ude00","c":{}}"#
        let v = try JSONValue.parse(text)
        #expect(v["b"]?.stringValue == "x\"y\né😀")
        #expect(v.serialized() == #"{"a":[1,2.5,-300,true,false,null],"b":"x\"y\né😀","c":{}}"#)
    }

    @Test func escapesEveryControlCharacterAndNothingElse() throws {
        let raw = "q\"b\\/\u{08}\u{0C}\n\r\t\u{01}\u{1F}\u{7F}é😀\u{2028}end"
        let text = JSONValue.string(raw).serialized()
        #expect(text == #""q\"b\\/\b\f\n\r\t\u0001\u001f\#u{7F}é😀\#u{2028}end""#)
        #expect(try JSONValue.parse(text).stringValue == raw)
        // Keys are escaped too, and sorted; pretty output indents by two spaces.
        let object: JSONValue = ["b\n": [1, ["x": true]], "a": [:], "c": []]
        #expect(object.serialized() == #"{"a":{},"b\n":[1,{"x":true}],"c":[]}"#)
        #expect(object.serialized(pretty: true) == "{\n  \"a\": {},\n  \"b\\n\": [\n    1,\n    {\n      \"x\": true\n    }\n  ],\n  \"c\": []\n}")
        var unsorted = "<"
        object.writeUnsorted(into: &unsorted)
        #expect(try JSONValue.parse(String(unsorted.dropFirst())) == object)
    }

    @Test func nestedObjectsKeepTheirOwnMembersAndARepeatedNameItsLastValue() throws {
        // Objects inside objects and arrays, each made once its members are read.
        let v = try JSONValue.parse(#"{"a":1,"o":{"a":2,"p":{"a":3},"q":[{"a":4},{}]},"a":5,"z":{"a":6,"a":7}}"#)
        #expect(v == ["a": 5, "o": ["a": 2, "p": ["a": 3], "q": [["a": 4], [:]]], "z": ["a": 7]])
        let wide = "{" + (0..<300).map { "\"k\($0)\":{\"v\":\($0)}" }.joined(separator: ",") + "}"
        let parsed = try JSONValue.parse(wide)
        #expect(parsed.objectValue?.count == 300)
        #expect(parsed["k299"]?["v"] == 299)
        // A name repeated many times: one member, in a table of its size.
        let repeated = try JSONValue.parse("{" + Array(repeating: #""a":0"#, count: 10_000).joined(separator: ",") + #","a":1}"#)
        #expect(repeated == ["a": 1])
        #expect((repeated.objectValue?.capacity ?? .max) < 100)
    }

    @Test(arguments: ["{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "01", "{} x"])
    func rejectsMalformedJSON(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func timestampsRoundTrip() {
        let t = 1_700_000_000.123
        let s = Timestamp.format(t)
        #expect(s == "2023-11-14T22:13:20.123Z")
        #expect(abs(Timestamp.parse(s)! - t) < 0.0005)
        #expect(Timestamp.parse("2023-11-14T23:13:20+01:00") == 1_700_000_000)
    }
}

/// Imported password hashes (Auth0's custom_password_hash), checked against known values made
/// outside authsim (Python hashlib, libargon2).
@Suite struct ImportedPasswordHashTests {
    static let formats: [String] = [
        #"{"algorithm": "argon2", "hash": {"value": "$argon2id$v=19$m=4096,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5MmgGXWwVbhOSOyNMiE7gQw5hjWYouljS8thguLOjJ0", "encoding": "utf8"}}"#,
        #"{"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2-sha256$i=1000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$2/6i32L0Bi6MtP2OuJMPcqA89+m4kdqqE3/bAThGMxs", "encoding": "utf8"}}"#,
        #"{"algorithm": "sha256", "hash": {"value": "3fd7ad7bb0a3f49219870418d01e4d750b11ec27d452dec33a8309b6de961da8"}, "salt": {"value": "NaCl", "position": "prefix"}}"#,
        #"{"algorithm": "sha512", "hash": {"value": "98J08+wY9IjNYFDYd4OX45fs3NKkgH7AAdFIkzsr1GAodnYf9ZZbh9qB4DBgKh+DldZgzpkYSDrPQ2OUE/1qjg==", "encoding": "base64"}, "salt": {"value": "AQJzYWx0eXNhbHQ=", "encoding": "base64", "position": "suffix"}}"#,
        #"{"algorithm": "md5", "hash": {"value": "47b7bfb65fa83ac9a71dcb0f6296bb6e"}}"#,
        #"{"algorithm": "hmac", "hash": {"value": "77388bd8f68c13686b8960ae765143f92c3f5a59cae54590eb47ac72cd778e34", "digest": "sha256", "key": {"value": "server-key"}}}"#,
    ]

    @Test(arguments: formats) func rightPasswordOnly(_ json: String) throws {
        let stored = try ImportedPasswordHash.stored(from: try JSONValue.parse(json))
        #expect(try PasswordHasher.check("Passw0rd!", hash: stored) == (true, true))
        #expect(try PasswordHasher.check("Passw0rd", hash: stored).valid == false)
        #expect(try PasswordHasher.check("passw0rd!", hash: stored).valid == false)
    }

    @Test func malformedHashesAreRefusedAtImport() {
        for bad in [
            #"{"algorithm": "scrypt", "hash": {"value": "x"}}"#, #"{"algorithm": "md5", "hash": {"value": "xyz"}}"#,
            #"{"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2-sha999$i=1,l=1$a$b"}}"#, #"{"algorithm": "argon2", "hash": {"value": "plain"}}"#,
            #"{"algorithm": "sha256", "hash": {"value": "00"}, "salt": {"value": "s", "position": "middle"}}"#, #"{"hash": {"value": "00"}}"#,
        ] {
            #expect(throws: DirectoryError.self) { try ImportedPasswordHash.stored(from: try JSONValue.parse(bad)) }
        }
    }
}
