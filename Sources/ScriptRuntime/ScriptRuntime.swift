import Foundation
import Synchronization

/// Limits and sizing of a `ScriptRuntime`.
public struct RuntimeConfiguration: Sendable {
    /// Worker threads, each with its own JavaScriptCore context group.
    public var workers: Int
    /// Heap size above which a context is stopped and rebuilt.
    public var heapBudget: Int
    /// How often (CPU seconds inside the VM) the watchdog checks deadline, heap and cancel flag.
    public var watchdogPeriod: Double
    /// Stack size of worker threads; deep recursion fails with a RangeError well before it.
    public var stackSize: Int
    /// Contexts (program revisions) a worker keeps at most.
    public var contextsPerWorker: Int
    /// A full garbage collection runs after this many jobs on a context.
    public var garbageCollectionInterval: Int

    public init(
        workers: Int = ProcessInfo.processInfo.activeProcessorCount, heapBudget: Int = 128 << 20,
        watchdogPeriod: Double = 0.02, stackSize: Int = 16 << 20, contextsPerWorker: Int = 4,
        garbageCollectionInterval: Int = 2000
    ) {
        self.workers = max(1, workers)
        self.heapBudget = heapBudget
        self.watchdogPeriod = watchdogPeriod
        self.stackSize = stackSize
        self.contextsPerWorker = max(1, contextsPerWorker)
        self.garbageCollectionInterval = garbageCollectionInterval
    }
}

/// Runs JavaScript jobs on a fixed set of worker threads. Knows nothing about what the
/// scripts are for: callers pass a program (files + host functions), an entry function and a
/// string input, and get a string output back.
public final class ScriptRuntime: Sendable {
    public let configuration: RuntimeConfiguration
    let queue: JobQueue
    let workers: [Worker]

    public init(configuration: RuntimeConfiguration = RuntimeConfiguration()) {
        self.configuration = configuration
        let queue = JobQueue()
        self.queue = queue
        self.workers = (0..<configuration.workers).map { Worker(index: $0, configuration: configuration, queue: queue) }
        for w in workers { w.start() }
    }

    deinit { queue.close() }

    /// Runs a job on the next free worker and returns its output.
    public func run(_ job: ScriptJob) async throws(ScriptFailure) -> ScriptJobResult {
        let pending = PendingJob(job: job)
        let result: Result<ScriptJobResult, ScriptFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Result<ScriptJobResult, ScriptFailure>, Never>) in
                pending.continuation = c
                if !queue.push(pending) { c.resume(returning: .failure(.shutDown)) }
            }
        } onCancel: {
            pending.cancelled.store(true, ordering: .relaxed)
        }
        return try result.get()
    }

    /// Jobs waiting for a worker.
    public var queueDepth: Int { queue.count }

    /// Stops the workers after their current jobs; queued jobs fail with `.shutDown`.
    public func shutdown() { queue.close() }
}

final class PendingJob: @unchecked Sendable {
    let job: ScriptJob
    let cancelled = Atomic<Bool>(false)
    var continuation: CheckedContinuation<Result<ScriptJobResult, ScriptFailure>, Never>?

    init(job: ScriptJob) { self.job = job }

    func finish(_ result: Result<ScriptJobResult, ScriptFailure>) {
        continuation?.resume(returning: result)
        continuation = nil
    }
}

/// FIFO of jobs shared by all workers.
final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [PendingJob] = []
    private var head = 0
    private var closed = false

    func push(_ job: PendingJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Blocks until a job is available; nil once the queue is closed and drained of waiters.
    func pop() -> PendingJob? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed { condition.wait() }
        if closed {
            let left = jobs[head...]
            jobs = []
            head = 0
            for j in left { j.finish(.failure(.shutDown)) }
            return nil
        }
        let j = jobs[head]
        head += 1
        if head > 256 && head * 2 > jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return j
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count - head
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

@inline(__always) func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

extension Duration {
    var nanoseconds: UInt64 {
        let (s, atto) = components
        return UInt64(max(0, s)) * 1_000_000_000 + UInt64(max(0, atto) / 1_000_000_000)
    }
}
