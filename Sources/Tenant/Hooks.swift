import Foundation
import JSONCore

/// A legacy Hook (deploy-cli `hooks/<name>.json` + `hooks/<name>.js`): a Webtask-style CommonJS
/// module whose exported function Auth0 calls at one extensibility point with a Node-style
/// callback. Auth0 still runs the Hooks of tenants that have them, one active Hook per point.
public struct Hook: Sendable, Equatable {
    public var name: String
    /// The extensibility point (`credentials-exchange`, `pre-user-registration`, …).
    public var triggerId: String
    /// Path of the code relative to the tenant directory (the JSON file when the code is inline).
    public var file: String
    public var source: String
    /// `enabled` (deploy-cli, the Management API) or `active` (older exports).
    public var enabled: Bool
    /// `context.webtask.secrets`.
    public var secrets: [String: String]
    public var dependencies: [String: String]

    /// A stable id derived from the name (`01…`-style ids are the real tenant's; this one is ours).
    public var id: String { stableID(prefix: "hk_", name, length: 20) }

    public init(name: String, triggerId: String, file: String, source: String, enabled: Bool = true, secrets: [String: String] = [:], dependencies: [String: String] = [:]) {
        self.name = name
        self.triggerId = triggerId
        self.file = file
        self.source = source
        self.enabled = enabled
        self.secrets = secrets
        self.dependencies = dependencies
    }

    /// The extensibility points Auth0 ran Hooks at (and authsim runs them at).
    public static let triggers = ["credentials-exchange", "pre-user-registration", "post-user-registration", "post-change-password", "send-phone-message"]

