import Directory
import Foundation
import JSONCore
import NodeCompat
import Tenant

/// Why a sign-up was refused, in the Authentication API's shape.
public struct SignupError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var name: String
    public var code: String
    public var message: String

    public var description: String { message }
    public var json: JSONValue {
        ["name": .string(name), "code": .string(code), "description": .string(message), "statusCode": .number(Double(status))]
    }
}

extension LoginPipeline {
    /// Why a sign-up's `user_metadata` breaks Auth0's limits for it (an object of at most ten
    /// properties, names of at most 100 characters, string values of at most 500), or nil.
    static func signupMetadataProblem(_ md: JSONValue) -> String? {
        guard let o = md.objectValue else { return "must be an object" }
        if o.count > 10 { return "may have at most 10 properties (it has \(o.count))" }
        for (k, v) in o.sorted(by: { $0.key < $1.key }) {
            if k.count > 100 { return "property names may have at most 100 characters" }
            guard let s = v.stringValue else { return "values must be strings ('\(k.prefix(100))' is not)" }
            if s.count > 500 { return "values may have at most 500 characters ('\(k)' has \(s.count))" }
        }
        return nil
    }

    /// Database sign-up (`POST /dbconnections/signup`, the login page's sign-up form):
    /// `pre-user-registration` actions may add metadata or refuse; the user is created with a
    /// bcrypt hash; `post-user-registration` actions run after. Logs `ss` or `fs`.
    public func signup(
        clientId: String, connection connectionName: String, email: String, password: String, fields: [String: JSONValue] = [:],
        ip: String?, userAgent: String?
    ) async throws(SignupError) -> UserProfile {
        let rev = current
        let tenant = rev.tenant
        func fail(_ status: Int, _ name: String, _ code: String, _ message: String) async -> SignupError {
            await log(TenantLogEvent(
                type: "fs", description: message, clientId: clientId, clientName: tenant.client(named: clientId)?.name, connection: connectionName,
                userName: email, ip: ip ?? "127.0.0.1", userAgent: userAgent))
            return SignupError(status: status, name: name, code: code, message: message)
        }
        guard let client = tenant.clients.first(where: { $0.clientId == clientId }) else {
            throw await fail(400, "BadRequestError", "invalid_client", "Unknown client: \(clientId)")
        }
        guard let connection = tenant.connection(named: connectionName), connection.isDatabase else {
            throw await fail(400, "BadRequestError", "invalid_connection", "Connection \(connectionName) is not a database connection of this tenant")
        }
        // Suspicious-IP throttling counts every sign-up attempt from an IP.
        let throttling = tenant.settings.attackProtection.suspiciousIPThrottling
        let from = ip ?? "127.0.0.1"
        do {
            guard try await attackProtection.ipAllowed(.preUserRegistration, ip: from, settings: throttling) else {
                throw await fail(429, "TooManyAttemptsError", "too_many_attempts", Self.suspiciousIPMessage)
            }
            if try await attackProtection.recordIPAttempt(.preUserRegistration, ip: from, settings: throttling) {
                await log(TenantLogEvent(
                    type: "limit_mu", description: "Blocked IP address \(from): \(throttling.preUserRegistration.maxAttempts) sign-ups", clientId: clientId,
                    clientName: client.name, connection: connection.name, userName: email, ip: from, userAgent: userAgent))
            }
        } catch let e as SignupError {
            throw e
        } catch {
            logger.error("could not read attack protection state: \(error)")
        }
        let emailOK = email.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) != nil
        guard emailOK else { throw await fail(400, "BadRequestError", "invalid_signup", "Invalid sign up: the email address is not valid") }
        guard password.count >= 8 else {
            throw await fail(400, "PasswordStrengthError", "invalid_password", "Password is too weak: use at least 8 characters")
        }
        do {
            if try await store.user(login: email, connection: connection.name) != nil {
                throw await fail(400, "BadRequestError", "invalid_signup", "Invalid sign up")
            }
        } catch let e as SignupError {
            throw e
        } catch {
            throw SignupError(status: 500, name: "ServerError", code: "server_error", message: String(describing: error))
        }

