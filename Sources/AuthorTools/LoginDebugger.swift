import Foundation
import JSONCore
import LoginEngine
import ScriptRuntime
import Synchronization
import Tokens

/// Debug mode of the daemon (`authsim serve --debug`): logins run step by step for the web
/// console, and single logins report their coverage.
///
/// Each debugged login runs on a runtime of its own — one inspectable worker — through a sibling
/// of the daemon's pipeline (same tenant revision, store, keys), so a breakpoint never stops
/// anybody else's login and the daemon's own workers are never inspectable. One such login at a
/// time: starting another ends the one before (it runs to its end without stopping).
public final class LoginDebugger: Sendable {
    public let relay: InspectorRelay
    public let pipeline: LoginPipeline
    /// The secret part of every debug URL (`/debug/<token>/…`).
    public let token: String
    let lock = AsyncLock()
    let active = Mutex<DebugSession?>(nil)
    /// How long a paused login waits for its console before it is let go.
    let abandonAfter: Duration

    /// Starts JavaScriptCore's inspector towards a relay of this process (once per process).
    /// Throws `InspectorUnavailable` (the symbols are missing) or when the inspector does not
    /// connect within a minute.
    public static func start(pipeline: LoginPipeline, abandonAfter: Duration = .seconds(600)) async throws -> LoginDebugger {
        if let why = InspectorBridge.unavailable { throw why }
        let relay = try InspectorRelay()
        try InspectorBridge.start(address: relay.address)
        // The inspector connects out once started; without it nothing here can work.
        _ = try await relay.targets(within: 60)
        return LoginDebugger(pipeline: pipeline, relay: relay, abandonAfter: abandonAfter)
    }

    init(pipeline: LoginPipeline, relay: InspectorRelay, abandonAfter: Duration) {
        self.pipeline = pipeline
        self.relay = relay
        self.abandonAfter = abandonAfter
        token = OpaqueToken.new()
    }

    /// Whether `candidate` is this debugger's token (constant time).
    public func accepts(_ candidate: String) -> Bool {
        let a = Array(candidate.utf8), b = Array(token.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The tenant's scripts a login can stop in: enabled rules (in order), actions, custom
    /// database scripts; each with its file name (as breakpoints name it), kind and text.
    public func scripts() -> [JSONValue] {
        let tenant = pipeline.tenant
        var out: [JSONValue] = []
        for r in tenant.rules where r.enabled { out.append(["file": .string(r.file), "name": .string(r.name), "kind": "rule", "source": .string(r.source)]) }
        for a in tenant.actions { out.append(["file": .string(a.file), "name": .string(a.name), "kind": "action", "source": .string(a.source)]) }
        // Connections may share their scripts' files: each file once.
        var seen = Set<String>()
        for c in tenant.connections where c.usesCustomScripts {
            for (name, s) in c.scripts.sorted(by: { $0.key < $1.key }) where seen.insert(s.file).inserted {
                out.append(["file": .string(s.file), "name": .string(c.name + " " + name), "kind": "database", "source": .string(s.source)])
            }
        }
        return out
    }

    /// A runtime for one debug-mode login: the daemon's limits, one inspectable worker.
    func debugRuntime() -> ScriptRuntime {
        var configuration = pipeline.runtime.configuration
        configuration.workers = 1
        configuration.inspectable = true
        return ScriptRuntime(configuration: configuration)
    }

    /// Starts a login that stops at `breakpoints` (and at `debugger;` statements).
    public func begin(_ request: SimulationRequest, breakpoints: [Breakpoint]) async throws -> DebugSession {
        await lock.acquire()
        do {
            if let previous = active.withLock({ $0 }) { await previous.end() }
            let runtime = debugRuntime()
            let session = try await DebugSession.start(
                request, pipeline: pipeline.sibling(runtime: runtime), runtime: runtime, relay: relay, breakpoints: breakpoints, abandonAfter: abandonAfter)
            active.withLock { $0 = session }
            await lock.release()
            return session
        } catch {
            await lock.release()
            throw error
        }
    }

    /// The session with `id`, if it is the current one.
    public func session(_ id: String) -> DebugSession? {
        active.withLock { $0?.id == id ? $0 : nil }
    }

    /// One login with coverage: the lines and blocks of each tenant script it ran.
    /// Refused (`DebuggerBusy`) while a login is under the debugger: the simulation API, which
    /// needs no debug token, never ends somebody's debugging.
    public func simulateWithCoverage(_ request: SimulationRequest) async throws -> (result: SimulationResult, coverage: [ScriptCoverage]) {
        await lock.acquire()
        if let current = active.withLock({ $0 }), !current.ended {
            await lock.release()
            throw DebuggerBusy()
        }
        let runtime = debugRuntime()
        let sibling = pipeline.sibling(runtime: runtime)
        defer { runtime.shutdown() }
        do {
            let recorder = try await CoverageRecorder.start(pipeline: sibling, relay: relay, files: CoverageRecorder.scripts(of: sibling.tenant))
            defer { recorder.close() }
            let result = try await sibling.simulate(request)
            let coverage = try await recorder.collect()
            await lock.release()
            return (result, coverage)
        } catch {
            await lock.release()
            throw error
        }
    }
}

extension ScriptCoverage {
    /// For the simulation API and the console: each code line with its runs.
    public var json: JSONValue {
        var lineRuns: [String: JSONValue] = [:]
        for (line, count) in lines { lineRuns[String(line)] = .number(Double(count)) }
        return [
            "file": .string(file), "loaded": .bool(loaded), "lines": .object(lineRuns), "linesFound": .number(Double(lines.count)),
            "linesHit": .number(Double(linesHit)), "blocksFound": .number(Double(blocks.count)), "blocksHit": .number(Double(blocksHit)),
        ]
    }
}

/// A login is under the debugger: coverage waits until it has ended.
public struct DebuggerBusy: Error, Sendable, CustomStringConvertible {
    public var description: String { "a login is under the debugger: end it (or let it finish) before recording coverage" }
}
