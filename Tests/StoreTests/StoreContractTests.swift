import Directory
import Foundation
import JSONCore
import PostgresStore
import Testing

/// One store suite, two stores: the embedded SQLite file and PostgreSQL. `make test` starts a
/// throw-away PostgreSQL cluster and sets AUTHSIM_TEST_POSTGRES to its URL; each test gets a
/// schema of its own.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    func open(_ name: String = UUID().uuidString) async throws -> any DataStore {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-store-\(name)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return try SQLiteUserStore(path: dir.appendingPathComponent("store.sqlite").path)
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["AUTHSIM_TEST_POSTGRES"], !url.isEmpty else {
                throw StoreTestError("AUTHSIM_TEST_POSTGRES is not set: run `make test` (it starts a PostgreSQL cluster), or point it at a database")
            }
            let schema = "t_" + name.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(40)
            return try await StoreLocation.open(url + (url.contains("?") ? "&" : "?") + "schema=" + schema)
        }
    }
}

struct StoreTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func user(_ id: String, email: String, connection: String = "db") -> UserProfile {
    var u = UserProfile(userId: id, connection: connection, email: email)
    u.name = "User \(id)"
    u.applyDefaults()
    return u
}

@Suite struct StoreContractTests {
    @Test(arguments: Backend.allCases) func aReferenceIsAnIdThenAnEmailAndALoginComesWithItsRoles(_ backend: Backend) async throws {
        let store = try await backend.open()
        try await store.insert(user("auth0|first", email: "same@example.com", connection: "db"))
        try await store.insert(user("auth0|second", email: "same@example.com", connection: "other"))
        try await store.insert(user("same@example.com", email: "x@example.com", connection: "db"))
        #expect(try await store.user(reference: "auth0|second", connection: nil)?.userId == "auth0|second")
        #expect(try await store.user(reference: "same@example.com", connection: nil)?.userId == "same@example.com", "an id is matched before an email")
        #expect(try await store.user(reference: "SAME@example.com", connection: "other")?.userId == "auth0|second")
        #expect(try await store.user(reference: "SAME@example.com", connection: "missing")?.userId == "auth0|first")
        #expect(try await store.user(reference: "nobody@example.com", connection: nil) == nil)

        try await store.assignRoles(userId: "auth0|first", roles: ["editor", "admin"])
        let (counted, roles) = try await store.recordLoginWithRoles(id: "auth0|first", ip: "198.51.100.1", at: 1_700_000_000)
        #expect(counted.loginsCount == 1 && counted.lastIP == "198.51.100.1")
        #expect(roles == ["admin", "editor"])
        #expect(try await store.user(id: "auth0|first")?.loginsCount == 1)
        await #expect(throws: (any Error).self) { try await store.recordLoginWithRoles(id: "auth0|nobody", ip: nil, at: 1) }
    }

    @Test(arguments: Backend.allCases) func usersRoundTripWithTheirUniqueness(_ backend: Backend) async throws {
        let store = try await backend.open()
        var ann = user("auth0|ann", email: "Ann@Example.com")
        ann.passwordHash = "$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
        ann.appMetadata = ["plan": "pro", "nested": ["a": 1]]
        ann.username = "ann"
        try await store.insert(ann)
        let back = try #require(try await store.user(id: "auth0|ann"))
        #expect(back.email == "ann@example.com" || back.email == "Ann@Example.com")
        #expect(back.appMetadata == ann.appMetadata)
        #expect(back.passwordHash == ann.passwordHash)
        #expect(try await store.user(login: "ANN@example.com", connection: "db")?.userId == "auth0|ann")
        #expect(try await store.user(login: "ann", connection: "db")?.userId == "auth0|ann")
        #expect(try await store.user(login: "ann@example.com", connection: "other") == nil)
        #expect(try await store.users(email: "ann@EXAMPLE.com").map(\.userId) == ["auth0|ann"])
        // The same email at the same connection, or the same id, is refused; another connection is fine.
        await #expect(throws: DirectoryError.self) { try await store.insert(user("auth0|ann2", email: "ann@example.com")) }
        await #expect(throws: DirectoryError.self) { try await store.insert(user("auth0|ann", email: "x@example.com")) }
        try await store.insert(user("google|ann", email: "ann@example.com", connection: "google"))
        #expect(try await store.users(email: "ann@example.com").count == 2)
        #expect(try await store.count() == 2)
        #expect(try await store.list(offset: 0, limit: 10).map(\.userId).sorted() == ["auth0|ann", "google|ann"])

        var changed = back
        changed.name = "Ann Changed"
        try await store.replace(changed)
        #expect(try await store.user(id: "auth0|ann")?.name == "Ann Changed")
        await #expect(throws: DirectoryError.self) { try await store.replace(user("auth0|missing", email: "m@example.com")) }
        #expect(try await store.delete(id: "google|ann"))
        #expect(try await store.delete(id: "google|ann") == false)
        #expect(try await store.user(id: "google|ann") == nil)
    }

