import Directory
import Synchronization

/// Writes what logins record (log events, traces) in batches: a login hands its records over
/// and waits until they are stored, so they are durable before it answers; the logins that
/// arrive while a batch is being written go together in the next one (one store transaction
/// for all of them instead of one or two each).
final class RecordWriter: Sendable {
    private let store: any ActivityStore

    private struct Waiting {
        var records: [LoginRecord]
        var logCapacity: Int
        var done: CheckedContinuation<Result<Void, any Error>, Never>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writing = false
    }

    private let state = Mutex(State())

    init(store: any ActivityStore) {
        self.store = store
    }

    /// Returns once `records` are in the store (or throws the store's error for their batch).
    func write(_ records: [LoginRecord], logCapacity: Int) async throws {
        guard !records.isEmpty else { return }
        let result = await withCheckedContinuation { (done: CheckedContinuation<Result<Void, any Error>, Never>) in
            let startsWriter = state.withLock { s -> Bool in
                s.waiting.append(Waiting(records: records, logCapacity: logCapacity, done: done))
                if s.writing { return false }
                s.writing = true
                return true
            }
            if startsWriter { Task { await self.drain() } }
        }
        try result.get()
    }

    /// Writes batches until nobody waits.
    private func drain() async {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                let taken = s.waiting
                s.waiting = []
                if taken.isEmpty { s.writing = false }
                return taken
            }
            if batch.isEmpty { return }
            let result: Result<Void, any Error>
            do {
                try await store.appendRecords(batch.flatMap(\.records), logCapacity: batch.map(\.logCapacity).min() ?? 0)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            for w in batch { w.done.resume(returning: result) }
        }
    }
}
