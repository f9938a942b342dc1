import Directory
import Foundation
import JSONCore
import Tenant

/// Legacy Hooks at their extensibility points: the enabled hook of a point runs before the
/// actions bound to the same trigger (as in Auth0), with Webtask's arguments.
extension LoginPipeline {
    /// Runs the enabled hook of `trigger`; nil when the tenant has none. A hook that does not
    /// compile fails like one that throws (its error says where).
    func runHook(_ trigger: String, args: [JSONValue], context: JSONValue, revision rev: Revision) async -> RulesRunner.HookOutcome? {
        guard let hook = rev.tenant.activeHook(trigger) else { return nil }
        do {
            return try await rev.rulesRunner.runHook(hook, args: args, context: context, environment: flowEnvironment(rev), runtime: runtime)
        } catch {
            let message = error.description
            logger.warning("hook could not run", metadata: ["hook": .string(hook.name), "error": .string(message)])
            return RulesRunner.HookOutcome(
                error: ["name": "Error", "message": .string(message)], result: nil,
                trace: [
                    "name": .string(hook.name), "kind": "hook", "trigger": .string(trigger), "file": .string(hook.file), "outcome": "error",
                    "error": ["name": "Error", "message": .string(message)], "console": [], "http": [], "warnings": [], "changes": [:], "durationMs": 0,
                ])
        }
    }

    /// Webtask's `context.connection`.
    static func hookConnection(_ connection: Connection, tenant: Tenant) -> JSONValue {
        ["id": .string(connection.id), "name": .string(connection.name), "tenant": .string(tenant.name)]
    }

    /// The user a registration hook gets (Auth0's camelCase shape; `id` without the provider
    /// once the user exists).
    static func hookUser(_ user: UserProfile, tenant: Tenant, password: String? = nil, created: Bool) -> JSONValue {
        var o: [String: JSONValue] = [
            "tenant": .string(tenant.name), "username": user.username.map(JSONValue.string) ?? .null, "email": user.email.map(JSONValue.string) ?? .null,
            "emailVerified": .bool(user.emailVerified), "phoneNumber": user.phoneNumber.map(JSONValue.string) ?? .null,
            "phoneNumberVerified": .bool(user.phoneVerified ?? false), "user_metadata": .object(user.userMetadata), "app_metadata": .object(user.appMetadata),
        ]
        if let password { o["password"] = .string(password) }
        if created { o["id"] = .string(user.userId.split(separator: "|", maxSplits: 1).last.map(String.init) ?? user.userId) }
        return .object(o)
    }

    /// What a credentials-exchange hook answered: its claims (namespaced ones only, as Auth0
    /// keeps), the scope it set, or its refusal with the status Auth0 gives it.
    struct HookExchange {
        var claims: [String: JSONValue] = [:]
        var scope: [String]?
        var denied: (status: Int, error: FlowError)?
        var trace: [JSONValue] = []
    }

    func credentialsExchangeHook(client: Client, audience: String, scopes: [String], ip: String, revision rev: Revision) async -> HookExchange {
        let tenant = rev.tenant
        let hookClient: JSONValue = [
            "id": .string(client.clientId), "name": .string(client.name), "tenant": .string(tenant.name),
            "metadata": .object(client.clientMetadata.mapValues(JSONValue.string)),
        ]
        guard let outcome = await runHook(
            "credentials-exchange", args: [hookClient, .array(scopes.map(JSONValue.string)), .string(audience)], context: ["ip": .string(ip)], revision: rev)
        else { return HookExchange() }
        var out = HookExchange(trace: [outcome.trace])
        if let e = outcome.error {
            // The status is Auth0's for the error, never a number the script chose.
            let code = e["code"]?.stringValue ?? ""
            let error = ["invalid_scope", "invalid_request"].contains(code) ? code : "server_error"
            out.denied = (error == "server_error" ? 500 : 400, FlowError(error, e["message"]?.stringValue ?? ""))
            return out
        }
        for (k, v) in outcome.result?.objectValue ?? [:] {
            if k == "scope" {
                out.scope = v.arrayValue.map { $0.compactMap(\.stringValue) } ?? v.stringValue.map { $0.split(separator: " ").map(String.init) }
            } else if Self.isHookNamespace(k) {
                out.claims[k] = v
            }
        }
        return out
    }

    /// Claims a credentials-exchange hook may add: http(s) URLs outside Auth0's and Webtask's domains.
    static func isHookNamespace(_ claim: String) -> Bool {
        guard let c = URLComponents(string: claim), ["http", "https"].contains(c.scheme?.lowercased() ?? ""), let host = c.host?.lowercased(), !host.isEmpty else {
            return false
        }
        return !["auth0.com", "webtask.io", "webtask.run"].contains { host == $0 || host.hasSuffix("." + $0) }
    }

    /// What pre-user-registration (hook, then actions) decided for a user about to be created:
    /// metadata merged into `user`, or a refusal.
    struct PreRegistration {
        /// `api.access.deny`, a hook's error: the sign-up's "extensibility error".
        var denied: FlowError?
        /// `api.validation.error`.
        var validationError: FlowError?
        var trace: [JSONValue] = []
    }

    func preRegistration(
        _ user: inout UserProfile, password: String?, event: (UserProfile) -> JSONValue, connection: Connection, ip: String, revision rev: Revision
    ) async throws -> PreRegistration {
        let tenant = rev.tenant
        var out = PreRegistration()
        let context: JSONValue = [
            "renderLanguage": "en", "requestLanguage": "en", "request": ["ip": .string(ip), "language": "en"],
            "connection": Self.hookConnection(connection, tenant: tenant),
        ]
        if let hook = await runHook("pre-user-registration", args: [Self.hookUser(user, tenant: tenant, password: password, created: false)], context: context, revision: rev) {
            out.trace.append(hook.trace)
            if let e = hook.error {
                // The user sees a PreUserRegistrationError's user message; any other error's text
                // stays in the trace (as Auth0 shows a generic refusal).
                out.denied = FlowError("invalid_signup", e["userMessage"]?.stringValue ?? "Sign-ups are not allowed right now: the pre-user-registration hook failed.")
                return out
            }
            let set = hook.result?["user"]
            if let app = set?["app_metadata"]?.objectValue, !app.isEmpty { user.appMetadata = try MetadataMerge.apply(.object(app), to: user.appMetadata, kind: .app) }
            if let md = set?["user_metadata"]?.objectValue, !md.isEmpty { user.userMetadata = try MetadataMerge.apply(.object(md), to: user.userMetadata, kind: .user) }
        }
        let pre = try await rev.rulesRunner.runTrigger(
            "pre-user-registration", event: event(user), actions: tenant.boundActions("pre-user-registration"), environment: flowEnvironment(rev), runtime: runtime)
        out.trace += pre.trace
        out.denied = pre.denied
        out.validationError = pre.validationError
        guard pre.denied == nil, pre.validationError == nil else { return out }
        // What the actions set, merged over the sign-up's own metadata (an empty patch means
        // "nothing set" here, not the Management API's "clear it").
        if !pre.appMetadata.isEmpty { user.appMetadata = try MetadataMerge.apply(.object(pre.appMetadata), to: user.appMetadata, kind: .app) }
        if !pre.userMetadata.isEmpty { user.userMetadata = try MetadataMerge.apply(.object(pre.userMetadata), to: user.userMetadata, kind: .user) }
        return out
    }
}
