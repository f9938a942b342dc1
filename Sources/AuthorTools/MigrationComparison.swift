import JSONCore
import LoginEngine

/// Rules → Actions migration check: the same login run once with only the given rules and once
/// with only the given actions, on identical inputs (an in-memory copy of the user, one fixed
/// script clock), and what differs in outcome, claims, scopes, metadata, MFA and redirect.
public struct MigrationComparison: Sendable {
    public struct Difference: Sendable, Equatable {
        /// `outcome`, `error`, `id_token`, `access_token`, `scopes`, `app_metadata`, `user_metadata`, `multifactor`, `redirect`.
        public var aspect: String
        /// The claim or metadata key, when the aspect has keys.
        public var key: String?
        public var rules: JSONValue
        public var actions: JSONValue

        public var json: JSONValue {
            ["aspect": .string(aspect), "key": key.map(JSONValue.string) ?? .null, "rules": rules, "actions": actions]
        }
    }

    public var rules: SimulationResult
    public var actions: SimulationResult
    public var differences: [Difference]

    /// Claims that differ between any two logins (times, ids): never compared.
    static let volatileClaims: Set<String> = ["iat", "exp", "auth_time", "jti", "sid", "updated_at", "nonce", "at_hash", "c_hash"]

    public var json: JSONValue {
        [
            "same": .bool(differences.isEmpty), "differences": .array(differences.map(\.json)),
            "rules": rules.json, "actions": actions.json,
        ]
    }

    init(rules: SimulationResult, actions: SimulationResult) {
        self.rules = rules
        self.actions = actions
        var d: [Difference] = []
        func compare(_ aspect: String, _ key: String? = nil, _ a: JSONValue, _ b: JSONValue) {
            if a != b { d.append(Difference(aspect: aspect, key: key, rules: a, actions: b)) }
        }
        func compareKeys(_ aspect: String, _ a: [String: JSONValue], _ b: [String: JSONValue], skip: Set<String> = []) {
            for k in Set(a.keys).union(b.keys).subtracting(skip).sorted() {
                compare(aspect, k, a[k] ?? .null, b[k] ?? .null)
            }
        }
        compare("outcome", nil, .string(rules.outcome.rawValue), .string(actions.outcome.rawValue))
        compare("error", nil, rules.error?.json ?? .null, actions.error?.json ?? .null)
        var idA = rules.idToken?.claims.objectValue ?? [:]
        var idB = actions.idToken?.claims.objectValue ?? [:]
        var atA = rules.accessToken?.claims.objectValue ?? [:]
        var atB = actions.accessToken?.claims.objectValue ?? [:]
        compare("scopes", nil, atA.removeValue(forKey: "scope") ?? .null, atB.removeValue(forKey: "scope") ?? .null)
        idA = idA.filter { !Self.volatileClaims.contains($0.key) }
        idB = idB.filter { !Self.volatileClaims.contains($0.key) }
        compareKeys("id_token", idA, idB)
        compareKeys("access_token", atA, atB, skip: Self.volatileClaims)
        compareKeys("app_metadata", rules.persistedAppMetadata, actions.persistedAppMetadata)
        compareKeys("user_metadata", rules.persistedUserMetadata, actions.persistedUserMetadata)
        compare("multifactor", nil, rules.multifactor ?? .null, actions.multifactor ?? .null)
        compare("redirect", nil, rules.redirect?["url"] ?? .null, actions.redirect?["url"] ?? .null)
        differences = d
    }

    /// A readable report: the two runs' outcomes, then each difference.
    public func report(ruleNames: [String], actionNames: [String]) -> String {
        var out: [String] = []
        out.append("Rules   (\(ruleNames.joined(separator: ", "))): \(rules.outcome.rawValue)\(rules.error.map { " — \($0.error): \($0.description)" } ?? "")")
        out.append("Actions (\(actionNames.joined(separator: ", "))): \(actions.outcome.rawValue)\(actions.error.map { " — \($0.error): \($0.description)" } ?? "")")
        out.append("")
        if differences.isEmpty {
            out.append("No difference in outcome, claims, scopes, metadata, MFA or redirect.")
        } else {
            out.append("\(differences.count) difference\(differences.count == 1 ? "" : "s"):")
            for diff in differences {
                let what = diff.key.map { "\(diff.aspect) \($0)" } ?? diff.aspect
                out.append("  \(what)")
                out.append("    rules:   \(diff.rules.isNull ? "(absent)" : diff.rules.serialized())")
                out.append("    actions: \(diff.actions.isNull ? "(absent)" : diff.actions.serialized())")
            }
        }
        return out.joined(separator: "\n")
    }
}

extension LoginPipeline {
    /// Runs `request` twice on the same in-memory copy of its user: only `rules`, then only
    /// `actions`. Nothing is stored; both runs see the same clock.
    public func compare(_ request: SimulationRequest, rules: [String], actions: [String]) async throws(PipelineError) -> MigrationComparison {
        let base = try await detached(request)
        var withRules = base
        withRules.rules = rules
        withRules.actions = []
        var withActions = base
        withActions.rules = []
        withActions.actions = actions
        let a = try await simulate(withRules, signTokens: false)
        let b = try await simulate(withActions, signTokens: false)
        return MigrationComparison(rules: a, actions: b)
    }
}
