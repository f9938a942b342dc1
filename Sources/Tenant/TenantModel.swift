import Foundation
import JSONCore

/// A rule as deployed (deploy-cli `rules/<name>.js` + optional `rules/<name>.json`).
public struct Rule: Sendable, Equatable {
    public enum Stage: String, Sendable, CaseIterable {
        case loginSuccess = "login_success"
        case loginFailure = "login_failure"
        case preAuthorize = "pre_authorize"
    }
    public var name: String
    /// Path of the script relative to the tenant directory, used in error locations.
    public var file: String
    public var source: String
    public var order: Int?
    public var enabled: Bool
    public var stage: Stage

    public init(name: String, file: String, source: String, order: Int? = nil, enabled: Bool = true, stage: Stage = .loginSuccess) {
        self.name = name
        self.file = file
        self.source = source
        self.order = order
        self.enabled = enabled
        self.stage = stage
    }

    /// Letters, digits, spaces and hyphens; not starting or ending with a space or hyphen.
    /// Longest rule or action name accepted (its files are named after it, and a file name has
    /// at most 255 bytes).
    public static let maxNameLength = 128

    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, let last = name.last else { return false }
        if first == " " || first == "-" || last == " " || last == "-" { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == " " || $0 == "-" }
    }
}

/// An Action as deployed (deploy-cli `actions/<name>/code.js` + `actions/<name>.json`).
public struct Action: Sendable, Equatable {
    public var name: String
    /// A stable id derived from the name (`act_…`).
    public var id: String { stableID(prefix: "act_", name, length: 20) }
    /// Path of the code relative to the tenant directory, used in error locations.
    public var file: String
    public var source: String
    public var runtime: String
    public var dependencies: [(name: String, version: String)]
    /// The action's own secrets (`event.secrets`), never shared with other actions.
    public var secrets: [String: String]
    /// Trigger ids this action supports (`post-login`, `credentials-exchange`, …).
    public var supportedTriggers: [String]
    /// The version each supported trigger was declared with (`v3` for post-login, …), as read.
    public var triggerVersions: [String: String] = [:]
    public var deployed: Bool
    /// Code saved through the Management API but not deployed yet (`actions/<name>/code.draft.js`).
    public var draft: String?
    /// Deployments made through the Management API.
    public var version: Int = 0
    /// The JSON file the action is defined in (`actions/<name>.json`; its code may live under
    /// another name).
    public var definitionFile: String = ""

    public init(name: String, file: String, source: String, runtime: String = "node18", dependencies: [(name: String, version: String)] = [],
                secrets: [String: String] = [:], supportedTriggers: [String] = ["post-login"], deployed: Bool = true) {
        self.name = name
        self.file = file
        self.source = source
        self.runtime = runtime
        self.dependencies = dependencies
        self.secrets = secrets
        self.supportedTriggers = supportedTriggers
        self.deployed = deployed
        self.draft = nil
        self.definitionFile = "actions/\(stem).json"
    }

    /// Where saved, undeployed code is kept: beside the code, `.draft.js` for `.js`.
    public var draftFile: String { Self.draftFile(for: file) }

    static func draftFile(for code: String) -> String {
        code.hasSuffix(".js") ? String(code.dropLast(3)) + ".draft.js" : code + ".draft.js"
    }

    /// The action's stem: `actions/<stem>.json`, `actions/<stem>/code.js`.
    public var stem: String {
        let parts = file.split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - 2]) : name
    }

    public static func == (a: Action, b: Action) -> Bool {
        a.name == b.name && a.file == b.file && a.source == b.source && a.runtime == b.runtime && a.secrets == b.secrets
            && a.supportedTriggers == b.supportedTriggers && a.deployed == b.deployed && a.draft == b.draft && a.version == b.version
            && a.dependencies.map { $0.name + "@" + $0.version } == b.dependencies.map { $0.name + "@" + $0.version }
    }

    /// The version of a trigger's API an action declares when nothing says otherwise (as Auth0 has them).
    public static func currentVersion(of trigger: String) -> String {
        switch trigger {
        case "post-login": return "v3"
        case "password-reset-post-challenge", "custom-token-exchange", "custom-email-provider", "custom-phone-provider": return "v1"
        default: return "v2"
        }
    }

    /// Triggers authsim runs (every trigger Auth0 documents for scripts).
    public static let triggers = [
        "post-login", "credentials-exchange", "pre-user-registration", "post-user-registration", "post-change-password",
        "password-reset-post-challenge", "send-phone-message", "custom-token-exchange", "custom-email-provider", "custom-phone-provider",
    ]
}

