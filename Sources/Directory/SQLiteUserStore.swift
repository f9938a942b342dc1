import Foundation
import GRDB
import JSONCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode. Each user is a row with its profile as
/// JSON plus indexed lookup columns; read-modify-write updates run inside one write
/// transaction, which SQLite serializes, so concurrent merges never lose a key.
public final class SQLiteUserStore: DataStore {
    let pool: DatabasePool
    public let path: String
    /// The store file as opened (device and inode): a file removed or replaced under the
    /// daemon is no longer the one it writes to.
    let opened: (device: UInt64, inode: UInt64)
    /// Why the last write failed for lack of room or a failing disk; cleared by the next
    /// write that succeeds.
    let writeFailure = Mutex<String?>(nil)
    /// Writes failed so since the store opened, and the last failure (kept when a later write
    /// succeeds, unlike `writeFailure`).
    let failures = Mutex<(count: Int, last: String?)>((0, nil))

    public init(path: String) throws {
        self.path = path
        try Self.createPrivately(path)
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: config)
        var st = stat()
        guard stat(path, &st) == 0 else { throw DirectoryError.storage("cannot read \(path) after opening it: \(String(cString: strerror(errno)))") }
        opened = (UInt64(st.st_dev), UInt64(st.st_ino))
        try migrator.migrate(pool)
    }

    /// Why writes cannot be kept now, or nil: the store file was removed or replaced since it
    /// was opened (SQLite would go on writing to the unlinked file, and a restart would find
    /// nothing of it), its owner may no longer write it, or the last write found the disk full
    /// or failing.
    public func storageProblem() -> StorageProblem? {
        if let lasting = fileProblem() { return StorageProblem(lasting, lasting: true) }
        return writeFailure.withLock { $0 }.map { StorageProblem($0, lasting: false) }
    }

    public func failedWrites() -> (count: Int, last: StorageProblem?) {
        let f = failures.withLock { $0 }
        return (f.count, f.last.map { StorageProblem($0, lasting: false) })
    }

    /// The file part of `storageProblem` (not the last write's failure: a full disk may have
    /// room again, which only a write finds out).
    func fileProblem() -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return "the store file \(path) was removed while the daemon ran: writes are refused (restart the daemon)" }
        guard UInt64(st.st_dev) == opened.device, UInt64(st.st_ino) == opened.inode else {
            return "the store file \(path) was replaced while the daemon ran: writes are refused (restart the daemon)"
        }
        if Int(st.st_mode) & 0o200 == 0 { return "the store file \(path) was made read-only: writes are refused" }
        return nil
    }

    /// `pool.write`, refused before anything is written while `storageProblem` names one; a
    /// write that fails for lack of room or a failing disk is remembered until one succeeds.
    func guardedWrite<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        if let problem = fileProblem() { throw DirectoryError.storage(problem) }
        do {
            let result = try await pool.write(updates)
            writeFailure.withLock { $0 = nil }
            return result
        } catch let e as DatabaseError where [.SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN].contains(e.resultCode) {
            let message = e.resultCode == .SQLITE_FULL
                ? "the disk holding \(path) is full: writes are refused until there is room"
                : "the store file \(path) cannot be written (\(e.message ?? "\(e.resultCode)"))"
            writeFailure.withLock { $0 = message }
            failures.withLock { $0 = ($0.count + 1, message) }
            throw DirectoryError.storage(message)
        }
    }

    /// Makes the store refuse to grow past `pages` pages (SQLite answers `SQLITE_FULL` as on a
    /// full disk): for tests of what a full disk does.
    package func limitPages(_ pages: Int) async throws {
        try await pool.write { db in _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)") }
    }

    /// The store holds the signing keys: a new data directory is made 0700 and a new store file
    /// 0600 from the moment they exist (SQLite gives its -wal and -shm files the store file's
    /// mode). Existing ones are left as they are (`permissionWarnings` reports looser modes).
    static func createPrivately(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            // An empty file is an empty SQLite database; umask cannot widen 0600, fchmod
            // narrows what a permissive umask would not.
            fchmod(fd, 0o600)
            close(fd)
        } else if errno != EEXIST {
            throw DirectoryError.storage("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Warnings for a store file or its directory that other local users can read or write
    /// (the store holds the RSA keys that sign every token, Management tokens included).
    public static func permissionWarnings(path: String) -> [String] {
        var out: [String] = []
        let dir = (path as NSString).deletingLastPathComponent
        for (file, what) in [(path, "store file"), (path + "-wal", "store journal"), (dir.isEmpty ? "." : dir, "data directory")] {
            var st = stat()
            guard stat(file, &st) == 0 else { continue }
            let mode = Int(st.st_mode) & 0o777
            if mode & 0o077 != 0 {
                out.append(
                    "warning: the \(what) \(file) has mode \(String(mode, radix: 8)): other local users can read it, and it holds the keys that sign every token (chmod \(what == "data directory" ? "700" : "600") \(file))")
            }
        }
        return out
    }

    private var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                      user_id TEXT PRIMARY KEY,
                      connection TEXT NOT NULL,
                      email TEXT,
                      username TEXT,
                      created_at REAL NOT NULL,
                      profile TEXT NOT NULL
                    );
                    CREATE INDEX users_email ON users(email);
                    CREATE UNIQUE INDEX users_connection_email ON users(connection, email) WHERE email IS NOT NULL;
                    CREATE UNIQUE INDEX users_connection_username ON users(connection, username) WHERE username IS NOT NULL;
                    CREATE INDEX users_created ON users(created_at, user_id);
                    CREATE TABLE user_roles (user_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (user_id, role));
                    CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, private_pem TEXT NOT NULL, created_at REAL NOT NULL, status TEXT NOT NULL);
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
        }
        m.registerMigration("v2-traces-refresh-tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE traces (id TEXT PRIMARY KEY, user_id TEXT, client_id TEXT NOT NULL, created_at REAL NOT NULL, json TEXT NOT NULL);
                    CREATE INDEX traces_user ON traces(user_id, created_at);
                    CREATE TABLE refresh_tokens (
                      hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL, audience TEXT,
                      scope TEXT NOT NULL, created_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
                    """)
        }
        m.registerMigration("v3-logs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE logs (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, json TEXT NOT NULL);
                    CREATE INDEX logs_user ON logs(user_id, seq);
                    """)
        }
        m.registerMigration("v4-ephemeral") { db in
            try db.execute(sql: "CREATE TABLE ephemeral (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL)")
        }
        // Sessions (days) and codes share the table now: the cleanup of expired values on each
        // put must not scan it.
        m.registerMigration("v5-ephemeral-expires") { db in
            try db.execute(sql: "CREATE INDEX ephemeral_expires ON ephemeral(expires)")
        }
        m.registerMigration("v6-tenant-files") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenant_files (path TEXT PRIMARY KEY, content TEXT, revision INTEGER NOT NULL);
                    INSERT INTO meta (key, value) VALUES ('tenant-files-revision', '0');
                    """)
        }
        // Searches look usernames up at any connection.
        m.registerMigration("v7-username-index") { db in
            try db.execute(sql: "CREATE INDEX users_username ON users(username)")
        }
        // Traces and logs are pruned by age and count: both need their creation time indexed.
        // Log events kept only their date inside the JSON; existing ones get it from there (a
        // row without a readable date counts as written now, so it goes by count or in a week).
        m.registerMigration("v8-prune-by-age") { db in
            try db.execute(
                sql: """
                    ALTER TABLE logs ADD COLUMN created_at REAL;
                    UPDATE logs SET created_at = COALESCE(
                      CASE WHEN json_valid(json) THEN (julianday(json_extract(json, '$.date')) - 2440587.5) * 86400.0 END,
                      (julianday('now') - 2440587.5) * 86400.0);
                    CREATE INDEX IF NOT EXISTS logs_created ON logs(created_at);
                    CREATE INDEX IF NOT EXISTS traces_created ON traces(created_at);
                    """)
        }
        // Sessions and refresh tokens are kept values owned by a user: listed per user.
        m.registerMigration("v9-ephemeral-owner") { db in
            try db.execute(
                sql: """
                    ALTER TABLE ephemeral ADD COLUMN owner TEXT;
                    CREATE INDEX ephemeral_owner ON ephemeral(owner, key) WHERE owner IS NOT NULL;
                    """)
        }
        return m
    }

    static func decode(_ text: String) throws -> UserProfile {
        try UserProfile(json: try JSONValue.parse(text))
    }

    private static func fetchUser(_ db: Database, id: String) throws -> UserProfile? {
        guard let text = try String.fetchOne(db, sql: "SELECT profile FROM users WHERE user_id = ?", arguments: [id]) else { return nil }
        return try decode(text)
    }

    private static func write(_ db: Database, _ user: UserProfile, insert: Bool) throws {
        let text = try encodeChecked(user)
        let email = user.email?.lowercased()
        do {
            if insert {
                try db.execute(
                    sql: "INSERT INTO users (user_id, connection, email, username, created_at, profile) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [user.userId, user.connection, email, user.username, user.createdAt, text])
            } else {
                try db.execute(
                    sql: "UPDATE users SET connection = ?, email = ?, username = ?, profile = ? WHERE user_id = ?",
                    arguments: [user.connection, email, user.username, text, user.userId])
                if db.changesCount == 0 { throw DirectoryError.notFound(user.userId) }
            }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
            throw DirectoryError.userExists(user.email ?? user.username ?? user.userId)
        }
    }

    public func user(id: String) async throws -> UserProfile? {
        try await pool.read { db in try Self.fetchUser(db, id: id) }
    }

    public func users(email: String) async throws -> [UserProfile] {
        try await pool.read { db in try Self.fetchUsers(db, email: email) }
    }

    private static func fetchUsers(_ db: Database, email: String) throws -> [UserProfile] {
        try String.fetchAll(db, sql: "SELECT profile FROM users WHERE email = ? ORDER BY created_at, user_id", arguments: [email.lowercased()]).map(Self.decode)
    }

    /// One read transaction for both look-ups.
    public func user(reference: String, connection: String?) async throws -> UserProfile? {
        try await pool.read { db in
            if let u = try Self.fetchUser(db, id: reference) { return u }
            return UserReference.pick(try Self.fetchUsers(db, email: reference), connection: connection)
        }
    }

    public func user(login: String, connection: String) async throws -> UserProfile? {
        try await pool.read { db in
            let text = try String.fetchOne(
                db, sql: "SELECT profile FROM users WHERE connection = ? AND (email = ? OR username = ?) LIMIT 1",
                arguments: [connection, login.lowercased(), login])
            return try text.map(Self.decode)
        }
    }

    public func insert(_ user: UserProfile) async throws {
        try await guardedWrite { db in
            if try Self.fetchUser(db, id: user.userId) != nil { throw DirectoryError.userExists(user.userId) }
            try Self.write(db, user, insert: true)
        }
    }

    public func replace(_ user: UserProfile) async throws {
        try await guardedWrite { db in try Self.write(db, user, insert: false) }
    }

    public func recordLogin(id: String, ip: String?, at: Double) async throws -> UserProfile {
        try await guardedWrite { db in try Self.countLogin(db, id: id, ip: ip, at: at) }
    }

    /// One write transaction for the count and the roles.
    public func recordLoginWithRoles(id: String, ip: String?, at: Double) async throws -> (user: UserProfile, roles: [String]) {
        // A struct, not a tuple, out of GRDB's generic `write`: the tuple's generic metadata
        // crashed the Swift 6.3 runtime (a null-pointer call instantiating it) in release builds.
        let counted = try await guardedWrite { db in CountedLogin(user: try Self.countLogin(db, id: id, ip: ip, at: at), roles: try Self.fetchRoles(db, userId: id)) }
        return (counted.user, counted.roles)
    }

    private struct CountedLogin: Sendable {
        var user: UserProfile
        var roles: [String]
    }

    private static func countLogin(_ db: Database, id: String, ip: String?, at: Double) throws -> UserProfile {
        guard var u = try fetchUser(db, id: id) else { throw DirectoryError.notFound(id) }
        u.loginsCount += 1
        u.lastLogin = at
        if let ip { u.lastIP = ip }
        u.updatedAt = at
        try write(db, u, insert: false)
        return u
    }

    public func mergeMetadata(id: String, app: JSONValue?, user: JSONValue?) async throws -> UserProfile {
        try await update(id: id) { u in
            if let app { u.appMetadata = try MetadataMerge.apply(app, to: u.appMetadata, kind: .app) }
            if let user { u.userMetadata = try MetadataMerge.apply(user, to: u.userMetadata, kind: .user) }
        }
    }

    public func update(id: String, _ change: @Sendable (inout UserProfile) throws -> Void) async throws -> UserProfile {
        try await guardedWrite { db in
            guard var u = try Self.fetchUser(db, id: id) else { throw DirectoryError.notFound(id) }
            try change(&u)
            u.updatedAt = max(Timestamp.now(), u.updatedAt + 0.001)
            try Self.write(db, u, insert: false)
            return u
        }
    }

    /// An exact `user_id`, `email` or `username` term is looked up by index, and profiles whose
    /// text cannot match are skipped by `LIKE` before they are parsed and matched; without a
    /// query or sort, a page is read directly.
    public func search(_ query: UserQuery, sort: String?, offset: Int, limit: Int) async throws -> (users: [UserProfile], total: Int) {
        if query == .all, sort == nil {
            let (page, total) = try await pool.read { db in
                (try String.fetchAll(db, sql: "SELECT profile FROM users ORDER BY created_at, user_id LIMIT ? OFFSET ?", arguments: [limit, offset]),
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0)
            }
            return (try page.map { var u = try Self.decode($0); u.passwordHash = nil; return u }, total)
        }
        let texts = try await pool.read { db -> [String] in
            var conditions: [String] = []
            var arguments: [String] = []
            if let c = query.candidates {
                conditions.append("\(c.column) IN (\(Array(repeating: "?", count: c.values.count).joined(separator: ", ")))")
                arguments += c.values
            }
            if let f = query.textFilter {
                conditions.append(f.sql { _ in #"profile LIKE ? ESCAPE '\'"# })
                arguments += f.patterns
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try String.fetchAll(db, sql: "SELECT profile FROM users \(filter) ORDER BY created_at, user_id", arguments: StatementArguments(arguments))
        }
        let profiles = try texts.map { text -> JSONValue in
            guard case .object(var o) = try JSONValue.parse(text) else { return .null }
            // Hashes are never searchable (nor returned).
            o.removeValue(forKey: "password_hash")
            return .object(o)
        }
        return try query.page(of: profiles, sort: sort, offset: offset, limit: limit)
    }

    public func removeRoles(userId: String, roles: [String]) async throws {
        try await guardedWrite { db in
            for r in roles {
                try db.execute(sql: "DELETE FROM user_roles WHERE user_id = ? AND role = ?", arguments: [userId, r])
            }
        }
    }

    public func delete(id: String) async throws -> Bool {
        try await guardedWrite { db in
            try db.execute(sql: "DELETE FROM user_roles WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM users WHERE user_id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func list(offset: Int, limit: Int) async throws -> [UserProfile] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT profile FROM users ORDER BY created_at, user_id LIMIT ? OFFSET ?", arguments: [limit, offset])
                .map(Self.decode)
        }
    }

    public func count() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0 }
    }

    public func roles(userId: String) async throws -> [String] {
        try await pool.read { db in try Self.fetchRoles(db, userId: userId) }
    }

    private static func fetchRoles(_ db: Database, userId: String) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT role FROM user_roles WHERE user_id = ? ORDER BY role", arguments: [userId])
    }

    public func assignRoles(userId: String, roles: [String]) async throws {
        try await guardedWrite { db in
            for r in roles {
                try db.execute(sql: "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)", arguments: [userId, r])
            }
        }
    }

    public func signingKeys() async throws -> [StoredSigningKey] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT kid, private_pem, created_at, status FROM signing_keys ORDER BY created_at DESC").map {
                StoredSigningKey(kid: $0["kid"], privateKeyPEM: $0["private_pem"], createdAt: $0["created_at"], status: $0["status"])
            }
        }
    }

    public func saveSigningKeys(_ keys: [StoredSigningKey]) async throws {
        try await guardedWrite { db in
            for k in keys {
                try db.execute(
                    sql: "INSERT INTO signing_keys (kid, private_pem, created_at, status) VALUES (?, ?, ?, ?) ON CONFLICT(kid) DO UPDATE SET status = excluded.status",
                    arguments: [k.kid, k.privateKeyPEM, k.createdAt, k.status])
            }
        }
    }

    public func saveTrace(id: String, userId: String?, clientId: String, createdAt: Double, json: String) async throws {
        try await guardedWrite { db in try Self.insertTrace(db, id: id, userId: userId, clientId: clientId, createdAt: createdAt, json: json) }
    }

    static func insertTrace(_ db: Database, id: String, userId: String?, clientId: String, createdAt: Double, json: String) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO traces (id, user_id, client_id, created_at, json) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, userId, clientId, createdAt, json])
    }

    /// One transaction for the whole batch.
    public func appendRecords(_ records: [LoginRecord], logCapacity: Int) async throws {
        try await guardedWrite { db in
            for record in records {
                switch record {
                case .log(let event): try Self.insertLog(db, event, capacity: logCapacity)
                case .trace(let id, let userId, let clientId, let createdAt, let json):
                    try Self.insertTrace(db, id: id, userId: userId, clientId: clientId, createdAt: createdAt, json: json)
                }
            }
        }
    }

    public func trace(id: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT json FROM traces WHERE id = ?", arguments: [id]) }
    }

    public func appendLog(_ event: TenantLogEvent, capacity: Int) async throws {
        try await guardedWrite { db in try Self.insertLog(db, event, capacity: capacity) }
    }

    static func insertLog(_ db: Database, _ event: TenantLogEvent, capacity: Int) throws {
        try db.execute(sql: "INSERT INTO logs (user_id, created_at, json) VALUES (?, ?, ?)", arguments: [event.userId, event.date, event.json.serialized()])
        let last = db.lastInsertedRowID
        if last % 64 == 0 || capacity < 64 {
            try db.execute(sql: "DELETE FROM logs WHERE seq <= ?", arguments: [last - Int64(capacity)])
        }
    }

    public func logs(userId: String?, offset: Int, limit: Int) async throws -> (events: [TenantLogEvent], total: Int) {
        try await pool.read { db in
            let filter = userId == nil ? "" : "WHERE user_id = ?"
            let args: StatementArguments = userId.map { [$0] } ?? []
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM logs \(filter)", arguments: args) ?? 0
            let texts = try String.fetchAll(db, sql: "SELECT json FROM logs \(filter) ORDER BY seq DESC LIMIT ? OFFSET ?", arguments: args + [limit, offset])
            return (try texts.map { TenantLogEvent(json: try JSONValue.parse($0)) }, total)
        }
    }

    public func pruneTraces(olderThan: Double, keepAtMost: Int) async throws -> Int {
        var removed = try await deleteInBatches("DELETE FROM traces WHERE id IN (SELECT id FROM traces WHERE created_at < ? LIMIT ?)", [olderThan])
        // The newest one beyond the bound: it and everything older go.
        let cut = try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT created_at FROM traces ORDER BY created_at DESC LIMIT 1 OFFSET ?", arguments: [max(keepAtMost, 0)])
        }
        if let cut {
            removed += try await deleteInBatches("DELETE FROM traces WHERE id IN (SELECT id FROM traces WHERE created_at <= ? LIMIT ?)", [cut])
        }
        return removed
    }

    public func pruneLogs(olderThan: Double, keepAtMost: Int) async throws -> Int {
        var removed = try await deleteInBatches("DELETE FROM logs WHERE seq IN (SELECT seq FROM logs WHERE created_at < ? LIMIT ?)", [olderThan])
        let cut = try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM logs ORDER BY seq DESC LIMIT 1 OFFSET ?", arguments: [max(keepAtMost, 0)])
        }
        if let cut {
            removed += try await deleteInBatches("DELETE FROM logs WHERE seq IN (SELECT seq FROM logs WHERE seq <= ? LIMIT ?)", [cut])
        }
        return removed
    }

    /// Runs a `DELETE … LIMIT ?` (the batch size is the last argument) until it deletes less
    /// than a batch: each batch is its own short write transaction, so a large backlog never
    /// holds SQLite's single writer lock long enough to stall logins.
    private func deleteInBatches(_ sql: String, _ arguments: StatementArguments) async throws -> Int {
        let batch = 2000
        var total = 0
        while true {
            let n = try await guardedWrite { db in
                try db.execute(sql: sql, arguments: arguments + [batch])
                return db.changesCount
            }
            total += n
            if n < batch { return total }
        }
    }

    public func saveRefreshToken(_ t: RefreshTokenRecord) async throws {
        try await guardedWrite { db in
            try db.execute(
                sql: "INSERT INTO refresh_tokens (hash, user_id, client_id, audience, scope, created_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [t.hash, t.userId, t.clientId, t.audience, t.scope, t.createdAt, t.revoked])
        }
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM refresh_tokens WHERE hash = ?", arguments: [hash]).map {
                RefreshTokenRecord(
                    hash: $0["hash"], userId: $0["user_id"], clientId: $0["client_id"], audience: $0["audience"],
                    scope: $0["scope"], createdAt: $0["created_at"], revoked: $0["revoked"])
            }
        }
    }

    public func revokeRefreshToken(hash: String) async throws -> Bool {
        try await guardedWrite { db in
            try db.execute(sql: "UPDATE refresh_tokens SET revoked = 1 WHERE hash = ?", arguments: [hash])
            return db.changesCount > 0
        }
    }

    public func metaValue(_ key: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func claimMetaValue(_ key: String, _ value: String) async throws -> Bool {
        try await guardedWrite { db in
            try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
            return db.changesCount > 0
        }
    }

    public func putEphemeral(_ key: String, _ value: String, expires: Double, owner: String?) async throws {
        try await guardedWrite { db in
            try db.execute(sql: "DELETE FROM ephemeral WHERE expires < ?", arguments: [Timestamp.now()])
            try db.execute(sql: "INSERT OR REPLACE INTO ephemeral (key, value, expires, owner) VALUES (?, ?, ?, ?)", arguments: [key, value, expires, owner])
        }
    }

    public func ephemeralValues(owner: String, prefix: String, now: Double) async throws -> [(key: String, value: String)] {
        try await pool.read { db in
            // A range on the key, not LIKE: the prefix may hold `%` or `_`.
            try Row.fetchAll(
                db, sql: "SELECT key, value FROM ephemeral WHERE owner = ? AND key >= ? AND key < ? AND expires > ? ORDER BY key",
                arguments: [owner, prefix, prefix + "\u{10FFFF}", now]
            ).map { (key: $0["key"], value: $0["value"]) }
        }
    }

    public func readEphemeral(_ key: String, now: Double) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM ephemeral WHERE key = ? AND expires > ?", arguments: [key, now])
        }
    }

    public func takeEphemeral(_ key: String, now: Double) async throws -> String? {
        try await guardedWrite { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT value, expires FROM ephemeral WHERE key = ?", arguments: [key]) else { return nil }
            try db.execute(sql: "DELETE FROM ephemeral WHERE key = ?", arguments: [key])
            let expires: Double = row["expires"]
            return expires > now ? row["value"] : nil
        }
    }

    public func tenantChanges() async throws -> TenantChanges {
        try await pool.read { db in
            var files: [String: String?] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT path, content FROM tenant_files") { files[row["path"]] = .some(row["content"]) }
            return TenantChanges(revision: try Self.tenantChangesRevision(db), files: files)
        }
    }

    static func tenantChangesRevision(_ db: Database) throws -> Int64 {
        Int64(try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'tenant-files-revision'") ?? "0") ?? 0
    }

    public func tenantChangesRevision() async throws -> Int64 {
        try await pool.read { db in try Self.tenantChangesRevision(db) }
    }

    /// One write transaction: SQLite serializes it with every other writer of the file.
    public func saveTenantChanges(_ files: [String: String?], expectedRevision: Int64) async throws -> Int64? {
        try await guardedWrite { db in
            let current = try Self.tenantChangesRevision(db)
            guard current == expectedRevision else { return nil }
            let next = current + 1
            for (path, content) in files {
                try db.execute(
                    sql: "INSERT INTO tenant_files (path, content, revision) VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE SET content = excluded.content, revision = excluded.revision",
                    arguments: [path, content, next])
            }
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'tenant-files-revision'", arguments: [String(next)])
            return next
        }
    }

    /// One write transaction, which SQLite serializes with every other writer of the file.
    public func modifyEphemeral<T: Sendable>(
        _ key: String, now: Double, owner: String?, _ change: @Sendable (String?) throws -> (value: (String, expires: Double)?, result: T)
    ) async throws -> T {
        try await guardedWrite { db in
            let current = try String.fetchOne(db, sql: "SELECT value FROM ephemeral WHERE key = ? AND expires > ?", arguments: [key, now])
            let (value, result) = try change(current)
            if let value {
                try db.execute(
                    sql: """
                        INSERT INTO ephemeral (key, value, expires, owner) VALUES (?, ?, ?, ?)
                        ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires, owner = COALESCE(excluded.owner, ephemeral.owner)
                        """, arguments: [key, value.0, value.expires, owner])
            } else {
                try db.execute(sql: "DELETE FROM ephemeral WHERE key = ?", arguments: [key])
            }
            return result
        }
    }

    public func setMetaValue(_ key: String, _ value: String) async throws {
        try await guardedWrite { db in
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [key, value])
        }
    }
}
