import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant

/// `/api/v2/sessions/{id}`, `/api/v2/refresh-tokens/{id}` and a user's `sessions` and
/// `refresh-tokens`: the login sessions and refresh tokens the OIDC provider keeps. Deleting a
/// session leaves its refresh tokens; revoking it (`POST …/revoke`, and deleting all of a
/// user's sessions) revokes them too, as in Auth0.
extension ManagementService {
    /// Auth0's session ids are at most 50 characters; so are refresh-token ids.
    static func checkedID(_ id: String, _ what: String) throws(ManagementError) -> String {
        guard !id.isEmpty, id.utf8.count <= 50, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw ManagementError(400, "Path validation error: '\(what)' must be a string of at most 50 visible characters", "invalid_uri")
        }
        return id
    }

    public func session(id: String) async throws(ManagementError) -> JSONValue {
        let id = try Self.checkedID(id, "id")
        guard let s = try await engine({ try await pipeline.session(id: id) }) else { throw ManagementError(404, "The session does not exist.", "inexistent_session") }
        return s.json
    }

    /// `DELETE /sessions/{id}` (its refresh tokens stay) and `POST /sessions/{id}/revoke` (they go).
    public func endSession(id: String, revokeRefreshTokens: Bool) async throws(ManagementError) {
        let id = try Self.checkedID(id, "id")
        let ended = try await engine { try await pipeline.endSession(id: id, revokeRefreshTokens: revokeRefreshTokens, reason: "Management API") }
        guard ended != nil else { throw ManagementError(404, "The session does not exist.", "inexistent_session") }
    }

    public func userSessions(_ userId: String) async throws(ManagementError) -> JSONValue {
        _ = try await existing(userId)
        let list = try await engine { try await pipeline.sessions(userId: userId) }
        return ["sessions": .array(list.map(\.json))]
    }

    /// `DELETE /users/{id}/sessions`: every session ends and its refresh tokens are revoked.
    public func endUserSessions(_ userId: String) async throws(ManagementError) {
        _ = try await existing(userId)
        _ = try await engine { try await pipeline.endSessions(userId: userId, reason: "Management API") }
    }

    public func refreshToken(id: String) async throws(ManagementError) -> JSONValue {
        let id = try Self.checkedID(id, "id")
        guard let t = try await engine({ try await pipeline.refreshToken(id: id) }), try await engine({ try await pipeline.isLive(t) }) else {
            throw ManagementError(404, "The refresh token does not exist.", "inexistent_refresh_token")
        }
        return t.json
    }

    public func revokeRefreshToken(id: String) async throws(ManagementError) {
        let id = try Self.checkedID(id, "id")
        guard let t = try await engine({ try await pipeline.refreshToken(id: id) }), !t.revoked else {
            throw ManagementError(404, "The refresh token does not exist.", "inexistent_refresh_token")
        }
        _ = try await engine { try await pipeline.revokeRefreshToken(t) }
    }

    /// A user's live refresh tokens (not revoked, not expired, of a rotating family only the latest).
    public func userRefreshTokens(_ userId: String) async throws(ManagementError) -> JSONValue {
        _ = try await existing(userId)
        let list = try await engine { try await pipeline.liveRefreshTokens(userId: userId) }
        return ["tokens": .array(list.map(\.json))]
    }

    public func revokeUserRefreshTokens(_ userId: String) async throws(ManagementError) {
        _ = try await existing(userId)
        _ = try await engine { try await pipeline.revokeRefreshTokens(userId: userId) }
    }

    /// A store call whose failure is the API's 500.
    func engine<T>(_ body: () async throws -> T) async throws(ManagementError) -> T {
        do { return try await body() } catch { throw ManagementError(500, String(describing: error), "internal_error") }
    }
}
