import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/actions/triggers/{trigger}/bindings`.
extension ManagementService {
    func triggersFile(_ bindings: [String: [String]]) -> String {
        JSONValue.object(bindings.mapValues { .array($0.map { ["action_name": .string($0), "display_name": .string($0)] }) }).serialized(pretty: true) + "\n"
    }

    func bindingsJSON(_ trigger: String) -> JSONValue {
        let list = tenant.boundActions(trigger)
        return [
            "bindings": .array(list.map { a in
                ["id": .string("\(trigger):\(a.id)"), "trigger_id": .string(trigger), "display_name": .string(a.name), "action": actionJSON(a)]
            }),
            "total": .number(Double(list.count)), "page": 0, "per_page": 20,
        ]
    }

    /// `GET /actions/triggers`: every trigger authsim runs, as Auth0 lists them (deploy-cli
    /// reads this list to export the bindings).
    public func listTriggers() -> JSONValue {
        [
            "triggers": .array(Action.triggers.map { id in
                [
                    "id": .string(id), "version": .string(Action.currentVersion(of: id)), "status": "CURRENT", "runtimes": ["node18", "node22"],
                    "default_runtime": "node22", "compatible_triggers": [],
                ]
            })
        ]
    }

    public func getBindings(_ trigger: String) throws(ManagementError) -> JSONValue {
        guard Action.triggers.contains(trigger) else { throw ManagementError(404, "Unknown trigger \(trigger)", "inexistent_trigger") }
        return bindingsJSON(trigger)
    }

    /// `PATCH /actions/triggers/{trigger}/bindings`: `{"bindings": [{"ref": {"type": "action_name"|"action_id", "value"}, "display_name"}]}`
    /// replaces the trigger's bindings, in order. Only deployed actions supporting the trigger bind.
    public func updateBindings(_ trigger: String, _ body: JSONValue) async throws(ManagementError) -> JSONValue {
        guard Action.triggers.contains(trigger) else { throw ManagementError(404, "Unknown trigger \(trigger)", "inexistent_trigger") }
        guard let list = body["bindings"]?.arrayValue else { throw .invalidBody("Missing required property: bindings") }
        try await applyChange(what: "binding") { (tenant: Tenant) throws(ManagementError) -> [String: String?] in
            ["triggers/triggers.json": try bindingsFile(trigger, list, in: tenant)]
        }
        return ["bindings": bindingsJSON(trigger)["bindings"] ?? []]
    }

    /// `triggers/triggers.json` with `trigger`'s bindings replaced by `list`.
    func bindingsFile(_ trigger: String, _ list: [JSONValue], in tenant: Tenant) throws(ManagementError) -> String {
        var names: [String] = []
        for b in list {
            guard let type = b["ref"]?["type"]?.stringValue, let value = b["ref"]?["value"]?.stringValue else {
                throw .invalidBody("each binding needs ref {type, value}")
            }
            let found: Action?
            switch type {
            case "action_name": found = tenant.actions.first { $0.name == value }
            case "action_id": found = tenant.actions.first { $0.id == value }
            default: throw .invalidBody("ref.type must be action_name or action_id")
            }
            guard let a = found else { throw ManagementError(404, "The action \(value) does not exist.", "inexistent_action") }
            guard a.deployed else { throw .invalidBody("action '\(a.name)' has no deployed version; deploy it first") }
            guard a.supportedTriggers.contains(trigger) else { throw .invalidBody("action '\(a.name)' does not support the \(trigger) trigger") }
            names.append(a.name)
        }
        var bindings = tenant.triggerBindings
        bindings[trigger] = names
        return triggersFile(bindings)
    }
}
