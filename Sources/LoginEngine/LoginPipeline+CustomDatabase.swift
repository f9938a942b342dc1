import Directory
import Foundation
import JSONCore
import Tenant

/// Custom-database connections ("use my own database"): the Login script authenticates and its
/// profile is cached in the store (import mode off), or the user is migrated to the store at
/// the first login and never sent to the script again (import mode on).
extension LoginPipeline {
    /// The arguments each script takes before its callback.
    public static let scriptArguments: [String: [String]] = [
        "login": ["email", "password"], "get_user": ["email"], "create": ["user"], "verify": ["email"],
        "change_password": ["email", "newPassword"], "delete": ["id"], "change_email": ["email", "newEmail", "verified"],
    ]

    /// The Dashboard's "Try" button: runs one script of a custom-database connection with
    /// `args` and returns what its callback got, with the trace entry. Nothing else happens
    /// (no cache, no log).
    public func tryConnectionScript(connection name: String, script kind: String, args: [JSONValue]) async throws(PipelineError) -> RulesRunner.DatabaseScriptOutcome {
        let rev = current
        guard let connection = rev.tenant.connection(named: name) else { throw .unknownConnection(name, known: rev.tenant.connections.map(\.name)) }
        guard connection.usesCustomScripts else { throw .invalidRequest("\(name) is not a custom-database connection (enabled_database_customization is off)") }
        guard let names = Self.scriptArguments[kind] else {
            throw .invalidRequest("unknown script '\(kind)' (scripts: \(ConnectionScript.kinds.joined(separator: ", ")))")
        }
        guard let script = connection.scripts[kind] else { throw .invalidRequest("\(name) has no \(kind) script") }
        guard args.count == names.count else { throw .invalidRequest("\(kind) takes \(names.count) arguments (\(names.joined(separator: ", "))), got \(args.count)") }
        return try await rev.rulesRunner.runDatabaseScript(script, connection: connection, args: args, environment: flowEnvironment(rev), runtime: runtime)
    }

    /// Runs `kind` when the connection has it; nil when it does not.
    package func runScript(_ kind: String, of connection: Connection, _ args: [JSONValue], revision rev: Revision) async throws(PipelineError) -> RulesRunner.DatabaseScriptOutcome? {
        guard let script = connection.scripts[kind] else { return nil }
        return try await rev.rulesRunner.runDatabaseScript(script, connection: connection, args: args, environment: flowEnvironment(rev), runtime: runtime)
    }

    /// Fields of a script's profile that are never stored.
    static let secretFields: Set<String> = ["password", "password_hash", "passwordhash", "hash", "salt", "pwd"]

    /// A profile returned by a Login or get_user script, normalized: `user_id` "x" becomes
    /// `auth0|x` with the connection's identity; the email is lower-cased.
    static func scriptProfile(_ value: JSONValue, connection: Connection, script: String) throws(PipelineError) -> UserProfile {
        guard case .object(var o) = value else { throw .invalidRequest("the \(script) script's profile must be an object, not \(value.typeName)") }
        let raw = o["user_id"]?.stringValue ?? o["user_id"]?.intValue.map(String.init) ?? o["id"]?.stringValue ?? o["id"]?.intValue.map(String.init)
        guard let raw, !raw.isEmpty else { throw .invalidRequest("the \(script) script's profile has no user_id (or id)") }
        let local = raw.hasPrefix("auth0|") ? String(raw.dropFirst(6)) : raw
        o["user_id"] = .string("auth0|" + local)
        o.removeValue(forKey: "id")
        for k in ["identities", "created_at", "updated_at", "last_login", "logins_count", "last_ip", "blocked"] { o.removeValue(forKey: k) }
        // A script that returns its table row must not put the legacy password (or hash) in the profile.
        for k in o.keys where Self.secretFields.contains(k.lowercased()) { o.removeValue(forKey: k) }
        if let email = o["email"]?.stringValue { o["email"] = .string(email.lowercased()) }
        var user: UserProfile
        do { user = try UserProfile(json: .object(o), defaultConnection: connection.name) } catch {
            throw .invalidRequest("the \(script) script's profile: \(error)")
        }
        user.identities = [Identity(provider: "auth0", connection: connection.name, userId: local, isSocial: false)]
        user.applyDefaults()
        return user
    }

