import Crypto
import _CryptoExtras
import Foundation
import JSONCore

/// The host half of the `crypto` module: hashing, HMAC, random bytes, PBKDF2 and signatures
/// with swift-crypto. Bytes cross as base64 strings inside the JSON arguments.
enum HostCrypto {
    enum HashName: String {
        case md5, sha1, sha256, sha384, sha512

        init(node: String) throws {
            var n = node.lowercased()
            if n.hasPrefix("rsa-") { n.removeFirst(4) }
            n = n.replacingOccurrences(of: "-", with: "")
            guard let h = HashName(rawValue: n) else { throw CryptoFailure("Digest method not supported: \(node)") }
            self = h
        }

        func digest(_ data: Data) -> Data {
            switch self {
            case .md5: Data(Insecure.MD5.hash(data: data))
            case .sha1: Data(Insecure.SHA1.hash(data: data))
            case .sha256: Data(SHA256.hash(data: data))
            case .sha384: Data(SHA384.hash(data: data))
            case .sha512: Data(SHA512.hash(data: data))
            }
        }

        func mac(key: Data, data: Data) -> Data {
            let k = SymmetricKey(data: key)
            switch self {
            case .md5: return Data(HMAC<Insecure.MD5>.authenticationCode(for: data, using: k))
            case .sha1: return Data(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: k))
            case .sha256: return Data(HMAC<SHA256>.authenticationCode(for: data, using: k))
            case .sha384: return Data(HMAC<SHA384>.authenticationCode(for: data, using: k))
            case .sha512: return Data(HMAC<SHA512>.authenticationCode(for: data, using: k))
            }
        }
    }

    static func arguments(_ json: String) throws -> JSONValue {
        try JSONValue.parse(json)
    }

    static func bytes(_ v: JSONValue?, _ what: String) throws -> Data {
        guard let s = v?.stringValue, let d = Data(base64Encoded: s) else { throw CryptoFailure("\(what) must be bytes") }
        return d
    }

    static func result(_ d: Data) -> String {
        "\"" + d.base64EncodedString() + "\""
    }

    @Sendable static func hash(_ json: String, _ env: (any Sendable)?) throws -> String {
        let a = try arguments(json)
        let h = try HashName(node: a["algorithm"]?.stringValue ?? "")
        return result(h.digest(try bytes(a["data"], "data")))
    }

    @Sendable static func hmac(_ json: String, _ env: (any Sendable)?) throws -> String {
        let a = try arguments(json)
        let h = try HashName(node: a["algorithm"]?.stringValue ?? "")
        return result(h.mac(key: try bytes(a["key"], "key"), data: try bytes(a["data"], "data")))
    }

    /// At most 64 KiB per call, like Node's `randomBytes` practical use; larger requests loop in JS.
    @Sendable static func random(_ json: String, _ env: (any Sendable)?) throws -> String {
        let a = try arguments(json)
        guard let n = a["size"]?.intValue, n >= 0, n <= 65536 else { throw CryptoFailure("The \"size\" argument must be between 0 and 65536") }
        var rng = SystemRandomNumberGenerator()
        var d = Data(count: n)
        for i in 0..<n { d[i] = UInt8.random(in: 0...255, using: &rng) }
        return result(d)
    }

    /// `pbkdf2Sync`'s most iterations. Node accepts up to 2^31 - 1; authsim stops at a million
    /// (Django's 2025 default, above OWASP's 600,000 for sha256), the same limit as imported
    /// pbkdf2 hashes: beyond it one call holds the script's worker for seconds per key block.
    static let pbkdf2MaximumIterations = 1_000_000
    /// `pbkdf2Sync`'s longest key, in bytes (Node's common examples ask for 64 to 512).
    static let pbkdf2MaximumKeyLength = 1024
    /// The longest a host computation trusts the script's `remainingMs` (the 600 s a flow may last at most).
    static let longestRemainingMs = 600_000.0

    /// A whole number in `range` from the JSON arguments, or Node's out-of-range error. JSON
    /// turns NaN and Infinity into null; 1e300, -1 and 2^63 arrive as numbers: none of them
    /// converts (`intValue` is an exact, range-checked conversion), so none can trap.
    static func integer(_ a: JSONValue, _ name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let n = a[name]?.intValue, range.contains(n) else {
            let received = a[name].map { $0.isNull ? "NaN or Infinity" : $0.serialized() } ?? "undefined"
            throw CryptoFailure("The value of \"\(name)\" is out of range. It must be >= \(range.lowerBound) && <= \(range.upperBound) (authsim's limit). Received \(received)")
        }
        return n
    }

    /// PBKDF2 with HMAC; checks the job's remaining time (passed by the caller) as it goes,
    /// since a host call cannot be stopped by the script watchdog.
    @Sendable static func pbkdf2(_ json: String, _ env: (any Sendable)?) throws -> String {
        let a = try arguments(json)
        let h = try HashName(node: a["digest"]?.stringValue ?? "sha1")
        let password = try bytes(a["password"], "password")
        let salt = try bytes(a["salt"], "salt")
        let iterations = try integer(a, "iterations", in: 1...pbkdf2MaximumIterations)
        let length = try integer(a, "keylen", in: 0...pbkdf2MaximumKeyLength)
        // A missing or absurd remaining time (the script can pass its own) still stops the loop.
        let remaining = a["remainingMs"]?.doubleValue.flatMap { $0.isFinite ? min(max($0, 0), longestRemainingMs) : nil } ?? 20_000
        let deadline = Date().addingTimeInterval(remaining / 1000)
        var out = Data()
        var block: UInt32 = 1
        while out.count < length {
            var u = h.mac(key: password, data: salt + withUnsafeBytes(of: block.bigEndian) { Data($0) })
            var t = u
            for i in 1..<iterations {
                u = h.mac(key: password, data: u)
                for j in 0..<t.count { t[j] ^= u[j] }
                if i % 4096 == 0 && Date() > deadline { throw CryptoFailure("pbkdf2 stopped: the script's time limit was reached") }
            }
            out.append(t)
            block += 1
        }
        return result(out.prefix(length))
    }

    /// `createSign(...).sign(key)`: RSA PKCS#1 v1.5, or ECDSA (P-256/P-384) with `der` or raw `jose` signatures.
    @Sendable static func sign(_ json: String, _ env: (any Sendable)?) throws -> String {
        let a = try arguments(json)
        let h = try HashName(node: a["algorithm"]?.stringValue ?? "")
        guard let pem = a["key"]?.stringValue else { throw CryptoFailure("A private key (PEM) is required") }
        let data = try bytes(a["data"], "data")
        let jose = a["format"]?.stringValue == "jose"
        switch h {
        case .sha256: return result(try sign(SHA256.hash(data: data), pem: pem, jose: jose))
        case .sha384: return result(try sign(SHA384.hash(data: data), pem: pem, jose: jose))
        case .sha512: return result(try sign(SHA512.hash(data: data), pem: pem, jose: jose))
        case .sha1: return result(try sign(Insecure.SHA1.hash(data: data), pem: pem, jose: jose))
        case .md5: throw CryptoFailure("Signing with md5 is not supported")
        }
    }

    static func sign<D: Digest>(_ digest: D, pem: String, jose: Bool) throws -> Data {
        if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            return try key.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation
        }
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            let sig = try key.signature(for: digest)
            return jose ? sig.rawRepresentation : sig.derRepresentation
        }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
            let sig = try key.signature(for: digest)
            return jose ? sig.rawRepresentation : sig.derRepresentation
        }
        throw CryptoFailure("Unsupported private key: expected an RSA (2048 bits or more) or EC P-256/P-384 key in PEM form")
    }

    @Sendable static func verify(_ json: String, _ env: (any Sendable)?) throws -> String {
        let a = try arguments(json)
        let h = try HashName(node: a["algorithm"]?.stringValue ?? "")
        guard let pem = a["key"]?.stringValue else { throw CryptoFailure("A public key (PEM) is required") }
        let data = try bytes(a["data"], "data")
        let signature = try bytes(a["signature"], "signature")
        let jose = a["format"]?.stringValue == "jose"
        let ok: Bool
        switch h {
        case .sha256: ok = try verify(SHA256.hash(data: data), signature: signature, pem: pem, jose: jose)
        case .sha384: ok = try verify(SHA384.hash(data: data), signature: signature, pem: pem, jose: jose)
        case .sha512: ok = try verify(SHA512.hash(data: data), signature: signature, pem: pem, jose: jose)
        case .sha1: ok = try verify(Insecure.SHA1.hash(data: data), signature: signature, pem: pem, jose: jose)
        case .md5: throw CryptoFailure("Verifying md5 signatures is not supported")
        }
        return ok ? "true" : "false"
    }

    static func verify<D: Digest>(_ digest: D, signature: Data, pem: String, jose: Bool) throws -> Bool {
        if let key = rsaPublicKey(pem) {
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: digest, padding: .insecurePKCS1v1_5)
        }
        if let key = (try? P256.Signing.PublicKey(pemRepresentation: pem)) ?? (try? P256.Signing.PrivateKey(pemRepresentation: pem))?.publicKey {
            guard let sig = try? (jose ? P256.Signing.ECDSASignature(rawRepresentation: signature) : P256.Signing.ECDSASignature(derRepresentation: signature)) else { return false }
            return key.isValidSignature(sig, for: digest)
        }
        if let key = (try? P384.Signing.PublicKey(pemRepresentation: pem)) ?? (try? P384.Signing.PrivateKey(pemRepresentation: pem))?.publicKey {
            guard let sig = try? (jose ? P384.Signing.ECDSASignature(rawRepresentation: signature) : P384.Signing.ECDSASignature(derRepresentation: signature)) else { return false }
            return key.isValidSignature(sig, for: digest)
        }
        throw CryptoFailure("Unsupported public key: expected an RSA or EC P-256/P-384 public key in PEM form")
    }

    /// Public keys are also accepted as the private key PEM (Node derives the public half).
    static func rsaPublicKey(_ pem: String) -> _RSA.Signing.PublicKey? {
        if let k = try? _RSA.Signing.PublicKey(pemRepresentation: pem) { return k }
        return (try? _RSA.Signing.PrivateKey(pemRepresentation: pem))?.publicKey
    }
}

struct CryptoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
