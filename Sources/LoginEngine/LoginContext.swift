import Directory
import JSONCore
import Tenant
import Tokens

/// One login, resolved once when its flow starts and then passed as one value: the tenant
/// revision every step reads (its clients, connections, settings, compiled scripts and signing
/// keys: a hot reload during the flow changes nothing of it), who logs in with which client at
/// which connection, and the request with what is derived from it. The rules' `context`, the
/// Actions `event`, the `auth0` globals and the tokens are all built from it.
package struct LoginContext: Sendable {
    package let revision: LoginPipeline.Revision
    package let client: Client
    package let connection: Connection
    package let request: SimulationRequest
    /// The user as the flow starts (login stats updated once the flow counts the login).
    package var user: UserProfile
    /// Whether the user is in the store (else an in-memory copy, nothing is written).
    package let stored: Bool
    package var roles: [String] = []
    package let protocolName: String
    package let ip: String
    /// Wall clock (seconds) when the flow started; `started` is the monotonic one for durations.
    package let now: Double
    package let started: Double
    package let traceId: String
    package let sessionID: String
    package let scopes: [String]
    package let audience: String?
    package let resourceServer: ResourceServer?
    /// The organization the login is in (checked before the scripts run), and the roles the
    /// user has in it (added to `roles`).
    package var organization: Organization?
    /// `event.user.enrolledFactors` (read before the actions run).
    package var enrolledFactors: [JSONValue] = []

    package var tenant: Tenant { revision.tenant }

    /// `auth_time`: when the user last authenticated (an SSO session's login), else now.
    package var authenticatedAt: Double {
        guard let s = request.session, !s.userId.isEmpty else { return now }
        return s.authenticatedAt
    }

    /// When the login passed a second factor: in this flow, or earlier in its session.
    package var mfaPassedAt: Double? {
        request.mfaPassed?.at ?? request.session?.methods.last { $0.name == "mfa" }?.timestamp
    }

    /// `authentication.methods`: the session's (a silent login), or this login's own first
    /// factor, then `mfa` once a second factor was passed.
    package func authenticationMethods(first method: String) -> [(name: String, at: Double)] {
        var list: [(name: String, at: Double)] = request.session.flatMap { s in s.userId.isEmpty ? nil : s.methods.map { ($0.name, $0.timestamp) } } ?? [(method, now)]
        if let at = request.mfaPassed?.at, !list.contains(where: { $0.name == "mfa" }) { list.append(("mfa", at)) }
        return list
    }

    init(revision: LoginPipeline.Revision, client: Client, connection: Connection, request: SimulationRequest, user: UserProfile, stored: Bool, started: Double) {
        self.revision = revision
        self.client = client
        self.connection = connection
        self.request = request
        self.user = user
        self.stored = stored
        self.started = started
        protocolName = request.protocolName ?? "oidc-basic-profile"
        ip = request.ip ?? "127.0.0.1"
        now = Timestamp.now()
        traceId = randomHexID()
        sessionID = request.session?.id ?? request.sessionID ?? randomHexID()
        scopes = ScopeList.split(request.scope ?? "openid profile email")
        audience = request.audience ?? revision.tenant.settings.defaultAudience
        resourceServer = audience.flatMap { revision.tenant.resourceServer(identifier: $0) }
    }
}