    /// Reads `hooks/*.json` (and the code each names) from `files` (directory-layout path →
    /// text). A hook that cannot run (no code, an unknown point, a second enabled hook for a
    /// point) is reported and left out; nothing here is fatal.
    static func load(from files: [String: String], notices: inout [TenantNotice]) -> [Hook] {
        var hooks: [Hook] = []
        for rel in files.keys.filter({ $0.hasPrefix("hooks/") && $0.hasSuffix(".json") && $0.split(separator: "/").count == 2 }).sorted() {
            guard let text = files[rel], case .object(let o)? = try? JSONValue.parse(text) else { continue }  // reported as invalid JSON already
            let stem = String(rel.dropFirst("hooks/".count).dropLast(".json".count))
            let name = o["name"]?.stringValue ?? stem
            guard let trigger = o["triggerId"]?.stringValue ?? o["trigger_id"]?.stringValue else {
                notices.append(TenantNotice(file: rel, message: "hook '\(name)' has no triggerId: it does not run"))
                continue
            }
            guard triggers.contains(trigger) else {
                notices.append(TenantNotice(file: rel, message: "hook '\(name)': unknown triggerId '\(trigger)' (Hooks run at \(triggers.joined(separator: ", "))): it does not run"))
                continue
            }
            // `script` (deploy-cli), `code` (older exports and the Management API's body).
            let script = o["script"]?.stringValue ?? o["code"]?.stringValue ?? "./\(stem).js"
            let file: String, source: String
            if DeployCLIResources.isInlineScript(script) {
                (file, source) = (rel, script)
            } else {
                let path = TenantLoader.normalize("hooks/" + script)
                guard let code = files[path] else {
                    notices.append(TenantNotice(file: rel, message: "hook '\(name)': its script \(path) cannot be read: it does not run"))
                    continue
                }
                (file, source) = (path, code)
            }
            let enabled = o["enabled"]?.boolValue ?? o["active"]?.boolValue ?? false
            let secrets = (o["secrets"]?.objectValue ?? [:]).compactMapValues { $0.stringValue ?? ($0.isNull ? nil : $0.serialized()) }
            let dependencies = (o["dependencies"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            hooks.append(Hook(name: name, triggerId: trigger, file: file, source: source, enabled: enabled, secrets: secrets, dependencies: dependencies))
        }
        // Names are unique (a hook is compiled under its name).
        var seen = Set<String>()
        hooks = hooks.filter { h in
            if seen.insert(h.name).inserted { return true }
            notices.append(TenantNotice(file: h.file, message: "a second hook named '\(h.name)': it does not run"))
            return false
        }
        // As in Auth0, one enabled hook per extensibility point: the first by file name runs.
        var active: [String: String] = [:]
        for i in hooks.indices where hooks[i].enabled {
            if let first = active[hooks[i].triggerId] {
                notices.append(TenantNotice(
                    file: "hooks/", message: "hooks '\(first)' and '\(hooks[i].name)' are both enabled for \(hooks[i].triggerId); Auth0 allows one: only '\(first)' runs"))
                hooks[i].enabled = false
            } else {
                active[hooks[i].triggerId] = hooks[i].name
            }
        }
        return hooks
    }
}

/// A Custom Token Exchange profile (deploy-cli `token-exchange-profiles/<name>.json`): the
/// `subject_token_type` a client sends to `/oauth/token` and the custom-token-exchange action
/// that turns such a token into a user.
public struct TokenExchangeProfile: Sendable, Equatable {
    public var name: String
    public var subjectTokenType: String
    /// The action's name.
    public var action: String
    /// `custom_authentication`, the only type Auth0 has.
    public var type: String

    public var id: String { stableID(prefix: "tep_", name, length: 20) }

    public init(name: String, subjectTokenType: String, action: String, type: String = "custom_authentication") {
        self.name = name
        self.subjectTokenType = subjectTokenType
        self.action = action
        self.type = type
    }

    /// Why Auth0 refuses `type` as a profile's subject token type (namespaces it reserves), or nil.
    public static func reservedTypeProblem(_ type: String) -> String? {
        let lower = type.lowercased()
        if type.isEmpty || type.count > 100 { return "must have 1 to 100 characters" }
        if lower.hasPrefix("urn:ietf") { return "is in the IETF's reserved namespace (urn:ietf)" }
        for reserved in ["urn:auth0", "urn:okta", "https://auth0.com", "http://auth0.com", "https://okta.com", "http://okta.com"] where lower.hasPrefix(reserved) {
            return "is in a namespace Auth0 reserves (\(reserved))"
        }
        guard lower.hasPrefix("urn:") || lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return "must be a URI (urn:… or https://…)" }
        return nil
    }

    /// Reads `token-exchange-profiles/*.json`; a profile naming an action the tenant lacks (or
    /// one that does not support custom-token-exchange) is reported and left out.
    static func load(from files: [String: String], actions: [Action], notices: inout [TenantNotice]) -> [TokenExchangeProfile] {
        var out: [TokenExchangeProfile] = []
        for rel in files.keys.filter({ $0.hasPrefix("token-exchange-profiles/") && $0.hasSuffix(".json") }).sorted() {
            guard let text = files[rel], case .object(let o)? = try? JSONValue.parse(text) else { continue }
            let name = o["name"]?.stringValue ?? String(rel.dropFirst("token-exchange-profiles/".count).dropLast(5))
            guard let type = o["subject_token_type"]?.stringValue else {
                notices.append(TenantNotice(file: rel, message: "token exchange profile '\(name)' has no subject_token_type: not used"))
                continue
            }
            if let problem = reservedTypeProblem(type) {
                notices.append(TenantNotice(file: rel, message: "token exchange profile '\(name)': subject_token_type '\(type)' \(problem): not used"))
                continue
            }
            let ref = o["action"]?.stringValue ?? o["action_name"]?.stringValue ?? o["action_id"]?.stringValue ?? ""
            guard let action = actions.first(where: { $0.name == ref || $0.id == ref }) else {
                notices.append(TenantNotice(file: rel, message: "token exchange profile '\(name)' names action '\(ref)', which the tenant does not have: not used"))
                continue
            }
            guard action.supportedTriggers.contains("custom-token-exchange") else {
                notices.append(TenantNotice(file: rel, message: "token exchange profile '\(name)': action '\(action.name)' does not support the custom-token-exchange trigger: not used"))
                continue
            }
            if out.contains(where: { $0.subjectTokenType == type }) {
                notices.append(TenantNotice(file: rel, message: "token exchange profile '\(name)': another profile has subject_token_type '\(type)': not used"))
                continue
            }
            out.append(TokenExchangeProfile(name: name, subjectTokenType: type, action: action.name, type: o["type"]?.stringValue ?? "custom_authentication"))
        }
        return out
    }
}
