import AuthorTools
import Foundation
import JSONCore
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A long-running authsim process whose output is read as it comes.
final class LiveProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var text = ""

    init(_ args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = args
        process.currentDirectoryURL = CLITests.root
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        out.fileHandleForReading.readabilityHandler = { [self] h in
            let chunk = h.availableData
            lock.lock()
            text += String(decoding: chunk, as: UTF8.self)
            lock.unlock()
        }
        try process.run()
    }

    var output: String { lock.lock(); defer { lock.unlock() }; return text }

    /// Waits (polling) until the output contains `needle` after `offset` characters; at most `seconds`.
    func wait(for needle: String, after offset: Int = 0, seconds: Double = 90) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let o = output
            if o.count > offset, o.dropFirst(offset).contains(needle) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    func stop() { if process.isRunning { process.terminate() } }
}

/// `authsim test` on the sample tenant's own test suite, on a deliberately broken rule, on bad
/// test files, with canned HTTP answers, and its JUnit XML.
@Suite struct ScriptTestRunnerTests {
    let cli = CLITests()

    func store() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("authsim-t-\(UUID().uuidString)/s.sqlite").path }

    func junitCounts(_ path: String) throws -> (tests: Int, failures: Int, cases: Int, failureElements: Int) {
        let doc = try XMLDocument(contentsOf: URL(fileURLWithPath: path))
        let suite = try #require(try doc.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
        let cases = try doc.nodes(forXPath: "/testsuites/testsuite/testcase").count
        let failures = try doc.nodes(forXPath: "/testsuites/testsuite/testcase/failure").count
        return (Int(suite.attribute(forName: "tests")?.stringValue ?? "") ?? -1, Int(suite.attribute(forName: "failures")?.stringValue ?? "") ?? -1, cases, failures)
    }

    @Test func theSampleTenantsSuitePassesAndWritesJUnit() async throws {
        let junit = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml").path
        let r = try await cli.authsim(["test", "--tenant", CLITests.root.path, "--junit", junit], store: store())
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("10 tests, 10 passed, 0 failed"))
        #expect(r.stdout.contains("✓ geoip-country uses the simulated geo-IP table"))
        let counts = try junitCounts(junit)
        #expect(counts.tests == 10 && counts.cases == 10 && counts.failures == 0 && counts.failureElements == 0)
    }

    @Test func aBrokenRuleFailsWithAReadableDiff() async throws {
        let tenant = try HotReloadTests().copyOfSampleTenant()
        try FileManager.default.copyItem(atPath: CLITests.root.appendingPathComponent("tests").path, toPath: tenant + "/tests")
        let rule = tenant + "/rules/metadata-claims.js"
        let broken = try String(contentsOfFile: rule, encoding: .utf8).replacingOccurrences(of: "appMetadata.plan || 'free'", with: "'gold'")
        try broken.write(toFile: rule, atomically: true, encoding: .utf8)
        let junit = tenant + "/junit.xml"
        let r = try await cli.authsim(["test", "--tenant", tenant, "--junit", junit, "--filter", "metadata-claims"], store: store())
        #expect(r.status == 1)
        #expect(r.stdout.contains("✗ metadata-claims projects plan and language"))
        #expect(r.stdout.contains("idToken.claims.https://example.com/plan\n      expected: \"pro\"\n      actual:   \"gold\""))
        #expect(r.stdout.contains("✗ metadata-claims defaults the plan to free"))
        #expect(r.stdout.contains("2 tests, 0 passed, 2 failed"))
        let counts = try junitCounts(junit)
        #expect(counts.tests == 2 && counts.failures == 2 && counts.failureElements == 2)
    }

    @Test func badTestFilesNameTheFieldAtFault() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-badtests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"name": "x", "input": {"user": "ann@example.com"}, "expect": {"outcomes": "allowed"}}"#.write(toFile: dir + "/typo.test.json", atomically: true, encoding: .utf8)
        try #"{"tests": [{"name": "ok", "input": {"user": "ann@example.com"}}, {"name": "y", "input": {"user": "ann@example.com", "http": [{"status": 200}]}}]}"#
            .write(toFile: dir + "/nourl.test.json", atomically: true, encoding: .utf8)
        try "{ not json".write(toFile: dir + "/broken.test.json", atomically: true, encoding: .utf8)
        try "name: [unclosed".write(toFile: dir + "/broken.test.yaml", atomically: true, encoding: .utf8)
        let r = try await cli.authsim(["test", "--tenant", CLITests.root.path, dir], store: store())
        #expect(r.status == 1)
        #expect(r.stderr.contains("typo.test.json: expect.outcomes: unknown expectation"))
        #expect(r.stderr.contains("nourl.test.json: tests[1].input.http[0].url: required"))
        #expect(r.stderr.contains("broken.test.json: (file): invalid JSON at line 1"))
        #expect(r.stderr.contains("broken.test.yaml: (file): invalid YAML"))
    }

    @Test func cannedHTTPAnswersReplaceTheNetwork() async throws {
        let tenant = try HotReloadTests().copyOfSampleTenant()
        try """
            async function score(user, context, callback) {
              const axios = require('axios');
              const r = await axios.post('https://risk.example.com/score', { email: user.email });
              context.idToken['https://example.com/risk'] = r.data.score;
              try { await axios.get('https://risk.example.com/other'); } catch (e) { console.log('other:', e.code); }
              callback(null, user, context);
            }
            """.write(toFile: tenant + "/rules/score.js", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: tenant + "/tests", withIntermediateDirectories: true)
        try """
            {"name": "risk score from the canned service", "scripts": {"rules": ["score"]},
             "input": {"user": "ann@example.com", "http": [{"method": "POST", "url": "https://risk.example.com/score", "body": {"score": 0.25}}]},
             "expect": {"idToken": {"claims": {"https://example.com/risk": 0.25}}, "console": ["/other: ENOCANNEDRESPONSE/"]}}
            """.write(toFile: tenant + "/tests/risk.test.json", atomically: true, encoding: .utf8)
        let r = try await cli.authsim(["test", "--tenant", tenant], store: store())
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("1 test, 1 passed, 0 failed"))
    }

    /// A script's MFA branches tested without a phone: the test input chooses the outcome.
    @Test func anMFAOutcomeIsChosenByTheTest() async throws {
        let tenant = try HotReloadTests().copyOfSampleTenant()
        try FileManager.default.createDirectory(atPath: tenant + "/actions/step-up", withIntermediateDirectories: true)
        try """
            exports.onExecutePostLogin = async (event, api) => {
              if (event.user.enrolledFactors.length === 0) api.authentication.enrollWith({ type: 'otp' });
              else api.authentication.challengeWith({ type: 'otp' });
            };
            exports.onContinuePostLogin = async (event, api) => {
              api.idToken.setCustomClaim('https://example.com/step-up', event.authentication.methods.map(m => m.name).join(','));
            };
            """.write(toFile: tenant + "/actions/step-up/code.js", atomically: true, encoding: .utf8)
        try #"{"name": "step-up", "code": "./actions/step-up/code.js", "supported_triggers": [{"id": "post-login", "version": "v3"}]}"#
            .write(toFile: tenant + "/actions/step-up.json", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: tenant + "/tests", withIntermediateDirectories: true)
        try """
            {"tests": [
              {"name": "passes the challenge", "scripts": {"rules": [], "actions": ["step-up"]}, "input": {"user": "ann@example.com", "mfa": "pass"},
               "expect": {"outcome": "allowed", "idToken": {"claims": {"https://example.com/step-up": "pwd,mfa", "amr": ["mfa"]}}}},
              {"name": "fails the challenge", "scripts": {"rules": [], "actions": ["step-up"]}, "input": {"user": "ann@example.com", "mfa": "fail"},
               "expect": {"outcome": "denied"}},
              {"name": "is asked to enrol", "scripts": {"rules": [], "actions": ["step-up"]}, "input": {"user": "ann@example.com", "mfa": "not_enrolled"},
               "expect": {"outcome": "redirect", "mfaRequired": {"enrollOnly": true, "pausedAction": "step-up"}}}
            ]}
            """.write(toFile: tenant + "/tests/mfa.test.json", atomically: true, encoding: .utf8)
        let r = try await cli.authsim(["test", "--tenant", tenant], store: store())
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("3 tests, 3 passed, 0 failed"), "\(r.stdout)")
    }

    @Test func watchModeReRunsAndPrintsOnlyWhatChanged() async throws {
        let tenant = try HotReloadTests().copyOfSampleTenant()
        try FileManager.default.copyItem(atPath: CLITests.root.appendingPathComponent("tests").path, toPath: tenant + "/tests")
        let p = try LiveProcess(["test", "--tenant", tenant, "--watch"])
        defer { p.stop() }
        #expect(await p.wait(for: "10 tests, 10 passed, 0 failed"))
        let mark = p.output.count
        // Break a rule: only the two tests of that rule are printed, then the new summary.
        let rule = tenant + "/rules/metadata-claims.js"
        let original = try String(contentsOfFile: rule, encoding: .utf8)
        try original.replacingOccurrences(of: "appMetadata.plan || 'free'", with: "'gold'").write(toFile: rule, atomically: true, encoding: .utf8)
        #expect(await p.wait(for: "10 tests, 7 passed, 3 failed", after: mark))
        let changed = String(p.output.dropFirst(mark))
        #expect(changed.contains("✗ metadata-claims projects plan and language"))
        #expect(!changed.contains("add-roles-to-tokens puts"))
        // Fix it again.
        let mark2 = p.output.count
        try original.write(toFile: rule, atomically: true, encoding: .utf8)
        #expect(await p.wait(for: "10 tests, 10 passed, 0 failed", after: mark2))
        #expect(String(p.output.dropFirst(mark2)).contains("✓ metadata-claims projects plan and language"))
    }

    @Test func serveWatchRunsTheTestsAfterEachReload() async throws {
        let tenant = try HotReloadTests().copyOfSampleTenant()
        try FileManager.default.copyItem(atPath: CLITests.root.appendingPathComponent("tests").path, toPath: tenant + "/tests")
        let p = try LiveProcess(["serve", "--port", "0", "--tenant", tenant, "--store", tenant + "/store.sqlite", "--watch"])
        defer { p.stop() }
        #expect(await p.wait(for: "10 tests, 10 passed, 0 failed"))
        let mark = p.output.count
        try "function (user, context, callback) { callback(null, user, context) ".write(toFile: tenant + "/rules/geoip-country.js", atomically: true, encoding: .utf8)
        #expect(await p.wait(for: "the tenant does not load (still serving the last good revision)", after: mark))
        #expect(p.output.dropFirst(mark).contains("rules/geoip-country.js"))
    }
}
