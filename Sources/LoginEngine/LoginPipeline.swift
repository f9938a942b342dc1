import Directory
import Foundation
import JSONCore
import Logging
import Metrics
import NodeCompat
import ScriptRuntime
import Synchronization
import Tenant
import Tokens

/// The one implementation of a login: every door (CLI, HTTP, test runner, console) calls it.
///
/// user → blocked check → login stats → rules (one job, one deadline) → metadata writes
/// (persisted during the flow by the rules' `auth0.users.*` calls) → token issuance → trace.
public final class LoginPipeline: Sendable {
    public let store: any DataStore
    /// Where the scripts of requests from outside run.
    let baseRuntime: ScriptRuntime
    /// One runtime per level of script-started API calls (`ScriptAPIDepth`), made when first
    /// needed: a script waiting on its call never waits for a worker that scripts of its own
    /// level hold, so nested flows cannot starve each other.
    private let nestedRuntimes = Mutex<[ScriptRuntime]>([])

    deinit { nestedRuntimes.withLock { $0.forEach { $0.shutdown() } } }

    /// What the workers of every runtime of the pipeline's flows did (the base runtime and the
    /// nested ones; not debug mode's own).
    public var scriptStatistics: RuntimeStatistics {
        ([baseRuntime] + nestedRuntimes.withLock { $0 }).map(\.statistics).reduce(into: RuntimeStatistics()) { sum, s in
            sum.jobs += s.jobs
            sum.workerSeconds += s.workerSeconds
            sum.putBackSeconds += s.putBackSeconds
        }
    }

    /// The runtime for the flow at hand (see `nestedRuntimes`).
    public var runtime: ScriptRuntime {
        let depth = ScriptAPIDepth.value
        guard depth > 0 else { return baseRuntime }
        return nestedRuntimes.withLock { list in
            while list.count < depth { list.append(ScriptRuntime(configuration: baseRuntime.configuration)) }
            return list[depth - 1]
        }
    }
    public let logger: Logger
    /// The issuer given by the daemon, kept across reloads.
    let issuerOverride: String?
    /// Module folders given on the command line (`--modules`), kept across reloads.
    let modulePaths: [String]
    /// Where rules, actions and bindings saved through the Management API are kept.
    public let tenantChanges: TenantChangeTarget

    /// What a tenant revision brings; replaced whole by `reload()`.
    package struct Revision: Sendable {
        package var tenant: Tenant
        var rulesRunner: RulesRunner
        var issuer: TokenIssuer
    }
    private let revision: Mutex<Revision>

    public var tenant: Tenant { revision.withLock { $0.tenant } }
    /// One consistent revision (tenant and compiled scripts) for a whole operation.
    package var current: Revision { revision.withLock { $0 } }
    public var issuer: TokenIssuer { revision.withLock { $0.issuer } }
    public var rulesRunner: RulesRunner { revision.withLock { $0.rulesRunner } }
    /// One-time codes of passwordless connections (in the store).
    public let passwordless: PasswordlessCodes
    /// Password-reset tickets (in the store).
    public let passwordResets: PasswordResetTickets
    /// Log events and traces, written in batches (durable before a login answers).
    let records: RecordWriter
    /// Where every password hash of this pipeline is computed (logins, sign-ups, password
    /// changes, scripts' `bcrypt`): bounded threads off the cooperative pool.
    public let kdfPool: KDFPool
    /// Reloads one at a time: each loads the newest files, so a slower reload never installs an
    /// older revision over a newer one.
    private let reloading = AsyncLock()
    /// The rules' `auth0` globals (with a management token), serialized, and when to renew them.
    let auth0Globals = Mutex<(key: String, json: String, expires: Double)?>(nil)
    /// What `require('auth0')` calls (`attach(api:)`).
    let tenantAPI = Mutex<(any TenantAPI)?>(nil)

    /// Protocols where a redirect cannot happen: a rule asking for one fails the login.
    static let nonInteractiveProtocols: Set<String> = [
        "oauth2-resource-owner", "oauth2-password", "oauth2-refresh-token", "oauth2-device-code", "delegation", "oauth2-token-exchange",
    ]

