import Directory
import Foundation
import JSONCore
import LoginEngine
import Tokens

/// The browser-side state of `/authorize` (login transactions, logins suspended by
/// a redirect) lives in the store's short-lived values, like authorization codes: every daemon on
/// a shared store sees it, so a login page served by one daemon can be posted to another, and an
/// SSO session started on one logs the browser in silently on the others. Each value is its
/// model's JSON (`Codable`), under a key made of a kind and the hash of its id: session cookies,
/// codes and continue states are never stored themselves.
extension AuthorizationService {
    /// The kinds of kept values, the first part of their keys.
    enum Kept: String {
        case transaction = "tx", suspended, code, mfa, device, deviceUser = "device_user"
    }

    static func key(_ kind: Kept, _ id: String) -> String { kind.rawValue + ":" + OpaqueToken.hash(id) }

    func keep(_ value: some KeptValue, as kind: Kept, id: String, expires: Double) async throws {
        try await pipeline.store.keep(value, at: Self.key(kind, id), expires: expires)
    }

    /// The value kept under `id`, nil when there is none (expired, taken, unreadable); `take`
    /// removes it in the same step (single use, also across daemons).
    func kept<Value: KeptValue>(_ type: Value.Type, as kind: Kept, id: String, take: Bool = false) async throws -> Value? {
        try await pipeline.store.kept(type, at: Self.key(kind, id), take: take)
    }

    func drop(_ kind: Kept, id: String) async {
        _ = try? await pipeline.store.takeEphemeral(Self.key(kind, id), now: Timestamp.now())
    }

    // MARK: transactions

    func transaction(_ tx: String) async -> Transaction? { try? await kept(Transaction.self, as: .transaction, id: tx) }

    func saveTransaction(_ tx: String, _ t: Transaction) async throws {
        try await keep(t, as: .transaction, id: tx, expires: t.created + Self.transactionLifetime)
    }

    func dropTransaction(_ tx: String) async { await drop(.transaction, id: tx) }

    // SSO sessions are the login engine's (`LoginSession`): the Management API and the scripts
    // see them too.

    // MARK: suspended logins

    func suspend(_ id: String, _ s: Suspended) async throws {
        var kept = s
        kept.browser = OpaqueToken.hash(s.browser)
        try await keep(kept, as: .suspended, id: id, expires: s.created + Self.transactionLifetime)
    }

    /// Takes a suspended login once, and only for the browser that was sent away (another
    /// browser's attempt leaves it in place).
    func takeSuspended(_ id: String, browser: String?) async -> Suspended? {
        guard let browser, let peek = try? await kept(Suspended.self, as: .suspended, id: id), peek.browser == OpaqueToken.hash(browser),
            var s = try? await kept(Suspended.self, as: .suspended, id: id, take: true), s.browser == OpaqueToken.hash(browser)
        else { return nil }
        s.browser = browser
        return s
    }
}
