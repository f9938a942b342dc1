import Foundation

/// Unpadded base64url (RFC 4648 §5), as JWTs use it: a table walk over the bytes (every token
/// signed or verified passes here twice or more; Foundation's base64 plus three string
/// replacements cost more than an RS256 verification).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// Byte → 6-bit value; 0xFF for bytes outside the alphabet.
    private static let values: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Whether `byte` is one of the alphabet's 64 characters.
    public static func isAlphabet(_ byte: UInt8) -> Bool { values[Int(byte)] != 0xFF }

    public static func encode<D: DataProtocol>(_ data: D) -> String {
        let bytes = Array(data)
        let length = (bytes.count * 4 + 2) / 3
        return String(unsafeUninitializedCapacity: length) { out in
            alphabet.withUnsafeBufferPointer { a in
                var o = 0
                var i = 0
                while i + 3 <= bytes.count {
                    let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                    out[o] = a[Int(n >> 18)]
                    out[o + 1] = a[Int(n >> 12 & 63)]
                    out[o + 2] = a[Int(n >> 6 & 63)]
                    out[o + 3] = a[Int(n & 63)]
                    o += 4
                    i += 3
                }
                let rest = bytes.count - i
                if rest > 0 {
                    let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                    out[o] = a[Int(n >> 18)]
                    out[o + 1] = a[Int(n >> 12 & 63)]
                    o += 2
                    if rest == 2 {
                        out[o] = a[Int(n >> 6 & 63)]
                        o += 1
                    }
                }
                return o
            }
        }
    }

    /// nil when `s` is not base64url (padding allowed, a length of 4n + 1 is not).
    public static func decode(_ s: String) -> Data? {
        var utf8 = Array(s.utf8)
        while utf8.last == UInt8(ascii: "=") { utf8.removeLast() }
        if utf8.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in utf8 {
            let v = values[Int(c)]
            if v == 0xFF { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        // Bits left after the last byte are ignored, as Foundation's and Node's decoders do: a
        // token whose signature text was altered there is then refused by its signature, with
        // its header and claims still readable.
        return Data(out)
    }
}