    @Test(arguments: Backend.allCases) func concurrentMergesAndLoginsLoseNothing(_ backend: Backend) async throws {
        let store = try await backend.open()
        try await store.insert(user("auth0|busy", email: "busy@example.com"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask { _ = try await store.mergeMetadata(id: "auth0|busy", app: ["k\(i)": .number(Double(i))], user: nil) }
                group.addTask { _ = try await store.mergeMetadata(id: "auth0|busy", app: nil, user: ["u\(i)": true]) }
                group.addTask { _ = try await store.recordLogin(id: "auth0|busy", ip: "10.0.0.\(i)", at: Timestamp.now()) }
            }
            try await group.waitForAll()
        }
        let u = try #require(try await store.user(id: "auth0|busy"))
        #expect(u.appMetadata.count == 40)
        #expect(u.userMetadata.count == 40)
        #expect(u.loginsCount == 40)
        // null deletes a key; nested objects are replaced whole.
        let merged = try await store.mergeMetadata(id: "auth0|busy", app: ["k0": .null, "obj": ["x": 1]], user: nil)
        #expect(merged.appMetadata["k0"] == nil)
        let again = try await store.mergeMetadata(id: "auth0|busy", app: ["obj": ["y": 2]], user: nil)
        #expect(again.appMetadata["obj"] == ["y": 2])
        await #expect(throws: DirectoryError.self) { _ = try await store.mergeMetadata(id: "auth0|busy", app: ["bad.key": 1], user: nil) }
        await #expect(throws: DirectoryError.self) { _ = try await store.update(id: "auth0|nobody") { $0.name = "x" } }
        // An error inside update changes nothing.
        struct Stop: Error {}
        await #expect(throws: Stop.self) { _ = try await store.update(id: "auth0|busy") { u in u.name = "half"; throw Stop() } }
        #expect(try await store.user(id: "auth0|busy")?.name == "User auth0|busy")

        // The rest of the merge's contract, the same on both stores.
        let before = try #require(try await store.user(id: "auth0|busy"))
        let both = try await store.mergeMetadata(id: "auth0|busy", app: ["plan": "pro", "k1": .null], user: ["lang": "fr"])
        #expect(both.appMetadata["plan"] == "pro" && both.appMetadata["k1"] == nil && both.appMetadata["k2"] == 2)
        #expect(both.userMetadata["lang"] == "fr" && both.userMetadata["u1"] == true)
        #expect(both.updatedAt > before.updatedAt, "updated_at advances")
        #expect(both.loginsCount == 40 && both.lastIP != nil, "the rest of the profile is kept")
        #expect(try await store.user(id: "auth0|busy")?.appMetadata == both.appMetadata, "what is returned is what is stored")
        let cleared = try await store.mergeMetadata(id: "auth0|busy", app: nil, user: [:])
        #expect(cleared.userMetadata.isEmpty && cleared.appMetadata == both.appMetadata, "an empty object clears that metadata only")
        await #expect(throws: DirectoryError.self) { _ = try await store.mergeMetadata(id: "auth0|busy", app: ["blocked": true], user: nil) }
        await #expect(throws: DirectoryError.self) { _ = try await store.mergeMetadata(id: "auth0|nobody", app: ["a": 1], user: nil) }
        // Over the 1 MB profile limit: refused, nothing stored.
        let big = String(repeating: "x", count: 600_000)
        _ = try await store.mergeMetadata(id: "auth0|busy", app: ["big1": .string(big)], user: nil)
        await #expect(throws: DirectoryError.self) { _ = try await store.mergeMetadata(id: "auth0|busy", app: nil, user: ["big2": .string(big)]) }
        let kept = try #require(try await store.user(id: "auth0|busy"))
        #expect(kept.userMetadata["big2"] == nil && kept.appMetadata["big1"] != nil)
        // A login keeps an earlier IP when it has none.
        let ip = kept.lastIP
        #expect(try await store.recordLogin(id: "auth0|busy", ip: nil, at: Timestamp.now()).lastIP == ip)
        await #expect(throws: DirectoryError.self) { _ = try await store.recordLogin(id: "auth0|nobody", ip: nil, at: Timestamp.now()) }
    }

