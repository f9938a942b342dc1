import CJavaScriptCore
import Foundation
import Synchronization

/// A dedicated OS thread owning one JavaScriptCore context group. It takes jobs from the
/// shared queue one at a time and runs each job's event loop (timers, host completions,
/// microtasks) until the job settles, its deadline passes or a limit is breached.
final class Worker: @unchecked Sendable {
    let index: Int
    let configuration: RuntimeConfiguration
    let queue: JobQueue
    let counters: RuntimeCounters

    /// The job running and its deadline, read by the runtime's reaper thread.
    let watch = Mutex<(PendingJob, UInt64)?>(nil)
    /// Set by the reaper when this worker overran its job's deadline: it takes no more jobs.
    var lost: Bool {
        get { lostFlag.load(ordering: .relaxed) }
        set { lostFlag.store(newValue, ordering: .relaxed) }
    }
    private let lostFlag = Atomic<Bool>(false)

    /// Debug mode: while the job is paused in the debugger its deadline does not run
    /// (`pausedSince`: when the pause began, 0 when not paused); the time paused is added to the
    /// deadline on resume (`extension`). Read by the watchdog on whichever thread runs the VM
    /// (the inspector's, while it evaluates on a paused frame), and by the reaper.
    let pausedSince = Atomic<UInt64>(0)
    /// Debug mode: what the attached debugger does with a job that must stop
    /// (`ScriptRuntime.setOverdueHandler`).
    let overdueHandler = Mutex<(@Sendable (OverdueReason) -> Bool)?>(nil)
    /// The worker's own thread (a watchdog tick can also come on the inspector's thread, while
    /// it evaluates on a paused frame).
    let ownThread = Mutex<pthread_t?>(nil)
    /// When the debugger's handler was last asked about this worker's job (the reaper leaves a
    /// job alone while its debugger keeps deciding about it).
    let lastOverdueAsk = Atomic<UInt64>(0)
    private let extensionNanos = Atomic<UInt64>(0)

    // Cross-thread inbox: completions of async host calls.
    private let inboxCondition = NSCondition()
    private var inbox: [HostCompletion] = []

    // Everything below is touched only on the worker thread.
    private var group: OpaquePointer?
    private var contexts: [ScriptContext] = []  // most recently used last
    var current: RunningJob?
    private var deadline: UInt64 = 0
    private var breach: ScriptFailure?
    private var breachWhileRunning = false
    /// Inside `watchdogTick` (it must not nest).
    private var inTick = false
    /// When the heap size was last read (see `watchdogTick`).
    private var lastHeapCheck: UInt64 = 0
    /// A heap check the watchdog found due, for the next native call to make (`safePoint`).
    private var heapCheckDue = false
    /// Full collections `heapRemaining(_:toFit:)` forced in the current job.
    private var forcedCollections = 0
    static let forcedCollectionsPerJob = 4
    static let heapCheckInterval: UInt64 = 50_000_000
    private var nextOpID = 1
    private var timers: [Timer] = []
    private var timerSeq = 0
    private lazy var heapSizeName: OpaquePointer = JSC.string("heapSize")

    init(index: Int, configuration: RuntimeConfiguration, queue: JobQueue, counters: RuntimeCounters) {
        self.index = index
        self.configuration = configuration
        self.queue = queue
        self.counters = counters
    }

    func start() {
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "authsim-js-\(index)"
        thread.stackSize = configuration.stackSize
        thread.start()
    }

    private func runLoop() {
        ownThread.withLock { $0 = pthread_self() }
        var collectedSinceLastJob = true
        while !lost {
            // After a second without work, one full collection: what the last jobs left behind
            // (their objects, code of functions no longer run) is freed while nobody waits, and
            // the allocator hands its free pages back to the system (glibc keeps them per thread
            // arena after bursts of work), so memory at rest returns to its level.
            guard let next = queue.pop(idleAfter: collectedSinceLastJob ? nil : 1) else { break }
            guard case .job(let pending) = next else {
                // One context is enough: they share the group's VM and heap.
                if let c = contexts.last { JSSynchronousGarbageCollectForDebugging(c.ctx) }
                _ = malloc_trim(0)
                collectedSinceLastJob = true
                continue
            }
            collectedSinceLastJob = false
            watch.withLock { $0 = (pending, monotonicNanos() + pending.job.timeout.nanoseconds) }
            execute(pending)
            watch.withLock { $0 = nil }
        }
        discardGroup()
    }

