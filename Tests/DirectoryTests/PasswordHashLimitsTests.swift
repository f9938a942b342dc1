import Directory
import JSONCore
import Testing

/// The limits on password-hash work: each refusal happens before any hashing (a cost 21
/// bcrypt or a 2 GiB argon2 that were computed would take minutes or gigabytes, and the suite's
/// time limit would fail the test), and names what was refused.
@Suite(.timeLimit(.minutes(1))) struct PasswordHashLimitsTests {
    /// A real cost-10 hash of "Passw0rd!" with its cost rewritten: well-formed, never computed.
    static func bcrypt(cost: String) -> String { "$2b$\(cost)$8px0W/YK7WQUO9fu.nTtkeFZGD7y06gkw7VEB5BRzHXV4o1AjZmKy" }
    static let argon2TwoGiB = "$argon2id$v=19$m=2097152,t=1,p=4$c29tZXNhbHRzb21lc2FsdA$5MmgGXWwVbhOSOyNMiE7gQw5hjWYouljS8thguLOjJ0"

    static func imported(_ algorithm: String, _ value: String) -> String {
        #"authsim-import:{"algorithm": "\#(algorithm)", "hash": {"value": "\#(value)", "encoding": "utf8"}}"#
    }

    @Test func newHashesAndSaltsAboveTheMaximumCostAreRefused() throws {
        #expect(PasswordHasher.maximumCost == 14)
        #expect(throws: PasswordHashError.bcryptCost(21)) { try PasswordHasher.hash("pw", cost: 21) }
        #expect(throws: PasswordHashError.bcryptCost(15)) { try PasswordHasher.hash("pw", cost: 15) }
        #expect(throws: PasswordHashError.bcryptCost(21)) { try PasswordHasher.salt(cost: 21) }
        #expect(throws: PasswordHashError.bcryptCost(15)) { try PasswordHasher.salt(cost: 15) }
        #expect(throws: PasswordHashError.bcryptCost(3)) { try PasswordHasher.salt(cost: 3) }
        #expect(throws: PasswordHashError.bcryptCost(21)) { try PasswordHasher.hash("pw", setting: "$2b$21$8px0W/YK7WQUO9fu.nTtke") }
        #expect(throws: PasswordHashError.bcryptCost(15)) { try PasswordHasher.hash("pw", setting: "$2a$15$8px0W/YK7WQUO9fu.nTtke") }
        // The maximum itself is allowed (a salt only: computing cost 14 would take a second).
        #expect(try PasswordHasher.salt(cost: 14).hasPrefix("$2b$14$"))
        #expect(PasswordHashError.bcryptCost(21).description.contains("bcrypt cost 21 is outside authsim's limits (4 to 14"))
    }

    @Test func storedBcryptAboveTheMaximumIsRefusedWithoutHashing() throws {
        #expect(throws: PasswordHashError.bcryptCost(21)) { try PasswordHasher.compare("Passw0rd!", hash: Self.bcrypt(cost: "21")) }
        #expect(throws: PasswordHashError.bcryptCost(18)) { try PasswordHasher.check("Passw0rd!", hash: Self.bcrypt(cost: "18")) }
        #expect(throws: PasswordHashError.bcryptCost(15)) { try PasswordHasher.check("Passw0rd!", hash: Self.bcrypt(cost: "15")) }
        #expect(!PasswordHasher.verify("Passw0rd!", hash: Self.bcrypt(cost: "21")))
        // Within the limit the same hash still checks.
        #expect(try PasswordHasher.check("Passw0rd!", hash: Self.bcrypt(cost: "10")) == (true, false))
    }

    @Test func importedArgon2AndPBKDF2AboveTheLimitsAreRefusedAtVerify() throws {
        #expect {
            try ImportedPasswordHash.verify("Passw0rd!", stored: Self.imported("argon2", Self.argon2TwoGiB))
        } throws: { error in
            "\(error)".contains("argon2 memory m=2097152 KiB is above authsim's limit of 262144 KiB")
        }
        #expect {
            try PasswordHasher.check("Passw0rd!", hash: Self.imported("argon2", "$argon2id$v=19$m=4096,t=11,p=1$c29tZXNhbHRzb21lc2FsdA$5MmgGXWwVbhOSOyNMiE7gQw5hjWYouljS8thguLOjJ0"))
        } throws: { error in
            "\(error)".contains("argon2 iterations t=11")
        }
        #expect {
            try PasswordHasher.check("Passw0rd!", hash: Self.imported("argon2", "$argon2id$v=19$m=4096,t=2,p=64$c29tZXNhbHRzb21lc2FsdA$5MmgGXWwVbhOSOyNMiE7gQw5hjWYouljS8thguLOjJ0"))
        } throws: { error in
            "\(error)".contains("argon2 parallelism p=64")
        }
        #expect {
            try PasswordHasher.check("Passw0rd!", hash: Self.imported("pbkdf2", "$pbkdf2-sha256$i=50000000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$2/6i32L0Bi6MtP2OuJMPcqA89+m4kdqqE3/bAThGMxs"))
        } throws: { error in
            "\(error)".contains("pbkdf2 iterations i=50000000 are above authsim's limit of 1000000")
        }
        #expect {
            try PasswordHasher.check("Passw0rd!", hash: Self.imported("pbkdf2", "$pbkdf2-sha256$i=1000,l=4096$MDEyMzQ1Njc4OWFiY2RlZg$2/6i32L0Bi6MtP2OuJMPcqA89+m4kdqqE3/bAThGMxs"))
        } throws: { error in
            "\(error)".contains("pbkdf2 key length 4096 bytes")
        }
        // Hashes within the limits (made outside authsim) still verify.
        let argon2 = Self.imported("argon2", "$argon2id$v=19$m=4096,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5MmgGXWwVbhOSOyNMiE7gQw5hjWYouljS8thguLOjJ0")
        #expect(try PasswordHasher.check("Passw0rd!", hash: argon2) == (true, true))
        #expect(try PasswordHasher.check("Passw0rd?", hash: argon2) == (false, true))
        let pbkdf2 = Self.imported("pbkdf2", "$pbkdf2-sha256$i=1000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$2/6i32L0Bi6MtP2OuJMPcqA89+m4kdqqE3/bAThGMxs")
        #expect(try PasswordHasher.check("Passw0rd!", hash: pbkdf2) == (true, true))
        // A parameter string libargon2 could read differently is never handed to it.
        #expect(try ImportedPasswordHash.verify("Passw0rd!", stored: Self.imported("argon2", "$argon2id$v=19$t=2,m=4096,p=1$c29tZXNhbHRzb21lc2FsdA$5MmgGXWwVbhOSOyNMiE7gQw5hjWYouljS8thguLOjJ0")) == false)
    }

    @Test func bulkImportRefusesExpensiveHashesUserByUser() throws {
        let document = try JSONValue.parse(
            """
            [
              {"email": "b18@x.test", "password_hash": "\(Self.bcrypt(cost: "18"))"},
              {"email": "b15@x.test", "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": "\(Self.bcrypt(cost: "15"))"}}},
              {"email": "a2g@x.test", "custom_password_hash": {"algorithm": "argon2", "hash": {"value": "\(Self.argon2TwoGiB)"}}},
              {"email": "p50m@x.test", "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2-sha256$i=50000000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$2/6i32L0Bi6MtP2OuJMPcqA89+m4kdqqE3/bAThGMxs"}}},
              {"email": "ok@x.test", "password_hash": "\(Self.bcrypt(cost: "10"))"}
            ]
            """)
        let (users, problems) = BulkImport.parse(document, connection: "Username-Password-Authentication")
        #expect(users.map(\.user.email) == ["ok@x.test"])
        #expect(problems.map(\.index) == [0, 1, 2, 3])
        #expect(problems[0].reason.contains("bcrypt cost 18 is outside authsim's limits"))
        #expect(problems[1].reason.contains("bcrypt cost 15 is outside authsim's limits"))
        #expect(problems[2].reason.contains("argon2 memory m=2097152 KiB"))
        #expect(problems[3].reason.contains("pbkdf2 iterations i=50000000"))
    }
}
