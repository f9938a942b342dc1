import JSONCore

/// A persisted RS256 signing key.
public struct StoredSigningKey: Sendable, Equatable {
    public var kid: String
    public var privateKeyPEM: String
    public var createdAt: Double
    /// `current`, `previous` or `revoked`.
    public var status: String

    public init(kid: String, privateKeyPEM: String, createdAt: Double, status: String) {
        self.kid = kid
        self.privateKeyPEM = privateKeyPEM
        self.createdAt = createdAt
        self.status = status
    }
}

/// Why a store cannot keep writes.
public struct StorageProblem: Sendable, Equatable, CustomStringConvertible {
    public var description: String
    /// True when it cannot pass without an administrator (the file removed, replaced or made
    /// read-only); false when the next write may succeed (a full or failing disk).
    public var lasting: Bool

    public init(_ description: String, lasting: Bool) {
        self.description = description
        self.lasting = lasting
    }
}

/// Where users (and the daemon's small persistent state) live. Implementations make
/// `mergeMetadata` and `recordLogin` atomic in the store itself.
public protocol UserStore: Sendable {
    /// Why writes cannot be kept now (the store file removed, replaced or made read-only, the
    /// disk full), or nil. The daemon reports it at /healthz and answers 503 while it lasts.
    func storageProblem() -> StorageProblem?
    /// How many writes have failed for lack of room or a failing disk since the store opened,
    /// and the last such failure: a caller compares the count before and after its work.
    func failedWrites() -> (count: Int, last: StorageProblem?)
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

    func signingKeys() async throws -> [StoredSigningKey]
    func saveSigningKeys(_ keys: [StoredSigningKey]) async throws

    func metaValue(_ key: String) async throws -> String?
    func setMetaValue(_ key: String, _ value: String) async throws
    /// Sets `key` only when it has no value yet; true for the one caller that set it.
    func claimMetaValue(_ key: String, _ value: String) async throws -> Bool

    /// Short-lived values shared by every daemon on the store (authorization codes, login
    /// transactions, SSO sessions, refresh tokens): kept until `expires`; putting a key again
    /// replaces it. `owner` (a user id) lets `ephemeralValues(owner:prefix:now:)` list a user's
    /// values of one kind.
    func putEphemeral(_ key: String, _ value: String, expires: Double, owner: String?) async throws
    /// The unexpired values of `owner` whose keys start with `prefix`, in key order.
    func ephemeralValues(owner: String, prefix: String, now: Double) async throws -> [(key: String, value: String)]
    /// An unexpired value, left in place (nil when absent or expired).
    func readEphemeral(_ key: String, now: Double) async throws -> String?
    /// Removes and returns an unexpired value (nil when absent, expired or already taken).
    func takeEphemeral(_ key: String, now: Double) async throws -> String?
    /// Reads, changes and writes one short-lived value atomically, across every daemon on the
    /// store (counters, tries): `change` gets the unexpired value (or nil) and returns the new
    /// value with its expiry (nil removes it) and a result for the caller. A value it creates
    /// gets `owner`; one it changes keeps its owner.
    func modifyEphemeral<T: Sendable>(
        _ key: String, now: Double, owner: String?, _ change: @Sendable (String?) throws -> (value: (String, expires: Double)?, result: T)
    ) async throws -> T

    /// Keeps a login's trace (the simulation result JSON) under an id tokens refer to.
    func saveTrace(id: String, userId: String?, clientId: String, createdAt: Double, json: String) async throws
    func trace(id: String) async throws -> String?

    /// Appends to the tenant log, keeping at most `capacity` events (oldest dropped first).
    func appendLog(_ event: TenantLogEvent, capacity: Int) async throws
    /// Log events and traces of one or more logins in one write (one transaction where the
    /// store has them): the daemon batches what concurrent logins record.
    func appendRecords(_ records: [LoginRecord], logCapacity: Int) async throws
    /// Newest first; only a user's events when `userId` is given.
    func logs(userId: String?, offset: Int, limit: Int) async throws -> (events: [TenantLogEvent], total: Int)

