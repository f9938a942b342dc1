import Foundation
import Tenant

/// Polls the tenant directory and reloads the pipeline when files change (debounced: a change
/// is acted on once the files have stayed the same for one more interval). A broken edit is
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
        var applied = TenantFingerprint.of(directory: directory, alsoWatching: alsoWatching)
        var pending: String?
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = TenantFingerprint.of(directory: directory, alsoWatching: alsoWatching)
            if now == applied { pending = nil; continue }
            guard now == pending else { pending = now; continue }
            applied = now
            pending = nil
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
}
