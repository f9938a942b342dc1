import Foundation
import JSONCore
import LoginEngine
import Tenant

/// `/api/v2/actions/actions` and `/api/v2/actions/triggers/{trigger}/bindings`: actions are
/// saved in the deploy-cli layout (as files of the tenant directory, or in the store) and picked
/// up by a reload. Saved code
/// is a draft (`code.draft.js`) until deployed; bound actions run their deployed code.
extension ManagementService {
    static let actionFields: Set<String> = ["name", "code", "runtime", "dependencies", "secrets", "supported_triggers"]

    static func dependenciesJSON(_ a: Action) -> JSONValue {
        .array(a.dependencies.map { ["name": .string($0.name), "version": .string($0.version)] })
    }

    /// `supported_triggers` with the trigger versions authsim implements.
    static func triggersJSON(_ ids: [String]) -> JSONValue {
        .array(ids.map { ["id": .string($0), "version": .string($0 == "post-login" ? "v3" : "v2")] })
    }

    func actionJSON(_ a: Action) -> JSONValue {
        [
            "id": .string(a.id), "name": .string(a.name), "code": .string(a.draft ?? a.source), "runtime": .string(a.runtime),
            "dependencies": Self.dependenciesJSON(a),
            "secrets": .array(a.secrets.keys.sorted().map { ["name": .string($0)] }),
            "supported_triggers": Self.triggersJSON(a.supportedTriggers),
            "deployed": .bool(a.deployed), "all_changes_deployed": .bool(a.deployed && a.draft == nil), "status": "built",
            "deployed_version": a.deployed ? ["number": .number(Double(max(1, a.version)))] : .null,
        ]
    }

    func action(_ id: String, in tenant: Tenant? = nil) throws(ManagementError) -> Action {
        guard let a = (tenant ?? self.tenant).actions.first(where: { $0.id == id }) else { throw ManagementError(404, "The action does not exist.", "inexistent_action") }
        return a
    }

    public func listActions(_ query: [String: String]) -> JSONValue {
        var list = tenant.actions
        if let trigger = query["triggerId"] { list = list.filter { $0.supportedTriggers.contains(trigger) } }
        if let name = query["actionName"] { list = list.filter { $0.name == name } }
        if query["deployed"] == "true" { list = list.filter(\.deployed) }
        return ["actions": .array(list.map(actionJSON)), "total": .number(Double(list.count)), "page": 0, "per_page": .number(Double(max(50, list.count)))]
    }

    public func getAction(_ id: String) throws(ManagementError) -> JSONValue { actionJSON(try action(id)) }

    /// The action's JSON file as the loader reads it.
    func actionFile(name: String, code: String, runtime: String, dependencies: JSONValue, secrets: [String: String], triggers: [String], deployed: Bool, version: Int) -> String {
        JSONValue.object([
            "name": .string(name), "code": .string("./" + code), "runtime": .string(runtime), "dependencies": dependencies,
            "secrets": .array(secrets.keys.sorted().map { ["name": .string($0), "value": .string(secrets[$0] ?? "")] }),
            "supported_triggers": Self.triggersJSON(triggers),
            "deployed": .bool(deployed), "authsim_version": .number(Double(version)),
        ]).serialized(pretty: true) + "\n"
    }

    func parseTriggers(_ v: JSONValue?) throws(ManagementError) -> [String]? {
        guard let v else { return nil }
        guard let list = v.arrayValue, !list.isEmpty else { throw .invalidBody("supported_triggers must be a non-empty array of {id, version}") }
        var ids: [String] = []
        for t in list {
            guard let id = t["id"]?.stringValue else { throw .invalidBody("each supported trigger needs an id") }
            guard Action.triggers.contains(id) else { throw .invalidBody("unsupported trigger '\(id)' (supported: \(Action.triggers.joined(separator: ", ")))") }
            ids.append(id)
        }
        return ids
    }

    func parseSecrets(_ v: JSONValue?, current: [String: String]) throws(ManagementError) -> [String: String] {
        guard let v else { return current }
        guard let list = v.arrayValue else { throw .invalidBody("secrets must be an array of {name, value}") }
        var out: [String: String] = [:]
        for s in list {
            guard let name = s["name"]?.stringValue, !name.isEmpty else { throw .invalidBody("each secret needs a name") }
            let value = s["value"]?.stringValue ?? current[name] ?? ""
            guard name.count <= 128, value.count <= 4096 else { throw .invalidBody("secret '\(name)': names are limited to 128 characters and values to 4096") }
            out[name] = value
        }
        return out
    }

