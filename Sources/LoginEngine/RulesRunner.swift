import Directory
import JSONCore
import NodeCompat
import ScriptRuntime
import Tenant

/// Runs a login flow's scripts as one job on the script runtime: the enabled login rules, then
/// the bound post-login actions (one deadline for both); and the other action triggers.
public struct RulesRunner: Sendable {
    public let rules: [Rule]
    /// Every action of the tenant (compiled, so that unbound ones can be compared and tested).
    public let actions: [Action]
    /// Bound post-login actions, in order.
    public let postLoginActions: [Action]
    let program: ScriptProgram
    let timeout: Duration
    /// The `rules` part of every job input, serialized once.
    let rulesJSON: String
    let postLoginJSON: String

    /// `modulePaths`: extra module folders (the CLI's `--modules`) after the tenant's own
    /// `node_modules/` and `authsim.module_paths`.
    public init(tenant: Tenant, modulePaths: [String] = []) {
        rules = tenant.loginRules
        actions = tenant.actions
        postLoginActions = tenant.boundActions("post-login")
        rulesJSON = RulesRunner.describe(rules)
        postLoginJSON = RulesRunner.describe(postLoginActions)
        timeout = .milliseconds(Int64(tenant.settings.flowTimeoutSeconds * 1000))
        let configuration = JSONValue.object(tenant.configuration.mapValues(JSONValue.string)).serialized()
        let node = NodeModules(configuration: RulesRunner.nodeConfiguration(tenant: tenant, extra: modulePaths))
        // The runtime files (Node, the drivers, the secrets) first; then the user files, which
        // see only globals and hand their functions to the drivers (`ScriptFile.Kind`).
        var files = node.files
        files.append(ScriptFile(name: RulesFlowScript.fileName, source: RulesFlowScript.source + "\n__authsim_configuration = Object.freeze(\(configuration));\n", kind: .runtime))
        files.append(ScriptFile(name: ActionsFlowScript.fileName, source: ActionsFlowScript.source, kind: .runtime))
        files.append(ScriptFile(name: "authsim:pipeline/auth0-module.js", source: Auth0Module.source, kind: .runtime))
        files.append(ActionsFlowScript.secretsFile(tenant.actions))
        // Custom-database scripts share the program (and so the module environment) with rules.
        files.append(ScriptFile(name: CustomDatabaseScript.fileName, source: CustomDatabaseScript.source, kind: .runtime))
        files.append(ScriptFile(name: HookScript.fileName, source: HookScript.source, kind: .runtime))
        files += tenant.actions.map(ActionsFlowScript.file)
        for connection in tenant.connections where connection.usesCustomScripts {
            for script in connection.scripts.values.sorted(by: { $0.kind < $1.kind }) {
                files.append(CustomDatabaseScript.file(connection: connection.name, script: script))
            }
        }
        files += tenant.hooks.filter(\.enabled).map(HookScript.file)
        let legacy = LegacyDatabase.hostFunctions()
        files += tenant.rules.filter(\.enabled).map(RulesFlowScript.file)
        program = ScriptProgram(
            id: "rules:" + tenant.revision, files: files, syncFunctions: node.syncFunctions.merging(legacy.sync) { a, _ in a },
            asyncFunctions: node.asyncFunctions.merging(["updateMetadata": RulesRunner.updateMetadata, "saveMetadata": RulesRunner.saveMetadata, "auth0.api": LoginPipeline.callTenantAPI]) { a, _ in a }
                .merging(legacy.async) { a, _ in a },
            evalEnabled: tenant.settings.allowEval, webAssemblyEnabled: tenant.settings.allowWebAssembly)
    }

    static func describe(_ rules: [Rule]) -> String {
        JSONValue.array(rules.map { ["name": .string($0.name), "id": .string($0.id), "order": $0.order.map { .number(Double($0)) } ?? .null, "file": .string($0.file)] }).serialized()
    }

