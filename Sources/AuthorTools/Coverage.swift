import Foundation
import JSONCore
import LoginEngine
import ScriptRuntime
import Synchronization
import Tenant

/// Which lines and basic blocks of the tenant's scripts ran (debug mode): JavaScriptCore's
/// control-flow profiler (`Runtime.enableControlFlowProfiler`) counts each basic block's runs
/// while the logins go on; `collect` reads them per script (`Runtime.getBasicBlocks`) and maps
/// them onto the lines of the tenant's file (the runtime's wrapper around a script is left out:
/// the file's text is found verbatim in the evaluated source).
public final class CoverageRecorder: Sendable {
    let sessions: Mutex<[InspectorSession]>
    /// The scripts each tenant context announced: their ids (per session) and file names.
    let scripts: Mutex<[(session: InspectorSession, id: String, url: String)]>
    let files: [String: String]
    /// The tenant contexts' sessions (the probe's is not one), and the scripts each announced.
    let tenantSessions = Mutex<[InspectorSession]>([])
    let parsed = Mutex<[UInt64: [(id: String, url: String)]]>([:])

    /// Starts recording on every script context of the pipeline's (inspectable) runtime.
    /// `files`: the tenant scripts to report, path → the file's text (`CoverageRecorder.scripts`).
    public static func start(pipeline: LoginPipeline, relay: InspectorRelay, files: [String: String]) async throws -> CoverageRecorder {
        // The profiler is the VM's: it is switched on through a context of its own, before the
        // tenant's scripts are compiled, so that what they run when they load (an action
        // module's top level) is counted too. Its session stays open (closing it would switch
        // the profiler off).
        // Only this runtime's contexts: targets already listed (a runtime just shut down whose
        // context is not gone yet) would never answer.
        let existing = Set(try await relay.targets(within: 60).map(\.id))
        let probe = ScriptProgram(id: "authsim-coverage-probe", files: [ScriptFile(name: "authsim:coverage/probe.js", source: "function main() { return ''; }")])
        _ = try await pipeline.runtime.run(ScriptJob(program: probe, entry: "main", input: ""))
        let before = try await relay.newTargets(excluding: existing, within: 60)
        var sessions: [InspectorSession] = []
        for target in before {
            let session = relay.attach(target.id)
            sessions.append(session)
            try await session.send("Runtime.enableControlFlowProfiler")
        }
        try await pipeline.prepareScripts()
        let targets = try await relay.newTargets(excluding: existing.union(before.map(\.id)), within: 60)
        let recorder = CoverageRecorder(files: files)
        // Only attached now; the debugger is enabled when the counts are read (`collect`): with
        // a debugger attached JavaScriptCore aborts the process when it terminates a script
        // that ran out of time, and the profiler counts without one. The scripts are noted as
        // the inspector announces them, in order with the answers.
        for target in targets {
            let session = relay.attach(target.id) { event in
                guard event["method"]?.stringValue == "Debugger.scriptParsed", let id = event["params"]?["scriptId"]?.stringValue,
                    let url = event["params"]?["url"]?.stringValue
                else { return }
                recorder.parsed.withLock { $0[target.id, default: []].append((id, url)) }
            }
            sessions.append(session)
            recorder.tenantSessions.withLock { $0.append(session) }
        }
        recorder.sessions.withLock { $0 = sessions }
        return recorder
    }

    /// Enables the debugger on each tenant context to learn its scripts' ids: all it has loaded
    /// are announced (`Debugger.scriptParsed`) before the answer to `Debugger.enable`.
    func announceScripts() async throws {
        for session in tenantSessions.withLock({ $0 }) {
            try await session.send("Debugger.enable")
            let announced = parsed.withLock { $0[session.target] ?? [] }
            scripts.withLock { $0 += announced.map { (session, $0.id, $0.url) } }
        }
    }

    init(files: [String: String]) {
        self.files = files
        self.scripts = Mutex([])
        self.sessions = Mutex([])
    }

    /// The coverage of each tenant script the contexts have loaded, by file name.
    public func collect() async throws -> [ScriptCoverage] {
        try await announceScripts()
        var out: [String: ScriptCoverage] = [:]
        for (session, id, url) in scripts.withLock({ $0 }) {
            guard let text = files[url] else { continue }
            let source = try await session.send("Debugger.getScriptSource", ["scriptId": .string(id)])["scriptSource"]?.stringValue ?? ""
            let blocks = try await session.send("Runtime.getBasicBlocks", ["sourceID": .string(id)])["basicBlocks"]?.arrayValue ?? []
            let coverage = ScriptCoverage.map(file: url, text: text, evaluated: source, blocks: blocks)
            // A script loaded in several contexts: the counts add up.
            out[url] = out[url].map { $0.adding(coverage) } ?? coverage
        }
        // Scripts never loaded (a disabled rule, an unbound action) are reported as such.
        for (file, text) in files where out[file] == nil { out[file] = ScriptCoverage.unloaded(file: file, text: text) }
        return out.values.sorted { $0.file < $1.file }
    }

