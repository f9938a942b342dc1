import Synchronization

/// What a job's host calls open that must not outlive the job (sockets, look-ups in flight).
/// The worker gives each job one; host functions find it as `JobResources.current` (for
/// synchronous and asynchronous calls alike) and register a closer for each thing they open,
/// within a limit (`admit`). When the job ends, whichever way (its result, a time limit, a crash
/// of the script), the worker closes everything still registered; nothing is admitted after.
public final class JobResources: Sendable {
    /// The running job's resources, inside a host function; nil outside one.
    @TaskLocal public static var current: JobResources?

    private struct State {
        var closed = false
        var next = 0
        var closers: [Int: @Sendable () -> Void] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public enum Admission: Sendable, Equatable {
        case added(Int)
        /// `limit` resources are open already.
        case full
        /// The job has ended (nothing was registered; `close` was not called).
        case closed
    }

    /// Registers `close` only while fewer than `limit` resources are open: the check and the
    /// registration are one step, so concurrent calls cannot overshoot.
    public func admit(limit: Int, _ close: @escaping @Sendable () -> Void) -> Admission {
        state.withLock { s in
            if s.closed { return .closed }
            if s.closers.count >= limit { return .full }
            s.next += 1
            s.closers[s.next] = close
            return .added(s.next)
        }
    }

    /// Forgets a closer (its resource was closed by the script).
    public func remove(_ token: Int) {
        _ = state.withLock { $0.closers.removeValue(forKey: token) }
    }

    /// Closes everything registered; later admissions are refused.
    public func closeAll() {
        let closers = state.withLock { s in
            s.closed = true
            defer { s.closers.removeAll() }
            return Array(s.closers.values)
        }
        for c in closers { c() }
    }
}
