import Foundation
import Hummingbird
import JSONCore
import LoginEngine
import ManagementAPI
import NIOCore

/// `/api/v2/users…` and `/api/v2/roles`: scope check, decode, call `ManagementService`, encode.
struct ManagementRoutes: RouteGroup {
    let management: ManagementService
    let maximumBodySize: Int
    let rateLimiter: RateLimiter

    /// Gets the request, its context and the verified token's claims.
    typealias Handler = @Sendable (Request, AuthsimRequestContext, JSONValue) async throws(ManagementError) -> Response

    /// Wraps a handler with the scope check and Auth0's error body. `currentUser`: the end-user
    /// scopes with which a user's own token may call the route on its own `:id`.
    func guarded(_ scopes: [String], currentUser: [String] = [], _ body: @escaping Handler) -> @Sendable (Request, AuthsimRequestContext) async throws -> Response {
        { request, context in
            var response: Response
            var limit: RateLimiter.Decision?
            do {
                let claims = try management.authorize(
                    request.headers[.authorization], anyOf: scopes, currentUser: currentUser, subject: currentUser.isEmpty ? nil : Self.userID(context))
                limit = management.rateLimit(claims: claims, limiter: rateLimiter)
                if let limit, !limit.allowed {
                    throw ManagementError(429, "Global limit has been reached", "too_many_requests")
                }
                response = try await body(request, context, claims)
            } catch let error as ManagementError {
                response = HTTPJSON.error(HTTPResponse.Status(code: error.status), error.message, errorCode: error.errorCode)
            }
            if let limit { HTTPJSON.addRateLimitHeaders(&response, limit) }
            let path = String(request.uri.path.dropFirst("/api/v2/".count))
            await management.recordCall(method: request.method.rawValue, path: path, status: response.status.code, ip: context.clientIP, userAgent: request.headers[.userAgent])
            return response
        }
    }

    /// The query parameters, form-decoded as Auth0 reads them: `+` is a space (auth0-python,
    /// `requests` and `URLSearchParams` send `q=name:ann+OR+name:bob`), `%2B` a plus.
    static func query(_ r: Request) -> [String: String] {
        FormEncoding.decode(r.uri.query ?? "")
    }