    // MARK: - Group and contexts

    private func ensureGroup() -> OpaquePointer {
        if let group { return group }
        let g = JSContextGroupCreate()!
        group = g
        armWatchdog(g)
        return g
    }

    private func armWatchdog(_ g: OpaquePointer) {
        JSContextGroupSetExecutionTimeLimit(g, configuration.watchdogPeriod, watchdogCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Throws every context and the group away (after a limit breach the VM may carry a
    /// pending termination, so nothing of it is reused).
    private func discardGroup() {
        for c in contexts { c.release() }
        contexts.removeAll()
        if let group { JSContextGroupRelease(group) }
        group = nil
    }

    private func context(for program: ScriptProgram) throws(ScriptFailure) -> (ScriptContext, Bool) {
        if let i = contexts.lastIndex(where: { $0.programID == program.id }) {
            let c = contexts.remove(at: i)
            contexts.append(c)
            return (c, false)
        }
        let c = try ScriptContext(group: ensureGroup(), program: program, worker: self)
        contexts.append(c)
        if contexts.count > configuration.contextsPerWorker {
            contexts.removeFirst().release()
        }
        return (c, true)
    }

    // MARK: - Watchdog

    /// Called by JavaScriptCore on this thread every `watchdogPeriod` of CPU time in the VM.
    fileprivate func watchdogTick(_ ctx: OpaquePointer?) -> Bool {
        // Reading the heap size runs in the VM, where a tick can come again: that nested tick
        // does nothing (measured: a 4 MiB base64 string made each heap reading outlast the check
        // interval, and the ticks nested thousands deep, the worker spinning for good).
        guard !inTick else { return false }
        inTick = true
        defer {
            inTick = false
            // Re-armed even when it terminates: a termination inside a microtask ends that
            // microtask only, and an endless chain of them (a promise loop) keeps draining; each
            // later tick terminates the next one until the chain breaks.
            if let group { armWatchdog(group) }
        }
        if let job = current, let ctx {
            if breach != nil { return mayTerminate(ctx, .breach) }
            // The heap first: a script that is over its budget when its time also runs out (a
            // slow machine) failed because of its memory, and says so.
            let now = monotonicNanos()
            if now &- lastHeapCheck >= Worker.heapCheckInterval {
                // Read at a native call (`safePoint`), where it is safe; here only when the check
                // was already due at the last tick and no native call has come since (a loop of
                // plain JavaScript). Reading the size allocates, and JavaScriptCore 2.50 can lose
                // an exception in flight on a construct path (Reflect.construct, a Proxy's
                // construct trap) when this callback allocates: measured, a few in 60,000 with a
                // 0.5 ms period, never when the allocation was left out.
                if heapCheckDue {
                    if heapOverBudget(ctx, job) { return mayTerminate(ctx, .breach) }
                } else {
                    heapCheckDue = true
                }
            }
            if past(now) {
                // Debug mode: the debugger may pause a job that ran out of time instead (or the
                // tick is not on the worker's thread: nothing is decided there).
                if !mayTerminate(ctx, .timeout) { return false }
                breach = .timeout(seconds: job.timeoutSeconds, mark: job.mark, partial: nil)
                breachWhileRunning = true
                return true
            }
            if job.pending.cancelled.load(ordering: .relaxed) {
                breach = .cancelled
                return mayTerminate(ctx, .breach)
            }
        }
        return false
    }

    /// Debug mode: JavaScriptCore aborts the whole process when it terminates a script while a
    /// debugger is attached (seen: a looping rule under --break). The debugger's owner is asked
    /// first, on the worker's own thread with this VM's locks dropped so that the inspector can
    /// act on it: it pauses a job that ran out of time (true: go on until the pause), or
    /// detaches the debugger (false: terminate). A tick on another thread (the inspector's,
    /// evaluating on a paused frame) neither blocks that thread (it serves the inspector) nor
    /// terminates with the debugger attached: nothing happens there (an evaluation that never
    /// ends cannot be stopped); a breach it found is acted on by the worker's next tick.
    private func mayTerminate(_ ctx: OpaquePointer, _ reason: OverdueReason) -> Bool {
        guard configuration.inspectable, let handler = overdueHandler.withLock({ $0 }) else { return true }
        guard let own = ownThread.withLock({ $0 }), pthread_equal(own, pthread_self()) != 0 else { return false }
        lastOverdueAsk.store(monotonicNanos(), ordering: .relaxed)
        var keepRunning = false
        InspectorBridge.withLocksDropped(ctx) { keepRunning = handler(reason) }
        return !keepRunning
    }

    /// Bytes the heap budget has left for an allocation of `bytes` that is weighed before it is
    /// made. The heap's size counts what earlier jobs (or this one) dropped and nothing has
    /// collected yet, which the watchdog does not charge either: when the allocation would not
    /// fit, only what survives a full collection counts. A script that keeps asking for too much
    /// gets a few collections per job (`forcedCollectionsPerJob`; none for more than the whole
    /// budget); after them, the heap's size as it reads.
    func heapRemaining(_ ctx: OpaquePointer, toFit bytes: Int) -> Int {
        var left = configuration.heapBudget - heapSize(ctx)
        if bytes > left, bytes <= configuration.heapBudget, forcedCollections < Worker.forcedCollectionsPerJob {
            forcedCollections += 1
            JSSynchronousGarbageCollectForDebugging(ctx)
            left = configuration.heapBudget - heapSize(ctx)
        }
        return max(0, left)
    }

    /// Reads the heap size (see `watchdogTick`); over the budget, records the breach. The size is
    /// what the last collection marked, which can be what an earlier job held and has dropped
    /// since (a job that spins allocates nothing, so nothing collects it): only what survives a
    /// full collection is charged. Reading the size walks every object and gets in the way of a
    /// collection in progress, so it is read at most every `heapCheckInterval`: read on every
    /// tick, a collection could not finish and the size (what the last one marked) never grew
    /// while the heap did.
    private func heapOverBudget(_ ctx: OpaquePointer, _ job: RunningJob) -> Bool {
        heapCheckDue = false
        var heap = heapSize(ctx)
        if heap > configuration.heapBudget {
            JSSynchronousGarbageCollectForDebugging(ctx)
            heap = heapSize(ctx)
        }
        lastHeapCheck = monotonicNanos()
        guard heap > configuration.heapBudget else { return false }
        breach = .heapBudgetExceeded(budget: configuration.heapBudget, heapSize: heap, mark: job.mark)
        return true
    }

    /// Called at the start of every native call: makes the heap check the watchdog found due.
    /// Over the budget, the watchdog is re-armed to fire at once and terminate the job.
    func safePoint(_ ctx: OpaquePointer) {
        guard heapCheckDue, !inTick, let job = current, breach == nil else { return }
        if heapOverBudget(ctx, job), let group {
            JSContextGroupSetExecutionTimeLimit(group, 0.0001, watchdogCallback, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    func heapSize(_ ctx: OpaquePointer) -> Int {
        guard let stats = JSGetMemoryUsageStatistics(ctx) else { return 0 }
        var exc: JSValue?
        guard let v = JSObjectGetProperty(ctx, stats, heapSizeName, &exc) else { return 0 }
        return JSC.checkedInteger(JSValueToNumber(ctx, v, nil).rounded()) ?? Int.max
    }

    // MARK: - Timers and host calls (called from natives on this thread)

    struct Timer {
        var id: Int
        var due: UInt64
        var seq: Int
    }

    /// `delayMs` is finite (checked by the native); negative means "immediate".
    func addTimer(id: Int, delayMs: Double) {
        timerSeq += 1
        let delay = delayMs < 0 ? 0 : UInt64(min(delayMs, 1e9) * 1_000_000)
        timers.append(Timer(id: id, due: monotonicNanos() + delay, seq: timerSeq))
    }

    func removeTimer(id: Int) {
        timers.removeAll { $0.id == id }
    }

    var remainingMilliseconds: Double {
        let now = monotonicNanos()
        return effectiveDeadline > now ? Double(effectiveDeadline - now) / 1_000_000 : 0
    }

    /// The job's deadline with the time it spent paused in the debugger added.
    private var effectiveDeadline: UInt64 { deadline &+ extensionNanos.load(ordering: .relaxed) }

    /// Whether the job ran out of time by `now` (never while it is paused in the debugger).
    private func past(_ now: UInt64) -> Bool {
        // Acquiring: a resume's extension is seen together with the end of its pause.
        pausedSince.load(ordering: .acquiring) == 0 && now >= effectiveDeadline
    }

    /// Debug mode: the job is paused in the debugger from now on.
    func pauseDeadline() {
        _ = pausedSince.compareExchange(expected: 0, desired: max(1, monotonicNanos()), ordering: .relaxed)
    }

    /// Debug mode: the job runs again; the time it was paused is added to its deadline.
    func resumeDeadline() {
        let since = pausedSince.load(ordering: .acquiring)
        guard since != 0 else { return }
        let paused = monotonicNanos() &- since
        // The deadline moves first, then the pause ends (releasing): a check in between sees
        // the job still paused, never unpaused with its old deadline.
        extensionNanos.add(paused, ordering: .relaxed)
        watch.withLock { w in if let (job, d) = w { w = (job, d &+ paused) } }
        pausedSince.store(0, ordering: .releasing)
    }

    func startHostCall(_ ctx: OpaquePointer, job: RunningJob, function: @escaping AsyncHostFunction, argumentsJSON: String) -> JSValue? {
        var resolve: JSValue?
        var reject: JSValue?
        var exc: JSValue?
        guard let promise = JSObjectMakeDeferredPromise(ctx, &resolve, &reject, &exc), let resolve, let reject,
            let context = contexts.last(where: { $0.ctx == ctx })
        else { return nil }
        JSValueProtect(ctx, resolve)
        JSValueProtect(ctx, reject)
        let op = nextOpID
        nextOpID += 1
        context.pendingOps[op] = (resolve, reject)
        let environment = job.pending.job.environment
        let serial = job.serial
        let resources = job.resources
        let task = Task.detached(executorPreference: HostCallExecutor.shared) { [self] in
            let result: Result<String, HostCallError>
            do {
                result = .success(try await JobResources.$current.withValue(resources) { try await function(argumentsJSON, environment) })
            } catch {
                result = .failure(HostCallError(message: String(describing: error)))
            }
            self.post(HostCompletion(serial: serial, op: op, result: result))
        }
        job.hostTasks.append(task)
        return promise
    }

    struct HostCompletion {
        var serial: Int
        var op: Int
        var result: Result<String, HostCallError>
    }

    private func post(_ c: HostCompletion) {
        inboxCondition.lock()
        inbox.append(c)
        inboxCondition.signal()
        inboxCondition.unlock()
    }

    // MARK: - Running a job

    private var serial = 0

    private func execute(_ pending: PendingJob) {
        let started = monotonicNanos()
        defer {
            counters.jobs.add(1, ordering: .relaxed)
            counters.workerNanos.add(monotonicNanos() &- started, ordering: .relaxed)
        }
        forcedCollections = 0
        let job = pending.job
        serial += 1
        breach = nil
        breachWhileRunning = false
        heapCheckDue = false
        timers.removeAll()
        deadline = monotonicNanos() + job.timeout.nanoseconds
        extensionNanos.store(0, ordering: .relaxed)
        // A pause left over from the job before (a debugger that suspended it late) never
        // carries over: every job starts with its deadline running.
        pausedSince.store(0, ordering: .releasing)
        if pending.cancelled.load(ordering: .relaxed) { pending.finish(.failure(.cancelled)); return }

        let context: ScriptContext
        let fresh: Bool
        do {
            (context, fresh) = try self.context(for: job.program)
        } catch {
            pending.finish(.failure(error))
            return
        }
        let running = RunningJob(serial: serial, pending: pending, timeoutSeconds: Double(job.timeout.nanoseconds) / 1e9)
        current = running
        defer {
            current = nil
            running.release()
        }

        let ctx = context.ctx
        let (_, exc) = context.call(context.start, [JSC.makeString(ctx, job.entry), JSC.makeString(ctx, job.input)])
        if let exc, breach == nil { running.outcome = .failure(.exception(JSC.describeException(ctx, exc))) }

        while running.outcome == nil && breach == nil {
            if pending.cancelled.load(ordering: .relaxed) { breach = .cancelled; break }
            // Host completions.
            inboxCondition.lock()
            let completions = inbox
            inbox.removeAll()
            inboxCondition.unlock()
            for c in completions {
                settle(c, in: context, running: running)
                if running.outcome != nil || breach != nil { break }
            }
            if running.outcome != nil || breach != nil { break }
            // Due timers, earliest first; only those due now, so a self-rescheduling
            // setImmediate cannot starve the loop.
            let now = monotonicNanos()
            let due = timers.filter { $0.due <= now }.sorted { ($0.due, $0.seq) < ($1.due, $1.seq) }
            for t in due {
                guard timers.contains(where: { $0.seq == t.seq }) else { continue }
                timers.removeAll { $0.seq == t.seq }
                let (_, thrown) = context.call(context.fire, [JSValueMakeNumber(ctx, Double(t.id))])
                if breach != nil { break }
                if let thrown, running.outcome == nil {
                    running.outcome = .failure(.exception(JSC.describeException(ctx, thrown)))
                }
                if running.outcome != nil { break }
            }
            if running.outcome != nil || breach != nil { break }
            let after = monotonicNanos()
            if past(after) {
                breach = .timeout(seconds: running.timeoutSeconds, mark: running.mark, partial: nil)
                break
            }
            // Sleep until the next timer, a completion, or the deadline (in slices, so that
            // a cancelled caller is noticed).
            // (While paused in the debugger the deadline is not a reason to wake.)
            var wake = pausedSince.load(ordering: .acquiring) != 0 ? after + 50_000_000 : min(effectiveDeadline, after + 50_000_000)
            if let next = timers.map(\.due).min() { wake = min(wake, next) }
            if wake > after {
                inboxCondition.lock()
                if inbox.isEmpty {
                    _ = inboxCondition.wait(until: Date(timeIntervalSinceNow: Double(wake - after) / 1e9))
                }
                inboxCondition.unlock()
            }
        }

        context.jobsRun += 1
        // Past the deadline, a failure is the deadline's (the prelude's `then` refuses to chain
        // more microtasks then, which surfaces as an exception).
        if breach == nil, case .failure(.exception)? = running.outcome, past(monotonicNanos()) {
            breach = .timeout(seconds: running.timeoutSeconds, mark: running.mark, partial: nil)
        }
        if let failure = breach {
            var failure = failure
            if case .timeout(let s, let mark, _) = failure, !breachWhileRunning, let probe = job.timeoutProbe {
                // Idle timeout: the context is still sound, so ask it what it got done.
                let (value, thrown) = context.call(context.probe, [JSC.makeString(ctx, probe)])
                // Keep its answer only if the probe itself ran cleanly (the watchdog can stop it too).
                if thrown == nil, !breachWhileRunning, let value, JSValueIsString(ctx, value) {
                    failure = .timeout(seconds: s, mark: mark, partial: JSC.toString(ctx, value))
                }
            }
            discardGroup()
            pending.finish(.failure(failure))
            return
        }
        if !timers.isEmpty {
            timers.removeAll()
            context.call(context.dropTimers)
        }
        // The job has ended: what its host calls opened is closed, then the caller has its answer.
        // What follows only readies the context for the next job; it runs on this thread, so no
        // job starts before it is done, and it cannot change an answer already given.
        running.release()
        let outcome = running.outcome ?? .failure(.exception(ThrownValue(message: "Job ended without a result")))
        pending.finish(outcome.map {
            ScriptJobResult(output: $0, unhandledRejections: running.unhandledRejections, worker: index, freshContext: fresh)
        })
        // Undo what the job did to shared built-ins; a context that cannot be restored is dropped.
        let putBackStarted = monotonicNanos()
        let (restored, restoreThrew) = context.call(context.restore)
        counters.putBackNanos.add(monotonicNanos() &- putBackStarted, ordering: .relaxed)
        let restoredState = restored.flatMap { JSC.toString(ctx, $0) } ?? "threw"
        if restoreThrew != nil || breach != nil || restoredState.hasPrefix("poisoned") {
            discardGroup()
            return
        }
        // Heap hygiene between jobs.
        if context.jobsRun % configuration.garbageCollectionInterval == 0 {
            JSGarbageCollect(ctx)
        }
        if context.jobsRun % 1024 == 0, heapSize(ctx) > configuration.heapBudget {
            JSSynchronousGarbageCollectForDebugging(ctx)
            if heapSize(ctx) > configuration.heapBudget { discardGroup() }
        }
    }

    /// Resolves or rejects the promise of a finished host call, if its context still lives.
    private func settle(_ c: HostCompletion, in context: ScriptContext, running: RunningJob) {
        guard let fns = context.pendingOps.removeValue(forKey: c.op) else { return }
        let ctx = context.ctx
        defer {
            JSValueUnprotect(ctx, fns.resolve)
            JSValueUnprotect(ctx, fns.reject)
        }
        guard c.serial == running.serial else { return }
        var arg: JSValue?
        let fn: JSValue
        switch c.result {
        case .success(let s):
            arg = JSC.makeString(ctx, s)
            fn = fns.resolve
        case .failure(let error):
            arg = JSC.makeError(ctx, error.message)
            fn = fns.reject
        }
        var exc: JSValue?
        _ = withUnsafePointer(to: &arg) { JSObjectCallAsFunction(ctx, fn, nil, 1, $0, &exc) }
        if let exc, breach == nil, running.outcome == nil {
            running.outcome = .failure(.exception(JSC.describeException(ctx, exc)))
        }
    }
}

/// State of the job a worker is running.
final class RunningJob {
    let serial: Int
    let pending: PendingJob
    let timeoutSeconds: Double
    var outcome: Result<String, ScriptFailure>?
    var mark: Int?
    /// The first `maximumUnhandledRejections` reasons (a script can reject millions of promises).
    var unhandledRejections: [String] = []
    static let maximumUnhandledRejections = 100
    var hostTasks: [Task<Void, Never>] = []
    /// What the job's host calls opened (sockets, …): closed when the job ends.
    let resources = JobResources()

    /// Host calls still running (an HTTP request nobody waits for any more) are cancelled, and
    /// what they opened is closed. Done once the job has an outcome, however it ended.
    func release() {
        for t in hostTasks { t.cancel() }
        hostTasks.removeAll()
        resources.closeAll()
    }

    init(serial: Int, pending: PendingJob, timeoutSeconds: Double) {
        self.serial = serial
        self.pending = pending
        self.timeoutSeconds = timeoutSeconds
    }
}

struct HostCallError: Error {
    let message: String
}

private let watchdogCallback: JSShouldTerminateCallback = { ctx, info in
    guard let info else { return false }
    return Unmanaged<Worker>.fromOpaque(info).takeUnretainedValue().watchdogTick(ctx)
}
