import Directory
import Foundation
import JSONCore
import Synchronization
import Tenant

/// One-time codes of passwordless connections (`email`, `sms`), kept in memory: a code is
/// valid for the connection's `otp_lifetime_seconds` (default 300), once, and three wrong
/// tries end it.
public final class PasswordlessCodes: Sendable {
    public struct Code: Sendable {
        public var code: String
        public var connection: String
        public var identifier: String
        public var clientId: String
        public var expires: Double
        var failures = 0
    }

    private let codes = Mutex<[String: Code]>([:])
    /// When codes were last requested per identifier (a new code resets the tries, so starts are limited).
    private let starts = Mutex<[String: [Double]]>([:])
    static let maximumFailures = 3
    static let maximumStarts = 5
    static let startWindow: Double = 600

    /// At most five codes per identifier in ten minutes.
    func allowStart(connection: String, identifier: String, now: Double = Timestamp.now()) -> Bool {
        starts.withLock { all in
            let key = Self.key(connection, identifier)
            let recent = (all[key] ?? []).filter { now - $0 < Self.startWindow }
            guard recent.count < Self.maximumStarts else { return false }
            all[key] = recent + [now]
            if all.count > 10_000 { all = all.filter { $0.value.contains { now - $0 < Self.startWindow } } }
            return true
        }
    }

    public init() {}

    static func key(_ connection: String, _ identifier: String) -> String { connection + "\n" + identifier.lowercased() }

    func issue(connection: String, identifier: String, clientId: String, length: Int, lifetime: Double, now: Double = Timestamp.now()) -> Code {
        var g = SystemRandomNumberGenerator()
        let digits = String((0..<max(4, min(length, 10))).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
        let code = Code(code: digits, connection: connection, identifier: identifier.lowercased(), clientId: clientId, expires: now + lifetime)
        codes.withLock { all in
            all = all.filter { $0.value.expires > now }
            all[Self.key(connection, identifier)] = code
        }
        return code
    }

    /// The current code for an email or phone number (the simulation API shows it).
    public func current(connection: String?, identifier: String, now: Double = Timestamp.now()) -> Code? {
        codes.withLock { all in
            all.values.filter { $0.identifier == identifier.lowercased() && (connection == nil || $0.connection == connection) && $0.expires > now }
                .max { $0.expires < $1.expires }
        }
    }

    /// Consumes the code when it matches (same client); counts a failure otherwise.
    func redeem(connection: String, identifier: String, code: String, clientId: String, now: Double = Timestamp.now()) -> Bool {
        codes.withLock { all in
            let key = Self.key(connection, identifier)
            guard var entry = all[key], entry.expires > now, entry.clientId == clientId else { return false }
            if OAuthService.constantTimeEquals(entry.code, code) {
                all.removeValue(forKey: key)
                return true
            }
            entry.failures += 1
            if entry.failures >= Self.maximumFailures { all.removeValue(forKey: key) } else { all[key] = entry }
            return false
        }
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
        guard passwordless.allowStart(connection: connection.name, identifier: identifier) else {
            throw PasswordlessError(status: 429, error: "too_many_requests", description: "Too many codes requested for \(identifier): wait a few minutes")
        }
        let lifetime = connection.options["otp_lifetime_seconds"]?.doubleValue ?? 300
        let code = passwordless.issue(
            connection: connection.name, identifier: identifier, clientId: client.clientId, length: connection.options["otp_length"]?.intValue ?? 6, lifetime: lifetime)
        logger.notice("passwordless code for \(identifier) at \(connection.name): \(code.code) (valid \(Int(lifetime)) s)")
        await log(TenantLogEvent(
            type: "cls", description: "Passwordless login code sent to \(identifier)", clientId: client.clientId, clientName: client.name,
            connection: connection.name, userName: identifier, ip: ip ?? "127.0.0.1", userAgent: userAgent))
        let id = JSONValue.string(randomHexID())
        return connection.strategy == "email"
            ? ["_id": id, "email": .string(identifier), "email_verified": false]
            : ["_id": id, "phone_number": .string(identifier), "phone_verified": false, "request_language": .null]
    }

    /// The passwordless OTP grant: the code for `username` (email or phone number) at `realm`
    /// logs the user in, creating them at their first login.
    public func passwordlessLogin(username: String, otp: String, realm: String, request base: SimulationRequest) async throws(PipelineError) -> SimulationResult {
        let started = monotonicSeconds()
        let connection = try resolveConnection(realm)
        guard ["email", "sms"].contains(connection.strategy) else { throw .invalidRequest("\(realm) is not a passwordless connection (email or sms)") }
        let client = try resolveClient(base.client)
        var request = base
        request.connection = connection.name
        if request.protocolName == nil { request.protocolName = "oauth2-password" }
        let isEmail = connection.strategy == "email"
        let identifier = isEmail ? username.lowercased() : username
        guard isEmail ? Self.isPasswordlessEmail(identifier) : Self.isPhoneNumber(identifier) else {
            throw .invalidRequest("username must be \(isEmail ? "an email address" : "a phone number in E.164 form")")
        }
        guard passwordless.redeem(connection: connection.name, identifier: identifier, code: otp, clientId: client.clientId) else {
            let what = isEmail ? "email" : "phone number"
            return await refusedLogin(
                logType: "f", description: "Wrong \(what) or verification code.", error: FlowError("invalid_grant", "Wrong \(what) or verification code."),
                username: identifier, userId: nil, client: client, connection: connection, request: request, started: started)
        }
        let user: UserProfile
        do {
            // Both identifiers are checked to a strict shape above, so they quote safely.
            let found: UserProfile?
            if isEmail {
                found = try await store.user(login: identifier, connection: connection.name)
            } else {
                let query = try UserQuery.parse("phone_number:\"\(identifier)\"")
                found = try await store.search(query, sort: nil, offset: 0, limit: 50).users.first { $0.connection == connection.name }
            }
            if let found {
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
                try await store.insert(fresh)
                user = fresh
            }
        } catch {
            throw .store("could not find or create the passwordless user: \(error)")
        }
        return try await run(user: user, stored: true, client: client, connection: connection, request: request, started: started)
    }
}
