import JSONCore
import ScriptRuntime
import Tenant

/// The JavaScript side of legacy Hooks: each hook is a CommonJS module (Webtask's
/// `module.exports = function (…, context, cb)`) compiled once per worker context;
/// `__authsim_runHook` calls the exported function with an extensibility point's arguments.
enum HookScript {
    static let fileName = "authsim:pipeline/hooks.js"

    /// The hook's code as a user file (slot `hook:<name>`); its first line stays on line 1.
    static func file(_ hook: Hook) -> ScriptFile {
        ScriptFile(
            name: hook.file,
            source: "(function (" + parameters.joined(separator: ", ") + ") {" + hook.source + "\n})\n",
            kind: .user(slot: "hook:" + hook.name), syntaxCheck: .functionBody(parameters: parameters, body: hook.source))
    }

    /// A Webtask module function's parameters.
    static let parameters = ActionsFlowScript.moduleParameters + ["console", "PreUserRegistrationError", "InvalidScopeError", "InvalidRequestError", "ServerError"]

    static let source = String(decoding: PackageResources.hooks_js, as: UTF8.self)
}