    /// Deletes traces created before `olderThan` (seconds since 1970), then all but the newest
    /// `keepAtMost`; returns how many went. Indexed by creation time: cheap when there is
    /// nothing to delete, so the daemon can run it often.
    func pruneTraces(olderThan: Double, keepAtMost: Int) async throws -> Int
    /// Deletes log events dated before `olderThan`, then all but the newest `keepAtMost`;
    /// returns how many went.
    func pruneLogs(olderThan: Double, keepAtMost: Int) async throws -> Int

    /// Tenant files changed at run time (rules, actions and trigger bindings saved through the
    /// Management API) when the store, not the tenant directory, keeps them: every daemon on the
    /// store loads its directory with these files laid over it.
    func tenantChanges() async throws -> TenantChanges
    /// The revision alone (polled by every daemon to notice another one's change).
    func tenantChangesRevision() async throws -> Int64
    /// Writes `files` (path → content, nil: deleted) and advances the revision by one, only when
    /// the stored revision is still `expectedRevision`; nil (nothing written) when another change
    /// landed first.
    func saveTenantChanges(_ files: [String: String?], expectedRevision: Int64) async throws -> Int64?

    func saveRefreshToken(_ token: RefreshTokenRecord) async throws
    /// The record for a token hash, revoked ones included.
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    /// Marks a token revoked; false when it does not exist.
    func revokeRefreshToken(hash: String) async throws -> Bool
}

/// What a login leaves in the store besides the user: a tenant log event or a trace.
public enum LoginRecord: Sendable {
    case log(TenantLogEvent)
    case trace(id: String, userId: String?, clientId: String, createdAt: Double, json: String)
}

extension UserStore {
    /// A value no user owns.
    public func putEphemeral(_ key: String, _ value: String, expires: Double) async throws {
        try await putEphemeral(key, value, expires: expires, owner: nil)
    }

    public func modifyEphemeral<T: Sendable>(
        _ key: String, now: Double, _ change: @Sendable (String?) throws -> (value: (String, expires: Double)?, result: T)
    ) async throws -> T {
        try await modifyEphemeral(key, now: now, owner: nil, change)
    }

    /// Stores on a server (PostgreSQL) report their failures per call.
    public func storageProblem() -> StorageProblem? { nil }
    public func failedWrites() -> (count: Int, last: StorageProblem?) { (0, nil) }

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
    /// One by one, for stores without a cheaper batch.
    public func appendRecords(_ records: [LoginRecord], logCapacity: Int) async throws {
        for record in records {
            switch record {
            case .log(let event): try await appendLog(event, capacity: logCapacity)
            case .trace(let id, let userId, let clientId, let createdAt, let json):
                try await saveTrace(id: id, userId: userId, clientId: clientId, createdAt: createdAt, json: json)
            }
        }
    }
}

/// The tenant files a store keeps over the tenant directory, with their revision (0: none yet).
public struct TenantChanges: Sendable, Equatable {
    public var revision: Int64
    /// Relative path (`rules/x.js`, `actions/x/code.js`, `triggers/triggers.json`) → content;
    /// nil hides the directory's file of that path.
    public var files: [String: String?]

    public init(revision: Int64, files: [String: String?]) {
        self.revision = revision
        self.files = files
    }
}

/// A refresh token as stored: only its SHA-256, never the token itself.
public struct RefreshTokenRecord: Sendable, Equatable {
    public var hash: String
    public var userId: String
    public var clientId: String
    public var audience: String?
    public var scope: String
    public var createdAt: Double
    public var revoked: Bool

    public init(hash: String, userId: String, clientId: String, audience: String?, scope: String, createdAt: Double, revoked: Bool = false) {
        self.hash = hash
        self.userId = userId
        self.clientId = clientId
        self.audience = audience
        self.scope = scope
        self.createdAt = createdAt
        self.revoked = revoked
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
