import JSONCore
import NodeCompat

/// What a simulated login is made of (the `--request` file of `authsim simulate`, and the body
/// of the simulation API).
public struct SimulationRequest: Sendable {
    public enum UserReference: Sendable, Equatable {
        /// A stored user, by email or `user_id`.
        case stored(String)
        /// A profile that is not stored: its metadata writes are reported, not saved.
        case inline(JSONValue)
    }

    public var user: UserReference
    public var client: String?
    public var connection: String?
    public var protocolName: String?
    public var audience: String?
    public var scope: String?
    public var nonce: String?
    public var prompt: String?
    public var ip: String?
    public var userAgent: String?
    public var hostname: String?
    public var query: [String: JSONValue]
    public var body: [String: JSONValue]?
    public var geoip: JSONValue?
    /// Extra `context` fields (riskAssessment, organization, authentication, locale, …).
    public var context: [String: JSONValue]
    /// Run only these rules / post-login actions (names or ids), instead of all enabled rules
    /// and bound actions; `[]` runs none.
    public var rules: [String]?
    public var actions: [String]?
    /// Fixes the scripts' clock (`Date`, `Date.now()`), in milliseconds since 1970.
    public var now: Double?
    /// Set by `/continue`: where the flow resumes after a redirect.
    public var resume: JSONValue?
    /// Answers to the scripts' outbound HTTP calls (a test's `http`); nil: real calls.
    public var cannedResponses: [CannedResponse]?
    /// Roles of an inline user (stored users' roles come from the store).
    public var roles: [String]?
    /// A raw upstream IdP profile: the login goes through `connection` (social or enterprise)
    /// as that IdP user, instead of `user`.
    public var idpProfile: JSONValue?
    /// The login session a browser flow runs in (`event.session`; its id is the tokens' `sid`).
    public var session: LoginSession?
    /// The tokens' `sid` when there is no live session (a refresh token's session that ended).
    public var sessionID: String?
    /// `event.refresh_token` of a refresh-token exchange.
    public var refreshToken: JSONValue?
    /// Set when the login resumes after the user passed a second factor.
    public var mfaPassed: MFAPassed?
    /// A simulation's answer to a second-factor challenge (`"mfa"`: `pass`, `fail`,
    /// `not_enrolled`), so a script's MFA branch can be tested without a phone.
    public var mfaOutcome: MFAOutcome?
    /// The organization the login is in (an `org_…` id, or a name): checked against the
    /// tenant's organizations and the user's membership before the scripts run
    /// (`context.organization`, `event.organization`, the tokens' `org_id`/`org_name`).
    public var organization: String?
    /// An invitation ticket to that organization (`/authorize`'s `invitation`), accepted at this login.
    public var invitation: String?
    /// A browser login of a client with `organization_require_behavior: post_login_prompt` that
    /// names no organization: once the credentials are checked the flow stops before the
    /// scripts with the user's organizations (`SimulationResult.organizationChoice`) to pick from.
    public var organizationPrompt = false
    /// The `/authorize` parameters of a browser flow (for `event.transaction`).
    public var authorizeParameters: [String: JSONValue]?
    /// Set by `simulate`: the login had no credentials, so its tokens carry the
    /// `urn:authsim:simulated` marker that the daemon's own APIs refuse. Not read from JSON.
    public internal(set) var simulated = false

    public init(user: UserReference) {
        self.user = user
        self.query = [:]
        self.context = [:]
    }

