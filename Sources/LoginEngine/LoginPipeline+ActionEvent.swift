import Directory
import JSONCore
import NodeCompat
import Tenant

extension LoginPipeline {
    /// The post-login `event` (spec/actions.md) for the same login the rules' `context` describes.
    /// Secrets are added per action in the job, never here.
    func actionEvent(_ login: LoginContext) -> JSONValue {
        let (user, client, connection, request, tenant) = (login.user, login.client, login.connection, login.request, login.tenant)
        let (protocolName, ip, roles, sessionID, scopes, audience) = (login.protocolName, login.ip, login.roles, login.sessionID, login.scopes, login.audience)
        guard case .object(var u) = user.json else { return .null }
        for k in ["logins_count", "last_login", "last_ip"] { u.removeValue(forKey: k) }
        u["app_metadata"] = .object(user.appMetadata)
        u["user_metadata"] = .object(user.userMetadata)
        u["enrolledFactors"] = .array(login.enrolledFactors)

        let query = request.query
        // The transaction is the /authorize request's, also when a /continue resumes it.
        let tx = request.authorizeParameters ?? query
        func list(_ k: String) -> JSONValue {
            .array((tx[k]?.stringValue ?? "").split(separator: " ").map { .string(String($0)) })
        }
        var req: [String: JSONValue] = [
            "ip": .string(ip), "hostname": .string(request.hostname ?? tenant.settings.domain),
            "method": LoginPipeline.nonInteractiveProtocols.contains(protocolName) ? "POST" : "GET",
            "query": .object(query), "language": .string(query["ui_locales"]?.stringValue ?? "en"),
            "user_agent": .string(request.userAgent ?? "authsim/1.0"), "geoip": LoginPipeline.eventGeoip(request.geoip ?? tenant.geoip[ip] ?? tenant.geoip["default"]),
        ]
        if let body = request.body { req["body"] = .object(body) }
        var transaction: [String: JSONValue] = [
            "id": .string(login.traceId), "protocol": .string(protocolName), "locale": .string((tx["ui_locales"]?.stringValue ?? "").split(separator: " ").first.map(String.init) ?? "en"),
            "requested_scopes": .array(scopes.map(JSONValue.string)), "acr_values": list("acr_values"), "prompt": list("prompt"),
            "response_type": list("response_type"), "ui_locales": list("ui_locales"), "metadata": [:],
        ]
        for k in ["redirect_uri", "response_mode", "state", "login_hint"] { if let v = tx[k] { transaction[k] = v } }
        let method: JSONValue = connection.isDatabase ? "pwd" : "federated"
        var event: [String: JSONValue] = [
            "user": .object(u),
            "client": LoginPipeline.eventJSON(client), "connection": LoginPipeline.eventJSON(connection),
            "request": .object(req),
            "authentication": [
                "methods": .array(login.authenticationMethods(first: method.stringValue ?? "pwd").map { ["name": .string($0.name), "timestamp": .string(Timestamp.format($0.at))] }),
                "riskAssessment": request.context["riskAssessment"] ?? .null,
            ],
            "authorization": ["roles": .array(roles.map(JSONValue.string))],
            "stats": ["logins_count": .number(Double(user.loginsCount))],
            "tenant": ["id": .string(tenant.name)],
            "transaction": .object(transaction),
            "session": session(request.session, login: login, method: method) ?? ["id": .string(sessionID)],
        ]
        if let refreshToken = request.refreshToken { event["refresh_token"] = refreshToken }
        if let audience { event["resource_server"] = ["identifier": .string(audience)] }
        if let org = request.context["organization"] ?? login.organization?.scriptJSON { event["organization"] = org }
        return .object(event)
    }

    /// `event.session`: the browser's session; one this login is creating is the user's, made
    /// by this login's method.
    func session(_ session: LoginSession?, login: LoginContext, method: JSONValue) -> JSONValue? {
        guard var s = session else { return nil }
        if s.userId.isEmpty {
            s.userId = login.user.userId
            s.connection = login.connection.name
            s.methods = [LoginSession.Method(name: method.stringValue ?? "pwd", timestamp: login.now)]
        }
        return s.json
    }

