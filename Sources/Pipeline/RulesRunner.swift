import Directory
import JSONCore
import NodeCompat
import ScriptRuntime
import Tenant

/// Runs a tenant's enabled login rules as one job on the script runtime.
public struct RulesRunner: Sendable {
    public let rules: [Rule]
    let program: ScriptProgram
    let timeout: Duration
    /// The `rules` part of every job input, serialized once.
    let rulesJSON: String

    /// `modulePaths`: extra module folders (the CLI's `--modules`) after the tenant's own
    /// `node_modules/` and `authsim.module_paths`.
    public init(tenant: Tenant, modulePaths: [String] = []) {
        rules = tenant.loginRules
        rulesJSON = JSONValue.array(rules.map { ["name": .string($0.name), "order": $0.order.map { .number(Double($0)) } ?? .null, "file": .string($0.file)] }).serialized()
        timeout = .milliseconds(Int64(tenant.settings.flowTimeoutSeconds * 1000))
        let configuration = JSONValue.object(tenant.configuration.mapValues(JSONValue.string)).serialized()
        let node = NodeModules(configuration: RulesRunner.nodeConfiguration(tenant: tenant, extra: modulePaths))
        var files = node.files
        files.append(ScriptFile(name: RulesFlowScript.fileName, source: RulesFlowScript.source + "\n__authsim_configuration = Object.freeze(\(configuration));\n"))
        for rule in tenant.rules where rule.enabled {
            files.append(
                ScriptFile(
                    name: rule.file, source: RulesFlowScript.wrap(ruleName: rule.name, source: rule.source),
                    syntaxCheck: RulesFlowScript.standalone(source: rule.source)))
        }
        program = ScriptProgram(
            id: "rules:" + tenant.revision, files: files, syncFunctions: node.syncFunctions,
            asyncFunctions: node.asyncFunctions.merging(["updateMetadata": RulesRunner.updateMetadata]) { a, _ in a })
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
        var outcome: String
        var error: FlowError?
        var idToken: [String: JSONValue]
        var accessToken: [String: JSONValue]
        var multifactor: JSONValue?
        var redirect: JSONValue?
        var primaryUser: String?
        var claimSources: (id: [String: String], access: [String: String])
        var trace: [JSONValue]
        var warnings: [String]
    }

    /// `auth0JSON` is the serialized `auth0` globals object (constant for long stretches).
    func run(user: JSONValue, context: JSONValue, auth0JSON: String, environment: FlowEnvironment, runtime: ScriptRuntime) async throws(PipelineError) -> Outcome {
        var input = "{\"user\":"
        input.reserveCapacity(4096)
        user.writeUnsorted(into: &input)
        input += ",\"context\":"
        context.writeUnsorted(into: &input)
        input += ",\"auth0\":" + auth0JSON + ",\"rules\":" + rulesJSON + "}"
        let job = ScriptJob(program: program, entry: "__authsim_runRules", input: input, timeout: timeout, environment: environment, timeoutProbe: "__authsim_partial")
        do {
            let result = try await runtime.run(job)
            let out = try JSONValue.parse(result.output)
            var warnings = result.unhandledRejections.map { "unhandled promise rejection: \($0)" }
            let trace = out["trace"]?.arrayValue ?? []
            for entry in trace {
                for w in entry["warnings"]?.arrayValue ?? [] { warnings.append("rule '\(entry["name"]?.stringValue ?? "?")': \(w.stringValue ?? "")") }
            }
            let sources = out["claimSources"]
            return Outcome(
                outcome: out["outcome"]?.stringValue ?? "error",
                error: out["error"].flatMap { e in e["error"]?.stringValue.map { FlowError($0, e["error_description"]?.stringValue ?? "") } },
                idToken: out["idToken"]?.objectValue ?? [:], accessToken: out["accessToken"]?.objectValue ?? [:],
                multifactor: out["multifactor"].flatMap { $0.isNull ? nil : $0 }, redirect: out["redirect"].flatMap { $0.isNull ? nil : $0 },
                primaryUser: out["primaryUser"]?.stringValue,
                claimSources: (
                    (sources?["idToken"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
                    (sources?["accessToken"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                ),
                trace: trace, warnings: warnings)
        } catch let failure as ScriptFailure {
            return try failed(failure)
        } catch {
            return Outcome(outcome: "error", error: FlowError("server_error", "could not read the rules' result: \(error)"), idToken: [:], accessToken: [:], claimSources: ([:], [:]), trace: [], warnings: [])
        }
    }

    private func ruleName(_ mark: Int?) -> String {
        guard let mark, mark >= 0, mark < rules.count else { return "(before the first rule)" }
        return rules[mark].name
    }

    private func failed(_ failure: ScriptFailure) throws(PipelineError) -> Outcome {
        var trace: [JSONValue] = []
        let error: FlowError
        switch failure {
        case .compile(let file, let line, _, let message):
            throw .script(file: file, line: line, message: message)
        case .timeout(let seconds, let mark, let partial):
            if let partial, let t = try? JSONValue.parse(partial).arrayValue { trace = t }
            let name = ruleName(mark)
            if trace.isEmpty || trace.last?["name"]?.stringValue != name {
                trace.append(["name": .string(name), "outcome": "timeout", "console": [], "changes": [:], "warnings": []])
            }
            error = FlowError("access_denied", "Script execution time exceeded: rule '\(name)' did not call back within \(JSONValue.format(number: seconds)) s")
        case .heapBudgetExceeded(let budget, let heap, let mark):
            let name = ruleName(mark)
            trace.append(["name": .string(name), "outcome": "error", "console": [], "changes": [:], "warnings": []])
            error = FlowError("access_denied", "Script memory limit exceeded in rule '\(name)' (\(heap >> 20) MiB used, budget \(budget >> 20) MiB)")
        case .exception(let thrown):
            error = FlowError("access_denied", thrown.message)
        case .cancelled, .shutDown:
            error = FlowError("server_error", failure.description)
        }
        return Outcome(outcome: "error", error: error, idToken: [:], accessToken: [:], claimSources: ([:], [:]), trace: trace, warnings: [])
    }
}

extension FlowError: CustomStringConvertible {}
