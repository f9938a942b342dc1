import ArgumentParser
import AuthorTools
import Foundation
import LoginEngine
import Server
import ScriptRuntime

/// `authsim test`: the tenant's rule and action tests (`tests/**/*.test.json|yaml`).
struct TestScripts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests kept beside the tenant (tests/**/*.test.json or .test.yaml) against its rules and actions.",
        discussion: """
            Each test names an input (a simulation request: a stored user or an inline profile,
            client, connection, protocol, request with geoip, context, "now", and "http": canned
            answers to outbound calls by method and URL) and expectations on the result. Tests run
            on in-memory copies of users: nothing is stored. The file format is described by
            Schemas/script-test.schema.json. Exit status 0 when every test passes, 1 otherwise.
            With --watch, the tests run again whenever the tenant or a test file changes, and only
            what changed in the results is printed.
            """)

    @Option(name: .long, help: "The tenant directory.") var tenant: String = "."
    @Option(name: .customLong("modules"), help: "Extra module folder for require (repeatable).") var modules: [String] = []
    @Argument(help: "Test files or folders (default: <tenant>/tests).") var paths: [String] = []
    @Option(name: .long, help: "Run only tests whose name contains this text.") var filter: String?
    @Option(name: .long, help: "Also write a JUnit XML report to this file.") var junit: String?
    @Flag(name: .long, help: "Keep running: re-run on file changes (debounced) and print what changed.") var watch = false
    @Flag(name: .long, help: "Record which lines and basic blocks of the tenant's scripts the tests ran (debug mode): a summary per script and an lcov file.")
    var coverage = false
    @Option(name: .long, help: "Where --coverage writes its lcov tracefile (default: coverage/lcov.info).") var lcov: String = "coverage/lcov.info"

    func validate() throws {
        if coverage && watch { throw ValidationError("--coverage runs the tests once: it cannot be combined with --watch") }
    }

    func run() async throws {
        let session = TestSession(tenant: tenant, paths: paths, filter: filter)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var configuration = RuntimeConfiguration(workers: ProcessInfo.processInfo.activeProcessorCount)
        // Coverage: the scripts run on one worker the inspector records.
        var relay: InspectorRelay?
        if coverage {
            if let why = InspectorBridge.unavailable { throw CommandFailure(why.description) }
            let r = try InspectorRelay()
            do { try InspectorBridge.start(address: r.address) } catch { throw CommandFailure(error.description) }
            relay = r
            configuration.workers = 1
            configuration.inspectable = true
        }
        defer { relay?.shutdown() }
        let runtime = ScriptRuntime(configuration: configuration)
        let pipeline: LoginPipeline
        do {
            pipeline = try await LoginPipeline.open(tenantDirectory: tenant, storePath: scratch + "/tests.sqlite", runtime: runtime, modulePaths: modules)
            AuthsimServer(pipeline: pipeline, configuration: ServerConfiguration()).attachInProcessAPI()
        } catch { throw CommandFailure(error) }
        var recorder: CoverageRecorder?
        if let relay {
            do { recorder = try await CoverageRecorder.start(pipeline: pipeline, relay: relay, files: CoverageRecorder.scripts(of: pipeline.tenant)) } catch {
                throw CommandFailure("coverage: \(error)")
            }
        }

        let run = try await session.run(pipeline)
        for e in run.fileErrors { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
        printJSON(run.report().joined(separator: "\n"))
        if let junit {
            do { try JUnitReport.xml(run.results, suiteName: "authsim " + tenant).write(toFile: junit, atomically: true, encoding: .utf8) } catch {
                throw CommandFailure("cannot write \(junit): \(error)")
            }
        }
        if let recorder {
            let scripts: [ScriptCoverage]
            do { scripts = try await recorder.collect() } catch {
                throw CommandFailure("coverage: \(error) (a test that hit its timeout or the heap budget rebuilds the script context, and its counts go with it: run the other tests with --filter)")
            }
            recorder.close()
            printJSON((["", "Coverage (lines and basic blocks the tests ran):"] + scripts.map { "  " + $0.summary }).joined(separator: "\n"))
            let root = URL(fileURLWithPath: tenant).standardizedFileURL.path
            do {
                try FileManager.default.createDirectory(atPath: (lcov as NSString).deletingLastPathComponent.isEmpty ? "." : (lcov as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try LCOV.tracefile(scripts, root: root).write(toFile: lcov, atomically: true, encoding: .utf8)
            } catch { throw CommandFailure("cannot write \(lcov): \(error)") }
            printJSON("  lcov: \(lcov)")
        }
        if watch {
            await session.watch(pipeline, from: run, brokenMessage: "the tenant does not load")
            return
        }
        runtime.shutdown()
        if !run.succeeded { throw ExitCode(1) }
    }
}

/// The previous run, for watch mode's "what changed".
final class LastRun: @unchecked Sendable {
    private let lock = NSLock()
    private var run: TestSession.Run
    init(_ run: TestSession.Run) { self.run = run }
    func swap(_ next: TestSession.Run) -> TestSession.Run {
        lock.lock()
        defer { lock.unlock() }
        let previous = run
        run = next
        return previous
    }
}

/// Finding, loading and running a tenant's tests, and printing their results.
struct TestSession: Sendable {
    var tenant: String
    var paths: [String]
    var filter: String?

    var roots: [String] {
        let list = paths.isEmpty ? [(tenant as NSString).appendingPathComponent("tests")] : paths
        return list.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
    }

    struct Run: Sendable {
        var results: [ScriptTestResult]
        var fileErrors: [String]
        var files: Int

        var failed: Int { results.filter { !$0.passed }.count }
        var succeeded: Bool { failed == 0 && fileErrors.isEmpty && !(results.isEmpty && files > 0) }

        static func lines(_ r: ScriptTestResult) -> [String] {
            var out = ["\(r.passed ? "✓" : "✗") \(r.test.name)  (\(r.test.file), \(String(format: "%.1f", r.durationMs)) ms)"]
            for f in r.failures {
                out.append("    \(f.path)")
                out.append("      expected: \(f.expected)")
                out.append("      actual:   \(f.actual)")
            }
            return out
        }

        var summary: String {
            "\(results.count) test\(results.count == 1 ? "" : "s"), \(results.count - failed) passed, \(failed) failed"
                + (fileErrors.isEmpty ? "" : ", \(fileErrors.count) bad file\(fileErrors.count == 1 ? "" : "s")")
        }

        /// The results (bad files are reported separately, on standard error).
        func report() -> [String] {
            results.flatMap(Run.lines) + ["", summary]
        }

        /// Tests whose result changed (or that appeared or went away), then the summary.
        func changes(since previous: Run) -> [String] {
            func key(_ r: ScriptTestResult) -> String { r.test.file + "\u{0}" + r.test.name }
            let before = Dictionary(previous.results.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
            let now = Set(results.map(key))
            var out: [String] = []
            for e in fileErrors where !previous.fileErrors.contains(e) { out.append("error: \(e)") }
            for r in results {
                let old = before[key(r)]
                let oldFailures = old?.failures.map { "\($0.path) \($0.actual)" }
                if old == nil || old!.passed != r.passed || oldFailures != r.failures.map({ "\($0.path) \($0.actual)" }) { out += Run.lines(r) }
            }
            for r in previous.results where !now.contains(key(r)) { out.append("- \(r.test.name) (removed)") }
            if out.isEmpty { out.append("no change in the results") }
            out.append(summary)
            return out
        }
    }

    /// Re-runs after each change the reloader acts on and prints what changed, until cancelled.
    func watch(_ pipeline: LoginPipeline, from first: Run, brokenMessage: String) async {
        let last = LastRun(first)
        await HotReloader(pipeline: pipeline, alsoWatching: roots) { failure in
            if let failure {
                printJSON("✗ \(brokenMessage): \(failure)")
                return
            }
            guard let next = try? await self.run(pipeline) else { return }
            printJSON(next.changes(since: last.swap(next)).joined(separator: "\n"))
        }.run()
    }

    func run(_ pipeline: LoginPipeline) async throws -> Run {
        var files: [String] = []
        for root in roots {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else { throw CommandFailure("\(root): no such file or folder") }
            if !isDir.boolValue { files.append(root); continue }
            let found = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter(ScriptTest.isTestFile).sorted() ?? []
            files += found.map { (root as NSString).appendingPathComponent($0) }
        }
        var tests: [ScriptTest] = []
        var fileErrors: [String] = []
        for f in files {
            do { tests += try ScriptTest.load(file: f, displayName: f) } catch { fileErrors.append(error.description) }
        }
        if let filter { tests = tests.filter { $0.name.localizedCaseInsensitiveContains(filter) } }
        var results: [ScriptTestResult] = []
        for t in tests { results.append(await pipeline.run(test: t)) }
        return Run(results: results, fileErrors: fileErrors, files: files.count)
    }
}
