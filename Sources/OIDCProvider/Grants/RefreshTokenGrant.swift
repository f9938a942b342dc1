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
        let checked: RefreshTokenExchange
        do {
            try await adoptLegacyRefreshToken(token, client: client)
            checked = try await pipeline.checkRefreshToken(token, client: client)
        } catch {
            throw OAuthError(500, "server_error", String(describing: error))
        }
        let record: StoredRefreshToken
        switch checked {
        case .invalid: throw invalid
        case .reused(let reused):
            await logReuse(reused, client: client, r)
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
                session: session, sessionID: record.sessionId, organization: record.organization)
        } catch {
            throw OAuthError(403, "invalid_grant", error.description)
        }
        await pipeline.applySessionChanges(result.sessionChanges, to: session)
        let changes = result.refreshTokenChanges
        if changes?.revoke != nil { _ = try? await pipeline.revokeRefreshToken(record) }
        // A denied exchange, or one that needs a second factor, leaves the token as it was.
        if let requirement = result.mfa, result.outcome == .allowed || result.outcome == .redirect {
            throw await mfaRequired(result, requirement: requirement, client: client, audience: record.audience, scope: scope)
        }
        guard result.outcome == .allowed else {
            return try await tokenResponse(result, client: client, scope: scope, audience: record.audience, refreshToken: .given(nil), request: r)
        }
        let next: Successor
        do { next = try await successor(of: record, client: client, changes: changes, request: r) } catch {
            throw OAuthError(500, "server_error", String(describing: error))
        }
        let carried: String?
        switch next {
        case .lost: throw invalid
        case .same: carried = nil
        case .new(let token): carried = token
        }
        return try await tokenResponse(result, client: client, scope: scope, audience: record.audience, refreshToken: .given(carried), request: r)
    }

    func logReuse(_ reused: StoredRefreshToken, client: Client, _ r: OAuthRequest) async {
        await pipeline.log(
            TenantLogEvent(
                type: "ferrt", description: "Unsuccessful Refresh Token exchange, reused refresh token detected", clientId: client.clientId,
                clientName: client.name, userId: reused.userId, ip: r.ip, userAgent: r.userAgent,
                details: ["refresh_token_id": .string(reused.id), "family_id": .string(reused.family), "session_id": reused.sessionId.map(JSONValue.string) ?? .null]))
    }

    /// After an allowed exchange: the token the response carries (`token` nil: the presented one
    /// stays in use), or nil when the exchange lost a race (another exchange or a revocation
    /// landed while the flow ran). A rotating token gets a successor once its family accepts the
    /// move; a change of the application's rotation setting moves the user's tokens of this
    /// client and API to the new kind, as Auth0 does.
    enum Successor {
        /// The presented token stays in use.
        case same
        case new(String)
        /// The exchange lost a race with another exchange or a revocation.
        case lost
    }

    func successor(of record: StoredRefreshToken, client: Client, changes: LifetimeChanges?, request r: OAuthRequest) async throws -> Successor {
        let rotating = client.refreshTokenPolicy.rotating
        let issue = { (parent: StoredRefreshToken?) in
            try await self.pipeline.issueRefreshToken(
                userId: record.userId, client: client, audience: record.audience, scope: record.scope, sessionId: record.sessionId, ip: r.ip,
                userAgent: r.userAgent, parent: parent, grantedAt: record.grantedAt, changes: changes, organization: record.organization)
        }
        switch (record.rotating, rotating) {
        case (true, true):
            let next = try await issue(record)
            guard try await pipeline.commitRotation(of: record, to: next.record, client: client) else {
                if try await pipeline.refreshToken(id: record.id)?.revoked == true { await logReuse(record, client: client, r) }
                return .lost
            }
            return .new(next.token)
        case (false, true):
            // Rotation was turned on: the token (if still live: one exchange wins), then the
            // client's other non-rotating tokens for this API go.
            guard try await pipeline.claimRefreshToken(record) else { return .lost }
            try await pipeline.revokeRefreshTokens(userId: record.userId) { !$0.rotating && $0.clientId == record.clientId && $0.audience == record.audience }
            return .new(try await issue(nil).token)
        case (true, false):
            // Rotation was turned off: the family goes (if still live), a non-rotating token takes its place.
            guard try await pipeline.claimRefreshToken(record) else { return .lost }
            return .new(try await issue(nil).token)
        case (false, false):
            return try await pipeline.commitExchange(of: record, client: client, changes: changes, ip: r.ip, userAgent: r.userAgent) ? .same : .lost
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
