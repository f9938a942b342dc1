import Dispatch
import Foundation

/// The threads every password hash (bcrypt, argon2, pbkdf2) is computed on: a few dedicated
/// threads and a bounded queue.
///
/// Key derivation is slow on purpose and blocks its thread for tens of milliseconds to a
/// second. On Swift's cooperative pool (one thread per core) a handful of concurrent logins
/// would hold every thread and stall unrelated async work (store writes, HTTP calls, scripts'
/// host calls). Here at most `threads` hashes run at once, beside that pool; when `queueLimit`
/// more are already waiting, a new one is refused at once with `PasswordHashError.busy`, so an
/// attacker's burst of logins gets quick errors instead of an ever longer queue.
public final class KDFPool: Sendable {
    /// The process's pool: one hashing thread per core, 64 hashes waiting.
    public static let shared = KDFPool(threads: ProcessInfo.processInfo.activeProcessorCount, queueLimit: defaultQueueLimit)
    public static let defaultQueueLimit = 64

    /// Hashes computed at the same time (at least 1).
    public let threads: Int
    /// Hashes admitted while every thread is busy (at least 0).
    public let queueLimit: Int
    private let core: Core

    public init(threads: Int, queueLimit: Int) {
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        core = Core(capacity: self.threads + self.queueLimit)
        for i in 0..<self.threads {
            // The threads hold the core, not the pool: dropping the pool stops them.
            let thread = Thread { [core] in core.serve() }
            thread.name = "authsim-kdf-\(i)"
            thread.start()
        }
    }

    deinit { core.stop() }

    /// Admits `work` or refuses it at once (`.busy`); the returned task delivers its result.
    public func submit<T: Sendable>(_ work: @escaping @Sendable () throws(PasswordHashError) -> T) throws(PasswordHashError) -> KDFTask<T> {
        let task = KDFTask(core: core, work: work)
        try core.admit(task.entry)
        return task
    }

    /// Computes `work` on a hashing thread; the caller's thread is free while it waits.
    /// Cancelling the caller withdraws the work if it has not started (`.cancelled`).
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws(PasswordHashError) -> T) async throws(PasswordHashError) -> T {
        try await submit(work).value()
    }

    /// Computes `work` on a hashing thread, blocking the calling thread (a script worker's, for
    /// a synchronous host function) until it is done. Work that has not started within
    /// `limit` is withdrawn (`.timedOut`); work that has started is waited for, which its own
    /// bounded cost keeps short.
    public func runWaiting<T: Sendable>(atMost limit: Duration, _ work: @escaping @Sendable () throws(PasswordHashError) -> T) throws(PasswordHashError) -> T {
        try submit(work).wait(atMost: limit)
    }
}

/// One piece of admitted work. Its result is delivered once, to one waiter: `value()` or
/// `wait(atMost:)`.
public final class KDFTask<T: Sendable>: @unchecked Sendable {
    private let core: KDFPool.Core
    let entry = KDFPool.Entry()
    // Guarded by `lock`.
    private let lock = NSLock()
    private var outcome: Result<T, PasswordHashError>?
    private var waiter: CheckedContinuation<T, any Error>?
    /// Signalled once, when `outcome` is set (for `wait(atMost:)`).
    private let settled = DispatchSemaphore(value: 0)

    init(core: KDFPool.Core, work: @escaping @Sendable () throws(PasswordHashError) -> T) {
        self.core = core
        entry.run = { [self] in
            do throws(PasswordHashError) { settle(.success(try work())) } catch { settle(.failure(error)) }
        }
        entry.withdraw = { [self] error in settle(.failure(error)) }
    }

    private func settle(_ result: Result<T, PasswordHashError>) {
        lock.lock()
        guard outcome == nil else {
            lock.unlock()
            return
        }
        outcome = result
        let continuation = waiter
        waiter = nil
        lock.unlock()
        settled.signal()
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    /// The result, once computed; cancelling the caller withdraws work that has not started.
    public func value() async throws(PasswordHashError) -> T {
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
                    lock.lock()
                    if let outcome {
                        lock.unlock()
                        c.resume(with: outcome.mapError { $0 as any Error })
                    } else {
                        waiter = c
                        lock.unlock()
                    }
                }
            } onCancel: {
                core.withdraw(entry, because: .cancelled)
            }
        } catch let e as PasswordHashError {
            throw e
        } catch {
            throw .cancelled
        }
    }

    /// The result, blocking this thread; withdrawn with `.timedOut` if it has not started in `limit`.
    public func wait(atMost limit: Duration) throws(PasswordHashError) -> T {
        let (seconds, attoseconds) = limit.components
        let timeout = min(max(Double(seconds) + Double(attoseconds) / 1e18, 0), 86_400)
        if settled.wait(timeout: .now() + timeout) == .timedOut {
            core.withdraw(entry, because: .timedOut)
            settled.wait()  // settled by the withdrawal, or by the work that had already started
        }
        lock.lock()
        let result = outcome!
        lock.unlock()
        return try result.get()
    }
}

extension KDFPool {
    /// A queued closure and what to call instead if it never runs. Its fields are guarded by
    /// the core's lock and cleared when taken, so a task and its entry do not keep each other.
    final class Entry: @unchecked Sendable {
        enum State { case queued, started, withdrawn }
        var state = State.queued
        var run: (@Sendable () -> Void)?
        var withdraw: (@Sendable (PasswordHashError) -> Void)?
    }

    /// The queue and the threads' loop, shared by the threads (which must not keep the pool).
    final class Core: @unchecked Sendable {
        /// `threads + queueLimit`: admitted work, running or waiting, never exceeds it.
        let capacity: Int
        // Guarded by `condition`.
        private let condition = NSCondition()
        private var queue: [Entry] = []
        private var running = 0
        private var stopped = false

        init(capacity: Int) { self.capacity = capacity }

        /// Queues `entry`, or throws `.busy` when the pool already holds `capacity` entries.
        /// Counting running plus queued (not idle threads) makes the answer independent of how
        /// quickly a thread picks up what was just queued.
        func admit(_ entry: Entry) throws(PasswordHashError) {
            condition.lock()
            defer { condition.unlock() }
            guard queue.count + running < capacity else { throw .busy(running: running, waiting: queue.count) }
            queue.append(entry)
            condition.signal()
        }

        /// Takes `entry` out of the queue and settles it with `error`; nothing when it has
        /// already started (it then finishes normally).
        func withdraw(_ entry: Entry, because error: PasswordHashError) {
            condition.lock()
            guard entry.state == .queued, let i = queue.firstIndex(where: { $0 === entry }) else {
                condition.unlock()
                return
            }
            queue.remove(at: i)
            entry.state = .withdrawn
            let withdraw = entry.withdraw
            entry.run = nil
            entry.withdraw = nil
            condition.unlock()
            withdraw?(error)
        }

        /// A hashing thread's loop: runs queued work in order until the pool is dropped and
        /// the queue is empty.
        func serve() {
            while true {
                condition.lock()
                while queue.isEmpty && !stopped { condition.wait() }
                if queue.isEmpty {
                    condition.unlock()
                    return
                }
                let entry = queue.removeFirst()
                entry.state = .started
                let run = entry.run
                entry.run = nil
                entry.withdraw = nil
                running += 1
                condition.unlock()
                run?()
                condition.lock()
                running -= 1
                condition.unlock()
            }
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
