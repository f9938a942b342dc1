import ArgumentParser
import Foundation
import Pipeline
import ScriptRuntime

/// `authsim test`: the tenant's rule and action tests (`tests/**/*.test.json`).
struct TestScripts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests kept beside the tenant (tests/**/*.test.json) against its rules and actions.",
        discussion: """
            Each test names an input (a simulation request: a stored user or an inline profile,
            client, connection, protocol, request with geoip, context, "now", and "http": canned
            answers to outbound calls by method and URL) and expectations on the result. Tests run
            on in-memory copies of users: nothing is stored. The file format is described by
            Schemas/script-test.schema.json. Exit status 0 when every test passes, 1 otherwise.
            """)

    @Option(name: .long, help: "The tenant directory.") var tenant: String = "."
    @Option(name: .customLong("modules"), help: "Extra module folder for require (repeatable).") var modules: [String] = []
    @Argument(help: "Test files or folders (default: <tenant>/tests).") var paths: [String] = []
    @Option(name: .long, help: "Run only tests whose name contains this text.") var filter: String?
    @Option(name: .long, help: "Also write a JUnit XML report to this file.") var junit: String?

    func run() async throws {
        let roots = paths.isEmpty ? [(tenant as NSString).appendingPathComponent("tests")] : paths
        var files: [String] = []
        for root in roots {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else { throw CommandFailure("\(root): no such file or folder") }
            if !isDir.boolValue { files.append(root); continue }
            let found = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".test.json") }.sorted() ?? []
            files += found.map { (root as NSString).appendingPathComponent($0) }
        }
        var tests: [ScriptTest] = []
        var fileErrors: [String] = []
        for f in files {
            do { tests += try ScriptTest.load(file: f, displayName: f) } catch { fileErrors.append(error.description) }
        }
        if let filter { tests = tests.filter { $0.name.localizedCaseInsensitiveContains(filter) } }
        for e in fileErrors { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: ProcessInfo.processInfo.activeProcessorCount))
        let pipeline: LoginPipeline
        do {
            pipeline = try await LoginPipeline.open(tenantDirectory: tenant, storePath: scratch + "/tests.sqlite", runtime: runtime, modulePaths: modules)
        } catch { throw CommandFailure(error) }

        var results: [ScriptTestResult] = []
        for t in tests { results.append(await pipeline.run(test: t)) }
        var out: [String] = []
        for r in results {
            out.append("\(r.passed ? "✓" : "✗") \(r.test.name)  (\(r.test.file), \(String(format: "%.1f", r.durationMs)) ms)")
            for f in r.failures {
                out.append("    \(f.path)")
                out.append("      expected: \(f.expected)")
                out.append("      actual:   \(f.actual)")
            }
        }
        let failed = results.filter { !$0.passed }.count
        out.append("")
        out.append("\(results.count) test\(results.count == 1 ? "" : "s"), \(results.count - failed) passed, \(failed) failed\(fileErrors.isEmpty ? "" : ", \(fileErrors.count) bad file\(fileErrors.count == 1 ? "" : "s")")")
        printJSON(out.joined(separator: "\n"))
        if let junit {
            do { try JUnitReport.xml(results, suiteName: "authsim " + tenant).write(toFile: junit, atomically: true, encoding: .utf8) } catch {
                throw CommandFailure("cannot write \(junit): \(error)")
            }
        }
        runtime.shutdown()
        if failed > 0 || !fileErrors.isEmpty || results.isEmpty && !files.isEmpty { throw ExitCode(1) }
    }
}