    public init(tenant: Tenant, store: any DataStore, runtime: ScriptRuntime, keys: SigningKeys, logger: Logger = Logger(label: "authsim.pipeline"), issuerOverride: String? = nil,
        modulePaths: [String] = [], tenantChanges: TenantChangeTarget = .directory, kdfPool: KDFPool = .shared, reportNotices: Bool = true
    ) {
        self.store = store
        self.kdfPool = kdfPool
        self.tenantChanges = tenantChanges
        records = RecordWriter(store: store)
        passwordless = PasswordlessCodes(store: store)
        passwordResets = PasswordResetTickets(store: store)
        self.modulePaths = modulePaths
        self.baseRuntime = runtime
        self.logger = logger
        self.issuerOverride = issuerOverride
        self.revision = Mutex(Revision(tenant: tenant, rulesRunner: RulesRunner(tenant: tenant, modulePaths: modulePaths), issuer: TokenIssuer(settings: tenant.settings, keys: keys)))
        if reportNotices { Self.report(tenant.notices, logger) }
    }

    /// What the loader skipped, once per loaded revision.
    static func report(_ notices: [TenantNotice], _ logger: Logger) {
        for n in notices { logger.warning("tenant: \(n.message)", metadata: ["file": .string(n.file)]) }
    }

    /// Reloads the tenant directory. The new revision replaces the current one only when it
    /// loads and every rule compiles; otherwise the last good revision keeps serving and the
    /// error (file and line) is thrown. Returns whether anything changed.
    @discardableResult
    public func reload() async throws -> Bool {
        await reloading.acquire()
        do {
            let changed = try await reloadNow()
            await reloading.release()
            return changed
        } catch {
            await reloading.release()
            throw error
        }
    }

    private func reloadNow() async throws -> Bool {
        let current = revision.withLock { $0 }
        var fresh = try await Self.loadTenant(directory: current.tenant.directory, store: store, changes: tenantChanges)
        if let issuerOverride { fresh.settings.issuer = issuerOverride }
        guard fresh.revision != current.tenant.revision else { return false }
        let runner = RulesRunner(tenant: fresh, modulePaths: modulePaths)
        try await runner.validate(on: runtime)
        try await LoginPipeline.seed(store: store, tenant: fresh)
        let next = Revision(tenant: fresh, rulesRunner: runner, issuer: TokenIssuer(settings: fresh.settings, keys: current.issuer.keys))
        revision.withLock { $0 = next }
        auth0Globals.withLock { $0 = nil }
        logger.info("tenant reloaded", metadata: ["revision": .string(fresh.revision), "rules": .string(String(runner.rules.count))])
        Self.report(fresh.notices, logger)
        return true
    }

    /// Signs with the store's current key when `authsim keys rotate` (this or another process)
    /// made a new one; returns whether the keys changed. The previous key stays in the JWKS.
    @discardableResult
    public func reloadKeys() async throws -> Bool {
        let stored = try await store.signingKeys()
        guard let kid = stored.first(where: { $0.status == "current" })?.kid, kid != issuer.keys.current.kid else { return false }
        let keys = try await SigningKeys.load(from: store)
        await reloading.acquire()
        revision.withLock { $0.issuer = TokenIssuer(settings: $0.tenant.settings, keys: keys) }
        await reloading.release()
        logger.info("signing keys reloaded from the store", metadata: ["kid": .string(keys.current.kid)])
        return true
    }

    /// The tenant directory, with the store's run-time changes laid over it when the store keeps them.
    static func loadTenant(directory: String, store: any DataStore, changes: TenantChangeTarget) async throws -> Tenant {
        switch changes {
        case .directory: return try TenantLoader.load(directory: directory)
        case .store: return try TenantLoader.load(directory: directory, overlay: try await store.tenantChanges().files)
        }
    }