    public func close() {
        for s in sessions.withLock({ $0 }) { s.close() }
    }

    /// The tenant's own scripts: enabled rules, actions, custom-database scripts (path → text).
    public static func scripts(of tenant: Tenant) -> [String: String] {
        var files: [String: String] = [:]
        for r in tenant.rules where r.enabled { files[r.file] = r.source }
        for a in tenant.actions { files[a.file] = a.source }
        for c in tenant.connections where c.usesCustomScripts {
            for s in c.scripts.values { files[s.file] = s.source }
        }
        return files
    }
}

/// One script's coverage: its lines with code and how often each ran, and its basic blocks.
public struct ScriptCoverage: Sendable, Equatable {
    public var file: String
    /// Lines (from 1) that hold code, with the runs of the innermost block they start in.
    public var lines: [Int: Int]
    /// Basic blocks: the line each starts on and its runs.
    public var blocks: [Block]
    /// False for a script no context loaded (its lines are all uncovered).
    public var loaded: Bool

    public struct Block: Sendable, Equatable {
        public var line: Int
        public var count: Int
    }

    public var linesHit: Int { lines.values.filter { $0 > 0 }.count }
    public var blocksHit: Int { blocks.filter { $0.count > 0 }.count }

    /// Lines that hold code (`CodeLines`), except those whose code starts by closing a block
    /// (`}`, `} else {`, `});`): not statements.
    static func codeLines(_ text: String) -> [(line: Int, offset: Int)] {
        let units = Array(text.utf16)
        return CodeLines.scan(text).filter { ![0x7D, 0x29, 0x5D].contains(units[$0.offset]) }
    }

    /// Maps the profiler's blocks (UTF-16 offsets in the evaluated source) onto the file.
    static func map(file: String, text: String, evaluated: String, blocks: [JSONValue]) -> ScriptCoverage {
        // Where the file's text starts in what was evaluated (after the runtime's wrapper).
        let base = evaluated.range(of: text).map { evaluated.utf16.distance(from: evaluated.utf16.startIndex, to: $0.lowerBound) } ?? 0
        let ranges: [(start: Int, end: Int, count: Int)] = blocks.compactMap { b in
            guard let s = b["startOffset"]?.intValue, let e = b["endOffset"]?.intValue else { return nil }
            let executed = b["hasExecuted"]?.boolValue ?? false
            // Runs as counted; a block that ran counts at least once.
            let count = executed ? max(1, b["executionCount"]?.intValue ?? 1) : 0
            return (s - base, e - base, count)
        }.filter { $0.end >= 0 && $0.start < text.utf16.count }
        let startsOfLines = lineStartOffsets(text)
        let textLines = lines(text)
        let code = codeLines(text)
        let declaring = Set(code.filter { $0.line <= textLines.count && Self.declaresFunction(textLines[$0.line - 1]) }.map(\.offset))
        // A block that starts where a function declaration starts is the enclosing code going
        // on after the function (JavaScriptCore starts a block there): it spans the function's
        // text without being it, so it says nothing about the function's lines.
        let enclosing = ranges.filter { declaring.contains($0.start) }
        let usable = ranges.filter { r in !enclosing.contains { $0.start == r.start && $0.end == r.end } }
        var lines: [Int: Int] = [:]
        for (line, offset) in code {
            let lineEnd = line < startsOfLines.count ? startsOfLines[line] - 1 : text.utf16.count
            if declaring.contains(offset) {
                // A line that declares a function counts its calls: its body's block starts
                // later on the line (at the parameters). None: it was never compiled, never called.
                lines[line] = usable.filter { $0.start > offset && $0.start <= lineEnd }.min { $0.start < $1.start }?.count ?? 0
            } else {
                // Any other line: the runs of the innermost block holding its first character
                // (the runtime's wrapper for a module's top level); none: its function never ran.
                lines[line] = usable.filter { $0.start <= offset && offset <= $0.end }.min { ($0.end - $0.start) < ($1.end - $1.start) }?.count ?? 0
            }
        }
        // The blocks reported are the file's own (the wrapper's are the runtime's).
        let own = usable.filter { $0.start >= 0 }
        let mapped = own.map { r in
            Block(line: (startsOfLines.lastIndex { $0 <= r.start } ?? 0) + 1, count: r.count)
        }.sorted { ($0.line, $0.count) < ($1.line, $1.count) }
        return ScriptCoverage(file: file, lines: lines, blocks: mapped, loaded: true)
    }

