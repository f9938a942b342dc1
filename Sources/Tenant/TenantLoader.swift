import Foundation
import JSONCore

/// A problem with a tenant directory, located to the file (and line when known).
public struct TenantError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}

/// Reads an Auth0 deploy-cli style directory:
///
///     tenant.json                      settings (plus authsim's own keys, see README)
///     rules/<name>.js, <name>.json     rules and their order/enabled/stage
///     rules-configs/<key>.json         {"key", "value"} → `configuration`
///     clients/<name>.json              applications
///     database-connections/<name>/database.json, connections/<name>.json
///     resource-servers/<name>.json     APIs
///     roles/<name>.json                roles and permissions
///     users/<connection>.json          seed users (bulk-import format)
///     geoip.json                       simulated geo-IP records by IP
public enum TenantLoader {
    public static let defaultDatabaseConnection = "Username-Password-Authentication"

    /// `overlay`: files kept elsewhere (the store's run-time changes) laid over the directory's,
    /// by relative path; nil hides the directory's file. Only paths under `rules/`, `actions/`
    /// and `triggers/` are taken from it.
    /// `environment`: where `AUTH0_KEYWORD_REPLACE_MAPPINGS` may come from besides the tenant's
    /// `config.json` (deploy-cli's keyword replacement; see `keywordMappings`).
    public static func load(
        directory: String, overlay: [String: String?] = [:], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(TenantError) -> Tenant {
        var files = try TenantFiles(directory: directory, overlay: overlay, environment: environment)
        do { return try load(&files) } catch { throw files.located(error) }
    }

    static func load(_ files: inout TenantFiles) throws(TenantError) -> Tenant {
        func exists(_ rel: String) -> Bool { files.exists(rel) }
        func read(_ rel: String) throws(TenantError) -> String { try files.read(rel) }
        func readJSON(_ rel: String) throws(TenantError) -> JSONValue { try files.readJSON(rel) }
        func list(_ rel: String, ext: String) -> [String] { files.list(rel, ext: ext) }
        func object(_ v: JSONValue, _ rel: String) throws(TenantError) -> [String: JSONValue] {
            guard case .object(let o) = v else { throw TenantError(file: rel, message: "expected a JSON object") }
            return o
        }

        // Settings
        var settings = TenantSettings()
        var tenantDocument: [String: JSONValue] = [:]
        if exists("tenant.json") {
            let o = try object(try readJSON("tenant.json"), "tenant.json")
            tenantDocument = o
            settings.friendlyName = o["friendly_name"]?.stringValue
            settings.sessionLifetimes = try SessionLifetimes.read(o, file: "tenant.json")
            settings.defaultAudience = o["default_audience"]?.stringValue
            settings.defaultDirectory = o["default_directory"]?.stringValue
            let flags = o["flags"]?.objectValue ?? [:]
            let own = o["authsim"]?.objectValue ?? [:]
            func flag(_ k: String) -> Bool? { own[k]?.boolValue ?? o[k]?.boolValue ?? flags[k]?.boolValue }
            settings.legacyNamespacedClaims = flag("legacy_namespaced_claims") ?? false
            settings.legacyGlobals = flag("legacy_globals") ?? false
            if let d = own["domain"]?.stringValue ?? o["domain"]?.stringValue { settings.domain = d }
            settings.issuer = own["issuer"]?.stringValue
            if let e = own["allow_eval"] {
                guard let b = e.boolValue else { throw TenantError(file: "tenant.json", message: "authsim.allow_eval must be true or false") }
                settings.allowEval = b
            }
            if let e = own["allow_webassembly"] {
                guard let b = e.boolValue else { throw TenantError(file: "tenant.json", message: "authsim.allow_webassembly must be true or false") }
                settings.allowWebAssembly = b
            }
            if settings.allowWebAssembly && !settings.allowEval {
                throw TenantError(file: "tenant.json", message: "authsim.allow_webassembly needs authsim.allow_eval: WebAssembly compiles code from data, which allow_eval: false rules out")
            }
            if let e = own["sample"] {
                guard let b = e.boolValue else { throw TenantError(file: "tenant.json", message: "authsim.sample must be true or false") }
                settings.sample = b
            }
            if let e = own["accept_simulated_tokens"] {
                guard let b = e.boolValue else { throw TenantError(file: "tenant.json", message: "authsim.accept_simulated_tokens must be true or false") }
                settings.acceptSimulatedTokens = b
            }
            if let t = own["flow_timeout_seconds"]?.doubleValue {
                guard t > 0, t <= 600 else { throw TenantError(file: "tenant.json", message: "authsim.flow_timeout_seconds must be between 0 and 600") }
                settings.flowTimeoutSeconds = t
            }
            if let n = own["management_token_lifetime_seconds"] {
                guard let t = n.doubleValue, t >= 60, t <= 86400 else {
                    throw TenantError(file: "tenant.json", message: "authsim.management_token_lifetime_seconds must be between 60 and 86400")
                }
                settings.managementTokenLifetime = t
            }
            if let n = own["log_capacity"] {
                guard let c = n.intValue, c > 0 else { throw TenantError(file: "tenant.json", message: "authsim.log_capacity must be a positive integer") }
                settings.logCapacity = c
            }
            if let n = own["trace_capacity"] {
                guard let c = n.intValue, c > 0 else { throw TenantError(file: "tenant.json", message: "authsim.trace_capacity must be a positive integer") }
                settings.traceCapacity = c
            }
            if let n = own["trace_max_bytes"] {
                // The floor leaves room for the cut marker and the trace's summary fields.
                guard let c = n.intValue, c >= 4096, c <= 64 << 20 else {
                    throw TenantError(file: "tenant.json", message: "authsim.trace_max_bytes must be between 4096 and 67108864")
                }
                settings.traceMaxBytes = c
            }
            for (key, path) in [("trace_retention_days", \TenantSettings.traceRetentionDays), ("log_retention_days", \TenantSettings.logRetentionDays)] {
                guard let n = own[key] else { continue }
                guard let d = n.doubleValue, d > 0, d <= 3650 else { throw TenantError(file: "tenant.json", message: "authsim.\(key) must be a number of days between 0 and 3650") }
                settings[keyPath: path] = d
            }
            if let hosts = own["allowed_outbound_hosts"]?.arrayValue ?? o["allowed_outbound_hosts"]?.arrayValue {
                settings.allowedOutboundHosts = hosts.compactMap(\.stringValue)
            }
            if let proxies = own["trusted_proxies"] {
                settings.trustedProxies = try AttackProtectionSettings.addresses(proxies, "tenant.json", name: "authsim.trusted_proxies")
            }
            if let ap = o["attack_protection"] {
                guard let a = ap.objectValue else { throw TenantError(file: "tenant.json", message: "attack_protection must be an object") }
                if let b = a["brute_force_protection"] { settings.attackProtection.bruteForce = try AttackProtectionSettings.bruteForce(b, file: "tenant.json") }
                if let t = a["suspicious_ip_throttling"] {
                    settings.attackProtection.suspiciousIPThrottling = try AttackProtectionSettings.suspiciousIPThrottling(t, file: "tenant.json")
                }
            }
            if let paths = own["module_paths"] {
                guard let list = paths.arrayValue?.compactMap(\.stringValue), list.count == paths.arrayValue?.count else {
                    throw TenantError(file: "tenant.json", message: "authsim.module_paths must be an array of folder paths")
                }
                settings.modulePaths = list
            }
        }

        // deploy-cli's attack-protection/ files (they win over tenant.json's).
        for (rel, isBruteForce) in [("attack-protection/brute-force-protection.json", true), ("attack-protection/suspicious-ip-throttling.json", false)] where exists(rel) {
            let v = try readJSON(rel)
            if isBruteForce {
                settings.attackProtection.bruteForce = try AttackProtectionSettings.bruteForce(v, file: rel)
            } else {
                settings.attackProtection.suspiciousIPThrottling = try AttackProtectionSettings.suspiciousIPThrottling(v, file: rel)
            }
        }

        // Rules
        var rules: [Rule] = []
        // deploy-cli's `rules/<name>.json` names its script (`"script": "./<name>.js"`, relative
        // to rules/); a script without a .json beside it is a rule of its own.
        var metaFor: [String: String] = [:]
        for json in list("rules", ext: "json") {
            let metaRel = "rules/" + json
            let o = try object(try readJSON(metaRel), metaRel)
            let script = o["script"]?.stringValue.map { Self.normalize("rules/" + Self.unixPath($0)) } ?? "rules/\(json.dropLast(5)).js"
            guard script.hasPrefix("rules/"), !script.dropFirst(6).contains("/"), script.hasSuffix(".js") else {
                throw TenantError(file: metaRel, message: "'script' must name a .js file in rules/ (it names \(o["script"]?.stringValue ?? ""))")
            }
            guard exists(script) else {
                if o["script"] == nil { continue }
                throw TenantError(file: metaRel, message: "'script' names \(script), which does not exist")
            }
            if let other = metaFor[script] { throw TenantError(file: metaRel, message: "names the same script as \(other)") }
            metaFor[script] = metaRel
        }
        for js in list("rules", ext: "js") {
            let stem = String(js.dropLast(3))
            let rel = "rules/" + js
            let source = try read(rel)
            var rule = Rule(name: stem, file: rel, source: source)
            if let metaRel = metaFor[rel] {
                let o = try object(try readJSON(metaRel), metaRel)
                if let n = o["name"]?.stringValue { rule.name = n }
                if let order = o["order"] {
                    guard let n = order.intValue else { throw TenantError(file: metaRel, message: "'order' must be an integer") }
                    rule.order = n
                }
                if let e = o["enabled"] {
                    guard let b = e.boolValue else { throw TenantError(file: metaRel, message: "'enabled' must be a boolean") }
                    rule.enabled = b
                }
                if let s = o["stage"] {
                    guard let st = s.stringValue.flatMap(Rule.Stage.init(rawValue:)) else {
                        throw TenantError(file: metaRel, message: "'stage' must be one of login_success, login_failure, pre_authorize")
                    }
                    rule.stage = st
                }
            }
            guard Rule.isValidName(rule.name) else {
                throw TenantError(file: rel, message: "invalid rule name '\(rule.name)': use letters, digits, spaces and hyphens, not starting or ending with a space or hyphen")
            }
            if rules.contains(where: { $0.name == rule.name }) {
                throw TenantError(file: rel, message: "duplicate rule name '\(rule.name)'")
            }
            rules.append(rule)
        }
        // Ordered rules first by order (then file), unordered after them by file name.
        rules.sort { a, b in
            switch (a.order, b.order) {
            case let (x?, y?): return x != y ? x < y : a.file < b.file
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.file < b.file
            }
        }

        // rules-configs
        var configuration: [String: String] = [:]
        for f in list("rules-configs", ext: "json") {
            let rel = "rules-configs/" + f
            let o = try object(try readJSON(rel), rel)
            guard let key = o["key"]?.stringValue, let value = o["value"] else {
                throw TenantError(file: rel, message: "expected {\"key\": string, \"value\": string}")
            }
            configuration[key] = value.stringValue ?? value.serialized()
        }

        // Clients
        var clients: [Client] = []
        for f in list("clients", ext: "json") {
            let rel = "clients/" + f
            let o = try object(try readJSON(rel), rel)
            let name = o["name"]?.stringValue ?? String(f.dropLast(5))
            let jwt = o["jwt_configuration"]?.objectValue ?? [:]
            var metadata: [String: String] = [:]
            for (k, v) in o["client_metadata"]?.objectValue ?? [:] {
                guard let s = v.stringValue else { throw TenantError(file: rel, message: "client_metadata values must be strings ('\(k)')") }
                metadata[k] = s
            }
            clients.append(
                Client(
                    name: name, clientId: o["client_id"]?.stringValue ?? stableID(prefix: "", name, length: 32),
                    clientSecret: o["client_secret"]?.stringValue, appType: o["app_type"]?.stringValue ?? "regular_web",
                    callbacks: (o["callbacks"]?.arrayValue ?? []).compactMap(\.stringValue),
                    allowedLogoutURLs: (o["allowed_logout_urls"]?.arrayValue ?? []).compactMap(\.stringValue),
                    clientMetadata: metadata, idTokenLifetime: jwt["lifetime_in_seconds"]?.intValue ?? 36000,
                    idTokenAlgorithm: jwt["alg"]?.stringValue ?? "RS256",
                    grantTypes: (o["grant_types"]?.arrayValue ?? []).compactMap(\.stringValue),
                    isFirstParty: o["is_first_party"]?.boolValue ?? true, raw: o))
            clients[clients.count - 1].webOrigins = Client.webOrigins(raw: o, callbacks: clients[clients.count - 1].callbacks)
            clients[clients.count - 1].refreshTokenPolicy = try RefreshTokenPolicy.read(o["refresh_token"], file: rel)
            if Client.reservedIDs.contains(clients[clients.count - 1].clientId) {
                throw TenantError(file: rel, message: "client_id '\(clients[clients.count - 1].clientId)' is the daemon's own (\(Client.reservedIDs.sorted().joined(separator: ", "))): choose another")
            }
        }
        if clients.isEmpty {
            clients.append(
                Client(
                    name: "Default App", clientId: stableID(prefix: "", "Default App", length: 32), clientSecret: nil,
                    appType: "regular_web", callbacks: [], allowedLogoutURLs: [], clientMetadata: [:], idTokenLifetime: 36000,
                    idTokenAlgorithm: "RS256", grantTypes: [], isFirstParty: true, raw: [:]))
        }

        // Connections
        var connections: [Connection] = []
        for d in files.folders("database-connections") {
            let rel = "database-connections/\(d)/database.json"
            guard exists(rel) else { continue }
            let o = try object(try readJSON(rel), rel)
            let name = o["name"]?.stringValue ?? d
            var c = connection(from: o, name: name, defaultStrategy: "auth0")
            c.definitionFile = rel
            // deploy-cli keeps each script beside database.json (options.customScripts names them).
            let named = (o["options"]?["customScripts"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            for kind in ConnectionScript.kinds {
                // The Management API's own shape carries the source inline.
                if let inline = named[kind], inline.contains("function") || inline.contains("=>") || inline.contains("\n") {
                    c.scripts[kind] = ConnectionScript(kind: kind, file: rel + "#options.customScripts.\(kind)", source: inline)
                    continue
                }
                let file = named[kind].map { Self.normalize("database-connections/\(d)/" + $0) } ?? "database-connections/\(d)/\(kind).js"
                guard !file.hasPrefix("..") && !file.hasPrefix("/") else {
                    throw TenantError(file: rel, message: "options.customScripts.\(kind) points outside the tenant directory")
                }
                guard exists(file) else {
                    if named[kind] != nil { throw TenantError(file: rel, message: "options.customScripts.\(kind) names \(file), which does not exist") }
                    continue
                }
                c.scripts[kind] = ConnectionScript(kind: kind, file: file, source: try read(file))
            }
            if c.usesCustomScripts && c.scripts["login"] == nil {
                throw TenantError(file: rel, message: "enabled_database_customization is on but there is no login.js beside it")
            }
            connections.append(c)
        }
        for f in list("connections", ext: "json") {
            let rel = "connections/" + f
            let o = try object(try readJSON(rel), rel)
            let name = o["name"]?.stringValue ?? String(f.dropLast(5))
            guard o["strategy"]?.stringValue != nil else { throw TenantError(file: rel, message: "'strategy' is required") }
            var c = connection(from: o, name: name, defaultStrategy: "auth0")
            c.definitionFile = rel
            connections.append(c)
        }
        if !connections.contains(where: { $0.name == defaultDatabaseConnection }) && !connections.contains(where: \.isDatabase) {
            connections.insert(connection(from: [:], name: defaultDatabaseConnection, defaultStrategy: "auth0"), at: 0)
        }

        // Resource servers
        var apis: [ResourceServer] = []
        for f in list("resource-servers", ext: "json") {
            let rel = "resource-servers/" + f
            let o = try object(try readJSON(rel), rel)
            guard let identifier = o["identifier"]?.stringValue else { throw TenantError(file: rel, message: "'identifier' is required") }
            apis.append(
                ResourceServer(
                    name: o["name"]?.stringValue ?? String(f.dropLast(5)), identifier: identifier,
                    tokenLifetime: o["token_lifetime"]?.intValue ?? 86400,
                    scopes: (o["scopes"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue ?? $0.stringValue },
                    enforcePolicies: o["enforce_policies"]?.boolValue ?? false,
                    tokenDialect: o["token_dialect"]?.stringValue ?? "access_token", raw: o))
        }

        // Roles
        var roles: [Role] = []
        for f in list("roles", ext: "json") {
            let rel = "roles/" + f
            let o = try object(try readJSON(rel), rel)
            let perms = (o["permissions"]?.arrayValue ?? []).compactMap { p -> (String, String)? in
                guard let rs = p["resource_server_identifier"]?.stringValue, let n = p["permission_name"]?.stringValue else { return nil }
                return (rs, n)
            }
            roles.append(Role(name: o["name"]?.stringValue ?? String(f.dropLast(5)), description: o["description"]?.stringValue ?? "", permissions: perms))
        }

        // Client grants (client_id may name the client instead of its id), in deploy-cli's
        // `grants/` or in `client-grants/`.
        var grants: [ClientGrant] = []
        for rel in list("grants", ext: "json").map({ "grants/" + $0 }) + list("client-grants", ext: "json").map({ "client-grants/" + $0 }) {
            let o = try object(try readJSON(rel), rel)
            guard let cid = o["client_id"]?.stringValue, let audience = o["audience"]?.stringValue else {
                throw TenantError(file: rel, message: "'client_id' and 'audience' are required")
            }
            let clientId = clients.first(where: { $0.clientId == cid || $0.name == cid })?.clientId ?? cid
            var grant = ClientGrant(clientId: clientId, audience: audience, scope: (o["scope"]?.arrayValue ?? []).compactMap(\.stringValue))
            grant.organizationUsage = o["organization_usage"]?.stringValue ?? "deny"
            grant.allowAnyOrganization = o["allow_any_organization"]?.boolValue ?? false
            grants.append(grant)
        }

        // Seed users and geoip
        var seeds: [(connection: String, path: String)] = []
        for f in list("users", ext: "json") {
            try files.checkInside("users/" + f)
            seeds.append((String(f.dropLast(5)), files.path("users/" + f)))
        }
        var geoip: [String: JSONValue] = [:]
        if exists("geoip.json") {
            geoip = try object(try readJSON("geoip.json"), "geoip.json")
        }

        // Actions before the revision is taken: they are part of it.
        var notices = files.notices
        let (actions, bindings) = try loadActions(read: read, readJSON: readJSON, list: list, exists: exists, notices: &notices)
        let unsimulated = DeployCLIResources.read(&files, notices: &notices)
        var hasher = files.hasher
        // Seed files are read by the store (once per content); their names are part of the revision.
        for s in seeds { hasher.add("users/" + s.connection) }
        var tenant = Tenant(
            directory: files.directory, settings: settings, rules: rules, configuration: configuration, clients: clients,
            connections: connections, resourceServers: apis, roles: roles, seedUserFiles: seeds, geoip: geoip,
            revision: hasher.hex)
        // One order whatever the files are called (a grant is found by client and audience).
        tenant.clientGrants = grants.enumerated().sorted { a, b in
            (a.element.clientId, a.element.audience, a.offset) < (b.element.clientId, b.element.audience, b.offset)
        }.map(\.element)
        tenant.actions = actions
        tenant.triggerBindings = bindings
        tenant.notices = notices
        tenant.unsimulatedFiles = unsimulated
        tenant.hooks = Hook.load(from: unsimulated, notices: &tenant.notices)
        tenant.organizations = Organization.load(from: unsimulated, connections: connections, notices: &tenant.notices)
        tenant.tokenExchangeProfiles = TokenExchangeProfile.load(from: unsimulated, actions: actions, notices: &tenant.notices)
        tenant.tenantDocument = tenantDocument
        tenant.namedFiles = files.named
        tenant.format = files.format == .directory ? .directory : .yaml
        return tenant
    }

    /// Whether a tenant directory is in deploy-cli's YAML format (`tenant.yaml`).
    public static func isYAML(directory: String) -> Bool {
        ["tenant.yaml", "tenant.yml"].contains { FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }
    }

    // MARK: - deploy-cli keyword replacement

    /// deploy-cli's keyword mappings: `AUTH0_KEYWORD_REPLACE_MAPPINGS` of the tenant's
    /// `config.json` (deploy-cli's config file), with the same variable of the environment (a
    /// JSON object) laid over it.
    static func keywordMappings(directory: String, environment: [String: String]) throws(TenantError) -> [String: JSONValue] {
        var mappings: [String: JSONValue] = [:]
        let config = (directory as NSString).appendingPathComponent("config.json")
        if let data = FileManager.default.contents(atPath: config) {
            let doc: JSONValue
            do { doc = try JSONValue.parse(bytes: Array(data)) } catch {
                throw TenantError(file: "config.json", line: error.line, message: "invalid JSON: \(error.message)")
            }
            if let m = doc["AUTH0_KEYWORD_REPLACE_MAPPINGS"] {
                guard let o = m.objectValue else { throw TenantError(file: "config.json", message: "AUTH0_KEYWORD_REPLACE_MAPPINGS must be an object of keyword → value") }
                mappings = o
            }
        }
        if let text = environment["AUTH0_KEYWORD_REPLACE_MAPPINGS"], !text.isEmpty {
            guard let o = (try? JSONValue.parse(text))?.objectValue else {
                throw TenantError(file: "$AUTH0_KEYWORD_REPLACE_MAPPINGS", message: "must be a JSON object of keyword → value")
            }
            mappings.merge(o) { _, env in env }
        }
        return mappings
    }

    /// `@@KEY@@` — bare or inside quotes, `"@@KEY@@"` or `'@@KEY@@'` — becomes the value as JSON
    /// (a string with its quotes, an array, …); `##KEY##` the value as text (a string without
    /// quotes, an array's items joined by commas), as deploy-cli replaces them.
    static func replaceKeywords(_ text: String, _ mappings: [String: JSONValue]) -> String {
        guard text.contains("@@") || text.contains("##") else { return text }
        func asText(_ v: JSONValue) -> String {
            switch v {
            case .string(let s): return s
            case .array(let items): return items.map(asText).joined(separator: ",")
            default: return v.serialized()
            }
        }
        var out = text
        for (key, value) in mappings.sorted(by: { $0.key < $1.key }) {
            let json = value.serialized()
            for quoted in ["\"@@" + key + "@@\"", "'@@" + key + "@@'", "@@" + key + "@@"] {
                out = out.replacingOccurrences(of: quoted, with: json)
            }
            out = out.replacingOccurrences(of: "##" + key + "##", with: asText(value))
        }
        return out
    }

    /// The first `@@KEY@@` left in a text (a keyword without a mapping).
    static func unmappedKeyword(in text: String) -> String? {
        guard let r = text.range(of: #"@@[A-Za-z0-9_.-]+@@"#, options: .regularExpression) else { return nil }
        return String(text[r])
    }

    /// `actions/<name>.json` (+ `actions/<name>/code.js`, or the file its `code` names) and
    /// `triggers/triggers.json`.
    static func loadActions(
        read: (String) throws(TenantError) -> String, readJSON: (String) throws(TenantError) -> JSONValue,
        list: (String, String) -> [String], exists: (String) -> Bool, notices: inout [TenantNotice]
    ) throws(TenantError) -> ([Action], [String: [String]]) {
        var actions: [Action] = []
        for f in list("actions", "json") {
            let rel = "actions/" + f
            guard case .object(let o) = try readJSON(rel) else { throw TenantError(file: rel, message: "expected a JSON object") }
            let name = o["name"]?.stringValue ?? String(f.dropLast(5))
            let codeRel = try actionCode(o["code"]?.stringValue, name: name, stem: String(f.dropLast(5)), definition: rel, exists: exists)
            var secrets: [String: String] = [:]
            for s in o["secrets"]?.arrayValue ?? [] {
                guard let n = s["name"]?.stringValue else { throw TenantError(file: rel, message: "each secret needs a 'name'") }
                let value = s["value"]?.stringValue ?? ""
                guard n.count <= 128, value.count <= 4096 else { throw TenantError(file: rel, message: "secret '\(n)': names are limited to 128 characters and values to 4096") }
                secrets[n] = value
            }
            let deps = (o["dependencies"]?.arrayValue ?? []).compactMap { d -> (name: String, version: String)? in
                guard let n = d["name"]?.stringValue else { return nil }
                return (n, d["version"]?.stringValue ?? "latest")
            }
            let triggers = (o["supported_triggers"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            let action = Action(
                name: name, file: codeRel, source: try read(codeRel), runtime: o["runtime"]?.stringValue ?? "node18", dependencies: deps,
                secrets: secrets, supportedTriggers: triggers.isEmpty ? ["post-login"] : triggers, deployed: o["deployed"]?.boolValue ?? true)
            var loaded = action
            loaded.definitionFile = rel
            for t in o["supported_triggers"]?.arrayValue ?? [] {
                if let id = t["id"]?.stringValue, let version = t["version"]?.stringValue { loaded.triggerVersions[id] = version }
            }
            if exists(loaded.draftFile) { loaded.draft = try read(loaded.draftFile) }
            loaded.version = o["authsim_version"]?.intValue ?? 0
            if actions.contains(where: { $0.name == name }) { throw TenantError(file: rel, message: "duplicate action name '\(name)'") }
            actions.append(loaded)
        }
        var bindings: [String: [String]] = [:]
        let triggersRel = "triggers/triggers.json"
        if exists(triggersRel) {
            var doc = try readJSON(triggersRel)
            if let inner = doc["triggers"], inner.objectValue != nil { doc = inner }
            guard case .object(let o) = doc else { throw TenantError(file: triggersRel, message: "expected a JSON object of trigger id → bindings") }
            for (trigger, list) in o {
                guard let items = list.arrayValue else { throw TenantError(file: triggersRel, message: "'\(trigger)' must be an array of bindings") }
                var names: [String] = []
                for item in items {
                    guard let n = item["action_name"]?.stringValue ?? item.stringValue else {
                        throw TenantError(file: triggersRel, message: "each '\(trigger)' binding needs an 'action_name'")
                    }
                    // A binding to an action the directory lacks (an export without it) is
                    // skipped and reported; the rest of the tenant loads.
                    guard let action = actions.first(where: { $0.name == n }) else {
                        notices.append(TenantNotice(
                            file: triggersRel,
                            message: "'\(trigger)' binds action '\(n)', which the tenant does not have: the binding is skipped (known actions: \(actions.map(\.name).joined(separator: ", ")))"))
                        continue
                    }
                    guard action.supportedTriggers.contains(trigger) else {
                        throw TenantError(file: triggersRel, message: "action '\(n)' does not support the '\(trigger)' trigger (it supports \(action.supportedTriggers.joined(separator: ", ")))")
                    }
                    names.append(n)
                }
                bindings[trigger] = names
            }
        }
        return (actions, bindings)
    }

    /// The file of an action's code, as deploy-cli's versions wrote `code`: `./actions/<name>/code.js`
    /// (relative to the tenant, 8.4.2 on), a path relative to `actions/<name>/` (7.x), the path
    /// from where deploy-cli ran (`local/actions/<name>/code.js`) or an absolute one (up to
    /// 8.4.1), with Windows separators; `actions/<name>/code.js` (or 7.0's `current_version.js`)
    /// when it names none of these. Never a file outside the tenant.
    static func actionCode(
        _ code: String?, name: String, stem: String, definition: String, exists: (String) -> Bool
    ) throws(TenantError) -> String {
        var tried: [String] = []
        func inside(_ p: String) -> String? {
            let n = normalize(p)
            return n.isEmpty || n.hasPrefix("/") || n.split(separator: "/").first == ".." ? nil : n
        }
        if let code, code.hasSuffix(".js") {
            let p = unixPath(code)
            var candidates: [String?] = []
            if !p.hasPrefix("/") { candidates += [inside(p), inside("actions/\(name)/" + p), inside("actions/\(stem)/" + p), inside("actions/" + p)] }
            // From where deploy-cli ran, or absolute: the part from the last `actions/` on.
            let parts = p.split(separator: "/")
            if let i = parts.lastIndex(of: "actions"), i + 1 < parts.count { candidates.append(inside(parts[i...].joined(separator: "/"))) }
            for case let c? in candidates where !tried.contains(c) {
                if exists(c) { return c }
                tried.append(c)
            }
        }
        for c in ["actions/\(stem)/code.js", "actions/\(name)/code.js", "actions/\(stem)/current_version.js"] where !tried.contains(c) {
            if exists(c) { return c }
            tried.append(c)
        }
        // `../x.js` as it is names a file outside the tenant, which is never read.
        if let code, code.hasSuffix(".js"), unixPath(code).hasPrefix("/") || normalize(unixPath(code)).split(separator: "/").first == ".." {
            throw TenantError(file: definition, message: "the action's code file \(code) is outside the tenant directory")
        }
        throw TenantError(file: definition, message: "the action's code file does not exist (looked for \(tried.joined(separator: ", ")))")
    }

    /// A path as deploy-cli reads it on any system: `\` as `/`, no drive letter, no `./` lead.
    static func unixPath(_ path: String) -> String {
        var s = path.replacingOccurrences(of: "\\", with: "/")
        if s.count >= 2, let first = s.unicodeScalars.first, CharacterSet.letters.contains(first), s.dropFirst().first == ":" { s.removeFirst(2) }
        while s.contains("//") { s = s.replacingOccurrences(of: "//", with: "/") }
        while s.hasPrefix("./") { s.removeFirst(2) }
        return s
    }

    /// The paths run-time changes may take: files under `rules/`, `actions/` (one folder deep)
    /// and `triggers/`, without `.`/`..` segments or hidden names, and the two attack-protection
    /// settings files.
    public static func isOverlayPath(_ rel: String) -> Bool {
        let parts = rel.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0] == "attack-protection" { return ["brute-force-protection.json", "suspicious-ip-throttling.json"].contains(parts[1]) }
        guard (2...3).contains(parts.count), ["rules", "actions", "triggers", "organizations"].contains(parts[0]) else { return false }
        if parts[0] == "organizations", parts.count != 2 || !rel.hasSuffix(".json") { return false }
        if parts[0] != "actions", parts.count == 3 { return false }
        return parts.dropFirst().allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") && !$0.contains("\\") }
    }

    /// A relative path with `.` and `..` segments resolved (`a/b/../c` → `a/c`).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for segment in path.split(separator: "/") {
            if segment == "." { continue }
            if segment == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            parts.append(segment)
        }
        return parts.joined(separator: "/")
    }

    static func connection(from o: [String: JSONValue], name: String, defaultStrategy: String) -> Connection {
        var metadata: [String: String] = [:]
        for (k, v) in o["metadata"]?.objectValue ?? [:] { metadata[k] = v.stringValue ?? v.serialized() }
        return Connection(
            name: name, id: o["id"]?.stringValue ?? stableID(prefix: "con_", name, length: 16),
            strategy: o["strategy"]?.stringValue ?? defaultStrategy, options: o["options"]?.objectValue ?? [:],
            metadata: metadata, enabledClients: o["enabled_clients"]?.arrayValue?.compactMap(\.stringValue), raw: o)
    }
}

/// A deterministic id derived from a name, so ids stay the same across loads.
extension TenantLoader {
    /// The path with every symbolic link resolved, or nil when it does not exist.
    static func resolved(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}

func stableID(prefix: String, _ name: String, length: Int) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    var h = FNV1a()
    h.add(name)
    var state = h.state
    var out = prefix
    for _ in 0..<length {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        out.append(alphabet[Int((state >> 33) % UInt64(alphabet.count))])
    }
    return out
}

