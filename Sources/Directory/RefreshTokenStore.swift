/// Refresh tokens (their hashes) and their revocation.
public protocol RefreshTokenStore: Sendable {
    func saveRefreshToken(_ token: RefreshTokenRecord) async throws
    /// The record for a token hash, revoked ones included.
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    /// Marks a token revoked; false when it does not exist.
    func revokeRefreshToken(hash: String) async throws -> Bool
}

/// A refresh token as stored: only its SHA-256, never the token itself.
public struct RefreshTokenRecord: Sendable, Equatable {
    public var hash: String
    public var userId: String
    public var clientId: String
    public var audience: String?
    public var scope: String
    public var createdAt: Double
    public var revoked: Bool

    public init(hash: String, userId: String, clientId: String, audience: String?, scope: String, createdAt: Double, revoked: Bool = false) {
        self.hash = hash
        self.userId = userId
        self.clientId = clientId
        self.audience = audience
        self.scope = scope
        self.createdAt = createdAt
        self.revoked = revoked
    }
}
