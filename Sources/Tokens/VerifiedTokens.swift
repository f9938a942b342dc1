import JSONCore
import Synchronization

/// The claims of bearer tokens whose RS256 signature one key set has verified, by token text, so
/// that a client sending the same token with every request (the Management API, `/userinfo`)
/// costs a dictionary lookup instead of a decode and an RSA verification each time.
///
/// Only what the signature proves is kept: that these exact bytes were signed by one of these
/// keys, and what they say. Everything that can change between two requests with the same token
/// (expiry, issuer, audience, scopes, the client's grant) is still checked on every use by the
/// caller. A token that fails to decode or verify is never kept, so a stream of forged tokens
/// cannot fill the cache; nor is one whose text is not the token's one plain form (only the
/// base64url alphabet and dots, at most `maximumLength` bytes): the decoder forgives spaces
/// around it and `=` padding, and such variants of one token must not each take a place. Texts
/// are compared as the ASCII they must be, never as Unicode (where a Kelvin sign equals a `K`).
/// At most `capacity` tokens are kept; the oldest goes first.
public final class VerifiedTokens: Sendable {
    /// A verified token's claims, and its `scope` claim split once (the daemon's local
    /// Management token carries every Management scope, and the scopes are checked on every
    /// request).
    public struct Entry: Sendable {
        public let claims: JSONValue
        public let scopes: Set<String>

        public init(claims: JSONValue) {
            self.claims = claims
            scopes = Set(ScopeList.split(claims["scope"]?.stringValue ?? ""))
        }
    }

    public static let capacity = 1024
    public static let maximumLength = 8192

    /// Whether `token` is a compact JWT in its one plain form (see above).
    static func isPlain(_ token: String) -> Bool {
        let utf8 = token.utf8
        return utf8.count <= maximumLength && utf8.allSatisfy { $0 == UInt8(ascii: ".") || Base64URL.isAlphabet($0) }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Insertion order, for eviction; `head` is the oldest entry still in `order`.
        var order: [String] = []
        var head = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func entry(of token: String) -> Entry? {
        guard Self.isPlain(token) else { return nil }
        return state.withLock { $0.entries[token] }
    }

    /// At most this many scopes in a remembered token: a signed token of the maximum length
    /// could carry thousands of one-letter scopes, and their sets, not the token texts, would
    /// then fill the memory the cache may take. (The daemon's own tokens carry every Management
    /// scope, fewer than 64.)
    public static let maximumScopes = 256

    /// Keeps `entry` for `token` unless its text is not the plain form or it has too many scopes.
    public func remember(_ token: String, _ entry: Entry) {
        guard Self.isPlain(token), entry.scopes.count <= Self.maximumScopes else { return }
        state.withLock { s in
            guard s.entries.updateValue(entry, forKey: token) == nil else { return }
            s.order.append(token)
            while s.entries.count > Self.capacity {
                s.entries.removeValue(forKey: s.order[s.head])
                s.head += 1
            }
            // Compact the order list once its dropped prefix is as long as what is kept.
            if s.head > Self.capacity {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
    }

    public var count: Int { state.withLock { $0.entries.count } }
}
