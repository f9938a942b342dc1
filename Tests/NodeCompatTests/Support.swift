import Foundation
import JSONCore
import NodeCompat
import ScriptRuntime
import Testing

/// One runtime for the suite: every test runs real JavaScript on it.
enum Shared {
    static let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 2, heapBudget: 96 << 20))
}

/// Where Debian installs pure-JavaScript packages (`make test` installs node-lodash, node-moment, node-uuid…).
let debianModules = "/usr/share/nodejs"

/// Runs `body` (the inside of an async function with `require` in scope) with the Node
/// environment, and returns what it returns, through JSON.
func runNode(
    _ body: String, modules: [String] = [], legacyGlobals: Bool = false, timeout: Duration = .seconds(10), preamble: String = "", evalEnabled: Bool = true,
    shared: String? = nil, runtime: ScriptRuntime = Shared.runtime, environment: JobEnvironment = LoopbackEnvironment()
) async throws -> JSONValue {
    let node = NodeModules(configuration: NodeModules.Configuration(modulePaths: modules, legacyGlobals: legacyGlobals))
    var files = node.files
    // The test body is user code: a global-scope function expression handed `require` the way
    // the pipeline hands it to rules, through a runtime file that makes it the job's entry.
    files.append(
        ScriptFile(
            name: "test-entry.js",
            source: "rt.onInstall('test', function (_, fn) { rt.entries.__test = function (input) { return fn(rt.require); }; });\n", kind: .runtime))
    files.append(
        ScriptFile(
            name: "test.js",
            source: preamble + "\n;(async function (require) { var r = await (async function () {\n" + body
                + "\n})(); return JSON.stringify(r === undefined ? null : r); })\n", kind: .user(slot: "test")))
    // `shared`: jobs with the same key run the same program (so a worker may reuse its context).
    let program = ScriptProgram(
        id: "node-test-" + (shared ?? UUID().uuidString), files: files, syncFunctions: node.syncFunctions, asyncFunctions: node.asyncFunctions, evalEnabled: evalEnabled)
    let result = try await runtime.run(ScriptJob(program: program, entry: "__test", input: "", timeout: timeout, environment: environment))
    return try JSONValue.parse(result.output)
}

/// The message of what `body` threw (the test fails if it did not throw).
func nodeError(_ body: String, modules: [String] = []) async throws -> String {
    do {
        let v = try await runNode(body, modules: modules)
        Issue.record("expected an exception, got \(v)")
        return ""
    } catch let failure as ScriptFailure {
        guard case .exception(let thrown) = failure else {
            Issue.record("expected an exception, got \(failure)")
            return ""
        }
        return thrown.message
    }
}

/// A throwaway folder of module files (path → source).
func moduleFolder(_ files: [String: String]) throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-modules-\(UUID().uuidString)/node_modules")
    for (path, source) in files {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try source.write(to: url, atomically: true, encoding: .utf8)
    }
    return root.path
}

/// Fails (never skips) when Debian's packages are missing: `make test` installs them.
func requireDebianPackages() throws {
    for pkg in ["lodash", "moment", "uuid"] where !FileManager.default.fileExists(atPath: "\(debianModules)/\(pkg)/package.json") {
        throw DebianPackageMissing(package: pkg)
    }
}

struct DebianPackageMissing: Error, CustomStringConvertible {
    let package: String
    var description: String { "\(debianModules)/\(package) is missing: run `make deps` (apt-get install node-\(package))" }
}

/// The tests' job environment: scripts may reach loopback hosts only.
struct LoopbackEnvironment: OutboundEnvironment {
    var outboundPolicy: OutboundPolicy { .loopbackOnly }
}
