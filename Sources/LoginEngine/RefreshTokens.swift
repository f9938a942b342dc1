import Directory
import Foundation
import JSONCore
import Tenant
import Tokens

/// A refresh token as Auth0 issues it: bound to a user, a client, an API and its scopes, maybe a
/// session; rotating or not; with an absolute and an idle expiry. Kept in the store's
/// short-lived values (owned by the user, so a user's tokens can be listed) under an id derived
/// from the token by a one-way hash; the token itself is never stored.
public struct StoredRefreshToken: Codable, Sendable, Equatable {
    public var id: String
    public var userId: String
    public var clientId: String
    public var audience: String?
    public var scope: String
    public var createdAt: Double
    /// The id of the first token of its rotation family (its own id when it started one).
    public var family: String
    public var sessionId: String?
    public var rotating: Bool
    public var expiresAt: Double?
    public var idleExpiresAt: Double?
    public var lastExchangedAt: Double?
    /// A rotating token's first exchange (it then has a successor).
    public var rotatedAt: Double?
    /// The token it succeeded in its family.
    public var parent: String?
    /// Its successor was exchanged too: from then on any use of it is a reuse.
    public var superseded = false
    public var revoked = false
    public var device: LoginSession.Device

    /// The id of a token (what Auth0's Management API and `event.refresh_token.id` show).
    public static func id(token: String) -> String { String(OpaqueToken.hash("refresh_token:" + token).prefix(32)) }

    /// When the store may forget it: expiring tokens at their absolute expiry (a rotated token
    /// stays until then, so a late reuse is still recognised); the others never.
    var keptUntil: Double { expiresAt ?? 32_503_680_000 }

