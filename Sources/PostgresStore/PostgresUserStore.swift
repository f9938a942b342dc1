import Directory
import Foundation
import JSONCore
import Logging
import PostgresNIO

/// The shared store for several daemons behind one load balancer: users (profile as `jsonb`),
/// roles, signing keys, refresh tokens, traces, logs and small values in PostgreSQL. Changes to
/// one user run in a transaction holding that user's row lock (`SELECT … FOR UPDATE`), so
/// concurrent metadata merges from different daemons never lose a key. The schema is versioned
/// (`authsim_schema`) and migrated at start under an advisory lock.
public final class PostgresUserStore: DataStore {
    let pool: PostgresClient
    let health = PostgresHealth()
    /// The pool, its statements' failures watched (`storageProblem`).
    var client: ObservedClient { ObservedClient(pool: pool, health: health) }
    let runner: Task<Void, Never>
    let logger: Logger
    /// The URL without its password (for messages).
    public let displayURL: String
    let schema: String?

    /// `url`: `postgres://user:password@host:port/database` (`sslmode=require` for TLS).
    public init(url: String, logger: Logger = Logger(label: "authsim.postgres")) async throws {
        guard let c = URLComponents(string: url), ["postgres", "postgresql"].contains(c.scheme ?? ""), let host = c.host else {
            throw DirectoryError.storage("not a PostgreSQL URL: expected postgres://user:password@host:port/database")
        }
        let tls: PostgresClient.Configuration.TLS = (c.queryItems?.first { $0.name == "sslmode" }?.value == "require") ? .require(.makeClientConfiguration()) : .disable
        let database = c.path.count > 1 ? String(c.path.dropFirst()) : nil
        var configuration = PostgresClient.Configuration(
            host: host, port: c.port ?? 5432, username: c.user ?? "postgres", password: c.password, database: database, tls: tls)
        configuration.options.maximumConnections = 16
        // `?schema=name`: several stores (tenants, test runs) in one database.
        let schema = c.queryItems?.first { $0.name == "schema" }?.value
        if let schema {
            guard schema.range(of: #"^[a-z_][a-z0-9_]{0,62}$"#, options: .regularExpression) != nil else {
                throw DirectoryError.storage("schema must be a lower-case SQL identifier (got \(schema))")
            }
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        self.schema = schema
        let client = PostgresClient(configuration: configuration)
        self.pool = client
        self.logger = logger
        self.runner = Task { await client.run() }
        var shown = c
        if shown.password != nil { shown.password = "***" }
        displayURL = shown.string ?? url
        do {
            try await migrate()
        } catch {
            runner.cancel()
            throw DirectoryError.storage("PostgreSQL at \(displayURL): \(String(reflecting: error))")
        }
    }

    deinit { runner.cancel() }

    public func storageProblem() -> StorageProblem? {
        health.state.withLock { $0.current }.map { StorageProblem($0, lasting: false) }
    }

    public func failedWrites() -> (count: Int, last: StorageProblem?) {
        let s = health.state.withLock { $0 }
        return (s.count, s.last.map { StorageProblem($0, lasting: false) })
    }

    /// Versioned schema changes, applied once, in order, by whichever daemon starts first.
    static let migrations: [(version: Int, sql: [String])] = [
        (1, [
            """
            CREATE TABLE users (
              user_id text PRIMARY KEY, connection text NOT NULL, email text, username text,
              created_at double precision NOT NULL, profile jsonb NOT NULL)
            """,
            "CREATE INDEX users_email ON users(email)",
            "CREATE UNIQUE INDEX users_connection_email ON users(connection, email) WHERE email IS NOT NULL",
            "CREATE UNIQUE INDEX users_connection_username ON users(connection, username) WHERE username IS NOT NULL",
            "CREATE INDEX users_created ON users(created_at, user_id)",
            "CREATE TABLE user_roles (user_id text NOT NULL, role text NOT NULL, PRIMARY KEY (user_id, role))",
            "CREATE TABLE signing_keys (kid text PRIMARY KEY, private_pem text NOT NULL, created_at double precision NOT NULL, status text NOT NULL)",
            "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
            "CREATE TABLE traces (id text PRIMARY KEY, user_id text, client_id text NOT NULL, created_at double precision NOT NULL, json text NOT NULL)",
            "CREATE INDEX traces_user ON traces(user_id, created_at)",
            """
            CREATE TABLE refresh_tokens (
              hash text PRIMARY KEY, user_id text NOT NULL, client_id text NOT NULL, audience text,
              scope text NOT NULL, created_at double precision NOT NULL, revoked boolean NOT NULL DEFAULT false)
            """,
            "CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id)",
            "CREATE TABLE logs (seq bigserial PRIMARY KEY, user_id text, json text NOT NULL)",
            "CREATE INDEX logs_user ON logs(user_id, seq)",
        ]),
        (2, ["CREATE TABLE ephemeral (key text PRIMARY KEY, value text NOT NULL, expires double precision NOT NULL)"]),
        // The cleanup of expired values on each put uses it (sessions last days).
        (3, ["CREATE INDEX ephemeral_expires ON ephemeral(expires)"]),
        // Rules, actions and bindings saved through the Management API, shared by every daemon.
        (4, [
            "CREATE TABLE tenant_files (path text PRIMARY KEY, content text, revision bigint NOT NULL)",
            "INSERT INTO meta (key, value) VALUES ('tenant-files-revision', '0') ON CONFLICT DO NOTHING",
        ]),
        // Searches look usernames up at any connection.
        (5, ["CREATE INDEX users_username ON users(username)"]),
        // Traces and logs are pruned by age and count: both need their creation time indexed.
        // Log events kept only their date inside the JSON; existing ones get it from there (a row
        // without a readable date counts as written now, so it goes by count or in a week). The
        // date is matched in the text, not read with `->>`, which fails on a whole document when
        // any string in it holds `\u0000`. Keys are stored sorted: the top-level `date` comes
        // before `details`, and a `"date":"` inside a string value is escaped, so never matches.
        (6, [
            "ALTER TABLE logs ADD COLUMN IF NOT EXISTS created_at double precision",
            #"""
            UPDATE logs SET created_at = COALESCE(
              extract(epoch FROM substring(json FROM '"date":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"')::timestamptz),
              extract(epoch FROM now()))
            WHERE created_at IS NULL
            """#,
            "CREATE INDEX IF NOT EXISTS logs_created ON logs(created_at)",
            "CREATE INDEX IF NOT EXISTS traces_created ON traces(created_at)",
        ]),
        // Sessions and refresh tokens are kept values owned by a user: listed per user.
        (7, [
            "ALTER TABLE ephemeral ADD COLUMN IF NOT EXISTS owner text",
            "CREATE INDEX IF NOT EXISTS ephemeral_owner ON ephemeral(owner, key) WHERE owner IS NOT NULL",
        ]),
    ]

    func migrate() async throws {
        try await client.withTransaction(logger: logger) { c in
            // One daemon migrates at a time; the others wait, then see the new version.
            try await c.query("SELECT pg_advisory_xact_lock(5150115)", logger: logger)
            if let schema = self.schema { try await c.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger) }
            try await c.query("CREATE TABLE IF NOT EXISTS authsim_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", logger: logger)
            var applied: Set<Int> = []
            for try await v in try await c.query("SELECT version FROM authsim_schema", logger: logger).decode(Int.self) { applied.insert(v) }
            for m in Self.migrations where !applied.contains(m.version) {
                for statement in m.sql { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await c.query("INSERT INTO authsim_schema (version) VALUES (\(m.version))", logger: logger)
            }
        }
    }

    /// A transaction's failure as the closure's own error (not PostgresNIO's wrapper).
    static func unwrap(_ error: any Error) -> any Error {
        guard let e = error as? PostgresTransactionError else { return error }
        return e.closureError ?? e.beginError ?? e.commitError ?? e
    }

    // MARK: - Users

    static func decode(_ text: String) throws -> UserProfile { try UserProfile(json: try JSONValue.parse(text)) }

    func profiles(_ query: PostgresQuery, on c: PostgresConnection? = nil) async throws -> [UserProfile] {
        var out: [UserProfile] = []
        let rows: PostgresRowSequence
        if let c { rows = try await c.query(query, logger: logger) } else { rows = try await client.query(query, logger: logger) }
        for try await text in rows.decode(String.self) { out.append(try Self.decode(text)) }
        return out
    }

    /// Postgres unique-violation → the store's "user exists".
    static func translate(_ error: any Error, _ user: UserProfile) -> any Error {
        if let e = error as? PSQLError, e.serverInfo?[.sqlState] == "23505" {
            return DirectoryError.userExists(user.email ?? user.username ?? user.userId)
        }
        return error
    }

    public func user(id: String) async throws -> UserProfile? {
        try await profiles("SELECT profile::text FROM users WHERE user_id = \(id)").first
    }

    public func users(email: String) async throws -> [UserProfile] {
        try await profiles("SELECT profile::text FROM users WHERE email = \(email.lowercased()) ORDER BY created_at, user_id")
    }

    public func user(login: String, connection: String) async throws -> UserProfile? {
        try await profiles(
            "SELECT profile::text FROM users WHERE connection = \(connection) AND (email = \(login.lowercased()) OR username = \(login)) LIMIT 1").first
    }

    public func insert(_ user: UserProfile) async throws {
        let text = try Self.storedText(user)
        do {
            try await client.query(
                """
                INSERT INTO users (user_id, connection, email, username, created_at, profile)
                VALUES (\(user.userId), \(user.connection), \(user.email?.lowercased()), \(user.username), \(user.createdAt), \(text)::jsonb)
                """, logger: logger)
        } catch {
            throw Self.translate(error, user)
        }
    }

    /// The profile as stored (the password hash included), checked against the 1 MB limit.
    static func storedText(_ user: UserProfile) throws -> String { try user.storageText() }

    func write(_ user: UserProfile, on c: PostgresConnection) async throws {
        let text = try Self.storedText(user)
        do {
            let rows = try await c.query(
                """
                UPDATE users SET connection = \(user.connection), email = \(user.email?.lowercased()), username = \(user.username), profile = \(text)::jsonb
                WHERE user_id = \(user.userId) RETURNING user_id
                """, logger: logger)
            var found = false
            for try await _ in rows.decode(String.self) { found = true }
            if !found { throw DirectoryError.notFound(user.userId) }
        } catch let e as DirectoryError {
            throw e
        } catch {
            throw Self.translate(error, user)
        }
    }

    public func replace(_ user: UserProfile) async throws {
        try await client.withConnection { c in try await self.write(user, on: c) }
    }

    /// One statement: the count is incremented on the row as it is when the update locks it.
    public func recordLogin(id: String, ip: String?, at: Double) async throws -> UserProfile {
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(Timestamp.format(at))
        if let ip { bindings.append(ip) } else { bindings.appendNull() }
        let sql = """
            UPDATE users SET profile = profile || jsonb_build_object(
              'logins_count', coalesce((profile->>'logins_count')::bigint, 0) + 1, 'last_login', $2::text,
              'last_ip', coalesce(to_jsonb($3::text), profile->'last_ip', 'null'::jsonb), 'updated_at', $2::text)
            WHERE user_id = $1 RETURNING profile::text
            """
        guard let u = try await profiles(PostgresQuery(unsafeSQL: sql, binds: bindings)).first else { throw DirectoryError.notFound(id) }
        return u
    }

    /// Auth0's first-level merge as one statement on the row (`(metadata - removed keys) ||
    /// set keys`, `{}` for an empty patch): PostgreSQL applies it to the row as it is when the
    /// update takes its lock, so concurrent merges from any daemon never lose a key and no
    /// read crosses the network first. `updated_at` advances past its stored value.
    public func mergeMetadata(id: String, app: JSONValue?, user: JSONValue?) async throws -> UserProfile {
        var bindings = PostgresBindings()
        bindings.append(id)
        var merged = "profile"
        for (kind, patch) in [(MetadataKind.app, app), (.user, user)] {
            guard let patch else { continue }
            try MetadataMerge.validate(patch, kind: kind)
            guard case .object(let o) = patch else { continue }
            let value: String
            if o.isEmpty {
                value = "'{}'::jsonb"
            } else {
                bindings.append(o.filter { $0.value.isNull }.keys.sorted())
                let removed = bindings.count
                bindings.append(JSONValue.object(o.filter { !$0.value.isNull }).serialized())
                value = "(coalesce(profile->'\(kind.rawValue)', '{}'::jsonb) - $\(removed)::text[]) || $\(bindings.count)::jsonb"
            }
            merged = "jsonb_set(\(merged), '{\(kind.rawValue)}', \(value))"
        }
        bindings.append(Timestamp.format(Timestamp.now()))
        let now = "$\(bindings.count)::text"
        let stamp = """
            CASE WHEN profile->>'updated_at' >= \(now)
              THEN to_char(((profile->>'updated_at')::timestamptz + interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
              ELSE \(now) END
            """
        let next = "\(merged) || jsonb_build_object('updated_at', \(stamp))"
        bindings.append(UserProfile.maximumSize)
        let sql = "UPDATE users SET profile = \(next) WHERE user_id = $1 AND octet_length((\(next))::text) <= $\(bindings.count) RETURNING profile::text"
        if let u = try await profiles(PostgresQuery(unsafeSQL: sql, binds: bindings)).first { return u }
        // No row: an unknown user, or a profile near Auth0's 1 MB limit by jsonb's spelling
        // (which is longer than the stored text the limit is about). The row-locked path decides
        // as the SQLite store does: it merges, or refuses with the profile's real size.
        return try await update(id: id) { u in
            if let app { u.appMetadata = try MetadataMerge.apply(app, to: u.appMetadata, kind: .app) }
            if let user { u.userMetadata = try MetadataMerge.apply(user, to: u.userMetadata, kind: .user) }
        }
    }

    public func update(id: String, _ change: @Sendable (inout UserProfile) throws -> Void) async throws -> UserProfile {
        try await self.change(id: id, stamp: true, change)
    }

    /// One user's read-change-write in a transaction holding its row lock.
    func change(id: String, stamp: Bool, _ change: @Sendable (inout UserProfile) throws -> Void) async throws -> UserProfile {
        do {
            return try await client.withTransaction(logger: logger) { c in
                guard var u = try await self.profiles("SELECT profile::text FROM users WHERE user_id = \(id) FOR UPDATE", on: c).first else {
                    throw DirectoryError.notFound(id)
                }
                try change(&u)
                if stamp { u.updatedAt = max(Timestamp.now(), u.updatedAt + 0.001) }
                try await self.write(u, on: c)
                return u
            }
        } catch {
            throw Self.unwrap(error)
        }
    }

    /// As the SQLite store: an exact `user_id`, `email` or `username` term is looked up by index,
    /// profiles whose text cannot match are skipped (`ILIKE`), and the query language is
    /// evaluated in the daemon on the rest; without a query or sort, a page is read directly.
    public func search(_ query: UserQuery, sort: String?, offset: Int, limit: Int) async throws -> (users: [UserProfile], total: Int) {
        if query == .all, sort == nil {
            let page = try await profiles("SELECT (profile - 'password_hash')::text FROM users ORDER BY created_at, user_id LIMIT \(limit) OFFSET \(offset)")
            return (page, try await count())
        }
        var conditions: [String] = []
        var bindings = PostgresBindings()
        if let c = query.candidates {
            bindings.append(c.values)
            conditions.append("\(c.column) = ANY($\(bindings.count))")
        }
        if let f = query.textFilter {
            conditions.append(f.sql { pattern in
                bindings.append(pattern)
                return #"profile::text ILIKE $\#(bindings.count) ESCAPE '\'"#
            })
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT (profile - 'password_hash')::text FROM users \(filter) ORDER BY created_at, user_id", binds: bindings), logger: logger)
        var candidates: [JSONValue] = []
        for try await text in rows.decode(String.self) { candidates.append(try JSONValue.parse(text)) }
        return try query.page(of: candidates, sort: sort, offset: offset, limit: limit)
    }

    public func removeRoles(userId: String, roles: [String]) async throws {
        try await client.query("DELETE FROM user_roles WHERE user_id = \(userId) AND role = ANY(\(roles))", logger: logger)
    }

    public func delete(id: String) async throws -> Bool {
        do {
            return try await client.withTransaction(logger: logger) { c in
                try await c.query("DELETE FROM user_roles WHERE user_id = \(id)", logger: self.logger)
                var deleted = false
                for try await _ in try await c.query("DELETE FROM users WHERE user_id = \(id) RETURNING user_id", logger: self.logger).decode(String.self) { deleted = true }
                return deleted
            }
        } catch {
            throw Self.unwrap(error)
        }
    }

    public func list(offset: Int, limit: Int) async throws -> [UserProfile] {
        try await profiles("SELECT profile::text FROM users ORDER BY created_at, user_id LIMIT \(limit) OFFSET \(offset)")
    }

    public func count() async throws -> Int {
        for try await n in try await client.query("SELECT COUNT(*)::bigint FROM users", logger: logger).decode(Int64.self) { return Int(n) }
        return 0
    }

    public func roles(userId: String) async throws -> [String] {
        var out: [String] = []
        for try await r in try await client.query("SELECT role FROM user_roles WHERE user_id = \(userId) ORDER BY role", logger: logger).decode(String.self) { out.append(r) }
        return out
    }

    public func assignRoles(userId: String, roles: [String]) async throws {
        for r in roles {
            try await client.query("INSERT INTO user_roles (user_id, role) VALUES (\(userId), \(r)) ON CONFLICT DO NOTHING", logger: logger)
        }
    }

    // MARK: - Keys, traces, logs, refresh tokens, meta

    public func signingKeys() async throws -> [StoredSigningKey] {
        var out: [StoredSigningKey] = []
        let rows = try await client.query("SELECT kid, private_pem, created_at, status FROM signing_keys ORDER BY created_at DESC", logger: logger)
        for try await (kid, pem, created, status) in rows.decode((String, String, Double, String).self) {
            out.append(StoredSigningKey(kid: kid, privateKeyPEM: pem, createdAt: created, status: status))
        }
        return out
    }

    public func saveSigningKeys(_ keys: [StoredSigningKey]) async throws {
        try await client.withTransaction(logger: logger) { c in
            for k in keys {
                try await c.query(
                    """
                    INSERT INTO signing_keys (kid, private_pem, created_at, status) VALUES (\(k.kid), \(k.privateKeyPEM), \(k.createdAt), \(k.status))
                    ON CONFLICT (kid) DO UPDATE SET status = excluded.status
                    """, logger: self.logger)
            }
        }
    }

    public func saveTrace(id: String, userId: String?, clientId: String, createdAt: Double, json: String) async throws {
        try await client.query(
            """
            INSERT INTO traces (id, user_id, client_id, created_at, json) VALUES (\(id), \(userId), \(clientId), \(createdAt), \(json))
            ON CONFLICT (id) DO UPDATE SET json = excluded.json
            """, logger: logger)
    }

    public func trace(id: String) async throws -> String? {
        for try await text in try await client.query("SELECT json FROM traces WHERE id = \(id)", logger: logger).decode(String.self) { return text }
        return nil
    }

    public func appendLog(_ event: TenantLogEvent, capacity: Int) async throws {
        var seq: Int64 = 0
        let rows = try await client.query(
            "INSERT INTO logs (user_id, created_at, json) VALUES (\(event.userId), \(event.date), \(event.json.serialized())) RETURNING seq", logger: logger)
        for try await s in rows.decode(Int64.self) { seq = s }
        if seq % 64 == 0 || capacity < 64 {
            try await client.query("DELETE FROM logs WHERE seq <= \(seq - Int64(capacity))", logger: logger)
        }
    }

    public func logs(userId: String?, offset: Int, limit: Int) async throws -> (events: [TenantLogEvent], total: Int) {
        var total = 0
        var texts: [String] = []
        if let userId {
            for try await n in try await client.query("SELECT COUNT(*)::bigint FROM logs WHERE user_id = \(userId)", logger: logger).decode(Int64.self) { total = Int(n) }
            for try await t in try await client.query("SELECT json FROM logs WHERE user_id = \(userId) ORDER BY seq DESC LIMIT \(limit) OFFSET \(offset)", logger: logger).decode(String.self) { texts.append(t) }
        } else {
            for try await n in try await client.query("SELECT COUNT(*)::bigint FROM logs", logger: logger).decode(Int64.self) { total = Int(n) }
            for try await t in try await client.query("SELECT json FROM logs ORDER BY seq DESC LIMIT \(limit) OFFSET \(offset)", logger: logger).decode(String.self) { texts.append(t) }
        }
        return (try texts.map { TenantLogEvent(json: try JSONValue.parse($0)) }, total)
    }

    public func pruneTraces(olderThan: Double, keepAtMost: Int) async throws -> Int {
        let keep = max(keepAtMost, 0)
        // By age, then everything from the newest trace beyond the bound down.
        return try await deleted("WITH d AS (DELETE FROM traces WHERE created_at < \(olderThan) RETURNING 1) SELECT count(*)::bigint FROM d")
            + deleted(
                """
                WITH cut AS (SELECT created_at FROM traces ORDER BY created_at DESC OFFSET \(keep) LIMIT 1),
                d AS (DELETE FROM traces WHERE created_at <= (SELECT created_at FROM cut) RETURNING 1)
                SELECT count(*)::bigint FROM d
                """)
    }

    public func pruneLogs(olderThan: Double, keepAtMost: Int) async throws -> Int {
        let keep = max(keepAtMost, 0)
        return try await deleted("WITH d AS (DELETE FROM logs WHERE created_at < \(olderThan) RETURNING 1) SELECT count(*)::bigint FROM d")
            + deleted(
                """
                WITH cut AS (SELECT seq FROM logs ORDER BY seq DESC OFFSET \(keep) LIMIT 1),
                d AS (DELETE FROM logs WHERE seq <= (SELECT seq FROM cut) RETURNING 1)
                SELECT count(*)::bigint FROM d
                """)
    }

    /// Runs a `WITH d AS (DELETE … RETURNING 1) SELECT count(*)` and returns the count.
    func deleted(_ query: PostgresQuery) async throws -> Int {
        var n: Int64 = 0
        for try await c in try await client.query(query, logger: logger).decode(Int64.self) { n = c }
        return Int(n)
    }

    public func saveRefreshToken(_ t: RefreshTokenRecord) async throws {
        try await client.query(
            """
            INSERT INTO refresh_tokens (hash, user_id, client_id, audience, scope, created_at, revoked)
            VALUES (\(t.hash), \(t.userId), \(t.clientId), \(t.audience), \(t.scope), \(t.createdAt), \(t.revoked))
            """, logger: logger)
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        let rows = try await client.query(
            "SELECT hash, user_id, client_id, audience, scope, created_at, revoked FROM refresh_tokens WHERE hash = \(hash)", logger: logger)
        for try await (h, user, clientId, audience, scope, created, revoked) in rows.decode((String, String, String, String?, String, Double, Bool).self) {
            return RefreshTokenRecord(hash: h, userId: user, clientId: clientId, audience: audience, scope: scope, createdAt: created, revoked: revoked)
        }
        return nil
    }

    public func revokeRefreshToken(hash: String) async throws -> Bool {
        var changed = false
        for try await _ in try await client.query("UPDATE refresh_tokens SET revoked = true WHERE hash = \(hash) RETURNING hash", logger: logger).decode(String.self) { changed = true }
        return changed
    }

    public func metaValue(_ key: String) async throws -> String? {
        for try await v in try await client.query("SELECT value FROM meta WHERE key = \(key)", logger: logger).decode(String.self) { return v }
        return nil
    }

    public func claimMetaValue(_ key: String, _ value: String) async throws -> Bool {
        var claimed = false
        for try await _ in try await client.query("INSERT INTO meta (key, value) VALUES (\(key), \(value)) ON CONFLICT DO NOTHING RETURNING key", logger: logger).decode(String.self) {
            claimed = true
        }
        return claimed
    }

    public func putEphemeral(_ key: String, _ value: String, expires: Double, owner: String?) async throws {
        try await client.query("DELETE FROM ephemeral WHERE expires < \(Timestamp.now())", logger: logger)
        try await client.query(
            """
            INSERT INTO ephemeral (key, value, expires, owner) VALUES (\(key), \(value), \(expires), \(owner))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires, owner = excluded.owner
            """, logger: logger)
    }

    public func ephemeralValues(owner: String, prefix: String, now: Double) async throws -> [(key: String, value: String)] {
        // starts_with, not LIKE: the prefix may hold `%` or `_`.
        let rows = try await client.query(
            "SELECT key, value FROM ephemeral WHERE owner = \(owner) AND starts_with(key, \(prefix)) AND expires > \(now) ORDER BY key", logger: logger)
        var out: [(key: String, value: String)] = []
        for try await (k, v) in rows.decode((String, String).self) { out.append((k, v)) }
        return out
    }

    public func readEphemeral(_ key: String, now: Double) async throws -> String? {
        let rows = try await client.query("SELECT value FROM ephemeral WHERE key = \(key) AND expires > \(now)", logger: logger)
        for try await value in rows.decode(String.self) { return value }
        return nil
    }

    /// One statement: two daemons racing for the same code cannot both get it.
    public func takeEphemeral(_ key: String, now: Double) async throws -> String? {
        let rows = try await client.query("DELETE FROM ephemeral WHERE key = \(key) RETURNING value, expires", logger: logger)
        for try await (value, expires) in rows.decode((String, Double).self) { return expires > now ? value : nil }
        return nil
    }

    public func tenantChanges() async throws -> TenantChanges {
        // One snapshot: the revision and the files it names.
        do {
            return try await client.withTransaction(logger: logger) { c in
                try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
                var revision: Int64 = 0
                for try await v in try await c.query("SELECT value FROM meta WHERE key = 'tenant-files-revision'", logger: self.logger).decode(String.self) {
                    revision = Int64(v) ?? 0
                }
                var files: [String: String?] = [:]
                for try await (path, content) in try await c.query("SELECT path, content FROM tenant_files", logger: self.logger).decode((String, String?).self) {
                    files[path] = .some(content)
                }
                return TenantChanges(revision: revision, files: files)
            }
        } catch {
            throw Self.unwrap(error)
        }
    }

    public func tenantChangesRevision() async throws -> Int64 {
        Int64(try await metaValue("tenant-files-revision") ?? "0") ?? 0
    }

    /// The revision row's lock orders concurrent savers: the second sees the first's revision
    /// and writes nothing.
    public func saveTenantChanges(_ files: [String: String?], expectedRevision: Int64) async throws -> Int64? {
        do {
            return try await client.withTransaction(logger: logger) { c in
                var current: Int64 = -1
                for try await v in try await c.query("SELECT value FROM meta WHERE key = 'tenant-files-revision' FOR UPDATE", logger: self.logger).decode(String.self) {
                    current = Int64(v) ?? -1
                }
                guard current == expectedRevision else { return nil }
                let next = current + 1
                for (path, content) in files {
                    try await c.query(
                        """
                        INSERT INTO tenant_files (path, content, revision) VALUES (\(path), \(content), \(next))
                        ON CONFLICT (path) DO UPDATE SET content = excluded.content, revision = excluded.revision
                        """, logger: self.logger)
                }
                try await c.query("UPDATE meta SET value = \(String(next)) WHERE key = 'tenant-files-revision'", logger: self.logger)
                return next
            }
        } catch {
            throw Self.unwrap(error)
        }
    }

    /// A transaction holding an advisory lock on the key (a row that does not exist yet cannot be
    /// locked), so two daemons changing the same value take turns. The lock is tried, not waited
    /// for: a busy key frees its pooled connection and tries again shortly, so a flood of
    /// requests for one key cannot hold every connection of the pool.
    public func modifyEphemeral<T: Sendable>(
        _ key: String, now: Double, owner: String?, _ change: @Sendable (String?) throws -> (value: (String, expires: Double)?, result: T)
    ) async throws -> T {
        var pause: UInt64 = 1_000_000
        let giveUp = ContinuousClock.now + .seconds(10)
        while true {
            do {
                return try await client.withTransaction(logger: logger) { c in
                    var locked = false
                    for try await got in try await c.query("SELECT pg_try_advisory_xact_lock(5150116, hashtext(\(key)))", logger: self.logger).decode(Bool.self) {
                        locked = got
                    }
                    guard locked else { throw EphemeralKeyBusy() }
                    var current: String?
                    for try await v in try await c.query("SELECT value FROM ephemeral WHERE key = \(key) AND expires > \(now)", logger: self.logger).decode(String.self) {
                        current = v
                    }
                    let (value, result) = try change(current)
                    if let value {
                        try await c.query(
                            """
                            INSERT INTO ephemeral (key, value, expires, owner) VALUES (\(key), \(value.0), \(value.expires), \(owner))
                            ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires,
                              owner = COALESCE(excluded.owner, ephemeral.owner)
                            """, logger: self.logger)
                    } else {
                        try await c.query("DELETE FROM ephemeral WHERE key = \(key)", logger: self.logger)
                    }
                    return result
                }
            } catch {
                let e = Self.unwrap(error)
                guard e is EphemeralKeyBusy else { throw e }
                guard ContinuousClock.now < giveUp else { throw DirectoryError.storage("the value \(key) stayed locked for 10 s") }
                try await Task.sleep(nanoseconds: pause + UInt64.random(in: 0...pause))
                pause = min(pause * 2, 50_000_000)
            }
        }
    }

    public func setMetaValue(_ key: String, _ value: String) async throws {
        try await client.query("INSERT INTO meta (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value", logger: logger)
    }
}

/// Another transaction holds the advisory lock of an ephemeral value's key.
struct EphemeralKeyBusy: Error {}
