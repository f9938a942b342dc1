import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// One-time codes of passwordless connections (`email`, `sms`): a code is valid for the
/// connection's `otp_lifetime_seconds` (default 300), once, and three wrong tries end it. Codes
/// and the per-address start counts are short-lived values in the store, so every daemon on a
/// shared store redeems them. The start count and a code's tries change atomically in the store
/// (`modifyEphemeral`), so parallel starts or guesses on several daemons still get five starts
/// and three tries in all, and a right code is never refused because a wrong guess was being
/// counted elsewhere at the same moment.
public final class PasswordlessCodes: Sendable {
    public struct Code: KeptValue {
        public var code: String
        public var connection: String
        public var identifier: String
        public var clientId: String
        public var expires: Double
        var failures = 0

        init(code: String, connection: String, identifier: String, clientId: String, expires: Double, failures: Int = 0) {
            self.code = code
            self.connection = connection
            self.identifier = identifier
            self.clientId = clientId
            self.expires = expires
            self.failures = failures
        }
    }

    let store: any UserStore & EphemeralStore
    static let maximumFailures = 3
    static let maximumStarts = 5
    static let startWindow: Double = 600

    public init(store: any UserStore & EphemeralStore) {
        self.store = store
    }

    static func key(_ connection: String, _ identifier: String) -> String { connection + "\n" + identifier.lowercased() }

    /// At most five codes per identifier in ten minutes (a store failure is thrown, not a refusal).
    func allowStart(connection: String, identifier: String, now: Double = Timestamp.now()) async throws -> Bool {
        let key = "otp-starts:" + Self.key(connection, identifier)
        return try await store.modifyEphemeral(key, now: now) { text in
            let starts = text.flatMap { try? JSONValue.parse($0) }?.arrayValue ?? []
            let recent = starts.compactMap(\.doubleValue).filter { now - $0 < Self.startWindow }
            let allowed = recent.count < Self.maximumStarts
            let kept = allowed ? recent + [now] : recent
            return ((JSONValue.array(kept.map(JSONValue.number)).serialized(), (kept.max() ?? now) + Self.startWindow), allowed)
        }
    }

