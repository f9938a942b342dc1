import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The `refresh_token` grant, with the application's refresh-token policy: rotation (a new
/// token each time, the presented one kept for its reuse interval; a later reuse revokes the
/// family and logs `ferrt`), absolute and idle expiry, the post-login flow with
/// `event.refresh_token` and `api.refreshToken`, and the switch between rotating and
/// non-rotating tokens when the application's setting changes.
extension OAuthService {
    func refreshToken(_ r: OAuthRequest, client: Client) async throws(OAuthError) -> JSONValue {
        guard let token = r["refresh_token"] else { throw OAuthError(400, "invalid_request", "Missing required parameter: refresh_token") }
        let invalid = OAuthError(403, "invalid_grant", "Unknown or invalid refresh token.")
        let exchange: RefreshTokenExchange
        do {
            try await adoptLegacyRefreshToken(token, client: client)
            exchange = try await pipeline.exchangeRefreshToken(token, client: client, ip: r.ip, userAgent: r.userAgent)
        } catch {
            throw OAuthError(500, "server_error", String(describing: error))
        }
        let record: StoredRefreshToken
        switch exchange {
        case .invalid: throw invalid
        case .reused(let reused):
            await pipeline.log(
                TenantLogEvent(
                    type: "ferrt", description: "Unsuccessful Refresh Token exchange, reused refresh token detected", clientId: client.clientId,
                    clientName: client.name, userId: reused.userId, ip: r.ip, userAgent: r.userAgent,
                    details: ["refresh_token_id": .string(reused.id), "family_id": .string(reused.family), "session_id": reused.sessionId.map(JSONValue.string) ?? .null]))
            throw invalid
        case .valid(let valid): record = valid
        }
        // A narrower scope may be asked for, never a wider one.
        var scope = record.scope
        if let asked = r["scope"] {
            let granted = Set(record.scope.split(separator: " "))
            guard Set(asked.split(separator: " ")).isSubset(of: granted) else {
                throw OAuthError(403, "invalid_scope", "The requested scope exceeds the refresh token's scope")
            }
            scope = asked
        }
        let session: LoginSession? = if let id = record.sessionId { try? await pipeline.session(id: id) } else { nil }
        let result: SimulationResult
        do {
            result = try await pipeline.refresh(
                userId: record.userId, client: client, audience: record.audience, scope: scope, ip: r.ip, userAgent: r.userAgent, refreshToken: record.json,
                session: session)
        } catch {
            throw OAuthError(403, "invalid_grant", error.description)
        }
        await pipeline.applySessionChanges(result.sessionChanges, to: session)
        let changes = result.refreshTokenChanges
        if changes?.revoke != nil {
            _ = try? await pipeline.changeRefreshToken(id: record.id) { $0.revoked = true }
        }
        guard result.outcome == .allowed else {
            return try await tokenResponse(result, client: client, scope: scope, audience: record.audience, refreshToken: .given(nil), request: r)
        }
        let next: String?
        do { next = try await successor(of: record, client: client, changes: changes, request: r) } catch {
            throw OAuthError(500, "server_error", String(describing: error))
        }
        return try await tokenResponse(result, client: client, scope: scope, audience: record.audience, refreshToken: .given(next), request: r)
    }

    /// The refresh token the response carries after an allowed exchange (nil: the presented
    /// one stays in use). A rotating token gets a successor in its family, and its predecessor
    /// can no longer be reused at all; a change of the application's rotation setting moves the
    /// user's tokens of this client and API to the new kind, as Auth0 does.
    func successor(of record: StoredRefreshToken, client: Client, changes: LifetimeChanges?, request r: OAuthRequest) async throws -> String? {
        let rotating = client.refreshTokenPolicy.rotating
        let issue = { (parent: StoredRefreshToken?) in
            try await self.pipeline.issueRefreshToken(
                userId: record.userId, client: client, audience: record.audience, scope: record.scope, sessionId: record.sessionId, ip: r.ip,
                userAgent: r.userAgent, parent: parent, changes: changes)
        }
        switch (record.rotating, rotating) {
        case (true, true):
            let next = try await issue(record)
            try await pipeline.changeRefreshToken(id: next.record.id) { $0.parent = record.id }
            if let parent = record.parent { try await pipeline.changeRefreshToken(id: parent) { $0.superseded = true } }
            return next.token
        case (false, true):
            // Rotation was turned on: the client's non-rotating tokens for this API go.
            try await pipeline.revokeRefreshTokens(userId: record.userId) { !$0.rotating && $0.clientId == record.clientId && $0.audience == record.audience }
            return try await issue(nil).token
        case (true, false):
            // Rotation was turned off: the family goes, a non-rotating token takes its place.
            try await pipeline.revokeRefreshTokens(userId: record.userId) { $0.family == record.family }
            return try await issue(nil).token
        case (false, false):
            if let changes {
                try await pipeline.changeRefreshToken(id: record.id) { t in
                    var (e, i) = (t.expiresAt, t.idleExpiresAt)
                    changes.shorten(expiresAt: &e, idleExpiresAt: &i)
                    (t.expiresAt, t.idleExpiresAt) = (e, i)
                }
            }
            return nil
        }
    }

    /// A token from before refresh-token policies (the `refresh_tokens` table): taken over once,
    /// as a non-rotating, non-expiring token of the same user, client, API and scope.
    func adoptLegacyRefreshToken(_ token: String, client: Client) async throws {
        let hash = OpaqueToken.hash(token)
        guard !token.hasPrefix("v1."), try await pipeline.refreshToken(id: StoredRefreshToken.id(token: token)) == nil,
            let old = try await pipeline.store.refreshToken(hash: hash), !old.revoked, old.clientId == client.clientId,
            try await pipeline.store.revokeRefreshToken(hash: hash)
        else { return }
        try await pipeline.adoptRefreshToken(token, userId: old.userId, clientId: old.clientId, audience: old.audience, scope: old.scope, createdAt: old.createdAt)
    }
}