    /// `POST /actions/actions`: a new, undeployed action.
    public func createAction(_ body: JSONValue) async throws(ManagementError) -> JSONValue {
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !Self.actionFields.contains($0) }) { throw .invalidBody("Additional properties not allowed: \(extra)") }
        guard let name = o["name"]?.stringValue, !name.isEmpty else { throw .invalidBody("Missing required property: name") }
        guard let code = o["code"]?.stringValue else { throw .invalidBody("Missing required property: code") }
        guard let triggers = try parseTriggers(o["supported_triggers"]) else { throw .invalidBody("Missing required property: supported_triggers") }
        guard name.count <= Rule.maxNameLength else { throw .invalidBody("name may have at most \(Rule.maxNameLength) characters") }
        guard Rule.isValidName(name) else { throw .invalidBody("name must contain only letters, digits, spaces and hyphens") }
        let secrets = try parseSecrets(o["secrets"], current: [:])
        let stem = name.replacingOccurrences(of: " ", with: "-")
        try await applyChange(what: "action") { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            if tenant.actions.contains(where: { $0.name == name }) { throw ManagementError(409, "An action with the same name already exists", "action_conflict") }
            // Also an action file whose code lives under another name (its stem is the code's folder).
            if tenant.actions.contains(where: { $0.stem == stem || $0.definitionFile == "actions/\(stem).json" }) {
                throw ManagementError(409, "An action stored as actions/\(stem).json already exists", "action_conflict")
            }
            let file = actionFile(
                name: name, code: "actions/\(stem)/code.js", runtime: o["runtime"]?.stringValue ?? "node18", dependencies: o["dependencies"] ?? [],
                secrets: secrets, triggers: triggers, deployed: false, version: 0)
            return ["actions/\(stem).json": file, "actions/\(stem)/code.js": code]
        }
        guard let saved = tenant.actions.first(where: { $0.name == name }) else { throw ManagementError(500, "the action was written but not loaded", "internal_error") }
        return actionJSON(saved)
    }

    /// `PATCH /actions/actions/{id}`: code becomes a draft; other fields apply at once.
    public func updateAction(_ id: String, _ body: JSONValue) async throws(ManagementError) -> JSONValue {
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !Self.actionFields.contains($0) }) { throw .invalidBody("Additional properties not allowed: \(extra)") }
        let newTriggers = try parseTriggers(o["supported_triggers"])
        try await applyChange(what: "action") { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            let a = try action(id, in: tenant)
            if let n = o["name"]?.stringValue, n != a.name { throw .invalidBody("an action cannot be renamed") }
            var files: [String: String?] = [
                a.definitionFile: actionFile(
                    name: a.name, code: a.file, runtime: o["runtime"]?.stringValue ?? a.runtime, dependencies: o["dependencies"] ?? Self.dependenciesJSON(a),
                    secrets: try parseSecrets(o["secrets"], current: a.secrets), triggers: newTriggers ?? a.supportedTriggers, deployed: a.deployed,
                    version: a.version)
            ]
            if let code = o["code"]?.stringValue { files[a.draftFile] = code }
            return files
        }
        return actionJSON(try action(id))
    }

    /// `POST /actions/actions/{id}/deploy`: the draft becomes the code bound triggers run.
    public func deployAction(_ id: String) async throws(ManagementError) -> JSONValue {
        var version = 0
        try await applyChange(what: "action") { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            let a = try action(id, in: tenant)
            version = a.version + 1
            var files: [String: String?] = [
                a.definitionFile: actionFile(
                    name: a.name, code: a.file, runtime: a.runtime, dependencies: Self.dependenciesJSON(a),
                    secrets: a.secrets, triggers: a.supportedTriggers, deployed: true, version: version)
            ]
            if let draft = a.draft {
                files[a.file] = draft
                files.updateValue(nil, forKey: a.draftFile)
            }
            return files
        }
        let deployed = try action(id)
        return [
            "id": .string("\(deployed.id)-v\(version)"), "action_id": .string(deployed.id), "number": .number(Double(version)), "deployed": true,
            "code": .string(deployed.source), "runtime": .string(deployed.runtime), "status": "built", "action": actionJSON(deployed),
        ]
    }

    /// `DELETE /actions/actions/{id}`: refused while the action is bound, unless `force`.
    public func deleteAction(_ id: String, force: Bool) async throws(ManagementError) {
        try await applyChange(what: "action") { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            let a = try action(id, in: tenant)
            let boundTo = tenant.triggerBindings.filter { $0.value.contains(a.name) }.keys.sorted()
            if !boundTo.isEmpty && !force {
                throw ManagementError(409, "The action is bound to \(boundTo.joined(separator: ", ")); remove the bindings first or use force=true", "action_bound")
            }
            let gone: String? = nil
            var files: [String: String?] = [a.definitionFile: gone, a.file: gone, a.draftFile: gone]
            if !boundTo.isEmpty {
                var bindings = tenant.triggerBindings
                for t in boundTo { bindings[t] = bindings[t]?.filter { $0 != a.name } }
                files["triggers/triggers.json"] = triggersFile(bindings)
            }
            return files
        }
    }
}