public struct Client: Sendable, Equatable {
    public var name: String
    public var clientId: String
    public var clientSecret: String?
    public var appType: String
    public var callbacks: [String]
    public var allowedLogoutURLs: [String]
    public var clientMetadata: [String: String]
    public var idTokenLifetime: Int
    public var idTokenAlgorithm: String
    public var grantTypes: [String]
    public var isFirstParty: Bool
    public var raw: [String: JSONValue]
    /// The origins that may call the Authentication API from browser JavaScript as this client
    /// (see `Client.webOrigins(raw:callbacks:)`).
    public var webOrigins: [WebOrigin] = []
    /// The application's refresh-token settings (`refresh_token`).
    public var refreshTokenPolicy = RefreshTokenPolicy()

    /// `none` for public clients (SPAs, native apps), which authenticate with PKCE instead of a secret.
    public var tokenEndpointAuthMethod: String {
        raw["token_endpoint_auth_method"]?.stringValue ?? (["spa", "native"].contains(appType) || clientSecret == nil ? "none" : "client_secret_post")
    }

    public var isPublic: Bool { tokenEndpointAuthMethod == "none" }

    /// The `azp` of the daemon's own Management tokens (`serve`'s local token, console
    /// sessions, the rules' `auth0.accessToken`): no tenant client may take one, so such a token
    /// is never mistaken for a client's.
    public static let reservedIDs: Set<String> = ["authsim-local", "authsim-console", "authsim-rules"]

    /// Grant types the client may use (Auth0's defaults when the file lists none).
    public var allowedGrantTypes: [String] {
        if !grantTypes.isEmpty { return grantTypes }
        switch appType {
        case "non_interactive": return ["client_credentials"]
        case "spa": return ["authorization_code", "implicit", "refresh_token"]
        default: return ["authorization_code", "implicit", "refresh_token", "client_credentials"]
        }
    }
}

/// Which APIs a client may get client-credentials tokens for (`client-grants/*.json`).
public struct ClientGrant: Sendable, Equatable {
    public var clientId: String
    public var audience: String
    public var scope: [String]
    /// Client-credentials tokens in an organization (`organization` at the token endpoint):
    /// `deny` (the default), `allow` or `require`.
    public var organizationUsage = "deny"
    /// Any organization may be named; else only those that list this grant in their `client_grants`.
    public var allowAnyOrganization = false
}

public struct Connection: Sendable, Equatable {
    public var name: String
    public var id: String
    public var strategy: String
    public var options: [String: JSONValue]
    public var metadata: [String: String]
    public var enabledClients: [String]?
    /// The connection's document as read (deploy-cli's fields authsim does not use included).
    public var raw: [String: JSONValue] = [:]
    /// The file it was read from (`database-connections/<folder>/database.json`, …); empty for the default one.
    public var definitionFile = ""

    /// Custom-database scripts by kind (`login`, `get_user`, …), from `database-connections/<name>/<kind>.js`.
    public var scripts: [String: ConnectionScript] = [:]

    public var isDatabase: Bool { strategy == "auth0" }
    /// "Use my own database": the connection's scripts authenticate its users
    /// (`enabled_database_customization`, or `enabledDatabaseCustomization` as the Management
    /// API and deploy-cli spell it).
    public var usesCustomScripts: Bool {
        isDatabase && (options["enabled_database_customization"]?.boolValue == true || options["enabledDatabaseCustomization"]?.boolValue == true)
    }
    /// Lazy migration: users move to the local store at their first login.
    public var importMode: Bool { options["import_mode"]?.boolValue == true }
    /// The scripts' `configuration` object (`options.configuration`).
    public var scriptConfiguration: [String: JSONValue] { options["configuration"]?.objectValue ?? [:] }
    public var isSocial: Bool { !["auth0", "email", "sms", "samlp", "waad", "adfs", "ad", "oidc", "okta", "pingfederate", "google-apps"].contains(strategy) }
}

/// One custom-database script.
public struct ConnectionScript: Sendable, Equatable {
    /// `login`, `get_user`, `create`, `verify`, `change_password`, `delete` or `change_email`.
    public var kind: String
    /// Path relative to the tenant directory (error messages and traces name it).
    public var file: String
    public var source: String

    /// The script kinds Auth0 defines, with the function names of its templates.
    public static let kinds = ["login", "get_user", "create", "verify", "change_password", "delete", "change_email"]
}

public struct ResourceServer: Sendable, Equatable {
    public var name: String
    public var identifier: String
    public var tokenLifetime: Int
    public var scopes: [String]
    public var enforcePolicies: Bool
    public var tokenDialect: String
    /// The API's document as read.
    public var raw: [String: JSONValue] = [:]
}

public struct Role: Sendable, Equatable {
    /// A stable id derived from the name (`rol_…`), as the Management API uses ids.
    public var id: String { stableID(prefix: "rol_", name, length: 16) }
    public var name: String
    public var description: String
    public var permissions: [(resourceServer: String, permission: String)]