    /// `function f(…) {`, `async function f(…)`, `exports.x = async (event, api) => {`,
    /// `const f = function (…)`, `module.exports = (a) => {` …: the line starts a function.
    static func declaresFunction(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        // A statement keyword followed by parentheses is not a method.
        if t.range(of: #"^(if|for|while|switch|catch|with|return|do|else)\b"#, options: .regularExpression) != nil { return false }
        let forms = [
            #"^(export\s+)?(async\s+)?function\b"#,  // function f(…) {
            #"^((const|let|var)\s+)?[\w$.\[\]'"]+\s*=\s*(async\s*)?(function\b|\([^)]*\)\s*=>|[\w$]+\s*=>)"#,  // x = (…) => {
            #"^['"]?[\w$]+['"]?\s*:\s*(async\s*)?(function\b|\([^)]*\)\s*=>|[\w$]+\s*=>)"#,  // key: async (…) => {
            #"^(async\s+)?\*?[\w$]+\s*\([^()]*\)\s*\{\s*$"#,  // method(…) { in an object literal or class
        ]
        return forms.contains { t.range(of: $0, options: .regularExpression) != nil }
    }

    /// The file's lines, split where the profiler's offsets do (at each LF, in UTF-16 units), a
    /// CR before the LF left out: CRLF files map like LF ones.
    static func lines(_ text: String) -> [String] {
        let units = Array(text.utf16)
        var out: [String] = []
        var start = 0
        for i in 0...units.count where i == units.count || units[i] == 0x0A {
            var end = i
            if end > start, units[end - 1] == 0x0D { end -= 1 }
            out.append(String(decoding: units[start..<end], as: UTF16.self))
            start = i + 1
        }
        return out
    }

    static func lineStartOffsets(_ text: String) -> [Int] {
        var starts = [0]
        for (i, u) in text.utf16.enumerated() where u == 0x0A { starts.append(i + 1) }
        return starts
    }

    static func unloaded(file: String, text: String) -> ScriptCoverage {
        ScriptCoverage(file: file, lines: Dictionary(uniqueKeysWithValues: codeLines(text).map { ($0.line, 0) }), blocks: [], loaded: false)
    }

    func adding(_ other: ScriptCoverage) -> ScriptCoverage {
        var sum = self
        for (line, n) in other.lines { sum.lines[line, default: 0] += n }
        sum.blocks += other.blocks
        return sum
    }

    /// `rules/x.js  lines 10/12 (83%)  blocks 5/7  uncovered: 14, 15`.
    public var summary: String {
        let percent = lines.isEmpty ? 100 : Int((Double(linesHit) / Double(lines.count) * 100).rounded(.down))
        let missed = lines.filter { $0.value == 0 }.keys.sorted()
        var s = "\(file)  lines \(linesHit)/\(lines.count) (\(percent)%)  blocks \(blocksHit)/\(blocks.count)"
        if !loaded { s += "  (never loaded)" }
        if !missed.isEmpty { s += "  uncovered: " + missed.map(String.init).joined(separator: ", ") }
        return s
    }
}

/// The `lcov` tracefile CI services read: per script its lines (`DA`) and its basic blocks as
/// branches (`BRDA`), with `root` prefixed to the tenant's relative paths.
public enum LCOV {
    public static func tracefile(_ coverage: [ScriptCoverage], root: String, testName: String = "authsim") -> String {
        var out = ""
        for c in coverage {
            out += "TN:\(testName)\n"
            out += "SF:\((root as NSString).appendingPathComponent(c.file))\n"
            for (line, n) in c.lines.sorted(by: { $0.key < $1.key }) { out += "DA:\(line),\(n)\n" }
            out += "LF:\(c.lines.count)\nLH:\(c.linesHit)\n"
            for (i, b) in c.blocks.enumerated() { out += "BRDA:\(b.line),\(i),0,\(b.count > 0 ? String(b.count) : "-")\n" }
            out += "BRF:\(c.blocks.count)\nBRH:\(c.blocksHit)\n"
            out += "end_of_record\n"
        }
        return out
    }
}
