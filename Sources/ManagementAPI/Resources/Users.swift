import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/users`: search, read, create, change, delete.
extension ManagementService {
    /// `GET /users`: `q`, `page`, `per_page`, `include_totals`, `sort`, `fields`, `include_fields`.
    public func listUsers(_ p: [String: String]) async throws(ManagementError) -> JSONValue {
        let (_, perPage, offset) = try paging(p)
        let query: UserQuery
        do { query = try UserQuery.parse(p["q"] ?? "") } catch {
            throw ManagementError(400, "Query validation error: '\(error.message)' at position \(error.position)", "invalid_query_string")
        }
        if let engine = p["search_engine"], !["v3", "v2"].contains(engine) {
            throw ManagementError(400, "Query validation error: unknown search_engine \(engine)", "invalid_query_string")
        }
        let result: (users: [UserProfile], total: Int)
        do { result = try await store.search(query, sort: p["sort"], offset: offset, limit: perPage) } catch let e as UserQuery.SyntaxError {
            throw ManagementError(400, "Query validation error: '\(e.message)'", "invalid_query_string")
        } catch {
            throw ManagementError(500, String(describing: error), "internal_error")
        }
        let users = JSONValue.array(result.users.map { project($0.json, p) })
        if p["include_totals"] == "true" {
            return ["start": .number(Double(offset)), "limit": .number(Double(perPage)), "length": .number(Double(result.users.count)), "total": .number(Double(result.total)), "users": users]
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

    /// `page` and `per_page` as Auth0 takes them: integers, `per_page` 0…100, and no page reaching
    /// past the first `limit` records (Auth0 pages through at most 1000 users of a search, and
    /// 1000 log events). Computed without overflow: whatever integers a caller sends get a 400,
    /// never a trap.
    func paging(_ p: [String: String], limit: Int = 1000) throws(ManagementError) -> (page: Int, perPage: Int, offset: Int) {
        let page = try intParameter(p, "page", default: 0)
        let perPage = try intParameter(p, "per_page", default: 50)
        guard perPage >= 0, perPage <= 100 else {
            throw ManagementError(400, "Query validation error: 'per_page' must be between 0 and 100", "invalid_query_string")
        }
        guard page >= 0 else { throw ManagementError(400, "Query validation error: 'page' must be 0 or more", "invalid_query_string") }
        let (offset, overflow) = page.multipliedReportingOverflow(by: perPage)
        guard !overflow, offset <= limit - perPage else {
            throw ManagementError(400, "Requesting page exceeds the allowed maximum of \(limit) records", "invalid_paging")
        }
        return (page, perPage, offset)
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
    /// `update:users_app_metadata`, or a grant narrowed to it since the token was issued) just
    /// the metadata may change.
    public func patchUser(_ id: String, _ body: JSONValue, claims: JSONValue) async throws(ManagementError) -> JSONValue {
        if !Self.isClientToken(claims), let other = body.objectValue?.keys.sorted().first(where: { $0 != "user_metadata" }) {
            throw ManagementError(403, "A user's token may change only its own user_metadata, not '\(other)'", "insufficient_scope")
        }
        let usable = try usableScopes(claims, tokenScopes: Self.scopes(of: claims))
        return try await patchUser(id, body, metadataOnly: !usable.contains("update:users"))
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
            // Nothing of the user outlives it (a user made again with the same id starts clean).
            try await pipeline.forgetUser(id)
        } catch let e as ManagementError { throw e } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }
}
