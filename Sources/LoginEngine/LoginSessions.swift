import Directory
import Foundation
import JSONCore
import Tenant
import NodeCompat
import Tokens

/// A login session: the server side of the browser's session cookie (Auth0's session). Kept in
/// the store's short-lived values, owned by its user (so a user's sessions can be listed), until
/// the earlier of its absolute and idle expiry; every daemon on the store sees it.
public struct LoginSession: KeptValue, Equatable {
    /// Derived from the cookie by a one-way hash: the id is shown to scripts and admins, the
    /// cookie never is.
    public var id: String
    public var userId: String
    public var connection: String
    public var createdAt: Double
    public var updatedAt: Double
    public var authenticatedAt: Double
    public var lastInteractedAt: Double
    public var expiresAt: Double
    public var idleExpiresAt: Double
    /// Client ids that took part, in the order they joined.
    public var clients: [String]
    public var methods: [Method]
    public var device: Device

    public struct Method: Codable, Sendable, Equatable {
        public var name: String
        public var timestamp: Double

        public init(name: String, timestamp: Double) {
            self.name = name
            self.timestamp = timestamp
        }
    }

    public struct Device: Codable, Sendable, Equatable {
        public var initialIP: String?
        public var initialUserAgent: String?
        public var lastIP: String?
        public var lastUserAgent: String?
    }

    /// The session id of a cookie value.
    public static func id(cookie: String) -> String { String(OpaqueToken.hash("session:" + cookie).prefix(32)) }

    /// A new session for a login that just authenticated, with the tenant's lifetimes.
    public init(cookie: String, userId: String, connection: String, method: String, now: Double, ip: String?, userAgent: String?, lifetimes: SessionLifetimes) {
        id = Self.id(cookie: cookie)
        self.userId = userId
        self.connection = connection
        createdAt = now
        updatedAt = now
        authenticatedAt = now
        lastInteractedAt = now
        expiresAt = now + lifetimes.absolute
        idleExpiresAt = min(expiresAt, now + lifetimes.idle)
        clients = []
        methods = [Method(name: method, timestamp: now)]
        device = Device(initialIP: ip, initialUserAgent: userAgent, lastIP: ip, lastUserAgent: userAgent)
    }

    /// When the store may forget it.
    var keptUntil: Double { min(expiresAt, idleExpiresAt) }

    /// The browser came back: the idle expiry moves on (never past the absolute one).
    public mutating func interacted(now: Double, ip: String?, userAgent: String?, lifetimes: SessionLifetimes) {
        updatedAt = now
        lastInteractedAt = now
        idleExpiresAt = min(expiresAt, now + lifetimes.idle)
        if let ip { device.lastIP = ip }
        if let userAgent { device.lastUserAgent = userAgent }
    }

    public mutating func join(_ clientId: String) {
        if !clients.contains(clientId) { clients.append(clientId) }
    }

    /// `event.session` and the Management API's session object (the same fields in Auth0).
    public var json: JSONValue {
        func date(_ t: Double) -> JSONValue { .string(Timestamp.format(t)) }
        func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return [
            "id": .string(id), "user_id": .string(userId),
            "created_at": date(createdAt), "updated_at": date(updatedAt), "authenticated_at": date(authenticatedAt),
            "last_interacted_at": date(lastInteractedAt), "expires_at": date(expiresAt), "idle_expires_at": date(idleExpiresAt),
            "device": [
                "initial_ip": text(device.initialIP), "initial_user_agent": text(device.initialUserAgent), "initial_asn": .null,
                "last_ip": text(device.lastIP), "last_user_agent": text(device.lastUserAgent), "last_asn": .null,
            ],
            "clients": .array(clients.map { ["client_id": .string($0)] }),
            "authentication": ["methods": .array(methods.map { ["name": .string($0.name), "timestamp": date($0.timestamp)] })],
            "cookie": ["mode": "persistent"],
        ]
    }
}

/// What the scripts asked of the login's session or refresh token (`api.session.*`,
/// `api.refreshToken.*`): applied by whoever owns it once the flow has run.
public struct LifetimeChanges: Sendable, Equatable {
    /// `revoke(reason)` was called (the login is denied with it).
    public var revoke: String?
    /// `api.session.revoke(reason, {preserveRefreshTokens: true})`.
    public var preserveRefreshTokens = false
    /// New absolute and idle expiries, seconds since 1970.
    public var expiresAt: Double?
    public var idleExpiresAt: Double?

    public init() {}

    init?(_ json: JSONValue?) {
        guard let json, case .object(let o) = json else { return nil }
        revoke = o["revoke"]?.stringValue
        preserveRefreshTokens = o["preserveRefreshTokens"]?.boolValue ?? false
        expiresAt = o["expiresAt"]?.doubleValue.map { $0 / 1000 }
        idleExpiresAt = o["idleExpiresAt"]?.doubleValue.map { $0 / 1000 }
        if revoke == nil, expiresAt == nil, idleExpiresAt == nil { return nil }
    }

    /// Applies new expiries that only shorten: a script cannot keep a session or a token past
    /// what the tenant's or the application's policy allows.
    public func shorten(expiresAt: inout Double?, idleExpiresAt: inout Double?) {
        if let e = self.expiresAt { expiresAt = min(expiresAt ?? e, e) }
        if let i = self.idleExpiresAt { idleExpiresAt = min(idleExpiresAt ?? i, i) }
        if let e = expiresAt, let i = idleExpiresAt, i > e { idleExpiresAt = e }
    }
}

