/// Why a password hash was not computed. Every case is decided before any hashing starts, so a
/// refusal costs nothing: the point is that no script, import or stored hash can make authsim
/// spend seconds of a core or gigabytes of memory on one password.
public enum PasswordHashError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A bcrypt cost (log2 of the rounds) outside `PasswordHasher.costs`.
    case bcryptCost(Int)
    /// An argon2 or pbkdf2 hash whose parameters are above `ImportedPasswordHash`'s limits
    /// (the message names the parameter, its value and the limit).
    case parameters(String)
    /// Every hashing thread of the `KDFPool` is busy and its queue is full.
    case busy(running: Int, waiting: Int)
    /// The hash had not started when the caller's time limit (a script's deadline) ran out.
    case timedOut
    /// The caller's task was cancelled while the hash was still waiting for a thread.
    case cancelled
    /// libxcrypt refused the input.
    case failed(String)

    public var description: String {
        switch self {
        case .bcryptCost(let cost):
            return "bcrypt cost \(cost) is outside authsim's limits (\(PasswordHasher.minimumCost) to \(PasswordHasher.maximumCost); Auth0 uses \(PasswordHasher.defaultCost)): refused without hashing"
        case .parameters(let message): return message
        case .busy(let running, let waiting):
            return "password hashing is busy (\(running) running, \(waiting) waiting); try again shortly"
        case .timedOut: return "password hashing did not start before the script's time limit"
        case .cancelled: return "password hashing was cancelled"
        case .failed(let message): return message
        }
    }
}
