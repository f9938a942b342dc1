import Directory
import Foundation
import JSONCore
import Tenant

/// Why a Custom Token Exchange was refused, as `/oauth/token` answers it.
public struct TokenExchangeError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var error: String
    public var description: String
}

/// Custom Token Exchange (RFC 8693 with Auth0's profiles): the token-exchange grant names a
/// `subject_token_type`; its profile's custom-token-exchange action validates the subject token
/// and sets the user (by id, or by connection with attributes, created or updated as it asks);
/// then the login flow runs for that user as for any login (`protocol` `oauth2-token-exchange`).
extension LoginPipeline {
    public struct TokenExchangeRequest: Sendable {
        public var subjectToken: String
        public var subjectTokenType: String
        public var audience: String?
        public var scope: String
        public var ip: String
        public var userAgent: String?
        /// The token request's parameters (without secrets): `event.request.body`.
        public var body: [String: JSONValue]

        public init(subjectToken: String, subjectTokenType: String, audience: String?, scope: String, ip: String, userAgent: String?, body: [String: JSONValue]) {
            self.subjectToken = subjectToken
            self.subjectTokenType = subjectTokenType
            self.audience = audience
            self.scope = scope
            self.ip = ip
            self.userAgent = userAgent
            self.body = body
        }
    }

