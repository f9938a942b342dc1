import Synchronization

/// What a job's host calls open that must not outlive the job (sockets, DNS look-ups, …).
/// The worker gives each job one; host functions find it as `JobResources.current` (for
/// synchronous and asynchronous calls alike) and register a closer for each thing they open.
/// When the job ends, whichever way (its result, a time limit, a crash of the script), the worker
/// closes everything still registered; anything registered after that is closed at once.
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

    /// Registers `close` and returns its token, or returns nil (having called `close`) when the
    /// job has already ended.
    public func add(_ close: @escaping @Sendable () -> Void) -> Int? {
        let token: Int? = state.withLock { s in
            if s.closed { return nil }
            s.next += 1
            s.closers[s.next] = close
            return s.next
        }
        if token == nil { close() }
        return token
    }

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

    /// How many resources are open.
    public var count: Int { state.withLock { $0.closers.count } }

    /// Closes everything registered; later registrations are closed at once.
    public func closeAll() {
        let closers = state.withLock { s in
            s.closed = true
            defer { s.closers.removeAll() }
            return Array(s.closers.values)
        }
        for c in closers { c() }
    }
}