    /// Compiles the current revision's scripts on a worker now, so its context exists before the
    /// first login (debug mode attaches to it and sets the breakpoints first).
    public func prepareScripts() async throws {
        try await current.rulesRunner.validate(on: runtime)
    }

    /// A pipeline on this one's current tenant revision, store, signing keys and in-process API
    /// whose scripts run on `runtime` (debug mode: a login of its own on an inspectable runtime,
    /// so breakpoints never stop the daemon's other logins).
    public func sibling(runtime: ScriptRuntime) -> LoginPipeline {
        let rev = current
        let other = LoginPipeline(
            tenant: rev.tenant, store: store, runtime: runtime, keys: rev.issuer.keys, logger: logger, issuerOverride: issuerOverride,
            modulePaths: modulePaths, tenantChanges: tenantChanges, kdfPool: kdfPool, reportNotices: false)
        if let api = tenantAPI.withLock({ $0 }) { other.attach(api: api) }
        return other
    }

    /// Loads the tenant with `overlay` laid over the directory and compiles its scripts, without
    /// serving it: a change is checked before the store keeps it.
    package func check(overlay: [String: String?]) async throws {
        let candidate = try TenantLoader.load(directory: tenant.directory, overlay: overlay)
        try await RulesRunner(tenant: candidate, modulePaths: modulePaths).validate(on: runtime)
    }

    /// Opens everything a pipeline needs for a tenant directory: the store (seeded from
    /// `users/*.json` once per file content), the signing keys and a runtime.
    /// `issuer` overrides the tenant's issuer (the daemon uses its own URL).
    public static func open(
        tenantDirectory: String, storePath: String, runtime: ScriptRuntime, issuer: String? = nil, modulePaths: [String] = [],
        logger: Logger = Logger(label: "authsim.pipeline")
    ) async throws -> LoginPipeline {
        try await open(
            tenantDirectory: tenantDirectory, store: try SQLiteUserStore(path: storePath), runtime: runtime, issuer: issuer, modulePaths: modulePaths, logger: logger)
    }

    /// The same over any store (the daemon's `--store postgres://…`).
    /// `tenantChanges`: where the Management API keeps the rules, actions and bindings it saves
    /// (the store, for several daemons sharing one; else the tenant directory's files).
    public static func open(
        tenantDirectory: String, store: any DataStore, runtime: ScriptRuntime, issuer: String? = nil, modulePaths: [String] = [],
        tenantChanges: TenantChangeTarget = .directory, logger: Logger = Logger(label: "authsim.pipeline")
    ) async throws -> LoginPipeline {
        var tenant = try await loadTenant(directory: tenantDirectory, store: store, changes: tenantChanges)
        if let issuer { tenant.settings.issuer = issuer }
        try await seed(store: store, tenant: tenant)
        let keys = try await SigningKeys.load(from: store)
        return LoginPipeline(
            tenant: tenant, store: store, runtime: runtime, keys: keys, logger: logger, issuerOverride: issuer, modulePaths: modulePaths,
            tenantChanges: tenantChanges)
    }

    /// Imports each seed file once per content revision; users already present are kept.
    public static func seed(store: any DataStore, tenant: Tenant) async throws {
        for (connection, path) in tenant.seedUserFiles {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            var h = FNV1a()
            h.add(text)
            let key = "seed:\(connection):\(h.hex)"
            if try await store.metaValue(key) != nil { continue }
            let doc: JSONValue
            do { doc = try JSONValue.parse(text) } catch {
                throw TenantError(file: "users/\(connection).json", line: error.line, message: "invalid JSON: \(error.message)")
            }
            _ = await store.importUsers(doc, connection: connection)
            try await store.setMetaValue(key, String(Timestamp.now()))
        }
    }

    // MARK: - The flow

    public var defaultConnectionName: String { Self.defaultConnection(in: tenant) }

    /// The connection of logins that name none: the tenant's default directory, else its first database.
    static func defaultConnection(in tenant: Tenant) -> String {
        tenant.settings.defaultDirectory ?? tenant.connections.first(where: \.isDatabase)?.name ?? TenantLoader.defaultDatabaseConnection
    }

