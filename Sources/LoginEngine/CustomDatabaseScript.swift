import ScriptRuntime
import Tenant

/// The JavaScript side of custom-database connections: runs one script (`login`, `get_user`, …)
/// with Auth0's callback contract and error globals, and records a trace entry like a rule's.
/// Also defines the modules those scripts use locally: `authsim:legacy-db` (a user table in a
/// JSON file, "your own database") and `bcrypt`/`bcryptjs` (the host's bcrypt).
enum CustomDatabaseScript {
    static let fileName = "authsim:pipeline/custom-database.js"

    static func key(connection: String, kind: String) -> String { connection + "/" + kind }

    /// One script as a user file (slot `db:<connection>/<kind>`): a function expression that
    /// makes the script with its own globals per run; its first line stays on line 1.
    static func file(connection: String, script: ConnectionScript) -> ScriptFile {
        ScriptFile(
            name: script.file,
            source: "(function (configuration, global, console, require, WrongUsernameOrPasswordError, ValidationError, UnauthorizedError) { var __authsim_script = "
                + script.source + "\n;return __authsim_script; })\n",
            kind: .user(slot: "db:" + key(connection: connection, kind: script.kind)), syntaxCheck: .script(RulesFlowScript.standalone(source: script.source)))
    }

    static let source = String(decoding: PackageResources.custom_database_js, as: UTF8.self)
}
