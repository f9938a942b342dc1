import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// A second factor a user enrolled: a TOTP app (`otp`), or an email address or phone number
/// codes are sent to (`oob`, channel `email` or `sms`: the codes go to the daemon log). Kept as
/// a user-owned value of the store; the TOTP secret is never shown again after enrolment.
public struct MFAAuthenticator: KeptValue, Equatable {
    public var id: String
    public var userId: String
    /// `otp` or `oob`.
    public var type: String
    /// For `oob`: `email` or `sms`.
    public var oobChannel: String?
    /// For `oob`: the address the codes go to.
    public var name: String?
    public var secret: String?
    /// An enrolment is confirmed by its first correct code.
    public var confirmed: Bool
    public var createdAt: Double
    public var lastAuthAt: Double?
    /// The last TOTP step accepted: a code is good once.
    public var lastStep: Int64?

    /// The Management API's authentication method / the MFA API's authenticator (no secret).
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(id), "authenticator_type": .string(type), "active": .bool(confirmed),
            "type": .string(factor), "confirmed": .bool(confirmed), "created_at": .string(Timestamp.format(createdAt)),
        ]
        if let oobChannel { o["oob_channel"] = .string(oobChannel) }
        if let name {
            o["name"] = .string(name)
            o[oobChannel == "sms" ? "phone_number" : "email"] = .string(name)
        }
        if let lastAuthAt { o["last_auth_at"] = .string(Timestamp.format(lastAuthAt)) }
        return .object(o)
    }

    /// What the MFA API shows (to whoever holds an `mfa_token`): the address masked, as Auth0 does.
    public var maskedJSON: JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(id), "authenticator_type": .string(type), "active": .bool(confirmed), "type": .string(factor), "confirmed": .bool(confirmed),
        ]
        if let oobChannel { o["oob_channel"] = .string(oobChannel) }
        if name != nil { o["name"] = .string(maskedAddress) }
        return .object(o)
    }

    /// An enrolment not confirmed within an hour is forgotten.
    var keptUntil: Double { confirmed ? LoginPipeline.forever : createdAt + 3600 }

    /// The factor's name in `event.user.enrolledFactors`, the scripts' `challengeWith` and the
    /// Management API (`otp`, `email`, `phone`).
    public var factor: String { type == "otp" ? "otp" : oobChannel == "sms" ? "phone" : "email" }

    /// The address a code goes to, shown masked (`a•••@example.com`, `•••1234`).
    public var maskedAddress: String {
        guard let name else { return "" }
        if oobChannel == "sms" { return "•••" + name.suffix(4) }
        guard let at = name.firstIndex(of: "@"), let first = name.first else { return "•••" }
        return String(first) + "•••" + name[at...]
    }
}

/// How a second factor was passed, for the flow that resumes after it.
public struct MFAPassed: Codable, Sendable, Equatable {
    public var at: Double
    public var factor: String

    public init(at: Double, factor: String) {
        self.at = at
        self.factor = factor
    }
}

/// What a login's scripts asked for (Rules `context.multifactor`, Actions
/// `api.multifactor.enable`, `api.authentication.challengeWith[Any]`/`enrollWith[Any]`).
public struct MFARequirement: Sendable, Equatable {
    /// The factors the scripts allow (`otp`, `email`); empty: any.
    public var factors: [String]
    /// Enrolment only (`enrollWith`): a user with a factor passes without a challenge.
    public var enrollOnly: Bool
    public var allowRememberBrowser: Bool
    /// An action paused for it: the flow resumes in that action's `onContinuePostLogin`.
    public var pausedAction: String?

