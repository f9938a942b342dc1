import Directory
import Foundation
import JSONCore
import Tenant
import Testing

@testable import LoginEngine

/// A trace document shaped like a login's result: top-level summary fields, a user and one
/// entry per rule with its console lines.
private func traceDocument(entries: [[JSONValue]], extra: [String: JSONValue] = [:]) -> JSONValue {
    var o: [String: JSONValue] = [
        "outcome": "allowed", "client": "My App", "connection": "Username-Password-Authentication", "durationMs": 3.5,
        "user": ["user_id": "auth0|ann", "email": "ann@example.com", "app_metadata": ["plan": "pro"]],
        "warnings": [],
        "trace": .array(entries.enumerated().map { i, lines in
            ["name": .string("rule-\(i)"), "order": .number(Double(i + 1)), "outcome": "continued", "console": .array(lines), "http": [], "changes": [:]]
        }),
    ]
    for (k, v) in extra { o[k] = v }
    return .object(o)
}

private func lines(_ n: Int, _ message: (Int) -> String = { "line \($0): " + String(repeating: "x", count: 80) }) -> [JSONValue] {
    (0..<n).map { ["level": "log", "message": .string(message($0)), "t": .number(Double($0))] }
}

/// The stored text parsed back (deep documents may be deeper than the default parse limit).
private func parsed(_ outcome: TraceLimiter.Outcome) throws -> JSONValue {
    try JSONValue.parse(outcome.json, maxDepth: 100_000)
}

@Suite struct TraceLimiterTests {
    let limiter = TraceLimiter(limitBytes: 16 * 1024)

    @Test func aTraceUnderTheLimitIsStoredAsItIs() throws {
        let doc = traceDocument(entries: [lines(20), lines(5)])
        let out = limiter.limit(doc)
        #expect(out.json == doc.serialized())
        #expect(out.originalBytes == nil)
        #expect(try parsed(out)["truncated"] == nil)
    }

    @Test func thousandsOfConsoleLinesAreCutPerEntryWithAMarkerLine() throws {
        let doc = traceDocument(entries: [lines(5000), lines(3), lines(20000)])
        let original = doc.serialized().utf8.count
        let out = limiter.limit(doc)
        #expect(out.json.utf8.count <= 16 * 1024)
        #expect(out.originalBytes == original)

        let back = try parsed(out)
        #expect(back["truncated"]?["originalBytes"]?.intValue == original)
        #expect(back["truncated"]?["limitBytes"]?.intValue == 16 * 1024)
        #expect(back["truncated"]?["cut"] == ["console lines"])
        // Same shape: the summary, the user and every entry are there.
        #expect(back["outcome"] == "allowed")
        #expect(back["user"] == doc["user"])
        let entries = try #require(back["trace"]?.arrayValue)
        #expect(entries.map { $0["name"]?.stringValue } == ["rule-0", "rule-1", "rule-2"])
        // The short console is untouched; the long ones keep their first lines and say how many went.
        #expect(entries[1]["console"] == .array(lines(3)))
        for (entry, total) in [(entries[0], 5000), (entries[2], 20000)] {
            let console = try #require(entry["console"]?.arrayValue)
            #expect(console.first == lines(1).first)
            let markers = console.filter { $0["message"]?.stringValue?.hasSuffix("more lines cut (trace size limit)") == true }
            #expect(markers.count == 1)
            let kept = console.count - 1
            #expect(markers.first?["message"]?.stringValue == "… \(total - kept) more lines cut (trace size limit)")
            #expect(markers.first?["level"] == "warn")
        }
    }

    @Test func oneGiantConsoleLineIsShortenedNotDropped() throws {
        let giant = String(repeating: "é", count: 2_000_000)
        let doc = traceDocument(entries: [[["level": "log", "message": .string(giant), "t": 0]]])
        let out = limiter.limit(doc)
        #expect(out.json.utf8.count <= 16 * 1024)
        let back = try parsed(out)
        let console = try #require(back["trace"]?.arrayValue?.first?["console"]?.arrayValue)
        #expect(console.count == 1)
        let message = try #require(console[0]["message"]?.stringValue)
        #expect(message.hasPrefix("éééé"))
        #expect(message.hasSuffix("more characters cut)"))
        #expect(back["truncated"]?["cut"]?.arrayValue?.contains("long strings") == true)
    }

    @Test func oneGraphemeOfCombiningMarksIsCutByScalars() throws {
        // One "character" of a million scalars: a cut by characters would keep all of it.
        let zalgo = "a" + String(repeating: "\u{0301}", count: 1_000_000)
        let doc = traceDocument(entries: [], extra: ["error": ["error_description": .string(zalgo)]])
        let out = limiter.limit(doc)
        #expect(out.json.utf8.count <= 16 * 1024)
        #expect(try parsed(out)["error"]?["error_description"]?.stringValue?.hasSuffix("more characters cut)") == true)
    }

    @Test func thousandsOfEntriesAndKeysAreCutToItems() throws {
        let manyKeys = JSONValue.object(Dictionary(uniqueKeysWithValues: (0..<5000).map { ("key\($0)", JSONValue.number(Double($0))) }))
        var doc = traceDocument(entries: Array(repeating: [], count: 3000))
        if case .object(var o) = doc {
            o["user"] = ["user_id": "auth0|ann", "app_metadata": manyKeys]
            o["warnings"] = .array((0..<4000).map { .string("warning \($0)") })
            doc = .object(o)
        }
        let out = limiter.limit(doc)
        #expect(out.json.utf8.count <= 16 * 1024)
        let back = try parsed(out)
        #expect(back["truncated"]?["cut"]?.arrayValue?.contains("items") == true)
        let entries = try #require(back["trace"]?.arrayValue)
        #expect(!entries.isEmpty && entries.count < 3000)
        #expect(entries[0]["name"] == "rule-0")
        // A list of strings says how many went; an object has a "…" key saying the same.
        let warnings = try #require(back["warnings"]?.arrayValue)
        #expect(warnings.last?.stringValue?.hasSuffix("more items cut (trace size limit)") == true)
        let metadata = try #require(back["user"]?["app_metadata"]?.objectValue)
        #expect(metadata.count < 5000)
        #expect(metadata["…"]?.stringValue?.hasSuffix("more keys cut (trace size limit)") == true)
    }

