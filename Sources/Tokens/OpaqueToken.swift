import Crypto
import Foundation

/// Random opaque values (authorization codes, refresh tokens, one-time links, session cookies)
/// and how they are kept: only their SHA-256 is stored, and they are compared in constant time.
public enum OpaqueToken {
    /// 32 random bytes, base64url.
    public static func new() -> String {
        var g = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = g.next() }
        return Base64URL.encode(bytes)
    }

    /// The stored form of a token: its SHA-256, lowercase hex.
    public static func hash(_ token: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in SHA256.hash(data: Data(token.utf8)) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Equality whose time does not depend on where the values differ.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var d: UInt8 = 0
        for i in x.indices { d |= x[i] ^ y[i] }
        return d == 0
    }
}
