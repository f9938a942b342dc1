import Foundation
import JSONCore

/// Short-lived values shared by every daemon on the store (authorization codes, login
/// transactions, SSO sessions, passwordless codes, reset tickets, counters).
public protocol EphemeralStore: Sendable {
    /// Keeps `value` until `expires`; putting a key again replaces it. `owner` (a user id) lets
    /// `ephemeralValues(owner:prefix:now:)` list a user's values of one kind.
    func putEphemeral(_ key: String, _ value: String, expires: Double, owner: String?) async throws
    /// The unexpired values of `owner` whose keys start with `prefix`, in key order.
    func ephemeralValues(owner: String, prefix: String, now: Double) async throws -> [(key: String, value: String)]
    /// An unexpired value, left in place (nil when absent or expired).
    func readEphemeral(_ key: String, now: Double) async throws -> String?
    /// Removes and returns an unexpired value (nil when absent, expired or already taken).
    func takeEphemeral(_ key: String, now: Double) async throws -> String?
    /// Reads, changes and writes one short-lived value atomically, across every daemon on the
    /// store (counters, tries): `change` gets the unexpired value (or nil) and returns the new
    /// value with its expiry (nil removes it) and a result for the caller. A value it creates
    /// gets `owner`; one it changes keeps its owner.
    func modifyEphemeral<T: Sendable>(
        _ key: String, now: Double, owner: String?, _ change: @Sendable (String?) throws -> (value: (String, expires: Double)?, result: T)
    ) async throws -> T
}

extension EphemeralStore {
    /// A value no user owns.
    public func putEphemeral(_ key: String, _ value: String, expires: Double) async throws {
        try await putEphemeral(key, value, expires: expires, owner: nil)
    }

    public func modifyEphemeral<T: Sendable>(
        _ key: String, now: Double, _ change: @Sendable (String?) throws -> (value: (String, expires: Double)?, result: T)
    ) async throws -> T {
        try await modifyEphemeral(key, now: now, owner: nil, change)
    }
}

/// A model kept among the short-lived values as its JSON (`Codable`): login transactions,
/// codes, sessions, tickets, MFA waits, device grants.
public protocol KeptValue: Codable, Sendable {}

extension KeptValue {
    /// The JSON the store keeps.
    public func keptText() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }

    /// The value kept as `text`; nil when there is none or it cannot be read.
    public init?(keptText text: String?) {
        guard let text, let value = try? JSONDecoder().decode(Self.self, from: Data(text.utf8)) else { return nil }
        self = value
    }
}

extension EphemeralStore {
    /// Keeps `value` under `key` until `expires`.
    public func keep(_ value: some KeptValue, at key: String, expires: Double, owner: String? = nil) async throws {
        try await putEphemeral(key, value.keptText(), expires: expires, owner: owner)
    }

    /// The value under `key`, nil when there is none (expired, taken, unreadable); `take`
    /// removes it in the same step (single use, also across daemons).
    public func kept<Value: KeptValue>(_ type: Value.Type, at key: String, take: Bool = false, now: Double = Timestamp.now()) async throws -> Value? {
        Value(keptText: take ? try await takeEphemeral(key, now: now) : try await readEphemeral(key, now: now))
    }

    /// A user's values of one kind (unreadable ones skipped), in key order.
    public func kept<Value: KeptValue>(_ type: Value.Type, owner: String, prefix: String, now: Double = Timestamp.now()) async throws -> [Value] {
        try await ephemeralValues(owner: owner, prefix: prefix, now: now).compactMap { Value(keptText: $0.value) }
    }

    /// Changes the value under `key` if it is still there, atomically across daemons: `change`
    /// returns false to remove it instead. Returns the value as kept after the change, nil when
    /// there was none (or it could not be read, or was removed); `expires` gives its expiry.
    public func change<Value: KeptValue>(
        _ type: Value.Type, at key: String, now: Double = Timestamp.now(), expires: @escaping @Sendable (Value) -> Double,
        _ change: @escaping @Sendable (inout Value) -> Bool
    ) async throws -> Value? {
        try await modifyEphemeral(key, now: now) { text -> (value: (String, expires: Double)?, result: Value?) in
            guard var value = Value(keptText: text), change(&value), let out = try? value.keptText() else { return (nil, nil) }
            return ((out, expires(value)), value)
        }
    }
}
