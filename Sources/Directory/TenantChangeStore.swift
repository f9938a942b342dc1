/// Tenant files changed at run time (rules, actions and trigger bindings saved through the
/// Management API) when the store, not the tenant directory, keeps them: every daemon on the
/// store loads its directory with these files laid over it.
public protocol TenantChangeStore: Sendable {
    /// The files and their revision.
    func tenantChanges() async throws -> TenantChanges
    /// The revision alone (polled by every daemon to notice another one's change).
    func tenantChangesRevision() async throws -> Int64
    /// Writes `files` (path → content, nil: deleted) and advances the revision by one, only when
    /// the stored revision is still `expectedRevision`; nil (nothing written) when another change
    /// landed first.
    func saveTenantChanges(_ files: [String: String?], expectedRevision: Int64) async throws -> Int64?
}

/// The tenant files a store keeps over the tenant directory, with their revision (0: none yet).
public struct TenantChanges: Sendable, Equatable {
    public var revision: Int64
    /// Relative path (`rules/x.js`, `actions/x/code.js`, `triggers/triggers.json`) → content;
    /// nil hides the directory's file of that path.
    public var files: [String: String?]

    public init(revision: Int64, files: [String: String?]) {
        self.revision = revision
        self.files = files
    }
}