    func expired(at now: Double) -> Bool {
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

/// What presenting a refresh token comes to.
public enum RefreshTokenExchange: Sendable {
    /// Usable: the record before this exchange.
    case valid(StoredRefreshToken)
    /// Unknown, revoked, expired, or another client's.
    case invalid
    /// A rotated token presented again after its reuse interval: the family is revoked.
    case reused(StoredRefreshToken)
}

extension LoginPipeline {
    static let refreshTokenPrefix = "refresh_token:"

    /// Issues a refresh token under the client's policy; `parent` continues a rotation family
    /// (same family, session and absolute expiry). Returns the token and its record.
    public func issueRefreshToken(
        userId: String, client: Client, audience: String?, scope: String, sessionId: String?, ip: String?, userAgent: String?,
        parent: StoredRefreshToken? = nil, changes: LifetimeChanges? = nil
    ) async throws -> (token: String, record: StoredRefreshToken) {
        let policy = client.refreshTokenPolicy
        let now = Timestamp.now()
        let token = "v1." + OpaqueToken.new()
        let id = StoredRefreshToken.id(token: token)
        var expiresAt = parent?.expiresAt ?? policy.tokenLifetime.map { now + $0 }
        var idleExpiresAt = policy.idleTokenLifetime.map { now + $0 }
        if let e = expiresAt, let i = idleExpiresAt, i > e { idleExpiresAt = e }
        changes?.shorten(expiresAt: &expiresAt, idleExpiresAt: &idleExpiresAt)
        let record = StoredRefreshToken(
            id: id, userId: userId, clientId: client.clientId, audience: audience, scope: scope, createdAt: now, family: parent?.family ?? id,
            sessionId: parent?.sessionId ?? sessionId, rotating: policy.rotating, expiresAt: expiresAt, idleExpiresAt: idleExpiresAt,
            device: LoginSession.Device(
                initialIP: parent?.device.initialIP ?? ip, initialUserAgent: parent?.device.initialUserAgent ?? userAgent, lastIP: ip, lastUserAgent: userAgent))
        try await saveRefreshToken(record)
        return (token, record)
    }

    func saveRefreshToken(_ r: StoredRefreshToken) async throws {
        try await store.putEphemeral(Self.refreshTokenPrefix + r.id, Self.encode(r), expires: r.keptUntil, owner: r.userId)
    }

    static func encode(_ r: StoredRefreshToken) -> String { String(decoding: (try? JSONEncoder().encode(r)) ?? Data("{}".utf8), as: UTF8.self) }

    /// A refresh token's record by id, revoked and expired ones included (until forgotten).
    public func refreshToken(id: String) async throws -> StoredRefreshToken? { try await kept(Self.refreshTokenPrefix + id) }

    /// A user's refresh tokens, oldest first.
    public func refreshTokens(userId: String) async throws -> [StoredRefreshToken] {
        try await owned(userId, prefix: Self.refreshTokenPrefix).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Revokes the user's tokens that `matching` selects; returns how many were live.
    @discardableResult
    public func revokeRefreshTokens(userId: String, matching: (StoredRefreshToken) -> Bool) async throws -> Int {
        var n = 0
        for r in try await refreshTokens(userId: userId) where !r.revoked && matching(r) {
            if try await changeRefreshToken(id: r.id, { $0.revoked = true }) != nil { n += 1 }
        }
        return n
    }

    /// Changes one record atomically (across daemons); nil when there is none.
    @discardableResult
    public func changeRefreshToken(id: String, _ change: @escaping @Sendable (inout StoredRefreshToken) -> Void) async throws -> StoredRefreshToken? {
        try await store.modifyEphemeral(Self.refreshTokenPrefix + id, now: Timestamp.now()) { text -> (value: (String, expires: Double)?, result: StoredRefreshToken?) in
            guard let text, var r = try? JSONDecoder().decode(StoredRefreshToken.self, from: Data(text.utf8)) else {
                return (text.map { ($0, expires: Timestamp.now() + 60) }, nil)
            }
            change(&r)
            return ((Self.encode(r), expires: r.keptUntil), r)
        }
    }

    /// Presents a refresh token for `client` under the client's policy, in one atomic step: a
    /// rotating token's first exchange marks it rotated; a second one within the reuse interval
    /// (`leeway`) is allowed once its successor has not been used, any later one is a reuse and
    /// revokes the whole family (the caller logs `ferrt`); a non-rotating token's idle expiry
    /// moves on.
    public func exchangeRefreshToken(_ token: String, client: Client, ip: String?, userAgent: String?) async throws -> RefreshTokenExchange {
        let id = StoredRefreshToken.id(token: token)
        let policy = client.refreshTokenPolicy
        let now = Timestamp.now()
        let outcome = try await store.modifyEphemeral(Self.refreshTokenPrefix + id, now: now) { text -> (value: (String, expires: Double)?, result: RefreshTokenExchange) in
            guard let text, var r = try? JSONDecoder().decode(StoredRefreshToken.self, from: Data(text.utf8)) else {
                return (text.map { ($0, expires: now + 60) }, .invalid)
            }
            let unchanged = (Self.encode(r), expires: r.keptUntil)
            guard !r.revoked, r.clientId == client.clientId, !r.expired(at: now) else { return (unchanged, .invalid) }
            let before = r
            if r.rotating {
                if let rotatedAt = r.rotatedAt, r.superseded || now - rotatedAt > policy.leeway {
                    r.revoked = true
                    return ((Self.encode(r), expires: r.keptUntil), .reused(before))
                }
                if r.rotatedAt == nil { r.rotatedAt = now }
            } else if let idle = policy.idleTokenLifetime {
                r.idleExpiresAt = min(r.expiresAt ?? .infinity, now + idle)
            }
            r.lastExchangedAt = now
            if let ip { r.device.lastIP = ip }
            if let userAgent { r.device.lastUserAgent = userAgent }
            return ((Self.encode(r), expires: r.keptUntil), .valid(before))
        }
        if case .reused(let r) = outcome {
            let n = try await revokeRefreshTokens(userId: r.userId) { $0.family == r.family }
            logger.warning("a rotated refresh token was reused: its family is revoked", metadata: ["family": .string(r.family), "revoked": .stringConvertible(n + 1)])
        }
        return outcome
    }

    /// Takes over a token issued before refresh-token policies: non-rotating, non-expiring.
    public func adoptRefreshToken(_ token: String, userId: String, clientId: String, audience: String?, scope: String, createdAt: Double) async throws {
        let id = StoredRefreshToken.id(token: token)
        try await saveRefreshToken(
            StoredRefreshToken(
                id: id, userId: userId, clientId: clientId, audience: audience, scope: scope, createdAt: createdAt, family: id, sessionId: nil, rotating: false,
                expiresAt: nil, idleExpiresAt: nil, device: LoginSession.Device()))
    }

    /// Every refresh token of a user (a password change, a blocked user).
    @discardableResult
    public func revokeRefreshTokens(userId: String) async throws -> Int {
        try await revokeRefreshTokens(userId: userId) { _ in true }
    }
}