    /// The client a request names in `tenant` (the flow's revision's), or its first.
    func resolveClient(_ name: String?, in tenant: Tenant) throws(PipelineError) -> Client {
        guard let name else { return tenant.clients[0] }
        guard let c = tenant.client(named: name) else { throw .unknownClient(name, known: tenant.clients.map(\.name)) }
        return c
    }

    func resolveConnection(_ name: String, in tenant: Tenant) throws(PipelineError) -> Connection {
        if let c = tenant.connection(named: name) { return c }
        throw .unknownConnection(name, known: tenant.connections.map(\.name))
    }

    func findUser(_ ref: String, connection: String?) async throws(PipelineError) -> UserProfile {
        do {
            if let u = try await store.user(reference: ref, connection: connection) { return u }
        } catch {
            throw .store(String(describing: error))
        }
        throw .userNotFound(ref)
    }

    /// A login from an SSO session (silent authentication): rules run, the login count does not move.
    /// `countLogin`: a login whose credentials were checked before it paused (an organization
    /// picked after them) counts as the login it is.
    /// `connection`: the one the user authenticated at, when it is not the user's own (a linked
    /// identity's).
    public func silentLogin(userId: String, request: SimulationRequest, countLogin: Bool = false, connection name: String? = nil) async throws(PipelineError) -> SimulationResult {
        let started = monotonicSeconds()
        let user = try await findUser(userId, connection: nil)
        var request = request
        request.user = .stored(userId)
        let rev = current
        let client = try resolveClient(request.client, in: rev.tenant)
        let connection = try resolveConnection(name ?? user.connection, in: rev.tenant)
        return try await run(revision: rev, user: user, stored: true, client: client, connection: connection, request: request, started: started, countLogin: countLogin)
    }

    /// A refresh-token exchange: the same rules with `protocol = oauth2-refresh-token`; the login
    /// count does not change. `client` (authenticated by the caller) is looked up again in the
    /// flow's revision, so the flow sees that revision's settings of it.
    /// The flow of a refresh-token exchange (`oauth2-refresh-token`): `refreshToken` is
    /// `event.refresh_token`, `session` the login session the token belongs to, if it lives.
    public func refresh(
        userId: String, client: Client, audience: String?, scope: String, ip: String?, userAgent: String? = nil, refreshToken: JSONValue? = nil,
        session: LoginSession? = nil, sessionID: String? = nil, organization: String? = nil
    ) async throws(PipelineError) -> SimulationResult {
        let started = monotonicSeconds()
        let user = try await findUser(userId, connection: nil)
        var request = SimulationRequest(user: .stored(userId))
        request.protocolName = "oauth2-refresh-token"
        request.audience = audience
        request.scope = scope
        request.ip = ip
        request.userAgent = userAgent
        request.refreshToken = refreshToken
        request.session = session
        request.sessionID = sessionID
        request.organization = organization
        let rev = current
        guard let client = rev.tenant.clients.first(where: { $0.clientId == client.clientId }) else {
            throw .unknownClient(client.name, known: rev.tenant.clients.map(\.name))
        }
        let connection = try resolveConnection(user.connection, in: rev.tenant)
        return try await run(revision: rev, user: user, stored: true, client: client, connection: connection, request: request, started: started, countLogin: false)
    }

