import Foundation
import JSONCore
import LoginEngine
import ScriptRuntime
import Synchronization
import Tenant

/// One login under the debugger: it runs on its own runtime, stops at breakpoints and
/// `debugger;`, and the console reads its state (`state(after:)`) and drives it (`command`).
/// While it is paused its deadline stands still (it runs again when the login goes on).
public final class DebugSession: Sendable {
    public let id: String
    let runtime: ScriptRuntime
    let inspectors: Mutex<[InspectorSession]>
    let status: Mutex<Status>
    let login: Mutex<Task<Void, Never>?>
    /// One command at a time (and `end()` after them): an expression's deadline handling and a
    /// resume never interleave.
    let commands = AsyncLock()
    /// The tenant's script files (frames elsewhere are the runtime's).
    let files: Set<String>
    /// The tenant's flow timeout: how long an ended session's login may still take.
    let flowTimeout: Duration
    /// The tenant revision the login runs (what a breakpoint must name a line of).
    let tenant: Tenant

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
        /// Counts the pauses: a command resuming pause N clears the state only if it is still N.
        var pause = 0
        /// The login ran past its flow timeout and a pause was asked for (shown as "timeout").
        var timeoutRequested = false
        /// `end()` or `overdue()` disabled the debugger on every context (the job may be
        /// terminated now).
        var detached = false
        /// Checks past the deadline since the last pause (`overdue`).
        var overdueAsks = 0
    }

    init(runtime: ScriptRuntime, tenant: Tenant) {
        id = UUID().uuidString.lowercased()
        self.tenant = tenant
        self.files = Set(Breakpoint.scripts(of: tenant).keys)
        flowTimeout = .milliseconds(Int(tenant.settings.flowTimeoutSeconds * 1000))
        self.runtime = runtime
        inspectors = Mutex([])
        status = Mutex(Status())
        login = Mutex(nil)
    }

    static func start(
        _ request: SimulationRequest, pipeline: LoginPipeline, runtime: ScriptRuntime, relay: InspectorRelay, breakpoints: [Breakpoint], abandonAfter: Duration
    ) async throws -> DebugSession {
        let session = DebugSession(runtime: runtime, tenant: pipeline.tenant)
        do {
            // Only this runtime's context: targets already listed belong to runtimes that are gone.
            let before = Set(try await relay.targets(within: 60).map(\.id))
            try await pipeline.prepareScripts()
            for (index, target) in try await relay.newTargets(excluding: before, within: 60).enumerated() {
                let inspector = relay.attach(target.id) { event in session.observe(event, in: index) }
                session.inspectors.withLock { $0.append(inspector) }
                Task { for await event in inspector.events { await session.handle(event, in: index) } }
                try await inspector.send("Debugger.enable")
                try await inspector.send("Debugger.setBreakpointsActive", ["active": true])
                // JavaScriptCore does not stop at `debugger;` unless asked to.
                try await inspector.send("Debugger.setPauseOnDebuggerStatements", ["enabled": true])
            }
            for b in breakpoints { try await session.setBreakpoint(b) }
        } catch {
            session.close()
            runtime.shutdown()
            throw error
        }
        runtime.setOverdueHandler { [weak session] reason in session?.overdue(reason) ?? false }
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

    // MARK: - Events

    /// Scripts are noted as they are announced, in order with the answers to later commands.
    func observe(_ event: JSONValue, in index: Int) {
        guard event["method"]?.stringValue == "Debugger.scriptParsed", let id = event["params"]?["scriptId"]?.stringValue,
            let url = event["params"]?["url"]?.stringValue
        else { return }
        status.withLock { $0.urls[index, default: [:]][id] = url }
    }

    /// The inspector's events, one session's in order. A pause's state is only ever set here,
    /// and a command clears only the pause it resumed (`Status.pause`), so a command finishing
    /// after the next pause was announced cannot hide it.
    func handle(_ event: JSONValue, in index: Int) async {
        switch event["method"]?.stringValue {
        case "Debugger.paused":
            guard let inspector = inspectors.withLock({ $0.indices.contains(index) ? $0[index] : nil }) else { return }
            if status.withLock({ $0.ending }) {
                _ = try? await inspector.send("Debugger.resume")
                return
            }
            // The deadline stands still from the pause on (the scopes are read on the inspector's
            // thread, where the watchdog decides nothing).
            runtime.suspendDeadlines()
            let urls = status.withLock { $0.urls[index] ?? [:] }
            let snapshot = await Self.snapshot(event["params"] ?? [:], urls: urls, files: files, inspector: inspector)
            let jscReason = event["params"]?["reason"]?.stringValue ?? ""
            let ending = status.withLock { s -> Bool in
                if s.ending { return true }
                // An ended login's state stays ended (a pause announced as it was written off).
                if s.phase == .finished || s.phase == .failed { return false }
                s.pause += 1
                s.overdueAsks = 0
                s.phase = .paused
                var shown = snapshot
                // The pause `overdue()` asked for (not a breakpoint's or a statement's): the
                // login ran out of time here.
                if s.timeoutRequested, !["Breakpoint", "DebuggerStatement"].contains(jscReason), var o = shown.objectValue {
                    o["reason"] = "timeout"
                    shown = .object(o)
                }
                s.timeoutRequested = false
                s.paused = shown
                s.pausedIn = index
                s.seq += 1
                return false
            }
            // `end()` came while the snapshot was read: it may have found nothing to resume.
            if ending {
                runtime.resumeDeadlines()
                _ = try? await inspector.send("Debugger.resume")
            }
        case "Debugger.resumed":
            runtime.resumeDeadlines()
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

    var ended: Bool { status.withLock { $0.phase == .finished || $0.phase == .failed } }

    /// A paused login nobody has asked about for `after` goes on without stopping.
    func letGoWhenAbandoned(after: Duration) async {
        while !ended {
            try? await Task.sleep(for: .seconds(5))
            let (phase, seen) = status.withLock { ($0.phase, $0.lastSeen) }
            if phase == .paused, ContinuousClock.now - seen > after { return await end() }
        }
    }

    /// Ends the session: the debugger is disabled on every context (JavaScriptCore detaches it;
    /// no breakpoint or `debugger;` stops the login again) after a paused login is resumed, and
    /// the login runs to its end with its deadline running — one that never ends is stopped by
    /// its flow timeout as any other (`overdue()` lets that happen once detached). Waits for
    /// that, at most the flow timeout and a minute.
    public func end() async {
        await commands.acquire()
        status.withLock { $0.ending = true }
        runtime.resumeDeadlines()
        if let paused = pausedInspector() { _ = try? await paused.send("Debugger.resume") }
        // The sessions stay open until the login has ended (`finish` closes them): a looping
        // login holds its VM, and `overdue()` detaches again through them, its answers saying
        // this disable was carried out, before the login may be terminated.
        _ = await disableDebugger()
        let limit = ContinuousClock.now + flowTimeout + .seconds(60)
        while !ended, ContinuousClock.now < limit {
            runtime.resumeDeadlines()
            try? await Task.sleep(for: .milliseconds(50))
        }
        await commands.release()
    }

    /// Disables the debugger on every context (all at once). A context that does not answer
    /// within the inspector's deadline is gone (its worker rebuilt it): nothing is attached
    /// there. Marks the session `detached`.
    func disableDebugger() async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            for i in inspectors.withLock({ $0 }) { group.addTask { _ = try? await i.send("Debugger.disable") } }
        }
        status.withLock { $0.detached = true }
        return true
    }

    /// The login must stop or ran past its deadline (called on its worker, the VM's locks
    /// dropped, so the inspector can act meanwhile). Past its deadline it is paused where it is,
    /// shown as a timeout, and asked again at every later check; once the session ends, or for
    /// a heap-budget breach, or when the pauses asked for do not come, the debugger is detached
    /// and the login may be terminated (false). True keeps it running.
    func overdue(_ reason: OverdueReason) -> Bool {
        let wait = DispatchTime.now() + 10
        let pausing = reason == .timeout && status.withLock { s -> Bool in
            s.overdueAsks += 1
            return !s.ending && !s.detached && s.overdueAsks <= Self.maximumUnansweredPauses
        }
        let done = DispatchSemaphore(value: 0)
        let answered = Mutex(false)
        let all = inspectors.withLock { $0 }
        if pausing, !all.isEmpty {
            status.withLock { $0.timeoutRequested = true }
            // Every context is asked (one may be gone); the first answer is enough.
            for inspector in all {
                Task {
                    _ = try? await inspector.send("Debugger.pause")
                    done.signal()
                }
            }
            // Unanswered: the next check asks again (or detaches, after enough of them).
            _ = done.wait(timeout: wait)
            return true
        }
        // Detached even when it already was: the answers also say that whatever was queued
        // before them (a disable `end()` sent, waiting for these locks) has been carried out.
        Task {
            if await self.disableDebugger() { answered.withLock { $0 = true } }
            done.signal()
        }
        _ = done.wait(timeout: wait)
        return !answered.withLock { $0 }
    }

    /// Checks past the deadline that may ask for a pause without one coming (code where the
    /// debugger cannot stop) before the debugger is detached and the login terminated.
    static let maximumUnansweredPauses = 50

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
