import JSONCore

/// Auth0's bulk user import/export JSON format (an array of users).
public enum BulkImport {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var index: Int
        public var reason: String
        public var description: String { "user[\(index)]: \(reason)" }
    }

    public struct Report: Sendable {
        public var imported: [String] = []
        public var problems: [Problem] = []
    }

    static let allowedKeys: Set<String> = [
        "email", "email_verified", "user_id", "username", "given_name", "family_name", "name", "nickname",
        "picture", "blocked", "app_metadata", "user_metadata", "password_hash", "custom_password_hash",
        "mfa_factors", "phone_number", "phone_verified",
    ]

    /// Parses and validates entries; valid ones become profiles for `connection`, invalid ones
    /// are reported with their index and reason.
    public static func parse(_ document: JSONValue, connection: String, now: Double = Timestamp.now()) -> (users: [(index: Int, user: UserProfile)], problems: [Problem]) {
        guard case .array(let entries) = document else {
            return ([], [Problem(index: -1, reason: "the file must hold a JSON array of users")])
        }
        var users: [(index: Int, user: UserProfile)] = []
        var problems: [Problem] = []
        var seenEmails: Set<String> = []
        for (i, entry) in entries.enumerated() {
            do throws(DirectoryError) {
                let u = try profile(from: entry, connection: connection, now: now)
                if let e = u.email?.lowercased() {
                    guard seenEmails.insert(e).inserted else { throw .userExists("\(e) appears twice in the file") }
                }
                users.append((i, u))
            } catch {
                problems.append(Problem(index: i, reason: error.description))
            }
        }
        return (users, problems)
    }

    static func profile(from entry: JSONValue, connection: String, now: Double) throws(DirectoryError) -> UserProfile {
        guard case .object(let o) = entry else { throw .invalidProfile("each user must be a JSON object") }
        if let unknown = o.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw .invalidProfile("unknown field '\(unknown)'")
        }
        guard let email = o["email"]?.stringValue, isPlausibleEmail(email) else {
            throw .invalidProfile("'email' is required and must be an email address")
        }
        let local: String
        if let id = o["user_id"]?.stringValue ?? o["user_id"]?.intValue.map(String.init) {
            local = id.hasPrefix("auth0|") ? String(id.dropFirst(6)) : id
            guard !local.isEmpty, local.count <= 255 else { throw .invalidProfile("'user_id' must be 1 to 255 characters") }
        } else {
            local = randomHexID()
        }
        var u = UserProfile(userId: "auth0|" + local, connection: connection, email: email.lowercased(), now: now)
        func string(_ k: String) throws(DirectoryError) -> String? {
            guard let v = o[k] else { return nil }
            guard case .string(let s) = v else { throw .invalidProfile("'\(k)' must be a string") }
            return s
        }
        func bool(_ k: String) throws(DirectoryError) -> Bool? {
            guard let v = o[k] else { return nil }
            guard case .bool(let b) = v else { throw .invalidProfile("'\(k)' must be a boolean") }
            return b
        }
        u.emailVerified = try bool("email_verified") ?? false
        u.username = try string("username")
        u.givenName = try string("given_name")
        u.familyName = try string("family_name")
        u.name = try string("name")
        u.nickname = try string("nickname")
        u.picture = try string("picture")
        u.phoneNumber = try string("phone_number")
        u.phoneVerified = try bool("phone_verified")
        u.blocked = try bool("blocked") ?? false
        if let app = o["app_metadata"] { u.appMetadata = try MetadataMerge.apply(app, to: [:], kind: .app) }
        if let meta = o["user_metadata"] { u.userMetadata = try MetadataMerge.apply(meta, to: [:], kind: .user) }
        if let hash = try string("password_hash") {
            guard PasswordHasher.isBcrypt(hash), let cost = PasswordHasher.cost(of: hash) else { throw .invalidProfile("'password_hash' must be a bcrypt hash ($2a$, $2b$ or $2y$)") }
            // Refused here rather than at every login attempt, where it would be refused anyway.
            guard PasswordHasher.costs.contains(cost) else { throw .invalidProfile("'password_hash': \(PasswordHashError.bcryptCost(cost))") }
            u.passwordHash = hash
        }
        if let custom = o["custom_password_hash"] {
            guard o["password_hash"] == nil else { throw .invalidProfile("give either 'password_hash' or 'custom_password_hash', not both") }
            u.passwordHash = try ImportedPasswordHash.stored(from: custom)
        }
        if let factors = o["mfa_factors"]?.arrayValue {
            u.multifactor = factors.compactMap { $0.objectValue?.keys.first }
        }
        u.applyDefaults()
        return u
    }

    /// The export form of users: the import format with bcrypt `password_hash` where known.
    public static func export(_ users: [UserProfile]) -> JSONValue {
        .array(users.map { u in
            var o: [String: JSONValue] = [:]
            let local = u.identities.first?.userId ?? u.userId
            o["user_id"] = .string(local)
            o["email_verified"] = .bool(u.emailVerified)
            o["blocked"] = .bool(u.blocked)
            func put(_ k: String, _ v: String?) { if let v { o[k] = .string(v) } }
            put("email", u.email)
            put("username", u.username)
            put("given_name", u.givenName)
            put("family_name", u.familyName)
            put("name", u.name)
            put("nickname", u.nickname)
            put("picture", u.picture)
            put("phone_number", u.phoneNumber)
            // Imported hashes not yet replaced by bcrypt (at the user's first login) go back out as given.
            if let hash = u.passwordHash, ImportedPasswordHash.isImported(hash),
                let custom = try? JSONValue.parse(String(hash.dropFirst(ImportedPasswordHash.prefix.count))) {
                o["custom_password_hash"] = custom
            } else {
                put("password_hash", u.passwordHash)
            }
            if !u.appMetadata.isEmpty { o["app_metadata"] = .object(u.appMetadata) }
            if !u.userMetadata.isEmpty { o["user_metadata"] = .object(u.userMetadata) }
            return .object(o)
        })
    }

    static func isPlausibleEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !s.contains(" ")
    }
}

/// 24 lowercase hex characters, the shape of Auth0 database user ids.
public func randomHexID() -> String {
    var g = SystemRandomNumberGenerator()
    let a = g.next() as UInt64, b = g.next() as UInt64
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    return String(unsafeUninitializedCapacity: 24) { buf in
        for i in 0..<16 { buf[i] = digits[Int((a >> (UInt64(i) * 4)) & 0xF)] }
        for i in 0..<8 { buf[16 + i] = digits[Int((b >> (UInt64(i) * 4)) & 0xF)] }
        return 24
    }
}

extension UserStore {
    /// Imports a bulk file: valid users are inserted (existing emails at the connection are
    /// reported, not overwritten).
    public func importUsers(_ document: JSONValue, connection: String) async -> BulkImport.Report {
        var report = BulkImport.Report()
        let (users, problems) = BulkImport.parse(document, connection: connection)
        report.problems = problems
        for (index, u) in users {
            do {
                try await insert(u)
                report.imported.append(u.userId)
            } catch {
                report.problems.append(BulkImport.Problem(index: index, reason: "\(error)"))
            }
        }
        report.problems.sort { $0.index < $1.index }
        return report
    }
}