extension LoginPipeline {
    static let sessionPrefix = "session:"

    /// A live session by id (nil: none, expired, or ended).
    public func session(id: String) async throws -> LoginSession? { try await store.kept(LoginSession.self, at: Self.sessionPrefix + id) }

    /// A user's live sessions, oldest first.
    public func sessions(userId: String) async throws -> [LoginSession] {
        try await store.kept(LoginSession.self, owner: userId, prefix: Self.sessionPrefix).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// A kept value of a user-owned kind (sessions, refresh tokens), decoded; nil when absent or unreadable.
    func kept<Value: KeptValue>(_ key: String) async throws -> Value? { try await store.kept(Value.self, at: key) }

    /// A user's kept values of one kind, decoded (unreadable ones skipped).
    func owned<Value: KeptValue>(_ userId: String, prefix: String) async throws -> [Value] {
        try await store.kept(Value.self, owner: userId, prefix: prefix)
    }

    public func saveSession(_ s: LoginSession) async throws {
        try await store.keep(s, at: Self.sessionPrefix + s.id, expires: s.keptUntil, owner: s.userId)
    }

    /// Ends a session: gone for every daemon, its refresh tokens revoked (unless preserved), and
    /// a back-channel logout token sent to each of its clients that asks for one. Returns the
    /// session that ended (nil: there was none).
    @discardableResult
    public func endSession(id: String, revokeRefreshTokens: Bool = true, reason: String) async throws -> LoginSession? {
        guard let session = try await store.kept(LoginSession.self, at: Self.sessionPrefix + id, take: true) else { return nil }
        if revokeRefreshTokens {
            let n = try await self.revokeRefreshTokens(userId: session.userId) { $0.sessionId == session.id }
            if n > 0 { logger.info("refresh tokens of an ended session revoked", metadata: ["session": .string(id), "count": .stringConvertible(n)]) }
        }
        logger.info("session ended", metadata: ["session": .string(id), "user": .string(session.userId), "reason": .string(reason)])
        backchannelLogout(session)
        return session
    }

    /// Applies what the scripts asked of a session (`api.session.*`): revoke ends it (its
    /// refresh tokens too unless preserved); new expiries only shorten it.
    public func applySessionChanges(_ changes: LifetimeChanges?, to session: LoginSession?) async {
        guard let changes, var session else { return }
        do {
            if let reason = changes.revoke {
                try await endSession(id: session.id, revokeRefreshTokens: !changes.preserveRefreshTokens, reason: "api.session.revoke: " + reason)
                return
            }
            var (e, i): (Double?, Double?) = (session.expiresAt, session.idleExpiresAt)
            changes.shorten(expiresAt: &e, idleExpiresAt: &i)
            (session.expiresAt, session.idleExpiresAt) = (e ?? session.expiresAt, i ?? session.idleExpiresAt)
            // Only a session still kept is written back (a concurrent logout stays a logout).
            guard try await self.session(id: session.id) != nil else { return }
            try await saveSession(session)
        } catch {
            logger.error("could not apply the scripts' session changes: \(error)")
        }
    }

    /// Ends every session of a user; returns how many ended.
    @discardableResult
    public func endSessions(userId: String, reason: String) async throws -> Int {
        var n = 0
        for s in try await sessions(userId: userId) where try await endSession(id: s.id, reason: reason) != nil { n += 1 }
        return n
    }

    /// OIDC Back-Channel Logout 1.0: a signed logout token POSTed to every back-channel logout
    /// URL of the session's clients, after the session has ended (never holding up the caller;
    /// a failed delivery is logged).
    func backchannelLogout(_ session: LoginSession) {
        let rev = current
        let targets = session.clients.compactMap { id in rev.tenant.clients.first { $0.clientId == id } }.filter { !$0.backchannelLogoutURLs.isEmpty }
        guard !targets.isEmpty else { return }
        let issuer = rev.issuer
        let logger = logger
        let outbound = OutboundPolicy(allowedHosts: rev.tenant.settings.allowedOutboundHosts)
        Task.detached {
            for client in targets {
                let claims: JSONValue = [
                    "iss": .string(issuer.settings.effectiveIssuer), "aud": .string(client.clientId), "iat": .number(Timestamp.now().rounded(.down)),
                    "exp": .number(Timestamp.now().rounded(.down) + 120), "jti": .string(randomHexID()), "sub": .string(session.userId), "sid": .string(session.id),
                    "events": ["http://schemas.openid.net/event/backchannel-logout": [:]],
                ]
                guard let token = try? JWT.signRS256(claims: claims, key: issuer.keys.current, type: "logout+jwt") else { continue }
                for url in client.backchannelLogoutURLs {
                    let body = "logout_token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
                    let status = await outbound.postForm(url, body: body)
                    if let status, (200..<300).contains(status) {
                        logger.info("back-channel logout delivered", metadata: ["client": .string(client.name), "url": .string(url)])
                    } else {
                        logger.warning("back-channel logout not delivered", metadata: ["client": .string(client.name), "url": .string(url), "status": .string(status.map(String.init) ?? "no answer")])
                    }
                }
            }
        }
    }
}