    /// The flow of one login on `revision` (the one its client and connection were resolved
    /// from). `prelude`: trace entries of what ran before the flow (a custom database's scripts).
    func run(
        revision: Revision, user initial: UserProfile, stored: Bool, client: Client, connection: Connection, request: SimulationRequest, started: Double,
        signTokens: Bool = true, countLogin: Bool = true, prelude: [JSONValue] = []
    ) async throws(PipelineError) -> SimulationResult {
        let login = LoginContext(revision: revision, client: client, connection: connection, request: request, user: initial, stored: stored, started: started)
        let traceId = login.traceId
        var result = try await runFlow(login, signTokens: signTokens, countLogin: countLogin)
        if !prelude.isEmpty { result.trace = prelude + result.trace }
        Counter(label: "authsim_logins_total", dimensions: [("outcome", result.outcome.rawValue)]).increment()
        for entry in result.trace {
            if let name = entry["name"]?.stringValue, let ms = entry["durationMs"]?.doubleValue {
                Timer(label: "authsim_rule_duration_seconds", dimensions: [("rule", name)]).recordNanoseconds(Int64(ms * 1_000_000))
            }
        }
        // Real (signed) tokens refer to their trace by jti: it is kept, with the login's log
        // events, so they can be explained later.
        if signTokens {
            let events = loginEvents(result, client: client, request: request)
            let trace = traceRecord(id: traceId, userId: result.user["user_id"]?.stringValue, clientId: client.clientId, document: result.json)
            result.serializedJSON = trace.whole
            do { try await records.write(events.map(LoginRecord.log) + [trace.record], logCapacity: revision.tenant.settings.logCapacity) } catch {
                logger.error("could not store trace \(traceId) and \(events.count) log event(s): \(error)")
            }
        }
        return result
    }

    /// Appends a tenant log event; a failure to log never fails the caller.
    public func log(_ event: TenantLogEvent) async {
        do { try await records.write([.log(event)], logCapacity: tenant.settings.logCapacity) } catch {
            logger.error("could not write log event \(event.type): \(error)")
        }
    }

    /// `s` or `f` for a login, and a `depnote` per dropped claim.
    func loginEvents(_ result: SimulationResult, client: Client, request: SimulationRequest) -> [TenantLogEvent] {
        let userId = result.user["user_id"]?.stringValue
        let userName = result.user["email"]?.stringValue ?? result.user["username"]?.stringValue
        func event(_ type: String, _ description: String, details: JSONValue? = nil) -> TenantLogEvent {
            TenantLogEvent(
                type: type, description: description, clientId: client.clientId, clientName: client.name, connection: result.connection,
                userId: userId, userName: userName, ip: request.ip ?? "127.0.0.1", userAgent: request.userAgent,
                details: details ?? ["protocol": .string(result.protocolName), "traceId": .string(result.traceId)])
        }
        var events: [TenantLogEvent] = []
        switch result.outcome {
        case .allowed: events.append(event("s", "Success Login"))
        case .denied, .error: events.append(event("f", result.error?.description ?? "Login failed"))
        case .redirect: break
        }
        for d in result.droppedClaims {
            events.append(event("depnote", "Custom claim '\(d.claim)' was dropped from the \(d.token.rawValue): \(d.reason)", details: d.json))
        }
        return events
    }