    public static func == (a: Role, b: Role) -> Bool {
        a.name == b.name && a.description == b.description
            && a.permissions.map { $0.resourceServer + " " + $0.permission } == b.permissions.map { $0.resourceServer + " " + $0.permission }
    }
}

public struct TenantSettings: Sendable, Equatable {
    public var friendlyName: String?
    /// The tenant's domain; the issuer defaults to `https://<domain>/`.
    public var domain: String
    /// Overrides the issuer (e.g. `http://127.0.0.1:8080/` for a local daemon).
    public var issuer: String?
    /// Only namespaced custom claims are kept anywhere (Auth0's pre-2022 behaviour).
    public var legacyNamespacedClaims: Bool
    /// Wall-clock limit of one login flow (all rules and actions).
    public var flowTimeoutSeconds: Double
    public var defaultAudience: String?
    public var defaultDirectory: String?
    public var allowedOutboundHosts: [String]
    public var legacyGlobals: Bool
    /// `eval` and `new Function` work in scripts (as in Auth0); `authsim.allow_eval: false` turns them off.
    public var allowEval: Bool = true
    /// `WebAssembly` in scripts (`authsim.allow_webassembly: true`; off by default): metered so
    /// that the flow deadline stops its loops, its memories and tables within the budgets.
    public var allowWebAssembly: Bool = false
    /// Extra module folders for `require` (`authsim.module_paths`, relative to the tenant directory).
    public var modulePaths: [String]
    /// Tenant log events kept (a ring: the oldest go first).
    public var logCapacity: Int = 10000
    /// Log events older than this many days are pruned by the daemon (Auth0 keeps 1–30 days by plan).
    public var logRetentionDays: Double = 7
    /// Largest stored trace of one login, in bytes: a bigger one is cut (console lines, long
    /// strings first) and marked, so one chatty script cannot grow the store without bound.
    public var traceMaxBytes: Int = 256 * 1024
    /// Stored traces kept: at most this many, none older than `traceRetentionDays` (pruned by the daemon).
    public var traceCapacity: Int = 10000
    public var traceRetentionDays: Double = 7
    /// Lifetime of Management API tokens this tenant issues (client credentials, the rules'
    /// `auth0.accessToken`, the daemon's local token): short, as tokens with these powers should be.
    public var managementTokenLifetime: Double = 3600
    /// `authsim.accept_simulated_tokens`: the daemon's `/userinfo` and Management API accept
    /// tokens minted by a simulation (off: a simulation can name any user without credentials).
    public var acceptSimulatedTokens = false
    /// `authsim.sample`: the tenant is a sample whose published client secrets may be served
    /// beyond loopback.
    public var sample = false
    /// Brute-force protection and suspicious-IP throttling (Auth0's defaults unless set).
    public var attackProtection = AttackProtectionSettings()
    /// `authsim.trusted_proxies`: reverse proxies (addresses or CIDR ranges) whose
    /// `X-Forwarded-For` names the client; none by default.
    public var trustedProxies: [String] = []
    /// Login sessions' lifetimes (`session_lifetime`, `idle_session_lifetime`).
    public var sessionLifetimes = SessionLifetimes()

    public init() {
        domain = "authsim.local"
        legacyNamespacedClaims = false
        flowTimeoutSeconds = 20
        allowedOutboundHosts = ["localhost", "127.0.0.1", "::1"]
        legacyGlobals = false
        modulePaths = []
    }

    public var effectiveIssuer: String {
        var i = issuer ?? "https://\(domain)/"
        if !i.hasSuffix("/") { i += "/" }
        return i
    }

    public var managementAudience: String { effectiveIssuer + "api/v2/" }
}

