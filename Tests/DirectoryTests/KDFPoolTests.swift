import Directory
import Dispatch
import Foundation
import Synchronization
import Testing

/// The hashing pool, saturated with work that blocks until the test opens a gate: what happens
/// is decided by events (work started, gate opened), never by how long anything takes.
@Suite(.timeLimit(.minutes(1))) struct KDFPoolTests {
    /// Work that reports when it starts and then blocks its hashing thread until `open()`.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        let started: AsyncStream<Void>
        private let startedContinuation: AsyncStream<Void>.Continuation

        init() { (started, startedContinuation) = AsyncStream.makeStream() }

        @Sendable func block() {
            startedContinuation.yield()
            semaphore.wait()
        }

        func open(_ count: Int) { for _ in 0..<count { semaphore.signal() } }

        func waitForStarts(_ count: Int) async {
            var n = 0
            for await _ in started {
                n += 1
                if n == count { return }
            }
        }
    }

    @Test func aFullQueueFailsFastWhileOtherAsyncWorkCarriesOn() async throws {
        // More hashing threads than the cooperative pool has: were the work on that pool, every
        // one of its threads would be blocked below and the unrelated task could never run.
        let threads = ProcessInfo.processInfo.activeProcessorCount + 2
        let pool = KDFPool(threads: threads, queueLimit: 1)
        let gate = Gate()
        let running = try (0..<threads).map { i in try pool.submit { () throws(PasswordHashError) in gate.block(); return i } }
        await gate.waitForStarts(threads)
        let queued = try pool.submit { () throws(PasswordHashError) in "queued" }

        #expect(throws: PasswordHashError.busy(running: threads, waiting: 1)) {
            try pool.submit { () throws(PasswordHashError) in "refused" }
        }
        await #expect(throws: PasswordHashError.busy(running: threads, waiting: 1)) {
            try await pool.run { () throws(PasswordHashError) in "refused" }
        }
        #expect(PasswordHashError.busy(running: threads, waiting: 1).description.contains("password hashing is busy"))

        let unrelated = Task { () async -> Int in
            var sum = 0
            for i in 0..<100 {
                await Task.yield()
                sum += i
            }
            return sum
        }
        #expect(await unrelated.value == 4950)

        gate.open(threads)
        var results: [Int] = []
        for task in running { results.append(try await task.value()) }
        #expect(results == Array(0..<threads))
        #expect(try await queued.value() == "queued")
        #expect(try await pool.run { () throws(PasswordHashError) in "after" } == "after")
    }

    @Test func waitingWorkIsWithdrawnOnTimeoutOrCancellationAndNeverRuns() async throws {
        let pool = KDFPool(threads: 1, queueLimit: 2)
        let gate = Gate()
        // (Closures here return a value: a `Void` result of typed-throws work crashes Swift 6.3's
        // LifetimeDependenceDiagnostics pass.)
        let blocker = try pool.submit { () throws(PasswordHashError) in
            gate.block()
            return true
        }
        await gate.waitForStarts(1)
        let ran = Mutex(0)

        // A synchronous caller (a script's hashSync) whose time is up before a thread is free.
        #expect(throws: PasswordHashError.timedOut) {
            try pool.runWaiting(atMost: .zero) { () throws(PasswordHashError) in ran.withLock { $0 += 1; return $0 } }
        }
        // An async caller cancelled while its work waits.
        let waiting = try pool.submit { () throws(PasswordHashError) in ran.withLock { $0 += 1; return $0 } }
        let caller = Task { try await waiting.value() }
        caller.cancel()
        await #expect(throws: PasswordHashError.cancelled) { try await caller.value }

        gate.open(1)
        #expect(try await blocker.value())
        // Both withdrawn entries left the queue: their slots are free again, and neither ran.
        #expect(try await pool.run { () throws(PasswordHashError) in 7 } == 7)
        let second = try pool.submit { () throws(PasswordHashError) in 8 }
        let third = try pool.submit { () throws(PasswordHashError) in 9 }
        #expect(try await second.value() + third.value() == 17)
        #expect(ran.withLock { $0 } == 0)
    }

    @Test func errorsThrownByTheWorkReachTheCaller() async throws {
        let pool = KDFPool(threads: 1, queueLimit: 0)
        await #expect(throws: PasswordHashError.bcryptCost(21)) {
            try await pool.run { () throws(PasswordHashError) in try PasswordHasher.hash("pw", cost: 21) }
        }
        let hash = try await pool.run { () throws(PasswordHashError) in try PasswordHasher.hash("pw", cost: 4) }
        #expect(try pool.runWaiting(atMost: .seconds(60)) { () throws(PasswordHashError) in try PasswordHasher.compare("pw", hash: hash) })
    }
}
