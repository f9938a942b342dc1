import Directory
import JSONCore
import NodeCompat
import Synchronization

/// Per-flow state reachable from host functions (the runtime hands it back with each call).
final class FlowEnvironment: OutboundEnvironment {
    let store: any UserStore
    /// The tenant's `allowed_outbound_hosts`, for the scripts' HTTP clients.
    let outboundPolicy: OutboundPolicy
    /// A test's answers to outbound calls (nil: real calls).
    let cannedResponses: [CannedResponse]?
    /// The flow's user when it is an inline profile: metadata writes to it stay in memory.
    private let inline: Mutex<UserProfile?>

    /// The tenant's "own database" tables for `authsim:legacy-db`.
    let legacyDatabase: LegacyDatabase?
    /// Where scripts' `bcrypt` hashes are computed: the pipeline's pool.
    let kdfPool: KDFPool
    /// How long a synchronous `bcrypt` call may wait for a hashing thread: the flow's time
    /// limit (the worker is blocked meanwhile, and the script cannot outlive it anyway).
    let hashWaitLimit: Duration

    /// The tenant's own APIs for `require('auth0')` (nil: not served in this run).
    let tenantAPI: (any TenantAPI)?
    /// The Management API's audience, put into a script's client-credentials grant.
    let managementAudience: String
    /// How many script-started API calls down this flow runs (`ScriptAPIDepth`).
    let apiDepth: Int

    init(
        store: any UserStore, inlineUser: UserProfile?, outboundPolicy: OutboundPolicy, cannedResponses: [CannedResponse]? = nil, legacyDatabase: LegacyDatabase? = nil,
        kdfPool: KDFPool = .shared, hashWaitLimit: Duration = .seconds(20), tenantAPI: (any TenantAPI)? = nil, managementAudience: String = ""
    ) {
        self.tenantAPI = tenantAPI
        self.managementAudience = managementAudience
        self.apiDepth = ScriptAPIDepth.value
        self.store = store
        self.legacyDatabase = legacyDatabase
        self.kdfPool = kdfPool
        self.hashWaitLimit = hashWaitLimit
        self.outboundPolicy = outboundPolicy
        self.cannedResponses = cannedResponses
        self.inline = Mutex(inlineUser)
    }

    var inlineUser: UserProfile? { inline.withLock { $0 } }

    /// How many metadata writes of this flow went to the store (when none did and no script
    /// called out, the user the flow started with is still the stored one).
    var storeWrites: Int { writes.load(ordering: .relaxed) }
    private let writes = Atomic<Int>(0)

    /// `auth0.users.updateAppMetadata/updateUserMetadata`: the Management API PATCH merge.
    func updateMetadata(kind: MetadataKind, userId: String, patch: JSONValue) async throws -> (persisted: Bool, user: UserProfile) {
        try await saveMetadata(userId: userId, app: kind == .app ? patch : nil, user: kind == .user ? patch : nil)
    }

    /// One first-level merge of either or both kinds: in memory for the flow's inline user, else
    /// in the store (the actions' queued writes use it once per flow).
    func saveMetadata(userId: String, app: JSONValue?, user: JSONValue?) async throws -> (persisted: Bool, user: UserProfile) {
        let local: Result<UserProfile, DirectoryError>? = inline.withLock { u in
            guard var profile = u, profile.userId == userId else { return nil }
            do throws(DirectoryError) {
                if let app { profile.appMetadata = try MetadataMerge.apply(app, to: profile.appMetadata, kind: .app) }
                if let user { profile.userMetadata = try MetadataMerge.apply(user, to: profile.userMetadata, kind: .user) }
            } catch {
                return .failure(error)
            }
            u = profile
            return .success(profile)
        }
        if let local { return (false, try local.get()) }
        writes.add(1, ordering: .relaxed)
        return (true, try await store.mergeMetadata(id: userId, app: app, user: user))
    }
}
