import Foundation
import JSONCore
import LoginEngine
import ScriptRuntime
import Synchronization

/// One login under the debugger: it runs on its own runtime, stops at breakpoints and
/// `debugger;`, and the console reads its state (`state(after:)`) and drives it (`command`).
/// While it is paused its deadlines stand still (they resume with it, and while an expression
/// typed in the console runs, so the watchdog can stop that).
public final class DebugSession: Sendable {
    public let id: String
    let runtime: ScriptRuntime
    let relay: InspectorRelay
    let inspectors: Mutex<[InspectorSession]>
    let status: Mutex<Status>
    let login: Mutex<Task<Void, Never>?>
    /// The tenant's script files (frames elsewhere are the runtime's).
    let files: Set<String>

    public enum Phase: String, Sendable { case running, paused, finished, failed }

    struct Status {
        var seq = 0
        var phase = Phase.running
        var paused: JSONValue? = nil
        /// Which inspector session the login is paused in.
        var pausedIn: Int? = nil
        var result: JSONValue? = nil
        var error: String? = nil
        /// "file:line" → the inspector's breakpoint ids (one per session).
        var breakpoints: [String: [(session: Int, id: String)]] = [:]
        /// Per session: script id → file.
        var urls: [Int: [String: String]] = [:]
        /// When the console last asked (a paused login nobody watches is let go).
        var lastSeen = ContinuousClock.now
        /// `end()` was called: pauses from now on are resumed at once.
        var ending = false
    }

    init(runtime: ScriptRuntime, relay: InspectorRelay, files: Set<String>) {
        id = UUID().uuidString.lowercased()
        self.files = files
        self.runtime = runtime
        self.relay = relay
        inspectors = Mutex([])
        status = Mutex(Status())
        login = Mutex(nil)
    }

    static func start(
        _ request: SimulationRequest, pipeline: LoginPipeline, runtime: ScriptRuntime, relay: InspectorRelay, breakpoints: [Breakpoint], abandonAfter: Duration
    ) async throws -> DebugSession {
        let session = DebugSession(runtime: runtime, relay: relay, files: Set(CoverageRecorder.scripts(of: pipeline.tenant).keys))
        do {
            let before = Set(try await relay.targets().map(\.id))
            try await pipeline.prepareScripts()
            let targets = try await newTargets(relay, excluding: before)
            for (index, target) in targets.enumerated() {
                let inspector = relay.attach(target.id) { event in session.observe(event, in: index) }
                session.inspectors.withLock { $0.append(inspector) }
                Task { for await event in inspector.events { await session.handle(event, in: index) } }
                try await inspector.send("Debugger.enable")
                try await inspector.send("Debugger.setBreakpointsActive", ["active": true])
            }
            for b in breakpoints { _ = try await session.setBreakpoint(b) }
        } catch {
            session.close()
            runtime.shutdown()
            throw error
        }
        session.login.withLock {
            $0 = Task {
                do {
                    let result = try await pipeline.simulate(request)
                    session.finish(.finished, result: result.json, error: nil)
                } catch {
                    session.finish(.failed, result: nil, error: String(describing: error))
                }
            }
        }
        Task { await session.letGoWhenAbandoned(after: abandonAfter) }
        return session
    }

    /// The targets the runtime's fresh context added (the inspector lists them once it knows them).
    static func newTargets(_ relay: InspectorRelay, excluding before: Set<UInt64>) async throws -> [InspectorRelay.Target] {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let fresh = try await relay.targets().filter { $0.type == "JavaScript" && !before.contains($0.id) }
            if !fresh.isEmpty { return fresh }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw InspectorRelayError("the debug runtime's script context did not appear in the inspector within 60 s")
    }

    // MARK: - Events