    static func describe(_ actions: [Action]) -> String {
        JSONValue.array(actions.map { a in
            var o: [String: JSONValue] = ["name": .string(a.name), "id": .string(a.id), "file": .string(a.file)]
            if let major = auth0Major(a) { o["auth0Major"] = .number(Double(major)) }
            return .object(o)
        }).serialized()
    }

    /// The major version of node-auth0 an action declares (`dependencies`), which its
    /// `require('auth0')` gets (2, 3 or 4; `latest` and what does not parse: 4).
    static func auth0Major(_ action: Action) -> Int? {
        guard let dep = action.dependencies.first(where: { $0.name == "auth0" }) else { return nil }
        let digits = dep.version.drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits).map { min(max($0, 2), 4) } ?? 4
    }

    /// The scripts a flow runs: all enabled rules and bound post-login actions, or the named ones.
    public struct Selection: Sendable {
        public var rules: [String]?
        public var actions: [String]?
        public init(rules: [String]? = nil, actions: [String]? = nil) {
            self.rules = rules
            self.actions = actions
        }
    }

    func selectedJSON(_ selection: Selection) throws(PipelineError) -> (rules: String, actions: String) {
        var r = rulesJSON
        var a = postLoginJSON
        if let names = selection.rules {
            var chosen: [Rule] = []
            for n in names {
                guard let rule = rules.first(where: { $0.name == n || $0.id == n }) else {
                    throw .invalidRequest("unknown or disabled rule '\(n)' (enabled rules: \(rules.map(\.name).joined(separator: ", ")))")
                }
                chosen.append(rule)
            }
            r = RulesRunner.describe(chosen)
        }
        if let names = selection.actions {
            var chosen: [Action] = []
            for n in names {
                guard let action = actions.first(where: { $0.name == n || $0.id == n }) else {
                    throw .invalidRequest("unknown action '\(n)' (actions: \(actions.map(\.name).joined(separator: ", ")))")
                }
                guard action.supportedTriggers.contains("post-login") else { throw .invalidRequest("action '\(n)' does not support the post-login trigger") }
                chosen.append(action)
            }
            a = RulesRunner.describe(chosen)
        }
        return (r, a)
    }

    /// One write of everything the actions queued: `{userId, app, user}` (first-level merges, `null` deletes).
    @Sendable static func saveMetadata(_ json: String, _ environment: JobEnvironment) async throws -> String {
        guard let flow = environment as? FlowEnvironment else { throw FlowError("server_error", "metadata writes are not available here") }
        let args = try JSONValue.parse(json)
        guard let userId = args["userId"]?.stringValue else { throw FlowError("invalid_request", "no user to save metadata for") }
        let app = args["app"].flatMap { $0.isNull ? nil : $0 }
        let user = args["user"].flatMap { $0.isNull ? nil : $0 }
        let (persisted, profile) = try await flow.saveMetadata(userId: userId, app: app, user: user)
        return JSONValue.object(["persisted": .bool(persisted), "user": profile.json]).serialized()
    }

    /// Module folders in resolution order, and the legacy-globals setting.
    static func nodeConfiguration(tenant: Tenant, extra: [String]) -> NodeModules.Configuration {
        var paths = [tenant.directory + "/node_modules"]
        paths += tenant.settings.modulePaths.map { $0.hasPrefix("/") ? $0 : tenant.directory + "/" + $0 }
        paths += extra
        return NodeModules.Configuration(modulePaths: paths, legacyGlobals: tenant.settings.legacyGlobals)
    }

    @Sendable static func updateMetadata(_ json: String, _ environment: JobEnvironment) async throws -> String {
        guard let flow = environment as? FlowEnvironment else { throw FlowError("server_error", "metadata writes are not available here") }
        let args = try JSONValue.parse(json)
        guard let kind = args["kind"]?.stringValue.flatMap(MetadataKind.init(rawValue:)) else { throw FlowError("invalid_request", "bad metadata kind") }
        guard let userId = args["userId"]?.stringValue, !userId.isEmpty else {
            throw FlowError("invalid_request", "auth0.users.update\(kind == .app ? "App" : "User")Metadata needs a user id as first argument")
        }
        let (persisted, user) = try await flow.updateMetadata(kind: kind, userId: userId, patch: args["metadata"] ?? .null)
        return JSONValue.object(["persisted": .bool(persisted), "user": user.json]).serialized()
    }

    /// Compiles the rules on a worker without running a flow; a syntax error comes back with
    /// its file and line.
    func validate(on runtime: ScriptRuntime) async throws(PipelineError) {
        do {
            _ = try await runtime.run(ScriptJob(program: program, entry: "__rt_ping", input: "", timeout: .seconds(10)))
        } catch {
            if case .compile(let file, let line, _, let message) = error { throw .script(file: file, line: line, message: message) }
            throw .script(file: "(rules)", line: nil, message: error.description)
        }
    }

    /// What the rules decided, before tokens are issued.
    struct Outcome {
        /// The scripts' decision, as the driver reports it.
        enum Decision: String {
            case allowed, denied, error
        }

        var decision: Decision
        var error: FlowError?
        var idToken: [String: JSONValue]
        var accessToken: [String: JSONValue]
        var multifactor: JSONValue?
        var redirect: JSONValue?
        /// `{session, refreshToken}`: what `api.session` and `api.refreshToken` asked.
        var lifetimes: JSONValue?
        var primaryUser: String?
        /// Set when the flow stopped for a redirect: what `/continue` needs to resume it.
        var resume: JSONValue?
        var claimSources: (id: [String: String], access: [String: String])
        var trace: [JSONValue]
        var warnings: [String]

        /// Whether a script made a network call (HTTP or a socket): it may have changed the
        /// user through the Management API, so the user is read again after the flow.
        var calledOut: Bool {
            trace.contains { entry in ["http", "net"].contains { entry[$0]?.arrayValue?.isEmpty == false } }
        }

        /// A flow with no script to run decides nothing: allowed, no claims, no trace. Only when
        /// the context carries nothing a script would hand on (claims, MFA, a redirect, a primary
        /// user, given by a simulation's `context`; a SAML configuration, whose response the
        /// driver builds) and no flow is resumed; otherwise the drivers
        /// run, so that what they do with those stays in one place.
        static func withoutScripts(context: JSONValue, resume: JSONValue?) -> Outcome? {
            guard resume == nil, case .object(let c) = context, c["idToken"] == [:], c["accessToken"] == [:],
                c["multifactor"] == nil, c["redirect"] == nil, c["primaryUser"] == nil, c["samlConfiguration"] == nil
            else { return nil }
            return Outcome(decision: .allowed, idToken: [:], accessToken: [:], claimSources: ([:], [:]), trace: [], warnings: [])
        }
    }

    /// `auth0JSON` is the serialized `auth0` globals object (constant for long stretches).
    /// What else a flow's job needs besides the rules' `user` and `context`.
    struct FlowInputs {
        var auth0JSON: String
        var selection = Selection()
        /// The post-login actions' `event` (without secrets), or nil when no action runs.
        var event: JSONValue?
        var canRedirect = true
        /// Where a `/continue` resumes: `{kind: "rules"}` or `{kind: "action", action, …}`.
        var resume: JSONValue?
        /// A fixed clock for the scripts (milliseconds since 1970).
        var now: Double?
        var domain: String
        /// The scopes the access token gets unless a script changes them.
        var grantedScopes: [String] = []
    }

    func run(user: JSONValue, context: JSONValue, inputs: FlowInputs, environment: FlowEnvironment, runtime: ScriptRuntime) async throws(PipelineError) -> Outcome {
        let selected = try selectedJSON(inputs.selection)
        let runsActions = selected.actions != "[]"
        if selected.rules == "[]" && !(runsActions && inputs.event != nil), let nothing = Outcome.withoutScripts(context: context, resume: inputs.resume) {
            return nothing
        }
        var input = "{\"user\":"
        input.reserveCapacity(4096)
        user.writeUnsorted(into: &input)
        input += ",\"context\":"
        context.writeUnsorted(into: &input)
        input += ",\"auth0\":" + inputs.auth0JSON + ",\"rules\":" + selected.rules + ",\"actions\":" + selected.actions
        if runsActions, let event = inputs.event {
            input += ",\"event\":"
            event.writeUnsorted(into: &input)
        }
        input += ",\"canRedirect\":" + (inputs.canRedirect ? "true" : "false") + ",\"domain\":" + JSONStringLiteral.encode(inputs.domain)
        input += ",\"grantedScopes\":" + JSONValue.array(inputs.grantedScopes.map(JSONValue.string)).serialized()
        if let resume = inputs.resume { input += ",\"resume\":" + resume.serialized() }
        if let now = inputs.now { input += ",\"now\":" + JSONValue.format(number: now) }
        input += "}"
        let job = ScriptJob(program: program, entry: "__authsim_runFlow", input: input, timeout: timeout, environment: environment, timeoutProbe: "__authsim_partial")
        do {
            let result = try await runtime.run(job)
            let out = try JSONValue.parse(result.output)
            var warnings = result.unhandledRejections.map { "unhandled promise rejection: \($0)" }
            let trace = out["trace"]?.arrayValue ?? []
            for entry in trace {
                for w in entry["warnings"]?.arrayValue ?? [] {
                    warnings.append("\(entry["kind"]?.stringValue ?? "rule") '\(entry["name"]?.stringValue ?? "?")': \(w.stringValue ?? "")")
                }
            }
            let sources = out["claimSources"]
            return Outcome(
                decision: out["outcome"]?.stringValue.flatMap(Outcome.Decision.init(rawValue:)) ?? .error,
                error: out["error"].flatMap { e in e["error"]?.stringValue.map { FlowError($0, e["error_description"]?.stringValue ?? "") } },
                idToken: out["idToken"]?.objectValue ?? [:], accessToken: out["accessToken"]?.objectValue ?? [:],
                multifactor: out["multifactor"].flatMap { $0.isNull ? nil : $0 }, redirect: out["redirect"].flatMap { $0.isNull ? nil : $0 },
                lifetimes: out["lifetimes"].flatMap { $0.isNull ? nil : $0 },
                primaryUser: out["primaryUser"]?.stringValue, resume: out["resume"].flatMap { $0.isNull ? nil : $0 },
                claimSources: (
                    (sources?["idToken"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
                    (sources?["accessToken"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                ),
                trace: trace, warnings: warnings)
        } catch let failure as ScriptFailure {
            return try failed(failure, rules: selected.rules, actions: selected.actions)
        } catch {
            return Outcome(decision: .error, error: FlowError("server_error", "could not read the scripts' result: \(error)"), idToken: [:], accessToken: [:], claimSources: ([:], [:]), trace: [], warnings: [])
        }
    }

    /// What a non-login trigger's actions decided.
    public struct TriggerOutcome: Sendable {
        public var denied: FlowError?
        /// pre-user-registration's `api.validation.error(code, message)`: the sign-up's answer.
        public var validationError: FlowError?
        public var accessTokenClaims: [String: JSONValue]
        /// Which action set each access-token claim.
        public var claimSources: [String: String]
        public var appMetadata: [String: JSONValue]
        public var userMetadata: [String: JSONValue]
        /// custom-token-exchange's `api.authentication.setUserById` / `setUserByConnection`:
        /// `{by: "id", user_id}` or `{by: "connection", connection, attributes, creationBehavior, updateBehavior}`.
        public var user: JSONValue? = nil
        /// custom-email/phone-provider's `api.notification.drop` / `retry`: `{action, reason}`.
        public var notification: JSONValue? = nil
        /// MFA the actions asked for (`api.authentication.challengeWith`, …), in order.
        public var authentication: [JSONValue] = []
        /// custom-token-exchange's `api.access.rejectInvalidSubjectToken`.
        public var invalidSubjectToken = false
        /// The HTTP status of `denied` when it is not the caller's usual one (a hook's 400 or 500).
        public var deniedStatus: Int? = nil
        /// credentials-exchange: the scope a hook gave the token instead of the granted one.
        public var scope: [String]? = nil
        /// password-reset-post-challenge's `api.redirect.sendUserTo`: `{url, action}`; the
        /// actions stopped there and resume at `/continue`.
        public var redirect: JSONValue? = nil
        /// password-reset-post-challenge's `api.transaction.setResultUrl`.
        public var resultURL: String? = nil
        public var trace: [JSONValue]

        /// Nothing ran.
        public static let none = TriggerOutcome(denied: nil, accessTokenClaims: [:], claimSources: [:], appMetadata: [:], userMetadata: [:], trace: [])
    }

    /// Runs the actions bound to `trigger` (not post-login) with `event`.
    /// `resume`: `{action}` when the trigger continues after that action's redirect.
    func runTrigger(
        _ trigger: String, event: JSONValue, actions bound: [Action], resume: JSONValue? = nil, environment: FlowEnvironment?, runtime: ScriptRuntime
    ) async throws(PipelineError) -> TriggerOutcome {
        let list = RulesRunner.describe(bound)
        var request: [String: JSONValue] = ["trigger": .string(trigger), "event": event, "actions": (try? JSONValue.parse(list)) ?? []]
        if let resume { request["resume"] = resume }
        let input = JSONValue.object(request).serialized()
        let job = ScriptJob(program: program, entry: "__authsim_runTrigger", input: input, timeout: timeout, environment: environment, timeoutProbe: "__authsim_partial")
        do {
            let out = try JSONValue.parse(try await runtime.run(job).output)
            let error = out["error"].flatMap { e in e["error"]?.stringValue.map { FlowError($0, e["error_description"]?.stringValue ?? "") } }
            let validation = out["error"]?["validation"]?.boolValue == true
            return TriggerOutcome(
                denied: validation ? nil : error, validationError: validation ? error : nil,
                accessTokenClaims: out["accessToken"]?.objectValue ?? [:],
                claimSources: (out["claimSources"]?.objectValue ?? [:]).compactMapValues(\.stringValue), appMetadata: out["appMetadata"]?.objectValue ?? [:],
                userMetadata: out["userMetadata"]?.objectValue ?? [:], user: out["user"].flatMap { $0.isNull ? nil : $0 },
                notification: out["notification"].flatMap { $0.isNull ? nil : $0 }, authentication: out["authentication"]?.arrayValue ?? [],
                invalidSubjectToken: out["error"]?["invalidSubjectToken"]?.boolValue == true,
                redirect: out["redirect"].flatMap { $0.isNull ? nil : $0 }, resultURL: out["resultUrl"]?.stringValue, trace: out["trace"]?.arrayValue ?? [])
        } catch let failure as ScriptFailure {
            let o = try failed(failure, rules: "[]", actions: list)
            return TriggerOutcome(denied: o.error, accessTokenClaims: [:], claimSources: [:], appMetadata: [:], userMetadata: [:], trace: o.trace)
        } catch {
            return TriggerOutcome(denied: FlowError("server_error", "could not read the actions' result: \(error)"), accessTokenClaims: [:], claimSources: [:], appMetadata: [:], userMetadata: [:], trace: [])
        }
    }

    /// What one custom-database script returned: its callback's error (as `{name, message,
    /// code, email}`) or value, and its trace entry.
    public struct DatabaseScriptOutcome: Sendable {
        public var error: JSONValue?
        public var result: JSONValue?
        public var trace: JSONValue

        /// `{error, result, trace}` as the API returns it.
        public var json: JSONValue { ["error": error ?? .null, "result": result ?? .null, "trace": trace] }

        /// `WrongUsernameOrPasswordError`, `ValidationError`, …
        public var errorName: String? { error?["name"]?.stringValue }
        public var errorMessage: String { error?["message"]?.stringValue ?? "" }
    }

    /// Runs a connection's script (`login`, `get_user`, …) with `args`; the callback is added.
    func runDatabaseScript(
        _ script: ConnectionScript, connection: Connection, args: [JSONValue], now: Double? = nil, environment: FlowEnvironment?, runtime: ScriptRuntime
    ) async throws(PipelineError) -> DatabaseScriptOutcome {
        var input: [String: JSONValue] = [
            "connection": .string(connection.name), "kind": .string(script.kind), "file": .string(script.file), "args": .array(args),
            "configuration": .object(connection.scriptConfiguration), "table": .string(connection.options["legacy_table"]?.stringValue ?? connection.name),
            "context": ["connection": ["id": .string(connection.id), "name": .string(connection.name)]],
        ]
        if let now { input["now"] = .number(now) }
        let job = ScriptJob(
            program: program, entry: "__authsim_runDatabaseScript", input: JSONValue.object(input).serialized(), timeout: timeout, environment: environment,
            timeoutProbe: "__authsim_dbPartial")
        let entry: JSONValue = [
            "name": .string(connection.name + " " + script.kind), "kind": "database", "script": .string(script.kind), "connection": .string(connection.name),
            "file": .string(script.file),
        ]
        return try await runCallbackScript(job, file: script.file, entry: entry, runtime: runtime)
    }

    /// Runs the enabled Hook of an extensibility point: `args` then Webtask's `context` (its
    /// `webtask.secrets` added by the driver) and the callback.
    func runHook(_ hook: Hook, args: [JSONValue], context: JSONValue, environment: FlowEnvironment?, runtime: ScriptRuntime) async throws(PipelineError) -> HookOutcome {
        let input: JSONValue = [
            "hook": .string(hook.name), "file": .string(hook.file), "trigger": .string(hook.triggerId), "args": .array(args), "context": context,
            "secrets": .object(hook.secrets.mapValues(JSONValue.string)),
        ]
        let job = ScriptJob(program: program, entry: "__authsim_runHook", input: input.serialized(), timeout: timeout, environment: environment, timeoutProbe: "__authsim_hookPartial")
        let entry: JSONValue = ["name": .string(hook.name), "kind": "hook", "trigger": .string(hook.triggerId), "file": .string(hook.file)]
        return try await runCallbackScript(job, file: hook.file, entry: entry, runtime: runtime)
    }

    /// What a hook's callback was given, like a custom-database script's.
    public typealias HookOutcome = DatabaseScriptOutcome

    /// Runs a script with a Node-style callback (a custom-database script, a hook): its
    /// callback's error or value and its trace entry; a timeout, the memory budget or a crash
    /// becomes the error (`entry` names the script in the trace entry made then).
    private func runCallbackScript(_ job: ScriptJob, file: String, entry base: JSONValue, runtime: ScriptRuntime) async throws(PipelineError) -> DatabaseScriptOutcome {
        func entry(_ outcome: String, _ message: String) -> JSONValue {
            var o = base.objectValue ?? [:]
            o["outcome"] = .string(outcome)
            o["error"] = ["name": "Error", "message": .string(message)]
            for (k, v) in ["console": [], "http": [], "warnings": [], "changes": [:] as JSONValue, "durationMs": 0] as [String: JSONValue] where o[k] == nil { o[k] = v }
            return .object(o)
        }
        do {
            let out = try JSONValue.parse(try await runtime.run(job).output)
            let error = out["error"].flatMap { $0.isNull ? nil : $0 }
            let defined = out["defined"]?.boolValue ?? !(out["result"]?.isNull ?? true)
            return DatabaseScriptOutcome(error: error, result: defined ? out["result"] : nil, trace: out["trace"] ?? .null)
        } catch let failure as ScriptFailure {
            switch failure {
            case .compile(let file, let line, _, let message):
                throw .script(file: file, line: line, message: message)
            case .timeout(let seconds, _, let partial):
                var e = (partial.flatMap { try? JSONValue.parse($0).arrayValue?.first }) ?? entry("timeout", "")
                let message = "Script execution time exceeded: \(file) did not call back within \(JSONValue.format(number: seconds)) s"
                if case .object(var o) = e { o["error"] = ["name": "Error", "message": .string(message)]; e = .object(o) }
                return DatabaseScriptOutcome(error: ["name": "Error", "message": .string(message)], result: nil, trace: e)
            case .heapBudgetExceeded(let budget, let heap, _):
                let message = "Script memory limit exceeded in \(file) (\(heap >> 20) MiB used, budget \(budget >> 20) MiB)"
                return DatabaseScriptOutcome(error: ["name": "Error", "message": .string(message)], result: nil, trace: entry("error", message))
            case .exception(let thrown):
                return DatabaseScriptOutcome(error: ["name": "Error", "message": .string(thrown.message)], result: nil, trace: entry("error", thrown.message))
            case .cancelled, .shutDown:
                return DatabaseScriptOutcome(error: ["name": "Error", "message": .string(failure.description)], result: nil, trace: entry("error", failure.description))
            }
        } catch {
            return DatabaseScriptOutcome(error: ["name": "Error", "message": .string("could not read the script's result: \(error)")], result: nil, trace: entry("error", "\(error)"))
        }
    }

    /// The step an `rt.mark` value names: rules count from 0, actions from 1000 (in the flow's own lists).
    private func step(_ mark: Int?, rules ruleList: String, actions actionList: String) -> (kind: String, name: String) {
        guard let mark, mark >= 0 else { return ("rule", "(before the first rule)") }
        if mark >= 1000 {
            let list = (try? JSONValue.parse(actionList))?.arrayValue ?? []
            return ("action", mark - 1000 < list.count ? list[mark - 1000]["name"]?.stringValue ?? "?" : "?")
        }
        let list = (try? JSONValue.parse(ruleList))?.arrayValue ?? []
        return ("rule", mark < list.count ? list[mark]["name"]?.stringValue ?? "?" : "?")
    }

    private func failed(_ failure: ScriptFailure, rules ruleList: String, actions actionList: String) throws(PipelineError) -> Outcome {
        var trace: [JSONValue] = []
        let error: FlowError
        switch failure {
        case .compile(let file, let line, _, let message):
            throw .script(file: file, line: line, message: message)
        case .timeout(let seconds, let mark, let partial):
            if let partial, let t = try? JSONValue.parse(partial).arrayValue { trace = t }
            let (kind, name) = step(mark, rules: ruleList, actions: actionList)
            if trace.isEmpty || trace.last?["name"]?.stringValue != name {
                trace.append(["name": .string(name), "kind": .string(kind), "outcome": "timeout", "console": [], "changes": [:], "warnings": []])
            }
            let what = kind == "rule" ? "did not call back" : "did not finish"
            error = FlowError("access_denied", "Script execution time exceeded: \(kind) '\(name)' \(what) within \(JSONValue.format(number: seconds)) s")
        case .heapBudgetExceeded(let budget, let heap, let mark):
            let (kind, name) = step(mark, rules: ruleList, actions: actionList)
            trace.append(["name": .string(name), "kind": .string(kind), "outcome": "error", "console": [], "changes": [:], "warnings": []])
            error = FlowError("access_denied", "Script memory limit exceeded in \(kind) '\(name)' (\(heap >> 20) MiB used, budget \(budget >> 20) MiB)")
        case .exception(let thrown):
            error = FlowError("access_denied", thrown.message)
        case .cancelled, .shutDown:
            error = FlowError("server_error", failure.description)
        }
        return Outcome(decision: .error, error: error, idToken: [:], accessToken: [:], claimSources: ([:], [:]), trace: trace, warnings: [])
    }
}

extension FlowError: CustomStringConvertible {}