    /// From the flow's `multifactor` (after the scripts) or an action's pause.
    init?(multifactor: JSONValue?, pause: JSONValue?) {
        if let pause, let m = pause["mfa"] {
            factors = (m["factors"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue ?? $0.stringValue }
            enrollOnly = m["enroll"]?.boolValue ?? false
            allowRememberBrowser = false
            pausedAction = pause["action"]?.stringValue
            return
        }
        guard let multifactor, case .object(let o) = multifactor, o["provider"]?.stringValue != "none" else { return nil }
        let provider = o["provider"]?.stringValue ?? "any"
        factors = ["any", "guardian", "google-authenticator"].contains(provider) ? [] : [provider == "duo" ? "otp" : provider]
        enrollOnly = false
        allowRememberBrowser = o["allowRememberBrowser"]?.boolValue ?? false
        pausedAction = nil
    }

    public var json: JSONValue {
        [
            "factors": .array(factors.map(JSONValue.string)), "enrollOnly": .bool(enrollOnly), "allowRememberBrowser": .bool(allowRememberBrowser),
            "pausedAction": pausedAction.map(JSONValue.string) ?? .null,
        ]
    }
}

extension LoginPipeline {
    static let authenticatorPrefix = "mfa_authenticator:"
    static let forever: Double = 32_503_680_000