    /// `event.client` of every trigger.
    static func eventJSON(_ client: Client) -> JSONValue {
        ["client_id": .string(client.clientId), "name": .string(client.name), "metadata": .object(client.clientMetadata.mapValues(JSONValue.string))]
    }

    /// `event.connection` of every trigger.
    static func eventJSON(_ connection: Connection) -> JSONValue {
        [
            "id": .string(connection.id), "name": .string(connection.name), "strategy": .string(connection.strategy),
            "metadata": .object(connection.metadata.mapValues(JSONValue.string)),
        ]
    }

    /// Actions see geo-IP keys in camelCase (`country_code` → `countryCode`).
    static func eventGeoip(_ record: JSONValue?) -> JSONValue {
        var geo: [String: JSONValue] = [:]
        for (k, v) in record?.objectValue ?? [:] { geo[camelCase(k)] = v }
        return .object(geo)
    }

    /// The job environment of a flow or trigger on `rev`: the tenant's allow-list, and a test's canned answers.
    func flowEnvironment(_ rev: Revision, inlineUser: UserProfile? = nil, canned: [CannedResponse]? = nil) -> FlowEnvironment {
        FlowEnvironment(
            store: store, inlineUser: inlineUser, outboundPolicy: OutboundPolicy(allowedHosts: rev.tenant.settings.allowedOutboundHosts), cannedResponses: canned,
            legacyDatabase: LegacyDatabase(tenantDirectory: rev.tenant.directory), kdfPool: kdfPool, hashWaitLimit: rev.rulesRunner.timeout,
            tenantAPI: tenantAPI.withLock { $0 }, managementAudience: rev.tenant.settings.managementAudience)
    }

    static func camelCase(_ snake: String) -> String {
        var out = ""
        var upper = false
        for ch in snake {
            if ch == "_" { upper = true; continue }
            out.append(upper ? Character(ch.uppercased()) : ch)
            upper = false
        }
        return out
    }
}

extension LoginPipeline {
    /// Runs the `credentials-exchange` hook and actions for a client-credentials grant: the
    /// hook's claims and scope first, then the actions' (an action's claim wins).
    public func credentialsExchange(client: Client, audience: String, scopes: [String], ip: String?, userAgent: String?) async throws(PipelineError) -> RulesRunner.TriggerOutcome {
        let rev = current
        let tenant = rev.tenant
        let bound = tenant.boundActions("credentials-exchange")
        let ip = ip ?? "127.0.0.1"
        let hook = await credentialsExchangeHook(client: client, audience: audience, scopes: scopes, ip: ip, revision: rev)
        var outcome = RulesRunner.TriggerOutcome.none
        outcome.trace = hook.trace
        if let (status, error) = hook.denied {
            outcome.denied = error
            outcome.deniedStatus = status
            return outcome
        }
        outcome.scope = hook.scope
        outcome.accessTokenClaims = hook.claims
        let hookName = tenant.activeHook("credentials-exchange")?.name ?? "hook"
        outcome.claimSources = hook.claims.mapValues { _ in hookName }
        guard !bound.isEmpty else { return outcome }
        let event: JSONValue = [
            "client": LoginPipeline.eventJSON(client),
            "resource_server": ["identifier": .string(audience)],
            "request": [
                "ip": .string(ip), "hostname": .string(tenant.settings.domain), "method": "POST", "user_agent": .string(userAgent ?? ""),
                "geoip": LoginPipeline.eventGeoip(tenant.geoip[ip] ?? tenant.geoip["default"]), "language": "en",
            ],
            "transaction": ["requested_scopes": .array((hook.scope ?? scopes).map(JSONValue.string))],
            "tenant": ["id": .string(tenant.name)],
        ]
        let actions = try await rev.rulesRunner.runTrigger("credentials-exchange", event: event, actions: bound, environment: flowEnvironment(rev), runtime: runtime)
        logger.info("credentials-exchange actions ran", metadata: ["client": .string(client.name), "actions": .string(bound.map(\.name).joined(separator: ","))])
        outcome.denied = actions.denied
        outcome.trace += actions.trace
        outcome.accessTokenClaims.merge(actions.accessTokenClaims) { _, b in b }
        outcome.claimSources.merge(actions.claimSources) { _, b in b }
        return outcome
    }
}
