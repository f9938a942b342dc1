import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// A refresh token as Auth0 issues it: bound to a user, a client, an API and its scopes, maybe a
/// session; rotating or not; with an absolute and an idle expiry. Kept in the store's
/// short-lived values (owned by the user, so a user's tokens can be listed) under an id derived
/// from the token by a one-way hash; the token itself is never stored. A rotating token's
/// validity is its family's: only the family's latest token, or the one before it within the
/// reuse interval, may be exchanged (`RefreshTokenFamily`).
public struct StoredRefreshToken: KeptValue, Equatable {
    public var id: String
    public var userId: String
    public var clientId: String
    public var audience: String?
    public var scope: String
    public var createdAt: Double
    /// When the grant it descends from was made (rotations and the switch of kind keep it): a
    /// password change revokes every token granted before it, also one issued while it ran.
    public var grantedAt: Double
    /// The id of the first token of its rotation family (its own id when it started one).
    public var family: String
    public var sessionId: String?
    public var rotating: Bool
    public var expiresAt: Double?
    public var idleExpiresAt: Double?
    public var lastExchangedAt: Double?
    public var revoked = false
    public var device: LoginSession.Device
    /// The organization of the login it was granted in (`org_id`): its exchanges stay in it.
    public var organization: String?

    init(
        id: String, userId: String, clientId: String, audience: String?, scope: String, createdAt: Double, grantedAt: Double, family: String,
        sessionId: String?, rotating: Bool, expiresAt: Double?, idleExpiresAt: Double?, device: LoginSession.Device
    ) {
        (self.id, self.userId, self.clientId, self.audience, self.scope) = (id, userId, clientId, audience, scope)
        (self.createdAt, self.grantedAt, self.family, self.sessionId, self.rotating) = (createdAt, grantedAt, family, sessionId, rotating)
        (self.expiresAt, self.idleExpiresAt, self.device) = (expiresAt, idleExpiresAt, device)
    }

    /// The id of a token (what Auth0's Management API and `event.refresh_token.id` show).
    public static func id(token: String) -> String { String(OpaqueToken.hash("refresh_token:" + token).prefix(32)) }

    /// When the store may forget it: at the earlier expiry (after that it is refused anyway).
    var keptUntil: Double { min(expiresAt ?? LoginPipeline.forever, idleExpiresAt ?? LoginPipeline.forever) }

    public func expired(at now: Double) -> Bool {
        if let e = expiresAt, now >= e { return true }
        if let i = idleExpiresAt, now >= i { return true }
        return false
    }

    /// `event.refresh_token` and the Management API's refresh-token object.
    public var json: JSONValue {
        func date(_ t: Double?) -> JSONValue { t.map { .string(Timestamp.format($0)) } ?? .null }
        func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return [
            "id": .string(id), "user_id": .string(userId), "client_id": .string(clientId),
            "created_at": date(createdAt), "expires_at": date(expiresAt), "idle_expires_at": date(idleExpiresAt), "last_exchanged_at": date(lastExchangedAt),
            "session_id": text(sessionId), "rotating": .bool(rotating),
            "resource_servers": [["audience": text(audience), "scopes": .string(scope)]],
            "device": [
                "initial_ip": text(device.initialIP), "initial_user_agent": text(device.initialUserAgent), "initial_asn": .null,
                "last_ip": text(device.lastIP), "last_user_agent": text(device.lastUserAgent), "last_asn": .null,
            ],
        ]
    }
}

/// A rotation family: which of its tokens may still be exchanged. Changed only in one atomic
/// step of the store, so two exchanges of one token, or an exchange and a revocation, cannot
/// both win.
struct RefreshTokenFamily: KeptValue {
    var id: String
    var latest: String
    /// Successors issued for the previous token within the reuse interval (concurrent or retried
    /// exchanges): each may be exchanged like the latest, until one of them, or the latest, is.
    var siblings: [String]? = nil
    var previous: String?
    var previousRotatedAt: Double?
    var revoked = false
    var sessionId: String?
    var expiresAt: Double?

    var keptUntil: Double { expiresAt ?? LoginPipeline.forever }

    func isCurrent(_ token: String) -> Bool { token == latest || (siblings ?? []).contains(token) }

    /// Whether `token` may be exchanged now: the latest (or a sibling), or the previous one within `leeway`.
    func accepts(_ token: String, now: Double, leeway: Double) -> Bool {
        guard !revoked else { return false }
        if isCurrent(token) { return true }
        if token == previous, let at = previousRotatedAt, now - at <= leeway { return true }
        return false
    }
}

