import JSONCore
import ScriptRuntime
import Tenant

/// The JavaScript side of the rules pipeline, evaluated once per worker context before the
/// rules themselves. It runs the enabled rules in order with Auth0's callback semantics and
/// records, per rule, what it changed. Everything auth-specific in JavaScript lives here; the
/// runtime only provides the event loop.
enum RulesFlowScript {
    static let fileName = "authsim:pipeline/rules-flow.js"

    /// One rule as a user file (slot `rule:<name>`): a function expression, evaluated at global
    /// scope, that makes the rule with its own globals per flow. The rule's first line stays on
    /// line 1 so errors keep the file's line numbers.
    static func file(_ rule: Rule) -> ScriptFile {
        ScriptFile(
            name: rule.file,
            source: "(function (auth0, configuration, global, console, require, UnauthorizedError) { var __authsim_rule = "
                + rule.source + "\n;return __authsim_rule; })\n",
            kind: .user(slot: "rule:" + rule.name), syntaxCheck: .script(standalone(source: rule.source)))
    }

    /// The rule alone as a script that parses exactly when the rule is one function expression
    /// (async functions included), for syntax errors located in the rule's own lines.
    static func standalone(source: String) -> String {
        "var __authsim_rule = " + source + "\n;"
    }

    static let source = String(decoding: PackageResources.rules_flow_js, as: UTF8.self)
}

/// JSON string literal encoding for embedding names in generated JavaScript.
enum JSONStringLiteral {
    static func encode(_ s: String) -> String {
        var out = ""
        JSONValue.writeString(s, into: &out)
        return out
    }
}
