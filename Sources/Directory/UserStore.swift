import JSONCore

/// Where users and their role assignments live. Implementations make `mergeMetadata` and
/// `recordLogin` atomic in the store itself.
public protocol UserStore: Sendable {
    func user(id: String) async throws -> UserProfile?
    /// Users with this email at any connection (emails are compared lower-cased).
    func users(email: String) async throws -> [UserProfile]
    /// The user of `connection` whose email or username is `login`.
    func user(login: String, connection: String) async throws -> UserProfile?
    /// Inserts a new user; `DirectoryError.userExists` when the id, or the email at that
    /// connection, is taken.
    func insert(_ user: UserProfile) async throws
    /// Replaces a stored user wholesale.
    func replace(_ user: UserProfile) async throws
    /// Counts a login: `logins_count + 1`, `last_login`, `last_ip`. Returns the updated user.
    func recordLogin(id: String, ip: String?, at: Double) async throws -> UserProfile
    /// The same, with the user's role names (what a login reads next), in one store round trip
    /// where the store can.
    func recordLoginWithRoles(id: String, ip: String?, at: Double) async throws -> (user: UserProfile, roles: [String])
    /// The user a reference names: a `user_id`, else an email (the user at `connection` when
    /// given and there is one, else the first created), in one store round trip where the store can.
    func user(reference: String, connection: String?) async throws -> UserProfile?
    /// First-level merge of either or both metadata objects, atomically. Returns the updated user.
    func mergeMetadata(id: String, app: JSONValue?, user: JSONValue?) async throws -> UserProfile
    /// Reads, changes and writes one user atomically (the store serializes the whole step).
    /// `updated_at` is advanced. Errors thrown by `change` abort without writing.
    func update(id: String, _ change: @Sendable (inout UserProfile) throws -> Void) async throws -> UserProfile
    /// Users matching a query, sorted, paged; `total` counts all matches.
    func search(_ query: UserQuery, sort: String?, offset: Int, limit: Int) async throws -> (users: [UserProfile], total: Int)
    func removeRoles(userId: String, roles: [String]) async throws
    func delete(id: String) async throws -> Bool
    /// Users ordered by creation time then id.
    func list(offset: Int, limit: Int) async throws -> [UserProfile]
    func count() async throws -> Int
    /// Role names assigned to a user.
    func roles(userId: String) async throws -> [String]
    func assignRoles(userId: String, roles: [String]) async throws
}

extension UserStore {
    public func recordLoginWithRoles(id: String, ip: String?, at: Double) async throws -> (user: UserProfile, roles: [String]) {
        let user = try await recordLogin(id: id, ip: ip, at: at)
        return (user, try await roles(userId: id))
    }

    public func user(reference: String, connection: String?) async throws -> UserProfile? {
        if let u = try await user(id: reference) { return u }
        return UserReference.pick(try await users(email: reference), connection: connection)
    }
}

/// Which of the users with an email a reference means.
public enum UserReference {
    public static func pick(_ byEmail: [UserProfile], connection: String?) -> UserProfile? {
        if let connection, let u = byEmail.first(where: { $0.connection == connection }) { return u }
        return byEmail.first
    }
}

extension UserStore {
    /// Stores the profile after checking Auth0's 1 MB profile limit.
    static func encodeChecked(_ user: UserProfile) throws(DirectoryError) -> String {
        try user.storageText()
    }
}

extension UserProfile {
    /// The JSON a store keeps (the password hash included), within Auth0's 1 MB profile limit.
    public func storageText() throws(DirectoryError) -> String {
        let text = storedJSON.serialized()
        if text.utf8.count > UserProfile.maximumSize { throw .profileTooLarge(text.utf8.count) }
        return text
    }
}
