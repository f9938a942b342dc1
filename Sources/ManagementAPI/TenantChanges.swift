import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// Changes to the tenant's rules, actions and bindings: one at a time, checked before they land.
extension ManagementService {
    /// One change to the tenant's rules, actions or bindings, serialized within the daemon.
    /// `change` computes the files (relative path → content, nil: delete) from the tenant it is
    /// given; it may refuse with the API's error.
    /// - In the tenant directory: computed on the tenant being served; the files are written and
    ///   the tenant reloaded; when the reload fails (a script that does not compile) the files
    ///   are put back.
    /// - In the store: computed on the tenant as the store's latest revision makes it (loaded,
    ///   not compiled: a change that mends a script that no longer compiles must go through),
    ///   then checked (loaded and compiled with the change) before anything is written, and
    ///   saved only on the revision it was computed on; when another daemon's change landed in
    ///   between, it is computed again on that.
    func applyChange(what: String = "rule", _ change: (Tenant) throws(ManagementError) -> [String: String?]) async throws(ManagementError) {
        await Self.changes.acquire()
        let outcome: Result<Void, ManagementError>
        switch pipeline.tenantChanges {
        case .directory: outcome = await applyToDirectory(what: what, change)
        case .store: outcome = await applyToStore(what: what, change)
        }
        await Self.changes.release()
        try outcome.get()
    }

    private func applyToDirectory(what: String, _ change: (Tenant) throws(ManagementError) -> [String: String?]) async -> Result<Void, ManagementError> {
        let directory = tenant.directory
        guard tenant.format == .directory else {
            return .failure(ManagementError(
                409, "The tenant is deploy-cli YAML (tenant.yaml), which authsim does not rewrite: serve it with --tenant-changes store (the default for a YAML tenant) to keep changes in the store, and write them out with `authsim tenant export`",
                "conflict"))
        }
        // Other daemons may serve the same directory: the change is computed on the files as
        // they are now, under an exclusive lock on the directory, so two creations of one name
        // cannot both pass the check (one 201, the other 409).
        let lock: DirectoryLock
        do { lock = try await DirectoryLock.acquire(directory) } catch {
            return .failure(ManagementError(503, "the tenant directory is being changed by another daemon: \(error)", "temporarily_unavailable"))
        }
        defer { lock.release() }
        let onDisk = (try? TenantLoader.load(directory: directory)) ?? tenant
        let files: [String: String?]
        do { files = try change(onDisk) } catch { return .failure(error) }
        let before: TenantWriter.Snapshot
        do { before = try TenantWriter.write(directory: directory, files: files) } catch {
            return .failure(ManagementError(500, "could not write the tenant: \(error)", "internal_error"))
        }
        do {
            try await pipeline.reload()
            return .success(())
        } catch {
            TenantWriter.restore(directory: directory, before)
            return .failure(ManagementError(400, "The \(what) does not compile: \(error)", "invalid_body"))
        }
    }

    private func applyToStore(what: String, _ change: (Tenant) throws(ManagementError) -> [String: String?]) async -> Result<Void, ManagementError> {
        for _ in 0..<8 {
            let base: TenantChanges
            do { base = try await store.tenantChanges() } catch {
                return .failure(ManagementError(500, "could not read the tenant's changes from the store: \(error)", "internal_error"))
            }
            let current: Tenant
            do { current = try TenantLoader.load(directory: tenant.directory, overlay: base.files) } catch {
                return .failure(ManagementError(500, "the tenant does not load, so nothing can be changed: \(error)", "internal_error"))
            }
            let files: [String: String?]
            do { files = try change(current) } catch { return .failure(error) }
            var proposed = base.files
            for (path, content) in files { proposed[path] = .some(content) }
            do { try await pipeline.check(overlay: proposed) } catch {
                return .failure(ManagementError(400, "The \(what) does not compile: \(error)", "invalid_body"))
            }
            let saved: Int64?
            do { saved = try await store.saveTenantChanges(files, expectedRevision: base.revision) } catch {
                return .failure(ManagementError(500, "could not save the tenant's change in the store: \(error)", "internal_error"))
            }
            guard saved != nil else { continue }
            do { try await pipeline.reload() } catch {
                return .failure(ManagementError(500, "The \(what) was saved, but this daemon could not load the tenant: \(error)", "internal_error"))
            }
            return .success(())
        }
        return .failure(ManagementError(409, "The tenant kept changing while this \(what) was saved; try again", "conflict"))
    }

    static let changes = AsyncLock()
}

/// An exclusive `flock` on a directory, shared by every process that changes it.
final class DirectoryLock {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Waits (without holding a thread) until the lock is free; gives up after 30 s.
    static func acquire(_ directory: String) async throws -> DirectoryLock {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open \(directory): \(String(cString: strerror(errno)))") }
        let deadline = ContinuousClock.now + .seconds(30)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
                close(fd)
                throw Failure(description: "cannot lock \(directory): \(String(cString: strerror(errno)))")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return DirectoryLock(fd: fd)
    }

    func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
