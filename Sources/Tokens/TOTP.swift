import Crypto
import Foundation
import JSONCore

/// RFC 6238 time-based one-time passwords as authenticator apps (Google Authenticator, Auth0
/// Guardian in OTP mode, 1Password) compute them: HMAC-SHA1, 6 digits, 30-second steps, the
/// secret shown as RFC 4648 base32.
public enum TOTP {
    public static let digits = 6
    public static let step: Double = 30

    /// A new 160-bit secret, base32 (32 characters).
    public static func newSecret() -> String {
        var g = SystemRandomNumberGenerator()
        return base32(Array((0..<20).map { _ in UInt8.random(in: 0...255, using: &g) }))
    }

    /// The code of a secret at a time (seconds since 1970); nil for a secret that is not base32.
    public static func code(secret: String, at time: Double) -> String? {
        guard let key = base32Decode(secret), time.isFinite, time >= 0 else { return nil }
        var counter = UInt64(time / step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let value = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let text = String(value % 1_000_000)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// Whether `code` is the secret's code now or one step either side (clock drift), compared
    /// in constant time. Returns the step it matched, so a code is never accepted twice.
    public static func verify(_ code: String, secret: String, at time: Double) -> Int64? {
        let given = code.filter { !$0.isWhitespace }
        guard given.count == digits, given.allSatisfy(\.isASCII), given.allSatisfy(\.isNumber) else { return nil }
        for drift in [0.0, -1, 1] {
            let t = time + drift * step
            guard let expected = Self.code(secret: secret, at: t) else { return nil }
            if OpaqueToken.constantTimeEquals(expected, given) { return Int64(t / step) }
        }
        return nil
    }

    /// `otpauth://totp/…`: what an authenticator app scans.
    public static func uri(secret: String, issuer: String, account: String) -> String {
        func enc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        return "otpauth://totp/\(enc(issuer)):\(enc(account))?secret=\(secret)&issuer=\(enc(issuer))&algorithm=SHA1&digits=\(digits)&period=\(Int(step))"
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func base32(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        var buffer = 0, bits = 0
        for b in bytes {
            buffer = (buffer << 8) | Int(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func base32Decode(_ text: String) -> [UInt8]? {
        var out = [UInt8]()
        var buffer = 0, bits = 0
        for c in text.uppercased().utf8 where c != UInt8(ascii: "=") && c != UInt8(ascii: " ") {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            buffer = ((buffer << 5) | v) & 0xFFFF
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return out.isEmpty ? nil : out
    }
}
