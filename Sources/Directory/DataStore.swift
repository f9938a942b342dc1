/// Everything the daemon keeps, split by concern so each part of the engine names only what it
/// uses: users (`UserStore`), signing keys, refresh tokens, short-lived values (codes,
/// transactions, sessions, counters), durable small values, logs and traces, tenant changes,
/// and the store's health. `SQLiteUserStore` and `PostgresUserStore` implement all of it.
public typealias DataStore = UserStore & SigningKeyStore & RefreshTokenStore & EphemeralStore & DurableValueStore
    & ActivityStore & TenantChangeStore & StoreHealth

/// Whether the store can keep writes.
public protocol StoreHealth: Sendable {
    /// Why writes cannot be kept now (the store file removed, replaced or made read-only, the
    /// disk full), or nil. The daemon reports it at /healthz and answers 503 while it lasts.
    func storageProblem() -> StorageProblem?
    /// How many writes have failed for lack of room or a failing disk since the store opened,
    /// and the last such failure: a caller compares the count before and after its work.
    func failedWrites() -> (count: Int, last: StorageProblem?)
}

extension StoreHealth {
    /// Stores on a server (PostgreSQL) report their failures per call.
    public func storageProblem() -> StorageProblem? { nil }
    public func failedWrites() -> (count: Int, last: StorageProblem?) { (0, nil) }
}

/// Why a store cannot keep writes.
public struct StorageProblem: Sendable, Equatable, CustomStringConvertible {
    public var description: String
    /// True when it cannot pass without an administrator (the file removed, replaced or made
    /// read-only); false when the next write may succeed (a full or failing disk).
    public var lasting: Bool

    public init(_ description: String, lasting: Bool) {
        self.description = description
        self.lasting = lasting
    }
}