    func issue(connection: String, identifier: String, clientId: String, length: Int, lifetime: Double, now: Double = Timestamp.now()) async throws -> Code {
        var g = SystemRandomNumberGenerator()
        let digits = String((0..<max(4, min(length, 10))).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
        let code = Code(code: digits, connection: connection, identifier: identifier.lowercased(), clientId: clientId, expires: now + lifetime)
        // Through the same atomic step as a redeem: a wrong guess being counted at this moment
        // cannot put the old code back over the new one.
        let text = try code.keptText()
        return try await store.modifyEphemeral("otp:" + Self.key(connection, identifier), now: now) { _ in ((text, code.expires), code) }
    }

    /// The current code for an email or phone number at one of `connections` (the simulation API shows it).
    public func current(connections: [String], identifier: String, now: Double = Timestamp.now()) async -> Code? {
        var found: [Code] = []
        for c in connections {
            if let code = try? await store.kept(Code.self, at: "otp:" + Self.key(c, identifier), now: now) { found.append(code) }
        }
        return found.max { $0.expires < $1.expires }
    }

    /// Consumes the code when it matches (same client); counts a failure otherwise.
    func redeem(connection: String, identifier: String, code: String, clientId: String, now: Double = Timestamp.now()) async -> Bool {
        let key = "otp:" + Self.key(connection, identifier)
        let redeemed = try? await store.modifyEphemeral(key, now: now) { text in
            guard var entry = Code(keptText: text) else { return (nil, false) }
            if entry.clientId == clientId, OpaqueToken.constantTimeEquals(entry.code, code) { return (nil, true) }
            entry.failures += 1
            return (entry.failures < Self.maximumFailures ? (try entry.keptText(), entry.expires) : nil, false)
        }
        return redeemed ?? false
    }
}

/// Why `/passwordless/start` refused, in the Authentication API's shape.
public struct PasswordlessError: Error, Sendable {
    public var status: Int
    public var error: String
    public var description: String
    public var json: JSONValue { ["error": .string(error), "error_description": .string(description)] }
}

extension LoginPipeline {
    static func isPasswordlessEmail(_ s: String) -> Bool {
        s.count <= 254 && s.range(of: #"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"#, options: .regularExpression) != nil
    }

    static func isPhoneNumber(_ s: String) -> Bool { s.range(of: #"^\+[1-9][0-9]{6,14}$"#, options: .regularExpression) != nil }

    /// `POST /passwordless/start`: issues a one-time code for an email address or phone
    /// number, prints it in the daemon log (there is no mail or SMS here) and logs `cls`.
    public func passwordlessStart(clientId: String, connection name: String, email: String?, phoneNumber: String?, send: String?, ip: String?, userAgent: String?) async throws(PasswordlessError) -> JSONValue {
        let tenant = current.tenant
        guard let client = tenant.clients.first(where: { $0.clientId == clientId }) else {
            throw PasswordlessError(status: 401, error: "unauthorized_client", description: "Unknown client: \(clientId)")
        }
        guard let connection = tenant.connection(named: name), ["email", "sms"].contains(connection.strategy) else {
            throw PasswordlessError(status: 400, error: "bad.connection", description: "\(name) is not a passwordless (email or sms) connection")
        }
        if let send, send != "code" {
            throw PasswordlessError(status: 400, error: "bad.request", description: "authsim sends codes only (send: \"code\"), not magic links")
        }
        let identifier: String
        if connection.strategy == "email" {
            guard let email, Self.isPasswordlessEmail(email) else {
                throw PasswordlessError(status: 400, error: "bad.email", description: "email is required and must be an email address")
            }
            identifier = email.lowercased()
        } else {
            guard let phoneNumber, Self.isPhoneNumber(phoneNumber) else {
                throw PasswordlessError(status: 400, error: "bad.phone_number", description: "phone_number is required in E.164 form (+15551234567)")
            }
            identifier = phoneNumber
        }
        let allowed: Bool
        do { allowed = try await passwordless.allowStart(connection: connection.name, identifier: identifier) } catch {
            throw PasswordlessError(status: 500, error: "server_error", description: "Could not count the codes requested: \(error)")
        }
        guard allowed else {
            throw PasswordlessError(status: 429, error: "too_many_requests", description: "Too many codes requested for \(identifier): wait a few minutes")
        }
        let lifetime = connection.options["otp_lifetime_seconds"]?.doubleValue ?? 300
        let code: PasswordlessCodes.Code
        do {
            code = try await passwordless.issue(
                connection: connection.name, identifier: identifier, clientId: client.clientId, length: connection.options["otp_length"]?.intValue ?? 6, lifetime: lifetime)
        } catch {
            throw PasswordlessError(status: 500, error: "server_error", description: "Could not keep the code: \(error)")
        }
        logger.notice("passwordless code for \(identifier) at \(connection.name): \(code.code) (valid \(Int(lifetime)) s)")
        // The tenant's own delivery (a custom email/phone provider, send-phone-message).
        let isEmail = connection.strategy == "email"
        let known = try? await passwordlessUser(identifier, email: isEmail, connection: connection)
        let text = "Your verification code is: \(code.code)"
        let delivery = await deliver(OutgoingMessage(
            channel: isEmail ? .email : .phone, messageType: isEmail ? "verification_code" : "otp_verify", recipient: identifier,
            subject: "Your verification code", text: text, html: "<p>Your verification code is: <b>\(code.code)</b></p>", code: code.code,
            user: known ?? nil, client: client, connection: connection, ip: ip ?? "127.0.0.1", userAgent: userAgent))
        if !delivery.summary.isEmpty { logger.notice("passwordless code for \(identifier): \(delivery.summary)") }
        await log(TenantLogEvent(
            type: "cls", description: "Passwordless login code sent to \(identifier)", clientId: client.clientId, clientName: client.name,
            connection: connection.name, userName: identifier, ip: ip ?? "127.0.0.1", userAgent: userAgent,
            details: delivery.traceId.map { ["traceId": .string($0)] }))
        let id = JSONValue.string(randomHexID())
        return connection.strategy == "email"
            ? ["_id": id, "email": .string(identifier), "email_verified": false]
            : ["_id": id, "phone_number": .string(identifier), "phone_verified": false, "request_language": .null]
    }

    /// The user of a passwordless connection with this email address or phone number (both
    /// checked to a strict shape before, so they quote safely).
    func passwordlessUser(_ identifier: String, email: Bool, connection: Connection) async throws -> UserProfile? {
        if email { return try await store.user(login: identifier, connection: connection.name) }
        let query = try UserQuery.parse("phone_number:\"\(identifier)\"")
        return try await store.search(query, sort: nil, offset: 0, limit: 50).users.first { $0.connection == connection.name }
    }

    /// The passwordless OTP grant: the code for `username` (email or phone number) at `realm`
    /// logs the user in, creating them at their first login.
    public func passwordlessLogin(username: String, otp: String, realm: String, request base: SimulationRequest) async throws(PipelineError) -> SimulationResult {
        let started = monotonicSeconds()
        let rev = current
        let connection = try resolveConnection(realm, in: rev.tenant)
        guard ["email", "sms"].contains(connection.strategy) else { throw .invalidRequest("\(realm) is not a passwordless connection (email or sms)") }
        let client = try resolveClient(base.client, in: rev.tenant)
        var request = base
        request.connection = connection.name
        if request.protocolName == nil { request.protocolName = "oauth2-password" }
        let isEmail = connection.strategy == "email"
        let identifier = isEmail ? username.lowercased() : username
        guard isEmail ? Self.isPasswordlessEmail(identifier) : Self.isPhoneNumber(identifier) else {
            throw .invalidRequest("username must be \(isEmail ? "an email address" : "a phone number in E.164 form")")
        }
        guard await passwordless.redeem(connection: connection.name, identifier: identifier, code: otp, clientId: client.clientId) else {
            let what = isEmail ? "email" : "phone number"
            return await refusedLogin(
                logType: "f", description: "Wrong \(what) or verification code.", error: FlowError("invalid_grant", "Wrong \(what) or verification code."),
                username: identifier, userId: nil, client: client, connection: connection, request: request, started: started)
        }
        let user: UserProfile
        // A first login signs the user up: the registration triggers run around their creation.
        var registration: (event: (UserProfile) -> JSONValue, trace: [JSONValue])?
        do {
            if let found = try await passwordlessUser(identifier, email: isEmail, connection: connection) {
                user = try await store.update(id: found.userId) { u in
                    if isEmail { u.emailVerified = true } else { u.phoneVerified = true }
                }
            } else {
                var fresh = UserProfile(userId: connection.strategy + "|" + randomHexID(), connection: connection.name, provider: connection.strategy, email: isEmail ? identifier : nil)
                if isEmail { fresh.emailVerified = true } else {
                    fresh.phoneNumber = identifier
                    fresh.phoneVerified = true
                }
                fresh.identities = [Identity(provider: connection.strategy, connection: connection.name, userId: String(fresh.userId.dropFirst(connection.strategy.count + 1)), isSocial: false)]
                fresh.applyDefaults()
                let body: [String: JSONValue] = [isEmail ? "email" : "phone_number": .string(identifier), "connection": .string(connection.name), "client_id": .string(client.clientId)]
                let ip = request.ip ?? "127.0.0.1", tenant = rev.tenant, agent = request.userAgent
                let event = { (u: UserProfile) -> JSONValue in
                    self.registrationEvent(u, client: client, connection: connection, tenant: tenant, ip: ip, userAgent: agent, body: body)
                }
                let pre = try await preRegistration(&fresh, password: nil, event: event, connection: connection, ip: ip, revision: rev)
                if let refusal = pre.denied.map({ FlowError("extensibility_error", $0.description) }) ?? pre.validationError {
                    return await refusedLogin(
                        logType: "fs", description: refusal.description, error: refusal, username: identifier, userId: nil, client: client, connection: connection,
                        request: request, started: started, trace: pre.trace)
                }
                try await store.insert(fresh)
                user = fresh
                registration = (event, pre.trace)
            }
        } catch {
            throw .store("could not find or create the passwordless user: \(error)")
        }
        if let registration {
            let trace = registration.trace + (await postRegistration(registration.event(user), user: user, connection: connection, revision: rev))
            let traceId = await storeTriggerTrace("signup", user: user, clientId: client.clientId, trace: trace)
            await log(TenantLogEvent(
                type: "ss", description: "Successful signup", clientId: client.clientId, clientName: client.name, connection: connection.name,
                userId: user.userId, userName: identifier, ip: request.ip ?? "127.0.0.1", userAgent: request.userAgent, details: ["traceId": .string(traceId)]))
        }
        return try await run(revision: rev, user: user, stored: true, client: client, connection: connection, request: request, started: started)
    }
}
