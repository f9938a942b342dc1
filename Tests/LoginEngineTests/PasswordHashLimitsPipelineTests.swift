import Directory
import Dispatch
import Foundation
import JSONCore
import Tenant
import Testing

@testable import LoginEngine

/// Password-hash limits and the hashing pool as scripts and logins meet them. A refused hash
/// is never computed (cost 21 would take minutes, a 2 GiB argon2 gigabytes: the suite's time
/// limit would fail the test), and each refusal says what was refused.
@Suite(.timeLimit(.minutes(2))) struct PasswordHashLimitsPipelineTests {
    static let bcrypt18 = "$2b$18$8px0W/YK7WQUO9fu.nTtkeFZGD7y06gkw7VEB5BRzHXV4o1AjZmKy"
    static let argon2TwoGiB =
        #"authsim-import:{"algorithm": "argon2", "hash": {"value": "$argon2id$v=19$m=2097152,t=1,p=4$c29tZXNhbHRzb21lc2FsdA$5MmgGXWwVbhOSOyNMiE7gQw5hjWYouljS8thguLOjJ0", "encoding": "utf8"}}"#

    func customDatabase(_ create: String) -> TenantFixture {
        var f = TenantFixture()
        f.extraFiles["database-connections/db/database.json"] = #"{"name": "db", "options": {"enabled_database_customization": true}}"#
        f.extraFiles["database-connections/db/login.js"] = "function login(email, password, callback) { callback(null); }"
        f.extraFiles["database-connections/db/create.js"] = create
        return f
    }

    @Test func scriptsBcryptRefusesCostsAboveTheMaximum() async throws {
        let p = try await makePipeline(customDatabase("""
            async function create(user, callback) {
              const bcrypt = require('bcrypt');
              const out = {};
              async function attempt(name, f) {
                try { await f(); out[name] = 'no error'; } catch (e) { out[name] = String(e && e.message); }
              }
              await attempt('hashSync21', () => bcrypt.hashSync('pw', 21));
              await attempt('hashSync15', () => bcrypt.hashSync('pw', 15));
              await attempt('hash21', () => bcrypt.hash('pw', 21));
              await attempt('hash15', () => bcrypt.hash('pw', 15));
              await attempt('genSaltSync21', () => bcrypt.genSaltSync(21));
              await attempt('genSalt15', () => bcrypt.genSalt(15));
              await attempt('hashSyncSalt21', () => bcrypt.hashSync('pw', '$2b$21$8px0W/YK7WQUO9fu.nTtke'));
              await attempt('compareSync18', () => bcrypt.compareSync('pw', '\(Self.bcrypt18)'));
              await attempt('compare18', () => bcrypt.compare('pw', '\(Self.bcrypt18)'));
              const h = bcrypt.hashSync('pw', 4);
              out.sync = [bcrypt.compareSync('pw', h), bcrypt.compareSync('nope', h)];
              out.async = [await bcrypt.compare('pw', await bcrypt.hash('pw', 4)), await bcrypt.compare('pw', 'not a hash')];
              callback(null, out);
            }
            """))
        let out = try await p.tryConnectionScript(connection: "db", script: "create", args: [["email": "n@test.local", "password": "pw"]])
        #expect(out.error == nil, "\(out.errorMessage)")
        let r = try #require(out.result)
        for (name, cost) in [
            ("hashSync21", 21), ("hashSync15", 15), ("hash21", 21), ("hash15", 15), ("genSaltSync21", 21), ("genSalt15", 15), ("hashSyncSalt21", 21),
            ("compareSync18", 18), ("compare18", 18),
        ] {
            #expect(r[name]?.stringValue?.contains("bcrypt cost \(cost) is outside authsim's limits (4 to 14") == true, "\(name): \(r[name] ?? .null)")
        }
        #expect(r["sync"] == [true, false])
        #expect(r["async"] == [true, false])
    }

    @Test func storedHashesAboveTheLimitsFailTheLoginWithoutHashing() async throws {
        var ann = TestUsers.ann()
        ann.passwordHash = Self.bcrypt18
        var bob = UserProfile(userId: "auth0|bob", connection: "Username-Password-Authentication", email: "bob@test.local")
        bob.passwordHash = Self.argon2TwoGiB
        bob.applyDefaults()
        let p = try await makePipeline(TenantFixture(), users: [ann, bob])

        let a = try await p.login(username: "ann@test.local", password: "Passw0rd!")
        #expect(a.outcome == .denied)
        #expect(a.error?.error == "server_error")
        #expect(a.error?.description.contains("bcrypt cost 18 is outside authsim's limits") == true, "\(String(describing: a.error))")

        let b = try await p.login(username: "bob@test.local", password: "Passw0rd!")
        #expect(b.outcome == .denied)
        #expect(b.error?.description.contains("argon2 memory m=2097152 KiB is above authsim's limit") == true, "\(String(describing: b.error))")

        // The reason is in the tenant's log, and the hashes were left as they were.
        let logged = try await p.store.logs(userId: nil, offset: 0, limit: 50).events
        #expect(logged.contains { $0.type == "f" && $0.description.contains("bcrypt cost 18") })
        #expect(try await p.store.user(id: ann.userId)?.passwordHash == Self.bcrypt18)
        #expect(try await p.store.user(id: bob.userId)?.passwordHash == Self.argon2TwoGiB)
    }

    @Test func aLoginMeetingABusyPoolAnswersWithAnError() async throws {
        var ann = TestUsers.ann()
        ann.passwordHash = try PasswordHasher.hash("Passw0rd!", cost: 4)
        let pool = KDFPool(threads: 1, queueLimit: 0)
        let directory = try TenantFixture().write()
        let tenant = try TenantLoader.load(directory: directory)
        let store = try SQLiteUserStore(path: temporaryPath("store.sqlite"))
        try await LoginPipeline.seed(store: store, tenant: tenant)
        try await store.insert(ann)
        let p = LoginPipeline(tenant: tenant, store: store, runtime: Shared.runtime, keys: try await Shared.keys.value, kdfPool: pool)

        // The one hashing thread is held until the gate opens; nothing may wait behind it.
        let gate = DispatchSemaphore(value: 0)
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let blocker = try pool.submit { () throws(PasswordHashError) in
            startedContinuation.yield()
            gate.wait()
            return true
        }
        for await _ in started { break }

        let busy = try await p.login(username: "ann@test.local", password: "Passw0rd!")
        #expect(busy.outcome == .denied)
        #expect(busy.error?.error == "temporarily_unavailable")
        #expect(busy.error?.description.contains("password hashing is busy") == true, "\(String(describing: busy.error))")
        // An unknown user's login does the same hashing work (so it takes as long as a wrong
        // password): it meets the busy pool too, and answers the same.
        let unknown = try await p.login(username: "nobody@test.local", password: "Passw0rd!")
        #expect(unknown.error?.error == "temporarily_unavailable", "\(String(describing: unknown.error))")

        gate.signal()
        #expect(try await blocker.value())
        let ok = try await p.login(username: "ann@test.local", password: "Passw0rd!")
        #expect(ok.outcome == .allowed, "\(String(describing: ok.error))")
        let wrong = try await p.login(username: "ann@test.local", password: "wrong")
        let absent = try await p.login(username: "nobody@test.local", password: "wrong")
        #expect(wrong.error == absent.error, "a wrong password and an unknown user answer alike")
    }
}