/// What presenting a refresh token comes to.
public enum RefreshTokenExchange: Sendable {
    /// Usable: its record.
    case valid(StoredRefreshToken)
    /// Unknown, revoked, expired, or another client's.
    case invalid
    /// A rotated token presented again outside its reuse interval: the family is revoked.
    case reused(StoredRefreshToken)
}

extension LoginPipeline {
    static let refreshTokenPrefix = "refresh_token:"
    static let familyPrefix = "refresh_family:"
    static let revokedBeforePrefix = "refresh_revoked_before:"

    /// Issues a refresh token under the client's policy; `parent` continues a rotation family
    /// (same family, grant, session and absolute expiry; the family moves on only when
    /// `commitRotation` says so). Returns the token and its record.
    public func issueRefreshToken(
        userId: String, client: Client, audience: String?, scope: String, sessionId: String?, ip: String?, userAgent: String?,
        parent: StoredRefreshToken? = nil, grantedAt: Double? = nil, changes: LifetimeChanges? = nil, organization: String? = nil
    ) async throws -> (token: String, record: StoredRefreshToken) {
        let policy = client.refreshTokenPolicy
        let now = Timestamp.now()
        let token = "v1." + OpaqueToken.new()
        let id = StoredRefreshToken.id(token: token)
        var expiresAt = parent?.expiresAt ?? policy.tokenLifetime.map { now + $0 }
        var idleExpiresAt = policy.idleTokenLifetime.map { now + $0 }
        if let e = expiresAt, let i = idleExpiresAt, i > e { idleExpiresAt = e }
        changes?.shorten(expiresAt: &expiresAt, idleExpiresAt: &idleExpiresAt)
        var record = StoredRefreshToken(
            id: id, userId: userId, clientId: client.clientId, audience: audience, scope: scope, createdAt: now,
            grantedAt: parent?.grantedAt ?? grantedAt ?? now, family: parent?.family ?? id, sessionId: parent?.sessionId ?? sessionId,
            rotating: policy.rotating, expiresAt: expiresAt, idleExpiresAt: idleExpiresAt,
            device: LoginSession.Device(
                initialIP: parent?.device.initialIP ?? ip, initialUserAgent: parent?.device.initialUserAgent ?? userAgent, lastIP: ip, lastUserAgent: userAgent))
        record.organization = parent?.organization ?? organization
        try await saveRefreshToken(record)
        if policy.rotating, parent == nil {
            let family = RefreshTokenFamily(id: id, latest: id, sessionId: record.sessionId, expiresAt: expiresAt)
            try await store.keep(family, at: Self.familyPrefix + id, expires: family.keptUntil, owner: userId)
        }
        return (token, record)
    }

    func saveRefreshToken(_ r: StoredRefreshToken) async throws {
        try await store.keep(r, at: Self.refreshTokenPrefix + r.id, expires: r.keptUntil, owner: r.userId)
    }

    /// A refresh token's record by id, revoked ones included (until its expiry).
    public func refreshToken(id: String) async throws -> StoredRefreshToken? { try await kept(Self.refreshTokenPrefix + id) }