    private func runFlow(_ login: LoginContext, signTokens: Bool, countLogin: Bool) async throws(PipelineError) -> SimulationResult {
        var login = login
        let (client, connection, request, stored) = (login.client, login.connection, login.request, login.stored)
        let (protocolName, now, ip, started, traceId) = (login.protocolName, login.now, login.ip, login.started, login.traceId)
        let rev = login.revision
        let tenant = rev.tenant
        // What the scripts asked of the session and the refresh token (`api.session`, `api.refreshToken`).
        var lifetimes: JSONValue?
        func finish(_ outcome: SimulationResult.Outcome, _ error: FlowError?, user: UserProfile, trace: [JSONValue] = [], warnings: [String] = [],
                    tokens: TokenIssuer.Issued? = nil, multifactor: JSONValue? = nil, redirect: JSONValue? = nil,
                    sources: (id: [String: String], access: [String: String]) = ([:], [:])) -> SimulationResult {
            var trace = trace
            if let dropped = tokens?.dropped, !dropped.isEmpty {
                for i in trace.indices {
                    guard case .object(var entry) = trace[i], let name = entry["name"]?.stringValue else { continue }
                    let mine = dropped.filter { $0.setBy == name }
                    if !mine.isEmpty {
                        entry["droppedClaims"] = .array(mine.map(\.json))
                        trace[i] = .object(entry)
                    }
                }
            }
            var result = SimulationResult(
                outcome: outcome, error: error, user: user.json, idToken: tokens?.idToken, accessToken: tokens?.accessToken,
                multifactor: multifactor, redirect: redirect, persistedAppMetadata: user.appMetadata, persistedUserMetadata: user.userMetadata,
                metadataStored: stored, droppedClaims: tokens?.dropped ?? [], trace: trace, warnings: warnings, client: client.name,
                connection: connection.name, protocolName: protocolName, durationMs: (monotonicSeconds() - started) * 1000,
                traceId: traceId)
            result.organization = login.organization?.id
            result.sessionChanges = LifetimeChanges(lifetimes?["session"])
            result.refreshTokenChanges = LifetimeChanges(lifetimes?["refreshToken"])
            if let tokens {
                let idClaims = tokens.idToken.claims.objectValue ?? [:]
                let atClaims = tokens.accessToken.claims.objectValue ?? [:]
                result.claimSources = (sources.id.filter { idClaims[$0.key] != nil }, sources.access.filter { atClaims[$0.key] != nil })
            }
            logger.info(
                "login \(outcome.rawValue)",
                metadata: ["user_id": .string(user.userId), "client": .string(client.name), "protocol": .string(protocolName), "error": .string(error?.description ?? "")])
            return result
        }

        if login.user.blocked {
            return finish(.denied, .userBlocked, user: login.user)
        }

        // An organization login: the organization, its connection and the membership are
        // checked (an invitation accepted) before the login counts and the scripts run.
        var organizationRoles: [String]?
        switch (client.organizationUsage, request.organization) {
        case ("require", nil) where request.organizationPrompt && stored:
            // post_login_prompt: the user picks one of their organizations, then the login
            // starts again in it (`silentLogin(…, countLogin: true)`).
            let choice: [Organization]
            do { choice = try await organizations(userId: login.user.userId).filter { $0.connection(connection.name) != nil } } catch {
                throw .store(String(describing: error))
            }
            guard !choice.isEmpty else {
                return finish(.denied, FlowError("access_denied", "user '\(login.user.userId)' is not part of any organization that uses the connection \(connection.name)"), user: login.user)
            }
            var result = finish(.redirect, nil, user: login.user)
            result.organizationChoice = choice
            return result
        case ("require", nil):
            return finish(.denied, FlowError("invalid_request", "parameter organization must be provided: \(client.name) requires an organization"), user: login.user)
        case ("deny", _?):
            return finish(.denied, FlowError("invalid_request", "parameter organization is not allowed for \(client.name)"), user: login.user)
        default: break
        }
        if let ref = request.organization {
            let entered: Result<(Organization, roles: [String], user: UserProfile), OrganizationRefusal>
            do {
                entered = try await enterOrganization(
                    ref, invitation: request.invitation, user: login.user, stored: stored, connection: connection, in: tenant, assign: countLogin)
            } catch { throw .store(String(describing: error)) }
            switch entered {
            case .success(let (org, roles, user)):
                login.organization = org
                organizationRoles = roles
                login.user = user
            case .failure(let refusal):
                return finish(.denied, FlowError(refusal.error, refusal.description), user: login.user)
            }
        }

        // Login stats reflect this login before rules see the user.
        do {
            if stored {
                if countLogin {
                    (login.user, login.roles) = try await store.recordLoginWithRoles(id: login.user.userId, ip: ip, at: now)
                } else {
                    login.roles = try await store.roles(userId: login.user.userId)
                }
            } else {
                login.user.loginsCount += 1
                login.user.lastLogin = now
                login.user.lastIP = ip
                login.roles = request.roles ?? []
            }
        } catch { throw .store(String(describing: error)) }
        // In an organization, the roles are those the member has in it (Auth0: tenant-wide
        // assignments do not apply); an inline user keeps the simulation's roles.
        if let organizationRoles, stored { login.roles = organizationRoles }
        let user = login.user
        let environment = flowEnvironment(rev, inlineUser: stored ? nil : user, canned: request.cannedResponses)
        let canRedirect = !(LoginPipeline.nonInteractiveProtocols.contains(protocolName) || request.prompt == "none")
        let runsActions = request.actions.map { !$0.isEmpty } ?? !rev.rulesRunner.postLoginActions.isEmpty
        if runsActions {
            // `event.user.enrolledFactors`: the user's confirmed factors (read only for a user the
            // profile says is enrolled: no store read on other logins), or a simulation's choice.
            if request.mfaOutcome != .notEnrolled, stored, user.multifactor.contains("guardian") {
                login.enrolledFactors = await enrolledFactors(userId: user.userId)
            }
            if request.mfaOutcome == .pass, login.enrolledFactors.isEmpty { login.enrolledFactors = [["type": "otp"]] }
        }
        let inputs = RulesRunner.FlowInputs(
            auth0JSON: auth0GlobalsJSON(rev), selection: RulesRunner.Selection(rules: request.rules, actions: request.actions),
            event: runsActions ? actionEvent(login) : nil,
            canRedirect: canRedirect, resume: request.resume, now: request.now, domain: tenant.settings.domain,
            grantedScopes: TokenIssuer.grantedScopes(login.scopes, resourceServer: login.resourceServer))
        let outcome = try await rev.rulesRunner.run(
            user: scriptUser(user), context: scriptContext(login),
            inputs: inputs, environment: environment, runtime: runtime)
        lifetimes = outcome.lifetimes

        // The stored (or in-memory) state after the rules' writes: read again only when a script
        // wrote to the store or called out (the Management API over HTTP).
        var after = user
        do {
            if stored {
                if environment.storeWrites > 0 || outcome.calledOut, let fresh = try await store.user(id: user.userId) { after = fresh }
            } else if let inline = environment.inlineUser {
                after = inline
            }
        } catch { throw .store(String(describing: error)) }

        switch outcome.decision {
        case .allowed: break
        case .denied: return finish(.denied, outcome.error, user: after, trace: outcome.trace, warnings: outcome.warnings)
        case .error: return finish(.error, outcome.error, user: after, trace: outcome.trace, warnings: outcome.warnings)
        }

        // An action asked for a second factor (`api.authentication.challengeWith…`): the flow
        // pauses after it, in every protocol (a grant answers `mfa_required`), and resumes in
        // that action's `onContinuePostLogin` once the factor was passed.
        if let redirect = outcome.redirect, redirect["mfa"] != nil, let requirement = MFARequirement(multifactor: nil, pause: redirect) {
            if request.mfaOutcome == .fail {
                return finish(.denied, FlowError("access_denied", "the user failed the second-factor challenge (simulated: \"mfa\": \"fail\")"), user: after, trace: outcome.trace, warnings: outcome.warnings)
            }
            var result = finish(.redirect, nil, user: after, trace: outcome.trace, warnings: outcome.warnings, multifactor: outcome.multifactor, redirect: redirect)
            result.resume = outcome.resume
            result.mfa = requirement
            return result
        }
        if let redirect = outcome.redirect, redirect["url"]?.stringValue != nil {
            let asker = redirect["action"]?.stringValue.map { "action '\($0)'" } ?? "a rule"
            if !canRedirect {
                return finish(.denied, FlowError("interaction_required", "\(asker) asked for a redirect, which is impossible in a \(request.prompt == "none" ? "prompt=none" : protocolName) flow"), user: after, trace: outcome.trace, warnings: outcome.warnings, redirect: redirect)
            }
            var result = finish(.redirect, nil, user: after, trace: outcome.trace, warnings: outcome.warnings, multifactor: outcome.multifactor, redirect: redirect)
            result.resume = outcome.resume
            return result
        }

        // Account linking: tokens for another user.
        var subject = after
        if let primary = outcome.primaryUser, primary != after.userId {
            do {
                guard let p = try await store.user(id: primary) else {
                    return finish(.error, FlowError("server_error", "context.primaryUser '\(primary)' does not exist"), user: after, trace: outcome.trace, warnings: outcome.warnings)
                }
                // As Auth0: tokens for another user only once the user who logged in is one of its identities.
                guard p.identities.contains(where: { "\($0.provider)|\($0.userId)" == after.userId }) else {
                    return finish(
                        .error,
                        FlowError(
                            "server_error",
                            "the primary user '\(primary)' is not linked with the user who logged in ('\(after.userId)'): link the accounts first (POST /api/v2/users/{primary}/identities), then set the primary user"),
                        user: after, trace: outcome.trace, warnings: outcome.warnings)
                }
                subject = p
                // The tokens' organization must be the primary user's too.
                if let org = login.organization, stored, try await member(organization: org.id, userId: p.userId) == nil {
                    return finish(
                        .denied, FlowError("access_denied", "the primary user '\(p.userId)' is not part of the '\(org.id)' organization"), user: after,
                        trace: outcome.trace, warnings: outcome.warnings)
                }
            } catch { throw .store(String(describing: error)) }
        }

        var permissions: [String]?
        if let rs = login.resourceServer, rs.enforcePolicies, rs.tokenDialect.hasSuffix("_authz") {
            permissions = Array(Set(tenant.roles.filter { login.roles.contains($0.name) }.flatMap { $0.permissions.filter { $0.resourceServer == rs.identifier }.map(\.permission) })).sorted()
        }
        let scopeOverride = outcome.accessToken["scope"].flatMap { v -> [String]? in
            if let a = v.arrayValue { return a.compactMap(\.stringValue) }
            return v.stringValue.map { $0.split(separator: " ").map(String.init) }
        }
        // A second factor the scripts asked for at the end (Rules `context.multifactor`, Actions
        // `api.multifactor.enable`): passed already in this login or its session, passed or
        // failed by a simulation's choice, or still to come (the tokens wait for it).
        var mfaPassedAt = login.mfaPassedAt
        var pendingMFA: MFARequirement?
        if mfaPassedAt == nil, let requirement = MFARequirement(multifactor: outcome.multifactor, pause: nil) {
            switch request.mfaOutcome {
            case .pass?: mfaPassedAt = now
            case .fail?:
                return finish(.denied, FlowError("access_denied", "the user failed the second-factor challenge (simulated: \"mfa\": \"fail\")"), user: after, trace: outcome.trace, warnings: outcome.warnings)
            case .notEnrolled?, nil: pendingMFA = requirement
            }
        }
        let tokens: TokenIssuer.Issued
        do {
            tokens = try rev.issuer.issue(
                TokenIssuer.Request(
                    user: subject, client: client, audience: login.audience, resourceServer: login.resourceServer, scopes: login.scopes,
                    scopeOverride: scopeOverride, customIdClaims: outcome.idToken, customAccessClaims: outcome.accessToken,
                    sources: outcome.claimSources, nonce: request.nonce, sessionID: login.sessionID, authTime: login.authenticatedAt, permissions: permissions, now: now,
                    sign: signTokens, jti: traceId, simulated: request.simulated, amr: mfaPassedAt == nil ? nil : ["mfa"],
                    organization: login.organization.map { ($0.id, tenant.organizationNamesInTokens ? $0.name : nil) }))
        } catch {
            return finish(.error, FlowError(error.code, error.description), user: after, trace: outcome.trace, warnings: outcome.warnings)
        }
        for d in tokens.dropped {
            logger.warning("dropped claim", metadata: ["claim": .string(d.claim), "token": .string(d.token.rawValue), "rule": .string(d.setBy ?? "?"), "reason": .string(d.reason)])
        }
        var result = finish(.allowed, nil, user: after, trace: outcome.trace, warnings: outcome.warnings, tokens: tokens, multifactor: outcome.multifactor, sources: outcome.claimSources)
        result.mfa = pendingMFA
        return result
    }
}

/// Where the Management API keeps the rules, actions and trigger bindings it saves.
public enum TenantChangeTarget: String, Sendable, CaseIterable {
    /// Files in the tenant directory (deploy-cli layout), to commit with the rest of the tenant.
    case directory
    /// The store, laid over the directory's files: every daemon on a shared store sees them.
    case store
}

package func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