    @Test func deepNestingIsCutToAValidShallowerDocument() throws {
        // 1,000 levels of one-key objects and two-item arrays (so cutting items cannot flatten
        // them): deeper than the trace readers parse (512 levels).
        var deep: JSONValue = "bottom"
        for _ in 0..<1000 { deep = ["nest": [deep, .string(String(repeating: "p", count: 40))]] }
        let doc = traceDocument(entries: [], extra: ["deep": deep])
        let small = TraceLimiter(limitBytes: 4096)
        let out = small.limit(doc)
        #expect(out.json.utf8.count <= 4096)
        let back = try JSONValue.parse(out.json)  // the default depth limit of the trace readers
        #expect(back["outcome"] == "allowed")
        #expect(back["deep"]?["nest"]?.arrayValue != nil)
        #expect(back["truncated"]?["cut"]?.arrayValue?.contains("nesting") == true)
    }

    @Test func aDocumentWithNothingLeftToCutKeepsItsSummary() throws {
        // Thousands of short top-level fields: no step but the last can help.
        var o: [String: JSONValue] = [:]
        for i in 0..<3000 { o["field\(i)"] = .number(Double(i)) }
        let small = TraceLimiter(limitBytes: 4096)
        let out = small.limit(.object(o))
        #expect(out.json.utf8.count <= 4096)
        let back = try parsed(out)
        #expect(back["truncated"]?["originalBytes"]?.intValue == JSONValue.object(o).serialized().utf8.count)
        #expect(back["truncated"]?["cut"]?.arrayValue?.last == "all but the summary")
    }

    @Test func theLimitHasAFloor() {
        #expect(TraceLimiter(limitBytes: 10).limitBytes == TraceLimiter.minimumLimit)
        #expect(TraceLimiter(limitBytes: 1 << 20).limitBytes == 1 << 20)
    }
}

/// The tenant's retention settings reach the stored traces and the pruning.
@Suite struct TraceRetentionTests {
    @Test func aChattyRulesStoredTraceIsCutToTheTenantsLimit() async throws {
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"trace_max_bytes": 4096}}"#
        f.rules = [("chatty", "function (user, context, callback) { for (var i = 0; i < 3000; i++) console.log('line ' + i + ' of a chatty rule'); callback(null, user, context); }")]
        let p = try await makePipeline(f)
        let result = try await simulate(p)
        #expect(result.outcome == .allowed)
        let text = try #require(try await p.store.trace(id: result.traceId))
        #expect(text.utf8.count <= 4096)
        let stored = try JSONValue.parse(text)
        #expect(stored["outcome"] == "allowed")
        #expect(stored["truncated"]?["limitBytes"] == 4096)
        #expect(try #require(stored["truncated"]?["originalBytes"]?.intValue) > 4096)
        // The caller's result is not cut: only what is kept is.
        #expect(result.json.serialized().utf8.count > 4096)
    }

    @Test func settingsAreReadAndCheckedFromTenantJSON() throws {
        var f = TenantFixture()
        #expect(try TenantLoader.load(directory: f.write()).settings.traceMaxBytes == 256 * 1024)
        f.tenantJSON = #"{"authsim": {"trace_max_bytes": 65536, "trace_capacity": 50, "trace_retention_days": 0.5, "log_retention_days": 30}}"#
        let s = try TenantLoader.load(directory: f.write()).settings
        #expect(s.traceMaxBytes == 65536)
        #expect(s.traceCapacity == 50)
        #expect(s.traceRetentionDays == 0.5)
        #expect(s.logRetentionDays == 30)
        for bad in [#"{"trace_max_bytes": 100}"#, #"{"trace_capacity": 0}"#, #"{"trace_retention_days": -1}"#, #"{"log_retention_days": "7"}"#] {
            f.tenantJSON = #"{"authsim": \#(bad)}"#
            #expect(throws: TenantError.self) { try TenantLoader.load(directory: f.write()) }
        }
    }

    @Test func pruningFollowsTheTenantsRetention() async throws {
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"trace_capacity": 2, "trace_retention_days": 1, "log_retention_days": 3}}"#
        let p = try await makePipeline(f)
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await simulate(p).traceId) }
        let now = Timestamp.now()
        let events = try await p.store.logs(userId: nil, offset: 0, limit: 100).total
        #expect(events >= 3)

        // Within the age: only the count bound acts, on the oldest trace.
        let first = try await p.pruneStore(now: now)
        #expect(first.traces == 1 && first.logs == 0)
        #expect(try await p.store.trace(id: ids[0]) == nil)
        #expect(try await p.store.trace(id: ids[2]) != nil)

        // Two days on: the traces are past their day, the log events not yet past their three.
        let later = try await p.pruneStore(now: now + 2 * 86400)
        #expect(later.traces == 2 && later.logs == 0)
        #expect(try await p.store.logs(userId: nil, offset: 0, limit: 100).total == events)
        let muchLater = try await p.pruneStore(now: now + 4 * 86400)
        #expect(muchLater.logs == events)
        #expect(try await p.store.logs(userId: nil, offset: 0, limit: 10).total == 0)
    }
}
