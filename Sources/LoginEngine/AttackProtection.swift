import Directory
import Foundation
import JSONCore
import Tenant

/// Auth0's attack protection over the store, so every daemon on a shared store counts the same
/// attempts:
/// - brute-force protection: consecutive failed logins per identifier (and IP, by default);
///   at `max_attempts` the identifier is blocked from that IP until an administrator removes
///   the block (`/api/v2/user-blocks`), the password is reset, or 30 days pass. A successful
///   login clears the count.
/// - suspicious-IP throttling: a bucket per IP and stage (`pre-login` counts failed logins,
///   `pre-user-registration` sign-ups) holding `max_attempts`, one back every `rate` ms;
///   empty, the IP is refused until it refills or `/api/v2/anomaly/blocks/ips/{ip}` clears it.
public struct AttackProtection: Sendable {
    let store: any EphemeralStore

    /// How long an identifier's failure count and block are kept after the last failure.
    static let keep: Double = 30 * 86_400

    public init(store: any EphemeralStore) { self.store = store }

    /// One blocked identifier/IP pair, as `/api/v2/user-blocks` lists it.
    public struct Block: Sendable, Equatable {
        public var identifier: String
        public var ip: String?
        public var connection: String
    }

    // MARK: Brute force

    static func key(_ identifier: String) -> String { "bfp:" + identifier.lowercased() }

    /// The entry an attempt counts in: its IP, or one for every IP in `count_per_identifier`.
    static func slot(ip: String, _ s: AttackProtectionSettings.BruteForce) -> String {
        s.mode == "count_per_identifier" ? "*" : ip
    }

    static func allowlisted(_ ip: String, _ list: [String]) -> Bool {
        list.contains { IPRange($0)?.contains(ip) ?? false }
    }

    static func entries(_ text: String?) -> [String: JSONValue] {
        text.flatMap { try? JSONValue.parse($0) }?.objectValue ?? [:]
    }

    /// Whether `identifier` is blocked from `ip`.
    public func isBlocked(identifier: String, ip: String, settings s: AttackProtectionSettings.BruteForce, now: Double = Timestamp.now()) async throws -> Bool {
        guard s.blocks, !Self.allowlisted(ip, s.allowlist) else { return false }
        let entries = Self.entries(try await store.readEphemeral(Self.key(identifier), now: now))
        return entries[Self.slot(ip: ip, s)]?["blocked"]?.boolValue == true
    }

    /// Counts a failed login; true when this failure blocked the identifier.
    public func recordFailure(
        identifier: String, connection: String, ip: String, settings s: AttackProtectionSettings.BruteForce, now: Double = Timestamp.now()
    ) async throws -> Bool {
        guard s.enabled, !Self.allowlisted(ip, s.allowlist) else { return false }
        let slot = Self.slot(ip: ip, s)
        return try await store.modifyEphemeral(Self.key(identifier), now: now) { text in
            var entries = Self.entries(text)
            let current = entries[slot]
            let failures = (current?["failures"]?.intValue ?? 0) + 1
            let wasBlocked = current?["blocked"]?.boolValue == true
            let blocked = wasBlocked || (s.blocks && failures >= s.maxAttempts)
            entries[slot] = ["failures": .number(Double(min(failures, 1_000_000))), "blocked": .bool(blocked), "connection": .string(connection), "at": .number(now)]
            return ((JSONValue.object(entries).serialized(), now + Self.keep), blocked && !wasBlocked)
        }
    }

    /// A successful login clears the identifier's count from that IP (not a block: a blocked
    /// identifier does not get as far as its password).
    public func recordSuccess(identifier: String, ip: String, settings s: AttackProtectionSettings.BruteForce, now: Double = Timestamp.now()) async throws {
        guard s.enabled else { return }
        let slot = Self.slot(ip: ip, s)
        // Most logins have nothing counted: one read, no write.
        guard Self.entries(try await store.readEphemeral(Self.key(identifier), now: now))[slot] != nil else { return }
        try await store.modifyEphemeral(Self.key(identifier), now: now) { text -> (value: (String, expires: Double)?, result: Void) in
            var entries = Self.entries(text)
            guard entries[slot] != nil, entries[slot]?["blocked"]?.boolValue != true else {
                return (text.map { ($0, now + Self.keep) }, ())
            }
            entries[slot] = nil
            return (entries.isEmpty ? nil : (JSONValue.object(entries).serialized(), now + Self.keep), ())
        }
    }