    public init(json: JSONValue) throws(PipelineError) {
        guard case .object(let o) = json else { throw .invalidRequest("a simulation request must be a JSON object") }
        let known: Set<String> = ["user", "client", "connection", "protocol", "audience", "scope", "nonce", "prompt", "request", "context", "rules", "actions", "now", "idpProfile", "mfa", "organization"]
        if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalidRequest("unknown field '\(unknown)' in the simulation request (known: \(known.sorted().joined(separator: ", ")))")
        }
        switch o["user"] {
        case .string(let s)?: self.init(user: .stored(s))
        case .object?: self.init(user: .inline(o["user"]!))
        case nil where o["idpProfile"] != nil: self.init(user: .stored(""))
        case nil: throw .invalidRequest("the simulation request needs 'user' (an email, a user_id or an inline profile) or 'idpProfile' with a social/enterprise 'connection'")
        case let other?: throw .invalidRequest("'user' must be a string or an object, not \(other.typeName)")
        }
        func string(_ k: String, in obj: [String: JSONValue], prefix: String = "") throws(PipelineError) -> String? {
            guard let v = obj[k] else { return nil }
            guard case .string(let s) = v else { throw .invalidRequest("'\(prefix)\(k)' must be a string") }
            return s
        }
        client = try string("client", in: o)
        connection = try string("connection", in: o)
        protocolName = try string("protocol", in: o)
        audience = try string("audience", in: o)
        scope = try string("scope", in: o)
        nonce = try string("nonce", in: o)
        prompt = try string("prompt", in: o)
        organization = try string("organization", in: o)
        if let r = o["request"] {
            guard case .object(let ro) = r else { throw .invalidRequest("'request' must be an object") }
            ip = try string("ip", in: ro, prefix: "request.")
            userAgent = try string("userAgent", in: ro, prefix: "request.")
            hostname = try string("hostname", in: ro, prefix: "request.")
            if let q = ro["query"] {
                guard case .object(let qo) = q else { throw .invalidRequest("'request.query' must be an object") }
                query = qo
            }
            if let b = ro["body"] {
                guard case .object(let bo) = b else { throw .invalidRequest("'request.body' must be an object") }
                body = bo
            }
            if let g = ro["geoip"] {
                guard case .object = g else { throw .invalidRequest("'request.geoip' must be an object") }
                geoip = g
            }
        }
        if let c = o["context"] {
            guard case .object(let co) = c else { throw .invalidRequest("'context' must be an object") }
            context = co
        }
        func names(_ k: String) throws(PipelineError) -> [String]? {
            guard let v = o[k] else { return nil }
            guard let list = v.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else { throw .invalidRequest("'\(k)' must be an array of names") }
            return list.compactMap(\.stringValue)
        }
        if let idp = o["idpProfile"] {
            guard case .object = idp else { throw .invalidRequest("'idpProfile' must be an object (the upstream IdP's raw profile)") }
            guard connection != nil else { throw .invalidRequest("'idpProfile' needs 'connection' (a social or enterprise connection)") }
            idpProfile = idp
        }
        rules = try names("rules")
        actions = try names("actions")
        if let m = o["mfa"] {
            guard let text = m.stringValue, let outcome = MFAOutcome(rawValue: text) else {
                throw .invalidRequest("'mfa' must be \"pass\", \"fail\" or \"not_enrolled\"")
            }
            mfaOutcome = outcome
        }
        switch o["now"] {
        case nil: break
        case .number(let n)?: now = n
        case .string(let text)?:
            guard let t = Timestamp.parse(text) else { throw .invalidRequest("'now' must be an ISO-8601 time or milliseconds since 1970") }
            now = (t * 1000).rounded()
        default: throw .invalidRequest("'now' must be an ISO-8601 time or milliseconds since 1970")
        }
    }
}

/// How a simulated user answers a second-factor challenge.
public enum MFAOutcome: String, Sendable {
    /// Enrolled, and passes: the flow goes on as after a real challenge (`amr: ["mfa"]`).
    case pass
    /// Enrolled, and fails: the login is denied.
    case fail
    /// No factor enrolled (`event.user.enrolledFactors` empty); a challenge is left pending.
    case notEnrolled = "not_enrolled"
}

public enum PipelineError: Error, CustomStringConvertible, Sendable {
    case invalidRequest(String)
    case userNotFound(String)
    case unknownClient(String, known: [String])
    case unknownConnection(String, known: [String])
    /// A script failed to compile: the file and line of the problem.
    case script(file: String, line: Int?, message: String)
    case store(String)

    public var description: String {
        switch self {
        case .invalidRequest(let m): return "Invalid simulation request: \(m)"
        case .userNotFound(let u): return "No user '\(u)' in the store (give an email or a user_id, or an inline profile)"
        case .unknownClient(let c, let known): return "Unknown client '\(c)'; the tenant has: \(known.joined(separator: ", "))"
        case .unknownConnection(let c, let known): return "Unknown connection '\(c)'; the tenant has: \(known.joined(separator: ", "))"
        case .script(let file, let line, let message): return "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
        case .store(let m): return "Store error: \(m)"
        }
    }
}
