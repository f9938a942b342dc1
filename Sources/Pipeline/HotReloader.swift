import Foundation
import Tenant

/// Polls the tenant directory and reloads the pipeline when files change (debounced: a change
/// is acted on once the files have stayed the same for one more interval). A broken edit is
/// logged with its file and line and the last good revision keeps serving.
public struct HotReloader: Sendable {
    public let pipeline: LoginPipeline
    public let interval: Duration

    public init(pipeline: LoginPipeline, interval: Duration = .milliseconds(400)) {
        self.pipeline = pipeline
        self.interval = interval
    }

    /// Runs until the task is cancelled.
    public func run() async {
        let directory = pipeline.tenant.directory
        var applied = TenantFingerprint.of(directory: directory)
        var pending: String?
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = TenantFingerprint.of(directory: directory)
            if now == applied { pending = nil; continue }
            guard now == pending else { pending = now; continue }
            applied = now
            pending = nil
            do {
                try await pipeline.reload()
            } catch {
                pipeline.logger.error("tenant reload failed, still serving revision \(pipeline.tenant.revision): \(error)")
            }
        }
    }
}