    /// The blocks held for these identifiers (a user's email, username, phone number).
    public func blocks(identifiers: [String], now: Double = Timestamp.now()) async throws -> [Block] {
        var out: [Block] = []
        for identifier in Set(identifiers.map { $0.lowercased() }).sorted() {
            let entries = Self.entries(try await store.readEphemeral(Self.key(identifier), now: now))
            for (slot, entry) in entries.sorted(by: { $0.key < $1.key }) where entry["blocked"]?.boolValue == true {
                out.append(Block(identifier: identifier, ip: slot == "*" ? nil : slot, connection: entry["connection"]?.stringValue ?? ""))
            }
        }
        return out
    }

    /// Removes every block and count of these identifiers.
    public func unblock(identifiers: [String], now: Double = Timestamp.now()) async throws {
        for identifier in Set(identifiers.map { $0.lowercased() }) {
            _ = try await store.takeEphemeral(Self.key(identifier), now: now)
        }
    }

    // MARK: Suspicious IPs

    public enum Stage: String, Sendable, CaseIterable {
        case preLogin = "pre-login"
        case preUserRegistration = "pre-user-registration"
        case preCustomTokenExchange = "pre-custom-token-exchange"

        func limits(_ s: AttackProtectionSettings.SuspiciousIPThrottling) -> AttackProtectionSettings.SuspiciousIPThrottling.Stage {
            switch self {
            case .preLogin: return s.preLogin
            case .preUserRegistration: return s.preUserRegistration
            case .preCustomTokenExchange: return s.preCustomTokenExchange
            }
        }
    }

    static func ipKey(_ stage: Stage, _ ip: String) -> String { "sit:" + stage.rawValue + ":" + ip }

    /// The bucket's attempts left at `now` (refilled since it was last written).
    static func tokens(_ text: String?, _ limits: AttackProtectionSettings.SuspiciousIPThrottling.Stage, now: Double) -> Double {
        guard let o = text.flatMap({ try? JSONValue.parse($0) }), let left = o["tokens"]?.doubleValue, let at = o["at"]?.doubleValue else {
            return Double(limits.maxAttempts)
        }
        let refilled = left + max(0, now - at) * 1000 / limits.rateMs
        return min(Double(limits.maxAttempts), refilled)
    }

    /// Whether `ip` may still try at this stage.
    public func ipAllowed(_ stage: Stage, ip: String, settings s: AttackProtectionSettings.SuspiciousIPThrottling, now: Double = Timestamp.now()) async throws -> Bool {
        guard s.blocks, !Self.allowlisted(ip, s.allowlist) else { return true }
        return Self.tokens(try await store.readEphemeral(Self.ipKey(stage, ip), now: now), stage.limits(s), now: now) >= 1
    }

    /// Takes one attempt from the IP's bucket; true when this emptied it (the IP is now blocked).
    public func recordIPAttempt(_ stage: Stage, ip: String, settings s: AttackProtectionSettings.SuspiciousIPThrottling, now: Double = Timestamp.now()) async throws -> Bool {
        guard s.enabled, !Self.allowlisted(ip, s.allowlist) else { return false }
        let limits = stage.limits(s)
        return try await store.modifyEphemeral(Self.ipKey(stage, ip), now: now) { text in
            let before = Self.tokens(text, limits, now: now)
            let after = max(0, before - 1)
            // Kept until it would be full again.
            let refill = (Double(limits.maxAttempts) - after) * limits.rateMs / 1000
            let value: JSONValue = ["tokens": .number(after), "at": .number(now)]
            return ((value.serialized(), now + refill + 1), before >= 1 && after < 1)
        }
    }

    /// Whether `ip` is blocked at any stage (`GET /api/v2/anomaly/blocks/ips/{ip}`).
    public func ipBlocked(_ ip: String, settings s: AttackProtectionSettings.SuspiciousIPThrottling, now: Double = Timestamp.now()) async throws -> Bool {
        for stage in Stage.allCases where !(try await ipAllowed(stage, ip: ip, settings: s, now: now)) { return true }
        return false
    }

