extension JSONValue {
    /// Compact JSON text with object keys sorted. `pretty` indents by two spaces.
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(into: &out, pretty: pretty, sortKeys: true)
        return out
    }

    /// Appends compact JSON with keys in dictionary order: for text only machines read, where
    /// sorting would be wasted work (the rules job input).
    public func writeUnsorted(into out: inout String) {
        write(into: &out, pretty: false, sortKeys: false)
    }

    func write(into out: inout String, pretty: Bool, sortKeys: Bool, indent: Int = 0) {
        func newline(_ level: Int) {
            if pretty { out += "\n"; out += String(repeating: "  ", count: level) }
        }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += JSONValue.format(number: n)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                newline(indent + 1)
                v.write(into: &out, pretty: pretty, sortKeys: sortKeys, indent: indent + 1)
            }
            newline(indent)
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{"
            var first = true
            func member(_ k: String, _ v: JSONValue) {
                if !first { out += "," }
                first = false
                newline(indent + 1)
                JSONValue.writeString(k, into: &out)
                out += pretty ? ": " : ":"
                v.write(into: &out, pretty: pretty, sortKeys: sortKeys, indent: indent + 1)
            }
            // Pairs, not keys then lookups: each key is hashed once less.
            if sortKeys {
                for (k, v) in o.sorted(by: { $0.key < $1.key }) { member(k, v) }
            } else {
                for (k, v) in o { member(k, v) }
            }
            newline(indent)
            out += "}"
        }
    }

    /// Integers print without a fraction (like JavaScript); non-finite numbers become null.
    public static func format(number n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return "\(n)"
    }

    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        var needsEscape = false
        for u in s.utf8 where u < 0x20 || u == 0x22 || u == 0x5C { needsEscape = true; break }
        if !needsEscape {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out += "\""
    }
}
