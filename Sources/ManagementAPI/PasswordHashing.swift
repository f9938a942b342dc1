import Directory
import LoginEngine

extension ManagementService {
    /// A new bcrypt hash for a user created or changed through the Management API; a busy
    /// pool answers 429 as Auth0's rate limits do.
    func hashPassword(_ password: String) async throws(ManagementError) -> String {
        do { return try await pipeline.hashPassword(password) } catch {
            if error.isBusy { throw ManagementError(429, error.description, "too_many_requests") }
            throw ManagementError(500, error.description, "internal_error")
        }
    }
}
