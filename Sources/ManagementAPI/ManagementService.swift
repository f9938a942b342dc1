import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant

/// A Management API error in Auth0's shape.
public struct ManagementError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public var errorCode: String

    public init(_ status: Int, _ message: String, _ errorCode: String) {
        self.status = status
        self.message = message
        self.errorCode = errorCode
    }

    package static func invalidBody(_ message: String) -> ManagementError { ManagementError(400, "Payload validation error: \(message)", "invalid_body") }
    package static let userNotFound = ManagementError(404, "The user does not exist.", "inexistent_user")
}

/// The Management API's users and roles (management-api.md). Routes decode and encode; every
/// rule about what may be read or changed is here.
public struct ManagementService: Sendable {
    public let pipeline: LoginPipeline
    var store: any UserStore { pipeline.store }
    var tenant: Tenant { pipeline.tenant }

    public init(pipeline: LoginPipeline) { self.pipeline = pipeline }

    /// Scopes a management token may carry (the local token printed by `serve` has them all).
    public static let allScopes = [
        "read:users", "create:users", "update:users", "update:users_app_metadata", "delete:users", "read:roles",
        "read:logs", "read:rules", "create:rules", "update:rules", "delete:rules", "read:clients", "simulate:logins",
        "read:actions", "create:actions", "update:actions", "delete:actions", "read:connections", "create:user_tickets",
    ]

    /// The rate-limit decision for the client a verified token was issued to (its `azp`).
    public func rateLimit(claims: JSONValue, limiter: RateLimiter) -> RateLimiter.Decision? {
        guard let azp = claims["azp"]?.stringValue, let client = tenant.clients.first(where: { $0.clientId == azp }) else { return nil }
        return limiter.check(client)
    }

    /// Checks the bearer token (signature once) for any of `scopes`; returns its claims.
    public func authorize(_ header: String?, anyOf scopes: [String]) throws(ManagementError) -> JSONValue {
        do {
            return try pipeline.managementTokenVerifier.verify(authorizationHeader: header, anyOf: scopes)
        } catch {
            throw ManagementError(error.status, error.message, error.status == 403 ? "insufficient_scope" : "invalid_token")
        }
    }

