import JSONCore
import ScriptRuntime
import Tenant

/// The JavaScript side of Actions: each action is a CommonJS module compiled once per worker
/// context; `__authsim_runPostLogin` runs the bound post-login actions after the rules (same
/// job, same deadline) with Auth0's `event` and `api`, and `__authsim_runTrigger` runs the
/// other triggers. Queued metadata is saved in one write at the end (or before a redirect).
enum ActionsFlowScript {
    static let fileName = "authsim:pipeline/actions-flow.js"

    /// The action's code as a user file (slot `action:<name>`): the function expression of a
    /// CommonJS module, evaluated at global scope; the code's first line stays on line 1 so
    /// errors keep the file's line numbers.
    static func file(_ action: Action) -> ScriptFile {
        ScriptFile(
            name: action.file, source: "(function (" + moduleParameters.joined(separator: ", ") + ") {" + action.source + "\n})\n",
            kind: .user(slot: "action:" + action.name), syntaxCheck: .functionBody(parameters: moduleParameters, body: action.source))
    }

    /// A CommonJS module function's parameters.
    static let moduleParameters = ["exports", "require", "module", "__filename", "__dirname"]

    /// Every action's secrets, as a runtime file: they never pass through user code, and the
    /// driver hands each action only its own, frozen, without a prototype.
    static func secretsFile(_ actions: [Action]) -> ScriptFile {
        let table = JSONValue.object(Dictionary(actions.map { ($0.name, JSONValue.object($0.secrets.mapValues(JSONValue.string))) }) { a, _ in a })
        return ScriptFile(name: "authsim:pipeline/action-secrets.js", source: "rt.defineSecrets(\(table.serialized()));\n", kind: .runtime)
    }

    /// The driver, a runtime file: the secrets table and the module cache are its locals, and
    /// what the rules driver and the jobs call is on `rt`.
    static let source = String(decoding: PackageResources.actions_flow_js, as: UTF8.self)
}
