import Directory
import Foundation
import JSONCore
import Tenant

/// Password hashing for logins, sign-ups and password changes: always on the pipeline's
/// `KDFPool`, never on the task that asked (a cooperative-pool thread).
extension LoginPipeline {
    /// A new bcrypt hash of `password` at Auth0's cost.
    package func hashPassword(_ password: String) async throws(PasswordHashError) -> String {
        try await kdfPool.run { () throws(PasswordHashError) in try PasswordHasher.hash(password) }
    }

    /// Checks `password` against a stored hash (bcrypt or imported). Throws, without hashing,
    /// when the stored hash is above authsim's limits or the pool is busy.
    func checkPassword(_ password: String, against hash: String) async throws(PasswordHashError) -> (valid: Bool, rehash: Bool) {
        try await kdfPool.run { () throws(PasswordHashError) in try PasswordHasher.check(password, hash: hash) }
    }

    /// A bcrypt hash at the cost new passwords get, of a password nobody has: what a login for an
    /// unknown user (or one without a password) is checked against, so that it costs the same
    /// work, and answers in the same time, as a wrong password for a known user.
    static let absentUserHash: String = (try? PasswordHasher.hash(randomHexID() + randomHexID())) ?? ""

    /// The same work as checking a password, for a login that has no hash to check; throws
    /// only what checking a real hash would (the pool is busy), so even then the answer does
    /// not tell whether the user exists.
    func checkPasswordOfAbsentUser(_ password: String) async throws(PasswordHashError) {
        do { _ = try await checkPassword(password, against: Self.absentUserHash) } catch where error.isBusy { throw error } catch {}
    }

    /// A password login whose stored hash was not checked: the hash is above the limits (the
    /// user cannot log in until an administrator sets a new password), or every hashing
    /// thread is busy (the client may retry). Logged (`f`) with the reason.
    func uncheckedPasswordLogin(
        _ error: PasswordHashError, username: String, userId: String, client: Client, connection: Connection, request: SimulationRequest, started: Double,
        trace: [JSONValue] = []
    ) async -> SimulationResult {
        let description: String
        let flowError: FlowError
        if error.isBusy {
            description = error.description
            flowError = FlowError("temporarily_unavailable", error.description)
        } else {
            description = "the stored password hash of \(userId) was not checked: \(error)"
            flowError = FlowError("server_error", description)
        }
        logger.warning("password not checked", metadata: ["username": .string(username), "userId": .string(userId), "reason": .string(error.description)])
        return await refusedLogin(
            logType: "f", description: description, error: flowError, username: username, userId: userId, client: client, connection: connection, request: request,
            started: started, trace: trace)
    }
}

extension PasswordHashError {
    /// The pool refused or gave up: a retry later may succeed (unlike a hash over the limits).
    package var isBusy: Bool {
        switch self {
        case .busy, .timedOut, .cancelled: return true
        case .bcryptCost, .parameters, .failed: return false
        }
    }
}