    /// Scripts are noted as they are announced, in order with the answers to later commands.
    func observe(_ event: JSONValue, in index: Int) {
        guard event["method"]?.stringValue == "Debugger.scriptParsed", let id = event["params"]?["scriptId"]?.stringValue,
            let url = event["params"]?["url"]?.stringValue
        else { return }
        status.withLock { $0.urls[index, default: [:]][id] = url }
    }

    func handle(_ event: JSONValue, in index: Int) async {
        switch event["method"]?.stringValue {
        case "Debugger.paused":
            guard let inspector = inspectors.withLock({ $0.indices.contains(index) ? $0[index] : nil }) else { return }
            if status.withLock({ $0.ending }) {
                _ = try? await inspector.send("Debugger.resume")
                return
            }
            // The deadline stands still from here until the login goes on.
            runtime.suspendDeadlines()
            let urls = status.withLock { $0.urls[index] ?? [:] }
            let snapshot = await Self.snapshot(event["params"] ?? [:], urls: urls, files: files, inspector: inspector)
            update { s in
                s.phase = .paused
                s.paused = snapshot
                s.pausedIn = index
            }
        case "Debugger.resumed":
            update { s in
                if s.phase == .paused { s.phase = .running }
                s.paused = nil
                s.pausedIn = nil
            }
        default:
            break
        }
    }

    func update(_ change: (inout Status) -> Void) {
        status.withLock { s in
            change(&s)
            s.seq += 1
        }
    }

    func finish(_ phase: Phase, result: JSONValue?, error: String?) {
        update { s in
            s.phase = phase
            s.result = result
            s.error = error
            s.paused = nil
            s.pausedIn = nil
        }
        close()
        runtime.shutdown()
    }

    func close() {
        for i in inspectors.withLock({ list in defer { list = [] }; return list }) { i.close() }
    }

    /// A paused login nobody has asked about for `after` goes on without stopping.
    func letGoWhenAbandoned(after: Duration) async {
        while true {
            try? await Task.sleep(for: .seconds(5))
            let (phase, seen) = status.withLock { ($0.phase, $0.lastSeen) }
            if phase == .finished || phase == .failed { return }
            if phase == .paused, ContinuousClock.now - seen > after { return await end() }
        }
    }

    /// Ends the session: breakpoints off, the login runs to its end (a `debugger;` it meets on
    /// the way no longer stops it).
    public func end() async {
        status.withLock { $0.ending = true }
        for i in inspectors.withLock({ $0 }) { _ = try? await i.send("Debugger.setBreakpointsActive", ["active": false]) }
        if let inspector = pausedInspector() {
            runtime.resumeDeadlines()
            _ = try? await inspector.send("Debugger.resume")
        }
        await login.withLock({ $0 })?.value
    }

    func pausedInspector() -> InspectorSession? {
        let index = status.withLock { $0.phase == .paused ? $0.pausedIn : nil }
        return index.flatMap { i in inspectors.withLock { $0.indices.contains(i) ? $0[i] : nil } }
    }

    // MARK: - State

    /// The state as the console sees it; waits (up to `wait`) for one newer than `after`.
    public func state(after: Int? = nil, wait: Duration = .seconds(20)) async -> JSONValue {
        let deadline = ContinuousClock.now + wait
        while let after, status.withLock({ $0.seq }) <= after, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(25))
        }
        return status.withLock { s in
            s.lastSeen = ContinuousClock.now
            var out: [String: JSONValue] = [
                "id": .string(id), "seq": .number(Double(s.seq)), "state": .string(s.phase.rawValue),
                "breakpoints": .array(s.breakpoints.keys.sorted().map { .string($0) }),
            ]
            if let p = s.paused { out["paused"] = p }
            if let r = s.result { out["result"] = r }
            if let e = s.error { out["error"] = .string(e) }
            return .object(out)
        }
    }
}

/// A debugger command the session cannot carry out now (HTTP 409) or does not know (400).
public struct DebugCommandError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var description: String
    init(_ status: Int, _ description: String) {
        self.status = status
        self.description = description
    }
}
