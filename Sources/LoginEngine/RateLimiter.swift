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

    /// Counts one request of `client`; nil when the client has no limit. `caller` separates
    /// callers that did not prove they are the client (an IP address): they are counted in a
    /// window of their own, so they cannot use up the client's.
    public func check(_ client: Client, caller: String? = nil, now: Double = Timestamp.now()) -> Decision? {
        guard let limit = Self.limit(of: client), limit > 0 else { return nil }
        let window = Int(now) / 60 * 60
        let key = caller.map { client.clientId + "\n" + $0 } ?? client.clientId
        return windows.withLock { w in
            // Windows of past minutes go (anonymous callers must not grow the table for ever).
            if w.count > 10_000 { w = w.filter { $0.value.start == window } }
            var entry = w[key] ?? (window, 0)
            if entry.start != window { entry = (window, 0) }
            entry.count += 1
            w[key] = entry
            return Decision(allowed: entry.count <= limit, limit: limit, remaining: max(0, limit - entry.count), reset: window + 60)
        }
    }
}