    static func scopes(of claims: JSONValue) -> Set<String> {
        Set((claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
    }

    // MARK: - Reading users

    /// `GET /users`: `q`, `page`, `per_page`, `include_totals`, `sort`, `fields`, `include_fields`.
    public func listUsers(_ p: [String: String]) async throws(ManagementError) -> JSONValue {
        let page = try intParameter(p, "page", default: 0)
        let perPage = try intParameter(p, "per_page", default: 50)
        guard page >= 0, perPage >= 0, perPage <= 100 else { throw ManagementError(400, "per_page must be between 0 and 100", "invalid_query_string") }
        guard (page + 1) * perPage <= 1000 else {
            throw ManagementError(400, "Requesting page exceeds the allowed maximum of 1000 records", "invalid_paging")
        }
        let query: UserQuery
        do { query = try UserQuery.parse(p["q"] ?? "") } catch {
            throw ManagementError(400, "Query validation error: '\(error.message)' at position \(error.position)", "invalid_query_string")
        }
        if let engine = p["search_engine"], !["v3", "v2"].contains(engine) {
            throw ManagementError(400, "Query validation error: unknown search_engine \(engine)", "invalid_query_string")
        }
        let result: (users: [UserProfile], total: Int)
        do { result = try await store.search(query, sort: p["sort"], offset: page * perPage, limit: perPage) } catch let e as UserQuery.SyntaxError {
            throw ManagementError(400, "Query validation error: '\(e.message)'", "invalid_query_string")
        } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
        let users = JSONValue.array(result.users.map { project($0.json, p) })
        if p["include_totals"] == "true" {
            return ["start": .number(Double(page * perPage)), "limit": .number(Double(perPage)), "length": .number(Double(result.users.count)), "total": .number(Double(result.total)), "users": users]
        }
        return users
    }

    public func getUser(_ id: String, _ p: [String: String]) async throws(ManagementError) -> JSONValue {
        project(try await existing(id).json, p)
    }

    public func usersByEmail(_ p: [String: String]) async throws(ManagementError) -> JSONValue {
        guard let email = p["email"], !email.isEmpty else { throw ManagementError(400, "Query validation error: email is required", "invalid_query_string") }
        do { return .array(try await store.users(email: email).map { project($0.json, p) }) } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
    }

    func existing(_ id: String) async throws(ManagementError) -> UserProfile {
        let user: UserProfile?
        do { user = try await store.user(id: id) } catch { throw ManagementError(500, String(describing: error), "internal_error") }
        guard let user else { throw .userNotFound }
        return user
    }

    /// `fields` + `include_fields`.
    func project(_ user: JSONValue, _ p: [String: String]) -> JSONValue {
        guard let fields = p["fields"], !fields.isEmpty, case .object(let o) = user else { return user }
        let names = Set(fields.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let include = p["include_fields"] != "false"
        return .object(o.filter { names.contains($0.key) == include })
    }

    func intParameter(_ p: [String: String], _ name: String, default value: Int) throws(ManagementError) -> Int {
        guard let s = p[name] else { return value }
        guard let n = Int(s) else { throw ManagementError(400, "Query validation error: '\(name)' must be an integer", "invalid_query_string") }
        return n
    }

    // MARK: - Creating, changing, deleting

    static let createFields: Set<String> = [
        "connection", "email", "phone_number", "username", "password", "user_id", "email_verified", "verify_email",
        "phone_verified", "given_name", "family_name", "name", "nickname", "picture", "blocked", "app_metadata", "user_metadata",
    ]

    public func createUser(_ body: JSONValue) async throws(ManagementError) -> JSONValue {
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !Self.createFields.contains($0) }) { throw .invalidBody("Additional properties not allowed: \(extra)") }
        guard let connectionName = o["connection"]?.stringValue else { throw .invalidBody("Missing required property: connection") }
        guard let connection = tenant.connection(named: connectionName) else { throw ManagementError(400, "The connection does not exist.", "inexistent_connection") }
        guard connection.isDatabase else { throw ManagementError(400, "Users can only be created in database connections.", "operation_not_supported") }
        let email = try optionalString(o, "email")
        guard email != nil || o["username"] != nil else { throw .invalidBody("Missing required property: email") }
        if let email, !email.contains("@") { throw .invalidBody("Object didn't pass validation for format email: \(email)") }
        guard let password = try optionalString(o, "password") else { throw .invalidBody("Missing required property: password") }
        let local = try optionalString(o, "user_id").map { $0.hasPrefix("auth0|") ? String($0.dropFirst(6)) : $0 } ?? randomHexID()
        var u = UserProfile(userId: "auth0|" + local, connection: connection.name, email: email?.lowercased())
        try apply(o.filter { !["connection", "password", "user_id", "verify_email"].contains($0.key) }, to: &u)
        u.passwordHash = try await hashPassword(password)
        u.applyDefaults()
        do { try await store.insert(u) } catch let e as DirectoryError {
            if case .userExists = e { throw ManagementError(409, "The user already exists.", "auth0_idp_error") }
            throw ManagementError(400, e.description, "invalid_body")
        } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
        return u.json
    }

    static let patchFields: Set<String> = [
        "app_metadata", "user_metadata", "blocked", "email", "email_verified", "family_name", "given_name", "name",
        "nickname", "password", "phone_number", "phone_verified", "picture", "username", "verify_email",
        "verify_phone_number", "connection", "client_id",
    ]
    static let profileAttributes: Set<String> = ["name", "nickname", "given_name", "family_name", "picture"]

    /// `PATCH /users/{id}` for a verified token: without `update:users` (only
    /// `update:users_app_metadata`) just the metadata may change.
    public func patchUser(_ id: String, _ body: JSONValue, claims: JSONValue) async throws(ManagementError) -> JSONValue {
        try await patchUser(id, body, metadataOnly: !Self.scopes(of: claims).contains("update:users"))
    }

    /// `PATCH /users/{id}`: root fields replaced (null unsets), metadata merged at the first
    /// level, all in one atomic store update. `metadataOnly` callers (scope
    /// `update:users_app_metadata`) may only send metadata.
    public func patchUser(_ id: String, _ body: JSONValue, metadataOnly: Bool = false) async throws(ManagementError) -> JSONValue {
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !Self.patchFields.contains($0) }) { throw .invalidBody("Additional properties not allowed: \(extra)") }
        if metadataOnly, let other = o.keys.sorted().first(where: { $0 != "app_metadata" && $0 != "user_metadata" }) {
            throw ManagementError(403, "Insufficient scope to change '\(other)': update:users is needed", "insufficient_scope")
        }
        let current = try await existing(id)
        try checkWhoMayUpdate(current, fields: Set(o.keys))
        for kind in MetadataKind.allCases {
            if let patch = o[kind.rawValue] {
                do { try MetadataMerge.validate(patch, kind: kind) } catch { throw .invalidBody(error.description) }
            }
        }
        // Validate root-field types before entering the store's transaction.
        var probe = current
        try apply(o.filter { !MetadataKind.allCases.map(\.rawValue).contains($0.key) }, to: &probe)
        var passwordHash: String?
        var passwordChangedByScript = false
        let connection = tenant.connection(named: current.connection)
        if let p = o["password"] {
            guard let s = p.stringValue, !s.isEmpty else { throw .invalidBody("password must be a non-empty string") }
            if let connection, connection.usesCustomScripts && !connection.importMode {
                // The password lives in the user's own database: its change_password script changes it.
                _ = try await changeScriptPassword(current, to: s, connection: connection)
                passwordChangedByScript = true
            } else {
                passwordHash = try await hashPassword(s)
            }
        }
        if let connection, connection.usesCustomScripts && connection.importMode, let email = o["email"]?.stringValue, email.lowercased() != current.email {
            try await checkLegacyEmailFree(email, connection: connection)
        }
        let fields = o
        let newHash = passwordHash
        let byScript = passwordChangedByScript
        do {
            // Metadata alone: the store's merge (one statement on PostgreSQL).
            if Set(fields.keys).isSubset(of: MetadataKind.allCases.map(\.rawValue)) {
                return try await store.mergeMetadata(id: id, app: fields["app_metadata"], user: fields["user_metadata"]).json
            }
            let updated = try await store.update(id: id) { u in
                try u.applyRootAttributes(fields)
                if let app = fields["app_metadata"] { u.appMetadata = try MetadataMerge.apply(app, to: u.appMetadata, kind: .app) }
                if let meta = fields["user_metadata"] { u.userMetadata = try MetadataMerge.apply(meta, to: u.userMetadata, kind: .user) }
                if let newHash { u.passwordHash = newHash }
                if newHash != nil || byScript { u.lastPasswordReset = Timestamp.now() }
            }
            if newHash != nil || byScript { await pipeline.passwordChanged(updated, ip: nil) }
            return updated.json
        } catch let e as DirectoryError {
            switch e {
            case .userExists: throw ManagementError(409, "The specified new email already exists", "email_conflict")
            case .notFound: throw .userNotFound
            default: throw .invalidBody(e.description)
            }
        } catch let e as ManagementError {
            throw e
        } catch let e as UserAttributeError {
            throw .invalidBody(e.message)
        } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
    }

    /// The product's rules on which connection may change which fields.
    func checkWhoMayUpdate(_ user: UserProfile, fields: Set<String>) throws(ManagementError) {
        guard let connection = tenant.connection(named: user.connection) else { return }
        let metadata: Set<String> = ["app_metadata", "user_metadata", "blocked", "connection", "client_id", "password"]
        if connection.usesCustomScripts && !connection.importMode {
            if let f = fields.subtracting(metadata).sorted().first {
                throw ManagementError(400, "'\(f)' cannot be changed here: users of the custom database \(connection.name) (import mode off) must be changed in their own database; only app_metadata, user_metadata and blocked (and the password, through its change_password script) can be", "operation_not_supported")
            }
        }
        if connection.usesCustomScripts && connection.importMode {
            if let f = fields.subtracting(metadata).subtracting(Self.migratedUserFields).sorted().first {
                throw ManagementError(400, "'\(f)' cannot be changed for users migrated from the custom database \(connection.name): only app_metadata, user_metadata, blocked, password, \(Self.migratedUserFields.sorted().joined(separator: ", ")) can be", "operation_not_supported")
            }
        }
        if !connection.isDatabase, !["email", "sms"].contains(connection.strategy) {
            if LoginPipeline.rootAttributeSync(connection) == "on_each_login", let f = fields.intersection(Self.profileAttributes).sorted().first {
                throw ManagementError(400, "'\(f)' is overwritten from \(connection.name) at each login (set_user_root_attributes is on_each_login; on_first_login or never_on_login make it editable)", "operation_not_supported")
            }
        }
    }

    /// What the Management API may change on a user migrated by import mode, besides metadata.
    static let migratedUserFields: Set<String> = ["name", "nickname", "given_name", "family_name", "picture", "email", "email_verified"]

    func optionalString(_ o: [String: JSONValue], _ k: String) throws(ManagementError) -> String? {
        guard let v = o[k], !v.isNull else { return nil }
        guard case .string(let s) = v else { throw .invalidBody("Expected type string for \(k) but found \(v.typeName)") }
        return s
    }

    /// Root fields (no metadata) with type checks; used to validate before the transaction.
    func apply(_ o: [String: JSONValue], to u: inout UserProfile) throws(ManagementError) {
        do { try u.applyRootAttributes(o) } catch { throw .invalidBody(error.message) }
        for kind in MetadataKind.allCases {
            if let patch = o[kind.rawValue] {
                do {
                    let merged = try MetadataMerge.apply(patch, to: kind == .app ? u.appMetadata : u.userMetadata, kind: kind)
                    if kind == .app { u.appMetadata = merged } else { u.userMetadata = merged }
                } catch { throw .invalidBody(error.description) }
            }
        }
    }


    public func deleteUser(_ id: String) async throws(ManagementError) {
        try await deleteFromScriptDatabase(try await existing(id))
        do {
            guard try await store.delete(id: id) else { throw ManagementError.userNotFound }
        } catch let e as ManagementError { throw e } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }

    // MARK: - Logs

    /// `GET /logs` and `GET /users/{id}/logs`: newest first, `page`/`per_page`, `include_totals`.
    public func logs(userId: String?, _ p: [String: String]) async throws(ManagementError) -> JSONValue {
        if let userId { _ = try await existing(userId) }
        let page = try intParameter(p, "page", default: 0)
        let perPage = try intParameter(p, "per_page", default: 50)
        guard page >= 0, perPage >= 0, perPage <= 100 else { throw ManagementError(400, "per_page must be between 0 and 100", "invalid_query_string") }
        // `q` uses the users' query language on the events' fields (`type:s`, `client_id:…`, ranges on `date`).
        var query: UserQuery?
        if let q = p["q"], !q.isEmpty {
            do { query = try UserQuery.parse(q) } catch {
                throw ManagementError(400, "Query validation error: \(error)", "invalid_query_string")
            }
        }
        do {
            var events: [TenantLogEvent]
            var total: Int
            if let query {
                let all = try await store.logs(userId: userId, offset: 0, limit: 1_000_000).events.filter { query.matches($0.json) }
                total = all.count
                events = Array(all.dropFirst(page * perPage).prefix(perPage))
            } else {
                (events, total) = try await store.logs(userId: userId, offset: page * perPage, limit: perPage)
            }
            let list = JSONValue.array(events.map(\.json))
            if p["include_totals"] == "true" {
                return ["start": .number(Double(page * perPage)), "limit": .number(Double(perPage)), "length": .number(Double(events.count)), "total": .number(Double(total)), "logs": list]
            }
            return list
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }

    /// `sapi`/`fapi` for each Management API call.
    public func recordCall(method: String, path: String, status: Int, ip: String?, userAgent: String?) async {
        let ok = status < 400
        await pipeline.log(TenantLogEvent(
            type: ok ? "sapi" : "fapi", description: "\(method) /api/v2/\(path) → \(status)", ip: ip, userAgent: userAgent,
            details: ["method": .string(method), "path": .string(path), "status": .number(Double(status))]))
    }

    // MARK: - Roles

    func roleJSON(_ r: Role) -> JSONValue { ["id": .string(r.id), "name": .string(r.name), "description": .string(r.description)] }

    public func listRoles() -> JSONValue { .array(tenant.roles.map(roleJSON)) }

    public func userRoles(_ id: String) async throws(ManagementError) -> JSONValue {
        _ = try await existing(id)
        do {
            let names = try await store.roles(userId: id)
            return .array(names.map { n in tenant.roles.first { $0.name == n }.map(roleJSON) ?? ["id": .null, "name": .string(n), "description": ""] })
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }

    /// `POST`/`DELETE /users/{id}/roles` with `{"roles": ["rol_…"]}`.
    public func changeRoles(_ id: String, _ body: JSONValue, assign: Bool) async throws(ManagementError) {
        _ = try await existing(id)
        guard let ids = body["roles"]?.arrayValue?.compactMap(\.stringValue), !ids.isEmpty else {
            throw .invalidBody("Missing required property: roles (a non-empty array of role ids)")
        }
        var names: [String] = []
        for rid in ids {
            guard let role = tenant.roles.first(where: { $0.id == rid || $0.name == rid }) else {
                throw ManagementError(404, "The role does not exist: \(rid)", "inexistent_role")
            }
            names.append(role.name)
        }
        do {
            if assign { try await store.assignRoles(userId: id, roles: names) } else { try await store.removeRoles(userId: id, roles: names) }
        } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }
}

// MARK: - Rules and clients

extension ManagementService {
    func ruleJSON(_ r: Rule) -> JSONValue {
        ["id": .string(r.id), "name": .string(r.name), "script": .string(r.source), "order": r.order.map { .number(Double($0)) } ?? .null,
         "enabled": .bool(r.enabled), "stage": .string(r.stage.rawValue)]
    }

    func rule(_ id: String, in tenant: Tenant? = nil) throws(ManagementError) -> Rule {
        guard let r = (tenant ?? self.tenant).rules.first(where: { $0.id == id }) else { throw ManagementError(404, "The rule does not exist.", "inexistent_rule") }
        return r
    }

    public func listRules() -> JSONValue { .array(tenant.rules.map(ruleJSON)) }

    public func getRule(_ id: String) throws(ManagementError) -> JSONValue { ruleJSON(try rule(id)) }

    static let ruleFields: Set<String> = ["name", "script", "order", "enabled", "stage"]

    /// `POST /rules` (existing nil) and `PATCH /rules/{id}`: saved (to the tenant directory or
    /// the store), then reloaded; a rule that does not compile is refused with its line.
    public func saveRule(_ body: JSONValue, existing id: String?) async throws(ManagementError) -> JSONValue {
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !Self.ruleFields.contains($0) }) { throw .invalidBody("Additional properties not allowed: \(extra)") }
        var savedName = ""
        try await applyChange { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            let current = try id.map { (i: String) throws(ManagementError) -> Rule in try rule(i, in: tenant) }
            guard let name = o["name"]?.stringValue ?? current?.name else { throw .invalidBody("Missing required property: name") }
            guard let script = o["script"]?.stringValue ?? current?.source else { throw .invalidBody("Missing required property: script") }
            guard Rule.isValidName(name) else {
                throw .invalidBody("name must contain only letters, digits, spaces and hyphens, not starting or ending with a space or hyphen")
            }
            if tenant.rules.contains(where: { $0.name == name && $0.id != current?.id }) {
                throw ManagementError(409, "A rule with the same name already exists", "rule_conflict")
            }
            var order = current?.order
            if let v = o["order"] {
                guard let n = v.intValue else { throw .invalidBody("order must be an integer") }
                order = n
            }
            // As in Auth0, a new rule without an order goes after the others.
            if current == nil, order == nil { order = (tenant.rules.compactMap(\.order).max() ?? 0) + 1 }
            let enabled = o["enabled"].map { $0.boolValue } ?? current?.enabled
            if o["enabled"] != nil, enabled == nil { throw .invalidBody("enabled must be a boolean") }
            let stage = o["stage"]?.stringValue ?? current?.stage.rawValue ?? "login_success"
            guard Rule.Stage(rawValue: stage) != nil else { throw .invalidBody("stage must be login_success, login_failure or pre_authorize") }
            let stem = current?.stem ?? name.replacingOccurrences(of: " ", with: "-")
            savedName = name
            return TenantWriter.ruleFiles(stem: stem, name: name, script: script, order: order, enabled: enabled ?? true, stage: stage)
        }
        guard let saved = tenant.rules.first(where: { $0.name == savedName }) else { throw ManagementError(500, "the rule was written but not loaded", "internal_error") }
        return ruleJSON(saved)
    }

    public func deleteRule(_ id: String) async throws(ManagementError) {
        try await applyChange { (tenant: Tenant) throws(ManagementError) -> [String: String?] in TenantWriter.ruleDeletion(stem: try rule(id, in: tenant).stem) }
    }

    /// One change to the tenant's rules, actions or bindings, serialized within the daemon.
    /// `change` computes the files (relative path → content, nil: delete) from the tenant it is
    /// given; it may refuse with the API's error.
    /// - In the tenant directory: computed on the tenant being served; the files are written and
    ///   the tenant reloaded; when the reload fails (a script that does not compile) the files
    ///   are put back.
    /// - In the store: computed on the tenant as the store's latest revision makes it (loaded,
    ///   not compiled: a change that mends a script that no longer compiles must go through),
    ///   then checked (loaded and compiled with the change) before anything is written, and
    ///   saved only on the revision it was computed on; when another daemon's change landed in
    ///   between, it is computed again on that.
    func applyChange(what: String = "rule", _ change: (Tenant) throws(ManagementError) -> [String: String?]) async throws(ManagementError) {
        await Self.changes.acquire()
        let outcome: Result<Void, ManagementError>
        switch pipeline.tenantChanges {
        case .directory: outcome = await applyToDirectory(what: what, change)
        case .store: outcome = await applyToStore(what: what, change)
        }
        await Self.changes.release()
        try outcome.get()
    }

    private func applyToDirectory(what: String, _ change: (Tenant) throws(ManagementError) -> [String: String?]) async -> Result<Void, ManagementError> {
        let directory = tenant.directory
        let files: [String: String?]
        do { files = try change(tenant) } catch { return .failure(error) }
        let before: TenantWriter.Snapshot
        do { before = try TenantWriter.write(directory: directory, files: files) } catch {
            return .failure(ManagementError(500, "could not write the tenant: \(error)", "internal_error"))
        }
        do {
            try await pipeline.reload()
            return .success(())
        } catch {
            TenantWriter.restore(directory: directory, before)
            return .failure(ManagementError(400, "The \(what) does not compile: \(error)", "invalid_body"))
        }
    }

    private func applyToStore(what: String, _ change: (Tenant) throws(ManagementError) -> [String: String?]) async -> Result<Void, ManagementError> {
        for _ in 0..<8 {
            let base: TenantChanges
            do { base = try await store.tenantChanges() } catch {
                return .failure(ManagementError(500, "could not read the tenant's changes from the store: \(error)", "internal_error"))
            }
            let current: Tenant
            do { current = try TenantLoader.load(directory: tenant.directory, overlay: base.files) } catch {
                return .failure(ManagementError(500, "the tenant does not load, so nothing can be changed: \(error)", "internal_error"))
            }
            let files: [String: String?]
            do { files = try change(current) } catch { return .failure(error) }
            var proposed = base.files
            for (path, content) in files { proposed[path] = .some(content) }
            do { try await pipeline.check(overlay: proposed) } catch {
                return .failure(ManagementError(400, "The \(what) does not compile: \(error)", "invalid_body"))
            }
            let saved: Int64?
            do { saved = try await store.saveTenantChanges(files, expectedRevision: base.revision) } catch {
                return .failure(ManagementError(500, "could not save the tenant's change in the store: \(error)", "internal_error"))
            }
            guard saved != nil else { continue }
            do { try await pipeline.reload() } catch {
                return .failure(ManagementError(500, "The \(what) was saved, but this daemon could not load the tenant: \(error)", "internal_error"))
            }
            return .success(())
        }
        return .failure(ManagementError(409, "The tenant kept changing while this \(what) was saved; try again", "conflict"))
    }

    static let changes = AsyncLock()

    func clientJSON(_ c: Client) -> JSONValue {
        [
            "client_id": .string(c.clientId), "name": .string(c.name), "app_type": .string(c.appType),
            "callbacks": .array(c.callbacks.map(JSONValue.string)), "allowed_logout_urls": .array(c.allowedLogoutURLs.map(JSONValue.string)),
            "grant_types": .array(c.allowedGrantTypes.map(JSONValue.string)), "client_metadata": .object(c.clientMetadata.mapValues(JSONValue.string)),
            "jwt_configuration": ["lifetime_in_seconds": .number(Double(c.idTokenLifetime)), "alg": .string(c.idTokenAlgorithm)],
            "token_endpoint_auth_method": .string(c.tokenEndpointAuthMethod), "is_first_party": .bool(c.isFirstParty),
        ]
    }

    public func listClients() -> JSONValue { .array(tenant.clients.map(clientJSON)) }

    public func getClient(_ id: String) throws(ManagementError) -> JSONValue {
        guard let c = tenant.clients.first(where: { $0.clientId == id }) else { throw ManagementError(404, "The client does not exist", "inexistent_client") }
        return clientJSON(c)
    }

    /// `GET /api/v2/connections`: Auth0's connection shape. Script `configuration` values are
    /// secrets, so only their names are listed (Auth0 returns them encrypted).
    func connectionJSON(_ c: Connection) -> JSONValue {
        var options = c.options
        if case .object(let configuration)? = options["configuration"] {
            options["configuration"] = .object(configuration.mapValues { _ in "[redacted]" })
        }
        let enabled = c.enabledClients ?? tenant.clients.map(\.clientId)
        return [
            "id": .string(c.id), "name": .string(c.name), "strategy": .string(c.strategy), "options": .object(options),
            "enabled_clients": .array(enabled.map(JSONValue.string)), "realms": [.string(c.name)],
            "metadata": .object(c.metadata.mapValues(JSONValue.string)), "is_domain_connection": false,
        ]
    }

    public func listConnections(_ query: [String: String]) -> JSONValue {
        let strategies = query["strategy"].map { Set($0.split(separator: ",").map(String.init)) }
        return .array(tenant.connections.filter { strategies?.contains($0.strategy) ?? true }.map(connectionJSON))
    }
}