    /// Runs the exchange; the login's result (its tokens, or why the flow refused). Logs
    /// `secte` or `fecte`.
    public func customTokenExchange(client: Client, _ r: TokenExchangeRequest) async throws(TokenExchangeError) -> SimulationResult {
        let started = monotonicSeconds()
        let rev = current
        let tenant = rev.tenant
        func refuse(_ status: Int, _ error: String, _ description: String, trace: [JSONValue] = [], userId: String? = nil) async -> TokenExchangeError {
            var details: [String: JSONValue] = ["subject_token_type": .string(r.subjectTokenType)]
            if !trace.isEmpty {
                let id = randomHexID()
                try? await storeTrace(
                    id: id, userId: userId, clientId: client.clientId,
                    document: ["trigger": "custom-token-exchange", "subject_token_type": .string(r.subjectTokenType), "trace": .array(trace)])
                details["traceId"] = .string(id)
            }
            await log(TenantLogEvent(
                type: "fecte", description: description, clientId: client.clientId, clientName: client.name, userId: userId, ip: r.ip, userAgent: r.userAgent,
                details: .object(details)))
            return TokenExchangeError(status: status, error: error, description: description)
        }
        guard let client = tenant.clients.first(where: { $0.clientId == client.clientId }) else {
            throw await refuse(401, "invalid_client", "Unknown client")
        }
        let allowed = client.raw["token_exchange"]?["allow_any_profile_of_type"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard allowed.contains("custom_authentication") else {
            throw await refuse(
                400, "invalid_request", "Custom Token Exchange is not enabled for this client (token_exchange.allow_any_profile_of_type lacks \"custom_authentication\")")
        }
        guard let profile = tenant.tokenExchangeProfiles.first(where: { $0.subjectTokenType == r.subjectTokenType }),
            let action = tenant.actions.first(where: { $0.name == profile.action })
        else {
            throw await refuse(400, "invalid_request", "No token exchange profile for subject_token_type \(r.subjectTokenType)")
        }
        let throttling = tenant.settings.attackProtection.suspiciousIPThrottling
        do {
            guard try await attackProtection.ipAllowed(.preCustomTokenExchange, ip: r.ip, settings: throttling) else {
                throw await refuse(429, "too_many_attempts", Self.suspiciousIPMessage)
            }
        } catch let e as TokenExchangeError {
            throw e
        } catch {
            logger.error("could not read attack protection state: \(error)")
        }

        let audience = r.audience ?? tenant.settings.defaultAudience ?? ""
        let event: JSONValue = [
            "client": LoginPipeline.eventJSON(client),
            "request": [
                "ip": .string(r.ip), "hostname": .string(tenant.settings.domain), "method": "POST", "user_agent": .string(r.userAgent ?? ""), "language": "en",
                "body": .object(r.body), "geoip": LoginPipeline.eventGeoip(tenant.geoip[r.ip] ?? tenant.geoip["default"]),
            ],
            "resource_server": ["identifier": .string(audience)],
            "tenant": ["id": .string(tenant.name)],
            "transaction": [
                "subject_token": .string(r.subjectToken), "subject_token_type": .string(r.subjectTokenType),
                "requested_scopes": .array(r.scope.split(separator: " ").map { .string(String($0)) }),
                "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
            ],
        ]
        let outcome: RulesRunner.TriggerOutcome
        do {
            outcome = try await rev.rulesRunner.runTrigger("custom-token-exchange", event: event, actions: [action], environment: flowEnvironment(rev), runtime: runtime)
        } catch {
            throw await refuse(500, "server_error", error.description)
        }
        if let denied = outcome.denied {
            if outcome.invalidSubjectToken {
                do {
                    if try await attackProtection.recordIPAttempt(.preCustomTokenExchange, ip: r.ip, settings: throttling) {
                        await log(TenantLogEvent(
                            type: "limit_mu", description: "Blocked IP address \(r.ip): \(throttling.preCustomTokenExchange.maxAttempts) invalid subject tokens",
                            clientId: client.clientId, clientName: client.name, ip: r.ip, userAgent: r.userAgent))
                    }
                } catch {
                    logger.error("could not count the invalid subject token: \(error)")
                }
            }
            let status = denied.error == "server_error" ? 500 : 400
            throw await refuse(status, denied.error.isEmpty ? "invalid_request" : denied.error, denied.description, trace: outcome.trace)
        }
        guard let set = outcome.user else {
            throw await refuse(
                400, "invalid_request",
                "The custom-token-exchange action '\(action.name)' set no user: it must call api.authentication.setUserById or setUserByConnection",
                trace: outcome.trace)
        }
        var user: UserProfile
        let connection: Connection
        do throws(TokenExchangeError) {
            (user, connection) = try await exchangeUser(set, tenant: tenant, client: client)
        } catch {
            throw await refuse(error.status, error.error, error.description, trace: outcome.trace)
        }
        if user.blocked { throw await refuse(400, "invalid_request", "user is blocked", trace: outcome.trace, userId: user.userId) }
        // api.user.setAppMetadata / setUserMetadata: merged before the login flow sees the user.
        if !outcome.appMetadata.isEmpty || !outcome.userMetadata.isEmpty {
            let app = outcome.appMetadata, md = outcome.userMetadata
            do {
                user = try await store.update(id: user.userId) { u in
                    if !app.isEmpty { u.appMetadata = try MetadataMerge.apply(.object(app), to: u.appMetadata, kind: .app) }
                    if !md.isEmpty { u.userMetadata = try MetadataMerge.apply(.object(md), to: u.userMetadata, kind: .user) }
                }
            } catch {
                throw await refuse(400, "invalid_request", "the action's metadata could not be saved: \(error)", trace: outcome.trace, userId: user.userId)
            }
        }
        var request = SimulationRequest(user: .stored(user.userId))
        request.client = client.clientId
        request.connection = connection.name
        request.audience = r.audience
        request.scope = r.scope
        request.ip = r.ip
        request.userAgent = r.userAgent
        request.protocolName = "oauth2-token-exchange"
        request.body = r.body
        let result: SimulationResult
        do {
            result = try await run(revision: rev, user: user, stored: true, client: client, connection: connection, request: request, started: started, prelude: outcome.trace)
        } catch {
            if case .store = error { throw await refuse(500, "server_error", error.description, userId: user.userId) }
            throw await refuse(400, "invalid_request", error.description, userId: user.userId)
        }
        if result.outcome == .allowed {
            await log(TenantLogEvent(
                type: "secte", description: "Successful Custom Token Exchange", clientId: client.clientId, clientName: client.name, connection: connection.name,
                userId: user.userId, userName: user.email ?? user.username, ip: r.ip, userAgent: r.userAgent,
                details: ["subject_token_type": .string(r.subjectTokenType), "traceId": .string(result.traceId)]))
        } else {
            await log(TenantLogEvent(
                type: "fecte", description: result.error?.description ?? "login failed", clientId: client.clientId, clientName: client.name, connection: connection.name,
                userId: user.userId, ip: r.ip, userAgent: r.userAgent, details: ["subject_token_type": .string(r.subjectTokenType), "traceId": .string(result.traceId)]))
        }
        return result
    }

    /// The user an action set: an existing one by id, or at a connection by `user_attributes`
    /// (`user_id` is the user's id within the connection), created or replaced as the options say.
    func exchangeUser(_ set: JSONValue, tenant: Tenant, client: Client) async throws(TokenExchangeError) -> (UserProfile, Connection) {
        func bad(_ message: String) -> TokenExchangeError { TokenExchangeError(status: 400, error: "invalid_request", description: message) }
        func store(_ error: any Error) -> TokenExchangeError { TokenExchangeError(status: 500, error: "server_error", description: String(describing: error)) }
        if set["by"]?.stringValue == "id" {
            let id = set["user_id"]?.stringValue ?? ""
            let found: UserProfile?
            do { found = try await self.store.user(id: id) } catch { throw store(error) }
            guard let user = found else { throw bad("api.authentication.setUserById: the user \(id) does not exist") }
            guard let connection = tenant.connection(named: user.connection) else { throw bad("the user's connection \(user.connection) is not in this tenant") }
            return (user, connection)
        }
        let name = set["connection"]?.stringValue ?? ""
        guard let connection = tenant.connection(named: name) else { throw bad("api.authentication.setUserByConnection: no connection named \(name)") }
        guard !["email", "sms"].contains(connection.strategy) else { throw bad("api.authentication.setUserByConnection: passwordless connections are not supported") }
        guard !(connection.usesCustomScripts && connection.importMode) else {
            throw bad("api.authentication.setUserByConnection: \(name) is a custom database in import mode; use api.authentication.setUserById")
        }
        guard case .object(var attributes)? = set["attributes"] else { throw bad("api.authentication.setUserByConnection: user_attributes must be an object") }
        guard attributes.count <= 24 else { throw bad("api.authentication.setUserByConnection: user_attributes may have at most 24 properties") }
        guard let localId = attributes.removeValue(forKey: "user_id")?.stringValue, !localId.isEmpty else {
            throw bad("api.authentication.setUserByConnection: user_attributes.user_id (the user's id within the connection) is required")
        }
        let allowed: Set<String> = [
            "email", "email_verified", "username", "phone_number", "phone_verified", "name", "given_name", "family_name", "nickname", "picture", "verify_email",
        ]
        if let unknown = attributes.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw bad("api.authentication.setUserByConnection: user_attributes.\(unknown) is not an attribute it accepts")
        }
        attributes.removeValue(forKey: "verify_email")
        let provider = connection.isDatabase ? "auth0" : connection.strategy
        let userId = provider + "|" + localId
        let existing: UserProfile?
        do { existing = try await self.store.user(id: userId) } catch { throw store(error) }
        if var user = existing {
            guard set["updateBehavior"]?.stringValue == "replace" else { return (user, connection) }
            // A full replace of the profile attributes; the identifiers may not change.
            for key in ["email", "username", "phone_number", "email_verified", "phone_verified"] {
                let current: JSONValue = user.json[key] ?? .null
                let given = attributes[key] ?? .null
                let same = key == "email" ? given.stringValue?.lowercased() == current.stringValue?.lowercased() : given == current
                if !same && !(given.isNull && (current.isNull || current == .bool(false))) {
                    throw bad("api.authentication.setUserByConnection: \(key) cannot be changed (the user has \(current.serialized()))")
                }
            }
            let replaced = attributes
            do {
                user = try await self.store.update(id: user.userId) { u in
                    for key in ["name", "given_name", "family_name", "nickname", "picture"] where replaced[key] == nil {
                        try u.applyRootAttributes([key: .null])
                    }
                    try u.applyRootAttributes(replaced.filter { !["email", "username", "phone_number", "email_verified", "phone_verified"].contains($0.key) })
                }
            } catch let e as UserAttributeError {
                throw bad("api.authentication.setUserByConnection: \(e.message)")
            } catch {
                throw store(error)
            }
            return (user, connection)
        }
        guard set["creationBehavior"]?.stringValue == "create_if_not_exists" else {
            throw bad("api.authentication.setUserByConnection: the user \(userId) does not exist and creationBehavior is 'none'")
        }
        if connection.isDatabase, attributes["email"]?.stringValue == nil, attributes["username"]?.stringValue == nil {
            throw bad("api.authentication.setUserByConnection: creating a user at \(name) needs its email")
        }
        var user = UserProfile(userId: userId, connection: connection.name, provider: provider, isSocial: connection.isSocial)
        do { try user.applyRootAttributes(attributes) } catch { throw bad("api.authentication.setUserByConnection: \(error.message)") }
        user.applyDefaults()
        do {
            if let email = user.email, connection.isDatabase, try await self.store.user(login: email, connection: connection.name) != nil {
                throw bad("api.authentication.setUserByConnection: another user of \(name) has the email \(email)")
            }
            try await self.store.insert(user)
        } catch let e as TokenExchangeError {
            throw e
        } catch {
            throw store(error)
        }
        return (user, connection)
    }
}
