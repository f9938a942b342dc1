/// Small named values kept for good (the first signing key's claim, seeding marks, job results).
public protocol DurableValueStore: Sendable {
    func metaValue(_ key: String) async throws -> String?
    func setMetaValue(_ key: String, _ value: String) async throws
    /// Sets `key` only when it has no value yet; true for the one caller that set it.
    func claimMetaValue(_ key: String, _ value: String) async throws -> Bool
}
