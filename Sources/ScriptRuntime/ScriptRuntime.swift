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
    /// Whether the remote inspector may attach to this runtime's contexts (debug mode only:
    /// `InspectorBridge`, `InspectorRelay`). Off, no context is ever inspectable.
    public var inspectable = false

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
    let workers: Mutex<[Worker]>
    let counters: RuntimeCounters
    /// Workers found stuck past their job's deadline (see `reap`), replaced by new ones.
    public var lostWorkers: Int { workers.withLock { $0.filter(\.lost).count } }

    /// JavaScriptCore's options, set once before its first use in the process. The optimizing
    /// JIT tiers (DFG, and FTL above it) are off unless the environment turns them on
    /// (`JSC_useDFGJIT=true`): for rules and actions — short glue code run once per login — they
    /// bring no measurable throughput (`make bench`), compile on background threads that compete
    /// with the workers, and keep growing resident memory with code for hours (20–25 % over a
    /// million logins, against 5 % without them). CPU-bound scripts run about 25 % slower in the
    /// baseline JIT.
    ///
    /// WebAssembly is on in the engine, whatever the environment says, but absent from scripts
    /// unless their program turns it on (`ScriptProgram.webAssemblyEnabled`), and then metered:
    /// a wasm loop ignores the watchdog's termination in this JavaScriptCore (checked with every
    /// trap and tier option), so modules are rewritten to call into JavaScript every so often
    /// (`WasmMeter`), where the termination is delivered.
    ///
    /// Traps (the watchdog's termination) are polled at loop heads instead of being delivered by
    /// JavaScriptCore's signal-sender thread: that thread once aborted the whole process while
    /// workers were stopped and started under load (`make test`), and polling stops a loop just
    /// the same, with no measurable cost in the baseline JIT.
    static let jscOptions: Void = {
        setenv("JSC_useDFGJIT", "false", 0)
        setenv("JSC_useWasm", "true", 1)
        setenv("JSC_usePollingTraps", "true", 0)
    }()

    public init(configuration: RuntimeConfiguration = RuntimeConfiguration()) {
        _ = Self.jscOptions
        self.configuration = configuration
        let queue = JobQueue()
        self.queue = queue
        let counters = RuntimeCounters()
        self.counters = counters
        let initial = (0..<configuration.workers).map { Worker(index: $0, configuration: configuration, queue: queue, counters: counters) }
        self.workers = Mutex(initial)
        for w in initial { w.start() }
        let reaper = Thread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                guard let runtime = self, !runtime.queue.isClosed else { return }
                runtime.reap()
            }
        }
        reaper.name = "authsim-js-reaper"
        reaper.start()
    }

    deinit { queue.close() }

    /// How long past its deadline a job may keep a worker before the worker counts as lost.
    /// Long: a busy machine can make a sound job late by seconds, and a written-off worker is
    /// only replaced, never stopped.
    static let grace: UInt64 = 10_000_000_000

    /// A worker the watchdog cannot stop (a chain of microtasks that never gives the VM a long
    /// enough stretch, e.g. `for (;;) await null`) would hold its job's caller forever: past the
    /// deadline and a grace period the job fails with a timeout, the worker is written off (its
    /// thread keeps spinning until it finishes, if ever) and a new worker takes its place.
    func reap() {
        let now = monotonicNanos()
        var replacements: [Worker] = []
        workers.withLock { all in
            for w in all where !w.lost {
                // A job paused in the debugger is not late (its deadline moves on when it
                // resumes), and one its debugger is deciding about (`setOverdueHandler`, asked
                // within the grace) is kept; one the watchdog never reaches (a chain of
                // microtasks) is written off as ever (that never terminates it).
                let decided = w.overdueHandler.withLock({ $0 }) != nil && now &- w.lastOverdueAsk.load(ordering: .relaxed) < Self.grace
                guard w.pausedSince.load(ordering: .relaxed) == 0, !decided,
                    let (pending, deadline) = w.watch.withLock({ $0 }), now > deadline + Self.grace
                else { continue }
                w.lost = true
                let seconds = Double(pending.job.timeout.nanoseconds) / 1e9
                pending.finish(.failure(.timeout(seconds: seconds, mark: nil, partial: nil)))
                let fresh = Worker(index: all.count + replacements.count, configuration: configuration, queue: queue, counters: counters)
                fresh.overdueHandler.withLock { $0 = overdueHandler.withLock { $0 } }
                replacements.append(fresh)
            }
            all.append(contentsOf: replacements)
        }
        for w in replacements { w.start() }
    }

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

    /// Resident memory of this process (Linux `/proc/self/status`), in MiB; 0 when unknown.
    public static func residentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first { !$0.isEmpty } ?? "")
        else { return 0 }
        return kb / 1024
    }

    /// Debug mode: the jobs of every worker of this runtime (a debug runtime has one) are paused
    /// in the debugger; their deadlines stop running until `resumeDeadlines`, which adds the time
    /// paused to them.
    public func suspendDeadlines() { for w in workers.withLock({ $0 }) { w.pauseDeadline() } }

    /// Debug mode: the paused jobs run again.
    public func resumeDeadlines() { for w in workers.withLock({ $0 }) { w.resumeDeadline() } }

    /// Debug mode: whoever attaches a debugger to this runtime's contexts says what happens to a
    /// job that runs past its deadline (or over its heap budget), because JavaScriptCore aborts the process when it
    /// terminates a script while a debugger is attached. `handler` runs on the worker, with the
    /// VM's locks dropped (the inspector can act on the VM meanwhile), and returns true when it
    /// had the job paused (it goes on until the pause: asked again at the next check), false
    /// once the debugger is detached (the job is terminated as usual). Without a handler the job
    /// is terminated.
    public func setOverdueHandler(_ handler: (@Sendable (OverdueReason) -> Bool)?) {
        overdueHandler.withLock { $0 = handler }
        for w in workers.withLock({ $0 }) { w.overdueHandler.withLock { $0 = handler } }
    }
    let overdueHandler = Mutex<(@Sendable (OverdueReason) -> Bool)?>(nil)

    /// Jobs waiting for a worker.
    public var queueDepth: Int { queue.count }

    /// What the workers have done since the runtime started (`make bench` prints it per job).
    public var statistics: RuntimeStatistics {
        RuntimeStatistics(
            jobs: Int(counters.jobs.load(ordering: .relaxed)), workerSeconds: Double(counters.workerNanos.load(ordering: .relaxed)) / 1e9,
            putBackSeconds: Double(counters.putBackNanos.load(ordering: .relaxed)) / 1e9)
    }

    /// Stops the workers after their current jobs; queued jobs fail with `.shutDown`.
    public func shutdown() { queue.close() }
}