        if let md = fields["user_metadata"], !md.isNull, let problem = Self.signupMetadataProblem(md) {
            throw await fail(400, "BadRequestError", "invalid_signup", "Invalid sign up: user_metadata \(problem)")
        }
        var user = UserProfile(userId: "auth0|" + randomHexID(), connection: connection.name, email: email.lowercased())
        // The profile fields a sign-up may set, checked like the Management API's.
        do {
            try user.applyRootAttributes(fields.filter { Self.signupFields.contains($0.key) })
            if let md = fields["user_metadata"], !md.isNull { user.userMetadata = try MetadataMerge.apply(md, to: [:], kind: .user) }
        } catch {
            throw await fail(400, "BadRequestError", "invalid_signup", "Invalid sign up: \((error as? UserAttributeError).map { "Payload validation error: " + $0.message } ?? String(describing: error))")
        }
        user.applyDefaults()

        // pre-user-registration: metadata or a refusal, before anything is stored.
        func event(_ u: UserProfile) -> JSONValue {
            registrationEvent(u, client: client, connection: connection, tenant: tenant, ip: from, userAgent: userAgent, body: fields)
        }
        let pre: PreRegistration
        do {
            pre = try await preRegistration(&user, password: password, event: event, connection: connection, ip: from, revision: rev)
        } catch let error as PipelineError {
            throw SignupError(status: 500, name: "ServerError", code: "server_error", message: error.description)
        } catch {
            throw await fail(400, "BadRequestError", "invalid_signup", "Invalid sign up: \(error)")
        }
        if let denied = pre.denied {
            throw await fail(400, "ExtensibilityError", "extensibility_error", denied.description)
        }
        if let invalid = pre.validationError {
            throw await fail(400, "ValidationError", invalid.error, invalid.description)
        }
        var trace = pre.trace
        if connection.usesCustomScripts {
            // get_user → create → login; the login script's profile is what gets cached.
            do {
                trace += try await customDatabaseSignup(&user, password: password, connection: connection, clientId: client.clientId, revision: rev)
            } catch {
                throw await fail(error.status, error.name, error.code, error.message)
            }
        }
        do {
            if connection.usesCustomScripts && !connection.importMode {
                user = try await cache(user)
            } else {
                user.passwordHash = try await hashPassword(password)
                try await store.insert(user)
            }
        } catch let e as PasswordHashError where e.isBusy {
            throw await fail(503, "ServiceUnavailableError", "temporarily_unavailable", "Invalid sign up: \(e)")
        } catch {
            throw await fail(400, "BadRequestError", "invalid_signup", "Invalid sign up: \(error)")
        }
        trace += await postRegistration(event(user), user: user, connection: connection, revision: rev)
        let traceId = await storeTriggerTrace("signup", user: user, clientId: client.clientId, trace: trace)
        await log(TenantLogEvent(
            type: "ss", description: "Successful signup", clientId: client.clientId, clientName: client.name, connection: connection.name,
            userId: user.userId, userName: email, ip: ip ?? "127.0.0.1", userAgent: userAgent, details: ["traceId": .string(traceId)]))
        return user
    }

    /// The registration triggers' `event` for `user` signing up: the request as Auth0 gives it,
    /// its body without the password.
    func registrationEvent(
        _ user: UserProfile, client: Client, connection: Connection, tenant: Tenant, ip: String, userAgent: String?, body: [String: JSONValue]
    ) -> JSONValue {
        let request: JSONValue = [
            "ip": .string(ip), "hostname": .string(tenant.settings.domain), "method": "POST", "user_agent": .string(userAgent ?? ""),
            "language": "en", "query": [:], "body": .object(body.filter { $0.key != "password" }),
            "geoip": LoginPipeline.eventGeoip(tenant.geoip[ip] ?? tenant.geoip["default"]),
        ]
        return [
            "user": user.json, "client": LoginPipeline.eventJSON(client), "connection": LoginPipeline.eventJSON(connection),
            "request": request, "tenant": ["id": .string(tenant.name)], "transaction": ["locale": "en"],
        ]
    }

    /// post-user-registration (the hook, then the actions): runs after the user exists; its
    /// failures are logged, not returned. Returns its trace.
    func postRegistration(_ event: JSONValue, user: UserProfile, connection: Connection, revision rev: Revision) async -> [JSONValue] {
        var trace: [JSONValue] = []
        let context: JSONValue = ["requestLanguage": "en", "connection": Self.hookConnection(connection, tenant: rev.tenant)]
        if let hook = await runHook("post-user-registration", args: [Self.hookUser(user, tenant: rev.tenant, created: true)], context: context, revision: rev) {
            trace.append(hook.trace)
            if hook.error != nil { logger.warning("post-user-registration hook failed", metadata: ["error": .string(hook.errorMessage)]) }
        }
        let post = rev.tenant.boundActions("post-user-registration")
        guard !post.isEmpty else { return trace }
        do {
            let outcome = try await rev.rulesRunner.runTrigger("post-user-registration", event: event, actions: post, environment: flowEnvironment(rev), runtime: runtime)
            if let e = outcome.denied { logger.warning("post-user-registration action failed", metadata: ["error": .string(e.description)]) }
            return trace + outcome.trace
        } catch {
            logger.warning("post-user-registration actions could not run: \(error)")
            return trace
        }
    }

    /// After a password change (Management API or reset): the user's refresh tokens are
    /// revoked, then post-change-password runs (the hook, then the actions); failures are logged.
    public func passwordChanged(_ user: UserProfile, ip: String?) async {
        // A new password revokes the user's refresh tokens.
        do {
            let n = try await revokeRefreshTokens(userId: user.userId)
            if n > 0 { logger.info("refresh tokens revoked by a password change", metadata: ["user": .string(user.userId), "count": .stringConvertible(n)]) }
        } catch {
            logger.error("could not revoke refresh tokens after a password change: \(error)")
        }
        let rev = current
        let tenant = rev.tenant
        let bound = tenant.boundActions("post-change-password")
        guard !bound.isEmpty || tenant.activeHook("post-change-password") != nil, let connection = tenant.connection(named: user.connection) else { return }
        var trace: [JSONValue] = []
        let hookUser: JSONValue = [
            "id": .string(user.userId.split(separator: "|", maxSplits: 1).last.map(String.init) ?? user.userId),
            "username": user.username.map(JSONValue.string) ?? .null, "email": user.email.map(JSONValue.string) ?? .null,
            "last_password_reset": user.lastPasswordReset.map { .string(Timestamp.format($0)) } ?? .null,
        ]
        if let hook = await runHook("post-change-password", args: [hookUser], context: ["connection": Self.hookConnection(connection, tenant: tenant)], revision: rev) {
            trace.append(hook.trace)
            if hook.error != nil { logger.warning("post-change-password hook failed", metadata: ["error": .string(hook.errorMessage)]) }
        }
        if !bound.isEmpty {
            let event: JSONValue = [
                "user": user.json, "connection": LoginPipeline.eventJSON(connection),
                "request": ["ip": .string(ip ?? "127.0.0.1"), "hostname": .string(tenant.settings.domain), "method": "PATCH"],
                "tenant": ["id": .string(tenant.name)],
            ]
            do {
                let outcome = try await rev.rulesRunner.runTrigger("post-change-password", event: event, actions: bound, environment: flowEnvironment(rev), runtime: runtime)
                trace += outcome.trace
                if let e = outcome.denied { logger.warning("post-change-password action failed", metadata: ["error": .string(e.description)]) }
            } catch {
                logger.warning("post-change-password actions could not run: \(error)")
            }
        }
        let traceId = await storeTriggerTrace("post-change-password", user: user, clientId: "", trace: trace)
        await log(TenantLogEvent(type: "scp", description: "Change password", connection: user.connection, userId: user.userId, userName: user.email, ip: ip ?? "127.0.0.1", details: ["traceId": .string(traceId)]))
    }

    /// Profile fields `POST /dbconnections/signup` accepts besides email and password.
    static let signupFields: Set<String> = ["username", "given_name", "family_name", "name", "nickname", "picture"]

    /// Keeps a trigger run's trace (the log event points at it by id); returns the id.
    func storeTriggerTrace(_ trigger: String, user: UserProfile, clientId: String, trace: [JSONValue]) async -> String {
        let id = randomHexID()
        do {
            try await storeTrace(
                id: id, userId: user.userId, clientId: clientId,
                document: JSONValue.object(["trigger": .string(trigger), "user": user.json, "trace": .array(trace)]))
        } catch {
            logger.error("could not store the \(trigger) trace: \(error)")
        }
        return id
    }
}
