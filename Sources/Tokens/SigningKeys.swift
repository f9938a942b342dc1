import Crypto
import _CryptoExtras
import Directory
import Foundation
import JSONCore

/// The tenant's RS256 keys: the current one signs, the previous one is still published in the
/// JWKS so tokens signed before a rotation keep verifying. Generated on first start and kept in
/// the store.
public struct SigningKeys: Sendable {
    public struct Key: Sendable {
        public let kid: String
        public let privateKey: _RSA.Signing.PrivateKey
        /// Derived once: every verification uses it.
        public let publicKey: _RSA.Signing.PublicKey

        public init(kid: String, privateKey: _RSA.Signing.PrivateKey) {
            self.kid = kid
            self.privateKey = privateKey
            self.publicKey = privateKey.publicKey
        }
    }

    public let current: Key
    public let previous: Key?
    /// Bearer tokens whose signature these keys verified (see `VerifiedTokens`). A rotation makes
    /// new `SigningKeys`, and so starts an empty cache.
    public let verifiedTokens = VerifiedTokens()

    public init(current: Key, previous: Key?) {
        self.current = current
        self.previous = previous
    }

    /// Loads the keys from the store, generating (and saving) a first key when there is none.
    public static func load(from store: any SigningKeyStore & DurableValueStore) async throws -> SigningKeys {
        let stored = try await store.signingKeys()
        if let cur = stored.first(where: { $0.status == "current" }) {
            let prev = stored.first(where: { $0.status == "previous" })
            return SigningKeys(current: try key(cur), previous: try prev.map(key))
        }
        // Several daemons may start on a new shared store at once: one of them makes the key.
        let fresh = try generate()
        if try await store.claimMetaValue("signing-keys:first", fresh.kid) {
            try await store.saveSigningKeys([fresh.stored(status: "current")])
            return SigningKeys(current: fresh, previous: nil)
        }
        for _ in 0..<200 {
            if let cur = try await store.signingKeys().first(where: { $0.status == "current" }) { return SigningKeys(current: try key(cur), previous: nil) }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw DirectoryError.storage("another daemon claimed the first signing key but did not save it")
    }

    /// Makes a new current key; the current one becomes previous and the old previous is revoked.
    public static func rotate(in store: any SigningKeyStore & DurableValueStore) async throws -> SigningKeys {
        let old = try await load(from: store)
        let fresh = try generate()
        var updates = [fresh.stored(status: "current"), old.current.stored(status: "previous")]
        if let p = old.previous { updates.append(p.stored(status: "revoked")) }
        try await store.saveSigningKeys(updates)
        return SigningKeys(current: fresh, previous: old.current)
    }

    static func key(_ s: StoredSigningKey) throws -> Key {
        Key(kid: s.kid, privateKey: try _RSA.Signing.PrivateKey(pemRepresentation: s.privateKeyPEM))
    }

    public static func generate() throws -> Key {
        let pk = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return Key(kid: try thumbprint(pk.publicKey), privateKey: pk)
    }

    /// RFC 7638 JWK thumbprint, the key id.
    static func thumbprint(_ key: _RSA.Signing.PublicKey) throws -> String {
        let p = try key.getKeyPrimitives()
        let json = #"{"e":"\#(Base64URL.encode(p.publicExponent))","kty":"RSA","n":"\#(Base64URL.encode(p.modulus))"}"#
        return Base64URL.encode(Data(SHA256.hash(data: Data(json.utf8))))
    }

    /// The public JWKS document (`/.well-known/jwks.json`).
    public var jwks: JSONValue {
        .object(["keys": .array([current] .map(\.jwk) + (previous.map { [$0.jwk] } ?? []))])
    }

    public func key(kid: String) -> Key? {
        if current.kid == kid { return current }
        if previous?.kid == kid { return previous }
        return nil
    }
}

extension SigningKeys.Key {
    func stored(status: String) -> StoredSigningKey {
        StoredSigningKey(kid: kid, privateKeyPEM: privateKey.pemRepresentation, createdAt: Timestamp.now(), status: status)
    }

    public var jwk: JSONValue {
        let p = try? publicKey.getKeyPrimitives()
        return [
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": .string(kid),
            "n": .string(p.map { Base64URL.encode($0.modulus) } ?? ""),
            "e": .string(p.map { Base64URL.encode($0.publicExponent) } ?? ""),
        ]
    }
}
