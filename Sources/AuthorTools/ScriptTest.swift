import Foundation
import JSONCore
import LoginEngine
import NodeCompat
import Tenant

/// One test of rules and actions, from a `tests/**/*.test.json` file beside the tenant:
/// an input (a simulation request plus canned HTTP answers) and expectations on the result.
public struct ScriptTest: Sendable {
    public var name: String
    public var file: String
    public var request: SimulationRequest
    public var expect: JSONValue

    /// A problem in a test file: its path and the field at fault.
    public struct FileError: Error, CustomStringConvertible, Sendable {
        public var file: String
        public var field: String
        public var message: String
        public var description: String { "\(file): \(field): \(message)" }
    }

    static let testFields: Set<String> = ["name", "scripts", "input", "expect"]
    static let expectFields: Set<String> = ["outcome", "error", "redirect", "idToken", "accessToken", "droppedClaims", "metadata", "console", "scopes", "multifactor", "mfaRequired"]
    static let tokenFields: Set<String> = ["claims", "includes", "absent", "matches"]

    public static func isTestFile(_ path: String) -> Bool {
        path.hasSuffix(".test.json") || path.hasSuffix(".test.yaml") || path.hasSuffix(".test.yml")
    }

    /// Loads a file (JSON or YAML): one test object, or `{"tests": [...]}`.
    public static func load(file: String, displayName: String) throws(FileError) -> [ScriptTest] {
        guard let data = FileManager.default.contents(atPath: file) else { throw FileError(file: displayName, field: "(file)", message: "cannot read the file") }
        let text = String(decoding: data, as: UTF8.self)
        let doc: JSONValue
        if file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
            do { doc = try YAMLDocument.parse(text) } catch { throw FileError(file: displayName, field: "(file)", message: "invalid YAML: \(error)") }
        } else {
            do { doc = try JSONValue.parse(text) } catch {
                throw FileError(file: displayName, field: "(file)", message: "invalid JSON at line \(error.line), column \(error.column): \(error.message)")
            }
        }
        if let list = doc["tests"] {
            guard let items = list.arrayValue else { throw FileError(file: displayName, field: "tests", message: "must be an array of tests") }
            var out: [ScriptTest] = []
            for (i, item) in items.enumerated() { out.append(try parse(item, file: displayName, path: "tests[\(i)]")) }
            return out
        }
        return [try parse(doc, file: displayName, path: "")]
    }

    static func parse(_ v: JSONValue, file: String, path: String) throws(FileError) -> ScriptTest {
        func field(_ name: String) -> String { path.isEmpty ? name : path + "." + name }
        guard case .object(let o) = v else { throw FileError(file: file, field: path.isEmpty ? "(test)" : path, message: "a test must be a JSON object") }
        if let extra = o.keys.sorted().first(where: { !testFields.contains($0) }) {
            throw FileError(file: file, field: field(extra), message: "unknown field (known: \(testFields.sorted().joined(separator: ", ")))")
        }
        guard let name = o["name"]?.stringValue, !name.isEmpty else { throw FileError(file: file, field: field("name"), message: "a test needs a name") }
        guard case .object(var input)? = o["input"] else { throw FileError(file: file, field: field("input"), message: "a test needs an input object (at least a user)") }
        // Canned outbound answers are the runner's, not the simulation request's.
        var canned: [CannedResponse]?
        if let http = input.removeValue(forKey: "http") {
            guard let list = http.arrayValue else { throw FileError(file: file, field: field("input.http"), message: "must be an array of {method, url, status, body, headers}") }
            canned = []
            for (i, h) in list.enumerated() {
                guard let url = h["url"]?.stringValue else { throw FileError(file: file, field: field("input.http[\(i)].url"), message: "required") }
                let body = h["body"].map { $0.stringValue ?? $0.serialized() } ?? ""
                var headers = (h["headers"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                if let b = h["body"], b.stringValue == nil, headers.keys.first(where: { $0.lowercased() == "content-type" }) == nil {
                    headers["content-type"] = "application/json"
                }
                canned?.append(CannedResponse(method: h["method"]?.stringValue ?? "GET", url: url, status: h["status"]?.intValue ?? 200, headers: headers, body: body))
            }
        }
        var request: SimulationRequest
        do { request = try SimulationRequest(json: .object(input)) } catch {
            throw FileError(file: file, field: field("input"), message: String(describing: error).replacingOccurrences(of: "Invalid simulation request: ", with: ""))
        }
        request.cannedResponses = canned
        if let scripts = o["scripts"] {
            guard case .object(let so) = scripts else { throw FileError(file: file, field: field("scripts"), message: "must be {rules: [names], actions: [names]}") }
            for (k, list) in so {
                guard k == "rules" || k == "actions" else { throw FileError(file: file, field: field("scripts.\(k)"), message: "unknown field (known: actions, rules)") }
                guard let names = list.arrayValue?.compactMap(\.stringValue), names.count == list.arrayValue?.count else {
                    throw FileError(file: file, field: field("scripts.\(k)"), message: "must be an array of names")
                }
                if k == "rules" { request.rules = names } else { request.actions = names }
            }
        }
        let expect = o["expect"] ?? [:]
        guard case .object(let eo) = expect else { throw FileError(file: file, field: field("expect"), message: "must be an object") }
        if let extra = eo.keys.sorted().first(where: { !expectFields.contains($0) }) {
            throw FileError(file: file, field: field("expect.\(extra)"), message: "unknown expectation (known: \(expectFields.sorted().joined(separator: ", ")))")
        }
        if let outcome = eo["outcome"], !["allowed", "denied", "redirect", "mfa", "error"].contains(outcome.stringValue ?? "") {
            throw FileError(file: file, field: field("expect.outcome"), message: "must be allowed, denied, redirect, mfa or error")
        }
        for token in ["idToken", "accessToken"] {
            guard let t = eo[token] else { continue }
            guard case .object(let to) = t else { throw FileError(file: file, field: field("expect.\(token)"), message: "must be an object") }
            if let extra = to.keys.sorted().first(where: { !tokenFields.contains($0) }) {
                throw FileError(file: file, field: field("expect.\(token).\(extra)"), message: "unknown field (known: \(tokenFields.sorted().joined(separator: ", ")))")
            }
        }
        return ScriptTest(name: name, file: file, request: request, expect: expect)
    }
}

/// What one test found.
public struct ScriptTestResult: Sendable {
    public var test: ScriptTest
    /// Each failed expectation: where, expected, actual.
    public var failures: [(path: String, expected: String, actual: String)]
    public var result: SimulationResult?
    public var durationMs: Double
    public var passed: Bool { failures.isEmpty }
}

extension LoginPipeline {
    /// Runs a test: the simulation on an in-memory copy of its user (nothing is stored), then
    /// every expectation.
    public func run(test: ScriptTest) async -> ScriptTestResult {
        let started = monotonicSeconds()
        do {
            let result = try await simulate(try await detached(test.request), signTokens: false)
            return ScriptTestResult(test: test, failures: ScriptTestCheck.check(test.expect, against: result), result: result, durationMs: (monotonicSeconds() - started) * 1000)
        } catch {
            return ScriptTestResult(test: test, failures: [("(run)", "the flow to run", String(describing: error))], result: nil, durationMs: (monotonicSeconds() - started) * 1000)
        }
    }
}

/// The expectation language: exact values, subsets (`includes`), absence, and `/regex/` patterns.
enum ScriptTestCheck {
    static func check(_ expect: JSONValue, against r: SimulationResult) -> [(path: String, expected: String, actual: String)] {
        var failures: [(String, String, String)] = []
        func fail(_ path: String, _ expected: JSONValue, _ actual: JSONValue?) {
            failures.append((path, expected.serialized(), actual.map { $0.serialized() } ?? "(absent)"))
        }
        if let outcome = expect["outcome"]?.stringValue {
            let actual = r.outcome == .allowed && r.multifactor != nil ? "mfa" : r.outcome.rawValue
            if outcome != actual && !(outcome == "allowed" && actual == "mfa") { fail("outcome", .string(outcome), .string(actual)) }
        }
        if let e = expect["error"] {
            let actual: JSONValue = r.error.map { ["code": .string($0.error), "description": .string($0.description)] } ?? .null
            if e.isNull {
                if !actual.isNull { fail("error", .null, actual) }
            } else {
                if let code = e["code"], code != actual["code"] { fail("error.code", code, actual["code"]) }
                if let d = e["description"], !matches(d, actual["description"]) { fail("error.description", d, actual["description"]) }
            }
        }
        if let redirect = expect["redirect"], !matches(redirect, r.redirect?["url"]) { fail("redirect", redirect, r.redirect?["url"]) }
        if let m = expect["multifactor"], !includes(m, r.multifactor ?? .null) { fail("multifactor", m, r.multifactor) }
        if let m = expect["mfaRequired"], !includes(m, r.mfa?.json ?? .null) { fail("mfaRequired", m, r.mfa?.json) }
        for (key, token) in [("idToken", r.idToken), ("accessToken", r.accessToken)] {
            guard let t = expect[key] else { continue }
            let claims = token?.claims.objectValue ?? [:]
            if let exact = t["claims"]?.objectValue {
                for (k, v) in exact.sorted(by: { $0.key < $1.key }) where claims[k] != v { fail("\(key).claims.\(k)", v, claims[k]) }
            }
            if let subset = t["includes"]?.objectValue {
                for (k, v) in subset.sorted(by: { $0.key < $1.key }) where !(claims[k].map { includes(v, $0) } ?? false) { fail("\(key).includes.\(k)", v, claims[k]) }
            }
            for k in t["absent"]?.arrayValue?.compactMap(\.stringValue) ?? [] where claims[k] != nil { fail("\(key).absent.\(k)", .string("(absent)"), claims[k]) }
            if let patterns = t["matches"]?.objectValue {
                for (k, p) in patterns.sorted(by: { $0.key < $1.key }) where !matches(p, claims[k]) { fail("\(key).matches.\(k)", p, claims[k]) }
            }
        }
        if let scopes = expect["scopes"]?.arrayValue?.compactMap(\.stringValue) {
            let actual = (r.accessToken?.claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init)
            if Set(scopes) != Set(actual) { fail("scopes", .array(scopes.map(JSONValue.string)), .array(actual.map(JSONValue.string))) }
        }
        if let dropped = expect["droppedClaims"]?.arrayValue?.compactMap(\.stringValue) {
            let actual = Set(r.droppedClaims.map(\.claim))
            if Set(dropped) != actual { fail("droppedClaims", .array(dropped.map(JSONValue.string)), .array(actual.sorted().map(JSONValue.string))) }
        }
        if let md = expect["metadata"] {
            for (key, actual) in [("app", r.persistedAppMetadata), ("user", r.persistedUserMetadata)] {
                if let subset = md[key], !includes(subset, .object(actual)) { fail("metadata.\(key)", subset, .object(actual)) }
                if let exact = md[key + "Exact"], exact != .object(actual) { fail("metadata.\(key)Exact", exact, .object(actual)) }
            }
        }
        if let patterns = expect["console"]?.arrayValue {
            let lines = r.trace.flatMap { e in (e["console"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue } }
            for p in patterns where !lines.contains(where: { matches(p, .string($0)) }) {
                fail("console", p, .array(lines.map(JSONValue.string)))
            }
        }
        return failures
    }

    /// A string `/…/flags` is a regular expression; anything else must be equal.
    static func matches(_ pattern: JSONValue, _ value: JSONValue?) -> Bool {
        guard let value else { return false }
        if let p = pattern.stringValue, p.count >= 2, p.hasPrefix("/"), let end = p.lastIndex(of: "/"), end != p.startIndex {
            let body = String(p[p.index(after: p.startIndex)..<end])
            let flags = p[p.index(after: end)...]
            let text = value.stringValue ?? value.serialized()
            let options: NSRegularExpression.Options = flags.contains("i") ? [.caseInsensitive] : []
            guard let re = try? NSRegularExpression(pattern: body, options: options) else { return false }
            return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        return pattern == value
    }

    /// `expected` is contained in `actual`: objects by key (recursively), arrays element-wise
    /// as a subset, patterns and scalars by `matches`.
    static func includes(_ expected: JSONValue, _ actual: JSONValue) -> Bool {
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            return e.allSatisfy { k, v in a[k].map { includes(v, $0) } ?? v.isNull }
        case (.array(let e), .array(let a)):
            return e.allSatisfy { v in a.contains { includes(v, $0) } }
        default:
            return matches(expected, actual)
        }
    }
}

/// JUnit XML (testsuite / testcase / failure) for CI systems.
public enum JUnitReport {
    public static func xml(_ results: [ScriptTestResult], suiteName: String) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                .replacingOccurrences(of: "\"", with: "&quot;")
        }
        let failures = results.filter { !$0.passed }.count
        let total = results.reduce(0.0) { $0 + $1.durationMs } / 1000
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(String(format: "%.3f", total))\">\n"
        out += "  <testsuite name=\"\(esc(suiteName))\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\" time=\"\(String(format: "%.3f", total))\">\n"
        for r in results {
            out += "    <testcase classname=\"\(esc(r.test.file))\" name=\"\(esc(r.test.name))\" time=\"\(String(format: "%.3f", r.durationMs / 1000))\""
            if r.passed {
                out += "/>\n"
            } else {
                let text = r.failures.map { "\($0.path): expected \($0.expected), got \($0.actual)" }.joined(separator: "\n")
                out += ">\n      <failure message=\"\(esc(r.failures.first.map { "\($0.path): expected \($0.expected), got \($0.actual)" } ?? ""))\" type=\"AssertionFailure\">\(esc(text))</failure>\n    </testcase>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}