    /// The profile cache: a new user is stored as the script returned it; a known one gets its
    /// root attributes replaced and keeps its metadata, counters, roles and blocked flag.
    func cache(_ fresh: UserProfile) async throws -> UserProfile {
        if try await store.user(id: fresh.userId) == nil {
            do {
                try await store.insert(fresh)
                return fresh
            } catch DirectoryError.userExists {
                // A concurrent first login stored it: refresh that one instead.
            }
        }
        return try await store.update(id: fresh.userId) { u in
            var next = fresh
            next.createdAt = u.createdAt
            next.loginsCount = u.loginsCount
            next.lastLogin = u.lastLogin
            next.lastIP = u.lastIP
            next.lastPasswordReset = u.lastPasswordReset
            next.blocked = u.blocked
            next.multifactor = u.multifactor
            next.appMetadata = u.appMetadata
            next.userMetadata = u.userMetadata
            next.passwordHash = u.passwordHash
            // Linked identities stay; only the connection's own identity is refreshed.
            next.identities = [fresh.identities[0]] + u.identities.dropFirst()
            u = next
        }
    }

    /// A note in the trace where a script was not called, and why.
    static func skippedScript(_ connection: Connection, _ kind: String, _ why: String) -> JSONValue {
        [
            "name": .string(connection.name + " " + kind), "kind": "database", "script": .string(kind), "connection": .string(connection.name),
            "file": .string(connection.scripts[kind]?.file ?? ""), "outcome": "skipped", "durationMs": 0, "console": [], "http": [], "changes": [:],
            "warnings": [.string(why)], "error": .null,
        ]
    }

    /// A password login at a custom-database connection.
    func customDatabaseLogin(
        username: String, password: String, connection: Connection, client: Client, request: SimulationRequest, started: Double, revision rev: Revision
    ) async throws(PipelineError) -> SimulationResult {
        var prelude: [JSONValue] = []
        let local: UserProfile?
        do { local = connection.importMode ? try await store.user(login: username, connection: connection.name) : nil } catch { throw .store(String(describing: error)) }

        // Import mode, already migrated: the local store only.
        if let migrated = local, let hash = migrated.passwordHash {
            let note = Self.skippedScript(
                connection, "login",
                "import mode: \(migrated.email ?? migrated.userId) was migrated to the local store; the login script is not called and changes in the legacy database no longer reach this user")
            let check: (valid: Bool, rehash: Bool)
            do { check = try await checkPassword(password, against: hash) } catch {
                return await uncheckedPasswordLogin(
                    error, username: username, userId: migrated.userId, client: client, connection: connection, request: request, started: started, trace: [note])
            }
            guard check.valid else {
                return await refusedLogin(logType: "fp", description: "Wrong email or password.", username: username, userId: migrated.userId, client: client, connection: connection, request: request, started: started, trace: [note])
            }
            let user = check.rehash ? await rehash(migrated, password: password) : migrated
            return try await run(revision: rev, user: user, stored: true, client: client, connection: connection, request: request, started: started, prelude: [note])
        }

        guard let outcome = try await runScript("login", of: connection, [.string(username), .string(password)], revision: rev) else {
            throw .invalidRequest("\(connection.name) has no login script")
        }
        prelude.append(outcome.trace)
        if let error = outcome.error {
            if outcome.errorName == "WrongUsernameOrPasswordError" {
                let named = !(error["email"]?.isNull ?? true)
                return await refusedLogin(
                    logType: named ? "fp" : "fu", description: outcome.errorMessage, username: username, userId: nil, client: client, connection: connection,
                    request: request, started: started, trace: prelude)
            }
            let description = outcome.errorMessage.isEmpty ? "The login script failed" : outcome.errorMessage
            return await refusedLogin(
                logType: "f", description: description, error: FlowError(outcome.errorName == "UnauthorizedError" ? "unauthorized" : "access_denied", description),
                username: username, userId: nil, client: client, connection: connection, request: request, started: started, trace: prelude)
        }
        guard let value = outcome.result, !value.isNull else {
            // callback(null) without a profile: no such user.
            return await refusedLogin(logType: "fu", description: "Wrong email or password.", username: username, userId: nil, client: client, connection: connection, request: request, started: started, trace: prelude)
        }
        var user: UserProfile
        do { user = try Self.scriptProfile(value, connection: connection, script: "login") } catch {
            return await refusedLogin(
                logType: "f", description: error.description, error: FlowError("server_error", error.description), username: username, userId: nil, client: client,
                connection: connection, request: request, started: started, trace: prelude)
        }
        do {
            if connection.importMode {
                if let partial = local {
                    // A profile without a password already holds this email: it must be the same user.
                    guard partial.userId == user.userId else {
                        let message = "DUPLICATED_USER: \(partial.email ?? username) already exists in the local store as \(partial.userId), not \(user.userId)"
                        return await refusedLogin(
                            logType: "f", description: message, error: FlowError("access_denied", message), username: username, userId: partial.userId, client: client,
                            connection: connection, request: request, started: started, trace: prelude)
                    }
                    let hash = try await hashPassword(password)
                    user = try await store.update(id: partial.userId) { u in u.passwordHash = hash }
                } else {
                    user.passwordHash = try await hashPassword(password)
                    try await store.insert(user)
                }
            } else {
                user = try await cache(user)
            }
        } catch let e as PipelineError {
            throw e
        } catch {
            let message = "could not store the profile from the login script: \(error)"
            return await refusedLogin(
                logType: "f", description: message, error: FlowError("server_error", message), username: username, userId: user.userId, client: client,
                connection: connection, request: request, started: started, trace: prelude)
        }
        return try await run(revision: rev, user: user, stored: true, client: client, connection: connection, request: request, started: started, prelude: prelude)
    }