/// A loaded tenant directory.
public struct Tenant: Sendable {
    public var directory: String
    public var settings: TenantSettings
    /// All rules, in execution order (disabled ones included; the pipeline skips them).
    public var rules: [Rule]
    /// `rules-configs/*.json` as the `configuration` object of rules.
    public var configuration: [String: String]
    public var clients: [Client]
    public var connections: [Connection]
    public var resourceServers: [ResourceServer]
    public var roles: [Role]
    public var clientGrants: [ClientGrant] = []
    /// `actions/`, and their bindings from `triggers/triggers.json` (trigger id → action names in order).
    public var actions: [Action] = []
    public var triggerBindings: [String: [String]] = [:]
    /// Bulk-import seed files: `users/<connection>.json`.
    public var seedUserFiles: [(connection: String, path: String)]
    /// Simulated geo-IP records by IP address (`geoip.json`).
    public var geoip: [String: JSONValue]
    /// Changes whenever any loaded file changes.
    public var revision: String
    /// What the loader skipped and why (a binding to an action the tenant lacks, …): reported
    /// once when the tenant is loaded, never fatal.
    public var notices: [TenantNotice] = []
    /// deploy-cli resources authsim reads, checks and reports but does not simulate
    /// (organizations, hooks, email templates, pages, guardian, …): their files in the directory
    /// layout (path → text), written back as they are by `TenantExporter`.
    public var unsimulatedFiles: [String: String] = [:]
    /// Legacy Hooks (`hooks/`), read from those files.
    public var hooks: [Hook] = []
    /// Organizations (`organizations/`), read from those files.
    public var organizations: [Organization] = []
    /// Custom Token Exchange profiles (`token-exchange-profiles/`), read from those files.
    public var tokenExchangeProfiles: [TokenExchangeProfile] = []
    /// The format the tenant was read from.
    public var format: TenantFormat = .directory
    /// The files a YAML tenant names (absolute paths), watched for changes like its folders.
    public var namedFiles: [String] = []
    /// `tenant.json` (or the YAML's `tenant`) as read: written back by `TenantExporter`.
    public var tenantDocument: [String: JSONValue] = [:]

    public var name: String { settings.friendlyName ?? lastPathComponent(directory) }

    public func client(named nameOrId: String) -> Client? {
        clients.first { $0.clientId == nameOrId } ?? clients.first { $0.name == nameOrId }
    }

    public func connection(named name: String) -> Connection? {
        connections.first { $0.name == name || $0.id == name }
    }

    public func resourceServer(identifier: String) -> ResourceServer? {
        resourceServers.first { $0.identifier == identifier }
    }

    /// Whether `audience` names this tenant's Management API (by the issuer or by the domain).
    /// Client secrets published in authsim's README and sample tenants: anyone knows them.
    public static let publishedSampleSecrets: Set<String> = [
        "sample-app-client-secret-change-me", "sample-management-secret-change-me", "pg-example-client-secret-change-me",
    ]

    /// Clients whose secret is a published sample one (or says `change-me`).
    public var clientsWithSampleSecrets: [String] {
        clients.filter { c in c.clientSecret.map { Self.publishedSampleSecrets.contains($0) || $0.hasSuffix("change-me") } ?? false }.map(\.name)
    }

    /// The Management API's audiences: the issuer's, and the domain-style one Auth0 tenants
    /// (and their exported grants) name, `https://<domain>/api/v2/`.
    public var managementAudiences: [String] {
        let domainStyle = "https://\(settings.domain)/api/v2/"
        return domainStyle == settings.managementAudience ? [domainStyle] : [settings.managementAudience, domainStyle]
    }

    public func isManagementAudience(_ audience: String) -> Bool {
        managementAudiences.contains(audience)
    }

    /// The Management API audience of a real Auth0 tenant (`https://TENANT[.REGION].auth0.com/api/v2/`),
    /// as grants exported by deploy-cli name it: such a grant is for authsim's own Management API.
    public static func isExportedManagementAudience(_ audience: String) -> Bool {
        guard let c = URLComponents(string: audience), c.scheme == "https", let host = c.host?.lowercased(), c.port == nil,
            host.hasSuffix(".auth0.com"), c.path == "/api/v2/" || c.path == "/api/v2", c.query == nil
        else { return false }
        return host.dropLast(".auth0.com".count).split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty }
    }

    /// The client grant allowing `clientId` to get tokens for `audience`.
    public func clientGrant(clientId: String, audience: String) -> ClientGrant? {
        clientGrants.first { g in
            g.clientId == clientId
                && (g.audience == audience || ((isManagementAudience(g.audience) || Self.isExportedManagementAudience(g.audience)) && isManagementAudience(audience)))
        }
    }

    /// Actions bound to `trigger`, in binding order.
    public func boundActions(_ trigger: String) -> [Action] {
        (triggerBindings[trigger] ?? []).compactMap { name in actions.first { $0.name == name } }
    }

    /// The enabled Hook at an extensibility point.
    public func activeHook(_ trigger: String) -> Hook? { hooks.first { $0.enabled && $0.triggerId == trigger } }

    public func action(named name: String) -> Action? { actions.first { $0.name == name || $0.id == name } }

    /// Enabled `login_success` rules in order.
    public var loginRules: [Rule] { rules.filter { $0.enabled && $0.stage == .loginSuccess } }
}

func lastPathComponent(_ path: String) -> String {
    let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
    return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
}

/// deploy-cli's two formats: a directory of files, or `tenant.yaml` naming files beside it.
public enum TenantFormat: String, Sendable { case directory, yaml }

/// Something in the tenant files that authsim read but does not use, and why.
public struct TenantNotice: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