/// Jobs the workers ran, the time they spent on them (from taking a job to being ready for the
/// next, whatever the outcome), and the part of it spent putting the shared built-ins back after
/// a job (the prelude's `rt.restore`).
public struct RuntimeStatistics: Sendable {
    public var jobs: Int
    public var workerSeconds: Double
    public var putBackSeconds: Double

    public init(jobs: Int = 0, workerSeconds: Double = 0, putBackSeconds: Double = 0) {
        self.jobs = jobs
        self.workerSeconds = workerSeconds
        self.putBackSeconds = putBackSeconds
    }
}

final class RuntimeCounters: Sendable {
    let jobs = Atomic<UInt64>(0)
    let workerNanos = Atomic<UInt64>(0)
    let putBackNanos = Atomic<UInt64>(0)
}

final class PendingJob: @unchecked Sendable {
    let job: ScriptJob
    let cancelled = Atomic<Bool>(false)
    private let lock = NSLock()
    private var waiter: CheckedContinuation<Result<ScriptJobResult, ScriptFailure>, Never>?

    init(job: ScriptJob) { self.job = job }

    var continuation: CheckedContinuation<Result<ScriptJobResult, ScriptFailure>, Never>? {
        get { lock.withLock { waiter } }
        set { lock.withLock { waiter = newValue } }
    }

    /// The first result wins (the worker's, or the reaper's for a worker that never came back).
    func finish(_ result: Result<ScriptJobResult, ScriptFailure>) {
        let c: CheckedContinuation<Result<ScriptJobResult, ScriptFailure>, Never>? = lock.withLock {
            defer { waiter = nil }
            return waiter
        }
        c?.resume(returning: result)
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

    enum Next {
        case job(PendingJob)
        /// No job came within the idle time asked for.
        case idle
    }

    /// Blocks until a job is available (or, with `idleAfter`, returns `.idle` when none came
    /// within that many seconds); nil once the queue is closed and drained of waiters.
    func pop(idleAfter: Double?) -> Next? {
        condition.lock()
        defer { condition.unlock() }
        let giveUp = idleAfter.map { Date(timeIntervalSinceNow: $0) }
        while head == jobs.count && !closed {
            if let giveUp {
                if !condition.wait(until: giveUp), head == jobs.count, !closed { return .idle }
            } else {
                condition.wait()
            }
        }
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
        return .job(j)
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count - head
    }

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
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

/// Why a job in an inspectable runtime is about to be stopped (`ScriptRuntime.setOverdueHandler`).
public enum OverdueReason: Sendable {
    /// Past its deadline: the debugger may pause it instead.
    case timeout
    /// Over its heap budget or cancelled: it must stop (the debugger detaches first).
    case breach
}