    /// A user's refresh tokens, oldest first.
    public func refreshTokens(userId: String) async throws -> [StoredRefreshToken] {
        try await owned(userId, prefix: Self.refreshTokenPrefix).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Whether a token can still be exchanged: usable, and of a rotating family the latest.
    public func isLive(_ r: StoredRefreshToken) async throws -> Bool {
        let now = Timestamp.now()
        guard !r.revoked, !r.expired(at: now), r.grantedAt >= (try await revokedBefore(userId: r.userId)) else { return false }
        guard r.rotating else { return true }
        guard let family: RefreshTokenFamily = try await kept(Self.familyPrefix + r.family) else { return false }
        return !family.revoked && family.isCurrent(r.id)
    }

    /// A user's live refresh tokens (one per rotating family), oldest first.
    public func liveRefreshTokens(userId: String) async throws -> [StoredRefreshToken] {
        var out: [StoredRefreshToken] = []
        for r in try await refreshTokens(userId: userId) where try await isLive(r) { out.append(r) }
        return out
    }

    /// Whether a token may be used now, apart from its family: not revoked, not expired, this
    /// client's, granted after the user's last password change.
    func usable(_ r: StoredRefreshToken, client: Client, now: Double) async throws -> Bool {
        guard !r.revoked, r.clientId == client.clientId, !r.expired(at: now) else { return false }
        return r.grantedAt >= (try await revokedBefore(userId: r.userId))
    }

    /// The user's last password change (or revocation of all tokens): tokens granted before are dead.
    func revokedBefore(userId: String) async throws -> Double {
        guard let text = try await store.readEphemeral(Self.revokedBeforePrefix + userId, now: Timestamp.now()) else { return 0 }
        return Double(text) ?? 0
    }

    /// Checks a presented token without using it up (the flow runs next; a denied flow leaves
    /// the token as it was). A rotating token outside its family's window is a reuse: the family
    /// is revoked at once and the caller logs `ferrt`.
    public func checkRefreshToken(_ token: String, client: Client) async throws -> RefreshTokenExchange {
        let now = Timestamp.now()
        guard let record = try await refreshToken(id: StoredRefreshToken.id(token: token)), try await usable(record, client: client, now: now) else { return .invalid }
        guard record.rotating else { return .valid(record) }
        guard let family: RefreshTokenFamily = try await kept(Self.familyPrefix + record.family), !family.revoked else { return .invalid }
        if family.accepts(record.id, now: now, leeway: client.refreshTokenPolicy.leeway) { return .valid(record) }
        try await revokeFamily(record.family, userId: record.userId)
        logger.warning("a rotated refresh token was reused: its family is revoked", metadata: ["family": .string(record.family)])
        return .reused(record)
    }

    /// Moves a family on to `next` after an allowed exchange of `record`, in one atomic step that
    /// checks again that `record` may still be exchanged (another exchange or a revocation may
    /// have landed while the flow ran). False: it may not (the family is revoked when the
    /// presentation turned out to be a reuse), and `next` is revoked.
    public func commitRotation(of record: StoredRefreshToken, to next: StoredRefreshToken, client: Client) async throws -> Bool {
        let now = Timestamp.now()
        let leeway = client.refreshTokenPolicy.leeway
        let moved = try await store.modifyEphemeral(Self.familyPrefix + record.family, now: now, owner: record.userId) { text -> (value: (String, expires: Double)?, result: Bool) in
            guard let text, var family = RefreshTokenFamily(keptText: text) else { return (nil, false) }
            let unchanged = (text, expires: family.keptUntil)
            if family.revoked { return (unchanged, false) }
            if family.isCurrent(record.id) {
                (family.previous, family.previousRotatedAt, family.latest, family.siblings) = (record.id, now, next.id, nil)
            } else if family.accepts(record.id, now: now, leeway: leeway) {
                // The previous token again, within the interval: its new successor joins the one
                // it had; both may be exchanged until one of them is.
                family.siblings = (family.siblings ?? []) + [next.id]
            } else {
                family.revoked = true
            }
            guard let out = try? family.keptText() else { return (unchanged, false) }
            return ((out, expires: family.keptUntil), !family.revoked)
        }
        if !moved { try await changeRefreshToken(id: next.id) { $0.revoked = true } }
        return moved
    }

    /// After an allowed exchange of a non-rotating token: its idle expiry moves on, the scripts'
    /// new expiries apply (only shorter), the device's last IP and agent are kept. False (nothing
    /// changed) when it was revoked or expired while the flow ran.
    public func commitExchange(of record: StoredRefreshToken, client: Client, changes: LifetimeChanges?, ip: String?, userAgent: String?) async throws -> Bool {
        let idle = client.refreshTokenPolicy.idleTokenLifetime
        let now = Timestamp.now()
        guard record.grantedAt >= (try await revokedBefore(userId: record.userId)) else { return false }
        let after = try await changeRefreshToken(id: record.id) { r in
            guard !r.revoked, !r.expired(at: now) else { return }
            if let idle { r.idleExpiresAt = min(r.expiresAt ?? .infinity, now + idle) }
            var (e, i) = (r.expiresAt, r.idleExpiresAt)
            changes?.shorten(expiresAt: &e, idleExpiresAt: &i)
            (r.expiresAt, r.idleExpiresAt) = (e, i)
            r.lastExchangedAt = now
            if let ip { r.device.lastIP = ip }
            if let userAgent { r.device.lastUserAgent = userAgent }
        }
        return after.map { !$0.revoked && $0.lastExchangedAt == now } ?? false
    }

    /// Revokes a token in one atomic step; true only for the one caller that found it live (a
    /// switch of rotation kind issues a replacement only then).
    public func claimRefreshToken(_ r: StoredRefreshToken) async throws -> Bool {
        let now = Timestamp.now()
        guard r.grantedAt >= (try await revokedBefore(userId: r.userId)) else { return false }
        if r.rotating {
            let live = try await markFamilyRevoked(r.family, userId: r.userId)
            try await revokeRefreshTokens(userId: r.userId) { $0.family == r.family }
            return live
        }
        let after = try await changeRefreshToken(id: r.id) { t in
            if !t.revoked, !t.expired(at: now) { t.lastExchangedAt = now }
            t.revoked = true
        }
        return after?.lastExchangedAt == now
    }

    /// Changes one record atomically (across daemons); nil when there is none. An unreadable
    /// value is left as it is.
    @discardableResult
    public func changeRefreshToken(id: String, _ change: @escaping @Sendable (inout StoredRefreshToken) -> Void) async throws -> StoredRefreshToken? {
        try await store.modifyEphemeral(Self.refreshTokenPrefix + id, now: Timestamp.now()) { text -> (value: (String, expires: Double)?, result: StoredRefreshToken?) in
            guard let text else { return (nil, nil) }
            guard var r = StoredRefreshToken(keptText: text), let out = try? { change(&r); return r }().keptText() else {
                return ((text, expires: Self.forever), nil)
            }
            return ((out, expires: r.keptUntil), r)
        }
    }

    /// Marks a family revoked in one atomic step; true for the one caller that found it live.
    @discardableResult
    func markFamilyRevoked(_ id: String, userId: String) async throws -> Bool {
        try await store.modifyEphemeral(Self.familyPrefix + id, now: Timestamp.now(), owner: userId) { text -> (value: (String, expires: Double)?, result: Bool) in
            guard let text, var family = RefreshTokenFamily(keptText: text) else { return (text.map { ($0, Self.forever) }, false) }
            let wasLive = !family.revoked
            family.revoked = true
            guard let out = try? family.keptText() else { return ((text, expires: family.keptUntil), false) }
            return ((out, expires: family.keptUntil), wasLive)
        }
    }

    /// A family and every token of it.
    func revokeFamily(_ id: String, userId: String) async throws {
        try await markFamilyRevoked(id, userId: userId)
        try await revokeRefreshTokens(userId: userId) { $0.family == id }
    }

    /// Revokes one token; a rotating one takes its family with it (its predecessor could
    /// otherwise still be exchanged within the reuse interval).
    @discardableResult
    public func revokeRefreshToken(_ r: StoredRefreshToken) async throws -> Bool {
        if r.rotating { try await revokeFamily(r.family, userId: r.userId) }
        return try await changeRefreshToken(id: r.id) { $0.revoked = true } != nil
    }

    /// Revokes the user's tokens that `matching` selects, rotating ones with their families;
    /// returns how many were live.
    @discardableResult
    public func revokeRefreshTokens(userId: String, matching: (StoredRefreshToken) -> Bool) async throws -> Int {
        var n = 0
        var families: Set<String> = []
        for r in try await refreshTokens(userId: userId) where !r.revoked && matching(r) {
            if try await changeRefreshToken(id: r.id, { $0.revoked = true }) != nil { n += 1 }
            if r.rotating { families.insert(r.family) }
        }
        for f in families { try await markFamilyRevoked(f, userId: userId) }
        return n
    }

    /// Every refresh token of a user (a password change, the Management API): those granted
    /// before now are dead, also one an exchange running at this moment is about to issue.
    @discardableResult
    public func revokeRefreshTokens(userId: String) async throws -> Int {
        try await store.putEphemeral(Self.revokedBeforePrefix + userId, JSONValue.format(number: Timestamp.now()), expires: Self.forever, owner: userId)
        return try await revokeRefreshTokens(userId: userId) { _ in true }
    }

    /// Takes over a token issued before refresh-token policies (non-rotating, non-expiring),
    /// unless the user's password changed since it was issued.
    public func adoptRefreshToken(_ token: String, userId: String, clientId: String, audience: String?, scope: String, createdAt: Double) async throws {
        guard createdAt >= (try await revokedBefore(userId: userId)) else { return }
        let id = StoredRefreshToken.id(token: token)
        try await saveRefreshToken(
            StoredRefreshToken(
                id: id, userId: userId, clientId: clientId, audience: audience, scope: scope, createdAt: createdAt, grantedAt: createdAt, family: id,
                sessionId: nil, rotating: false, expiresAt: nil, idleExpiresAt: nil, device: LoginSession.Device()))
    }
}
