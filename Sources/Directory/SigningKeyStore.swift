/// A persisted RS256 signing key.
public struct StoredSigningKey: Sendable, Equatable {
    public var kid: String
    public var privateKeyPEM: String
    public var createdAt: Double
    /// `current`, `previous` or `revoked`.
    public var status: String

    public init(kid: String, privateKeyPEM: String, createdAt: Double, status: String) {
        self.kid = kid
        self.privateKeyPEM = privateKeyPEM
        self.createdAt = createdAt
        self.status = status
    }
}

/// The tenant's RS256 signing keys (current, previous, revoked).
public protocol SigningKeyStore: Sendable {
    func signingKeys() async throws -> [StoredSigningKey]
    func saveSigningKeys(_ keys: [StoredSigningKey]) async throws
}
