extension JSONValue {
    /// Compact JSON text with object keys sorted. `pretty` indents by two spaces.
    public func serialized(pretty: Bool = false) -> String {
        var w = JSONWriter(pretty: pretty, sortKeys: true)
        w.write(self, indent: 0)
        return w.text
    }

    /// Appends compact JSON with keys in dictionary order: for text only machines read, where
    /// sorting would be wasted work (the rules job input).
    public func writeUnsorted(into out: inout String) {
        var w = JSONWriter(pretty: false, sortKeys: false)
        w.write(self, indent: 0)
        out += w.text
    }

    /// Integers print without a fraction (like JavaScript); non-finite numbers become null.
    public static func format(number n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return "\(n)"
    }

    public static func writeString(_ s: String, into out: inout String) {
        var w = JSONWriter(pretty: false, sortKeys: false, capacity: s.utf8.count + 2)
        w.string(s)
        out += w.text
    }
}

/// Writes JSON as UTF-8 bytes (appending to a byte array costs a fraction of appending many
/// small pieces to a `String`), made into one `String` at the end.
struct JSONWriter {
    var bytes: [UInt8] = []
    let pretty: Bool
    let sortKeys: Bool

    init(pretty: Bool, sortKeys: Bool, capacity: Int = 512) {
        self.pretty = pretty
        self.sortKeys = sortKeys
        bytes.reserveCapacity(capacity)
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    var text: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always) mutating func ascii(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func newline(_ level: Int) {
        guard pretty else { return }
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(0x20, count: 2 * level))
    }

    mutating func write(_ value: JSONValue, indent: Int) {
        switch value {
        case .null: ascii("null")
        case .bool(let b): if b { ascii("true") } else { ascii("false") }
        case .number(let n): bytes.append(contentsOf: JSONValue.format(number: n).utf8)
        case .string(let s): string(s)
        case .array(let a):
            if a.isEmpty { ascii("[]"); return }
            bytes.append(0x5B)
            var first = true
            for v in a {
                if !first { bytes.append(0x2C) }
                first = false
                newline(indent + 1)
                write(v, indent: indent + 1)
            }
            newline(indent)
            bytes.append(0x5D)
        case .object(let o):
            if o.isEmpty { ascii("{}"); return }
            bytes.append(0x7B)
            var first = true
            // Pairs, not keys then lookups: each key is hashed once less.
            if sortKeys {
                for (k, v) in o.sorted(by: { $0.key < $1.key }) { member(k, v, indent: indent, first: &first) }
            } else {
                for (k, v) in o { member(k, v, indent: indent, first: &first) }
            }
            newline(indent)
            bytes.append(0x7D)
        }
    }

    mutating func member(_ k: String, _ v: JSONValue, indent: Int, first: inout Bool) {
        if !first { bytes.append(0x2C) }
        first = false
        newline(indent + 1)
        string(k)
        if pretty { ascii(": ") } else { bytes.append(0x3A) }
        write(v, indent: indent + 1)
    }

    /// A string literal: `"`, `\\`, control characters escaped; everything else as it is (the
    /// bytes of a multi-byte character are all 0x80 or above, so they are never escaped).
    mutating func string(_ s: String) {
        bytes.append(0x22)
        var s = s
        s.withUTF8 { utf8 in
            var start = 0
            for i in 0..<utf8.count {
                let u = utf8[i]
                guard u < 0x20 || u == 0x22 || u == 0x5C else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                start = i + 1
                switch u {
                case 0x22: ascii("\\\"")
                case 0x5C: ascii("\\\\")
                case 0x0A: ascii("\\n")
                case 0x0D: ascii("\\r")
                case 0x09: ascii("\\t")
                case 0x08: ascii("\\b")
                case 0x0C: ascii("\\f")
                default:
                    ascii("\\u00")
                    bytes.append(Self.hexDigits[Int(u >> 4)])
                    bytes.append(Self.hexDigits[Int(u & 0x0F)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        bytes.append(0x22)
    }
}
