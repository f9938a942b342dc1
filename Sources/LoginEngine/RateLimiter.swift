import Foundation
import JSONCore
import Synchronization
import Tenant

/// Per-client request limits (a client file's `"authsim": {"rate_limit_per_minute": N}`),
/// counted in fixed one-minute windows. Clients without a limit are never limited.
public final class RateLimiter: Sendable {
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var limit: Int
        public var remaining: Int
        /// Epoch seconds when the window resets (`X-RateLimit-Reset`).
        public var reset: Int
    }

    private let windows = Mutex<[String: (start: Int, count: Int)]>([:])

    public init() {}

    public static func limit(of client: Client) -> Int? {
        client.raw["authsim"]?["rate_limit_per_minute"]?.intValue
    }

    /// Counts one request of `client`; nil when the client has no limit.
    public func check(_ client: Client, now: Double = Timestamp.now()) -> Decision? {
        guard let limit = Self.limit(of: client), limit > 0 else { return nil }
        let window = Int(now) / 60 * 60
        return windows.withLock { w in
            var entry = w[client.clientId] ?? (window, 0)
            if entry.start != window { entry = (window, 0) }
            entry.count += 1
            w[client.clientId] = entry
            return Decision(allowed: entry.count <= limit, limit: limit, remaining: max(0, limit - entry.count), reset: window + 60)
        }
    }
}
