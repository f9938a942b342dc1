import Foundation
import Tenant

/// Polls the tenant directory (and, when the store keeps the tenant's run-time changes, the
/// store's revision of them) and reloads the pipeline on change. Directory edits are debounced:
/// acted on once the files have stayed the same for one more interval, or after `maxPolls`
/// polls of a directory that keeps changing (a stream of edits still lands). A broken edit is
/// logged with its file and line and the last good revision keeps serving.
public struct HotReloader: Sendable {
    public let pipeline: LoginPipeline
    public let interval: Duration
    /// More paths whose changes count (watch mode adds the test files).
    public let alsoWatching: [String]
    /// Called after each change was acted on, with the reload's error if it failed.
    public let onChange: (@Sendable ((any Error)?) async -> Void)?

    public init(pipeline: LoginPipeline, interval: Duration = .milliseconds(400), alsoWatching: [String] = [], onChange: (@Sendable ((any Error)?) async -> Void)? = nil) {
        self.pipeline = pipeline
        self.interval = interval
        self.alsoWatching = alsoWatching
        self.onChange = onChange
    }

    /// Runs until the task is cancelled.
    public func run() async {
        let directory = pipeline.tenant.directory
        var debouncer = Debouncer(applied: await fingerprint(directory, previous: nil))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            // A key rotation (`authsim keys rotate`, or another daemon on the store) takes effect here.
            do { try await pipeline.reloadKeys() } catch { pipeline.logger.warning("could not read the store's signing keys: \(error)") }
            guard debouncer.observe(await fingerprint(directory, previous: debouncer.applied.store)) else { continue }
            var failure: (any Error)?
            do {
                try await pipeline.reload()
            } catch {
                failure = error
                pipeline.logger.error("tenant reload failed, still serving revision \(pipeline.tenant.revision): \(error)")
            }
            await onChange?(failure)
        }
    }

    /// Decides, poll by poll, when a change is acted on (no clock: the polls are the time).
    struct Debouncer {
        /// Polls a directory may keep changing before its current state is acted on anyway
        /// (about 2 s at the default interval).
        static let maxPolls = 5
        private(set) var applied: Fingerprint
        var pending: Fingerprint?
        /// Polls that saw the directory differ from `applied`, since it last was acted on.
        var changingPolls = 0

        init(applied: Fingerprint) { self.applied = applied }

        /// Takes one poll's fingerprint; true when it is to be acted on now.
        mutating func observe(_ now: Fingerprint) -> Bool {
            if now == applied {
                pending = nil
                changingPolls = 0
                return false
            }
            changingPolls += 1
            // The store's changes are whole when saved; only directory edits need to settle.
            let storeOnly = now.directory == applied.directory
            guard now == pending || storeOnly || changingPolls >= Self.maxPolls else {
                pending = now
                return false
            }
            applied = now
            pending = nil
            changingPolls = 0
            return true
        }
    }

    struct Fingerprint: Equatable {
        var directory: String
        /// The store's tenant-changes revision (another daemon's change shows here).
        var store: Int64?
    }

    func fingerprint(_ directory: String, previous: Int64?) async -> Fingerprint {
        // The files a YAML tenant names wherever they are (tenant.yaml itself is always watched).
        let files = TenantFingerprint.of(directory: directory, alsoWatching: alsoWatching + pipeline.tenant.namedFiles)
        guard pipeline.tenantChanges == .store else { return Fingerprint(directory: files) }
        do {
            return Fingerprint(directory: files, store: try await pipeline.store.tenantChangesRevision())
        } catch {
            // An unreachable store is not a change: keep the revision last seen.
            pipeline.logger.warning("could not read the store's tenant changes: \(error)")
            return Fingerprint(directory: files, store: previous)
        }
    }
}