    /// Refills the IP's buckets (`DELETE /api/v2/anomaly/blocks/ips/{ip}`).
    public func unblockIP(_ ip: String, now: Double = Timestamp.now()) async throws {
        for stage in Stage.allCases { _ = try await store.takeEphemeral(Self.ipKey(stage, ip), now: now) }
    }
}

extension UserProfile {
    /// What a user may type to log in: email, username, phone number.
    public var loginIdentifiers: [String] { [email, username, phoneNumber].compactMap { $0 } }
}

extension LoginPipeline {
    public var attackProtection: AttackProtection { AttackProtection(store: store) }

    static let blockedAccountMessage =
        "Your account has been blocked after multiple consecutive login attempts. An administrator can unblock it (DELETE /api/v2/user-blocks), or reset the password."
    static let suspiciousIPMessage = "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator."

    /// The refusal of a password login before its password is looked at: the IP is throttled,
    /// or the identifier is blocked from it. Logged as `limit_mu` / `limit_wc`. A store that
    /// cannot be read does not refuse (the login goes on; the error is logged).
    func attackRefusal(
        username: String, ip: String, client: Client, connection: Connection, request: SimulationRequest, started: Double, _ settings: AttackProtectionSettings
    ) async -> SimulationResult? {
        do {
            if try await !attackProtection.ipAllowed(.preLogin, ip: ip, settings: settings.suspiciousIPThrottling) {
                return await refusedLogin(
                    logType: "limit_mu", description: "Blocked IP address \(ip): too many failed logins", error: FlowError("too_many_attempts", Self.suspiciousIPMessage),
                    username: username, userId: nil, client: client, connection: connection, request: request, started: started)
            }
            if try await attackProtection.isBlocked(identifier: username, ip: ip, settings: settings.bruteForce) {
                return await refusedLogin(
                    logType: "limit_wc", description: "Blocked Account: \(username) from \(ip)", error: FlowError("too_many_attempts", Self.blockedAccountMessage),
                    username: username, userId: nil, client: client, connection: connection, request: request, started: started)
            }
        } catch {
            logger.error("could not read attack protection state: \(error)")
        }
        return nil
    }

    /// Counts a password login's outcome: a wrong password or unknown user (`invalid_grant`)
    /// against the identifier and the IP; a login that got past its password clears the count.
    func countAttempt(
        _ result: SimulationResult, username: String, ip: String, client: Client, connection: Connection, request: SimulationRequest,
        _ settings: AttackProtectionSettings
    ) async {
        do {
            if result.outcome == .denied, result.error?.error == "invalid_grant" {
                if try await attackProtection.recordFailure(identifier: username, connection: connection.name, ip: ip, settings: settings.bruteForce) {
                    logger.warning("account blocked after consecutive failed logins", metadata: ["username": .string(username), "ip": .string(ip)])
                    await log(TenantLogEvent(
                        type: "limit_wc", description: "Blocked Account: \(settings.bruteForce.maxAttempts) consecutive failed logins for \(username) from \(ip)",
                        clientId: client.clientId, clientName: client.name, connection: connection.name, userName: username, ip: ip, userAgent: request.userAgent))
                }
                if try await attackProtection.recordIPAttempt(.preLogin, ip: ip, settings: settings.suspiciousIPThrottling) {
                    logger.warning("IP address throttled after failed logins", metadata: ["ip": .string(ip)])
                    await log(TenantLogEvent(
                        type: "limit_mu", description: "Blocked IP address \(ip): \(settings.suspiciousIPThrottling.preLogin.maxAttempts) failed logins",
                        clientId: client.clientId, clientName: client.name, connection: connection.name, userName: username, ip: ip, userAgent: request.userAgent))
                }
            } else if result.outcome == .allowed || result.outcome == .redirect {
                try await attackProtection.recordSuccess(identifier: username, ip: ip, settings: settings.bruteForce)
            }
        } catch {
            logger.error("could not count a login attempt: \(error)")
        }
    }
}
