import Foundation

/// The threads async host calls run on. Host calls (store writes, HTTP) used to run on Swift's
/// global cooperative pool, where anything CPU-bound or blocking elsewhere in the process
/// (bcrypt, RSA key generation, a blocking wait) could hold every thread and stall a script's
/// promise until its deadline. With this executor preferred, a host call's own code runs on
/// threads that nothing else uses; awaits on other actors hop away and come back here.
final class HostCallExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = HostCallExecutor(threads: 4)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0

    private init(threads: Int) {
        for i in 0..<threads {
            let thread = Thread { [self] in self.loop() }
            thread.name = "authsim-host-\(i)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