    /// The `:id` path parameter, percent-decoded.
    static func userID(_ context: AuthsimRequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// Another path parameter, percent-decoded.
    static func parameter(_ context: AuthsimRequestContext, _ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    func json(_ request: Request) async throws(ManagementError) -> JSONValue {
        switch await HTTPJSON.body(request, limit: maximumBodySize) {
        case .success(let v): return v
        case .failure(let e) where e.response.status.code == 413: throw ManagementError(413, "Request entity too large", "payload_too_large")
        case .failure(let e): throw ManagementError(400, "Payload validation error: invalid JSON (\(e.detail))", "invalid_body")
        }
    }

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        let api = router.group("api/v2")
        api.get("users", use: guarded(["read:users"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.listUsers(Self.query(request)))
        })
        api.get("users-by-email", use: guarded(["read:users"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.usersByEmail(Self.query(request)))
        })
        api.post("users", use: guarded(["create:users"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.createUser(try await json(request)), status: .created)
        })
        api.get("users/:id", use: guarded(["read:users"], currentUser: ["read:current_user"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.getUser(Self.userID(context), Self.query(request)))
        })
        api.patch("users/:id", use: guarded(
            ["update:users", "update:users_app_metadata"], currentUser: ["update:current_user_metadata", "create:current_user_metadata", "delete:current_user_metadata"]
        ) { request, context, claims throws(ManagementError) in
            HTTPJSON.response(try await management.patchUser(Self.userID(context), try await json(request), claims: claims))
        })
        api.delete("users/:id", use: guarded(["delete:users"]) { _, context, _ throws(ManagementError) in
            try await management.deleteUser(Self.userID(context))
            return Response(status: .noContent)
        })
        api.post("users/:id/identities", use: guarded(["update:users"], currentUser: ["update:current_user_identities"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.linkIdentity(Self.userID(context), try await json(request)), status: .created)
        })
        api.delete("users/:id/identities/:provider/:identity", use: guarded(["update:users"], currentUser: ["update:current_user_identities"]) { _, context, _ throws(ManagementError) in
            let identity = context.parameters.get("identity") ?? ""
            return HTTPJSON.response(try await management.unlinkIdentity(
                Self.userID(context), provider: context.parameters.get("provider") ?? "", userId: identity.removingPercentEncoding ?? identity))
        })
        api.get("users/:id/roles", use: guarded(["read:roles"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.userRoles(Self.userID(context)))
        })
        api.get("users/:id/permissions", use: guarded(["read:users"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.userPermissions(Self.userID(context)))
        })
        api.post("users/:id/roles", use: guarded(["update:users"]) { request, context, _ throws(ManagementError) in
            try await management.changeRoles(Self.userID(context), try await json(request), assign: true)
            return Response(status: .noContent)
        })
        api.delete("users/:id/roles", use: guarded(["update:users"]) { request, context, _ throws(ManagementError) in
            try await management.changeRoles(Self.userID(context), try await json(request), assign: false)
            return Response(status: .noContent)
        })
        api.get("user-blocks", use: guarded(["read:users"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.userBlocks(query: Self.query(request)))
        })
        api.delete("user-blocks", use: guarded(["update:users"]) { request, _, _ throws(ManagementError) in
            try await management.unblockIdentifier(query: Self.query(request))
            return Response(status: .noContent)
        })
        api.get("user-blocks/:id", use: guarded(["read:users"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.userBlocks(Self.userID(context)))
        })
        api.delete("user-blocks/:id", use: guarded(["update:users"]) { _, context, _ throws(ManagementError) in
            try await management.unblockUser(Self.userID(context))
            return Response(status: .noContent)
        })
        api.get("anomaly/blocks/ips/:id", use: guarded(["get:anomaly_block"]) { _, context, _ throws(ManagementError) in
            guard try await management.ipBlocked(Self.userID(context)) else {
                throw ManagementError(404, "IP address specified is not currently blocked.", "not_blocked")
            }
            return Response(status: .ok)
        })
        api.delete("anomaly/blocks/ips/:id", use: guarded(["delete:anomaly_block"]) { _, context, _ throws(ManagementError) in
            try await management.unblockIP(Self.userID(context))
            return Response(status: .noContent)
        })
        api.get("attack-protection/brute-force-protection", use: guarded(["read:attack_protection"]) { _, _, _ throws(ManagementError) in
            HTTPJSON.response(management.attackProtection(.bruteForce))
        })
        api.patch("attack-protection/brute-force-protection", use: guarded(["update:attack_protection"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.patchAttackProtection(.bruteForce, try await json(request)))
        })
        api.get("attack-protection/suspicious-ip-throttling", use: guarded(["read:attack_protection"]) { _, _, _ throws(ManagementError) in
            HTTPJSON.response(management.attackProtection(.suspiciousIPThrottling))
        })
        api.patch("attack-protection/suspicious-ip-throttling", use: guarded(["update:attack_protection"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.patchAttackProtection(.suspiciousIPThrottling, try await json(request)))
        })
        api.get("sessions/:id", use: guarded(["read:sessions"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.session(id: Self.userID(context)))
        })
        api.delete("sessions/:id", use: guarded(["delete:sessions"]) { _, context, _ throws(ManagementError) in
            try await management.endSession(id: Self.userID(context), revokeRefreshTokens: false)
            return Response(status: .ok)
        })
        api.post("sessions/:id/revoke", use: guarded(["delete:sessions"]) { _, context, _ throws(ManagementError) in
            try await management.endSession(id: Self.userID(context), revokeRefreshTokens: true)
            return Response(status: .accepted)
        })
        api.get("users/:id/sessions", use: guarded(["read:sessions"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.userSessions(Self.userID(context)))
        })
        api.delete("users/:id/sessions", use: guarded(["delete:sessions"]) { _, context, _ throws(ManagementError) in
            try await management.endUserSessions(Self.userID(context))
            return Response(status: .accepted)
        })
        api.get("users/:id/authentication-methods", use: guarded(["read:authentication_methods"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.authenticationMethods(Self.userID(context)))
        })
        api.delete("users/:id/authentication-methods", use: guarded(["delete:authentication_methods"]) { _, context, _ throws(ManagementError) in
            try await management.deleteAuthenticationMethods(Self.userID(context), methodId: nil)
            return Response(status: .noContent)
        })
        api.delete("users/:id/authentication-methods/:method", use: guarded(["delete:authentication_methods"]) { _, context, _ throws(ManagementError) in
            try await management.deleteAuthenticationMethods(Self.userID(context), methodId: Self.parameter(context, "method"))
            return Response(status: .noContent)
        })
        api.get("users/:id/enrollments", use: guarded(["read:users"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.enrollments(Self.userID(context)))
        })
        api.delete("users/:id/multifactor/:provider", use: guarded(["update:users"]) { _, context, _ throws(ManagementError) in
            try await management.resetMultifactor(Self.userID(context), provider: Self.parameter(context, "provider"))
            return Response(status: .noContent)
        })
        api.get("refresh-tokens/:id", use: guarded(["read:refresh_tokens"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.refreshToken(id: Self.userID(context)))
        })
        api.delete("refresh-tokens/:id", use: guarded(["delete:refresh_tokens"]) { _, context, _ throws(ManagementError) in
            try await management.revokeRefreshToken(id: Self.userID(context))
            return Response(status: .ok)
        })
        api.get("users/:id/refresh-tokens", use: guarded(["read:refresh_tokens"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.userRefreshTokens(Self.userID(context)))
        })
        api.delete("users/:id/refresh-tokens", use: guarded(["delete:refresh_tokens"]) { _, context, _ throws(ManagementError) in
            try await management.revokeUserRefreshTokens(Self.userID(context))
            return Response(status: .accepted)
        })
        registerOrganizations(on: api)
        api.get("logs", use: guarded(["read:logs"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.logs(userId: nil, Self.query(request)))
        })
        api.get("users/:id/logs", use: guarded(["read:logs"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.logs(userId: Self.userID(context), Self.query(request)))
        })
        api.get("rules", use: guarded(["read:rules"]) { _, _, _ throws(ManagementError) in
            HTTPJSON.response(management.listRules())
        })
        api.get("rules/:id", use: guarded(["read:rules"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try management.getRule(Self.userID(context)))
        })
        api.post("rules", use: guarded(["create:rules"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.saveRule(try await json(request), existing: nil), status: .created)
        })
        api.patch("rules/:id", use: guarded(["update:rules"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.saveRule(try await json(request), existing: Self.userID(context)))
        })
        api.delete("rules/:id", use: guarded(["delete:rules"]) { _, context, _ throws(ManagementError) in
            try await management.deleteRule(Self.userID(context))
            return Response(status: .noContent)
        })
        api.get("actions/actions", use: guarded(["read:actions"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(management.listActions(Self.query(request)))
        })
        api.get("actions/actions/:id", use: guarded(["read:actions"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try management.getAction(Self.userID(context)))
        })
        api.post("actions/actions", use: guarded(["create:actions"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.createAction(try await json(request)), status: .created)
        })
        api.patch("actions/actions/:id", use: guarded(["update:actions"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.updateAction(Self.userID(context), try await json(request)))
        })
        api.post("actions/actions/:id/deploy", use: guarded(["create:actions"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.deployAction(Self.userID(context)), status: .created)
        })
        api.delete("actions/actions/:id", use: guarded(["delete:actions"]) { request, context, _ throws(ManagementError) in
            try await management.deleteAction(Self.userID(context), force: Self.query(request)["force"] == "true")
            return Response(status: .noContent)
        })
        api.get("actions/triggers", use: guarded(["read:actions"]) { _, _, _ throws(ManagementError) in
            HTTPJSON.response(management.listTriggers())
        })
        api.get("actions/triggers/:id/bindings", use: guarded(["read:actions"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try management.getBindings(Self.userID(context)))
        })
        api.patch("actions/triggers/:id/bindings", use: guarded(["update:actions"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.updateBindings(Self.userID(context), try await json(request)))
        })
        api.get("connections", use: guarded(["read:connections"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(management.listConnections(Self.query(request)))
        })
        api.get("clients", use: guarded(["read:clients"]) { _, _, _ throws(ManagementError) in
            HTTPJSON.response(management.listClients())
        })
        api.get("clients/:id", use: guarded(["read:clients"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try management.getClient(Self.userID(context)))
        })
        // Bulk import: multipart/form-data with `users` (the JSON file), `connection_id`, `upsert`
        // (also accepted as a JSON body {connection_id, users: [...]}).
        api.post("jobs/users-imports", use: guarded(["create:users"]) { request, _, _ throws(ManagementError) in
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: maximumBodySize) } catch {
                throw ManagementError(413, "Request entity too large", "payload_too_large")
            }
            guard let text = HTTPJSON.utf8(buffer) else { throw ManagementError(400, "the body is not valid UTF-8", "invalid_body") }
            var fields: [String: String] = [:]
            var users: JSONValue?
            if let boundary = Multipart.boundary(request.headers[.contentType]) {
                for part in Multipart.parse(text, boundary: boundary) {
                    if part.name == "users" {
                        do { users = try JSONValue.parse(part.content) } catch { throw ManagementError(400, "the users file is not valid JSON: \(error)", "invalid_body") }
                    } else {
                        fields[part.name] = part.content
                    }
                }
            } else {
                guard let body = try? JSONValue.parse(text), case .object(let o) = body else {
                    throw ManagementError(400, "expected multipart/form-data with a users file and connection_id", "invalid_body")
                }
                users = o["users"]
                fields["connection_id"] = o["connection_id"]?.stringValue
                fields["upsert"] = o["upsert"]?.boolValue.map { $0 ? "true" : "false" }
            }
            guard let users else { throw ManagementError(400, "the users file is missing (form field 'users')", "invalid_body") }
            guard let connectionId = fields["connection_id"] else { throw ManagementError(400, "connection_id is required", "invalid_body") }
            return HTTPJSON.response(
                try await management.importUsersJob(connectionId: connectionId, document: users, upsert: fields["upsert"] == "true"), status: .created)
        })
        api.get("jobs/:id", use: guarded(["create:users", "read:users"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.job(context.parameters.get("id") ?? ""))
        })
        api.get("jobs/:id/errors", use: guarded(["create:users", "read:users"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.jobErrors(context.parameters.get("id") ?? ""))
        })
        api.post("tickets/password-change", use: guarded(["create:user_tickets"]) { request, _, _ throws(ManagementError) in
            let body = try await json(request)
            let ticket = try await management.passwordChangeTicket(
                userId: body["user_id"]?.stringValue, email: body["email"]?.stringValue, connectionId: body["connection_id"]?.stringValue,
                resultURL: body["result_url"]?.stringValue, ttl: body["ttl_sec"]?.doubleValue)
            return HTTPJSON.response(["ticket": .string(ticket)], status: .created)
        })
        api.post("tickets/email-verification", use: guarded(["create:user_tickets"]) { request, _, _ throws(ManagementError) in
            let body = try await json(request)
            guard let userId = body["user_id"]?.stringValue else { throw ManagementError(400, "Payload validation error: user_id is required", "invalid_body") }
            let ticket = try await management.emailVerificationTicket(userId: userId, resultURL: body["result_url"]?.stringValue, ttl: body["ttl_sec"]?.doubleValue)
            return HTTPJSON.response(["ticket": .string(ticket)], status: .created)
        })
        api.get("roles", use: guarded(["read:roles"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try management.listRoles(Self.query(request)))
        })
        api.get("roles/:id", use: guarded(["read:roles"]) { _, context, _ throws(ManagementError) in
            let id = context.parameters.get("id") ?? ""
            return HTTPJSON.response(try management.role(id.removingPercentEncoding ?? id))
        })
    }
}

extension ManagementRoutes {
    /// `/api/v2/organizations…` and `/api/v2/users/{id}/organizations`.
    func registerOrganizations(on api: some RouterMethods<AuthsimRequestContext>) {
        api.get("organizations", use: guarded(["read:organizations"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try management.listOrganizations(Self.query(request)))
        })
        api.post("organizations", use: guarded(["create:organizations"]) { request, _, _ throws(ManagementError) in
            HTTPJSON.response(try await management.saveOrganization(try await json(request), existing: nil), status: .created)
        })
        api.get("organizations/name/:name", use: guarded(["read:organizations"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try management.organizationByName(Self.parameter(context, "name")))
        })
        api.get("organizations/:id", use: guarded(["read:organizations"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try management.getOrganization(Self.userID(context)))
        })
        api.patch("organizations/:id", use: guarded(["update:organizations"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.saveOrganization(try await json(request), existing: Self.userID(context)))
        })
        api.delete("organizations/:id", use: guarded(["delete:organizations"]) { _, context, _ throws(ManagementError) in
            try await management.deleteOrganization(Self.userID(context))
            return Response(status: .noContent)
        })
        api.get("organizations/:id/enabled_connections", use: guarded(["read:organization_connections"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try management.organizationConnections(Self.userID(context), Self.query(request)))
        })
        api.post("organizations/:id/enabled_connections", use: guarded(["create:organization_connections"]) { request, context, _ throws(ManagementError) in
            let body = try await json(request)
            return HTTPJSON.response(try await management.changeOrganizationConnection(Self.userID(context), connectionId: nil, body: body) ?? .null, status: .created)
        })
        api.get("organizations/:id/enabled_connections/:connection", use: guarded(["read:organization_connections"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try management.organizationConnection(Self.userID(context), connectionId: Self.parameter(context, "connection")))
        })
        api.patch("organizations/:id/enabled_connections/:connection", use: guarded(["update:organization_connections"]) { request, context, _ throws(ManagementError) in
            let body = try await json(request)
            return HTTPJSON.response(
                try await management.changeOrganizationConnection(Self.userID(context), connectionId: Self.parameter(context, "connection"), body: body) ?? .null)
        })
        api.delete("organizations/:id/enabled_connections/:connection", use: guarded(["delete:organization_connections"]) { _, context, _ throws(ManagementError) in
            _ = try await management.changeOrganizationConnection(Self.userID(context), connectionId: Self.parameter(context, "connection"), body: nil, delete: true)
            return Response(status: .noContent)
        })
        api.get("organizations/:id/members", use: guarded(["read:organization_members"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.organizationMembers(Self.userID(context), Self.query(request)))
        })
        api.post("organizations/:id/members", use: guarded(["create:organization_members"]) { request, context, _ throws(ManagementError) in
            try await management.changeOrganizationMembers(Self.userID(context), try await json(request), add: true)
            return Response(status: .noContent)
        })
        api.delete("organizations/:id/members", use: guarded(["delete:organization_members"]) { request, context, _ throws(ManagementError) in
            try await management.changeOrganizationMembers(Self.userID(context), try await json(request), add: false)
            return Response(status: .noContent)
        })
        api.get("organizations/:id/members/:user/roles", use: guarded(["read:organization_member_roles"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.organizationMemberRoles(Self.userID(context), userId: Self.parameter(context, "user"), Self.query(request)))
        })
        api.post("organizations/:id/members/:user/roles", use: guarded(["create:organization_member_roles"]) { request, context, _ throws(ManagementError) in
            try await management.changeOrganizationMemberRoles(Self.userID(context), userId: Self.parameter(context, "user"), try await json(request), assign: true)
            return Response(status: .noContent)
        })
        api.delete("organizations/:id/members/:user/roles", use: guarded(["delete:organization_member_roles"]) { request, context, _ throws(ManagementError) in
            try await management.changeOrganizationMemberRoles(Self.userID(context), userId: Self.parameter(context, "user"), try await json(request), assign: false)
            return Response(status: .noContent)
        })
        api.get("organizations/:id/invitations", use: guarded(["read:organization_invitations"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.organizationInvitations(Self.userID(context), Self.query(request)))
        })
        api.post("organizations/:id/invitations", use: guarded(["create:organization_invitations"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.createOrganizationInvitation(Self.userID(context), try await json(request)), status: .created)
        })
        api.get("organizations/:id/invitations/:invitation", use: guarded(["read:organization_invitations"]) { _, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.organizationInvitation(Self.userID(context), invitationId: Self.parameter(context, "invitation")))
        })
        api.delete("organizations/:id/invitations/:invitation", use: guarded(["delete:organization_invitations"]) { _, context, _ throws(ManagementError) in
            try await management.deleteOrganizationInvitation(Self.userID(context), invitationId: Self.parameter(context, "invitation"))
            return Response(status: .noContent)
        })
        api.get("users/:id/organizations", use: guarded(["read:users", "read:organizations"]) { request, context, _ throws(ManagementError) in
            HTTPJSON.response(try await management.userOrganizations(Self.userID(context), Self.query(request)))
        })
    }
}