    /// A simulation of a user the store does not know, at a custom-database connection: the
    /// get_user script finds them and the profile is cached (import mode off) or migrated
    /// without a password (import mode on, a partial profile the next password login completes).
    func userFromScript(_ ref: String, connection: Connection, revision rev: Revision) async throws(PipelineError) -> (UserProfile, JSONValue)? {
        guard connection.usesCustomScripts, let outcome = try await runScript("get_user", of: connection, [.string(ref)], revision: rev) else { return nil }
        if outcome.error != nil {
            throw .invalidRequest("\(connection.name) get_user failed: \(outcome.errorMessage)")
        }
        guard let value = outcome.result, !value.isNull else { return nil }
        let user = try Self.scriptProfile(value, connection: connection, script: "get_user")
        do {
            if connection.importMode {
                try await store.insert(user)
                return (user, outcome.trace)
            }
            return (try await cache(user), outcome.trace)
        } catch {
            throw .store("could not store the profile from get_user: \(error)")
        }
    }

    /// Sign-up at a custom-database connection: get_user must not find the email; then create
    /// (import mode off) and login, whose profile is cached. In import mode the user is created
    /// locally instead (the caller stores it). Returns the script trace entries.
    func customDatabaseSignup(
        _ user: inout UserProfile, password: String, connection: Connection, clientId: String, revision rev: Revision
    ) async throws(SignupError) -> [JSONValue] {
        var trace: [JSONValue] = []
        func failure(_ error: PipelineError) -> SignupError { SignupError(status: 400, name: "BadRequestError", code: "invalid_signup", message: error.description) }
        do {
            if let found = try await runScript("get_user", of: connection, [.string(user.email ?? "")], revision: rev) {
                trace.append(found.trace)
                if found.error != nil { throw SignupError(status: 400, name: "BadRequestError", code: "invalid_signup", message: "get_user failed: \(found.errorMessage)") }
                if let v = found.result, !v.isNull { throw SignupError(status: 400, name: "BadRequestError", code: "user_exists", message: "The user already exists.") }
            }
            if connection.importMode { return trace }
            var record: [String: JSONValue] = [
                "email": .string(user.email ?? ""), "password": .string(password), "tenant": .string(rev.tenant.name), "client_id": .string(clientId),
                "connection": .string(connection.name), "email_verified": false,
            ]
            if let username = user.username { record["username"] = .string(username) }
            if !user.userMetadata.isEmpty { record["user_metadata"] = .object(user.userMetadata) }
            if !user.appMetadata.isEmpty { record["app_metadata"] = .object(user.appMetadata) }
            guard let created = try await runScript("create", of: connection, [.object(record)], revision: rev) else {
                throw SignupError(status: 400, name: "BadRequestError", code: "invalid_signup", message: "\(connection.name) has no create script")
            }
            trace.append(created.trace)
            if created.error != nil {
                let exists = created.errorName == "ValidationError" && (created.error?["code"]?.stringValue == "user_exists")
                throw SignupError(status: 400, name: created.errorName ?? "BadRequestError", code: exists ? "user_exists" : "invalid_signup", message: created.errorMessage)
            }
            guard let login = try await runScript("login", of: connection, [.string(user.email ?? ""), .string(password)], revision: rev) else { return trace }
            trace.append(login.trace)
            guard login.error == nil, let value = login.result, !value.isNull else {
                throw SignupError(status: 400, name: "BadRequestError", code: "invalid_signup", message: "the user was created but the login script did not return them: \(login.errorMessage)")
            }
            var profile = try Self.scriptProfile(value, connection: connection, script: "login")
            profile.appMetadata = user.appMetadata.merging(profile.appMetadata) { _, b in b }
            profile.userMetadata = user.userMetadata.merging(profile.userMetadata) { _, b in b }
            user = profile
            return trace
        } catch let e as SignupError {
            throw e
        } catch let e as PipelineError {
            throw failure(e)
        } catch {
            throw SignupError(status: 500, name: "ServerError", code: "server_error", message: String(describing: error))
        }
    }

}