    /// A user's authenticators, oldest first.
    public func authenticators(userId: String) async throws -> [MFAAuthenticator] {
        try await owned(userId, prefix: Self.authenticatorPrefix).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// `event.user.enrolledFactors`: the confirmed factors.
    public func enrolledFactors(userId: String) async -> [JSONValue] {
        let list = (try? await authenticators(userId: userId)) ?? []
        return list.filter(\.confirmed).map { ["type": .string($0.factor)] }
    }

    /// Starts an enrolment: a TOTP secret (`otp`), or an email address or phone number for codes
    /// (`oob` with `channel` `email` or `sms`). Unconfirmed until its first correct code.
    public func addAuthenticator(userId: String, type: String, channel: String? = nil, address: String? = nil) async throws -> MFAAuthenticator {
        let oobChannel = type == "oob" ? (channel ?? "email") : nil
        let a = MFAAuthenticator(
            id: (type == "otp" ? "totp" : oobChannel ?? "email") + "|dev_" + String(randomHexID().prefix(16)), userId: userId, type: type,
            oobChannel: oobChannel, name: address, secret: type == "otp" ? TOTP.newSecret() : nil, confirmed: false,
            createdAt: Timestamp.now())
        try await store.keep(a, at: Self.authenticatorPrefix + a.id, expires: a.keptUntil, owner: userId)
        return a
    }

    /// One of the user's authenticators.
    public func authenticator(userId: String, id: String) async -> MFAAuthenticator? {
        guard let a: MFAAuthenticator = try? await kept(Self.authenticatorPrefix + id), a.userId == userId else { return nil }
        return a
    }

    static let failuresPrefix = "mfa_failures:"
    /// Wrong codes a user may send in `failureWindow` seconds, across every login and daemon,
    /// before codes are refused without being checked (until the window passes).
    public static let maximumFailures = 10
    static let failureWindow: Double = 900


    /// Checks a TOTP code: against the user's confirmed TOTP authenticators, or, for a user who
    /// has none, against the one this login is enrolling (`enrolling`, which it confirms; never
    /// another login's). A code is accepted once (its step is kept); after `maximumFailures`
    /// wrong codes in 15 minutes no code is checked. Returns the authenticator that took it.
    public func verifyOTP(userId: String, code: String, enrolling: String? = nil) async throws -> MFAAuthenticator? {
        let now = Timestamp.now()
        let failures = Self.failuresPrefix + userId
        guard try await countAttempt(userId: userId, now: now) else { return nil }
        let every = try await authenticators(userId: userId)
        let all = every.filter { $0.type == "otp" }
        let confirmed = all.filter(\.confirmed)
        // An enrolment is confirmed only for a user with no factor yet (of any kind): one who
        // has a factor must pass it, never a new one.
        let candidates = every.contains(where: \.confirmed) ? confirmed : all.filter { $0.id == enrolling }
        for a in candidates {
            let accepted = try await store.modifyEphemeral(Self.authenticatorPrefix + a.id, now: now) { text -> (value: (String, expires: Double)?, result: MFAAuthenticator?) in
                guard let text, var cur = MFAAuthenticator(keptText: text) else { return (nil, nil) }
                guard let secret = cur.secret, let step = TOTP.verify(code, secret: secret, at: now), step > (cur.lastStep ?? Int64.min) else {
                    return ((text, expires: cur.keptUntil), nil)
                }
                cur.lastStep = step
                cur.confirmed = true
                cur.lastAuthAt = now
                return ((try cur.keptText(), expires: cur.keptUntil), cur)
            }
            if let accepted {
                _ = try await store.takeEphemeral(failures, now: now)
                try await markEnrolled(userId: userId)
                return accepted
            }
        }
        return nil
    }

    /// Counts a code attempt of a user before the code is checked, in one atomic step (a burst of
    /// codes cannot all pass the lock before any failure is counted); false once the user has
    /// sent `maximumFailures` wrong codes in the window. A correct code clears the count.
    func countAttempt(userId: String, now: Double) async throws -> Bool {
        // "count windowEnd": the window starts at the first attempt and is not moved on by later
        // ones (refused attempts cannot keep a user locked out for good).
        let allowed = try await store.modifyEphemeral(Self.failuresPrefix + userId, now: now, owner: userId) { text -> (value: (String, expires: Double)?, result: Bool) in
            let parts = (text ?? "").split(separator: " ")
            let count = parts.first.flatMap { Int($0) } ?? 0
            let end = parts.count > 1 ? (Double(parts[1]) ?? now + Self.failureWindow) : now + Self.failureWindow
            guard count < Self.maximumFailures else { return ((text ?? "", expires: end), false) }
            return (("\(count + 1) \(JSONValue.format(number: end))", expires: end), true)
        }
        if !allowed { logger.warning("second-factor codes refused: too many wrong ones", metadata: ["user": .string(userId)]) }
        return allowed
    }

    static let oobPrefix = "mfa_oob:"
    /// How long an emailed or texted code is good for (as Auth0's: five minutes).
    public static let oobLifetime: Double = 300

    /// A code sent to an out-of-band authenticator, kept under the hash of the `oob_code` the
    /// application (or the page) holds; good once.
    public struct OOBChallenge: KeptValue {
        public var authenticatorId: String
        public var userId: String
        public var code: String
        public var to: String
        public var channel: String
        public var expires: Double
        /// The hash of the login wait (its `mfa_token` or page state) the code was sent for: only
        /// that login may use it.
        public var boundTo: String?
    }

    /// Whether the challenge an `oob_code` names is still pending.
    public func oobChallengePending(_ oobCode: String) async -> Bool {
        (try? await store.readEphemeral(Self.oobPrefix + OpaqueToken.hash(oobCode), now: Timestamp.now())) != nil
    }

    /// Sends a 6-digit code to an email or phone authenticator (there is no mail or SMS here: it
    /// goes to the daemon log, and `GET /api/authsim/mfa/code` shows it); returns the `oob_code`
    /// that names the challenge.
    public func sendOOBCode(_ a: MFAAuthenticator, for login: String) async throws -> String {
        let oob = OpaqueToken.new()
        let code = String(format: "%06d", Int.random(in: 0..<1_000_000))
        let now = Timestamp.now()
        let challenge = OOBChallenge(
            authenticatorId: a.id, userId: a.userId, code: code, to: a.name ?? "", channel: a.oobChannel ?? "email", expires: now + Self.oobLifetime,
            boundTo: OpaqueToken.hash(login))
        try await store.keep(challenge, at: Self.oobPrefix + OpaqueToken.hash(oob), expires: challenge.expires, owner: a.userId)
        logger.notice("second-factor code for \(challenge.to) (\(challenge.channel)): \(code)")
        return oob
    }

    /// The user's pending out-of-band codes, newest last (`GET /api/authsim/mfa/code`).
    public func pendingOOBCodes(userId: String) async throws -> [OOBChallenge] {
        let list: [OOBChallenge] = try await owned(userId, prefix: Self.oobPrefix)
        return list.sorted { $0.expires < $1.expires }
    }

    /// Checks the code (`binding_code`) of the challenge `oobCode` names: it must be this user's,
    /// for a confirmed authenticator or the one this login is enrolling, and is good once. Counts
    /// against the same limit as TOTP codes. Returns the authenticator, now confirmed.
    /// `login`: the wait the code was sent for; `allows`: the factors the login's scripts accept
    /// (checked before anything is spent or cleared).
    public func verifyOOB(
        userId: String, oobCode: String, bindingCode: String, login: String, enrolling: String? = nil, allows: (String) -> Bool = { _ in true }
    ) async throws -> MFAAuthenticator? {
        let now = Timestamp.now()
        let key = Self.oobPrefix + OpaqueToken.hash(oobCode)
        guard let challenge: OOBChallenge = try await kept(key), challenge.userId == userId, challenge.boundTo == OpaqueToken.hash(login),
            let a = await authenticator(userId: userId, id: challenge.authenticatorId), allows(a.factor)
        else { return nil }
        // An enrolment is confirmed only for a user with no factor yet (of any kind).
        let enrolled = try await authenticators(userId: userId).contains(where: \.confirmed)
        guard a.confirmed || (a.id == enrolling && !enrolled) else { return nil }
        guard try await countAttempt(userId: userId, now: now) else { return nil }
        guard OpaqueToken.constantTimeEquals(challenge.code, bindingCode.filter { !$0.isWhitespace }) else { return nil }
        // Single use, across daemons: whoever takes it passes.
        guard try await store.takeEphemeral(key, now: now) != nil else { return nil }
        let confirmed = try await store.modifyEphemeral(Self.authenticatorPrefix + a.id, now: now) { text -> (value: (String, expires: Double)?, result: MFAAuthenticator?) in
            guard let text, var cur = MFAAuthenticator(keptText: text) else { return (nil, nil) }
            cur.confirmed = true
            cur.lastAuthAt = now
            return ((try cur.keptText(), expires: cur.keptUntil), cur)
        }
        guard let confirmed else { return nil }
        _ = try await store.takeEphemeral(Self.failuresPrefix + userId, now: now)
        try await markEnrolled(userId: userId)
        return confirmed
    }

    /// Auth0 shows an enrolled user's `multifactor: ["guardian"]`.
    func markEnrolled(userId: String) async throws {
        guard let user = try await store.user(id: userId), !user.multifactor.contains("guardian") else { return }
        _ = try await store.update(id: userId) { u in if !u.multifactor.contains("guardian") { u.multifactor.append("guardian") } }
    }

    static let rememberPrefix = "mfa_remember:"
    /// How long a browser is remembered after a second factor (`allowRememberBrowser`), as Auth0.
    public static let rememberDays: Double = 30

    static func rememberKey(browser: String, userId: String) -> String { rememberPrefix + OpaqueToken.hash(browser + "|" + userId) }

    /// `allowRememberBrowser`: this browser (its `authsim_did` cookie) passed a second factor for
    /// this user; later logins that allow it are not asked for 30 days.
    public func rememberBrowser(_ browser: String, userId: String) async throws {
        try await store.putEphemeral(Self.rememberKey(browser: browser, userId: userId), "1", expires: Timestamp.now() + Self.rememberDays * 86400, owner: userId)
    }

    public func isRemembered(_ browser: String, userId: String) async -> Bool {
        (try? await store.readEphemeral(Self.rememberKey(browser: browser, userId: userId), now: Timestamp.now())) != nil
    }

    /// Removes one authenticator (nil id: all of them, Auth0's MFA reset); returns how many went.
    @discardableResult
    public func removeAuthenticators(userId: String, id: String? = nil) async throws -> Int {
        var n = 0
        for a in try await authenticators(userId: userId) where id == nil || a.id == id {
            if try await store.takeEphemeral(Self.authenticatorPrefix + a.id, now: Timestamp.now()) != nil { n += 1 }
        }
        if try await authenticators(userId: userId).allSatisfy({ !$0.confirmed }) {
            // No factor left: no browser is remembered any more.
            for (key, _) in try await store.ephemeralValues(owner: userId, prefix: Self.rememberPrefix, now: Timestamp.now()) {
                _ = try await store.takeEphemeral(key, now: Timestamp.now())
            }
            if try await store.user(id: userId)?.multifactor.isEmpty == false {
                _ = try await store.update(id: userId) { $0.multifactor.removeAll { $0 == "guardian" } }
            }
        }
        return n
    }

    /// A deleted user's sessions end, its refresh tokens are revoked and its authenticators go.
    public func forgetUser(_ userId: String) async throws {
        try await endSessions(userId: userId, reason: "user deleted")
        try await revokeRefreshTokens(userId: userId)
        try await forgetMemberships(userId)
        for a in try await authenticators(userId: userId) { _ = try await store.takeEphemeral(Self.authenticatorPrefix + a.id, now: Timestamp.now()) }
    }
}
