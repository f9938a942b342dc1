import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/rules`: saved as tenant files (or in the store) and loaded at once.
extension ManagementService {
    func ruleJSON(_ r: Rule) -> JSONValue {
        ["id": .string(r.id), "name": .string(r.name), "script": .string(r.source), "order": r.order.map { .number(Double($0)) } ?? .null,
         "enabled": .bool(r.enabled), "stage": .string(r.stage.rawValue)]
    }

    func rule(_ id: String, in tenant: Tenant? = nil) throws(ManagementError) -> Rule {
        guard let r = (tenant ?? self.tenant).rules.first(where: { $0.id == id }) else { throw ManagementError(404, "The rule does not exist.", "inexistent_rule") }
        return r
    }

    public func listRules() -> JSONValue { .array(tenant.rules.map(ruleJSON)) }

    public func getRule(_ id: String) throws(ManagementError) -> JSONValue { ruleJSON(try rule(id)) }

    static let ruleFields: Set<String> = ["name", "script", "order", "enabled", "stage"]

    /// `POST /rules` (existing nil) and `PATCH /rules/{id}`: saved (to the tenant directory or
    /// the store), then reloaded; a rule that does not compile is refused with its line.
    public func saveRule(_ body: JSONValue, existing id: String?) async throws(ManagementError) -> JSONValue {
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !Self.ruleFields.contains($0) }) { throw .invalidBody("Additional properties not allowed: \(extra)") }
        var savedName = ""
        try await applyChange { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            let current = try id.map { (i: String) throws(ManagementError) -> Rule in try rule(i, in: tenant) }
            guard let name = o["name"]?.stringValue ?? current?.name else { throw .invalidBody("Missing required property: name") }
            guard let script = o["script"]?.stringValue ?? current?.source else { throw .invalidBody("Missing required property: script") }
            guard name.count <= Rule.maxNameLength else { throw .invalidBody("name may have at most \(Rule.maxNameLength) characters") }
            guard Rule.isValidName(name) else {
                throw .invalidBody("name must contain only letters, digits, spaces and hyphens, not starting or ending with a space or hyphen")
            }
            if tenant.rules.contains(where: { $0.name == name && $0.id != current?.id }) {
                throw ManagementError(409, "A rule with the same name already exists", "rule_conflict")
            }
            var order = current?.order
            if let v = o["order"] {
                guard let n = v.intValue else { throw .invalidBody("order must be an integer") }
                order = n
            }
            // As in Auth0, a new rule without an order goes after the others.
            if current == nil, order == nil { order = (tenant.rules.compactMap(\.order).max() ?? 0) + 1 }
            let enabled = o["enabled"].map { $0.boolValue } ?? current?.enabled
            if o["enabled"] != nil, enabled == nil { throw .invalidBody("enabled must be a boolean") }
            let stage = o["stage"]?.stringValue ?? current?.stage.rawValue ?? "login_success"
            guard Rule.Stage(rawValue: stage) != nil else { throw .invalidBody("stage must be login_success, login_failure or pre_authorize") }
            let stem = current?.stem ?? name.replacingOccurrences(of: " ", with: "-")
            savedName = name
            return TenantWriter.ruleFiles(stem: stem, name: name, script: script, order: order, enabled: enabled ?? true, stage: stage)
        }
        guard let saved = tenant.rules.first(where: { $0.name == savedName }) else { throw ManagementError(500, "the rule was written but not loaded", "internal_error") }
        return ruleJSON(saved)
    }

    public func deleteRule(_ id: String) async throws(ManagementError) {
        try await applyChange { (tenant: Tenant) throws(ManagementError) -> [String: String?] in TenantWriter.ruleDeletion(stem: try rule(id, in: tenant).stem) }
    }
}