    @Test(arguments: Backend.allCases) func searchRolesAndOrdering(_ backend: Backend) async throws {
        let store = try await backend.open()
        for (i, plan) in ["pro", "free", "pro"].enumerated() {
            var u = user("auth0|s\(i)", email: "s\(i)@example.com")
            u.appMetadata = ["plan": .string(plan)]
            u.loginsCount = 10 - i
            try await store.insert(u)
        }
        let (pro, total) = try await store.search(try UserQuery.parse(#"app_metadata.plan:"pro""#), sort: "logins_count:1", offset: 0, limit: 10)
        #expect(total == 2)
        #expect(pro.map(\.userId) == ["auth0|s2", "auth0|s0"])
        #expect(try await store.search(try UserQuery.parse(#"email:"s1@example.com""#), sort: nil, offset: 0, limit: 10).users.map(\.userId) == ["auth0|s1"])
        let (page, all) = try await store.search(try UserQuery.parse("_exists_:email"), sort: nil, offset: 1, limit: 1)
        #expect(all == 3 && page.count == 1)
        // Index lookups (user_id, email, username, their ORs, ANDed with anything) give what a
        // scan of every profile gives.
        for q in [
            #"email:"S2@Example.com""#, #"user_id:"auth0|s1" OR user_id:"auth0|s2""#, #"email:"s0@example.com" AND app_metadata.plan:"free""#,
            #"email:"s0@example.com" OR email:"s1@example.com" OR email:"none@example.com""#, #"username:"nobody""#,
            #"user_id:"auth0|s0" AND NOT app_metadata.plan:"pro""#, #"email:"s1@example.com" OR app_metadata.plan:"pro""#,
            // Text filters (LIKE before parsing): quoted values, prefixes, words of names, case.
            #"app_metadata.plan:"pro""#, "app_metadata.plan:fre*", "app_metadata.plan:PRO", "name:user", #"name:"USER AUTH0|S1""#,
            #"email.domain:"EXAMPLE.com""#, "email.domain:exam*", "s1@example.com", "S2@EXAMPLE.COM", "user*",
            #"app_metadata.plan:"pro" AND NOT email:"s0@example.com""#, "logins_count:9", "email:s_@example.com",
        ] {
            let query = try UserQuery.parse(q)
            let scanned = try await store.list(offset: 0, limit: 100).filter { query.matches($0.json) }.map(\.userId)
            let found = try await store.search(query, sort: nil, offset: 0, limit: 100)
            #expect(found.users.map(\.userId) == scanned, "\(q)")
            #expect(found.total == scanned.count, "\(q)")
        }
        #expect(try await store.search(try UserQuery.parse(#"user_id:"auth0|s1" OR user_id:"auth0|s2""#), sort: nil, offset: 0, limit: 10).total == 2)
        let (firstPage, everyone) = try await store.search(.all, sort: nil, offset: 1, limit: 1)
        #expect(everyone == 3 && firstPage.map(\.userId) == ["auth0|s1"] && firstPage[0].passwordHash == nil)
        try await store.assignRoles(userId: "auth0|s0", roles: ["editor", "admin", "editor"])
        #expect(try await store.roles(userId: "auth0|s0") == ["admin", "editor"])
        try await store.removeRoles(userId: "auth0|s0", roles: ["admin"])
        #expect(try await store.roles(userId: "auth0|s0") == ["editor"])
        _ = try await store.delete(id: "auth0|s0")
        #expect(try await store.roles(userId: "auth0|s0") == [])
    }

    @Test(arguments: Backend.allCases) func keysTracesLogsTokensAndMeta(_ backend: Backend) async throws {
        let store = try await backend.open()
        try await store.saveSigningKeys([StoredSigningKey(kid: "k1", privateKeyPEM: "pem1", createdAt: 1, status: "current")])
        try await store.saveSigningKeys([StoredSigningKey(kid: "k1", privateKeyPEM: "pem1", createdAt: 1, status: "previous"), StoredSigningKey(kid: "k2", privateKeyPEM: "pem2", createdAt: 2, status: "current")])
        #expect(try await store.signingKeys().map { "\($0.kid):\($0.status)" } == ["k2:current", "k1:previous"])

        try await store.saveTrace(id: "t1", userId: "auth0|x", clientId: "c", createdAt: 1, json: #"{"a":1}"#)
        #expect(try await store.trace(id: "t1") == #"{"a":1}"#)
        #expect(try await store.trace(id: "nope") == nil)

        for i in 0..<130 {
            try await store.appendLog(TenantLogEvent(type: i % 2 == 0 ? "s" : "f", description: "e\(i)", userId: i % 2 == 0 ? "auth0|even" : nil), capacity: 100)
        }
        let (newest, total) = try await store.logs(userId: nil, offset: 0, limit: 3)
        #expect(newest.map(\.description) == ["e129", "e128", "e127"])
        #expect(total >= 100 && total <= 130, "the log keeps about its capacity")
        let (mine, _) = try await store.logs(userId: "auth0|even", offset: 0, limit: 2)
        #expect(mine.map(\.description) == ["e128", "e126"])

        // A batch of several logins' records: in order, traces readable, the log still bounded.
        try await store.appendRecords(
            [.log(TenantLogEvent(type: "s", description: "b1", userId: "auth0|even")), .trace(id: "t2", userId: "auth0|even", clientId: "c", createdAt: 2, json: #"{"b":2}"#),
             .log(TenantLogEvent(type: "f", description: "b2", userId: nil)), .trace(id: "t1", userId: "auth0|x", clientId: "c", createdAt: 3, json: #"{"a":3}"#)],
            logCapacity: 100)
        #expect(try await store.logs(userId: nil, offset: 0, limit: 3).events.map(\.description) == ["b2", "b1", "e129"])
        #expect(try await store.logs(userId: "auth0|even", offset: 0, limit: 2).events.map(\.description) == ["b1", "e128"])
        #expect(try await store.trace(id: "t2") == #"{"b":2}"#)
        #expect(try await store.trace(id: "t1") == #"{"a":3}"#, "a trace saved again under its id is replaced")
        #expect(try await store.logs(userId: nil, offset: 0, limit: 1).total <= 132)

        try await store.saveRefreshToken(RefreshTokenRecord(hash: "h1", userId: "auth0|x", clientId: "c", audience: nil, scope: "openid offline_access", createdAt: 5))
        #expect(try await store.refreshToken(hash: "h1")?.scope == "openid offline_access")
        #expect(try await store.refreshToken(hash: "h1")?.audience == nil)
        #expect(try await store.revokeRefreshToken(hash: "h1"))
        #expect(try await store.refreshToken(hash: "h1")?.revoked == true)
        #expect(try await store.revokeRefreshToken(hash: "nope") == false)

        try await store.setMetaValue("k", "v1")
        try await store.setMetaValue("k", "v2")
        #expect(try await store.metaValue("k") == "v2")
        #expect(try await store.metaValue("none") == nil)
    }

    @Test(arguments: Backend.allCases) func claimsAndEphemeralValuesAreTakenOnce(_ backend: Backend) async throws {
        let name = UUID().uuidString
        let a = try await backend.open(name)
        let b = try await backend.open(name)
        let claims = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 { group.addTask { try await (i % 2 == 0 ? a : b).claimMetaValue("first", "v\(i)") } }
            var n = 0
            for try await won in group where won { n += 1 }
            return n
        }
        #expect(claims == 1, "exactly one claimer wins")
        let now = Timestamp.now()
        try await a.putEphemeral("code:1", "payload", expires: now + 60)
        try await a.putEphemeral("code:old", "stale", expires: now - 1)
        let takers = try await withThrowingTaskGroup(of: String?.self) { group in
            for i in 0..<6 { group.addTask { try await (i % 2 == 0 ? a : b).takeEphemeral("code:1", now: Timestamp.now()) } }
            var got: [String] = []
            for try await v in group { if let v { got.append(v) } }
            return got
        }
        #expect(takers == ["payload"], "a value is taken once, by one store")
        #expect(try await b.takeEphemeral("code:old", now: Timestamp.now()) == nil, "expired values are never returned")
        #expect(try await b.takeEphemeral("code:none", now: Timestamp.now()) == nil)

        // Read leaves the value for the other store; put replaces it; expired values are not read.
        try await a.putEphemeral("session:s", "v1", expires: now + 60)
        #expect(try await b.readEphemeral("session:s", now: Timestamp.now()) == "v1")
        #expect(try await b.readEphemeral("session:s", now: Timestamp.now()) == "v1")
        try await b.putEphemeral("session:s", "v2", expires: now + 60)
        #expect(try await a.readEphemeral("session:s", now: Timestamp.now()) == "v2")
        #expect(try await a.readEphemeral("session:s", now: now + 61) == nil, "expired values are never read")
        #expect(try await a.takeEphemeral("session:s", now: Timestamp.now()) == "v2")
        #expect(try await b.readEphemeral("session:s", now: Timestamp.now()) == nil)

        // Read-change-write of one value from two stores at once: no change is lost.
        let counted = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<40 {
                group.addTask {
                    try await (i % 2 == 0 ? a : b).modifyEphemeral("counter", now: Timestamp.now()) { text in
                        let n = (text.flatMap { Int($0) } ?? 0) + 1
                        return ((String(n), Timestamp.now() + 60), n)
                    }
                }
            }
            var seen: [Int] = []
            for try await n in group { seen.append(n) }
            return seen.sorted()
        }
        #expect(counted == Array(1...40), "each change saw the one before it")
        #expect(try await a.readEphemeral("counter", now: Timestamp.now()) == "40")
        // nil removes the value; an expired value reads as nil.
        #expect(try await b.modifyEphemeral("counter", now: Timestamp.now()) { _ in (nil, true) })
        #expect(try await a.readEphemeral("counter", now: Timestamp.now()) == nil)
        try await a.putEphemeral("stale", "old", expires: Timestamp.now() - 1)
        #expect(try await b.modifyEphemeral("stale", now: Timestamp.now()) { text in (nil, text) } == nil)
    }

    @Test(arguments: Backend.allCases) func tenantChangesAreSavedOnlyOnTheRevisionTheyWereMadeOn(_ backend: Backend) async throws {
        let name = UUID().uuidString
        let a = try await backend.open(name)
        let b = try await backend.open(name)
        #expect(try await a.tenantChanges() == TenantChanges(revision: 0, files: [:]))
        let rule = "function (user, context, callback) { callback(null, user, context); }"
        // A file and a deletion (nil hides the directory's file).
        let r1 = try await a.saveTenantChanges(["rules/new.js": rule, "rules/old.js": nil], expectedRevision: 0)
        #expect(r1 == 1)
        #expect(try await b.tenantChangesRevision() == 1)
        #expect(try await b.saveTenantChanges(["rules/late.js": "x"], expectedRevision: 0) == nil, "a change made on an old revision is refused")
        let seen = try await b.tenantChanges()
        #expect(seen.revision == 1)
        #expect(seen.files == ["rules/new.js": rule, "rules/old.js": nil])

        // Savers racing on one revision, from two stores: exactly one lands.
        let landed = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for i in 0..<8 { group.addTask { try await (i % 2 == 0 ? a : b).saveTenantChanges(["rules/r\(i).js": "// \(i)"], expectedRevision: 1) } }
            var out: [Int64] = []
            for try await r in group { if let r { out.append(r) } }
            return out
        }
        #expect(landed == [2])
        let after = try await a.tenantChanges()
        #expect(after.revision == 2)
        #expect(after.files.count == 3)
        // Changing a path again replaces it; a deleted path can come back.
        #expect(try await a.saveTenantChanges(["rules/new.js": nil, "rules/old.js": "// back"], expectedRevision: 2) == 3)
        let last = try await b.tenantChanges()
        #expect(last.files["rules/new.js"] == .some(nil))
        #expect(last.files["rules/old.js"] == "// back")
    }

    @Test(arguments: Backend.allCases) func aSecondOpenOfTheSameStoreSeesTheSameData(_ backend: Backend) async throws {
        let name = UUID().uuidString
        let first = try await backend.open(name)
        try await first.insert(user("auth0|shared", email: "shared@example.com"))
        // Several daemons start on one store at once: migrations run once.
        let others = try await withThrowingTaskGroup(of: (any DataStore).self) { group in
            for _ in 0..<3 { group.addTask { try await backend.open(name) } }
            var out: [any DataStore] = []
            for try await s in group { out.append(s) }
            return out
        }
        for s in others { #expect(try await s.user(id: "auth0|shared")?.email == "shared@example.com") }
        _ = try await others[0].mergeMetadata(id: "auth0|shared", app: ["from": "other"], user: nil)
        #expect(try await first.user(id: "auth0|shared")?.appMetadata["from"] == "other")
    }
}
